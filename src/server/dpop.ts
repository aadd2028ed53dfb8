/**
 * DPoP proof verification at the token endpoint, item by item as RFC 9449
 * §4.3 lists them, plus the server nonce of §8. Each failure names the item
 * it broke, so a client developer sees what to fix.
 */
import { EmbeddedJWK, decodeProtectedHeader, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { USE_DPOP_NONCE } from '../oauth/dpop-nonce';
import { DPOP_NONCE_HEADER, DPOP_PROOF_TYPE, PRIVATE_JWK_MEMBERS } from '../oauth/protocol';
import { sha256Thumbprint } from '../oauth/thumbprint';
import { DPOP_ALGORITHMS, rsaModulusBits, type ResolvedServerConfig } from './config';
import { TokenEndpointError, describeJoseFailure, echo, invalidDpopProof, replayCacheFull } from './errors';
import { htuMatches } from './htu';
import type { DpopNonces } from './nonce';
import type { ReplayCache } from './replay-cache';

export interface DpopContext {
  config: ResolvedServerConfig;
  /** Token endpoint URLs in `normalizeHtu` form. */
  endpoints: ReadonlySet<string>;
  nonces: DpopNonces;
  replay: ReplayCache;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's `jwk` (RFC 9449 §6.1 `cnf.jkt`). */
  jkt: string;
  /**
   * Replay-cache key and expiry, committed once the whole request is valid.
   * The expiry is the end of the iat window (§11.1): after it the proof is
   * refused as too old, so the entry is no longer needed.
   */
  replayKey: string;
  replayExpiresAt: number;
  /** A nonce from the previous rotation was used: send the current one back (§8.2). */
  nonceStale: boolean;
}

// The signature may be empty here so that alg "none" is reported as such (item 5).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const ALGORITHMS: readonly string[] = DPOP_ALGORITHMS;

export async function verifyDpopProof(proof: string, context: DpopContext): Promise<VerifiedDpopProof> {
  // Item 2: one well-formed JWT (a joined "p1, p2" value is not).
  if (!COMPACT_JWS.test(proof)) throw invalidDpopProof('not a single compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidDpopProof('malformed JWS header');
  }
  // Item 4: typ is exactly dpop+jwt.
  if (header.typ !== DPOP_PROOF_TYPE) throw invalidDpopProof(`typ must be ${DPOP_PROOF_TYPE}`);
  // Item 5: an asymmetric algorithm, never none or HMAC (§4.2).
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) {
    throw invalidDpopProof(`alg must be one of ${ALGORITHMS.join(', ')}`);
  }
  // Items 3 and 7: a public jwk in the header.
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidDpopProof('missing jwk header');
  if (jwk.kty === 'oct' || PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) throw invalidDpopProof('jwk must be a public key');
  if (jwk.kty === 'RSA' && rsaModulusBits(jwk) < 2048) throw invalidDpopProof('RSA jwk must be at least 2048 bits');
  // RFC 7515 §4.1.11: no extension is understood here, so any crit fails.
  if (header.crit !== undefined) throw invalidDpopProof('unsupported critical header (crit)');

  const now = context.config.clock();
  let payload: JWTPayload;
  try {
    // Item 6: the signature verifies with the jwk of the header.
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms: [...ALGORITHMS],
      typ: DPOP_PROOF_TYPE,
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw invalidDpopProof(describeJoseFailure(error, 'proof', 'the jwk header'));
  }

  // Item 3: required claims.
  if (typeof payload.jti !== 'string' || payload.jti === '') throw invalidDpopProof('missing jti');
  // Item 8: htm matches the method, case-sensitively.
  if (payload.htm !== 'POST') throw invalidDpopProof(typeof payload.htm === 'string' ? `htm ${echo(payload.htm)} is not POST` : 'missing htm');
  // Item 9: htu matches the token endpoint on scheme, host, port and path.
  if (typeof payload.htu !== 'string') throw invalidDpopProof('missing htu');
  if (!htuMatches(payload.htu, context.endpoints)) throw invalidDpopProof('htu does not match the token endpoint URL');
  // Item 11: iat within the window, both ways (§11.1).
  if (typeof payload.iat !== 'number') throw invalidDpopProof('missing iat');
  const skew = payload.iat - now / 1000;
  const window = context.config.iatWindowSeconds;
  if (skew < -window) throw invalidDpopProof(`proof expired: iat is more than ${window} s in the past`);
  if (skew > window) throw invalidDpopProof(`iat is more than ${window} s in the future`);

  // Item 10: the server nonce, checked last so a broken proof is reported as such.
  let nonceStale = false;
  if (context.config.requireNonce) {
    if (typeof payload.nonce !== 'string') throw useDpopNonce(context, 'DPoP nonce required');
    const state = context.nonces.check(payload.nonce);
    if (state === 'invalid') throw useDpopNonce(context, 'DPoP nonce is stale or unknown');
    nonceStale = state === 'stale';
  }

  const jkt = await sha256Thumbprint(jwk);
  const replayKey = `${jkt}\u0000${payload.jti}`;
  if (context.replay.has(replayKey)) throw invalidDpopProof('jti was already used (replay)');
  return { jkt, replayKey, replayExpiresAt: (payload.iat + window + 1) * 1000, nonceStale };
}

/** Records the proof's jti; a concurrent request that got there first makes this a replay. */
export function commitDpopProof(proof: VerifiedDpopProof, context: DpopContext): void {
  const outcome = context.replay.add(proof.replayKey, proof.replayExpiresAt);
  if (outcome === 'replay') throw invalidDpopProof('jti was already used (replay)');
  if (outcome === 'full') throw replayCacheFull(context.replay.retryAfterSeconds());
}

/** RFC 9449 §8: 400 use_dpop_nonce with a fresh nonce in `DPoP-Nonce`. */
function useDpopNonce(context: DpopContext, description: string): TokenEndpointError {
  return new TokenEndpointError(USE_DPOP_NONCE, description, { headers: { [DPOP_NONCE_HEADER]: context.nonces.current() } });
}
