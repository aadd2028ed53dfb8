/**
 * Configuration of a conformance run: the public input shape (flags and
 * JSON/YAML files map onto it; see ./schema for the JSON Schema it comes
 * from), its validation, and the resolved form the runner uses (secrets
 * read, keys loaded, capabilities derived).
 *
 * What the schema says is checked by the schema, once (`parseConfig`);
 * `resolveConfig` adds what a schema cannot know: the environment, files,
 * and combinations of members.
 */
import { createPrivateKey } from 'node:crypto';
import { readClientCertificate, type ClientCertificate } from '../../oauth/client-certificate';
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { JWK } from 'jose';
import { ClientCertificateError, ConfigError, InvalidKeyError } from '../../errors';
import { importClientKey, type DpopKeyAlgorithm } from '../signing';
import { DEFAULT_TIMEOUT_MS } from '../../oauth/limits';
import { isLoopbackHost } from '../../oauth/loopback';
import { CLIENT_CREDENTIALS_GRANT, DEFAULT_TOKEN_PATH, isBareOrigin, isMtlsAuthMethod, type TokenGrantType } from '../../oauth/protocol';
import { DEFAULT_COMMAND_TIMEOUT_MS, type GrantCommand } from '../grant-sources';
import { capabilitiesOf, type Capability } from '../capabilities';
import type { FailurePolicy, Profile } from '../types';
import { defaultFailOn } from '../profiles';
import { resolveProxy, type ProxyRoute } from '../proxy';
import { AUTH_METHODS, GRACE_POLICIES, PATTERN_WORDS, ROTATION_POLICIES, conformanceConfigSchema, type ClientConfig, type ConformanceConfig, type DpopConfig } from './schema';
import { createSchemaValidator, formatSchemaProblem, isPlainText, parseConfigText, type SchemaProblem } from '../../config-schema';

export { AUTH_METHODS, GRACE_POLICIES, ROTATION_POLICIES, conformanceConfigSchema, type ClientConfig, type ConformanceConfig, type DpopConfig, type ProxyRoute };
export { formatSchemaProblem, type SchemaProblem };
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** @deprecated until 1.0: use `ConfigError` (the same class). */
export { ConformanceConfigError } from '../../errors';

export interface ResolvedClient {
  id: string;
  auth: AuthMethod;
  secret?: string;
  privateJwk?: JWK;
  audience?: string;
  alg?: string;
  requiresDpop: boolean;
  /** The server accepts no other auth method from this client (config `exclusiveAuthMethod`). */
  exclusiveAuthMethod: boolean;
  /** Header fields this client's requests carry (config `clients[].headers`), after the global ones. */
  headers: Array<[string, string]>;
  /** The grants the suite uses this client with (config `grantTypes`; default client_credentials). */
  grantTypes: ReadonlySet<TokenGrantType>;
  /** Mutual TLS (RFC 8705): the client certificate and its key (config `certificate`, `certificateKey`). */
  certificate?: ClientCertificate;
  /** The server issues this client certificate-bound tokens only (config `certificateBoundTokens`). */
  certificateBoundTokens: boolean;
}

/** A client certificate as the run presents it. */
export type { ClientCertificate };

export type RotationPolicy = (typeof ROTATION_POLICIES)[number];
export type GracePolicy = (typeof GRACE_POLICIES)[number];

/** The authorization_code and refresh_token grants as configured (config `grants`). */
export interface ResolvedGrants {
  authorizationCode: {
    command?: GrantCommand;
    /** How long the command may take (grants.authorizationCode.timeoutSeconds; default 60 s). */
    timeoutMs: number;
    /** The scope codes are asked for; default the run's scope. */
    scope?: string;
    /** The server's code lifetime: enables code-expired. */
    lifetimeSeconds?: number;
  };
  refreshToken: {
    command?: GrantCommand;
    timeoutMs: number;
    rotation: RotationPolicy;
    grace: GracePolicy;
    /** The grace window; 0 with grace `none`. */
    graceSeconds: number;
    /** A scope beyond the refresh token's grant, for rt-scope-widen; default invalidScope. */
    widerScope?: string;
  };
}

