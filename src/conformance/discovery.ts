/**
 * Discovery: the configuration a run can take from an issuer's metadata
 * (config `issuer`, --issuer; `token-contract discover`). The document is
 * fetched from the RFC 8414 §3.1 well-known URL, the path component of the
 * issuer inserted after the well-known prefix, else from OpenID Connect
 * Discovery 1.0 §4's, appended to the issuer. Nothing is followed or
 * guessed: a redirect, an HTML page, a document that is not a JSON object,
 * one too large or too deep, or one whose `issuer` is not the issuer asked
 * for (RFC 8414 §3.3) is one DiscoveryError; a target that does not answer
 * is the HTTP client's TargetUnreachableError.
 *
 * Whatever the config says wins over the metadata (`applyDiscovery`); the
 * run's header and `discover` say which values came from where.
 */
import { DiscoveryError, ProxyTunnelError, TargetUnreachableError } from '../errors';
import { isCertificateProblem } from '../oauth/transport-error';
import { JSON_MEDIA_TYPE } from '../oauth/protocol';
import { isLoopbackHost } from '../oauth/loopback';
import { MAX_KEPT_BODY_BYTES } from '../oauth/limits';
import { OAUTH_METADATA_PATH, OPENID_CONFIGURATION_PATH } from '../oauth/protocol';
import { DEFAULT_TIMEOUT_MS } from '../oauth/limits';
import { loadCaFile, resolveHeaders, type ConformanceConfig } from './config';
import { HttpClient, type HttpProxy } from './http';
import type { Exchange, WireResponse } from './exchange';
import { isPlainObject } from '../oauth/guards';
import { resolveProxy } from './proxy';
import type { Pacer } from './pacing';
import type { DiscoveryInfo, ValueOrigin } from './types';

export type { DiscoveryInfo, ValueOrigin };
import { interruptibleDelay } from './interrupt';
import { DEFAULT_RETRY_AFTER_CAP_MS, DEFAULT_RETRY_DELAY_MS, isRateLimited, parseRetryAfter } from './rate-limit';
import { printable } from './reporters/safe-text';
import { SecretSet } from '../oauth/secrets';
import { DPOP_KEY_ALGORITHMS } from '../oauth/keys';

export { OPENID_CONFIGURATION_PATH };

/** Which well-known document the metadata came from. */
export type MetadataDocument = 'oauth-authorization-server' | 'openid-configuration';

/** The metadata members the suite reads (RFC 8414 §2, RFC 9449 §5.1, RFC 8705 §5), as the document gave them. */
export interface DiscoveredMetadata {
  /** The issuer asked for, equal to the document's (RFC 8414 §3.3). */
  issuer: string;
  /** The URL the document was read from. */
  metadataUrl: string;
  document: MetadataDocument;
  /** `token_endpoint`. */
  tokenEndpoint?: string;
  /** `token_endpoint_auth_methods_supported`. */
  tokenEndpointAuthMethods?: string[];
  /** `token_endpoint_auth_signing_alg_values_supported`. */
  tokenEndpointAuthSigningAlgs?: string[];
  /** `dpop_signing_alg_values_supported` (RFC 9449 §5.1): its presence says the server supports DPoP. */
  dpopSigningAlgs?: string[];
  /** `grant_types_supported`. */
  grantTypes?: string[];
  /** `scopes_supported`. */
  scopes?: string[];
  /** `mtls_endpoint_aliases` (RFC 8705 §5), the members whose values are strings. */
  mtlsEndpointAliases?: Record<string, string>;
  /** `introspection_endpoint` (RFC 8414 §2, RFC 7662). */
  introspectionEndpoint?: string;
  /** Members present but not of the type RFC 8414 gives them: left out (the metadata checks will judge them). */
  ignored: string[];
}

