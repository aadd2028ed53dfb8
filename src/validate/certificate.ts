/**
 * The certificate a matcher's `certificate` option names, as the RFC 8705
 * §3.1 thumbprint a bound token carries: a PEM certificate, its DER bytes,
 * a node:crypto X509Certificate, or the thumbprint itself.
 */
import { X509Certificate } from 'node:crypto';
import { InvalidExpectationError } from '../errors';
import { certificateThumbprint } from '../oauth/certificate-thumbprint';

/** A client certificate: PEM text, DER bytes, an `X509Certificate` (anything with `raw` DER), or its `x5t#S256` thumbprint. */
export type CertificateInput = string | Uint8Array | { readonly raw: Uint8Array };

/** RFC 8705 §3.1: base64url without padding of a SHA-256 digest: 43 characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

export function certificateInputThumbprint(input: CertificateInput): string {
  if (typeof input === 'string') {
    if (THUMBPRINT.test(input)) return input;
    if (!input.includes('-----BEGIN CERTIFICATE-----')) throw new InvalidExpectationError('certificate as a string must be a PEM certificate or its x5t#S256 thumbprint (43 base64url characters)');
    return fromDer(input);
  }
  if (input instanceof Uint8Array) return fromDer(input);
  if (input !== null && typeof input === 'object' && input.raw instanceof Uint8Array) return certificateThumbprint(Buffer.from(input.raw));
  throw new InvalidExpectationError(`certificate must be a PEM string, DER bytes, an X509Certificate or a thumbprint, received ${input === null ? 'null' : typeof input}`);
}

function fromDer(certificate: string | Uint8Array): string {
  try {
    return certificateThumbprint(new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate)).raw);
  } catch (error) {
    throw new InvalidExpectationError(`certificate is not a readable X.509 certificate: ${error instanceof Error ? error.message : String(error)}`);
  }
}
