/**
 * X.509 certificates for mutual TLS (RFC 8705), made with @peculiar/x509:
 * a CA and certificates under it (the reference server's listener and its
 * tls_client_auth demo client), and self-signed client certificates (its
 * self_signed_tls_client_auth client; the suite's impostors: the same
 * subject under another CA, or with another key). Loaded only when mutual
 * TLS is used. Certificates are read with node:crypto's X509Certificate.
 */
// @peculiar/x509 resolves its providers with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** A certificate and its private key, both PEM (the key PKCS#8). */
export interface CertifiedKey {
  certificate: string;
  key: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600_000;

function provider(): void {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  // A positive serial number (RFC 5280 §4.1.2.2): the high bit of the first byte clear.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** A certificate authority for the listener: its certificate signs the server's and tls_client_auth clients' ones. */
export interface CertificateAuthority extends CertifiedKey {
  /** Issues a certificate for `subject` (an RFC 4514 name, `CN=...`), for a TLS server (with its names) or a client. */
  issue(subject: string, usage: { server?: { dns: string[]; ip: string[] } }): Promise<CertifiedKey>;
}

/**
 * Each authority's name and signing key, for certificates made elsewhere
 * (createImpostorCertificate): kept here, so no public declaration names a
 * type of @peculiar/x509 (its typings do not hold in every consumer's
 * module resolution).
 */
const AUTHORITIES = new WeakMap<CertificateAuthority, { name: x509.Name; signingKey: CryptoKey }>();

export async function createCertificateAuthority(name = 'CN=attesto reference CA'): Promise<CertificateAuthority> {
  provider();
  const keys = await generateKeys();
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 30 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const authority: CertificateAuthority = {
    certificate: ca.toString('pem'),
    key: await pkcs8Pem(keys.privateKey),
    async issue(subject, usage) {
      provider();
      const subjectKeys = await generateKeys();
      const issued = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject,
        issuer: ca.subject,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 30 * DAY_MS),
        signingAlgorithm: ALGORITHM,
        publicKey: subjectKeys.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([usage.server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
          ...(usage.server ? [new x509.SubjectAlternativeNameExtension([...usage.server.dns.map((value) => ({ type: 'dns' as const, value })), ...usage.server.ip.map((value) => ({ type: 'ip' as const, value }))])] : []),
        ],
      });
      return { certificate: issued.toString('pem'), key: await pkcs8Pem(subjectKeys.privateKey) };
    },
  };
  AUTHORITIES.set(authority, { name: ca.subjectName, signingKey: keys.privateKey });
  return authority;
}

/**
 * A certificate that claims to be `pem`'s: its subject name (as encoded)
 * and its subject alternative names copied, under `ca` or self-signed, with
 * a fresh key. What a tls_client_auth server must refuse from an untrusted
 * CA (RFC 8705 §2.1) and a self-signed one for another key (§2.2).
 */
export async function createImpostorCertificate(pem: string, ca?: CertificateAuthority): Promise<CertifiedKey> {
  const issuer = ca === undefined ? undefined : AUTHORITIES.get(ca);
  if (ca !== undefined && issuer === undefined) throw new TypeError('createImpostorCertificate: not an authority made by createCertificateAuthority');
  provider();
  const original = new x509.X509Certificate(pem);
  const san = original.getExtension(x509.SubjectAlternativeNameExtension);
  const keys = await generateKeys();
  const now = Date.now();
  const common = {
    serialNumber: serial(),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + DAY_MS),
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]), ...(san ? [san] : [])],
  };
  const certificate =
    ca === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: original.subjectName, keys })
      : await x509.X509CertificateGenerator.create({ ...common, subject: original.subjectName, issuer: issuer!.name, publicKey: keys.publicKey, signingKey: issuer!.signingKey });
  return { certificate: certificate.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
}

/** A self-signed client certificate (RFC 8705 §2.2: no CA; the server matches the registered certificate). */
export async function createSelfSignedClientCertificate(subject: string): Promise<CertifiedKey> {
  provider();
  const keys = await generateKeys();
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 30 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  return { certificate: certificate.toString('pem'), key: await pkcs8Pem(keys.privateKey) };
}

/** The DER of a PEM certificate (node:crypto parses it; a bad one throws). */
export function certificateDer(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}