/** The metadata member each derived value comes from, in the order `discover` prints them. */
export const METADATA_MEMBERS = {
  tokenEndpoint: 'token_endpoint',
  tokenEndpointAuthMethods: 'token_endpoint_auth_methods_supported',
  tokenEndpointAuthSigningAlgs: 'token_endpoint_auth_signing_alg_values_supported',
  dpopSigningAlgs: 'dpop_signing_alg_values_supported',
  grantTypes: 'grant_types_supported',
  scopes: 'scopes_supported',
  mtlsEndpointAliases: 'mtls_endpoint_aliases',
  introspectionEndpoint: 'introspection_endpoint',
} as const satisfies Partial<Record<keyof DiscoveredMetadata, string>>;

export interface DiscoverOptions {
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM), from `caFile`. */
  ca?: string;
  proxy?: HttpProxy;
  signal?: AbortSignal;
  /** Allow http:// to a non-loopback issuer (config allowInsecureHttp). */
  allowInsecureHttp?: boolean;
  /** The run's pace (config `rate`): the metadata requests take their turns like every other. */
  pacer?: Pacer;
  /** At most this many requests at once (config `concurrency`; default 2, both URLs at once). */
  concurrency?: number;
  /** Header fields every request of the run carries (config `headers`: a gateway's key), already resolved. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** Called for each request sent (RunOptions.onRequest), with DISCOVERY_EXCHANGE_ID. */
  onRequest?: (checkId: string) => void;
  /** Values no message may show, whatever the answers echo (the run's client secrets): scrubbed before anything quotes an answer. */
  secrets?: Iterable<string>;
}

/**
 * The issuer as RFC 8414 §2 defines it: an https URL (http:// only for a
 * loopback host, or with allowInsecureHttp, as for the token endpoint) with
 * no query or fragment; credentials are refused too.
 */
export function checkIssuerUrl(issuer: string, allowInsecureHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(issuer);
  } catch {
    throw new DiscoveryError('issuer must be an absolute https:// URL (it does not parse as one; the value is not shown, it may carry credentials)');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new DiscoveryError('issuer must use https:// (RFC 8414 §2)');
  if (parsed.username || parsed.password) throw new DiscoveryError('issuer must not carry credentials');
  if (parsed.search || parsed.hash) throw new DiscoveryError('issuer must have no query or fragment (RFC 8414 §2)');
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw new DiscoveryError(`refusing plain http:// to ${parsed.host}: the issuer must use https (RFC 8414 §2); use https:// or pass --allow-insecure-http`);
  }
  return parsed;
}

/**
 * The two well-known URLs of an issuer, in the order they are tried:
 * RFC 8414 §3.1 inserts the well-known path between the host and the
 * issuer's path (`https://as.example/tenant1` →
 * `https://as.example/.well-known/oauth-authorization-server/tenant1`);
 * OpenID Connect Discovery appends its path to the issuer.
 */
export function wellKnownUrls(issuer: URL): Array<{ url: string; document: MetadataDocument }> {
  // A terminating "/" of the issuer's path is removed before the insertion (RFC 8414 §3.1).
  const path = issuer.pathname.replace(/\/+$/, '');
  return [
    { url: `${issuer.origin}${OAUTH_METADATA_PATH}${path}`, document: 'oauth-authorization-server' },
    { url: `${issuer.origin}${path}${OPENID_CONFIGURATION_PATH}`, document: 'openid-configuration' },
  ];
}

/** What one well-known URL answered (both are asked: the metadata checks compare them). */
export interface WellKnownAnswer {
  url: string;
  document: MetadataDocument;
  /** The GET and its answer (or why none came), for the metadata checks' findings: shown redacted like any exchange. */
  exchange: Exchange;
  /** The answer's JSON object, when it answered 200 with one. */
  body?: Record<string, unknown>;
}

/** Everything the issuer's two well-known URLs said, and what the run reads of it. */
export interface IssuerMetadata {
  /** The issuer asked for. */
  issuer: string;
  /** In the order they are tried: RFC 8414 §3.1, then OpenID Connect Discovery. */
  answers: WellKnownAnswer[];
  /** The first answer that is this issuer's metadata document, read. */
  metadata?: DiscoveredMetadata;
  /** Why no answer is (a page that is no document, a document of another issuer): set when `metadata` is not. */
  problem?: DiscoveryError;
  /** No document, and an answer was 429/503 even after the one resend: no verdict on the metadata (rate-limit.ts). */
  rateLimited?: boolean;
}

