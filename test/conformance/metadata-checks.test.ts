/**
 * The `metadata` checks, one document per row: a correct document passes
 * every check (correct in different ways: only the OpenID location, a
 * charset, no authorization endpoint), and each document that breaks one
 * rule fails (or warns, as the level says) exactly the check for it. The
 * documents are served by a small server whose issuer is judged; the token
 * endpoint is the reference server's.
 */
import { describe, expect, test } from '@jest/globals';
import { referenceTargetConfig, runConformance, type CheckStatus } from '../../src/conformance';
import { json, referenceBesideTinyServers } from '../support/tiny-server';

const METADATA_CHECKS = ['meta-document', 'meta-issuer', 'meta-required', 'meta-types', 'meta-https', 'meta-pkce', 'meta-agree'] as const;
type MetadataCheck = (typeof METADATA_CHECKS)[number];

/** A correct RFC 8414 document for `issuer` (a code grant with PKCE S256, loopback URLs). */
function goodDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['ES256'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: ['read', 'write'],
  };
}

interface Row {
  name: string;
  /** What each well-known URL serves; absent: 404. */
  oauth?: (issuer: string) => unknown;
  openid?: (issuer: string) => unknown;
  /** Content-Type of the RFC 8414 answer. */
  type?: string;
  /** Raw text instead of JSON at the RFC 8414 URL. */
  raw?: string;
  /** The statuses that differ from passed/skipped: every other metadata check must pass or skip. */
  expect: Partial<Record<MetadataCheck, CheckStatus>>;
  /** A finding's message must match. */
  message?: RegExp;
}

const edit = (change: (doc: Record<string, unknown>, issuer: string) => void) => (issuer: string) => {
  const doc = goodDocument(issuer);
  change(doc, issuer);
  return doc;
};

