/**
 * The DPoP nonce policy (RFC 9449 §8), one rule for the harness and the
 * suite: which nonce is current, and when an answer asks the client to try
 * again with a new one.
 */
import { isPlainObject } from './guards';
import { USE_DPOP_NONCE } from './protocol';

export { USE_DPOP_NONCE };

/**
 * The nonce a response hands out. RFC 9449 §8.2: a server may send a fresh
 * `DPoP-Nonce` on any response, errors and token responses alike, and the
 * client uses the latest. Two header fields joined by the HTTP client
 * (`a, b`) are no nonce: a real one is `1*NQCHAR` (§8.1) and holds no space.
 * Any other non-empty value is used as the server sent it: judging its
 * grammar is the checks' job (`nonce-missing`, `isNonce`), so a malformed
 * nonce is reported once, not as a failure of every DPoP check after it.
 */
export function nonceOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || header.includes(', ')) return undefined;
  return header;
}

/**
 * The nonce to retry with when an answer is a nonce challenge: `error:
 * use_dpop_nonce` with a `DPoP-Nonce` (RFC 9449 §8: 400 at the token
 * endpoint; 401 is what resource servers send, §9, and is accepted too).
 * `undefined` when the answer is anything else.
 */
export function nonceChallenge(response: { status: number; body: unknown; nonceHeader: string | undefined }): string | undefined {
  if (response.status !== 400 && response.status !== 401) return undefined;
  if (!isPlainObject(response.body) || response.body.error !== USE_DPOP_NONCE) return undefined;
  return nonceOf(response.nonceHeader);
}

/**
 * How many times one request is retried on nonce challenges, at most: the one
 * bound of the harness and the suite. A server may give each nonce a short
 * life (single use, or N uses, RFC 9449 §8.2), so the nonce a retry carries
 * can be spent by a concurrent request before it arrives; each further
 * challenge that hands out a fresh nonce earns another retry, up to this.
 */
export const MAX_NONCE_RETRIES = 3;

/**
 * The nonce to retry with, or `undefined` to stop: the answer is a nonce
 * challenge ({@link nonceChallenge}) whose nonce differs from `sent`, the one
 * the refused proof carried (retrying with the nonce just refused cannot
 * help), and fewer than `max` retries were made. Each retry is a new request:
 * a fresh proof (new `jti`) and, where one is used, a fresh client assertion.
 */
export function retryNonce(
  response: { status: number; body: unknown; nonceHeader: string | undefined },
  sent: string | undefined,
  retriesSoFar: number,
  max: number = MAX_NONCE_RETRIES,
): string | undefined {
  if (retriesSoFar >= max) return undefined;
  const nonce = nonceChallenge(response);
  return nonce === undefined || nonce === sent ? undefined : nonce;
}

/** The latest nonce a target sent (RFC 9449 §8.2). */
export class NonceTracker {
  private latest: string | undefined;

  get current(): string | undefined {
    return this.latest;
  }

  /** Remembers the nonce a response carries, if any; other responses leave the current one. */
  observe(header: string | undefined): void {
    const nonce = nonceOf(header);
    if (nonce !== undefined) this.latest = nonce;
  }

  /** Replaces or forgets the nonce (a caller provoking `use_dpop_nonce`). */
  set(nonce: string | undefined): void {
    this.latest = nonce;
  }
}
