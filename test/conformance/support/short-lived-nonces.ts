/**
 * A mutation for the mutating proxy that turns the reference server (started
 * without a nonce requirement) into a server with short-lived DPoP nonces
 * (RFC 9449 §8, §8.2): each nonce admits `uses` token requests, then it is
 * spent. The nonce is judged last, as attesto does (RFC 9449 §4.3 lets a
 * server check in any order): an answer the reference server refuses for
 * another reason passes through; a token it would issue for a proof whose
 * nonce is missing, unknown or spent becomes 400 use_dpop_nonce.
 *
 * - `fresh-per-answer`: every answer to a DPoP request carries a new nonce
 *   of its own (so concurrent clients each get one, and a nonce the run
 *   shares is soon spent by whoever uses it first).
 * - `shared`: one current nonce for everyone, replaced once spent; a token
 *   response carries `DPoP-Nonce` always (`sendOnSuccess: 'always'`) or only
 *   when it hands out the replacement (`'when-new'`), as a server that
 *   rotates "every N uses" might.
 */
import { randomBytes } from 'node:crypto';
import { dpopProofs, errorResponse, proofClaims, withHeader, type Mutation, type ProxyRequest, type ProxyResponse } from './mutating-proxy';

export interface NonceGateOptions {
  uses: number;
  mode: 'fresh-per-answer' | 'shared';
  sendOnSuccess?: 'always' | 'when-new';
}

export interface NonceGate extends Mutation {
  /** Token requests refused with use_dpop_nonce, by why. */
  readonly refused: { missing: number; unknown: number; spent: number };
  /** Token requests admitted by their nonce. */
  admitted: number;
  /** The next `n` nonces presented are treated as spent by a concurrent client that got there first. */
  steal(n: number): void;
}

const newNonce = () => randomBytes(12).toString('base64url');

export function shortLivedNonces(options: NonceGateOptions): NonceGate {
  const left = new Map<string, number>();
  let current: string | undefined;
  let toSteal = 0;
  const issue = (): string => {
    const nonce = newNonce();
    left.set(nonce, options.uses);
    return nonce;
  };
  const currentNonce = (): string => (current ??= issue());
  const gate: NonceGate = {
    refused: { missing: 0, unknown: 0, spent: 0 },
    admitted: 0,
    steal(n) {
      toSteal = n;
    },
    arrive(req: ProxyRequest) {
      const nonce = proofClaims(req)?.nonce;
      if (toSteal > 0 && typeof nonce === 'string' && (left.get(nonce) ?? 0) > 0) {
        toSteal -= 1;
        left.set(nonce, 0);
        if (nonce === current) current = undefined;
      }
    },
    response(res: ProxyResponse, req: ProxyRequest): ProxyResponse | void {
      if (req.method !== 'POST' || dpopProofs(req).length === 0) return undefined;
      const fresh = () => (options.mode === 'fresh-per-answer' ? issue() : currentNonce());
      if (res.status !== 200) return withHeader(res, 'DPoP-Nonce', fresh());
      const nonce = proofClaims(req)?.nonce;
      const remaining = typeof nonce === 'string' ? left.get(nonce) : undefined;
      if (remaining === undefined || remaining === 0) {
        if (typeof nonce !== 'string') gate.refused.missing += 1;
        else if (remaining === undefined) gate.refused.unknown += 1;
        else gate.refused.spent += 1;
        return errorResponse(400, 'use_dpop_nonce', 'a new DPoP nonce is required', [['DPoP-Nonce', fresh()]]);
      }
      gate.admitted += 1;
      left.set(nonce as string, remaining - 1);
      if (options.mode === 'fresh-per-answer') return withHeader(res, 'DPoP-Nonce', issue());
      if (remaining - 1 === 0 && nonce === current) {
        current = undefined;
        return withHeader(res, 'DPoP-Nonce', currentNonce());
      }
      return options.sendOnSuccess === 'always' ? withHeader(res, 'DPoP-Nonce', currentNonce()) : undefined;
    },
  };
  return gate;
}