export interface ResolvedConfig {
  url: string;
  profile: Profile;
  /** What fails the run: the profile, config `failOn` (default the profile's), `strictExpected`. */
  policy: FailurePolicy;
  scope?: string;
  invalidScope?: string;
  dpop: { enabled: boolean; nonce: boolean; disabled: boolean; alg: DpopKeyAlgorithm };
  /** The issuer whose metadata the run reads and judges (config `issuer`; the reference server's in the default run). */
  issuer?: string;
  /** The token endpoint for mutual TLS (config `mtlsUrl`; the metadata's alias; else `url` when it is https). */
  mtlsUrl?: string;
  /** The introspection endpoint (RFC 7662; config `introspectionUrl`, the metadata's `introspection_endpoint`). */
  introspectionUrl?: string;
  /** Its mutual-TLS alias (RFC 8705 §5), for clients with a certificate. */
  mtlsIntrospectionUrl?: string;
  clients: ResolvedClient[];
  unauthorizedClient?: ResolvedClient;
  expectedFailures: Map<string, string>;
  only?: string[];
  skip: string[];
  timeoutMs: number;
  concurrency: number;
  /** Header fields every request carries (config `headers`, values read from the environment). */
  headers: Array<[string, string]>;
  /** Parameters every token request body carries (config `extraParams`). */
  extraParams: Array<[string, string]>;
  /** Requests per second across the run (config `rate`); undefined: no pacing. */
  rate?: number;
  /** Extra trusted CA certificates (PEM), from `caFile`. */
  ca?: string;
  /** The CA file's path (config caFile, resolved against the config's folder), for the curl line's --cacert. */
  caFile?: string;
  /** The proxy every request goes through (config `proxy`, or the environment's for this target); undefined: direct. */
  proxy?: ProxyRoute;
  grants: ResolvedGrants;
  /** Which sources of codes and refresh tokens the run has (commands here; the runner adds functions and the reference server's). */
  sources: { authorizationCode: boolean; refreshToken: boolean };
  /** Folder a grant command runs in (the config file's). */
  baseDir: string;
  capabilities: Set<Capability>;
}

export { DEFAULT_TIMEOUT_MS };
export const DEFAULT_CONCURRENCY = 4;

/**
 * Everything under a client may be a credential (`secret`, `privateKey`),
 * and so may any member of that name: such values are never shown in a
 * message, not even a wrong one (it may be the right secret in the wrong place).
 */
const SECRET_MEMBERS = new Set(['secret', 'privateKey']);
const validator = createSchemaValidator(conformanceConfigSchema, {
  // A proxy URL may carry a password: never shown either.
  isSecret: (segments) =>
    segments[0] === 'clients' ||
    segments[0] === 'headers' ||
    segments[0] === 'unauthorizedClient' ||
    segments[0] === 'proxy' ||
    // A code command's arguments may hold a test user's password.
    (segments[0] === 'grants' && segments.includes('command')) ||
    segments.some((s) => SECRET_MEMBERS.has(s)),
  patternWords: PATTERN_WORDS,
});

/**
 * The first schema problem of an untrusted value, or undefined when it is a
 * valid ConformanceConfig; for callers that word the place themselves (the
 * CLI names a flag instead of a member).
 */
export function checkConfigSchema(data: unknown): SchemaProblem | undefined {
  return validator.check(data);
}

/** Reads a JSON or YAML config file; relative paths inside it resolve against its folder. */
export async function loadConfigFile(path: string): Promise<{ config: ConformanceConfig; baseDir: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const format = extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
  // Never the parser's own message (it quotes the text: a secret's line), nor the parser's error as a cause.
  const parsed = parseConfigText(text, format);
  if (!parsed.ok) throw new ConfigError(`config file ${JSON.stringify(path)} is not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${parsed.problem}`);
  return { config: parseConfig(parsed.value, `config file ${JSON.stringify(path)}`), baseDir: dirname(resolve(path)) };
}

/**
 * Validates an untrusted value as a ConformanceConfig against the schema
 * (unknown members are errors: a typo must not silently disable a check).
 * Returns a copy without `$schema` (it is for editors).
 */
