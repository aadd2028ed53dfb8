/**
 * Configuration of a conformance run: the public input shape (flags and
 * JSON/YAML files map onto it), its validation, and the resolved form the
 * runner uses (secrets read, keys loaded, capabilities derived).
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { JWK } from 'jose';
import { ConfigError as ConformanceConfigError } from '../errors';
import { PROFILES, type Capability, type Profile } from './types';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** One client as the user describes it (a config file entry or the single-client flags). */
export interface ClientConfig {
  id: string;
  auth: AuthMethod;
  /** Client secret (client_secret_basic / client_secret_post). Prefer `secretEnv`. */
  secret?: string;
  /** Name of the environment variable holding the secret. */
  secretEnv?: string;
  /** private_key_jwt: a private JWK object, or a path to a JWK JSON or PKCS#8 PEM file. */
  privateKey?: string | JWK;
  /** private_key_jwt: the assertion's `aud` (default: the token endpoint URL; RFC 7523 §3 item 3). */
  audience?: string;
  /** private_key_jwt: signing algorithm (default from the key: ES256, RS256 → PS256, EdDSA). */
  alg?: string;
  /** The server requires DPoP from this client (attesto `client_requires_dpop?`). */
  requiresDpop?: boolean;
}

export interface DpopConfig {
  /** The server supports DPoP: run the DPoP checks (default false). */
  enabled?: boolean;
  /** The server requires DPoP nonces (RFC 9449 §8): run the nonce checks (default false). */
  nonce?: boolean;
  /** The server has DPoP switched off and must ignore proofs (sender-constraint check `dpop-disabled`). */
  disabled?: boolean;
}

export interface ConformanceConfig {
  /** Absolute token endpoint URL. Absent: start the reference server and test it. */
  url?: string;
  profile?: Profile;
  /** Scope requested by success checks (must be allowed to every configured client). */
  scope?: string;
  /** A scope the server knows but grants to none of the clients (enables `scope-invalid`). */
  invalidScope?: string;
  dpop?: boolean | DpopConfig;
  clients?: ClientConfig[];
  /** A client registered for no `client_credentials` grant (enables `grant-not-for-client`). */
  unauthorizedClient?: ClientConfig;
  /** Check ids (or group names) to run; default all. */
  only?: string[];
  /** Check ids (or group names) to leave out. */
  skip?: string[];
  /** Check ids that are known to fail, or `{ id: reason }`, or a path to a file listing them. */
  expectedFailures?: string[] | Record<string, string> | string;
  timeoutMs?: number;
  concurrency?: number;
  /** Allow plain http:// to a non-loopback host (RFC 6749 §3.2 requires TLS). */
  allowInsecureHttp?: boolean;
  /** PEM file of the CA certificate(s) to trust for an https:// target (e.g. a staging server behind a private CA). */
  caFile?: string;
  /** Options for the reference server started when `url` is absent. */
  referenceServer?: { requireNonce?: boolean };
}

export { ConformanceConfigError } from '../errors';

export interface ResolvedClient {
  id: string;
  auth: AuthMethod;
  secret?: string;
  privateJwk?: JWK;
  audience?: string;
  alg?: string;
  requiresDpop: boolean;
}

