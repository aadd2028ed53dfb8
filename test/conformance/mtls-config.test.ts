/**
 * Mutual TLS in the configuration: --client-cert / --client-key /
 * --mtls-url (and the config members), the run against the reference
 * server's mutual-TLS listener from the CLI, and the key never shown:
 * not in an error about it, not in any report, not in a curl line.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors';
import { resolveConfig } from '../../src/conformance';
import { applyDiscovery, type DiscoveredMetadata } from '../../src/conformance/discovery';
import { createSelfSignedClientCertificate } from '../../src/oauth/x509';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { cli } from '../support/cli';

let dir: string;
let server: ReferenceServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mtls-config-'));
  server = await createReferenceServer({ mtls: {} });
  const client = server.clients['mtls-client']!;
  writeFileSync(join(dir, 'client.pem'), client.certificate!);
  writeFileSync(join(dir, 'client.key'), client.certificateKey!);
  writeFileSync(join(dir, 'ca.pem'), server.mtls!.ca!);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.close();
});

describe('--client-cert, --client-key, --mtls-url', () => {
  test('a CLI run of the mtls checks against the reference server: all pass; the key is in no output', async () => {
    const flags = ['--ca-file', 'ca.pem', '--client-id', 'mtls-client', '--client-cert', 'client.pem', '--client-key', 'client.key', '--only', 'mtls', '--reporter', 'json'];
    const run = await cli(['conformance', '--url', server.tokenEndpoint, '--mtls-url', server.mtls!.tokenEndpoint, ...flags], { cwd: dir });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string }> };
    // tls_client_auth is the default auth with a certificate and no secret. Skipped: the self-signed check (no such client);
    // mtls-bound (nothing says the server binds: no metadata, no certificateBoundTokens); mtls-required-absent (no such client).
    expect(report.checks.filter((c) => c.status !== 'passed').map((c) => c.id).sort()).toEqual(['mtls-bound', 'mtls-required-absent', 'mtls-self-signed-wrong-key']);
    // With --issuer alone the mTLS endpoint comes from mtls_endpoint_aliases, and the metadata says tokens are bound: mtls-bound runs.
    const derived = await cli(['conformance', '--issuer', server.issuer, ...flags], { cwd: dir });
    expect(derived.stderr).toBe('');
    const byIssuer = JSON.parse(derived.stdout) as { checks: Array<{ id: string; status: string }>; discovery: { origins: Array<{ member: string; source: string }> } };
    expect(byIssuer.discovery.origins).toContainEqual({ member: 'mtlsUrl', source: 'metadata', from: 'mtls_endpoint_aliases.token_endpoint' });
    expect(byIssuer.checks.find((c) => c.id === 'mtls-bound')!.status).toBe('passed');
    // discover shows the same: what a run takes from the metadata, the mTLS endpoint included.
    const discover = await cli(['discover', '--issuer', server.issuer, '--json'], { cwd: dir });
    expect((JSON.parse(discover.stdout) as { config: Record<string, { value: unknown; from: string }> }).config.mtlsUrl).toEqual({ value: server.mtls!.tokenEndpoint, from: 'mtls_endpoint_aliases.token_endpoint' });
    const key = server.clients['mtls-client']!.certificateKey!;
    const body = key.replace(/-----[^-]+-----|\s/g, '');
    for (const text of [run.stdout, run.stderr]) expect([text.includes(body.slice(0, 40)), text.includes('PRIVATE KEY')]).toEqual([false, false]);
  });

  test('a key that is not the certificate\'s, an unreadable certificate, one half missing: one line each, the key never quoted', async () => {
    const other = await createSelfSignedClientCertificate('CN=other');
    const base = { url: server.tokenEndpoint, clients: [] as never[] };
    const client = server.clients['mtls-client']!;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ id: 'm', auth: 'tls_client_auth', certificate: client.certificate, certificateKey: other.key }, /certificateKey is not the key of the certificate \(CN=mtls-client\)/],
      [{ id: 'm', auth: 'tls_client_auth', certificate: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', certificateKey: client.certificateKey }, /certificate is not a readable PEM certificate/],
      [{ id: 'm', auth: 'tls_client_auth', certificate: client.certificate }, /tls_client_auth needs certificate and certificateKey/],
      [{ id: 'm', auth: 'tls_client_auth', certificate: client.certificate, certificateKey: 'missing.key' }, /cannot read certificateKey \(the path given is not shown\): ENOENT/],
      // The key's base64 pasted without its PEM lines looks like a path: still never quoted.
      [{ id: 'm', auth: 'tls_client_auth', certificate: client.certificate, certificateKey: client.certificateKey!.replace(/-----[^-]+-----|\s/g, '') }, /cannot read certificateKey \(the path given is not shown\)/],
      [{ id: 'm', auth: 'tls_client_auth', certificate: client.certificate, certificateKey: client.certificateKey, secret: 's' }, /authenticates with its certificate: no secret/],
    ];
    for (const [entry, message] of cases) {
      const error = await resolveConfig({ ...base, clients: [entry as never] }, { baseDir: dir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('PRIVATE KEY');
      expect((error as Error).message).not.toContain(client.certificateKey!.replace(/-----[^-]+-----|\s/g, '').slice(0, 24));
    }
    // mtlsUrl needs TLS.
    await expect(resolveConfig({ url: server.tokenEndpoint, mtlsUrl: server.tokenEndpoint })).rejects.toThrow(/mtlsUrl must be an https:\/\/ URL/);
  });
});

describe('introspectionUrl, mtlsIntrospectionUrl, --introspection-url (RFC 7662)', () => {
  test('the endpoint carries access tokens: https or loopback http only; a bare origin is kept as it is; the member is named', async () => {
    const base = { url: server.tokenEndpoint, clients: [{ id: 'basic-client', secret: 'basic-secret', auth: 'client_secret_basic' as const }] };
    await expect(resolveConfig({ ...base, introspectionUrl: 'http://auth.example.com/introspect' })).rejects.toThrow(
      'refusing plain http:// to auth.example.com: the introspection endpoint requires TLS (RFC 7662 §4); use https:// or pass --allow-insecure-http',
    );
    await expect(resolveConfig({ ...base, introspectionUrl: 'not a url' })).rejects.toThrow(/^introspectionUrl must be an absolute http\(s\) URL/);
    // RFC 6749 §3.2 allows a query in an endpoint URL: an introspection endpoint keeps it.
    expect((await resolveConfig({ ...base, introspectionUrl: 'https://auth.example.com/i?tenant=a' })).introspectionUrl).toBe('https://auth.example.com/i?tenant=a');
    await expect(resolveConfig({ ...base, mtlsIntrospectionUrl: 'http://127.0.0.1:1/introspect' })).rejects.toThrow(/mtlsIntrospectionUrl must be an https:\/\/ URL/);
    const resolved = await resolveConfig({ ...base, introspectionUrl: 'https://auth.example.com', mtlsIntrospectionUrl: 'https://mtls.auth.example.com/introspect' });
    expect([resolved.introspectionUrl, resolved.mtlsIntrospectionUrl]).toEqual(['https://auth.example.com/', 'https://mtls.auth.example.com/introspect']);
  });

  test('--introspection-url reaches the run; without it the issuer\'s metadata gives none here (the reference server has no introspection)', async () => {
    const flags = ['--client-id', 'basic-client', '--client-secret', 'basic-secret', '--only', 'dpop-jkt', '--dpop', '--reporter', 'json'];
    const run = await cli(['conformance', '--url', server.tokenEndpoint, '--introspection-url', 'http://auth.example.com/introspect', ...flags], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the introspection endpoint requires TLS \(RFC 7662 §4\)/);
    const byIssuer = await cli(['conformance', '--issuer', server.issuer, ...flags], { cwd: dir });
    const report = JSON.parse(byIssuer.stdout) as { discovery: { origins: Array<{ member: string }> } };
    expect(report.discovery.origins.map((o) => o.member)).not.toContain('introspectionUrl');
  });
});

describe('the metadata\'s introspection endpoints (RFC 8414 §2, RFC 8705 §5)', () => {
  const metadata = (members: Partial<DiscoveredMetadata>): DiscoveredMetadata => ({
    issuer: 'https://as.example',
    metadataUrl: 'https://as.example/.well-known/oauth-authorization-server',
    document: 'oauth-authorization-server',
    tokenEndpoint: 'https://as.example/token',
    ignored: [],
    ...members,
  });

  test('one of the same server is used; one on another host, not https, or not a URL is not used (and says why); none ends the run', () => {
    const used = applyDiscovery({}, metadata({ introspectionEndpoint: 'https://as.example/introspect?tenant=a', mtlsEndpointAliases: { token_endpoint: 'https://mtls.as.example/token', introspection_endpoint: 'https://mtls.as.example/introspect' } }));
    expect([used.config.introspectionUrl, used.config.mtlsIntrospectionUrl]).toEqual(['https://as.example/introspect?tenant=a', 'https://mtls.as.example/introspect']);
    const cases: Array<[Partial<DiscoveredMetadata>, string, RegExp]> = [
      // A document may not hand the client's credentials and tokens to another host.
      [{ introspectionEndpoint: 'https://collector.example/introspect' }, 'introspection_endpoint', /^on another origin \(https:\/\/collector\.example\) than the token endpoint and the issuer: give introspectionUrl to use it$/],
      [{ introspectionEndpoint: 'http://as.example/introspect' }, 'introspection_endpoint', /^not https$/],
      [{ introspectionEndpoint: 'https://user:pw@as.example/introspect' }, 'introspection_endpoint', /^carries credentials or a fragment$/],
      [{ introspectionEndpoint: 'not a url' }, 'introspection_endpoint', /^not a URL$/],
      [{ mtlsEndpointAliases: { introspection_endpoint: 'https://other.example/introspect' } }, 'mtls_endpoint_aliases.introspection_endpoint', /^on another origin/],
      [{ mtlsEndpointAliases: { introspection_endpoint: 'http://127.0.0.1:1/introspect' } }, 'mtls_endpoint_aliases.introspection_endpoint', /^not https \(mutual TLS needs TLS\)$/],
    ];
    for (const [members, from, why] of cases) {
      const { config, discovery } = applyDiscovery({}, metadata(members));
      expect([config.introspectionUrl, config.mtlsIntrospectionUrl]).toEqual([undefined, undefined]);
      expect(discovery.origins).toContainEqual({ member: expect.any(String), source: 'ignored', from, why: expect.stringMatching(why) });
    }
    // The config's own endpoint wins, and is not second-guessed.
    const given = applyDiscovery({ introspectionUrl: 'https://elsewhere.example/i' }, metadata({ introspectionEndpoint: 'https://as.example/introspect' }));
    expect(given.config.introspectionUrl).toBe('https://elsewhere.example/i');
    expect(given.discovery.origins).toContainEqual({ member: 'introspectionUrl', source: 'config', from: 'introspection_endpoint' });
  });
});