/** The pseudo check id discovery's exchanges carry. */
export const DISCOVERY_EXCHANGE_ID = '(discovery)';

/** Fetches and reads the metadata of `issuer`: the RFC 8414 document, else the OpenID one; throws a DiscoveryError when neither is. */
export async function discoverMetadata(issuer: string, options: DiscoverOptions): Promise<DiscoveredMetadata> {
  const read = await readIssuerMetadata(issuer, options);
  if (read.metadata === undefined) throw read.problem!;
  return read.metadata;
}

/**
 * Asks both well-known URLs of `issuer` at once and reads the first answer
 * that is its metadata document. A document that is not (a redirect, an
 * HTML page, another issuer's) is kept as `problem`, not thrown: a run that
 * has its token endpoint anyway judges it in the metadata checks. Throws
 * when the issuer is not an issuer URL, or when no URL answered at all and
 * none gave a document (the HTTP client's TargetUnreachableError).
 */
export async function readIssuerMetadata(issuer: string, options: DiscoverOptions): Promise<IssuerMetadata> {
  const parsed = checkIssuerUrl(issuer, options.allowInsecureHttp === true);
  const urls = wellKnownUrls(parsed);
  const http = new HttpClient({
    timeoutMs: options.timeoutMs,
    maxSockets: urls.length,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.pacer !== undefined ? { pacer: options.pacer } : {}),
  });
  // The proxy's credentials (decoded from the Basic value too) are the one secret on this path: whatever the
  // answer echoes of them (a hostile proxy answering for the target) is scrubbed before anything reads it.
  const secrets = new SecretSet(options.secrets ?? []);
  if (options.proxy?.authorization !== undefined) secrets.addAuthorization(options.proxy.authorization);
  // A shaped header (a gateway key) is a credential too, whatever the answer echoes of it.
  for (const [, value] of options.headers ?? []) secrets.add(value);
  try {
    const fetchOne = async ({ url, document }: (typeof urls)[number]) => ({ url, document, ...(await get(http, url, secrets, options)) });
    // Both at once, unless the run sends one request at a time (config concurrency 1).
    const fetched = (options.concurrency ?? urls.length) >= urls.length ? await Promise.all(urls.map(fetchOne)) : await sequentially(urls, fetchOne);
    const answers: WellKnownAnswer[] = fetched.map(({ url, document, exchange }) => {
      const body = exchange.response?.status === 200 && isPlainObject(exchange.response.body) ? exchange.response.body : undefined;
      return { url, document, exchange, ...(body !== undefined ? { body } : {}) };
    });
    const misses: string[] = [];
    for (const { url, document, exchange } of fetched) {
      const response = exchange.response;
      if (response === undefined) {
        misses.push(`${url}: ${exchange.error ?? 'no answer'}`);
        continue;
      }
      // Not there (another status, a redirect, a page that is no metadata document): the other document may be,
      // a server publishes one, the other, or both. Only a document that is JSON and says otherwise ends the search.
      if (response.status >= 300 && response.status < 400) {
        misses.push(redirected(url, response).message);
        continue;
      }
      if (response.status !== 200) {
        misses.push(`${url} answered ${response.status}`);
        continue;
      }
      try {
        return { issuer, answers, metadata: readMetadata(issuer, url, document, response) };
      } catch (error) {
        if (!(error instanceof DiscoveryError)) throw error;
        if (!NOT_A_DOCUMENT.has(error)) return { issuer, answers, problem: error };
        misses.push(error.message);
      }
    }
    // Nothing answered at all: the issuer cannot be reached (the first URL's error says why).
    const failure = fetched.find((f) => f.exchange.response === undefined)?.failure;
    if (failure !== undefined && fetched.every((f) => f.exchange.response === undefined)) throw failure;
    const rateLimited = fetched.some((f) => isRateLimited(f.exchange));
    return { issuer, answers, problem: new DiscoveryError(`no metadata for issuer ${issuer}: ${misses.join('; ')}`), ...(rateLimited ? { rateLimited } : {}) };
  } finally {
    http.close();
  }
}

