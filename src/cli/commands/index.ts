import type { Command } from '../command';
import { exportCommand } from './export';

/** Every CLI command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [exportCommand];
