/**
 * Refresh tokens from their own source (grants.refreshToken.command, or
 * the `grantSources.refreshToken` function): without a code source the
 * refresh checks still run for the confidential client, on tokens the
 * source gives; the code checks, and the public client's binding check
 * (its token would be bound to a DPoP key the run does not hold), are
 * skipped with their reasons.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, referenceTargetConfig, runConformance, type RefreshTokenSource } from '../../src/conformance';
import { DEFAULT_RUN_SERVER } from '../../src/conformance/reference-run';
import { authorizeWithReferenceServer, tokenEndpoint } from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

describe('refresh tokens from a refresh token source', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer(DEFAULT_RUN_SERVER);
  });
  afterAll(() => server?.close());

  test('the refresh checks run on the tokens it gives; the code checks are skipped', async () => {
    const asked: string[] = [];
    const refreshToken: RefreshTokenSource = async ({ clientId, scope }) => {
      asked.push(clientId);
      const info = server.clients[clientId]!;
      const grant = await authorizeWithReferenceServer(server, { clientId, redirectUri: info.redirectUris[0]!, ...(scope !== undefined ? { scope } : {}) });
      const res = await tokenEndpoint(server.server, { client: { id: clientId, secret: info.secret!, auth: 'client_secret_basic' } }).authorizationCode(grant).expect(200);
      return { refreshToken: res.body.refresh_token as string, scope: res.body.scope as string };
    };
    // The checks that wait out the windows are the same whatever the source: left out, they would only cost seconds.
    const waiting = CHECKS.filter((c) => c.waits === true).map((c) => c.id);
    const report = await runConformance({ ...referenceTargetConfig(server), only: ['authorization-code', 'refresh-token'], skip: waiting }, { grantSources: { refreshToken } });
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    const skipped = report.checks.filter((c) => c.status === 'skipped');
    expect(skipped.map((c) => c.id).sort()).toEqual(
      ['code-ok', 'code-other-client', 'code-redirect', 'code-reuse', 'pkce-missing', 'pkce-plain', 'pkce-wrong', 'rt-public-dpop-bound'].sort(),
    );
    expect(report.checks.find((c) => c.id === 'code-ok')!.message).toMatch(/source of codes/);
    expect(report.checks.find((c) => c.id === 'rt-public-dpop-bound')!.message).toMatch(/public client \(auth "none"\)/);
    expect(Object.entries(status).filter(([, s]) => s !== 'passed' && s !== 'skipped')).toEqual([]);
    // Every token came from the source, for the confidential client only.
    expect(asked.length).toBeGreaterThanOrEqual(7); // one per check that refreshes at least
    expect(new Set(asked)).toEqual(new Set(['code-client']));
  });
});