async function sequentially<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await work(item));
  return out;
}

/**
 * One GET of a well-known URL, recorded as an exchange; a transport failure
 * is kept, for the caller to throw when nothing else answered. A 429 or 503
 * is resent once after the wait its Retry-After asks, within the bounds a
 * check keeps (rate-limit.ts).
 */
async function get(http: HttpClient, url: string, secrets: SecretSet, options: DiscoverOptions): Promise<{ exchange: Exchange; failure?: Error }> {
  const first = await getOnce(http, url, secrets, options);
  if (!isRateLimited(first.exchange)) return first;
  const limit = Math.min(DEFAULT_RETRY_AFTER_CAP_MS, options.timeoutMs);
  const asked = parseRetryAfter(first.exchange.response!.headers['retry-after']);
  if (asked !== undefined && asked > limit) return first;
  await interruptibleDelay(asked ?? Math.min(DEFAULT_RETRY_DELAY_MS, limit), options.signal);
  return getOnce(http, url, secrets, options);
}

async function getOnce(http: HttpClient, url: string, secrets: SecretSet, options: DiscoverOptions): Promise<{ exchange: Exchange; failure?: Error }> {
  // Shaped like every request of the run: a gateway in front of the server may refuse anything else.
  const request = { method: 'GET', url, headers: [['Accept', JSON_MEDIA_TYPE], ...(options.headers ?? []).map(([n, v]) => [n, v] as [string, string])] as Array<[string, string]> };
  options.onRequest?.(DISCOVERY_EXCHANGE_ID);
  const exchange: Exchange = { checkId: DISCOVERY_EXCHANGE_ID, request, oauth: false, nonceRetry: false };
  try {
    const answer = await http.send(request);
    exchange.response = { ...answer, headers: secrets.scrubValue(answer.headers) as WireResponse['headers'], rawHeaders: secrets.scrubValue(answer.rawHeaders) as WireResponse['rawHeaders'], body: secrets.scrubValue(answer.body), text: secrets.scrub(answer.text) };
    return { exchange };
  } catch (error) {
    if (!(error instanceof TargetUnreachableError)) throw error;
    exchange.error = error.reason;
    // A staging server behind a private CA is the usual case: say how to trust it, as the run's probe does.
    if (!(error instanceof ProxyTunnelError) && isCertificateProblem(error.reason)) {
      return { exchange, failure: new TargetUnreachableError(error.target, `${error.reason} (the TLS certificate is not trusted; give its CA with --ca-file, config "caFile")`, { cause: error }) };
    }
    return { exchange, failure: error };
  }
}

function redirected(url: string, response: WireResponse): DiscoveryError {
  const location = response.headers.location;
  let where = '';
  if (location !== undefined) {
    const target = URL.canParse(location, url) ? new URL(location, url) : undefined;
    const otherHost = target !== undefined && target.host !== new URL(url).host;
    where = target === undefined ? '' : ` to ${otherHost ? `another host (${target.host})` : shown(target.href)}`;
  }
  return new DiscoveryError(`metadata at ${url} redirects (${response.status}${where}); redirects are not followed: give the issuer the server names itself`);
}

/** A value of the target's, quoted: at most 200 characters, controls and reordering characters escaped (reporters/safe-text.ts). */
function shown(text: string): string {
  return JSON.stringify(printable(text.length > 200 ? `${text.slice(0, 200)}…` : text, { oneLine: true }));
}

/** The errors of an answer that is no metadata document at all (HTML, not JSON, too large): the next URL is tried. */
const NOT_A_DOCUMENT = new WeakSet<object>();

