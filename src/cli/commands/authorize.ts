import { authorizeWithReferenceServer } from '../../harness/authorize';
import { COMMAND_ENV } from '../../conformance/grant-sources';
import { OAUTH_PARAMETERS, isBareOrigin } from '../../oauth/protocol';
import { AUTHORIZE_PATH } from '../../server/authorize';
import { EXIT_OK, UsageError, stringFlag, type Command } from '../command';

export const authorizeCommand: Command = {
  name: 'authorize',
  summary: "print a fresh authorization code from the reference server's test-only /authorize",
  help: `Usage: token-contract authorize --url URL [options]

Ask the reference server's test-only authorization endpoint for one fresh
authorization code, with a new PKCE S256 pair (RFC 7636), and print
{"code", "code_verifier", "redirect_uri", "state"} as one line of JSON: what
the conformance suite's grants.authorizationCode.command must print. That
endpoint approves its demo user at once, with no login; a real server needs
a login, so for it write your own command (a headless browser, a test user).

The code and the verifier are credentials: the output is for the suite (or
a pipe), not for a log.

Options:
  --url URL             the authorization endpoint, or the server's origin
                        (http://127.0.0.1:8080 means .../authorize)
  --client-id ID        the client (default $${COMMAND_ENV.clientId}, which the suite sets)
  --scope S             the scope to ask for (default $${COMMAND_ENV.scope}, when set)
  --dpop-jkt JKT        bind the code to this DPoP key thumbprint (dpop_jkt,
                        RFC 9449 §10; default $${COMMAND_ENV.dpopJkt}, which the
                        suite sets when it redeems with DPoP)
  --redirect-uri URI    sent as redirect_uri, and printed (the token request
                        must repeat it, RFC 6749 §4.1.3); default none: the
                        server uses the client's only registered one
  --timeout-ms N        deadline for the answer (default 10000)
  -h, --help            show this help
`,
  options: {
    url: { type: 'string' },
    'client-id': { type: 'string' },
    scope: { type: 'string' },
    'redirect-uri': { type: 'string' },
    'dpop-jkt': { type: 'string' },
    'timeout-ms': { type: 'string' },
  },
  async run({ values }, io) {
    const url = stringFlag(values, 'url');
    if (url === undefined) throw new UsageError('--url is required: the reference server\'s authorization endpoint (or its origin)');
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError('--url must be an absolute http(s) URL');
    const parsed = new URL(url);
    const endpoint = isBareOrigin(parsed) ? new URL(AUTHORIZE_PATH, parsed).href : parsed.href;
    const clientId = stringFlag(values, 'client-id') ?? emptyToUndefined(io.env[COMMAND_ENV.clientId]);
    if (clientId === undefined) throw new UsageError(`--client-id is required (or ${COMMAND_ENV.clientId} in the environment)`);
    const scope = stringFlag(values, 'scope') ?? emptyToUndefined(io.env[COMMAND_ENV.scope]);
    const redirectUri = stringFlag(values, 'redirect-uri');
    const dpopJkt = stringFlag(values, 'dpop-jkt') ?? emptyToUndefined(io.env[COMMAND_ENV.dpopJkt]);
    const timeout = stringFlag(values, 'timeout-ms');
    const timeoutMs = timeout === undefined ? undefined : Number(timeout);
    if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new UsageError('--timeout-ms must be a whole number of milliseconds above 0');
    const result = await authorizeWithReferenceServer(endpoint, {
      clientId,
      ...(scope !== undefined ? { scope } : {}),
      ...(redirectUri !== undefined ? { redirectUri } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(dpopJkt !== undefined ? { params: { [OAUTH_PARAMETERS.dpopJkt]: dpopJkt } } : {}),
    });
    io.stdout.write(`${JSON.stringify({ code: result.code, code_verifier: result.codeVerifier, ...(result.redirectUri !== undefined ? { redirect_uri: result.redirectUri } : {}), state: result.state })}\n`);
    return EXIT_OK;
  },
};

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
