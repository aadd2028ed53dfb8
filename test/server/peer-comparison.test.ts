/**
 * The same request sequence sent to the reference server and to panva's
 * oidc-provider (test/peers): where the contract and the RFCs agree, both
 * give the same outcome; where they part, the table names the difference and
 * why (shared/oidc-provider-peer.md), and the test pins both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, type JWK } from 'jose';
import { basicAuthorization, createDpopProof, generateDpopKey, tokenEndpoint, type ClientCredentialsOptions, type ClientOptions, type TokenEndpointClient } from '../../src/harness';
import { createReferenceServer, type ReferenceServer } from '../../src/server';
import { startOidcProvider, type OidcProviderPeer } from '../peers/oidc-provider';

/** What the scenarios need to know about a target, whichever server it is. */
interface Target {
  name: 'reference' | 'oidc-provider';
  tokenEndpoint: string;
  basic: { id: string; secret: string };
  post: { id: string; secret: string };
  jwt: { id: string; privateJwk: JWK };
  noGrant: { id: string; secret: string };
}

function referenceTarget(server: ReferenceServer): Target {
  const c = server.clients;
  return {
    name: 'reference',
    tokenEndpoint: server.tokenEndpoint,
    basic: { id: 'basic-client', secret: c['basic-client']!.secret! },
    post: { id: 'post-client', secret: c['post-client']!.secret! },
    jwt: { id: 'jwt-client', privateJwk: c['jwt-client']!.privateJwk! },
    noGrant: { id: 'no-grant-client', secret: c['no-grant-client']!.secret! },
  };
}

function peerTarget(peer: OidcProviderPeer): Target {
  return { name: 'oidc-provider', tokenEndpoint: peer.tokenEndpoint, ...peer.clients };
}

const basicOf = (t: Target): ClientOptions => ({ ...t.basic, auth: 'client_secret_basic' });
const postOf = (t: Target): ClientOptions => ({ ...t.post, auth: 'client_secret_post' });
const jwtOf = (t: Target): ClientOptions => ({ id: t.jwt.id, privateKey: t.jwt.privateJwk, auth: 'private_key_jwt' });
const client = (t: Target, options: ClientOptions, dpop = false): TokenEndpointClient => tokenEndpoint(t.tokenEndpoint, { client: options, ...(dpop ? { dpop: true } : {}) });
const send = (t: Target, options: ClientOptions, request: ClientCredentialsOptions = {}, dpop = false) => client(t, options, dpop).clientCredentials(request);
const now = () => Math.floor(Date.now() / 1000);

interface Outcome {
  status: number;
  /** `error` of an error body, `token_type` of a token, or the media type of anything else. */
  result: string;
}
type Res = { status: number; body: unknown; headers: Record<string, string | undefined> };

function outcomeOf(res: Res): Outcome {
  const body = res.body as Record<string, unknown> | undefined;
  const result = typeof body?.error === 'string' ? body.error : typeof body?.token_type === 'string' ? body.token_type : (res.headers['content-type'] ?? '').split(';')[0]!;
  return { status: res.status, result };
}

interface Scenario {
  id: string;
  send(t: Target): Promise<Res>;
  /** Both servers answer this; when they differ, `peer` and `why` say how. */
  expected: Outcome;
  peer?: Outcome;
  why?: string;
}

const raw = (t: Target) => tokenEndpoint(t.tokenEndpoint).raw();
const path = (t: Target) => new URL(t.tokenEndpoint).pathname;