const ROWS: Row[] = [
  { name: 'a correct document', oauth: goodDocument, expect: {} },
  { name: 'correct, published at the OpenID location only', openid: goodDocument, expect: {} },
  { name: 'correct, with a charset parameter', oauth: goodDocument, type: 'application/json; charset=utf-8', expect: {} },
  {
    name: 'correct, client_credentials only: no authorization endpoint, an empty response_types_supported',
    oauth: edit((doc) => {
      delete doc.authorization_endpoint;
      delete doc.code_challenge_methods_supported;
      doc.response_types_supported = [];
      doc.grant_types_supported = ['client_credentials'];
    }),
    expect: {},
  },
  { name: 'correct at both locations, the lists in another order', oauth: goodDocument, openid: edit((doc) => (doc.token_endpoint_auth_methods_supported = ['private_key_jwt', 'client_secret_basic'])), expect: {} },
  { name: 'JSON served as text/plain', oauth: goodDocument, type: 'text/plain', expect: { 'meta-document': 'failed' }, message: /Content-Type "text\/plain"/ },
  { name: 'an HTML page at both URLs', raw: '<!doctype html><p>hi</p>', type: 'text/html', openid: () => '<html></html>', expect: { 'meta-document': 'failed' }, message: /HTML page/ },
  { name: 'another issuer', oauth: edit((doc) => (doc.issuer = 'https://other.example')), expect: { 'meta-issuer': 'failed' }, message: /names the issuer "https:\/\/other\.example"/ },
  { name: 'the OpenID document names another issuer', oauth: goodDocument, openid: edit((doc) => (doc.issuer = `${doc.issuer as string}/`)), expect: { 'meta-issuer': 'failed' } },
  { name: 'no token_endpoint', oauth: edit((doc) => delete doc.token_endpoint), expect: { 'meta-required': 'failed' }, message: /no token_endpoint/ },
  { name: 'the code grant without authorization_endpoint', oauth: edit((doc) => delete doc.authorization_endpoint), expect: { 'meta-required': 'failed' }, message: /no authorization_endpoint/ },
  { name: 'private_key_jwt without its signing algorithms', oauth: edit((doc) => delete doc.token_endpoint_auth_signing_alg_values_supported), expect: { 'meta-required': 'failed' }, message: /MUST be present when .*private_key_jwt/ },
  {
    name: 'grant_types_supported omitted and no authorization endpoint (the default says code and implicit)',
    oauth: edit((doc) => {
      delete doc.grant_types_supported;
      delete doc.authorization_endpoint;
    }),
    expect: { 'meta-required': 'warned' },
  },
  { name: 'grant_types_supported a string', oauth: edit((doc) => (doc.grant_types_supported = 'client_credentials')), expect: { 'meta-types': 'failed' }, message: /grant_types_supported is the string/ },
  { name: 'scopes_supported holding a number', oauth: edit((doc) => (doc.scopes_supported = ['read', 7])), expect: { 'meta-types': 'failed' }, message: /an array holding non-strings/ },
  { name: 'an empty list', oauth: edit((doc) => (doc.scopes_supported = [])), expect: { 'meta-types': 'failed' }, message: /omitted when empty/ },
  { name: 'jwks_uri no URL', oauth: edit((doc) => (doc.jwks_uri = 'keys')), expect: { 'meta-types': 'failed' }, message: /jwks_uri is the string "keys"/ },
  { name: '"none" as an assertion algorithm', oauth: edit((doc) => (doc.token_endpoint_auth_signing_alg_values_supported = ['ES256', 'none'])), expect: { 'meta-types': 'failed' }, message: /lists "none"/ },
  { name: 'a boolean as a string', oauth: edit((doc) => (doc.tls_client_certificate_bound_access_tokens = 'yes')), expect: { 'meta-types': 'failed' } },
  { name: 'mtls_endpoint_aliases a list', oauth: edit((doc) => (doc.mtls_endpoint_aliases = ['https://mtls.example/token'])), expect: { 'meta-types': 'failed' } },
  { name: 'a plain-http token endpoint on another host', oauth: edit((doc) => (doc.token_endpoint = 'http://as.example/token')), expect: { 'meta-https': 'failed' }, message: /token_endpoint is not an https URL/ },
  { name: 'a plain-http mTLS alias', oauth: edit((doc) => (doc.mtls_endpoint_aliases = { token_endpoint: 'http://mtls.example/token' })), expect: { 'meta-https': 'failed' } },
  { name: 'the code grant without PKCE methods', oauth: edit((doc) => delete doc.code_challenge_methods_supported), expect: { 'meta-pkce': 'warned' }, message: /without code_challenge_methods_supported/ },
  { name: 'PKCE plain only', oauth: edit((doc) => (doc.code_challenge_methods_supported = ['plain'])), expect: { 'meta-pkce': 'failed' }, message: /does not list S256/ },
  // No sentence forbids offering plain beside S256 (RFC 9700 §2.1.1 asks clients to use S256): said in the note, not judged.
  { name: 'correct, PKCE S256 and plain', oauth: edit((doc) => (doc.code_challenge_methods_supported = ['S256', 'plain'])), expect: {} },
  { name: 'correct, published at the OpenID location; the RFC 8414 URL answers {} (a catch-all)', oauth: () => ({}), openid: goodDocument, expect: {} },
  {
    name: 'correct at both locations, one leaving out the auth methods (the default, client_secret_basic), the other listing it',
    oauth: edit((doc) => {
      delete doc.token_endpoint_auth_methods_supported;
      delete doc.token_endpoint_auth_signing_alg_values_supported;
    }),
    openid: edit((doc) => {
      doc.token_endpoint_auth_methods_supported = ['client_secret_basic'];
      delete doc.token_endpoint_auth_signing_alg_values_supported;
    }),
    expect: {},
  },
  { name: 'correct, implicit only: no token_endpoint needed', oauth: edit((doc) => {
      delete doc.token_endpoint;
      delete doc.code_challenge_methods_supported;
      doc.grant_types_supported = ['implicit'];
      doc.response_types_supported = ['token'];
    }), expect: {} },
  { name: 'the two documents name other token endpoints', oauth: goodDocument, openid: edit((doc, issuer) => (doc.token_endpoint = `${issuer}/other-token`)), expect: { 'meta-agree': 'warned' }, message: /disagree on token_endpoint/ },
];

describe('metadata checks, one document per row', () => {
  const servers = referenceBesideTinyServers();

  test.each(ROWS)('$name', async (row) => {
    const server = await servers.tiny((req, res, origin) => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        if (row.raw !== undefined) return res.writeHead(200, { 'Content-Type': row.type ?? 'text/html' }).end(row.raw);
        if (row.oauth) return json(res, 200, row.oauth(origin), row.type);
      }
      if (req.url === '/.well-known/openid-configuration' && row.openid) {
        const body = row.openid(origin);
        if (typeof body === 'string') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(body);
        return json(res, 200, body);
      }
      json(res, 404, { error: 'not_found' });
    });
    const report = await runConformance({ ...referenceTargetConfig(servers.reference()), issuer: server.origin, only: ['metadata'] });
    const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    for (const id of METADATA_CHECKS) {
      const expected = row.expect[id];
      if (expected !== undefined) expect([id, statuses[id]]).toEqual([id, expected]);
      else expect([id, ['passed', 'skipped'].includes(statuses[id]!)]).toEqual([id, true]);
    }
    if (row.message) {
      const judged = report.checks.filter((c) => row.expect[c.id as MetadataCheck] !== undefined);
      expect(judged.flatMap((c) => c.findings.map((f) => f.message)).join('\n')).toMatch(row.message);
    }
    // A correct document: the checks that can judge it pass (only meta-agree may skip, with one document).
    if (Object.keys(row.expect).length === 0) {
      const passed = METADATA_CHECKS.filter((id) => statuses[id] === 'passed');
      expect(passed.length).toBeGreaterThanOrEqual(5);
    }
  });
});