export function parseConfig(data: unknown, where = 'config'): ConformanceConfig {
  const problem = validator.check(data);
  if (problem !== undefined) throw new ConfigError(formatSchemaProblem(problem, where));
  const { $schema: _editorsOnly, ...config } = data as ConformanceConfig;
  if (config.clients !== undefined) config.clients = config.clients.map(withDpopAlias);
  if (config.unauthorizedClient !== undefined) config.unauthorizedClient = withDpopAlias(config.unauthorizedClient);
  return config;
}

/**
 * `requireDpop` is the member's name (the reference server's too);
 * `requiresDpop` its deprecated alias (the schema refuses both at once).
 * The parsed config carries the alias, the name the suite's internal
 * readers (the Jest entry's capability plan, ResolvedClient) still use.
 */
function withDpopAlias(client: ClientConfig): ClientConfig {
  const { requireDpop, ...rest } = client;
  return requireDpop === undefined ? { ...rest } : { ...rest, requiresDpop: requireDpop };
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths (private keys, expected-failures files) resolve against. */
  baseDir?: string;
  /**
   * Whether HTTPS_PROXY / HTTP_PROXY (with NO_PROXY) in `env` apply when
   * no `proxy` is configured (default true). The default run sets false:
   * its target is the reference server it started on loopback, which a
   * corporate proxy cannot reach.
   */
  proxyFromEnv?: boolean;
}

/** Resolves a config whose `url` is set: secrets from the environment, keys from files, capabilities. */
export async function resolveConfig(config: ConformanceConfig, options: ResolveOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  // Programmatic callers get the schema's checks too: a clear error, never a TypeError.
  config = parseConfig(config, 'config');
  if (config.url === undefined) throw new ConfigError('no url: give --url or a config file with "url"');
  const url = checkTargetUrl(config.url, config.allowInsecureHttp === true);
  const dpop = typeof config.dpop === 'boolean' ? { enabled: config.dpop } : (config.dpop ?? {});
  const clients = await Promise.all((config.clients ?? []).map((c, i) => resolveClient(c, `clients[${i}]`, env, baseDir)));
  const seen = new Set<string>();
  for (const client of clients) {
    const key = `${client.id} ${client.auth}`;
    if (seen.has(key)) throw new ConfigError(`client ${JSON.stringify(client.id)} is listed twice with auth ${client.auth}`);
    seen.add(key);
  }
  const unauthorizedClient = config.unauthorizedClient ? await resolveClient(config.unauthorizedClient, 'unauthorizedClient', env, baseDir) : undefined;
  const headers = resolveHeaders(config.headers, 'headers', env);
  const extraParams = resolveExtraParams(config.extraParams);
  const expectedFailures = await resolveExpectedFailures(config.expectedFailures, baseDir);
  // Unknown check ids in only/skip/expectedFailures are the run plan's to refuse (plan.ts).
  if (dpop.nonce && dpop.enabled === false) throw new ConfigError('dpop.nonce needs dpop.enabled');
  if (dpop.disabled && (dpop.enabled || dpop.nonce)) throw new ConfigError('dpop.disabled cannot be combined with dpop.enabled or dpop.nonce');
  const resolved: ResolvedConfig = {
    url,
    profile: config.profile ?? 'attesto',
    policy: { profile: config.profile ?? 'attesto', failOn: config.failOn ?? defaultFailOn(config.profile ?? 'attesto'), strictExpected: config.strictExpected === true },
    scope: emptyToUndefined(config.scope),
    invalidScope: emptyToUndefined(config.invalidScope),
    dpop: { enabled: dpop.enabled === true || dpop.nonce === true, nonce: dpop.nonce === true, disabled: dpop.disabled === true, alg: dpop.alg ?? 'ES256' },
    clients,
    unauthorizedClient,
    expectedFailures,
    only: config.only,
    skip: config.skip ?? [],
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    concurrency: config.concurrency ?? DEFAULT_CONCURRENCY,
    headers,
    extraParams,
    grants: resolveGrants(config.grants),
    sources: { authorizationCode: config.grants?.authorizationCode?.command !== undefined, refreshToken: config.grants?.refreshToken?.command !== undefined },
    baseDir,
    capabilities: new Set(),
  };
  if (config.rate !== undefined) resolved.rate = config.rate;
  if (config.issuer !== undefined) resolved.issuer = config.issuer;
  // RFC 8705 §5: a server may serve mutual TLS at another endpoint; without one named, the token endpoint itself (https only).
  const mtlsUrl = config.mtlsUrl !== undefined ? checkTargetUrl(config.mtlsUrl, false, 'mtlsUrl') : url.startsWith('https:') ? url : undefined;
  if (mtlsUrl !== undefined && !mtlsUrl.startsWith('https:')) throw new ConfigError('mtlsUrl must be an https:// URL: mutual TLS needs TLS (RFC 8705 §2)');
  if (mtlsUrl !== undefined) resolved.mtlsUrl = mtlsUrl;
  // RFC 7662 §4: introspection carries the access token; it travels where the token endpoint's requests may (https, loopback http).
  if (config.introspectionUrl !== undefined) resolved.introspectionUrl = checkTargetUrl(config.introspectionUrl, config.allowInsecureHttp === true, 'introspectionUrl');
  if (config.mtlsIntrospectionUrl !== undefined) {
    const mtlsIntrospectionUrl = checkTargetUrl(config.mtlsIntrospectionUrl, false, 'mtlsIntrospectionUrl');
    if (!mtlsIntrospectionUrl.startsWith('https:')) throw new ConfigError('mtlsIntrospectionUrl must be an https:// URL: mutual TLS needs TLS (RFC 8705 §2)');
    resolved.mtlsIntrospectionUrl = mtlsIntrospectionUrl;
  }
  if (config.caFile !== undefined) {
    resolved.ca = await loadCaFile(config.caFile, baseDir);
    resolved.caFile = isAbsolute(config.caFile) ? config.caFile : resolve(baseDir, config.caFile);
  }
  // One route for the run, decided for the target url (a check's request to the same host on another scheme takes it too).
  const proxy = resolveProxy(config.proxy, new URL(url), env, options.proxyFromEnv !== false);
  if (proxy !== undefined) resolved.proxy = proxy;
  resolved.capabilities = capabilitiesOf(resolved);
  return resolved;
}