const SCENARIOS: Scenario[] = [
  { id: 'ok-basic', send: (t) => send(t, basicOf(t)), expected: { status: 200, result: 'Bearer' } },
  { id: 'ok-post', send: (t) => send(t, postOf(t)), expected: { status: 200, result: 'Bearer' } },
  { id: 'ok-pkjwt', send: (t) => send(t, jwtOf(t)), expected: { status: 200, result: 'Bearer' } },
  { id: 'scope-subset', send: (t) => send(t, basicOf(t), { scope: 'read' }), expected: { status: 200, result: 'Bearer' } },
  { id: 'param-unknown', send: (t) => send(t, basicOf(t), { params: { foo: 'bar' } }), expected: { status: 200, result: 'Bearer' } },
  { id: 'dpop-ok', send: (t) => send(t, basicOf(t), {}, true), expected: { status: 200, result: 'DPoP' } },
  { id: 'dpop-hdr-case', send: (t) => send(t, basicOf(t), { dpopHeaderName: 'DPOP' }, true), expected: { status: 200, result: 'DPoP' } },
  { id: 'basic-bad-secret', send: (t) => send(t, { ...basicOf(t), secret: 'wrong' }), expected: { status: 401, result: 'invalid_client' } },
  { id: 'grant-missing', send: (t) => send(t, basicOf(t), { params: { grant_type: null } }), expected: { status: 400, result: 'invalid_request' } },
  { id: 'grant-unsupported', send: (t) => send(t, basicOf(t), { params: { grant_type: 'password' } }), expected: { status: 400, result: 'unsupported_grant_type' } },
  {
    id: 'dup-param',
    send: (t) => raw(t).post(path(t)).set('Authorization', basicAuthorization(t.basic.id, t.basic.secret)).type('form').send('grant_type=client_credentials&scope=read&scope=write'),
    expected: { status: 400, result: 'invalid_request' },
  },
  { id: 'two-methods', send: (t) => send(t, basicOf(t), { params: { client_id: t.basic.id, client_secret: t.basic.secret } }), expected: { status: 400, result: 'invalid_request' } },
  { id: 'scope-not-allowed', send: (t) => send(t, basicOf(t), { scope: 'admin' }), expected: { status: 400, result: 'invalid_scope' } },
  { id: 'pkjwt-expired', send: (t) => send(t, jwtOf(t), { assertion: { expired: true } }), expected: { status: 400, result: 'invalid_client' }, peer: { status: 401, result: 'invalid_client' }, why: 'peer item 6: body/assertion credential failures are 401 (RFC 6749 §5.2 allows 400 or 401)' },
  { id: 'pkjwt-aud', send: (t) => send(t, jwtOf(t), { assertion: { audience: 'https://other.example/token' } }), expected: { status: 400, result: 'invalid_client' }, peer: { status: 401, result: 'invalid_client' }, why: 'peer item 6 (400 or 401 both allowed)' },
  { id: 'dpop-multi', send: async (t) => send(t, basicOf(t), { dpopProof: [await proofFor(t), await proofFor(t)] }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-malformed', send: (t) => send(t, basicOf(t), { dpopProof: 'not-a-jwt' }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-alg-hs256', send: (t) => send(t, basicOf(t), { proof: { alg: 'HS256' } }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-htm', send: (t) => send(t, basicOf(t), { proof: { htm: 'GET' } }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-htu', send: (t) => send(t, basicOf(t), { proof: { htu: `${new URL(t.tokenEndpoint).origin}/other` } }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-typ', send: (t) => send(t, basicOf(t), { proof: { typ: 'jwt' } }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },
  { id: 'dpop-iat-old', send: (t) => send(t, basicOf(t), { proof: { iat: now() - 3600 } }, true), expected: { status: 400, result: 'invalid_dpop_proof' } },

  // Where they part.
  { id: 'ok-json-body', send: (t) => send(t, postOf(t), { contentType: 'json' }), expected: { status: 200, result: 'Bearer' }, peer: { status: 400, result: 'invalid_request' }, why: 'peer item 4: JSON bodies are an attesto_phoenix extension; RFC 6749 §4.4.2 only defines form encoding' },
  {
    id: 'query-creds',
    send: (t) => raw(t).post(`${path(t)}?scope=read`).set('Authorization', basicAuthorization(t.basic.id, t.basic.secret)).type('form').send('grant_type=client_credentials'),
    expected: { status: 400, result: 'invalid_request' },
    peer: { status: 200, result: 'Bearer' },
    why: 'peer item 5: it ignores token parameters in the query string of a POST; the contract rejects them',
  },
  { id: 'method-get', send: (t) => raw(t).get(path(t)), expected: { status: 405, result: 'invalid_request' }, peer: { status: 404, result: 'text/plain' }, why: 'peer item 3: no GET route (404 text); the reference answers 405 + Allow: POST (RFC 9110 §15.5.6)' },
  { id: 'post-bad-secret', send: (t) => send(t, { ...postOf(t), secret: 'wrong' }), expected: { status: 400, result: 'invalid_client' }, peer: { status: 401, result: 'invalid_client' }, why: 'peer item 6: 401 without a challenge; the contract answers 400 unless the Authorization header was used' },
  { id: 'auth-none', send: (t) => raw(t).post(path(t)).type('form').send('grant_type=client_credentials'), expected: { status: 400, result: 'invalid_client' }, peer: { status: 400, result: 'invalid_request' }, why: 'peer item 6: no credentials → invalid_request; RFC 6749 §5.2 names invalid_client' },
  { id: 'pkjwt-too-long', send: (t) => send(t, jwtOf(t), { assertion: { lifetimeSeconds: 3600 } }), expected: { status: 400, result: 'invalid_client' }, peer: { status: 200, result: 'Bearer' }, why: 'peer item 7: no 300 s cap on assertion lifetime (RFC 7523 §3 item 4 lets servers cap it)' },
  { id: 'scope-unknown', send: (t) => send(t, basicOf(t), { scope: 'delete' }), expected: { status: 400, result: 'invalid_scope' }, peer: { status: 200, result: 'Bearer' }, why: 'peer item 8: unknown scopes are dropped silently' },
  { id: 'grant-not-for-client', send: (t) => send(t, { ...t.noGrant, auth: 'client_secret_basic' }), expected: { status: 400, result: 'unauthorized_client' }, peer: { status: 400, result: 'invalid_request' }, why: 'peer item 10; RFC 6749 §5.2 names unauthorized_client' },
  {
    id: 'dpop-replay',
    send: async (t) => {
      const proof = await proofFor(t);
      await send(t, basicOf(t), { dpopProof: proof }, true);
      return send(t, basicOf(t), { dpopProof: proof }, true);
    },
    expected: { status: 400, result: 'invalid_dpop_proof' },
    peer: { status: 400, result: 'invalid_grant' },
    why: 'peer item 9: a replayed proof is invalid_grant; RFC 9449 §5 uses invalid_dpop_proof for proof failures',
  },
];

const proofKey = generateDpopKey('ES256');
async function proofFor(t: Target): Promise<string> {
  return createDpopProof({ key: await proofKey, htm: 'POST', htu: t.tokenEndpoint });
}

let reference: ReferenceServer;
let peer: OidcProviderPeer;
let targets: Target[];
beforeAll(async () => {
  [reference, peer] = await Promise.all([createReferenceServer(), startOidcProvider()]);
  targets = [referenceTarget(reference), peerTarget(peer)];
}, 30_000);
afterAll(async () => {
  await Promise.all([reference?.close(), peer?.stop()]);
});

describe('reference server vs oidc-provider: the same requests', () => {
  it.each(SCENARIOS.map((s) => [s.id, s] as const))('%s', async (_, scenario) => {
    for (const target of targets) {
      const expected = target.name === 'oidc-provider' && scenario.peer ? scenario.peer : scenario.expected;
      const res = (await scenario.send(target)) as Res;
      expect({ target: target.name, ...outcomeOf(res) }).toEqual({ target: target.name, ...expected });
    }
  });

  it('every documented difference says why', () => {
    for (const scenario of SCENARIOS) if (scenario.peer) expect(scenario.why).toMatch(/\S/);
  });

  it('dpop-jkt: both bind the JWT access token to the proof key; only the reference also puts cnf in the body (contract)', async () => {
    for (const target of targets) {
      const c = client(target, basicOf(target), true);
      const res = await c.clientCredentials();
      expect(res.status).toBe(200);
      expect(decodeJwt(res.body.access_token).cnf).toEqual({ jkt: c.dpopKey!.thumbprint });
      if (target.name === 'reference') expect(res.body.cnf).toEqual({ jkt: c.dpopKey!.thumbprint });
      else expect(res.body.cnf).toBeUndefined(); // peer item 1: RFC 9449 defines no body cnf
    }
  });

  it('framing: both send Cache-Control: no-store; only the reference sends Pragma: no-cache', async () => {
    for (const target of targets) {
      const res = await send(target, basicOf(target));
      expect(res.headers['cache-control']).toMatch(/no-store/);
      if (target.name === 'reference') expect(res.headers.pragma).toBe('no-cache');
      else expect(res.headers.pragma).toBeUndefined(); // peer item 2
    }
  });

  it('basic-bad-secret: both challenge with the Basic scheme', async () => {
    for (const target of targets) {
      const res = await send(target, { ...basicOf(target), secret: 'wrong' });
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="/);
    }
  });
});

describe('required nonces: the RFC 9449 §8 round trip on both', () => {
  let nonceReference: ReferenceServer;
  let noncePeer: OidcProviderPeer;
  let nonceTargets: Target[];
  beforeAll(async () => {
    [nonceReference, noncePeer] = await Promise.all([createReferenceServer({ dpop: { requireNonce: true } }), startOidcProvider({ requireNonce: true })]);
    nonceTargets = [referenceTarget(nonceReference), peerTarget(noncePeer)];
  }, 30_000);
  afterAll(async () => {
    await Promise.all([nonceReference?.close(), noncePeer?.stop()]);
  });

  it('nonce-missing → 400 use_dpop_nonce + DPoP-Nonce; the retry with it → 200 DPoP', async () => {
    for (const target of nonceTargets) {
      const first = await send(target, basicOf(target), { nonceRetry: false }, true);
      expect({ target: target.name, ...outcomeOf(first) }).toEqual({ target: target.name, status: 400, result: 'use_dpop_nonce' });
      expect(first.headers['dpop-nonce']).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/);
      const retried = await send(target, basicOf(target), {}, true);
      expect({ target: target.name, retried: retried.dpopNonceRetried, ...outcomeOf(retried) }).toEqual({ target: target.name, retried: true, status: 200, result: 'DPoP' });
    }
  });

  it('an hour-old iat with a valid nonce: the reference keeps its ±60 s window (invalid_dpop_proof); the peer lets the nonce replace iat freshness (200)', async () => {
    for (const target of nonceTargets) {
      const c = client(target, basicOf(target), true);
      await c.clientCredentials(); // learn a nonce
      const res = await c.clientCredentials({ nonceRetry: false, proof: { iat: now() - 3600 } });
      expect({ target: target.name, ...outcomeOf(res) }).toEqual({ target: target.name, ...(target.name === 'reference' ? { status: 400, result: 'invalid_dpop_proof' } : { status: 200, result: 'DPoP' }) });
    }
  });

  it('an hour-old iat without a nonce: the reference reports the proof (invalid_dpop_proof); the peer asks for a nonce (peer item 12)', async () => {
    for (const target of nonceTargets) {
      const res = await send(target, basicOf(target), { nonceRetry: false, proof: { iat: now() - 3600 } }, true);
      expect({ target: target.name, ...outcomeOf(res) }).toEqual({ target: target.name, status: 400, result: target.name === 'reference' ? 'invalid_dpop_proof' : 'use_dpop_nonce' });
    }
  });
});
