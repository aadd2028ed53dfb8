/**
 * The client certificate of a token request (RFC 8705): the one presented
 * in the TLS handshake of the mutual-TLS listener, or, on the plain
 * listener, one a TLS-terminating proxy conveys in `Client-Cert` (RFC 9440
 * §2: `:base64(DER):`) when the request comes from a configured trusted
 * proxy. From anyone else the header is ignored: a header is no proof of a
 * key (X-Forwarded-Client-Cert, X-SSL-Client-Cert and their kin are never read).
 */
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TLSSocket } from 'node:tls';
import { CLIENT_CERT_HEADER } from '../oauth/protocol';

export interface ClientCertificate {
  certificate: X509Certificate;
  /** Issued under a trusted client CA and valid now (what tls_client_auth asks, RFC 8705 §2.1). */
  trusted: boolean;
}

/** What the server trusts for client certificates (config `mtls`). */
export interface ClientCertificateTrust {
  trustedCa: readonly X509Certificate[];
  trustedProxies: ReadonlySet<string>;
}

/** RFC 9440 §2.2: an sf-binary, base64 between colons. */
const BYTE_SEQUENCE = /^:([A-Za-z0-9+/]+={0,2}):$/;

export function clientCertificateOf(req: IncomingMessage, trust: ClientCertificateTrust | undefined, now: number): ClientCertificate | undefined {
  if (trust === undefined) return undefined;
  const socket = req.socket;
  if (socket instanceof TLSSocket) {
    const certificate = socket.getPeerX509Certificate();
    // Node checked the chain against the listener's `ca` (the client CA) in the handshake: `authorized`.
    return certificate === undefined ? undefined : { certificate, trusted: socket.authorized };
  }
  const forwarded = req.headers[CLIENT_CERT_HEADER.toLowerCase()];
  if (typeof forwarded !== 'string' || !trust.trustedProxies.has(socket.remoteAddress ?? '')) return undefined;
  const match = BYTE_SEQUENCE.exec(forwarded.trim());
  if (match === null) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(match[1]!, 'base64'));
  } catch {
    return undefined;
  }
  return { certificate, trusted: chainsTo(certificate, trust.trustedCa, now) };
}

/** Issued and signed by one of `cas`, and within its validity period (RFC 5280 §6.1, one level deep). */
function chainsTo(certificate: X509Certificate, cas: readonly X509Certificate[], now: number): boolean {
  const valid = Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);
  return valid && cas.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey));
}