export { capabilitiesOf };

/**
 * A target member given as `undefined` is an error, not "absent": `{ url:
 * process.env.TOKEN_URL }` with the variable unset would otherwise test the
 * built-in reference server and pass. (exactOptionalPropertyTypes lets such
 * a value through the types; leaving the member out means the default.)
 */
export function rejectUndefinedTarget(config: object, error: (message: string) => Error = (message) => new ConfigError(message)): void {
  for (const member of ['url', 'issuer'] as const) {
    if (Object.prototype.hasOwnProperty.call(config, member) && (config as Record<string, unknown>)[member] === undefined) {
      const what = member === 'url' ? 'the token endpoint URL' : 'the issuer';
      throw error(`${member} is undefined (is the environment variable holding it set?): give ${what}, or leave ${member} out${member === 'url' ? ' to test the built-in reference server' : ''}`);
    }
  }
}

export { isLoopbackHost };

/**
 * The token endpoint requires TLS (RFC 6749 §3.2, §1.6): plain http:// is
 * refused unless the host is loopback or the user insists.
 */
/** The config members that name an endpoint URL (their names go in the messages). */
type EndpointMember = 'url' | 'mtlsUrl' | 'introspectionUrl' | 'mtlsIntrospectionUrl';

export function checkTargetUrl(url: string, allowInsecureHttp: boolean, member: EndpointMember = 'url'): string {
  const introspection = member === 'introspectionUrl' || member === 'mtlsIntrospectionUrl';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never the text: an unparsable URL may still carry credentials (`https://user:pa ss@host/`).
    const why = url.trim() === '' ? 'it is empty' : /^[A-Za-z][A-Za-z0-9+.-]*:/.test(url) ? 'it does not parse as one' : 'it has no scheme: start it with https://';
    throw new ConfigError(`${member} must be an absolute http(s) URL (${why}; the value is not shown, it may carry credentials)`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    // `client:s3cret` parses too, its "scheme" a user name: a scheme is named only when it is plainly one.
    const scheme = /^[a-z][a-z0-9+.-]{0,15}:$/.test(parsed.protocol) && isPlainText(parsed.protocol) ? ` (got ${JSON.stringify(parsed.protocol)})` : '';
    throw new ConfigError(`${member} must use https://${scheme}`);
  }
  if (parsed.username || parsed.password) throw new ConfigError(`${member} must not carry credentials; use --client-id and --client-secret-env`);
  if (parsed.hash) throw new ConfigError(`${member} must not have a #fragment`);
  // RFC 6749 §3.2 lets an endpoint URL have a query; the token endpoint's is refused because query-creds adds its own to it.
  if (parsed.search && !introspection) throw new ConfigError(`${member} must not have a query string (RFC 6749 §3.2 token endpoint URL; the query-creds check adds its own)`);
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw new ConfigError(
      `refusing plain http:// to ${parsed.host}: ${introspection ? 'the introspection endpoint requires TLS (RFC 7662 §4)' : 'the token endpoint requires TLS (RFC 6749 §3.2)'}; use https:// or pass --allow-insecure-http`,
    );
  }
  // A bare origin means the server's token endpoint at the contract's path, as in the harness (src/harness/target.ts).
  return isBareOrigin(parsed) && !introspection ? new URL(DEFAULT_TOKEN_PATH, parsed).href : parsed.href;
}

