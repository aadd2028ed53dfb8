/**
 * A code answered near or past the lifetime the configuration gives says
 * nothing about the rule a check is after (it may just have expired on the
 * way: a request that waited its turn under `rate`, a distant target): the
 * check is inconclusive, never failed, and never passed on a refusal that
 * only the code's age explains.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { referenceCodeSource, referenceTargetConfig, runConformance } from '../../src/conformance';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { startDelayingProxy, type DelayingProxy } from '../support/delaying-proxy';

describe('codes older than their lifetime are not judged', () => {
  let server: ReferenceServer;
  let relay: DelayingProxy;
  beforeAll(async () => {
    let target: URL | undefined;
    // A 2 s round trip: every answer comes 2 s after its request, as long as the codes live.
    relay = await startDelayingProxy(() => ({ host: target!.hostname, port: Number(target!.port) }), 2_000);
    server = await createReferenceServer({ issuer: relay.origin, codeLifetimeSeconds: 2 });
    target = new URL(server.url);
  });
  afterAll(async () => {
    await relay?.close();
    await server?.close();
  });

  test('code-ok and pkce-wrong are inconclusive, saying why', async () => {
    const base = referenceTargetConfig(server);
    const config = { ...base, url: new URL(new URL(server.tokenEndpoint).pathname, relay.origin).href, only: ['code-ok', 'pkce-wrong'] };
    const report = await runConformance(config, { grantSources: { authorizationCode: referenceCodeSource(server) } });
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['code-ok', 'inconclusive'],
      ['pkce-wrong', 'inconclusive'],
    ]);
    for (const check of report.checks) expect(check.message).toMatch(/^a code was answered \d+\.\d s after the source gave it, too near or past its 2 s lifetime .*: not judged/);
  });
});
