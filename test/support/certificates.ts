/**
 * A self-signed TLS certificate for a test server on loopback, made with
 * @peculiar/x509 (never a shell-out to openssl): an EC P-256 key (or RSA
 * 2048 with `rsa`, for RSA key-exchange suites), valid for a day, for
 * `localhost` and 127.0.0.1. The certificate is its own CA: a
 * client trusts it with `ca: cert` (the suite's --ca-file).
 */
// @peculiar/x509 resolves its providers with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface TestCertificate {
  /** The certificate (PEM): the server's, and the CA a client trusts. */
  cert: string;
  /** Its private key (PKCS#8 PEM), for the server. */
  key: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;

/** The names the certificate is for (its subjectAltName); default localhost and 127.0.0.1. */
export interface TestCertificateNames {
  dns?: string[];
  ip?: string[];
  /** An RSA key instead of EC P-256. */
  rsa?: boolean;
}

export async function createTestCertificate(commonName = 'localhost', names: TestCertificateNames = {}): Promise<TestCertificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const algorithm = names.rsa === true ? RSA : EC;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.SubjectAlternativeNameExtension([
        ...(names.dns ?? ['localhost']).map((value) => ({ type: 'dns' as const, value })),
        ...(names.ip ?? ['127.0.0.1']).map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem'), key };
}
