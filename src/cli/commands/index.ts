import type { Command } from '../command';
import { exportCommand } from './export';
import { serveCommand } from './serve';
import { conformanceCommand } from './conformance';
import { authorizeCommand } from './authorize';
import { discoverCommand } from './discover';

/** Every CLI command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [exportCommand, serveCommand, conformanceCommand, discoverCommand, authorizeCommand];
