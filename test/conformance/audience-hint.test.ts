/**
 * RFC 7523 §3 item 3 lets a server accept the token endpoint URL or its
 * issuer identifier as a client assertion's `aud`; servers differ. When
 * ok-pkjwt is refused with invalid_client, the report says which aud was
 * sent and how to send another; with the client's `audience` set, it passes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultRunClients, formatConsoleSummary, runConformance, type ConformanceConfig } from '../../src/conformance';
import { assertionClaims, errorResponse, form, startMutatingProxy, type MutatingProxy } from './support/mutating-proxy';

describe('a server that accepts only its issuer as the assertion audience', () => {
  let proxy: MutatingProxy;
  let issuer: string;
  beforeAll(async () => {
    proxy = await startMutatingProxy({ clients: await defaultRunClients() });
    issuer = proxy.server.issuer;
    proxy.mutation = {
      request: (req) => (form(req).has('client_assertion') && assertionClaims(req)?.aud !== issuer ? errorResponse(401, 'invalid_client', 'bad audience') : undefined),
    };
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const withAudience = (audience: string | undefined): ConformanceConfig => ({
    ...proxy.config,
    only: ['ok-pkjwt'],
    clients: proxy.config.clients!.map((c) => (c.auth === 'private_key_jwt' && audience ? { ...c, audience } : c)),
  });

  test('refused: the finding names the aud sent and how to set another', async () => {
    const report = await runConformance(withAudience(undefined));
    const check = report.checks.find((c) => c.id === 'ok-pkjwt')!;
    expect(check.status).toBe('failed');
    const hint = check.findings[0]!.hint!;
    expect(hint).toContain(`aud was ${JSON.stringify(proxy.tokenEndpoint)}`);
    expect(hint).toMatch(/set "audience" on the client .*--audience/);
    expect(formatConsoleSummary(report)).toContain(`hint: the assertion's aud was "${proxy.tokenEndpoint}"`);
  });

  test('with audience set to the issuer, it passes', async () => {
    const report = await runConformance(withAudience(issuer));
    expect(report.checks.find((c) => c.id === 'ok-pkjwt')).toMatchObject({ status: 'passed' });
  });

  test('no hint when the refusal is not invalid_client', async () => {
    proxy.mutation = { request: (req) => (form(req).has('client_assertion') ? errorResponse(400, 'invalid_request', 'no') : undefined) };
    const report = await runConformance(withAudience(undefined));
    const check = report.checks.find((c) => c.id === 'ok-pkjwt')!;
    expect(check.status).toBe('failed');
    expect(check.findings[0]!.hint).toBeUndefined();
  });
});