export interface ResolvedConfig {
  url: string;
  profile: Profile;
  scope?: string;
  invalidScope?: string;
  dpop: { enabled: boolean; nonce: boolean; disabled: boolean };
  clients: ResolvedClient[];
  unauthorizedClient?: ResolvedClient;
  expectedFailures: Map<string, string>;
  only?: string[];
  skip: string[];
  timeoutMs: number;
  concurrency: number;
  /** Extra trusted CA certificates (PEM), from `caFile`. */
  ca?: string;
  capabilities: Set<Capability>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONCURRENCY = 4;

const CONFIG_KEYS = new Set<string>([
  'url',
  'profile',
  'scope',
  'invalidScope',
  'dpop',
  'clients',
  'unauthorizedClient',
  'only',
  'skip',
  'expectedFailures',
  'timeoutMs',
  'concurrency',
  'allowInsecureHttp',
  'caFile',
  'referenceServer',
]);
const CLIENT_KEYS = new Set<string>(['id', 'auth', 'secret', 'secretEnv', 'privateKey', 'audience', 'alg', 'requiresDpop']);
const DPOP_KEYS = new Set<string>(['enabled', 'nonce', 'disabled']);

/** Reads a JSON or YAML config file; relative paths inside it resolve against its folder. */
export async function loadConfigFile(path: string): Promise<{ config: ConformanceConfig; baseDir: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConformanceConfigError(`cannot read config file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const ext = extname(path).toLowerCase();
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const kind = ext === '.json' ? 'JSON' : 'YAML';
    throw new ConformanceConfigError(`config file ${JSON.stringify(path)} is not valid ${kind}: ${firstLine(error)}`);
  }
  return { config: parseConfig(data, `config file ${JSON.stringify(path)}`), baseDir: dirname(resolve(path)) };
}

/** Validates an untrusted value as a ConformanceConfig (unknown keys are errors: a typo must not silently disable a check). */
export function parseConfig(data: unknown, where = 'config'): ConformanceConfig {
  const obj = record(data, where);
  for (const key of Object.keys(obj)) if (!CONFIG_KEYS.has(key)) throw new ConformanceConfigError(`${where}: unknown key ${JSON.stringify(key)}`);
  const config: ConformanceConfig = {};
  if (obj.url !== undefined) config.url = str(obj.url, `${where}: url`);
  if (obj.profile !== undefined) config.profile = oneOf(obj.profile, PROFILES, `${where}: profile`);
  if (obj.scope !== undefined) config.scope = str(obj.scope, `${where}: scope`);
  if (obj.invalidScope !== undefined) config.invalidScope = str(obj.invalidScope, `${where}: invalidScope`);
  if (obj.dpop !== undefined) {
    if (typeof obj.dpop === 'boolean') config.dpop = obj.dpop;
    else {
      const dpop = record(obj.dpop, `${where}: dpop`);
      for (const key of Object.keys(dpop)) if (!DPOP_KEYS.has(key)) throw new ConformanceConfigError(`${where}: dpop: unknown key ${JSON.stringify(key)}`);
      config.dpop = {};
      for (const key of DPOP_KEYS) {
        if (dpop[key] !== undefined) (config.dpop as Record<string, boolean>)[key] = bool(dpop[key], `${where}: dpop.${key}`);
      }
    }
  }
  if (obj.clients !== undefined) {
    if (!Array.isArray(obj.clients)) throw new ConformanceConfigError(`${where}: clients must be an array`);
    config.clients = obj.clients.map((c, i) => parseClient(c, `${where}: clients[${i}]`));
  }
  if (obj.unauthorizedClient !== undefined) config.unauthorizedClient = parseClient(obj.unauthorizedClient, `${where}: unauthorizedClient`);
  if (obj.only !== undefined) config.only = strings(obj.only, `${where}: only`);
  if (obj.skip !== undefined) config.skip = strings(obj.skip, `${where}: skip`);
  if (obj.expectedFailures !== undefined) {
    const value = obj.expectedFailures;
    if (typeof value === 'string' || Array.isArray(value)) config.expectedFailures = typeof value === 'string' ? value : strings(value, `${where}: expectedFailures`);
    else {
      const map = record(value, `${where}: expectedFailures`);
      config.expectedFailures = Object.fromEntries(Object.entries(map).map(([id, reason]) => [id, str(reason, `${where}: expectedFailures.${id}`)]));
    }
  }
  if (obj.timeoutMs !== undefined) config.timeoutMs = int(obj.timeoutMs, `${where}: timeoutMs`, 1, 600_000);
  if (obj.concurrency !== undefined) config.concurrency = int(obj.concurrency, `${where}: concurrency`, 1, 64);
  if (obj.allowInsecureHttp !== undefined) config.allowInsecureHttp = bool(obj.allowInsecureHttp, `${where}: allowInsecureHttp`);
  if (obj.caFile !== undefined) config.caFile = str(obj.caFile, `${where}: caFile`);
  if (obj.referenceServer !== undefined) {
    const ref = record(obj.referenceServer, `${where}: referenceServer`);
    for (const key of Object.keys(ref)) if (key !== 'requireNonce') throw new ConformanceConfigError(`${where}: referenceServer: unknown key ${JSON.stringify(key)}`);
    config.referenceServer = ref.requireNonce === undefined ? {} : { requireNonce: bool(ref.requireNonce, `${where}: referenceServer.requireNonce`) };
  }
  return config;
}

function parseClient(data: unknown, where: string): ClientConfig {
  const obj = record(data, where);
  for (const key of Object.keys(obj)) if (!CLIENT_KEYS.has(key)) throw new ConformanceConfigError(`${where}: unknown key ${JSON.stringify(key)}`);
  const client: ClientConfig = { id: str(obj.id, `${where}: id`), auth: oneOf(obj.auth, AUTH_METHODS, `${where}: auth`) };
  if (obj.secret !== undefined) client.secret = str(obj.secret, `${where}: secret`);
  if (obj.secretEnv !== undefined) client.secretEnv = str(obj.secretEnv, `${where}: secretEnv`);
  if (obj.privateKey !== undefined) {
    client.privateKey = typeof obj.privateKey === 'string' ? obj.privateKey : (record(obj.privateKey, `${where}: privateKey`) as unknown as JWK);
  }
  if (obj.audience !== undefined) client.audience = str(obj.audience, `${where}: audience`);
  if (obj.alg !== undefined) client.alg = str(obj.alg, `${where}: alg`);
  if (obj.requiresDpop !== undefined) client.requiresDpop = bool(obj.requiresDpop, `${where}: requiresDpop`);
  return client;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Folder that relative paths (private keys, expected-failures files) resolve against. */
  baseDir?: string;
  /** Check ids and group names that `only`, `skip` and `expectedFailures` may name. */
  knownIds?: ReadonlySet<string>;
}

/** Resolves a config whose `url` is set: secrets from the environment, keys from files, capabilities. */
export async function resolveConfig(config: ConformanceConfig, options: ResolveOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  if (config.url === undefined) throw new ConformanceConfigError('no url: give --url or a config file with "url"');
  const url = checkTargetUrl(config.url, config.allowInsecureHttp === true);
  const dpop = typeof config.dpop === 'boolean' ? { enabled: config.dpop } : (config.dpop ?? {});
  const clients = await Promise.all((config.clients ?? []).map((c, i) => resolveClient(c, `clients[${i}]`, env, baseDir)));
  const seen = new Set<string>();
  for (const client of clients) {
    const key = `${client.id} ${client.auth}`;
    if (seen.has(key)) throw new ConformanceConfigError(`client ${JSON.stringify(client.id)} is listed twice with auth ${client.auth}`);
    seen.add(key);
  }
  const unauthorizedClient = config.unauthorizedClient ? await resolveClient(config.unauthorizedClient, 'unauthorizedClient', env, baseDir) : undefined;
  const expectedFailures = await resolveExpectedFailures(config.expectedFailures, baseDir);
  const known = options.knownIds;
  if (known) {
    for (const [field, ids] of [
      ['only', config.only ?? []],
      ['skip', config.skip ?? []],
      ['expectedFailures', [...expectedFailures.keys()]],
    ] as const) {
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length > 0) throw new ConformanceConfigError(`${field}: unknown check id ${unknown.map((id) => JSON.stringify(id)).join(', ')}`);
    }
  }
  if (dpop.nonce && dpop.enabled === false) throw new ConformanceConfigError('dpop.nonce needs dpop.enabled');
  if (dpop.disabled && (dpop.enabled || dpop.nonce)) throw new ConformanceConfigError('dpop.disabled cannot be combined with dpop.enabled or dpop.nonce');
  const resolved: ResolvedConfig = {
    url,
    profile: config.profile ?? 'attesto',
    scope: emptyToUndefined(config.scope),
    invalidScope: emptyToUndefined(config.invalidScope),
    dpop: { enabled: dpop.enabled === true || dpop.nonce === true, nonce: dpop.nonce === true, disabled: dpop.disabled === true },
    clients,
    unauthorizedClient,
    expectedFailures,
    only: config.only,
    skip: config.skip ?? [],
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    concurrency: config.concurrency ?? DEFAULT_CONCURRENCY,
    capabilities: new Set(),
  };
  if (config.caFile !== undefined) resolved.ca = await loadCaFile(config.caFile, baseDir);
  resolved.capabilities = capabilitiesOf(resolved);
  return resolved;
}

export function capabilitiesOf(config: Omit<ResolvedConfig, 'capabilities'>): Set<Capability> {
  const caps = new Set<Capability>();
  for (const client of config.clients) {
    caps.add(client.auth);
    if (client.auth !== 'private_key_jwt') caps.add('secret_client');
    if (client.requiresDpop) caps.add('dpop_required_client');
  }
  if (config.dpop.enabled) caps.add('dpop');
  if (config.dpop.nonce) caps.add('dpop_nonce');
  if (config.dpop.disabled) caps.add('dpop_disabled');
  if (config.invalidScope) caps.add('invalid_scope');
  if (config.unauthorizedClient) caps.add('unauthorized_client');
  if (new URL(config.url).protocol === 'https:') caps.add('https');
  return caps;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The token endpoint requires TLS (RFC 6749 §3.2, §1.6): plain http:// is
 * refused unless the host is loopback or the user insists.
 */
export function checkTargetUrl(url: string, allowInsecureHttp: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConformanceConfigError(`url must be an absolute http(s) URL (got ${JSON.stringify(url)})`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConformanceConfigError(`url must use https:// (got ${JSON.stringify(parsed.protocol)})`);
  }
  if (parsed.username || parsed.password) throw new ConformanceConfigError('url must not carry credentials; use --client-id and --client-secret-env');
  if (parsed.hash) throw new ConformanceConfigError('url must not have a #fragment');
  if (parsed.search) throw new ConformanceConfigError('url must not have a query string (RFC 6749 §3.2 token endpoint URL; the query-creds check adds its own)');
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw new ConformanceConfigError(
      `refusing plain http:// to ${parsed.host}: the token endpoint requires TLS (RFC 6749 §3.2); use https:// or pass --allow-insecure-http`,
    );
  }
  return parsed.href;
}

