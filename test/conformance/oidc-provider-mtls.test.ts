/**
 * Interop over mutual TLS (RFC 8705) against panva's oidc-provider with its
 * mTLS feature, on an https listener that asks every client for a
 * certificate (test/peers, `mtls: true`): tls_client_auth,
 * self_signed_tls_client_auth and a Basic client registered for
 * certificate-bound tokens, beside the usual secret and private_key_jwt
 * clients. The run must report exactly the peer's real deviations: the ones
 * of the plain-http runs (oidc-provider.test.ts), and what https and mutual
 * TLS add. With opaque access tokens the bindings are read by introspection
 * (RFC 7662; RFC 8705 §3.2, RFC 9449 §6.2), from the metadata's
 * introspection_endpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, runConformance, type CheckStatus, type ConformanceConfig, type Profile } from '../../src/conformance';
import { DEVIATIONS, type Deviation } from '../peers/oidc-provider-deviations';
import { startOidcProvider, type OidcProviderPeer } from '../peers/oidc-provider';

/** A 401 without a challenge for a refused certificate: RFC 9110 §15.5.2 wants WWW-Authenticate on every 401 (SHOULD here). */
const MTLS_401 = 'a refused client certificate gets 401 invalid_client without WWW-Authenticate (RFC 9110 §15.5.2; RFC 6749 §5.2 allows the 401)';

const MTLS_DEVIATIONS: Record<string, Deviation> = {
  'tls-ciphers': {
    attesto: 'warned',
    rfc: 'warned',
    reason: "its https listener keeps Node's default TLS 1.2 list: 11 suites outside BCP 195's four (CBC, CCM, ChaCha20, ARIA; RFC 9325 §4.2)",
  },
  'mtls-no-cert': { attesto: 'warned', rfc: 'warned', reason: MTLS_401 },
  'mtls-wrong-cert': { attesto: 'warned', rfc: 'warned', reason: MTLS_401 },
  'mtls-untrusted-ca': { attesto: 'warned', rfc: 'warned', reason: MTLS_401 },
  'mtls-self-signed-wrong-key': { attesto: 'warned', rfc: 'warned', reason: MTLS_401 },
};

const LIFECYCLE = CHECKS.filter((c) => c.group === 'authorization-code' || c.group === 'refresh-token').map((c) => c.id);
const NONCE_CHECKS = ['nonce-missing', 'nonce-retry', 'nonce-wrong', 'nonce-precedence', 'nonce-rotate'];
// As over plain http (oidc-provider.test.ts): no DPoP-only client, no DPoP-off server, no exclusive method, no code source;
// it lists every auth method the suite speaks. Over https, tls, tls-forwarded-proto and tls-versions run (and pass).
const SKIPPED = ['dpop-required-absent', 'dpop-disabled', 'method-disallowed', 'meta-auth-unadvertised', ...LIFECYCLE, ...NONCE_CHECKS];

function expectedStatuses(profile: Profile): Record<string, CheckStatus> {
  const out: Record<string, CheckStatus> = {};
  for (const [id, deviation] of Object.entries({ ...DEVIATIONS, ...MTLS_DEVIATIONS })) if (!deviation.nonceOnly && deviation[profile] !== 'passed') out[id] = deviation[profile];
  for (const id of SKIPPED) out[id] = 'skipped';
  return out;
}

