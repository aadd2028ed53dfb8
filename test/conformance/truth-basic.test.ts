/**
 * RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64, so
 * an id or secret holding reserved characters authenticates, and a server
 * that does not decode them is caught by ok-basic-encoded (broken-servers
 * rows); here the positive side with a secret full of reserved characters.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { referenceTargetConfig, runConformance } from '../../src/conformance';
import { createReferenceServer, type ReferenceServer } from '../../src/server';

describe('Basic credentials with reserved characters', () => {
  let server: ReferenceServer;
  beforeAll(async () => {
    server = await createReferenceServer({
      clients: [{ id: 'client:with/reserved', secret: 'p@ss:w%rd+ é&=?', authMethods: ['client_secret_basic'], scopes: ['read'] }],
    });
  });
  afterAll(() => server.close());

  test('authenticate, raw and needlessly percent-encoded alike, and a wrong one is still refused', async () => {
    const report = await runConformance({ ...referenceTargetConfig(server), only: ['ok-basic', 'ok-basic-encoded', 'basic-bad-secret'] });
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['ok-basic', 'passed'],
      ['ok-basic-encoded', 'passed'],
      ['basic-bad-secret', 'passed'],
    ]);
    expect(JSON.stringify(report)).not.toContain('p@ss:w%rd+ é&=?');
  });
});
