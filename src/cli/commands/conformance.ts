import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write';
import { EXIT_FAILURE, EXIT_OK, EXIT_SIGINT, EXIT_SIGTERM, UsageError, choice, flagProblem, numberOrText, stringFlag, stringsFlag, type CliIO, type Command, type FlagSource, type ParsedArgs } from '../command';
import { checkConfigSchema } from '../../conformance/config';
import { planOfConfig } from '../../conformance/static-plan';
import { parseProxyUrl } from '../../conformance/proxy';
import { checkIssuerUrl, resolveIssuer } from '../../conformance/discovery';
import { discoveryLine } from '../../conformance/reporters/format';
import { printable } from '../../conformance/reporters/safe-text';
import { COLOR_MODES, colorFor } from '../../conformance/reporters/console';
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { ConfigError } from '../../errors';
import {
  ConsoleReporter,
  REPORTER_NAMES,
  checkTargetUrl,
  formatReport,
  loadConfigFile,
  runConformance,
  type ConformanceConfig,
  type ReporterName,
} from '../../conformance';

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'run the live conformance suite against a token endpoint (default: the reference server)',
  help: `Usage: token-contract conformance [options]

Runs the live checks of the token endpoint contract (RFC 6749, 7523, 7636,
8414, 8705, 9449, 7662, 9325 and the attesto contract) and reports, check by
check, where the endpoint departs.
Without --url it starts the reference server on an ephemeral loopback port
and runs every check against it: the server requires DPoP nonces, so the
nonce checks run too, and dpop-disabled runs against a second reference
server with DPoP switched off; the authorization_code and refresh_token
checks get their codes from its test-only /authorize, and the TLS posture is
judged at its mutual-TLS listener. Four checks are skipped: tls and
tls-forwarded-proto (its token endpoint speaks plain http on loopback),
meta-agree (one metadata document) and meta-auth-unadvertised (it lists
every method the suite speaks).

The authorization_code and refresh_token checks of a --url target need a
config file: clients with "grantTypes", and "grants" with the command that
prints a fresh code (see the README, or the JSON Schema shipped as
conformance.schema.json).

Target and client:
  --url URL                     token endpoint URL (https://; http:// only for loopback);
                                a bare origin (https://as.example) means its /oauth/token,
                                as in the harness
  --issuer URL                  the authorization server's issuer (RFC 8414 §2): read its
                                metadata (/.well-known/oauth-authorization-server, else
                                /.well-known/openid-configuration), take the token endpoint
                                and DPoP support (and key algorithm) from it, and judge it:
                                the metadata and metadata-truth groups; --url, --dpop and the
                                config's values win over the metadata, and the run's header
                                says which values came from it (see token-contract discover).
                                Metadata that cannot be used ends the run (exit 2), unless
                                --url is given: then the metadata checks fail instead
  --client-id ID                client for the checks (with one of the credentials below)
  --client-secret S             client secret (prefer --client-secret-env)
  --client-secret-env VAR       read the client secret from environment variable VAR
  --auth METHOD                 client_secret_basic | client_secret_post | private_key_jwt |
                                tls_client_auth | self_signed_tls_client_auth (default:
                                private_key_jwt with --private-key, tls_client_auth with
                                --client-cert alone, else client_secret_basic)
  --private-key FILE            private JWK (JSON) or PKCS#8 PEM for private_key_jwt
  --client-cert FILE            the client certificate (PEM) for mutual TLS (RFC 8705), with
  --client-key FILE             its private key (PEM); presented at the mTLS token endpoint
  --mtls-url URL                the token endpoint for mutual TLS (default: the metadata's
                                mtls_endpoint_aliases.token_endpoint, else --url if https)
  --introspection-url URL       token introspection (RFC 7662) for opaque tokens' cnf, asked
                                as the token's client (default: the metadata's endpoint)
  --audience AUD                client assertion aud (default: the token endpoint URL)
  --scope S                     scope the client may be granted (e.g. "read")
  --invalid-scope S             a known scope the client may not have (enables scope-invalid)
  --dpop                        the --url server supports DPoP: run the DPoP checks
  --dpop-nonce                  the --url server requires DPoP nonces (implies --dpop).
                                Without --url both change nothing: the reference server
                                requires nonces (a config file's
                                "referenceServer": { "requireNonce": false } turns them off)
  --config FILE                 JSON or YAML config (several clients, see the README);
                                flags given next to it override its values. Its JSON
                                Schema, for editors: "$schema": "./node_modules/
                                attesto-token-contract/dist/conformance.schema.json"

Run:
  --profile attesto|rfc         attesto (default): MUST and CONTRACT fail; rfc: only MUST fails
  --fail-on LEVEL               the lowest level that fails the run: MUST | CONTRACT | SHOULD |
                                MAY | inconclusive (every finding, and checks without a
                                verdict); default CONTRACT (attesto), MUST (rfc). Under rfc a
                                CONTRACT finding never fails
  --strict-expected             a listed expected failure that passes now (or only warns)
                                fails the run
  --only IDS                    comma-separated check ids or groups to run (repeatable)
  --skip IDS                    comma-separated check ids or groups to leave out (repeatable)
  --expect-failures FILE        check ids known to fail (one per line, "# reason"; or JSON/YAML)
  --timeout-ms N                per-request timeout (default 10000)
  --concurrency N               checks run at once (default 4)
  --allow-insecure-http         allow http:// to a non-loopback host (RFC 6749 §3.2 requires TLS)
  --ca-file FILE                PEM CA certificate(s) to trust for an https:// target
                                (a staging server behind a private CA), next to the usual roots
  --list                        list the checks this run would make (honours --only, --skip,
                                the target and clients given) with level, group, reference,
                                and why a check would be skipped; --reporter json for JSON

Request shaping, pacing and proxy (a staging gateway in front of the endpoint, a
corporate proxy between you and it):
  --header 'Name: value'        add a header field to every request (repeatable); the value
                                is redacted in every report. Authorization, DPoP, Content-Type
                                and the other fields the suite generates are refused
  --header-env 'Name=VAR'       the same, the value read from environment variable VAR
                                (prefer it for a gateway key; repeatable)
  --param name=value            add a parameter to every token request body (repeatable),
                                e.g. audience=... or resource=... (RFC 8707)
  --rate N                      at most N requests per second across the run (the probe and
                                every retry included; N may be a fraction); default: no pacing
  --proxy URL                   send every request through this HTTP proxy, in a CONNECT
                                tunnel (https and http targets alike): http://host:port,
                                http://user:password@host:port, or https://... for a proxy
                                spoken to over TLS. The credentials are redacted everywhere.
                                Default: https_proxy/HTTPS_PROXY for an https:// target,
                                http_proxy/HTTP_PROXY for an http:// one, unless
                                no_proxy/NO_PROXY names the host (--proxy ignores NO_PROXY)
  --no-proxy                    go direct: ignore config "proxy" and the proxy variables

Reports:
  --reporter NAME               console (default) | json | junit | markdown | html (one
                                self-contained page: open it in a browser); repeatable
  --color WHEN                  always | never | auto (default): colours on a terminal, off with
                                NO_COLOR, on in a CI log with FORCE_COLOR (not 0 or false)
  --output FILE                 write the n-th json/junit/markdown/html reporter to FILE (repeatable);
                                without it, that report goes to stdout and console to stderr.
                                A FILE that is $GITHUB_STEP_SUMMARY is appended to (the job
                                summary of earlier steps stays); any other is replaced whole

  -h, --help                    show this help

Output: one line per check as it finishes, "[n/total] STATUS id LEVEL time
message", then each non-passing check with what was sent (secrets redacted),
what came back, what was expected, the RFC section and a curl command that
reproduces it (fill in the <PLACEHOLDERS>), then a table by level.
  PASS   the endpoint behaves as required
  FAIL   a departure at or above the fail level (--fail-on; default: MUST, and
         CONTRACT under --profile attesto; never CONTRACT under --profile rfc)
  WARN   a departure below the fail level (SHOULD or MAY by default)
  SKIP   the check needs something the configuration lacks (the reason is shown)
  XFAIL  listed in --expect-failures and still failing (does not fail the run)
  INCON  no verdict: rate limited (429/503 after one resend), or what came
         back cannot be judged (a code answered past its lifetime)
  XPASS  listed in --expect-failures but passing now: remove it from the list.
         It fails the run with --strict-expected (exit 1), else only says so;
         in the Jest entry (describeTokenEndpointConformance) its test fails,
         naming the id to remove from expectedFailures

Exit codes: 0 no failing check, 1 at least one check that fails the run
(a failure; with --strict-expected an XPASS; with --fail-on inconclusive an
INCON), 130 or 143 stopped by SIGINT or SIGTERM, 2 usage or
configuration error, a target or proxy that cannot be reached, or a code or
refresh token source that failed (one line on stderr).
`,
  options: {
    url: { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'client-secret-env': { type: 'string' },
    auth: { type: 'string' },
    'private-key': { type: 'string' },
    'client-cert': { type: 'string' },
    'client-key': { type: 'string' },
    'mtls-url': { type: 'string' },
    'introspection-url': { type: 'string' },
    audience: { type: 'string' },
    scope: { type: 'string' },
    'invalid-scope': { type: 'string' },
    dpop: { type: 'boolean' },
    'dpop-nonce': { type: 'boolean' },
    profile: { type: 'string' },
    'fail-on': { type: 'string' },
    'strict-expected': { type: 'boolean' },
    only: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    'expect-failures': { type: 'string' },
    reporter: { type: 'string', multiple: true },
    output: { type: 'string', multiple: true },
    'timeout-ms': { type: 'string' },
    concurrency: { type: 'string' },
    header: { type: 'string', multiple: true },
    'header-env': { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    rate: { type: 'string' },
    proxy: { type: 'string' },
    'no-proxy': { type: 'boolean' },
    'allow-insecure-http': { type: 'boolean' },
    'ca-file': { type: 'string' },
    config: { type: 'string' },
    list: { type: 'boolean' },
    color: { type: 'string' },
  },
  async run({ values }, io) {
    const reporters = stringsFlag(values, 'reporter').map((r) => choice('reporter', r, REPORTER_NAMES));
    if (values.list === true) return listChecks(values, reporters, io);
    if (reporters.length === 0) reporters.push('console');
    const fileReporters = reporters.filter((r) => r !== 'console');
    const outputs = stringsFlag(values, 'output');
    if (outputs.length > fileReporters.length) {
      throw new UsageError(fileReporters.length === 0 ? '--output needs a json, junit, markdown or html --reporter' : `${outputs.length} --output files for ${fileReporters.length} json/junit/markdown/html reporter(s)`);
    }
    if (new Set(reporters).size !== reporters.length) throw new UsageError('each --reporter may be given once');
    const toStdout = fileReporters.filter((_, i) => outputs[i] === undefined);
    if (toStdout.length > 1) throw new UsageError(`only one report can go to stdout: give --output for ${toStdout.slice(1).join(', ')}`);

    // A ConfigError (ERR_CONFIG) or TargetUnreachableError goes up as it is: the dispatcher makes it one line and exit 2.
    const { config, baseDir } = await configFromFlags(values, io);
    // Live progress goes where the machine-readable report does not.
    const consoleStream = toStdout.length > 0 ? io.stderr : io.stdout;
    const color = colorFor(values.color === undefined ? 'auto' : choice('color', String(values.color), COLOR_MODES), io.env, consoleStream);
    const live = reporters.includes('console') ? new ConsoleReporter(consoleStream, { color }) : undefined;
    const report = await runConformance(config, {
      env: io.env,
      baseDir,
      signal: io.signal,
      onStart: (info) => {
        // The header says first where the run's target came from, when the issuer's metadata gave it.
        if (live && info.discovery) consoleStream.write(`${printable(discoveryLine(info.discovery), { oneLine: true })}\n`);
        live?.onStart(info);
      },
      onResult: (result, done, total) => live?.onResult(result, done, total),
    });
    live?.finish(report);
    for (const [index, reporter] of fileReporters.entries()) {
      const text = formatReport(report, reporter as ReporterName);
      const output = outputs[index];
      if (output === undefined) io.stdout.write(text);
      else {
        const path = resolve(io.cwd, output);
        try {
          // `--output reports/junit.xml` in a fresh CI checkout: the folder is made, as the report is meant to land there.
          await mkdir(dirname(path), { recursive: true });
          // GitHub's job summary collects every step's Markdown in one file: append, never replace what earlier steps wrote.
          if (await isStepSummary(path, io)) {
            if (reporter !== 'markdown') throw new UsageError(`--output ${JSON.stringify(output)} is the job summary ($GITHUB_STEP_SUMMARY), which takes Markdown: give it the markdown reporter, not ${reporter}`);
            await appendFile(path, `${text.endsWith('\n') ? text : `${text}\n`}\n`);
          } else await writeFileAtomic(path, text);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError(`cannot write --output ${JSON.stringify(output)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
      }
    }
    // Stopped: the shell's convention for death by signal (128 + SIGINT 2 / SIGTERM 15), whatever the checks that finished said.
    if (report.interrupted) return io.signal?.reason === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT;
    return report.summary.failing > 0 ? EXIT_FAILURE : EXIT_OK;
  },
};

/**
 * Whether `path` is the job summary file of a GitHub Actions step
 * ($GITHUB_STEP_SUMMARY): the same path, or the same file reached another
 * way (a symlink, another spelling), by device and inode.
 */
async function isStepSummary(path: string, io: CliIO): Promise<boolean> {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary === undefined || summary === '') return false;
  const summaryPath = resolve(io.cwd, summary);
  if (summaryPath === path) return true;
  const [a, b] = await Promise.all([stat(summaryPath).catch(() => undefined), stat(path).catch(() => undefined)]);
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * The flags as a config object (the members they set, numbers parsed from
 * their text) and which flag set which member, so a schema problem names the flag.
 */
function configOfFlags(flags: ParsedArgs['values'], cwd: string): { config: ConformanceConfig; sources: FlagSource[] } {
  const config: Record<string, unknown> = {};
  const sources: FlagSource[] = [];
  const set = (flag: string, member: string, value: unknown, shown?: string) => {
    config[member] = value;
    sources.push({ flag, pointer: `/${member}`, ...(shown === undefined ? {} : { shown }) });
  };
  const text = (flag: string, member: string, as: (value: string) => unknown = (v) => v) => {
    const value = stringFlag(flags, flag);
    if (value !== undefined) set(flag, member, as(value), value);
  };
  text('url', 'url');
  text('issuer', 'issuer');
  text('profile', 'profile');
  text('fail-on', 'failOn');
  if (flags['strict-expected'] === true) set('strict-expected', 'strictExpected', true);
  text('scope', 'scope');
  text('invalid-scope', 'invalidScope');
  if (flags.dpop === true || flags['dpop-nonce'] === true) set(flags['dpop-nonce'] === true ? 'dpop-nonce' : 'dpop', 'dpop', { enabled: true, ...(flags['dpop-nonce'] === true ? { nonce: true } : {}) });
  const only = stringsFlag(flags, 'only').flatMap((text) => idsOf('only', text));
  if (only.length > 0) set('only', 'only', only);
  const skip = stringsFlag(flags, 'skip').flatMap((text) => idsOf('skip', text));
  if (skip.length > 0) set('skip', 'skip', skip);
  text('expect-failures', 'expectedFailures', (v) => resolve(cwd, v));
  text('timeout-ms', 'timeoutMs', numberOrText);
  text('concurrency', 'concurrency', numberOrText);
  text('rate', 'rate', numberOrText);
  const headers = headersOfFlags(flags);
  if (Object.keys(headers).length > 0) {
    config.headers = headers;
    sources.push({ flag: 'header', pointer: '/headers' });
  }
  const params = paramsOfFlags(flags);
  if (Object.keys(params).length > 0) set('param', 'extraParams', params);
  const proxy = stringFlag(flags, 'proxy');
  if (proxy !== undefined && flags['no-proxy'] === true) throw new UsageError('give --proxy or --no-proxy, not both');
  // Never shown: a proxy URL may carry a password.
  if (proxy !== undefined) set('proxy', 'proxy', proxy);
  if (flags['no-proxy'] === true) set('no-proxy', 'proxy', false);
  if (flags['allow-insecure-http'] === true) set('allow-insecure-http', 'allowInsecureHttp', true);
  text('ca-file', 'caFile', (v) => resolve(cwd, v));

  const clientId = stringFlag(flags, 'client-id');
  text('mtls-url', 'mtlsUrl');
  text('introspection-url', 'introspectionUrl');
  const clientFlags = ['client-secret', 'client-secret-env', 'auth', 'private-key', 'audience', 'client-cert', 'client-key'].filter((f) => flags[f] !== undefined);
  if (clientId === undefined && clientFlags.length > 0) throw new UsageError(`--${clientFlags[0]} needs --client-id`);
  if (clientId !== undefined) {
    const secret = stringFlag(flags, 'client-secret');
    const secretEnv = stringFlag(flags, 'client-secret-env');
    if (secret !== undefined && secretEnv !== undefined) throw new UsageError('give --client-secret or --client-secret-env, not both');
    const privateKey = stringFlag(flags, 'private-key');
    const auth = stringFlag(flags, 'auth');
    const certificate = stringFlag(flags, 'client-cert');
    const certificateKey = stringFlag(flags, 'client-key');
    const noSecret = secret === undefined && secretEnv === undefined;
    const defaultAuth = privateKey !== undefined ? 'private_key_jwt' : certificate !== undefined && noSecret ? 'tls_client_auth' : 'client_secret_basic';
    const client: Record<string, unknown> = { id: clientId, auth: auth ?? defaultAuth };
    // `shown: null`: the value is a secret, never quoted in a message (a default parameter would replace an explicit undefined).
    const member = (flag: string, name: string, value: string | undefined, shown: string | null | undefined = value) => {
      if (value === undefined) return;
      client[name] = value;
      sources.push({ flag, pointer: `/clients/0/${name}`, ...(shown === undefined || shown === null ? {} : { shown }) });
    };
    member('client-id', 'id', clientId);
    member('auth', 'auth', auth);
    member('client-secret', 'secret', secret, null); // never shown: it is the secret
    member('client-secret-env', 'secretEnv', secretEnv);
    member('private-key', 'privateKey', privateKey === undefined ? undefined : resolve(cwd, privateKey), privateKey);
    member('audience', 'audience', stringFlag(flags, 'audience'));
    member('client-cert', 'certificate', certificate === undefined ? undefined : resolve(cwd, certificate), certificate);
    // The key's path is no secret; the file is.
    member('client-key', 'certificateKey', certificateKey === undefined ? undefined : resolve(cwd, certificateKey), certificateKey);
    // The flag client replaces a config file's list: flags describe one client.
    config.clients = [client];
  }
  return { config: config as ConformanceConfig, sources };
}

/**
 * `--list`: the plan of the run the same flags would start (planOfConfig:
 * nothing resolved, nothing sent), each check with its level, group,
 * reference and title, and the reason a check would be skipped.
 */
async function listChecks(values: ParsedArgs['values'], reporters: readonly ReporterName[], io: CliIO): Promise<number> {
  const format = reporters.length === 0 ? 'console' : reporters.length === 1 && ['console', 'json'].includes(reporters[0]!) ? reporters[0]! : undefined;
  if (format === undefined) throw new UsageError('--list prints text (the console reporter) or JSON (--reporter json)');
  if (values.output !== undefined) throw new UsageError('--list prints to stdout: --output does not apply');
  const listed = await configFromFlags(values, io, { forList: true });
  // With an issuer, the plan depends on its metadata (the token endpoint, DPoP): it is read first, and nothing else is sent.
  const { config } = await resolveIssuer(listed.config, { env: io.env, baseDir: listed.baseDir, ...(io.signal ? { signal: io.signal } : {}) });
  const plan = planOfConfig(config);
  const skipped = new Map(plan.skipped.map((s) => [s.check.id, s.reason]));
  const rows = plan.selected.map((check) => ({
    id: check.id,
    title: check.title,
    level: check.level,
    group: check.group,
    reference: check.reference,
    mode: check.mode ?? 'concurrent',
    requires: [...check.requires],
    ...(skipped.has(check.id) ? { skipped: skipped.get(check.id)! } : {}),
  }));
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify({ target: config.url ?? 'reference server', checks: rows }, null, 2)}\n`);
    return EXIT_OK;
  }
  const width = (pick: (row: (typeof rows)[number]) => string) => Math.max(0, ...rows.map((r) => pick(r).length));
  const [id, level, group] = [width((r) => r.id), width((r) => r.level), width((r) => r.group)];
  for (const row of rows) {
    const skip = row.skipped === undefined ? '' : `\n${' '.repeat(id + level + group + 6)}skipped: ${row.skipped}`;
    io.stdout.write(`${row.id.padEnd(id)}  ${row.level.padEnd(level)}  ${row.group.padEnd(group)}  ${row.title} (${row.reference})${skip}\n`);
  }
  const runs = rows.length - skipped.size;
  io.stdout.write(`\n${rows.length} check${rows.length === 1 ? '' : 's'} selected, ${runs} would run${skipped.size > 0 ? `, ${skipped.size} skipped` : ''}${config.url === undefined ? ' (against the reference server)' : ''}\n`);
  return EXIT_OK;
}

async function configFromFlags(values: ParsedArgs['values'], io: CliIO, { forList = false } = {}): Promise<{ config: ConformanceConfig; baseDir: string }> {
  const flags = configOfFlags(values, io.cwd);
  // The flags get the config file's schema; a problem is worded for the flag.
  const problem = checkConfigSchema(flags.config);
  if (problem !== undefined) throw flagProblem(problem, flags.sources);
  if (typeof flags.config.proxy === 'string') {
    // What the schema cannot say (a path, a bad percent-encoding, no host), worded for the flag.
    try {
      parseProxyUrl(flags.config.proxy, '--proxy', 'config');
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
  }
  let config: ConformanceConfig = {};
  let baseDir = io.cwd;
  const file = stringFlag(values, 'config');
  if (file !== undefined) ({ config, baseDir } = await loadConfigFile(resolve(io.cwd, file)));
  // Flags given next to --config override its values; --dpop/--dpop-nonce add to its dpop object.
  const fileDpop = typeof config.dpop === 'object' ? config.dpop : {};
  const { headers: fileHeaders = {}, extraParams: fileParams = {} } = config;
  config = { ...config, ...flags.config, ...(typeof flags.config.dpop === 'object' ? { dpop: { ...fileDpop, ...flags.config.dpop } } : {}) };
  // --header and --param add to the file's headers and extraParams; the same name given by a flag wins.
  if (flags.config.headers !== undefined) config.headers = mergeByName(fileHeaders, flags.config.headers, true);
  if (flags.config.extraParams !== undefined) config.extraParams = mergeByName(fileParams, flags.config.extraParams, false);

  // The url first: a wrong scheme or host is the problem to report, not the missing client that follows from it.
  if (config.url !== undefined) config = { ...config, url: checkTargetUrl(config.url, config.allowInsecureHttp === true) };
  if (config.issuer !== undefined) checkIssuerUrl(config.issuer, config.allowInsecureHttp === true);
  // A listing needs no client: it says which checks a missing one would skip.
  if (forList) return { config, baseDir };
  if (flags.config.clients !== undefined && config.url === undefined && config.issuer === undefined) {
    throw new UsageError('--client-id needs --url or --issuer (without either the suite tests the reference server with its own clients)');
  }
  if ((config.url !== undefined || config.issuer !== undefined) && (config.clients ?? []).length === 0) {
    throw new UsageError('no client: give --client-id with a secret or key, or "clients" in --config');
  }
  return { config, baseDir };
}

/**
 * `--header 'Name: value'` and `--header-env 'Name=VAR'` as the config's
 * `headers`. A malformed flag is a usage error that never quotes the text
 * (a header value may be a key).
 */
function headersOfFlags(flags: ParsedArgs['values']): NonNullable<ConformanceConfig['headers']> {
  const out: Record<string, string | { env: string }> = {};
  const add = (flag: string, name: string, value: string | { env: string }) => {
    if (Object.keys(out).some((n) => n.toLowerCase() === name.toLowerCase())) throw new UsageError(`--${flag}: header ${JSON.stringify(name)} is given twice`);
    out[name] = value;
  };
  for (const text of stringsFlag(flags, 'header')) {
    const colon = text.indexOf(':');
    const name = colon < 0 ? '' : text.slice(0, colon).trim();
    if (colon < 0 || name === '' || /\s/.test(name)) throw new UsageError(`--header must be 'Name: value' (a header name, a colon, the value)`);
    add('header', name, text.slice(colon + 1).trim());
  }
  for (const text of stringsFlag(flags, 'header-env')) {
    const match = /^([^\s=:]+)=([A-Za-z_][A-Za-z0-9_]*)$/.exec(text.trim());
    if (!match) throw new UsageError(`--header-env must be 'Name=VAR' (a header name, =, an environment variable name; got ${JSON.stringify(text)})`);
    add('header-env', match[1]!, { env: match[2]! });
  }
  return out;
}

/** `--param name=value` as the config's `extraParams`. */
function paramsOfFlags(flags: ParsedArgs['values']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of stringsFlag(flags, 'param')) {
    const eq = text.indexOf('=');
    const name = eq < 0 ? '' : text.slice(0, eq).trim();
    if (name === '') throw new UsageError(`--param must be name=value (got ${JSON.stringify(text)})`);
    if (name in out) throw new UsageError(`--param: ${JSON.stringify(name)} is given twice`);
    out[name] = text.slice(eq + 1);
  }
  return out;
}

function mergeByName<V>(base: Record<string, V>, over: Record<string, V>, caseInsensitive: boolean): Record<string, V> {
  const key = (name: string) => (caseInsensitive ? name.toLowerCase() : name);
  const replaced = new Set(Object.keys(over).map(key));
  return { ...Object.fromEntries(Object.entries(base).filter(([name]) => !replaced.has(key(name)))), ...over };
}

/** A flag's comma-separated ids; one that names none (`--only ,,,`) is a usage error, never "every check". */
function idsOf(flag: string, value: string): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new UsageError(`--${flag} needs check ids or groups, comma-separated (got ${JSON.stringify(value)})`);
  return ids;
}
