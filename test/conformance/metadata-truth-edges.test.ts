/**
 * The metadata checks against servers that are right in another way, or
 * hostile: a server that refuses an extension grant to a client not allowed
 * it with unsupported_grant_type (IdentityServer), one that answers a grant
 * it has no handler for with invalid_request (Hydra), one that handles a
 * grant its document leaves out; a document that echoes a client secret
 * into what findings quote; a document listing thousands of values.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DiscoveryError, formatReport, referenceTargetConfig, runConformance, type ConformanceConfig, type ConformanceReport } from '../../src/conformance';
import { MAX_PROBED_VALUES } from '../../src/conformance/checks/metadata-truth';
import { json, referenceBesideTinyServers } from '../support/tiny-server';
import { errorResponse, startMutatingProxy, type MutatingProxy, type ProxyRequest } from './support/mutating-proxy';

/** The grant of a token request; undefined for anything else (the metadata GETs pass untouched). */
const grantOf = (req: ProxyRequest) => (req.method === 'POST' ? (new URLSearchParams(req.body).get('grant_type') ?? '') : undefined);
const statusOf = (report: ConformanceReport, id: string) => report.checks.find((c) => c.id === id)!;

describe('meta-grants passes servers right in another way', () => {
  let proxy: MutatingProxy;
  /** The client_credentials clients only: none registered for authorization_code or refresh_token. */
  let ccOnly: ConformanceConfig;
  beforeAll(async () => {
    proxy = await startMutatingProxy();
    ccOnly = { ...proxy.config, clients: (proxy.config.clients ?? []).filter((c) => c.grantTypes === undefined), only: ['meta-grants'] };
  });
  afterAll(() => proxy.close());

  test('a listed grant refused to a client the config does not register for it: noted, not failed', async () => {
    proxy.mutation = { request: (req) => (grantOf(req) === 'authorization_code' ? errorResponse(400, 'unsupported_grant_type', 'client not allowed this grant') : undefined) };
    try {
      const report = await runConformance(ccOnly);
      expect(statusOf(report, 'meta-grants').status).toBe('passed');
      expect(statusOf(report, 'meta-grants').message).toMatch(/not judged: authorization_code \(answered unsupported_grant_type for client [\w-]+, which the config does not register for it/);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('a grant it has no handler for answered invalid_request (as Hydra does): not taken for support', async () => {
    const known = new Set(['client_credentials', 'authorization_code', 'refresh_token']);
    proxy.mutation = { request: (req) => (grantOf(req) === undefined || known.has(grantOf(req)!) ? undefined : errorResponse(400, 'invalid_request', 'unknown grant')) };
    try {
      const report = await runConformance(ccOnly);
      expect([statusOf(report, 'meta-grants').status, statusOf(report, 'meta-grants').findings]).toEqual(['passed', []]);
    } finally {
      proxy.mutation = undefined;
    }
  });

  test('a grant left out of the document that its handler reads (invalid_grant for password) warns', async () => {
    proxy.mutation = { request: (req) => (grantOf(req) === 'password' ? errorResponse(400, 'invalid_grant', 'bad credentials') : undefined) };
    try {
      const report = await runConformance(ccOnly);
      expect(statusOf(report, 'meta-grants').status).toBe('warned');
      expect(statusOf(report, 'meta-grants').findings.map((f) => [f.level, f.message])).toEqual([['SHOULD', expect.stringMatching(/^grant_type password, which the metadata does not list, is handled: answered 400 invalid_grant/)]]);
    } finally {
      proxy.mutation = undefined;
    }
  });
});

describe('a hostile metadata document', () => {
  const SECRET = 's3cr3t-Value-0123456789-abcdefghij';
  const servers = referenceBesideTinyServers();
  const serving = (doc: (origin: string) => unknown) => servers.tiny((req, res, origin) => (req.url === '/.well-known/oauth-authorization-server' ? json(res, 200, doc(origin)) : json(res, 404, {})));

  /** The reference run's config, plus a client whose secret the document echoes. */
  const withSecretClient = (config: ConformanceConfig): ConformanceConfig => ({ ...config, clients: [...(config.clients ?? []), { id: 'echo-client', secret: SECRET, auth: 'client_secret_post' }] });

  test('a client secret echoed where a cut would fall is in no report, no message, not even its start', async () => {
    // 110 characters, then the secret: a message cut at 120 before scrubbing would keep its first 10.
    const server = await serving((origin) => ({ issuer: `${'x'.repeat(110)}${SECRET}`, token_endpoint: `${origin}/token`, jwks_uri: `${'y'.repeat(100)}${SECRET}` }));
    const report = await runConformance({ ...withSecretClient(referenceTargetConfig(servers.reference())), issuer: server.origin, only: ['metadata'] });
    expect(statusOf(report, 'meta-issuer').status).toBe('failed');
    expect(report.discovery?.unusable).toMatch(/names the issuer/);
    const prefix = SECRET.slice(0, 8);
    for (const format of ['json', 'junit', 'markdown', 'console'] as const) expect([format, formatReport(report, format).includes(prefix)]).toEqual([format, false]);
    // Without a url the same document ends the run: its one line holds nothing of the secret either.
    const { url: _url, ...issuerOnly } = withSecretClient(referenceTargetConfig(servers.reference()));
    const error = await runConformance({ ...issuerOnly, issuer: server.origin }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DiscoveryError);
    expect((error as Error).message).toMatch(/names the issuer/);
    expect((error as Error).message.includes(prefix)).toBe(false);
  });

  test('hundreds of listed values: each list probed once per value, at most MAX_PROBED_VALUES of them', async () => {
    const server = await serving((origin) => ({
      issuer: origin,
      token_endpoint: servers.reference().tokenEndpoint,
      // Within the 64 KiB a document may have: about 52 KB.
      grant_types_supported: Array.from({ length: 600 }, (_, i) => `urn:example:grant:${i}`),
      dpop_signing_alg_values_supported: Array.from({ length: 2000 }, () => 'ES256'),
      token_endpoint_auth_methods_supported: Array.from({ length: 1000 }, () => 'client_secret_basic'),
    }));
    const requests = new Map<string, number>();
    const report = await runConformance(
      { ...referenceTargetConfig(servers.reference()), issuer: server.origin, only: ['metadata-truth'] },
      { onRequest: (id) => requests.set(id, (requests.get(id) ?? 0) + 1) },
    );
    expect(report.checks.every((c) => c.status !== 'failed' || c.id === 'meta-grants')).toBe(true);
    // Listed (at most 16) plus the well-known grants not listed (8 at most).
    expect(requests.get('meta-grants')).toBeLessThanOrEqual(MAX_PROBED_VALUES + 8);
    // ES256 once, and the one unlisted algorithm.
    expect(requests.get('meta-dpop-algs')).toBe(2);
    expect(requests.get('meta-auth-advertised')).toBe(1);
  });
});