async function resolveClient(client: ClientConfig, where: string, env: NodeJS.ProcessEnv, baseDir: string): Promise<ResolvedClient> {
  const resolved: ResolvedClient = { id: client.id, auth: client.auth, requiresDpop: client.requiresDpop === true };
  if (client.id.length === 0) throw new ConformanceConfigError(`${where}: id must not be empty`);
  if (client.secret !== undefined && client.secretEnv !== undefined) throw new ConformanceConfigError(`${where}: give secret or secretEnv, not both`);
  if (client.secretEnv !== undefined) {
    const value = env[client.secretEnv];
    if (value === undefined || value === '') throw new ConformanceConfigError(`${where}: environment variable ${client.secretEnv} is not set`);
    resolved.secret = value;
  } else if (client.secret !== undefined) resolved.secret = client.secret;
  if (client.auth === 'private_key_jwt') {
    if (client.privateKey === undefined) throw new ConformanceConfigError(`${where}: private_key_jwt needs privateKey (a JWK or a key file)`);
    resolved.privateJwk = await loadPrivateKey(client.privateKey, where, baseDir);
    if (client.audience !== undefined) resolved.audience = client.audience;
    if (client.alg !== undefined) resolved.alg = client.alg;
  } else if (resolved.secret === undefined) {
    throw new ConformanceConfigError(`${where}: ${client.auth} needs a secret (secret, secretEnv, --client-secret or --client-secret-env)`);
  }
  return resolved;
}

