/**
 * The signed artefacts a check sends, built by the shared OAuth layer
 * (src/oauth owns DPoP proofs, client assertions and keys; every JOSE
 * operation there goes through jose). This module only adds what a check
 * plan needs on top: "send this exact text" and "the run's current nonce
 * unless the plan says otherwise".
 */
import type { JWK } from 'jose';
import { createClientAssertion, type ClientAssertionOverrides } from '../oauth/client-assertion';
import { createDpopProof, type DpopProofOverrides } from '../oauth/dpop-proof';
import { importSigningKey, type SigningKey } from '../oauth/keys';

export { decodeAccessToken } from '../oauth/access-token';
export { nowSeconds } from '../oauth/jws';
export { DPOP_KEY_ALGORITHMS, generateDpopKey, type DpopKeyAlgorithm, type SigningKey } from '../oauth/keys';

/** A DPoP proof plan: the harness's negative overrides, or `raw` text that is not a JWS at all. */
export interface ProofSpec extends DpopProofOverrides {
  raw?: string;
  /** A whole other key than the run's (its `jwk` header and its signature): a valid proof of someone else's key. */
  key?: SigningKey;
}

export type AssertionSpec = ClientAssertionOverrides;

/** Builds a proof for one request; `spec.nonce === undefined` means "the run's current nonce, if any". */
export async function createProof(key: SigningKey, base: { htm: string; htu: string; nonce?: string | undefined }, spec: ProofSpec = {}): Promise<string> {
  const { raw, htm, htu, nonce, key: own, ...overrides } = spec;
  if (raw !== undefined) return raw;
  return createDpopProof({
    ...overrides,
    key: own ?? key,
    htm: htm ?? base.htm,
    htu: htu ?? base.htu,
    nonce: nonce === undefined ? base.nonce : nonce,
  });
}

export function createAssertion(key: SigningKey, base: { clientId: string; audience: string }, spec: AssertionSpec = {}): Promise<string> {
  return createClientAssertion({ audience: base.audience, ...spec, clientId: base.clientId, key });
}

export function importClientKey(privateJwk: JWK, alg?: string): Promise<SigningKey> {
  return importSigningKey(privateJwk, alg);
}
