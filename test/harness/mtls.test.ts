/**
 * Mutual TLS in the harness (RFC 8705 §2): a client's certificate and key
 * go in the TLS handshake of each of its requests, against the reference
 * server's https listener reached by URL with its CA given as `ca`. A
 * request may present another certificate or none (negative tests), and
 * connections made with one identity never carry a request of another.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { ClientCertificateError, InvalidArgumentError, decodeAccessToken, tokenEndpoint, type ClientOptions } from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { createCertificateAuthority, createSelfSignedClientCertificate } from '../../src/oauth/x509';

const thumbprint = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const boundTo = (accessToken: string) => (decodeAccessToken(accessToken)?.cnf as Record<string, unknown> | undefined)?.['x5t#S256'];

describe('mutual TLS in the harness', () => {
  let server: ReferenceServer;
  let mtlsClient: ClientOptions;
  let selfSignedClient: ClientOptions;
  let boundClient: ClientOptions;
  beforeAll(async () => {
    server = await createReferenceServer({ mtls: {} });
    const withCertificate = (id: string, extra: Partial<ClientOptions>): ClientOptions => ({
      id,
      auth: 'tls_client_auth',
      certificate: server.clients[id]!.certificate!,
      certificateKey: server.clients[id]!.certificateKey!,
      ...extra,
    });
    mtlsClient = withCertificate('mtls-client', {});
    selfSignedClient = withCertificate('self-signed-client', { auth: 'self_signed_tls_client_auth' });
    boundClient = withCertificate('bound-client', { auth: 'client_secret_basic', secret: server.clients['bound-client']!.secret! });
  });
  afterAll(() => server.close());

  const endpoint = (client: ClientOptions) => tokenEndpoint(server.mtls!.tokenEndpoint, { client, ca: server.mtls!.ca! });

  test('tls_client_auth and self_signed_tls_client_auth get tokens bound to their certificates; a Basic client presents its certificate too', async () => {
    for (const client of [mtlsClient, selfSignedClient, boundClient]) {
      const res = await endpoint(client).clientCredentials({ scope: 'read' }).expect(200);
      expect(boundTo(res.body.access_token)).toBe(thumbprint(String(client.certificate)));
    }
    // The mutual-TLS request names the client in the body and sends no secret (RFC 8705 §2).
    const harness = endpoint(mtlsClient);
    await harness.clientCredentials({ scope: 'read' }).expect(200);
    expect(harness.lastExchange!.request!.body).toBe('grant_type=client_credentials&scope=read&client_id=mtls-client');
    expect(harness.lastExchange!.request!.headers).not.toHaveProperty('Authorization');
  });

  test('negative requests: no certificate, another client\'s, one with the subject under another CA, a self-signed one with another key: invalid_client', async () => {
    const otherCa = await createCertificateAuthority('CN=another CA');
    const untrusted = await otherCa.issue('CN=mtls-client', {});
    const otherKey = await createSelfSignedClientCertificate('CN=self-signed-client');
    const cases = [
      [mtlsClient, false],
      [mtlsClient, { certificate: selfSignedClient.certificate!, key: selfSignedClient.certificateKey! }],
      [mtlsClient, { certificate: untrusted.certificate, key: untrusted.key }],
      [selfSignedClient, { certificate: otherKey.certificate, key: otherKey.key }],
    ] as const;
    for (const [client, clientCertificate] of cases) {
      const res = await endpoint(client).clientCredentials({ scope: 'read', clientCertificate });
      expect([res.status, res.body.error]).toEqual([400, 'invalid_client']);
    }
  });

  test('one identity per connection: alternating certificates and none on one harness, each request is judged by its own', async () => {
    const harness = endpoint(mtlsClient);
    const other = { certificate: selfSignedClient.certificate!, key: selfSignedClient.certificateKey! };
    for (let round = 0; round < 3; round++) {
      const own = await harness.clientCredentials({ scope: 'read' });
      const none = await harness.clientCredentials({ scope: 'read', clientCertificate: false });
      const self = await harness.clientCredentials({ scope: 'read', client: selfSignedClient });
      const wrong = await harness.clientCredentials({ scope: 'read', clientCertificate: other });
      expect([own.status, none.status, self.status, wrong.status]).toEqual([200, 400, 200, 400]);
      expect(boundTo(own.body.access_token)).toBe(thumbprint(String(mtlsClient.certificate)));
      expect(boundTo(self.body.access_token)).toBe(thumbprint(String(selfSignedClient.certificate)));
    }
  });

  test('ca trusts the private CA for raw() requests too; without it the error names the ca option', async () => {
    const res = await endpoint(mtlsClient).raw().get(new URL(server.mtls!.tokenEndpoint).pathname);
    expect(res.status).toBe(405);
    const untrusting = tokenEndpoint(server.mtls!.tokenEndpoint, { client: mtlsClient });
    await expect(untrusting.clientCredentials({ scope: 'read' })).rejects.toThrow(/TLS certificate not trusted .*the ca option/);
    // ca is certificate text: a path, a number or a key is refused at once, naming the option.
    expect(() => tokenEndpoint(server.mtls!.tokenEndpoint, { ca: 'certs/ca.pem' })).toThrow('tokenEndpoint: ca must be PEM certificate text (a string or Buffer; read a file first), got text that is no PEM certificate');
    expect(() => tokenEndpoint(server.mtls!.tokenEndpoint, { ca: [server.mtls!.ca!, 42 as unknown as string] })).toThrow('tokenEndpoint: ca[1] must be PEM certificate text (a string or Buffer; read a file first), got number');
    // As an array (with a Buffer), it works the same.
    const asArray = tokenEndpoint(server.mtls!.tokenEndpoint, { client: mtlsClient, ca: [Buffer.from(server.mtls!.ca!)] });
    expect((await asArray.clientCredentials({ scope: 'read' })).status).toBe(200);
  });

  test('usage errors: a missing certificate, a key of another certificate, text that is no PEM, a secret beside the certificate, a plain-http target', async () => {
    const { certificate, certificateKey } = mtlsClient;
    const key = String(certificateKey);
    const keyBody = key.split('\n')[1]!;
    const make = (client: Partial<ClientOptions>) => () => tokenEndpoint(server.mtls!.tokenEndpoint, { client: { id: 'mtls-client', auth: 'tls_client_auth', ...client } as ClientOptions });
    expect(make({})).toThrow(new InvalidArgumentError('tokenEndpoint: client: tls_client_auth needs certificate and certificateKey (PEM)'));
    expect(make({ certificate })).toThrow(/needs certificate and certificateKey/);
    const mismatch = (() => {
      try {
        make({ certificate, certificateKey: selfSignedClient.certificateKey! })();
      } catch (error) {
        return error as ClientCertificateError;
      }
      throw new Error('no error');
    })();
    expect(mismatch).toBeInstanceOf(ClientCertificateError);
    expect([mismatch.code, mismatch.problem]).toEqual(['ERR_CLIENT_CERTIFICATE', 'pair']);
    expect(mismatch.message).toMatch(/^tokenEndpoint: client: the certificate key is not the key of the certificate \(CN=mtls-client/);
    const notPem = (() => {
      try {
        make({ certificate, certificateKey: key.replace(/[A-Za-z]/g, 'x') })();
      } catch (error) {
        return error as ClientCertificateError;
      }
      throw new Error('no error');
    })();
    expect(notPem.problem).toBe('key');
    for (const error of [mismatch, notPem]) expect(`${error.message} ${String(error.cause ?? '')}`).not.toContain(keyBody.slice(0, 16));
    expect(make({ certificate: 'not a certificate', certificateKey })).toThrow(/the certificate is not a readable PEM certificate/);
    expect(make({ certificate, certificateKey, secret: 's' })).toThrow('tls_client_auth authenticates with its certificate: no secret or privateKey');
    const plain = tokenEndpoint(server.tokenEndpoint, { client: mtlsClient });
    await expect(plain.clientCredentials()).rejects.toThrow(/a client certificate is presented in a TLS handshake \(RFC 8705 §2\): the target http:\/\/.* is not https/);
    // Without its certificate it can be sent anywhere: the server judges it.
    const res = await plain.clientCredentials({ clientCertificate: false });
    expect([res.status, res.body.error]).toEqual([400, 'invalid_client']);
  });
});
