/**
 * A client certificate and its private key, as a mutual-TLS client presents
 * them (RFC 8705 §2): both PEM, checked to belong together, with the facts
 * the rest of the toolkit asks of them (the §3.1 thumbprint a bound token
 * carries, the subject, whether it is self-signed). The key is a secret:
 * no message here quotes it.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { ClientCertificateError } from '../errors';
import { certificateThumbprint } from './certificate-thumbprint';

export interface ClientCertificate {
  /** PEM. */
  pem: string;
  /** The private key, PEM; a secret. */
  key: string;
  /** RFC 8705 §3.1 `x5t#S256`: what a token bound to it carries. */
  thumbprint: string;
  /** As node:crypto prints it (`CN=...`, one RDN a line). */
  subject: string;
  /** Self-issued: its issuer is its subject (what self_signed_tls_client_auth presents). */
  selfSigned: boolean;
}

/** Reads a PEM certificate and its PEM private key; throws ClientCertificateError (never quoting the key). */
export function readClientCertificate(pem: string, key: string): ClientCertificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new ClientCertificateError('the certificate is not a readable PEM certificate', 'certificate', { cause: error });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // No cause: OpenSSL's message could carry part of what it read.
    throw new ClientCertificateError('the certificate key is not a readable PEM private key (not shown)', 'key');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new ClientCertificateError(`the certificate key is not the key of the certificate (${certificate.subject.split('\n').join(', ')})`, 'pair');
  }
  return {
    pem,
    key,
    thumbprint: certificateThumbprint(certificate.raw),
    subject: certificate.subject,
    selfSigned: certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey),
  };
}