function readMetadata(issuer: string, url: string, document: MetadataDocument, response: WireResponse): DiscoveredMetadata {
  const bad = (why: string) => {
    const error = new DiscoveryError(`metadata at ${url} ${why}`);
    NOT_A_DOCUMENT.add(error);
    return error;
  };
  if (response.truncated === true) throw bad(`is too large (more than ${MAX_KEPT_BODY_BYTES / 1024} KiB)`);
  if (response.tooDeep === true) throw bad('is nested too deep to be read');
  const type = (response.headers['content-type'] ?? '').toLowerCase();
  if (typeof response.body === 'string' || response.body === undefined) {
    const html = type.includes('html') || /^\s*</.test(response.text);
    throw bad(html ? 'is an HTML page, not JSON: is the issuer right?' : `is not JSON${type ? ` (Content-Type ${shown(type)})` : ''}`);
  }
  const body = response.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('is not a JSON object (RFC 8414 §3.2)');
  const doc = body as Record<string, unknown>;
  // RFC 8414 §3.3: the issuer of the document is the one asked for, character for character; else it is not this issuer's.
  // A JSON object without an issuer is no metadata document (a catch-all answering every path with {}): the other URL is tried.
  if (typeof doc.issuer !== 'string') throw bad(`has no issuer, not ${JSON.stringify(issuer)}: no metadata document (RFC 8414 §3.3)`);
  if (doc.issuer !== issuer) {
    // A document that names another issuer is this server's answer: it ends the search (RFC 8414 §3.3: not to be used).
    throw new DiscoveryError(`metadata at ${url} names the issuer ${shown(doc.issuer)}, not ${JSON.stringify(issuer)} (RFC 8414 §3.3: they must be identical)`);
  }
  const out: DiscoveredMetadata = { issuer, metadataUrl: url, document, ignored: [] };
  const strings = (key: Exclude<keyof typeof METADATA_MEMBERS, 'tokenEndpoint' | 'mtlsEndpointAliases' | 'introspectionEndpoint'>) => {
    const value = doc[METADATA_MEMBERS[key]];
    if (value === undefined) return;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) out[key] = value as string[];
    else out.ignored.push(METADATA_MEMBERS[key]);
  };
  for (const key of ['tokenEndpoint', 'introspectionEndpoint'] as const) {
    const endpoint = doc[METADATA_MEMBERS[key]];
    if (typeof endpoint === 'string') out[key] = endpoint;
    else if (endpoint !== undefined) out.ignored.push(METADATA_MEMBERS[key]);
  }
  strings('tokenEndpointAuthMethods');
  strings('tokenEndpointAuthSigningAlgs');
  strings('dpopSigningAlgs');
  strings('grantTypes');
  strings('scopes');
  const aliases = doc[METADATA_MEMBERS.mtlsEndpointAliases];
  if (typeof aliases === 'object' && aliases !== null && !Array.isArray(aliases)) {
    out.mtlsEndpointAliases = Object.fromEntries(Object.entries(aliases).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } else if (aliases !== undefined) out.ignored.push(METADATA_MEMBERS.mtlsEndpointAliases);
  return out;
}

/**
 * Why a metadata introspection endpoint is not used, or undefined: it must
 * parse, carry no credentials or fragment, be https (loopback http for a
 * plain one), and belong to the same server (`sameServer` origins).
 */
function unusableIntrospection(value: string, mtls: boolean, sameServer: ReadonlySet<string>): string | undefined {
  if (!URL.canParse(value)) return 'not a URL';
  const url = new URL(value);
  if (url.username !== '' || url.password !== '' || url.hash !== '') return 'carries credentials or a fragment';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !mtls && isLoopbackHost(url.hostname))) return mtls ? 'not https (mutual TLS needs TLS)' : 'not https';
  if (!sameServer.has(url.origin)) return `on another origin (${url.origin}) than the token endpoint and the issuer: give introspectionUrl to use it`;
  return undefined;
}

/** An mTLS alias is one only when https (mutual TLS needs TLS); any other is meta-https's to report, not the run's to use. */
function httpsUrl(value: string | undefined): string | undefined {
  return value !== undefined && /^https:\/\//i.test(value) ? value : undefined;
}

/**
 * The config with what the metadata gives and the config lacks: `url` from
 * `token_endpoint`, DPoP enabled when `dpop_signing_alg_values_supported`
 * is present. A value the config gives always wins.
 */
