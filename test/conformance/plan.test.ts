/**
 * One run plan (plan.ts) for the runner, the CLI and the Jest entry, and
 * the capabilities it plans with (capabilities.ts, reference-run.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, capabilitiesOf, defaultRunClients, planRun, referenceTargetConfig, resolveConfig, type Capability } from '../../src/conformance';
import { OwnershipIndex } from '../../src/conformance/ownership';
import { COMPANION_CAPABILITIES, defaultRunMtls, referenceRunCapabilities } from '../../src/conformance/reference-run';
import { ConfigError } from '../../src/errors';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

describe('planRun', () => {
  const all = new Set<Capability>(['client_secret_basic', 'secret_client']);

  test('selection by id and group, skips with the capability hints, modes, expected failures', () => {
    const plan = planRun({ only: ['client-auth', 'ok-basic', 'resp-ctype', 'nonce-missing'], skip: ['two-methods'], expectedFailures: new Map([['ok-basic', 'known']]), capabilities: all }, CHECKS);
    const ids = plan.selected.map((c) => c.id);
    expect(ids).toContain('ok-basic');
    expect(ids).toContain('basic-bad-secret');
    expect(ids).not.toContain('two-methods');
    expect(ids).not.toContain('ok-post');
    const skipped = Object.fromEntries(plan.skipped.map((s) => [s.check.id, s.reason]));
    expect(skipped['nonce-missing']).toBe('needs a server requiring DPoP nonces (--dpop-nonce)');
    expect(skipped['pkjwt-aud']).toBe('needs a private_key_jwt client (--auth private_key_jwt --private-key FILE)');
    expect(plan.concurrent.map((c) => c.id)).toContain('basic-bad-secret');
    expect(plan.observers.map((c) => c.id)).toEqual(['resp-ctype']);
    expect(plan.expectedFailures.get('ok-basic')).toBe('known');
  });

  test('a check the companion can run goes there, not to the skips', () => {
    const plan = planRun({ only: ['dpop-disabled'], capabilities: all, companion: COMPANION_CAPABILITIES }, CHECKS);
    expect(plan.elsewhere.map((c) => c.id)).toEqual(['dpop-disabled']);
    expect(plan.skipped).toEqual([]);
  });

  test('an id naming no check is a ConfigError, in only, skip and expectedFailures alike', () => {
    for (const input of [{ only: ['ok-basci'] }, { skip: ['nope'] }, { expectedFailures: new Map([['typo', '']]) }]) {
      expect(() => planRun({ ...input, capabilities: all }, CHECKS)).toThrow(ConfigError);
    }
    expect(() => planRun({ only: ['ok-basci'], capabilities: all }, CHECKS)).toThrow('only: unknown check id "ok-basci"');
  });
});

describe('capabilities', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    // As the default run starts its main server: the demo clients, and mutual TLS under the run's CA.
    const mtls = await defaultRunMtls();
    server = await createReferenceServer({ clients: [...(await defaultRunClients()), ...mtls.clients], mtls: mtls.mtls, dpop: { enabled: true, requireNonce: true } });
  });
  afterAll(() => server.close());

  test('what the default run plans with before its server starts is what the started server provides', async () => {
    const resolved = await resolveConfig(referenceTargetConfig(server));
    // The code source is a function the runner adds (referenceCodeSource), not a member of the config.
    expect([...capabilitiesOf({ ...resolved, sources: { authorizationCode: true, refreshToken: false } })].sort()).toEqual([...referenceRunCapabilities(true)].sort());
    expect(referenceRunCapabilities(false).has('dpop_nonce')).toBe(false);
  });

  test('derived from the facts of a configuration', () => {
    expect([...capabilitiesOf({ url: 'https://as.example/token', clients: [{ auth: 'private_key_jwt', requiresDpop: true }], dpop: { nonce: true } })].sort()).toEqual(
      ['dpop', 'dpop_nonce', 'dpop_required_client', 'https', 'private_key_jwt', 'tls_endpoint'].sort(),
    );
    // A plain-http target with an https mTLS endpoint: a TLS endpoint to shake hands with, but no https target for tls.
    const mtlsOnly = capabilitiesOf({ url: 'http://127.0.0.1:1/token', mtlsUrl: 'https://127.0.0.1:2/token', clients: [], dpop: {} });
    expect([mtlsOnly.has('tls_endpoint'), mtlsOnly.has('https')]).toEqual([true, false]);
    expect(capabilitiesOf({ url: undefined, clients: [], dpop: {} }).size).toBe(0);
  });
});

describe('ownership is declared by the checks', () => {
  const owners = new OwnershipIndex(CHECKS);
  test.each([
    ['header.content-type.json', '', 'resp-ctype'],
    ['header.cache-control.no-store', '', 'resp-no-store'],
    ['header.pragma.no-cache', '', 'resp-no-store'],
    ['body.schema', '/token_type', 'resp-token-type'],
    ['body.schema', '/expires_in', 'resp-expires'],
    ['body.schema', '/scope', 'resp-scope'],
    ['body.schema', '/cnf/jkt', 'dpop-jkt'],
  ])('%s %s is reported by %s', (rule, pointer, owner) => {
    expect(owners.ownerOf({ where: 'body', rule: rule as never, pointer, message: '', level: 'MUST', reference: 'RFC 6749 §5.1' })).toBe(owner);
  });
  test('a problem no check declares has no owner (each check that sees it reports it)', () => {
    expect(owners.ownerOf({ where: 'body', rule: 'body.schema' as never, pointer: '/access_token', message: '', level: 'MUST', reference: 'RFC 6749 §5.1' })).toBeUndefined();
    expect(owners.ownerOf({ where: 'body', rule: 'body.schema' as never, pointer: '/cnfx', message: '', level: 'MUST', reference: 'RFC 6749 §5.1' })).toBeUndefined();
  });
});
