/**
 * The one place a JWK thumbprint is computed: RFC 7638 with SHA-256, the
 * value of a DPoP-bound token's `cnf.jkt` (RFC 9449 §6.1). Only the
 * required members count (RFC 7638 §3.2), so a private JWK has the same
 * thumbprint as its public half.
 *
 * jose is loaded on the first call, not with this module: the matchers load
 * it (through src/validate/thumbprint.ts) on every test file, and most never
 * compute a thumbprint.
 */
import type { JWK } from 'jose';

export async function sha256Thumbprint(jwk: JWK): Promise<string> {
  const { calculateJwkThumbprint } = await import('jose');
  return calculateJwkThumbprint(jwk, 'sha256');
}