export function applyDiscovery(config: ConformanceConfig, metadata: DiscoveredMetadata): { config: ConformanceConfig; discovery: DiscoveryInfo } {
  const origins: ValueOrigin[] = [];
  const next: ConformanceConfig = { ...config };
  if (config.url !== undefined) {
    if (metadata.tokenEndpoint !== undefined) origins.push({ member: 'url', source: 'config', from: METADATA_MEMBERS.tokenEndpoint });
  } else if (metadata.tokenEndpoint !== undefined) {
    next.url = metadata.tokenEndpoint;
    origins.push({ member: 'url', source: 'metadata', from: METADATA_MEMBERS.tokenEndpoint });
  } else {
    throw new DiscoveryError(`metadata at ${metadata.metadataUrl} has no token_endpoint: give the token endpoint (--url, config "url")`);
  }
  if (metadata.dpopSigningAlgs !== undefined) {
    if (config.dpop !== undefined) origins.push({ member: 'dpop', source: 'config', from: METADATA_MEMBERS.dpopSigningAlgs });
    else {
      next.dpop = { enabled: true };
      origins.push({ member: 'dpop', source: 'metadata', from: METADATA_MEMBERS.dpopSigningAlgs });
    }
    // The run's proof key takes an algorithm the server lists (RFC 9449 §5.1): ES256 when listed, else the first listed one
    // the suite can generate. A config that names one keeps it; a server listing none of them keeps ES256 (meta-dpop-algs says so).
    const dpop = next.dpop;
    const given = typeof dpop === 'object' ? dpop.alg : undefined;
    const usable = typeof dpop === 'object' ? dpop.disabled !== true && dpop.enabled !== false : dpop === true;
    if (given !== undefined) origins.push({ member: 'dpop.alg', source: 'config', from: METADATA_MEMBERS.dpopSigningAlgs });
    else if (usable) {
      const alg = metadata.dpopSigningAlgs.includes('ES256') ? undefined : DPOP_KEY_ALGORITHMS.find((a) => metadata.dpopSigningAlgs!.includes(a));
      if (alg !== undefined) {
        next.dpop = { ...(typeof dpop === 'object' ? dpop : { enabled: true }), alg };
        origins.push({ member: 'dpop.alg', source: 'metadata', from: METADATA_MEMBERS.dpopSigningAlgs });
      }
    }
  }
  // RFC 8705 §5: requests with a client certificate go to the alias of the token endpoint, when the server names one.
  const alias = httpsUrl(metadata.mtlsEndpointAliases?.[METADATA_MEMBERS.tokenEndpoint]);
  if (alias !== undefined && URL.canParse(alias)) {
    if (config.mtlsUrl !== undefined) origins.push({ member: 'mtlsUrl', source: 'config', from: `${METADATA_MEMBERS.mtlsEndpointAliases}.token_endpoint` });
    else {
      next.mtlsUrl = alias;
      origins.push({ member: 'mtlsUrl', source: 'metadata', from: `${METADATA_MEMBERS.mtlsEndpointAliases}.token_endpoint` });
    }
  }
  // RFC 7662: where the run asks what an opaque token is bound to (mtls-bound, dpop-jkt), authenticated as the client with its
  // credentials and the access token: only an endpoint of the same server (the token endpoint's or the issuer's origin; for
  // the mTLS alias also the mTLS token endpoint's) is used, never one a document sends to another host.
  const serverOrigins = new Set([metadata.issuer, next.url].flatMap((u) => (u !== undefined && URL.canParse(u) ? [new URL(u).origin] : [])));
  const introspection: ReadonlyArray<readonly ['introspectionUrl' | 'mtlsIntrospectionUrl', string | undefined, string, boolean]> = [
    ['introspectionUrl', metadata.introspectionEndpoint, METADATA_MEMBERS.introspectionEndpoint, false],
    ['mtlsIntrospectionUrl', metadata.mtlsEndpointAliases?.[METADATA_MEMBERS.introspectionEndpoint], `${METADATA_MEMBERS.mtlsEndpointAliases}.${METADATA_MEMBERS.introspectionEndpoint}`, true],
  ];
  for (const [member, value, from, mtls] of introspection) {
    if (value === undefined) continue;
    if (config[member] !== undefined) {
      origins.push({ member, source: 'config', from });
      continue;
    }
    const sameServer = new Set(mtls && next.mtlsUrl !== undefined && URL.canParse(next.mtlsUrl) ? [...serverOrigins, new URL(next.mtlsUrl).origin] : serverOrigins);
    const why = unusableIntrospection(value, mtls, sameServer);
    if (why !== undefined) origins.push({ member, source: 'ignored', from, why });
    else {
      next[member] = value;
      origins.push({ member, source: 'metadata', from });
    }
  }
  return { config: next, discovery: { issuer: metadata.issuer, metadataUrl: metadata.metadataUrl, origins } };
}