async function resolveClient(client: ClientConfig, where: string, env: NodeJS.ProcessEnv, baseDir: string): Promise<ResolvedClient> {
  const resolved: ResolvedClient = {
    id: client.id,
    auth: client.auth,
    requiresDpop: (client.requireDpop ?? client.requiresDpop) === true,
    exclusiveAuthMethod: client.exclusiveAuthMethod === true,
    headers: resolveHeaders(client.headers, `${where}.headers`, env),
    grantTypes: new Set(client.grantTypes ?? [CLIENT_CREDENTIALS_GRANT]),
    certificateBoundTokens: client.certificateBoundTokens === true,
  };
  const mtls = isMtlsAuthMethod(client.auth);
  if (mtls || client.certificate !== undefined || client.certificateKey !== undefined) {
    if (client.certificate === undefined || client.certificateKey === undefined) {
      throw new ConfigError(`${where}: ${mtls ? `${client.auth} needs` : 'give'} certificate and certificateKey (PEM files: --client-cert, --client-key)`);
    }
    if (client.auth === 'none') throw new ConfigError(`${where}: a public client (auth "none") presents no certificate`);
    resolved.certificate = await loadClientCertificate(client.certificate, client.certificateKey, where, baseDir);
  }
  if (mtls) {
    if (client.secret !== undefined || client.secretEnv !== undefined || client.privateKey !== undefined) throw new ConfigError(`${where}: ${client.auth} authenticates with its certificate: no secret or private key`);
    return resolved;
  }
  if (client.auth === 'none' && where === 'unauthorizedClient') {
    throw new ConfigError('unauthorizedClient: a confidential client registered for no client_credentials grant; a public client (auth "none") cannot use client_credentials anyway');
  }
  if (client.auth === 'none') {
    // RFC 6749 §2.1: a public client has no credential; RFC 6749 §4.4: client_credentials is for confidential clients only.
    if (client.secret !== undefined || client.secretEnv !== undefined || client.privateKey !== undefined) throw new ConfigError(`${where}: a public client (auth "none") has no secret or private key`);
    if (resolved.grantTypes.has(CLIENT_CREDENTIALS_GRANT)) {
      throw new ConfigError(`${where}: a public client (auth "none") cannot use client_credentials (RFC 6749 §4.4); give grantTypes, e.g. ["authorization_code", "refresh_token"]`);
    }
    return resolved;
  }
  if (client.secret !== undefined && client.secretEnv !== undefined) throw new ConfigError(`${where}: give secret or secretEnv, not both`);
  if (client.secretEnv !== undefined) {
    const value = env[client.secretEnv];
    if (value === undefined || value === '') throw new ConfigError(`${where}: ${unsetVariable(client.secretEnv, 'secretEnv')}`);
    resolved.secret = value;
  } else if (client.secret !== undefined) resolved.secret = client.secret;
  if (client.auth === 'private_key_jwt') {
    if (client.privateKey === undefined) throw new ConfigError(`${where}: private_key_jwt needs privateKey (a JWK or a key file)`);
    resolved.privateJwk = await loadPrivateKey(client.privateKey, where, baseDir);
    // Judged now, with the algorithm it will sign with: a key no check could use is one line at load, not a failure in every check.
    try {
      await importClientKey(resolved.privateJwk, client.alg);
    } catch (error) {
      if (!(error instanceof InvalidKeyError)) throw error;
      throw new ConfigError(`${where}.privateKey: ${error.message.replace(/^signing key: /, '')}`, { cause: error });
    }
    if (client.audience !== undefined) resolved.audience = client.audience;
    if (client.alg !== undefined) resolved.alg = client.alg;
  } else if (resolved.secret === undefined) {
    throw new ConfigError(`${where}: ${client.auth} needs a secret (secret, secretEnv, --client-secret or --client-secret-env)`);
  }
  return resolved;
}

