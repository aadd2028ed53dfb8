import { isMtlsAuthMethod } from '../../oauth/protocol';
import { resolve } from 'node:path';
import { createReferenceServer, loadServerConfigFile, ServerConfigError, type ReferenceServer, type ReferenceServerConfig } from '../../server';
import { checkServerConfigSchema } from '../../server/config';
import { ListenError } from '../../errors';
import { isLoopbackHost } from '../../oauth/loopback';
import { writeFileAtomic } from '../atomic-write';
import { EXIT_OK, UsageError, flagProblem, numberOrText, stringFlag, type CliIO, type Command, type FlagSource, type ParsedArgs } from '../command';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the reference token endpoint (demo clients, DPoP) on loopback',
  help: `Usage: token-contract serve [options]

Run the reference OAuth 2.0 token endpoint (POST /oauth/token:
client_credentials, authorization_code with PKCE, refresh_token; Basic /
client_secret_post / private_key_jwt / public clients; DPoP) and its
test-only GET /authorize, on plain http, 127.0.0.1 and an ephemeral port by
default. Prints the endpoints and the clients, then serves until
SIGINT/SIGTERM.

Options:
  --port N                  listen port (default 0: any free port)
  --host H                  listen address (default 127.0.0.1)
  --config FILE             server configuration, JSON or YAML (clients,
                            scopes, tokenLifetimeSeconds, dpop, issuer, ...)
  --require-nonce           require DPoP server nonces (RFC 9449 §8)
  --write-client-key FILE   write the demo jwt-client's private JWK to FILE
                            (mode 0600); it is never printed
  -h, --help                show this help
`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    config: { type: 'string' },
    'require-nonce': { type: 'boolean' },
    'write-client-key': { type: 'string' },
  },
  async run({ values }, io) {
    const flags = configOfFlags(values);
    // The flags get the config file's schema; a problem is worded for the flag.
    const problem = checkServerConfigSchema(flags.config);
    if (problem !== undefined) throw flagProblem(problem, flags.sources);
    const configPath = stringFlag(values, 'config');
    const fromFile = configPath === undefined ? {} : await loadConfig(resolve(io.cwd, configPath));
    // Flags override the file; --require-nonce adds to its dpop object.
    const config: ReferenceServerConfig = { ...fromFile, ...flags.config, ...(flags.config.dpop ? { dpop: { ...fromFile.dpop, ...flags.config.dpop } } : {}) };
    const keyFile = stringFlag(values, 'write-client-key');
    const demo = config.clients === undefined;

    let server: ReferenceServer;
    try {
      server = await createReferenceServer(config);
    } catch (error) {
      if (codeOf(error) === ServerConfigError.code) throw new ServerConfigError(`invalid server configuration: ${(error as Error).message}`, { cause: error });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined && LISTEN_ERRORS.has(code)) {
        throw new ListenError(`cannot listen on ${config.host ?? '127.0.0.1'}:${config.port ?? 0}: ${code}`);
      }
      throw error;
    }
    try {
      if (keyFile !== undefined) await writeClientKey(server, resolve(io.cwd, keyFile), keyFile, io);
      const warning = plainHttpWarning(config.host ?? '127.0.0.1');
      if (warning !== undefined) io.stderr.write(`${warning}\n`);
      io.stdout.write(describeServer(server, demo, keyFile));
      await stopped(io.signal);
      io.stderr.write('stopping\n');
    } finally {
      await server.close();
    }
    return EXIT_OK;
  },
};