async function loadPrivateKey(key: string | JWK, where: string, baseDir: string): Promise<JWK> {
  let jwk: JWK;
  if (typeof key === 'string') {
    const path = isAbsolute(key) ? key : resolve(baseDir, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConformanceConfigError(`${where}: cannot read private key ${JSON.stringify(key)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (text.includes('-----BEGIN')) {
      try {
        jwk = createPrivateKey(text).export({ format: 'jwk' }) as JWK;
      } catch {
        // Never echo the file: it is a private key.
        throw new ConformanceConfigError(`${where}: private key ${JSON.stringify(key)} is not a readable PEM private key`);
      }
    } else {
      try {
        jwk = JSON.parse(text) as JWK;
      } catch {
        throw new ConformanceConfigError(`${where}: private key ${JSON.stringify(key)} is neither a JWK (JSON) nor a PEM file`);
      }
    }
  } else jwk = key;
  if (jwk === null || typeof jwk !== 'object' || typeof jwk.kty !== 'string') throw new ConformanceConfigError(`${where}: private key is not a JWK (no "kty")`);
  if (jwk.d === undefined) throw new ConformanceConfigError(`${where}: private key is a public JWK (no "d"); private_key_jwt signs with the private key`);
  return jwk;
}

async function loadCaFile(file: string, baseDir: string): Promise<string> {
  const path = isAbsolute(file) ? file : resolve(baseDir, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConformanceConfigError(`cannot read caFile ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new ConformanceConfigError(`caFile ${JSON.stringify(file)} holds no PEM certificate`);
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
    throw new ConformanceConfigError(`cannot read expected failures file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseExpectedFailures(text, path);
}

export function parseExpectedFailures(text: string, where = 'expected failures'): Map<string, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (error) {
      throw new ConformanceConfigError(`${where} is not valid JSON: ${firstLine(error)}`);
    }
    return fromStructured(data, where);
  }
  // One id per line, `# reason` after it; YAML lists (`- id  # reason`) read the same way.
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:-\s*)?([A-Za-z0-9][\w.-]*)\s*(?::\s*(.*?))?\s*(?:#\s*(.*))?$/.exec(line);
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!match) throw new ConformanceConfigError(`${where}: cannot read line ${JSON.stringify(line.trim())} (expected a check id)`);
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
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConformanceConfigError(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function str(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ConformanceConfigError(`${where} must be a string`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ConformanceConfigError(`${where} must be true or false`);
  return value;
}

function int(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConformanceConfigError(`${where} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConformanceConfigError(`${where} must be an array of strings`);
  return value as string[];
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ConformanceConfigError(`${where} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