/**
 * The metadata of a config's `issuer`, fetched the way the run sends its
 * requests: its timeout, CA file and proxy (config `proxy`, else the
 * environment's for the issuer's URL).
 */
export async function fetchIssuerMetadata(
  config: ConformanceConfig & { issuer: string },
  options: { env: NodeJS.ProcessEnv; baseDir: string; signal?: AbortSignal; pacer?: Pacer; onRequest?: (checkId: string) => void },
): Promise<IssuerMetadata> {
  const allowInsecureHttp = config.allowInsecureHttp === true;
  const issuerUrl = checkIssuerUrl(config.issuer, allowInsecureHttp);
  const route = resolveProxy(config.proxy, issuerUrl, options.env, true);
  const proxy: HttpProxy | undefined = route === undefined ? undefined : { url: route.url, ...(route.credentials ? { authorization: route.credentials.authorization } : {}) };
  const headers = resolveHeaders(config.headers, 'headers', options.env);
  return readIssuerMetadata(config.issuer, {
    secrets: configSecrets(config, options.env).merge(headers.map(([, value]) => value)),
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    allowInsecureHttp,
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    headers,
    ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
    ...(config.caFile !== undefined ? { ca: await loadCaFile(config.caFile, options.baseDir) } : {}),
    ...(proxy !== undefined ? { proxy } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.pacer !== undefined ? { pacer: options.pacer } : {}),
  });
}

/**
 * The client secrets a config names (as given, or read from the
 * environment) and its clients' private JWKs: known before anything is
 * resolved, so whatever a metadata answer echoes of them is scrubbed.
 */
function configSecrets(config: ConformanceConfig, env: NodeJS.ProcessEnv): SecretSet {
  const secrets = new SecretSet();
  for (const client of [...(config.clients ?? []), ...(config.unauthorizedClient ? [config.unauthorizedClient] : [])]) {
    secrets.add(client.secret).add(client.secretEnv !== undefined ? env[client.secretEnv] : undefined);
    if (typeof client.privateKey === 'object') secrets.addJwk(client.privateKey);
    // A certificate key given inline (a path is no secret; the file is read later).
    if (client.certificateKey?.includes('-----BEGIN') === true) secrets.add(client.certificateKey);
  }
  return secrets;
}

/**
 * A config with an issuer, resolved against its metadata (the config's own
 * values winning); without one, as it is. Metadata that cannot be used ends
 * the run (DiscoveryError) only when the run needs it for its token
 * endpoint: with a `url`, the metadata checks judge it instead.
 */
export async function resolveIssuer(
  config: ConformanceConfig,
  options: { env: NodeJS.ProcessEnv; baseDir: string; signal?: AbortSignal; pacer?: Pacer; onRequest?: (checkId: string) => void },
): Promise<{ config: ConformanceConfig; discovery?: DiscoveryInfo; metadata?: IssuerMetadata }> {
  if (config.issuer === undefined) return { config };
  const metadata = await fetchIssuerMetadata({ ...config, issuer: config.issuer }, options);
  if (metadata.metadata === undefined) {
    if (config.url === undefined) throw metadata.problem!;
    return { config, discovery: { issuer: config.issuer, metadataUrl: metadata.answers[0]!.url, origins: [], unusable: metadata.problem!.message }, metadata };
  }
  return { ...applyDiscovery(config, metadata.metadata), metadata };
}
