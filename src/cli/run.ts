/**
 * The `token-contract` dispatcher: picks the command, parses its flags with
 * node:util.parseArgs (strict), and turns every usage or configuration
 * problem into one line on stderr and exit code 2 (any other error: exit 1).
 */
import { parseArgs } from 'node:util';
import { ConfigError, DiscoveryError, GrantSourceError, ProxyTunnelError, ServerConfigError, TargetUnreachableError } from '../errors';
import { printable } from '../conformance/reporters/safe-text';
import { VERSION } from '../version';
import { COMMANDS } from './commands';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIO, type Command } from './command';

const BIN = 'token-contract';

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${BIN} <command> [options]`,
    '',
    'Contract tests for OAuth 2.0 token endpoints (attesto_phoenix contract).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also after a command)',
    '  -v, --version  print the version',
    '',
    `Run '${BIN} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const command = topic ? COMMANDS.find((c) => c.name === topic) : undefined;
    if (topic && !command) return usageFailure(io, `unknown command ${JSON.stringify(topic)}`);
    if (first === undefined) {
      // Bare `token-contract` is a usage error: one line on stderr, the help on stdout.
      io.stdout.write(mainHelp());
      return usageFailure(io, `missing command (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    io.stdout.write(command ? command.help : mainHelp());
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${VERSION}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    const hint = first.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`;
    return usageFailure(io, `${hint} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return EXIT_OK;
  }
  try {
    const parsed = parseCommandArgs(command, rest);
    return await command.run(parsed, io);
  } catch (error) {
    return reportError(io, command, error);
  }
}

/**
 * Errors whose `code` says the run could not start as asked: the command
 * line, a configuration (file, flags, reference server), a target that
 * cannot be reached or a proxy that will not tunnel to it. One line on
 * stderr and exit 2; only a usage error points at --help (a config file's
 * problem is not a flag's).
 */
const EXIT_USAGE_CODES: ReadonlySet<string> = new Set([UsageError.code, ConfigError.code, ServerConfigError.code, TargetUnreachableError.code, ProxyTunnelError.code, GrantSourceError.code, DiscoveryError.code]);

/** The exit code for an error, by its `code` (stable), never by class or message: 2 for usage and configuration, else 1. */
export function exitCodeOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && EXIT_USAGE_CODES.has(code) ? EXIT_USAGE : EXIT_FAILURE;
}

/** One line on stderr for an error that ended a command; returns its exit code. */
export function reportError(io: CliIO, command: Command, error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  if (exitCodeOf(error) === EXIT_USAGE) {
    const showHelpHint = code === UsageError.code && (error as UsageError).showHelpHint !== false;
    return usageFailure(io, errorMessage(error), command, showHelpHint);
  }
  io.stderr.write(`${BIN} ${command.name}: ${errorMessage(error)}\n`);
  return EXIT_FAILURE;
}

function parseCommandArgs(command: Command, args: string[]) {
  try {
    const { values, positionals } = parseArgs({ args, options: command.options, strict: true, allowPositionals: false });
    return { values: values as Record<string, string | boolean | (string | boolean)[] | undefined>, positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error, args));
  }
}

/** node's parseArgs messages are long and suggest '--' tricks; say the essential in a few words. */
function describeParseError(error: unknown, args: string[]): string {
  const code = (error as { code?: string }).code;
  const message = errorMessage(error);
  const quoted = /'(-[^' ]*)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /'(--?[A-Za-z0-9-]+)/.exec(message)?.[1] ?? quoted ?? 'an option';
      if (/argument missing/.test(message)) return `option ${option} needs a value`;
      // `--timeout-ms -5`: parseArgs will not take a value that starts with "-" (it may be a forgotten value).
      if (/ambiguous/.test(message)) return `option ${option} needs a value; to pass one that starts with "-", write ${option}=<value>`;
      return `option ${option} takes no value`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const positional = /'([^']*)'/.exec(message)?.[1] ?? args.find((a) => !a.startsWith('-'));
      return `unexpected argument ${JSON.stringify(positional)}`;
    }
    default:
      return message;
  }
}

function usageFailure(io: CliIO, message: string, command?: Command, showHelpHint = true): number {
  const where = command ? `${BIN} ${command.name}` : BIN;
  io.stderr.write(`${where}: ${message}${showHelpHint ? ` (see '${where} --help')` : ''}\n`);
  return EXIT_USAGE;
}

/** An error's message for the terminal: it may quote the target (a TLS error, a proxy's answer), so no control character passes. */
function errorMessage(error: unknown): string {
  return printable(error instanceof Error ? error.message : String(error), { oneLine: true });
}
