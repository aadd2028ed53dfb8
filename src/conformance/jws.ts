/**
 * The signed artefacts a check sends, built by the harness (src/harness owns
 * DPoP proofs, client assertions, Basic credentials and thumbprints; every
 * JOSE operation there goes through jose). This module only adds what a
 * check plan needs on top: "send this exact text" and "the run's current
 * nonce unless the plan says otherwise".
 */
import type { JWK } from 'jose';
import { createDpopProof, type DpopProofOverrides } from '../harness/dpop-proof';
import { createClientAssertion, type ClientAssertionOverrides } from '../harness/client-assertion';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, importSigningKey, jwkThumbprint, type DpopKey, type DpopKeyAlgorithm } from '../harness/keys';

export { basicAuthorization } from '../harness/basic';
export { decodeAccessToken } from '../harness/access-token';
export { DPOP_KEY_ALGORITHMS, generateDpopKey, importSigningKey, jwkThumbprint, type DpopKey, type DpopKeyAlgorithm };

/** A DPoP proof plan: the harness's negative overrides, or `raw` text that is not a JWS at all. */
export interface ProofSpec extends DpopProofOverrides {
  raw?: string;
}

export type AssertionSpec = ClientAssertionOverrides;

/** Builds a proof for one request; `spec.nonce === undefined` means "the run's current nonce, if any". */
export async function createProof(key: DpopKey, base: { htm: string; htu: string; nonce?: string }, spec: ProofSpec = {}): Promise<string> {
  const { raw, htm, htu, nonce, ...overrides } = spec;
  if (raw !== undefined) return raw;
  return createDpopProof({
    ...overrides,
    key,
    htm: htm ?? base.htm,
    htu: htu ?? base.htu,
    nonce: nonce === undefined ? base.nonce : nonce,
  });
}

export function createAssertion(key: DpopKey, base: { clientId: string; audience: string }, spec: AssertionSpec = {}): Promise<string> {
  return createClientAssertion({ audience: base.audience, ...spec, clientId: base.clientId, key });
}

export function importClientKey(privateJwk: JWK, alg?: string): Promise<DpopKey> {
  return importSigningKey(privateJwk, alg);
}
