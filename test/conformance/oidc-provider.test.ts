/**
 * Against a real, independent implementation (panva's oidc-provider, run by
 * test/peers): the suite must report exactly its real deviations, each for a
 * stated reason, and nothing else. Under the rfc profile the contract-only
 * deviations become warnings.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, runConformance, type CheckStatus, type ConformanceConfig, type Profile, type StartInfo } from '../../src/conformance';
import { DEVIATIONS } from '../peers/oidc-provider-deviations';
import { startOidcProvider, type OidcProviderPeer } from '../peers/oidc-provider';

/** Checks this configuration cannot run against the peer. */
// method-disallowed: oidc-provider lets a client registered for client_secret_post use Basic; RFC 6749 does not forbid that,
// so the configuration does not claim exclusiveAuthMethod and the check does not run (a 404 for GET, method-get, is conformant too).
// The lifecycle checks (authorization_code, refresh_token) run against the peer in oidc-provider-lifecycle.test.ts; this
// configuration gives them no code source.
// The metadata checks need an issuer: the url run has none (the issuer run below has).
const METADATA = CHECKS.filter((c) => c.group === 'metadata' || c.group === 'metadata-truth').map((c) => c.id);
// Plain http, no client certificate: the TLS and mtls checks skip here and run in oidc-provider-mtls.test.ts (the peer over https with mutual TLS).
const MTLS = CHECKS.filter((c) => c.group === 'mtls').map((c) => c.id);
const SKIPPED = new Set(['tls', 'tls-forwarded-proto', 'tls-versions', 'tls-ciphers', 'dpop-required-absent', 'dpop-disabled', 'method-disallowed', ...CHECKS.filter((c) => c.group === 'authorization-code' || c.group === 'refresh-token').map((c) => c.id), ...METADATA, ...MTLS]);
const NONCE_CHECKS = ['nonce-missing', 'nonce-retry', 'nonce-wrong', 'nonce-precedence', 'nonce-rotate'];

function configFor(peer: OidcProviderPeer, profile: Profile): ConformanceConfig {
  return {
    url: peer.tokenEndpoint,
    profile,
    scope: 'read',
    invalidScope: 'admin',
    dpop: { enabled: true, nonce: peer.requireNonce },
    clients: [
      { id: peer.clients.basic.id, secret: peer.clients.basic.secret, auth: 'client_secret_basic' },
      { id: peer.clients.post.id, secret: peer.clients.post.secret, auth: 'client_secret_post' },
      { id: peer.clients.jwt.id, privateKey: peer.clients.jwt.privateJwk, auth: 'private_key_jwt' },
    ],
    unauthorizedClient: { id: peer.clients.noGrant.id, secret: peer.clients.noGrant.secret, auth: 'client_secret_basic' },
  };
}

function expectedStatuses(profile: Profile, nonce: boolean): Record<string, CheckStatus> {
  const out: Record<string, CheckStatus> = {};
  for (const [id, deviation] of Object.entries(DEVIATIONS)) {
    if (deviation.nonceOnly && !nonce) continue;
    if (deviation[profile] !== 'passed') out[id] = deviation[profile];
  }
  for (const id of SKIPPED) out[id] = 'skipped';
  if (!nonce) for (const id of NONCE_CHECKS) out[id] = 'skipped';
  return out;
}

describe.each([
  ['default', false],
  ['nonces required', true],
] as const)('oidc-provider (%s)', (_name, requireNonce) => {
  let peer: OidcProviderPeer;
  beforeAll(async () => {
    peer = await startOidcProvider({ requireNonce });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  test.each(['attesto', 'rfc'] as const)('profile %s reports exactly the real deviations', async (profile) => {
    const report = await runConformance(configFor(peer, profile));
    const actual = Object.fromEntries(report.checks.filter((c) => c.status !== 'passed').map((c) => [c.id, c.status]));
    expect(actual).toEqual(expectedStatuses(profile, requireNonce));
    expect(report.summary.failed).toBe(Object.values(expectedStatuses(profile, requireNonce)).filter((s) => s === 'failed').length);
  });

  test('derived from its metadata (--issuer, no url): the same deviations, and the metadata is true to the token endpoint', async () => {
    const { url: _url, dpop: _dpop, ...rest } = configFor(peer, 'attesto');
    // The token endpoint and DPoP come from the metadata; that nonces are required is no metadata member, so it is given.
    const config: ConformanceConfig = { ...rest, issuer: peer.issuer, ...(requireNonce ? { dpop: { nonce: true } } : {}) };
    let discovery: StartInfo['discovery'];
    const report = await runConformance(config, { onStart: (info) => (discovery = info.discovery) });
    expect(report.target).toBe(peer.tokenEndpoint);
    expect(discovery?.origins.find((o) => o.member === 'url')).toEqual({ member: 'url', source: 'metadata', from: 'token_endpoint' });
    const expected = expectedStatuses('attesto', requireNonce);
    for (const id of METADATA) delete expected[id];
    // Its metadata lists every auth method the suite speaks: nothing to try as unadvertised.
    expected['meta-auth-unadvertised'] = 'skipped';
    const actual = Object.fromEntries(report.checks.filter((c) => c.status !== 'passed').map((c) => [c.id, c.status]));
    expect(actual).toEqual(expected);
    // Both documents are published, and agree.
    expect(report.checks.find((c) => c.id === 'meta-agree')!.status).toBe('passed');
  });

  test('listing the deviations as expected failures makes the run pass (attesto)', async () => {
    const expected = Object.fromEntries(Object.entries(DEVIATIONS).filter(([, d]) => requireNonce || !d.nonceOnly).map(([id, d]) => [id, d.reason]));
    const report = await runConformance({ ...configFor(peer, 'attesto'), expectedFailures: expected });
    expect(report.summary.failed).toBe(0);
    expect(report.summary.unexpectedPasses).toBe(0);
    expect(report.summary.expectedFailures).toBe(Object.keys(expected).length);
  });
});
