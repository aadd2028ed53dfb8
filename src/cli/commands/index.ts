import type { Command } from '../command';
import { exportCommand } from './export';
import { serveCommand } from './serve';
import { conformanceCommand } from './conformance';
import { authorizeCommand } from './authorize';

/** Every CLI command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [exportCommand, serveCommand, conformanceCommand, authorizeCommand];