/**
 * Header fields the suite writes itself: a shaped header must not replace
 * them (a check's defect lives there), and framing fields are node:http's.
 */
const GENERATED_HEADERS = new Set(['authorization', 'dpop', 'content-type', 'accept', 'content-length', 'transfer-encoding', 'host', 'connection']);
/** RFC 9110 §5.1 field-name: a token (§5.6.2). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 §5.5 field-value: visible characters, spaces and tabs inside; no CR, LF or NUL. */
const FIELD_VALUE = /^[\x21-\x7e\x80-\xff]([\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/;

/** Shaped header fields (config `headers`, `clients[].headers`): names checked, values read from the environment, never shown in a message. */
export function resolveHeaders(headers: ConformanceConfig['headers'], where: string, env: NodeJS.ProcessEnv): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [name, spec] of Object.entries(headers ?? {})) {
    const at = `${where}[${JSON.stringify(name)}]`;
    if (!FIELD_NAME.test(name)) throw new ConfigError(`${at}: not a header field name (RFC 9110 §5.1: letters, digits and !#$%&'*+.^_\`|~-)`);
    const lower = name.toLowerCase();
    if (GENERATED_HEADERS.has(lower)) throw new ConfigError(`${at}: ${name} is a header the suite generates (and a check may break on purpose); it cannot be shaped`);
    if (seen.has(lower)) throw new ConfigError(`${at}: the header is given twice (header names are case-insensitive)`);
    seen.add(lower);
    let value: string;
    if (typeof spec === 'string') value = spec;
    else {
      const found = env[spec.env];
      if (found === undefined || found === '') throw new ConfigError(`${at}: ${unsetVariable(spec.env, 'env')}`);
      value = found;
    }
    // The value may be a secret: say what is wrong with it, never what it is.
    if (!FIELD_VALUE.test(value)) throw new ConfigError(`${at}: the value is empty or holds characters a header field cannot carry (CR, LF, NUL, control characters, or leading/trailing whitespace)`);
    out.push([name, value]);
  }
  return out;
}

/** Token request parameters the suite writes itself (RFC 6749 §4.4.2, §4.1.3, §6, §2.3.1; RFC 7636 §4.5; RFC 7523 §2.2): not shapeable. */
const GENERATED_PARAMS = new Set(['grant_type', 'scope', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'code', 'code_verifier', 'redirect_uri', 'refresh_token']);

function resolveExtraParams(params: ConformanceConfig['extraParams']): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(params ?? {})) {
    const at = `extraParams[${JSON.stringify(name)}]`;
    if (name === '') throw new ConfigError('extraParams: a parameter name must not be empty');
    if (GENERATED_PARAMS.has(name)) throw new ConfigError(`${at}: ${name} is a parameter the suite generates (and a check may break on purpose); it cannot be shaped`);
    out.push([name, value]);
  }
  return out;
}

