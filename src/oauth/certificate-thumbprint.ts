/** RFC 8705 §3.1: `x5t#S256`, the base64url of the SHA-256 of a certificate's DER. */
import { createHash } from 'node:crypto';

export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}