describe.each(['jwt', 'opaque'] as const)('oidc-provider over mutual TLS (%s access tokens)', (accessTokenFormat) => {
  let peer: OidcProviderPeer;
  let dir: string;
  let caFile: string;
  beforeAll(async () => {
    peer = await startOidcProvider({ mtls: true, accessTokenFormat });
    dir = mkdtempSync(join(tmpdir(), 'oidc-provider-mtls-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, peer.mtls!.ca);
  });
  afterAll(async () => {
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function configFor(profile: Profile): ConformanceConfig {
    const { tlsClientAuth, selfSigned, bound } = peer.mtls!.clients;
    return {
      issuer: peer.issuer,
      caFile,
      profile,
      scope: 'read',
      invalidScope: 'admin',
      clients: [
        { id: peer.clients.basic.id, secret: peer.clients.basic.secret, auth: 'client_secret_basic' },
        { id: peer.clients.post.id, secret: peer.clients.post.secret, auth: 'client_secret_post' },
        { id: peer.clients.jwt.id, privateKey: peer.clients.jwt.privateJwk, auth: 'private_key_jwt' },
        { id: tlsClientAuth.id, auth: 'tls_client_auth', certificate: tlsClientAuth.certificate, certificateKey: tlsClientAuth.key, certificateBoundTokens: true },
        { id: selfSigned.id, auth: 'self_signed_tls_client_auth', certificate: selfSigned.certificate, certificateKey: selfSigned.key, certificateBoundTokens: true },
        { id: bound.id, secret: bound.secret, auth: 'client_secret_basic', certificate: bound.certificate, certificateKey: bound.key, certificateBoundTokens: true },
      ],
      unauthorizedClient: { id: peer.clients.noGrant.id, secret: peer.clients.noGrant.secret, auth: 'client_secret_basic' },
    };
  }

  test.each(['attesto', 'rfc'] as const)('profile %s reports exactly the real deviations', async (profile) => {
    const report = await runConformance(configFor(profile));
    const actual = Object.fromEntries(report.checks.filter((c) => c.status !== 'passed').map((c) => [c.id, c.status]));
    expect(actual).toEqual(expectedStatuses(profile));
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    // Every mutual-TLS client gets a token bound to its certificate, read where this token format shows it.
    const where = accessTokenFormat === 'jwt' ? "the access token's" : "introspection's";
    for (const id of ['mtls-client', 'self-signed-client', 'bound-client']) expect(byId['mtls-bound']!.message).toContain(`client ${id}: ${where} cnf["x5t#S256"] matches`);
    // The DPoP binding (RFC 9449 §6.1 / §6.2) is right; only the contract's cnf in the body is missing (dpop-jkt's CONTRACT finding).
    expect(byId['dpop-jkt']!.findings.map((f) => f.level)).toEqual(['CONTRACT']);
    expect(byId.tls!.message).toMatch(/^plain http refused/);
  });

  test('listing the deviations as expected failures makes the run pass', async () => {
    const expected = Object.fromEntries(Object.entries({ ...DEVIATIONS, ...MTLS_DEVIATIONS }).filter(([, d]) => !d.nonceOnly && d.attesto === 'failed').map(([id, d]) => [id, d.reason]));
    const report = await runConformance({ ...configFor('attesto'), expectedFailures: expected });
    expect([report.summary.failed, report.summary.unexpectedPasses, report.summary.expectedFailures]).toEqual([0, 0, Object.keys(expected).length]);
  });

  if (accessTokenFormat === 'opaque') {
    test('an introspection endpoint that reports another binding fails mtls-bound and dpop-jkt, naming introspection; one that refuses, omits cnf or is rate limited leaves them not judged', async () => {
      const received: string[] = [];
      let answer: (body: URLSearchParams) => [number, Record<string, unknown>] = () => [200, { active: true, cnf: { jkt: 'not-the-proof-key', 'x5t#S256': 'not-the-certificate' } }];
      const fake = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        req.on('end', () => {
          received.push(body);
          const [status, json] = answer(new URLSearchParams(body));
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(json));
        });
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
      try {
        const introspectionUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/introspect`;
        const only = ['mtls-bound', 'dpop-jkt'];
        const wrong = await runConformance({ ...configFor('attesto'), only, introspectionUrl, mtlsIntrospectionUrl: undefined } as ConformanceConfig);
        const [bound, jkt] = only.map((id) => wrong.checks.find((c) => c.id === id)!);
        expect(bound!.findings.map((f) => [f.level, f.message])).toEqual([
          ['MUST', `introspection's cnf["x5t#S256"] is not the certificate's thumbprint`],
          ['MUST', `introspection's cnf["x5t#S256"] is not the certificate's thumbprint`],
          ['MUST', `introspection's cnf["x5t#S256"] is not the certificate's thumbprint`],
        ]);
        expect(jkt!.findings.map((f) => [f.level, f.message])).toEqual([
          ['MUST', "the introspection response's cnf.jkt is not the proof key's thumbprint"],
          ['CONTRACT', 'the response body has no cnf.jkt'],
        ]);
        // Each request carried an access token of the run (RFC 7662 §2.1), with the hint.
        expect(received.length).toBe(4);
        for (const body of received) expect(new URLSearchParams(body).get('token_type_hint')).toBe('access_token');

        answer = () => [401, { error: 'invalid_client' }];
        const refused = await runConformance({ ...configFor('attesto'), only, introspectionUrl } as ConformanceConfig);
        const [boundRefused, jktRefused] = only.map((id) => refused.checks.find((c) => c.id === id)!);
        expect(boundRefused!.status).toBe('passed');
        expect(boundRefused!.message).toMatch(/the access token is opaque and its binding is not visible: introspection at .* answered 401 invalid_client/);
        expect(jktRefused!.findings.map((f) => f.level)).toEqual(['CONTRACT']);

        // RFC 7662 §2.2: an active answer without cnf says nothing wrong (every member but active is optional): noted.
        answer = () => [200, { active: true }];
        const bare = await runConformance({ ...configFor('attesto'), only, introspectionUrl } as ConformanceConfig);
        const [boundBare, jktBare] = only.map((id) => bare.checks.find((c) => c.id === id)!);
        expect(boundBare!.status).toBe('passed');
        expect(boundBare!.message).toContain('client mtls-client: introspection\'s answer has no cnf["x5t#S256"] (RFC 7662 §2.2: optional for this caller)');
        expect(jktBare!.findings.map((f) => f.level)).toEqual(['CONTRACT']);

        // Rate limited even after the one resend: that binding is not visible; the check goes on (not inconclusive).
        answer = () => [429, { error: 'slow_down' }];
        const limited = await runConformance({ ...configFor('attesto'), only: ['mtls-bound'], introspectionUrl } as ConformanceConfig);
        expect(limited.checks[0]!.status).toBe('passed');
        expect(limited.checks[0]!.message).toMatch(/its binding is not visible: introspection at .* was rate limited/);
      } finally {
        await new Promise<void>((resolve) => fake.close(() => resolve()));
      }
    });
  }
});