/** The flags as a server config object (the port parsed from its text) and which flag set which member. */
function configOfFlags(values: ParsedArgs['values']): { config: ReferenceServerConfig; sources: FlagSource[] } {
  const config: ReferenceServerConfig = {};
  const sources: FlagSource[] = [];
  const port = stringFlag(values, 'port');
  if (port !== undefined) {
    (config as Record<string, unknown>).port = numberOrText(port);
    sources.push({ flag: 'port', pointer: '/port', shown: port });
  }
  const host = stringFlag(values, 'host');
  if (host !== undefined) {
    config.host = host;
    sources.push({ flag: 'host', pointer: '/host', shown: host });
  }
  if (values['require-nonce'] === true) {
    config.dpop = { requireNonce: true };
    sources.push({ flag: 'require-nonce', pointer: '/dpop' });
  }
  return { config, sources };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Why a listen fails: the port is taken or privileged, or the host is not an address of this machine. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

async function loadConfig(path: string): Promise<ReferenceServerConfig> {
  try {
    return await loadServerConfigFile(path);
  } catch (error) {
    if (codeOf(error) === ServerConfigError.code) throw new ServerConfigError(`--config: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

async function writeClientKey(server: ReferenceServer, path: string, shown: string, io: CliIO): Promise<void> {
  const client = Object.values(server.clients).find((c) => c.privateJwk !== undefined);
  if (!client) throw new UsageError('--write-client-key: no client has a generated private key (the demo jwt-client exists when --config lists no clients)');
  const text = `${JSON.stringify({ client_id: client.id, ...client.privateJwk }, null, 2)}\n`;
  try {
    // Private from its first byte: created 0600, never world-readable until a later chmod.
    await writeFileAtomic(path, text, { mode: 0o600 });
  } catch (error) {
    throw new UsageError(`cannot write --write-client-key ${JSON.stringify(shown)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  io.stderr.write(`wrote the private JWK of ${client.id} to ${shown}\n`);
}

/** What a developer needs to call the server; demo secrets are printed, configured secrets and private keys never. */
export function describeServer(server: ReferenceServer, demo: boolean, keyFile: string | undefined): string {
  const lines = [
    `token endpoint: ${server.tokenEndpoint}`,
    `issuer:         ${server.issuer}`,
    `metadata:       ${server.url}/.well-known/oauth-authorization-server`,
    `DPoP:           ${!server.dpopEnabled ? 'disabled (proofs ignored, Bearer tokens only)' : server.requireNonce ? 'enabled, nonces required' : 'enabled, nonces not required'}`,
    `authorize:      ${server.authorizationEndpoint} (test only: approves the demo user at once; token-contract authorize --url ${server.url} --client-id ID prints a code)`,
    ...(server.mtls ? [`mutual TLS:     ${server.mtls.tokenEndpoint} (RFC 8705: client certificates, certificate-bound tokens; its certificate is under a CA generated at start unless the config gives one)`] : []),
    `codes:          live ${server.grants.codeLifetimeSeconds} s; refresh tokens ${server.grants.refreshTokens.rotate ? `rotate, ${server.grants.refreshTokens.graceSeconds > 0 ? `${server.grants.refreshTokens.graceSeconds} s grace (a retry gets the same successor)` : 'no grace'}` : 'do not rotate'}`,
    '',
    'clients:',
  ];
  const clients = Object.values(server.clients);
  const width = Math.max(...clients.map((c) => c.id.length));
  for (const client of clients) {
    const credential = client.publicClient === true
      ? 'no credential (public client: PKCE, and DPoP-bound refresh tokens)'
      : client.secret !== undefined
        ? demo ? `secret ${client.secret}` : 'secret (from --config)'
        : client.privateJwk !== undefined
          ? keyFile !== undefined ? `private key in ${keyFile}` : 'private key not shown (use --write-client-key FILE)'
          : client.certificate !== undefined
            ? 'client certificate and key generated at start (not shown)'
            : client.authMethods.some(isMtlsAuthMethod)
              ? 'client certificate (from --config)'
              : 'public keys from --config';
    const grants = client.grantTypes.length > 0 ? `grants ${client.grantTypes.join(' ')}` : 'no grant types';
    const dpop = client.requireDpop ? '  DPoP required' : '';
    const methods = client.publicClient === true ? 'none' : client.authMethods.join(', ');
    lines.push(`  ${client.id.padEnd(width)}  ${methods}  ${credential}  scopes ${client.scopes.join(' ') || '(none)'}  ${grants}${dpop}`);
  }
  lines.push('', 'Press Ctrl+C to stop.', '');
  return lines.join('\n');
}

/**
 * RFC 6749 §3.2: the token endpoint requires TLS; plain http is acceptable on
 * loopback only. A warning (not a refusal) for any other listen address.
 */
export function plainHttpWarning(host: string): string | undefined {
  if (isLoopbackHost(host)) return undefined;
  return `warning: serving plain http on ${host}, reachable beyond this machine; RFC 6749 §3.2 requires TLS for a token endpoint (use loopback, or put TLS in front)`;
}

function stopped(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return; // no way to be told to stop: serve until the process ends
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
