/**
 * The one place a JWK thumbprint is computed: RFC 7638 with SHA-256, the
 * value of a DPoP-bound token's `cnf.jkt` (RFC 9449 §6.1). Only the
 * required members count (RFC 7638 §3.2), so a private JWK has the same
 * thumbprint as its public half.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';

export function sha256Thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}
