/**
 * State shared by the checks of one run: the resolved configuration, the
 * HTTP client, the DPoP key, the latest server nonce, the journal of every
 * exchange (observer checks read it), who owns which core problem, and
 * every secret seen, so nothing the user may read carries one.
 */
import { InternalError } from '../errors';
import { NonceTracker } from '../oauth/dpop-nonce';
import { SecretSet } from '../oauth/secrets';
import type { ResolvedClient, ResolvedConfig } from './config';
import type { Exchange } from './exchange';
import { HttpClient } from './http';
import { Pacer } from './pacing';
import { DEFAULT_RETRY_AFTER_CAP_MS } from './rate-limit';
import type { OwnershipIndex } from './ownership';
import type { GrantSources } from './grant-sources';
import type { IssuerMetadata } from './discovery';
import { generateDpopKey, importClientKey, type SigningKey } from './signing';

export class Session {
  readonly http: HttpClient;
  readonly journal: Exchange[] = [];
  readonly secrets = new SecretSet();
  /** The latest `DPoP-Nonce` the server sent (RFC 9449 §8, §8.2). */
  readonly nonces = new NonceTracker();
  /** Where the lifecycle checks get codes and refresh tokens (grant-sources.ts); set by the runner. */
  sources: GrantSources = {};
  /** How messages name each source (`grants.authorizationCode.command`, the function given, the reference server's /authorize). */
  sourceNames: { authorizationCode?: string; refreshToken?: string } = {};
  /** What the issuer's well-known URLs answered (config `issuer`; the reference server's in the default run): the metadata checks judge it. */
  metadata: IssuerMetadata | undefined;
  /** Observer of every request sent (benchmarks count them). */
  onRequest: ((checkId: string) => void) | undefined;
  /** The longest a check waits for a 429/503's Retry-After before its one resend (rate-limit.ts); the request timeout bounds it too. */
  retryAfterCapMs = DEFAULT_RETRY_AFTER_CAP_MS;
  private dpopKeyPromise: Promise<SigningKey> | undefined;
  private readonly clientKeys = new Map<string, Promise<SigningKey>>();

  /** Paces every request of the session (config `rate`); shared by the sessions of one run. */
  readonly pacer: Pacer | undefined;

  constructor(
    readonly config: ResolvedConfig,
    readonly owners: OwnershipIndex,
    pacer?: Pacer,
    /** The run's stop signal (RunOptions.signal): waits and requests in flight end at once (interrupt.ts). */
    readonly signal?: AbortSignal,
  ) {
    this.checkSignal = signal ? AbortSignal.any([signal, this.halting.signal]) : this.halting.signal;
    this.pacer = pacer ?? (config.rate !== undefined ? new Pacer(config.rate) : undefined);
    this.http = new HttpClient({
      timeoutMs: config.timeoutMs,
      maxSockets: config.concurrency,
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      ...(this.pacer !== undefined ? { pacer: this.pacer } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(config.proxy !== undefined ? { proxy: { url: config.proxy.url, ...(config.proxy.credentials ? { authorization: config.proxy.credentials.authorization } : {}) } } : {}),
    });
    for (const client of [...config.clients, ...(config.unauthorizedClient ? [config.unauthorizedClient] : [])]) {
      this.secrets.add(client.secret).addJwk(client.privateJwk);
      for (const [, value] of client.headers) this.secrets.add(value);
      // A client certificate's private key, as given (PEM) and as its one-line body.
      if (client.certificate !== undefined) this.secrets.add(client.certificate.key).add(client.certificate.key.replace(/-----[^-]+-----|\s/g, ''));
    }
    // A shaped header (a gateway key) is a credential whether it came from the environment or the file.
    for (const [, value] of config.headers) this.secrets.add(value);
    // The proxy's password, as given (percent-encoded in the URL) and decoded, and the Basic credential it makes, raw and decoded.
    const proxyCredentials = config.proxy?.credentials;
    if (proxyCredentials !== undefined) this.secrets.addAuthorization(proxyCredentials.authorization).add(proxyCredentials.password).add(proxyCredentials.rawPassword);
  }

  private readonly halting = new AbortController();
  /**
   * What a check's own waits listen to (a window it waits out, a code
   * source): the user's stop, and halt(). Aborted, they end at once.
   */
  readonly checkSignal: AbortSignal;

  /** The run cannot go on (an unreachable target, a broken code source): requests and waits in flight end now. */
  halt(): void {
    this.halting.abort();
    this.http.halt();
  }

  /** The latest nonce the server sent. */
  get nonce(): string | undefined {
    return this.nonces.current;
  }

  /** The run's DPoP key, generated once (config dpop.alg: ES256 unless the issuer's metadata lists others only). */
  dpopKey(): Promise<SigningKey> {
    this.dpopKeyPromise ??= generateDpopKey(this.config.dpop.alg).then(async (key) => {
      this.secrets.addJwk(await exportPrivateJwk(key));
      return key;
    });
    return this.dpopKeyPromise;
  }

  clientKey(client: ResolvedClient): Promise<SigningKey> {
    if (!client.privateJwk) throw new InternalError(`client ${client.id} has no private key`);
    const cacheKey = `${client.id}\u0000${client.auth}`;
    let key = this.clientKeys.get(cacheKey);
    if (!key) {
      key = importClientKey(client.privateJwk, client.alg ?? listedAssertionAlg(client.privateJwk, this.metadata?.metadata?.tokenEndpointAuthSigningAlgs));
      this.clientKeys.set(cacheKey, key);
    }
    return key;
  }

  close(): void {
    this.http.close();
  }
}

/** RSA keys sign with PS256 by default (keys.ts algorithmForJwk); preferred next, in this order, when the metadata lists them instead. */
const RSA_ASSERTION_ALGS = ['PS256', 'RS256', 'PS384', 'RS384', 'PS512', 'RS512'];

/**
 * The assertion algorithm for a key without a configured `alg`: its default,
 * unless the issuer's metadata lists other algorithms only
 * (token_endpoint_auth_signing_alg_values_supported, RFC 8414 §2) and one of
 * them suits the key (an RSA key: the RS and PS family). Undefined: the default.
 */
function listedAssertionAlg(jwk: NonNullable<ResolvedClient['privateJwk']>, listed: readonly string[] | undefined): string | undefined {
  if (listed === undefined || jwk.kty !== 'RSA' || typeof jwk.alg === 'string') return undefined;
  if (listed.includes(RSA_ASSERTION_ALGS[0]!)) return undefined;
  return RSA_ASSERTION_ALGS.find((alg) => listed.includes(alg));
}

async function exportPrivateJwk(key: SigningKey): Promise<unknown> {
  const { privateJwkOf } = await import('../oauth/keys');
  return privateJwkOf(key);
}
