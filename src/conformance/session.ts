/**
 * State shared by the checks of one run: the resolved configuration, the
 * HTTP client, the DPoP key, the latest server nonce, the journal of every
 * exchange (observer checks read it) and every secret seen, so nothing the
 * user may read carries one.
 */
import { exportJWK, type JWK } from 'jose';
import { InternalError } from '../errors';
import { HttpClient } from './http';
import type { ResolvedClient, ResolvedConfig } from './config';
import { generateDpopKey, importClientKey, type DpopKey } from './jws';
import type { Exchange } from './check-run';

const SECRET_MEMBERS = ['access_token', 'refresh_token', 'id_token'] as const;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

export class Session {
  readonly http: HttpClient;
  readonly journal: Exchange[] = [];
  readonly secrets = new Set<string>();
  /** Observer of every request sent (benchmarks count them). */
  onRequest: ((checkId: string) => void) | undefined;
  /** The latest `DPoP-Nonce` the server sent (RFC 9449 §8, §8.2). */
  nonce: string | undefined;
  private dpopKeyPromise: Promise<DpopKey> | undefined;
  private readonly clientKeys = new Map<string, Promise<DpopKey>>();

  constructor(readonly config: ResolvedConfig) {
    this.http = new HttpClient({ timeoutMs: config.timeoutMs, maxSockets: config.concurrency, ...(config.ca !== undefined ? { ca: config.ca } : {}) });
    for (const client of [...config.clients, ...(config.unauthorizedClient ? [config.unauthorizedClient] : [])]) {
      if (client.secret) this.addSecret(client.secret);
      if (client.privateJwk) this.addJwkSecrets(client.privateJwk);
    }
  }

  /** The run's DPoP key, generated once (ES256, as RFC 9449's examples). */
  dpopKey(): Promise<DpopKey> {
    this.dpopKeyPromise ??= generateDpopKey('ES256').then(async (key) => {
      this.addJwkSecrets(await exportJWK(key.privateKey));
      return key;
    });
    return this.dpopKeyPromise;
  }

  clientKey(client: ResolvedClient): Promise<DpopKey> {
    if (!client.privateJwk) throw new InternalError(`client ${client.id} has no private key`);
    const cacheKey = `${client.id}\u0000${client.auth}`;
    let key = this.clientKeys.get(cacheKey);
    if (!key) {
      key = importClientKey(client.privateJwk, client.alg);
      this.clientKeys.set(cacheKey, key);
    }
    return key;
  }

  addSecret(value: string | undefined): void {
    if (typeof value !== 'string' || value.length < 4) return;
    this.secrets.add(value);
    // A server may echo the value as it travelled: percent- or form-encoded.
    const form = new URLSearchParams({ v: value }).toString().slice(2);
    if (form !== value) this.secrets.add(form);
    const percent = encodeURIComponent(value);
    if (percent !== value) this.secrets.add(percent);
  }

  /** Secrets an `Authorization` header carries: the whole credential and, for Basic, the decoded secret. */
  addAuthorization(value: string): void {
    const credential = /^\S+\s+(.+)$/.exec(value)?.[1];
    this.addSecret(credential);
  }

  addResponseSecrets(body: unknown): void {
    if (body === null || typeof body !== 'object') return;
    for (const member of SECRET_MEMBERS) this.addSecret((body as Record<string, unknown>)[member] as string | undefined);
  }

  addJwkSecrets(jwk: JWK | Record<string, unknown>): void {
    for (const member of PRIVATE_JWK_MEMBERS) this.addSecret((jwk as Record<string, unknown>)[member] as string | undefined);
  }

  close(): void {
    this.http.close();
  }
}