function resolveGrants(grants: ConformanceConfig['grants']): ResolvedGrants {
  const code = grants?.authorizationCode ?? {};
  const refresh = grants?.refreshToken ?? {};
  const grace = refresh.grace ?? 'none';
  if (grace !== 'none' && refresh.graceSeconds === undefined) throw new ConfigError(`grants.refreshToken: grace ${JSON.stringify(grace)} needs graceSeconds (the window's length)`);
  if (grace === 'none' && refresh.graceSeconds !== undefined) throw new ConfigError('grants.refreshToken: graceSeconds needs grace "same-successor" or "new-successor"');
  if (grace !== 'none' && refresh.rotation === 'forbidden') throw new ConfigError('grants.refreshToken: a grace window needs rotation (rotation "forbidden" never retires a token)');
  return {
    authorizationCode: {
      ...(code.command !== undefined ? { command: checkedCommand(code.command, 'grants.authorizationCode.command') } : {}),
      timeoutMs: (code.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_MS / 1000) * 1000,
      ...(emptyToUndefined(code.scope) !== undefined ? { scope: code.scope } : {}),
      ...(code.lifetimeSeconds !== undefined ? { lifetimeSeconds: code.lifetimeSeconds } : {}),
    },
    refreshToken: {
      ...(refresh.command !== undefined ? { command: checkedCommand(refresh.command, 'grants.refreshToken.command') } : {}),
      timeoutMs: (refresh.timeoutSeconds ?? DEFAULT_COMMAND_TIMEOUT_MS / 1000) * 1000,
      rotation: refresh.rotation ?? 'any',
      grace,
      graceSeconds: refresh.graceSeconds ?? 0,
      ...(emptyToUndefined(refresh.widerScope) !== undefined ? { widerScope: refresh.widerScope } : {}),
    },
  };
}

/** A command that can run: a line with something on it, or a program name and its arguments (none empty: a NUL or a blank would only fail later). */
function checkedCommand(command: GrantCommand, where: string): GrantCommand {
  if (typeof command === 'string') {
    if (command.trim() === '') throw new ConfigError(`${where} is blank: give the command line that prints a code`);
    return command;
  }
  if (command[0] === undefined || command[0].trim() === '') throw new ConfigError(`${where}[0] must name the program to run`);
  return command;
}

/** A PEM given in the config, or the file a path names; never quoted in an error (a key is a secret). */
async function readPem(value: string, what: string, where: string, baseDir: string): Promise<string> {
  if (value.includes('-----BEGIN')) return value;
  if (/[\r\n]/.test(value)) throw new ConfigError(`${where}.${what} holds text that is no PEM and no path (not shown)`);
  const path = isAbsolute(value) ? value : resolve(baseDir, value);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // The key's value is never quoted: what looks like a path may be the key's own base64 pasted in (a secret).
    const named = what === 'certificate' && isPlainText(value) ? ` ${JSON.stringify(value)}` : ' (the path given is not shown)';
    throw new ConfigError(`${where}: cannot read ${what}${named}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The certificate and its key, checked to belong together (node:crypto), with the RFC 8705 §3.1 thumbprint a bound token carries. */
async function loadClientCertificate(certificateValue: string, keyValue: string, where: string, baseDir: string): Promise<ClientCertificate> {
  const pem = await readPem(certificateValue, 'certificate', where, baseDir);
  const key = await readPem(keyValue, 'certificateKey', where, baseDir);
  try {
    return readClientCertificate(pem, key);
  } catch (error) {
    if (!(error instanceof ClientCertificateError)) throw error;
    const member = { certificate: `${where}.certificate`, key: `${where}.certificateKey`, pair: `${where}: certificateKey` }[error.problem];
    throw new ConfigError(`${member} ${error.message.replace(/^the certificate( key)? /, '')}`, { cause: error });
  }
}

async function loadPrivateKey(key: string | JWK, where: string, baseDir: string): Promise<JWK> {
  let jwk: JWK;
  if (typeof key === 'string') {
    // The key itself pasted where its path belongs: never read as a path (the "cannot read" message would quote it).
    // (A flag's text arrives resolved against the cwd: `/cwd/{"kty":…}`, so JSON is looked for anywhere.)
    if (/-----BEGIN|[\r\n]|\{\s*"|"kty"/.test(key)) {
      throw new ConfigError(`${where}.privateKey holds key text, not a path (not shown): give the path of a JWK or PEM file, or the JWK as an object`);
    }
    const path = isAbsolute(key) ? key : resolve(baseDir, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`${where}: cannot read private key ${JSON.stringify(key)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (text.includes('-----BEGIN')) {
      try {
        jwk = createPrivateKey(text).export({ format: 'jwk' }) as JWK;
      } catch {
        // Never echo the file: it is a private key.
        throw new ConfigError(`${where}: private key ${JSON.stringify(key)} is not a readable PEM private key`);
      }
    } else {
      // Never JSON.parse's message: it quotes the file, a private key.
      const parsed = parseConfigText(text, 'json');
      if (!parsed.ok) throw new ConfigError(`${where}: private key ${JSON.stringify(key)} is neither a JWK (JSON: ${parsed.problem}) nor a PEM file`);
      jwk = parsed.value as JWK;
    }
  } else jwk = key;
  if (jwk === null || typeof jwk !== 'object' || typeof jwk.kty !== 'string') throw new ConfigError(`${where}: private key is not a JWK (no "kty")`);
  if (jwk.d === undefined) throw new ConfigError(`${where}: private key is a public JWK (no "d"); private_key_jwt signs with the private key`);
  return jwk;
}

export async function loadCaFile(file: string, baseDir: string): Promise<string> {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read caFile ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`caFile ${JSON.stringify(file)} holds no PEM certificate`);
  return text;
}

