/**
 * Advertised vs accepted, against the reference server: truthful, its whole
 * catalogue passes (the checks that wait out a window left out); made to
 * lie in one way (config `metadataLie`), the same run fails exactly the
 * check for that lie. The advertised-but-refused auth method needs a client
 * configured for it, which the server refuses everywhere: its twin is a
 * truthful server with the same configuration, and the lie adds exactly
 * one failure to the twin's.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { CHECKS, referenceCodeSource, referenceTargetConfig, runConformance, type ConformanceConfig, type ConformanceReport } from '../../src/conformance';
import { createDemoClients, createReferenceServer, type ReferenceServer, type ReferenceServerConfig } from '../../src/server';

/** The checks that wait out a server window: left out, the rest runs at once. */
const WAITING = CHECKS.filter((c) => c.waits === true).map((c) => c.id);

const servers: ReferenceServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function runAgainst(server: Partial<ReferenceServerConfig>, edit: (config: ConformanceConfig) => ConformanceConfig = (c) => c): Promise<ConformanceReport> {
  const reference = await createReferenceServer({ dpop: { enabled: true, requireNonce: false }, ...server });
  servers.push(reference);
  return runConformance({ ...edit(referenceTargetConfig(reference)), skip: WAITING }, { grantSources: { authorizationCode: referenceCodeSource(reference) } });
}

const failing = (report: ConformanceReport) => report.checks.filter((c) => c.status === 'failed').map((c) => c.id);
/** Every check that did not pass or skip, with its status. */
const flagged = (report: ConformanceReport) => report.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped').map((c) => [c.id, c.status]);

describe('each metadata lie fails exactly its check', () => {
  test('truthful: every check passes, the metadata-truth ones included', async () => {
    const report = await runAgainst({});
    expect(failing(report)).toEqual([]);
    const truth = report.checks.filter((c) => c.group === 'metadata-truth');
    expect(truth.map((c) => [c.id, c.status])).toEqual([
      ['meta-auth-advertised', 'passed'],
      // The demo server advertises every method the suite speaks.
      ['meta-auth-unadvertised', 'skipped'],
      ['meta-dpop-algs', 'passed'],
      ['meta-assertion-algs', 'passed'],
      ['meta-grants', 'passed'],
    ]);
  });

  test.each([
    // No sentence requires the list to be complete: a method left out but accepted warns (SHOULD), it does not fail.
    ['a method accepted but left out of the document', { hideAuthMethod: 'client_secret_post' }, 'meta-auth-unadvertised', 'warned', /client post-client authenticating with client_secret_post, which the metadata does not list/],
    ['a DPoP algorithm advertised but refused', { advertiseDpopAlg: 'ES256K' }, 'meta-dpop-algs', 'failed', /a proof signed with ES256K, which the metadata lists/],
    ['another issuer in the document', { issuer: 'https://other.example' }, 'meta-issuer', 'failed', /names the issuer "https:\/\/other\.example"/],
  ] as const)('%s', async (_name, lie, check, status, message) => {
    const report = await runAgainst({ metadataLie: lie });
    expect(flagged(report)).toEqual([[check, status]]);
    expect(report.checks.find((c) => c.id === check)!.findings.map((f) => f.message).join('\n')).toMatch(message);
  });

  test('a grant advertised but unsupported, for a client the configuration registers for it', async () => {
    // A server of client_credentials clients only, whose document also lists refresh_token; the config says basic-client has it.
    const clients = (await createDemoClients()).filter((c) => c.grantTypes === undefined);
    const registered = (config: ConformanceConfig): ConformanceConfig => ({ ...config, clients: (config.clients ?? []).map((c) => (c.id === 'basic-client' ? { ...c, grantTypes: ['client_credentials', 'refresh_token'] } : c)) });
    const report = await runAgainst({ clients, metadataLie: { advertiseGrant: 'refresh_token' } }, registered);
    expect(flagged(report)).toEqual([['meta-grants', 'failed']]);
    expect(report.checks.find((c) => c.id === 'meta-grants')!.findings[0]!.message).toMatch(/refresh_token is advertised but answered unsupported_grant_type, for client basic-client registered for it/);
    // An extension grant no config can register a client for is tried, and its refusal only noted (IdentityServer refuses a client not allowed one so).
    const extension = await runAgainst({ metadataLie: { advertiseGrant: 'urn:ietf:params:oauth:grant-type:device_code' } });
    expect(flagged(extension)).toEqual([]);
    expect(extension.checks.find((c) => c.id === 'meta-grants')!.message).toMatch(/not judged: urn:ietf:params:oauth:grant-type:device_code \(answered unsupported_grant_type for client/);
  });

  test('an auth method advertised but refused: one failure more than the truthful twin', async () => {
    // No client is registered for client_secret_post; the configuration says basic-client uses it.
    const clients = (await createDemoClients()).filter((c) => c.id !== 'post-client');
    const withPostClient = (config: ConformanceConfig): ConformanceConfig => ({ ...config, clients: [...(config.clients ?? []), { id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_post' }] });
    const [twin, lying] = await Promise.all([runAgainst({ clients }, withPostClient), runAgainst({ clients, metadataLie: { advertiseAuthMethod: 'client_secret_post' } }, withPostClient)]);
    // The twin refuses the configured post client too (its own checks fail), and its document does not advertise post.
    expect(failing(twin)).not.toContain('meta-auth-advertised');
    expect(twin.checks.find((c) => c.id === 'meta-auth-unadvertised')!.status).toBe('passed');
    expect(failing(lying).sort()).toEqual([...failing(twin), 'meta-auth-advertised'].sort());
    expect(lying.checks.find((c) => c.id === 'meta-auth-advertised')!.findings[0]!.message).toMatch(/client basic-client authenticating with client_secret_post, which the metadata advertises/);
  });
});

describe('what the run takes from the metadata lists', () => {
  test('an RSA client key without alg signs with an algorithm the metadata lists (PS384 here, not the PS256 default)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS384', { extractable: true, modulusLength: 2048 });
    const publicJwk = { ...(await exportJWK(publicKey)), alg: 'PS384', kid: 'rsa-1' };
    // The private key without alg: the suite picks one.
    const { alg: _alg, ...privateJwk }: JWK = { ...(await exportJWK(privateKey)), kid: 'rsa-1' };
    const clients = [{ id: 'rsa-client', authMethods: ['private_key_jwt' as const], jwks: { keys: [publicJwk] }, scopes: ['read'] }];
    const report = await runAgainst({ clients, dpop: { enabled: false } }, (config) => ({
      ...config,
      clients: [{ id: 'rsa-client', auth: 'private_key_jwt', privateKey: privateJwk }],
      only: ['ok-pkjwt', 'meta-assertion-algs'],
    }));
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['ok-pkjwt', 'passed'],
      ['meta-assertion-algs', 'passed'],
    ]);
    const withoutMetadata = await runAgainst({ clients, dpop: { enabled: false } }, (config) => {
      const { issuer: _issuer, ...rest } = config;
      return { ...rest, clients: [{ id: 'rsa-client', auth: 'private_key_jwt', privateKey: privateJwk }], only: ['ok-pkjwt'] };
    });
    // Without the issuer's list the key's default (PS256) is what the server refuses.
    expect(withoutMetadata.checks.map((c) => [c.id, c.status])).toEqual([['ok-pkjwt', 'failed']]);
  });
});
