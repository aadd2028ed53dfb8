/** The catalogue: every check, in checklist order. */
import type { Check } from './define';
import { AUTHORIZATION_CODE_CHECKS } from './authorization-code';
import { REFRESH_TOKEN_CHECKS } from './refresh-token';
import { CLIENT_AUTH_CHECKS } from './client-auth';
import { DPOP_NONCE_CHECKS } from './dpop-nonce';
import { DPOP_PROOF_CHECKS } from './dpop-proof';
import { DPOP_SUCCESS_CHECKS } from './dpop-success';
import { GRANT_SCOPE_CHECKS } from './grant-scope';
import { SENDER_CONSTRAINT_CHECKS } from './sender-constraint';
import { SUCCESS_CHECKS } from './success';
import { TRANSPORT_CHECKS } from './transport';
import { METADATA_CHECKS } from './metadata';
import { METADATA_TRUTH_CHECKS } from './metadata-truth';
import { MTLS_CHECKS } from './mtls';

export const CHECKS: readonly Check[] = Object.freeze([
  ...SUCCESS_CHECKS,
  ...TRANSPORT_CHECKS,
  ...CLIENT_AUTH_CHECKS,
  ...GRANT_SCOPE_CHECKS,
  ...DPOP_SUCCESS_CHECKS,
  ...DPOP_PROOF_CHECKS,
  ...DPOP_NONCE_CHECKS,
  ...SENDER_CONSTRAINT_CHECKS,
  ...AUTHORIZATION_CODE_CHECKS,
  ...REFRESH_TOKEN_CHECKS,
  ...METADATA_CHECKS,
  ...METADATA_TRUTH_CHECKS,
  ...MTLS_CHECKS,
]);

export function findCheck(id: string): Check | undefined {
  return CHECKS.find((c) => c.id === id);
}

export { SUCCESS_CHECKS, TRANSPORT_CHECKS, CLIENT_AUTH_CHECKS, GRANT_SCOPE_CHECKS, DPOP_SUCCESS_CHECKS, DPOP_PROOF_CHECKS, DPOP_NONCE_CHECKS, SENDER_CONSTRAINT_CHECKS, AUTHORIZATION_CODE_CHECKS, REFRESH_TOKEN_CHECKS, METADATA_CHECKS, METADATA_TRUTH_CHECKS, MTLS_CHECKS };