/** Expected failures: an array of ids, `{ id: reason }`, or a file (JSON/YAML of either, or one id per line with `# reason`). */
async function resolveExpectedFailures(value: ConformanceConfig['expectedFailures'], baseDir: string): Promise<Map<string, string>> {
  if (value === undefined) return new Map();
  if (Array.isArray(value)) return new Map(value.map((id) => [id, '']));
  if (typeof value === 'object') return new Map(Object.entries(value));
  return loadExpectedFailuresFile(isAbsolute(value) ? value : resolve(baseDir, value));
}

export async function loadExpectedFailuresFile(path: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read expected failures file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseExpectedFailures(text, path);
}

export function parseExpectedFailures(text: string, where = 'expected failures'): Map<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    // Positions in the whole text (JSON allows the whitespace around), so the line numbers are the file's.
    const parsed = parseConfigText(text, 'json');
    if (!parsed.ok) throw new ConfigError(`${where} is not valid JSON: ${parsed.problem}`);
    return fromStructured(parsed.value, where);
  }
  // One id per line, `# reason` after it; YAML lists (`- id  # reason`) read the same way.
  const out = new Map<string, string>();
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const match = /^\s*(?:-\s*)?([A-Za-z0-9][\w.-]*)\s*(?::\s*(.*?))?\s*(?:#\s*(.*))?$/.exec(line);
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    // The line's number, never its text: the wrong file passed (a .env) has a secret on every line.
    if (!match) throw new ConfigError(`${where}: cannot read line ${index + 1} (expected a check id: "id", "id # reason", "id: reason" or "- id"; is this an expected-failures file?)`);
    out.set(match[1]!, (match[2] || match[3] || '').replace(/^["']|["']$/g, ''));
  }
  return out;
}

function fromStructured(data: unknown, where: string): Map<string, string> {
  if (Array.isArray(data)) {
    return new Map(
      data.map((entry, i) => {
        if (typeof entry === 'string') return [entry, ''];
        const obj = record(entry, `${where}[${i}]`);
        return [str(obj.id, `${where}[${i}].id`), typeof obj.reason === 'string' ? obj.reason : ''];
      }),
    );
  }
  const obj = record(data, where);
  return new Map(Object.entries(obj).map(([id, reason]) => [id, typeof reason === 'string' ? reason : '']));
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ConfigError(`${where} must be a string`);
  return value;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * "environment variable X is not set", naming X when it reads as a
 * variable name (upper case, `_`-separated words, digits only at a word's end):
 * a secret typed where its variable's name belongs is not set either.
 */
function unsetVariable(name: string, member: string): string {
  if (/^[A-Z]+[0-9]*(_([A-Z]+[0-9]*|[0-9]+))*$/.test(name) && name.length <= 64) return `environment variable ${name} is not set`;
  return `the environment variable named by ${member} is not set (the name is not shown: it does not read as a variable name; is it the value itself?)`;
}
