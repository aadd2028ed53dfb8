/**
 * The lifecycle server (support/lifecycle-server.ts) on its own, through the
 * harness: the correct server answers each rule as RFC 6749 §4.1.3, §6,
 * RFC 7636 §4.6, RFC 9700 §4.14.2 and RFC 9449 §5 say, and each defect
 * changes the answer of its rule. The conformance rows
 * (lifecycle-checks.test.ts) rest on this.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { generateDpopKey, tokenEndpoint, type ClientOptions, type HarnessResponse } from '../../src/harness';
import type { IssuedCode } from '../../src/conformance/grant-sources';
import { s256Challenge } from '../../src/oauth/pkce';
import { LIFECYCLE_CLIENTS, startLifecycleServer, type Defect, type LifecycleServer, type LifecycleServerOptions } from './support/lifecycle-server';

const WEB: ClientOptions = { id: LIFECYCLE_CLIENTS.web.id, auth: 'client_secret_basic', secret: LIFECYCLE_CLIENTS.web.secret };
const OTHER: ClientOptions = { id: LIFECYCLE_CLIENTS.other.id, auth: 'client_secret_basic', secret: LIFECYCLE_CLIENTS.other.secret };
const SPA: ClientOptions = { id: LIFECYCLE_CLIENTS.spa.id, auth: 'none' };

const started: LifecycleServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

/** A server with a clock the test moves. */
async function start(options: LifecycleServerOptions = {}) {
  let offset = 0;
  const server = await startLifecycleServer({ ...options, clock: () => Date.now() + offset });
  started.push(server);
  return { server, advance: (seconds: number) => void (offset += seconds * 1000) };
}

const code = async (server: LifecycleServer, clientId = WEB.id, scope?: string): Promise<IssuedCode> => server.issueCode({ clientId, ...(scope ? { scope } : {}) });
const outcome = (res: HarnessResponse) => (res.status === 200 ? 200 : [res.status, res.body.error]);

/** Redeems a fresh code for `client` and returns the tokens. */
async function tokens(server: LifecycleServer, client = WEB, dpop?: Awaited<ReturnType<typeof generateDpopKey>>) {
  const endpoint = tokenEndpoint(server.url, { client, ...(dpop ? { dpop } : {}) });
  const res = await endpoint.authorizationCode(await code(server, client.id)).expect(200);
  return { endpoint, refreshToken: res.body.refresh_token as string, res };
}

/** Rotate once, retry with the rotated-out token inside the window: the same successor back? Does the first successor still refresh? */
async function retryInWindow(s: Parameters<typeof tokens>[0]): Promise<[boolean, ReturnType<typeof outcome>]> {
  const { endpoint, refreshToken } = await tokens(s);
  const first = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token as string;
  const retry = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token as string;
  return [retry === first, outcome(await endpoint.refreshToken(first))];
}

describe('the correct server', () => {
  it('redeems a code once (Basic with form-encoded credentials), and its answers are no-store', async () => {
    const { server } = await start();
    const grant = await code(server);
    const endpoint = tokenEndpoint(server.url, { client: WEB });
    const res = await endpoint.authorizationCode(grant).expect(200);
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300, scope: 'read', refresh_token: expect.any(String) });
    expect([res.headers['cache-control'], res.headers.pragma]).toEqual(['no-store', 'no-cache']);
    const again = await endpoint.authorizationCode(grant);
    expect([again.status, again.body.error, again.headers['cache-control'], again.headers.pragma]).toEqual([400, 'invalid_grant', 'no-store', 'no-cache']);
    // RFC 6749 §4.1.2: the second use revokes what the first issued.
    expect(outcome(await endpoint.refreshToken(res.body.refresh_token as string))).toEqual([400, 'invalid_grant']);
  });

  it('refuses a code for the wrong client, redirect_uri or verifier, without consuming it; and an expired one', async () => {
    const { server, advance } = await start({ codeLifetimeSeconds: 10 });
    const grant = await code(server);
    const endpoint = tokenEndpoint(server.url, { client: WEB });
    expect(outcome(await endpoint.authorizationCode({ ...grant, client: OTHER }))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, break: 'other-redirect-uri' }))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, break: 'no-redirect-uri' }))).toEqual([400, 'invalid_request']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, break: 'no-code-verifier' }))).toEqual([400, 'invalid_request']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, break: 'wrong-code-verifier' }))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, codeVerifier: s256Challenge(grant.codeVerifier) }))).toEqual([400, 'invalid_grant']);
    // A confidential client's id alone authenticates nothing (RFC 6749 §4.1.3).
    expect(outcome(await endpoint.authorizationCode({ ...grant, client: { id: WEB.id, auth: 'none' } }))).toEqual([400, 'invalid_client']);
    expect(outcome(await endpoint.authorizationCode({ ...grant, client: { ...WEB, secret: 'wrong' } }))).toEqual([401, 'invalid_client']);
    await endpoint.authorizationCode(grant).expect(200);
    const late = await code(server);
    advance(10);
    expect(outcome(await endpoint.authorizationCode(late))).toEqual([400, 'invalid_grant']);
  });

  it('rotates; a retry in the grace window gets the same successor; after it, reuse revokes the family', async () => {
    const { server, advance } = await start({ graceSeconds: 5 });
    const { endpoint, refreshToken } = await tokens(server);
    const first = await endpoint.refreshToken(refreshToken).expect(200);
    const successor = first.body.refresh_token as string;
    expect(successor).not.toBe(refreshToken);
    expect((await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token).toBe(successor);
    advance(5);
    expect(outcome(await endpoint.refreshToken(refreshToken))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.refreshToken(successor))).toEqual([400, 'invalid_grant']);
  });

  it('a retry after the successor was used is a reuse, grace window or not', async () => {
    const { server } = await start({ graceSeconds: 60 });
    const { endpoint, refreshToken } = await tokens(server);
    const successor = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token as string;
    const next = (await endpoint.refreshToken(successor).expect(200)).body.refresh_token as string;
    expect(outcome(await endpoint.refreshToken(refreshToken))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.refreshToken(next))).toEqual([400, 'invalid_grant']);
  });

  it('binds refresh tokens to the client and needs its authentication', async () => {
    const { server } = await start();
    const { endpoint, refreshToken } = await tokens(server);
    expect(outcome(await endpoint.refreshToken(refreshToken, { client: OTHER }))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.refreshToken(refreshToken, { client: { id: WEB.id, auth: 'none' } }))).toEqual([400, 'invalid_client']);
    await endpoint.refreshToken(refreshToken).expect(200);
  });

  it('narrows but never widens the scope, and the refresh token keeps the original scope', async () => {
    const { server } = await start();
    const endpoint = tokenEndpoint(server.url, { client: WEB });
    const rt = (await endpoint.authorizationCode(await code(server, WEB.id, 'read write')).expect(200)).body.refresh_token as string;
    const narrowed = await endpoint.refreshToken(rt, { scope: 'read' }).expect(200);
    expect(narrowed.body.scope).toBe('read');
    expect((await endpoint.refreshToken(narrowed.body.refresh_token as string, { scope: 'read write' }).expect(200)).body.scope).toBe('read write');
    const { refreshToken } = await tokens(server);
    expect(outcome(await endpoint.refreshToken(refreshToken, { scope: 'read write' }))).toEqual([400, 'invalid_scope']);
  });

  it("binds a public client's refresh token to the DPoP key it redeemed the code with", async () => {
    const { server } = await start();
    const key = await generateDpopKey();
    const { endpoint, refreshToken, res } = await tokens(server, SPA, key);
    expect(res.body).toMatchObject({ token_type: 'DPoP', cnf: { jkt: expect.any(String) } });
    expect(outcome(await endpoint.refreshToken(refreshToken, { dpop: false }))).toEqual([400, 'invalid_grant']);
    expect(outcome(await endpoint.refreshToken(refreshToken, { dpop: await generateDpopKey() }))).toEqual([400, 'invalid_grant']);
    const next = await endpoint.refreshToken(refreshToken).expect(200);
    expect(next.body.token_type).toBe('DPoP');
    // The successor stays bound.
    expect(outcome(await endpoint.refreshToken(next.body.refresh_token as string, { dpop: false }))).toEqual([400, 'invalid_grant']);
  });

  it('refuses a bad DPoP proof with invalid_dpop_proof', async () => {
    const { server } = await start();
    const endpoint = tokenEndpoint(server.url, { client: SPA, dpop: true });
    const grant = await code(server, SPA.id);
    for (const proof of [{ typ: 'JWT' }, { htm: 'GET' }, { htu: 'http://127.0.0.1:1/oauth/token' }, { iat: Math.floor(Date.now() / 1000) - 3600 }]) {
      expect(outcome(await endpoint.authorizationCode({ ...grant, proof: proof as never }))).toEqual([400, 'invalid_dpop_proof']);
    }
    await endpoint.authorizationCode(grant).expect(200);
  });

  it('five concurrent refreshes of one token: one successor, handed to all (grace)', async () => {
    const { server } = await start();
    const { endpoint, refreshToken } = await tokens(server);
    const answers = await Promise.all(Array.from({ length: 5 }, () => endpoint.refreshToken(refreshToken)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((r) => r.body.refresh_token)).size).toBe(1);
  });
});

/** What one scenario shows: the correct server's answer, and the defect's. */

/** A refresh narrowed to read, then its successor asked for the original read write: the scopes each answer grants. */
async function narrowThenWiden(s: Parameters<typeof code>[0]): Promise<unknown> {
  const endpoint = tokenEndpoint(s.url, { client: WEB });
  const rt = (await endpoint.authorizationCode(await code(s, WEB.id, 'read write')).expect(200)).body.refresh_token as string;
  const narrowed = await endpoint.refreshToken(rt, { scope: 'read' }).expect(200);
  const res = await endpoint.refreshToken(narrowed.body.refresh_token as string, { scope: 'read write' });
  return [narrowed.body.scope, res.status === 200 ? res.body.scope : outcome(res)];
}

const SCENARIOS: Record<Defect, { what: string; run: (s: LifecycleServer, advance: (seconds: number) => void) => Promise<unknown>; clean: unknown; broken: unknown }> = {
  codeBearerTokenType: {
    what: 'token_type of a code redeemed with DPoP, and of its refresh',
    run: async (s) => {
      const { endpoint, refreshToken, res } = await tokens(s, SPA, await generateDpopKey());
      return [res.body.token_type, (await endpoint.refreshToken(refreshToken).expect(200)).body.token_type];
    },
    clean: ['DPoP', 'DPoP'],
    broken: ['Bearer', 'DPoP'],
  },
  reusableCodes: {
    what: 'a second redemption',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      const grant = await code(s);
      await endpoint.authorizationCode(grant).expect(200);
      return outcome(await endpoint.authorizationCode(grant));
    },
    clean: [400, 'invalid_grant'],
    broken: 200,
  },
  codeReuseKeepsTokens: {
    what: "a second redemption, then the first's refresh token",
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      const grant = await code(s);
      const rt = (await endpoint.authorizationCode(grant).expect(200)).body.refresh_token as string;
      return [outcome(await endpoint.authorizationCode(grant)), outcome(await endpoint.refreshToken(rt))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [[400, 'invalid_grant'], 200],
  },
  codeAnyClient: {
    what: "another client redeems web-app's code",
    run: async (s) => outcome(await tokenEndpoint(s.url, { client: OTHER }).authorizationCode(await code(s))),
    clean: [400, 'invalid_grant'],
    broken: 200,
  },
  ignoreRedirectUri: {
    what: 'another redirect_uri, and none',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      return [outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'other-redirect-uri' })), outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'no-redirect-uri' }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_request']],
    broken: [200, 200],
  },
  acceptMissingVerifier: {
    what: 'no code_verifier, and a wrong one',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      return [outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'no-code-verifier' })), outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'wrong-code-verifier' }))];
    },
    clean: [[400, 'invalid_request'], [400, 'invalid_grant']],
    broken: [200, [400, 'invalid_grant']],
  },
  ignoreVerifier: {
    what: 'a wrong verifier, and none',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      return [outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'wrong-code-verifier' })), outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'no-code-verifier' }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_request']],
    broken: [200, [400, 'invalid_request']],
  },
  plainComparison: {
    what: 'the challenge as the verifier, and a wrong verifier',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      const grant = await code(s);
      return [outcome(await endpoint.authorizationCode({ ...grant, codeVerifier: s256Challenge(grant.codeVerifier) })), outcome(await endpoint.authorizationCode({ ...(await code(s)), break: 'wrong-code-verifier' }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [200, [400, 'invalid_grant']],
  },
  noCodeExpiry: {
    what: 'a code past its lifetime',
    run: async (s, advance) => {
      const grant = await code(s);
      advance(61);
      return outcome(await tokenEndpoint(s.url, { client: WEB }).authorizationCode(grant));
    },
    clean: [400, 'invalid_grant'],
    broken: 200,
  },
  refreshBearerTokenType: {
    what: 'token_type of a code redeemed with DPoP, and of its refresh',
    run: async (s) => {
      const { endpoint, refreshToken, res } = await tokens(s, SPA, await generateDpopKey());
      return [res.body.token_type, (await endpoint.refreshToken(refreshToken).expect(200)).body.token_type];
    },
    clean: ['DPoP', 'DPoP'],
    broken: ['DPoP', 'Bearer'],
  },
  noRotation: {
    what: 'whether a refresh returns a new refresh token',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      const next = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token;
      return [typeof next === 'string' && next !== refreshToken, outcome(await endpoint.refreshToken(refreshToken))];
    },
    clean: [true, 200], // the retry is in the grace window
    broken: [false, 200],
  },
  rotateButKeepOld: {
    what: 'the old refresh token after the grace window',
    run: async (s, advance) => {
      const { endpoint, refreshToken } = await tokens(s);
      const next = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token;
      advance(3);
      return [next !== refreshToken, outcome(await endpoint.refreshToken(refreshToken))];
    },
    clean: [true, [400, 'invalid_grant']],
    broken: [true, 200],
  },
  noFamilyRevocation: {
    what: 'a reuse after the window, then the successor',
    run: async (s, advance) => {
      const { endpoint, refreshToken } = await tokens(s);
      const next = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token as string;
      advance(3);
      return [outcome(await endpoint.refreshToken(refreshToken)), outcome(await endpoint.refreshToken(next))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [[400, 'invalid_grant'], 200],
  },
  graceNewSuccessor: {
    what: 'a retry in the window: the same successor? the first successor then?',
    run: (s) => retryInWindow(s),
    clean: [true, 200],
    broken: [false, [400, 'invalid_grant']],
  },
  noGrace: {
    what: 'a retry right after rotation',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      await endpoint.refreshToken(refreshToken).expect(200);
      return outcome(await endpoint.refreshToken(refreshToken));
    },
    clean: 200,
    broken: [400, 'invalid_grant'],
  },
  refreshAnyClient: {
    what: "another client refreshes web-app's token",
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      return outcome(await endpoint.refreshToken(refreshToken, { client: OTHER }));
    },
    clean: [400, 'invalid_grant'],
    broken: 200,
  },
  refreshWithoutClientAuth: {
    what: 'a refresh with client_id only, and a code redemption with client_id only',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      return [outcome(await endpoint.refreshToken(refreshToken, { client: { id: WEB.id, auth: 'none' } })), outcome(await endpoint.authorizationCode({ ...(await code(s)), client: { id: WEB.id, auth: 'none' } }))];
    },
    clean: [[400, 'invalid_client'], [400, 'invalid_client']],
    broken: [200, [400, 'invalid_client']],
  },
  allowWiden: {
    what: 'a wider scope, and one the client may not have',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      const wide = await endpoint.refreshToken(refreshToken, { scope: 'read write' });
      return [wide.status === 200 ? wide.body.scope : outcome(wide), outcome(await endpoint.refreshToken(wide.body.refresh_token ?? refreshToken, { scope: 'read admin' }))];
    },
    clean: [[400, 'invalid_scope'], [400, 'invalid_scope']],
    broken: ['read write', [400, 'invalid_scope']],
  },
  refuseNarrow: {
    what: 'a narrower scope',
    run: async (s) => {
      const endpoint = tokenEndpoint(s.url, { client: WEB });
      const rt = (await endpoint.authorizationCode(await code(s, WEB.id, 'read write')).expect(200)).body.refresh_token as string;
      const res = await endpoint.refreshToken(rt, { scope: 'read' });
      return res.status === 200 ? res.body.scope : outcome(res);
    },
    clean: 'read',
    broken: [400, 'invalid_scope'],
  },
  narrowSuccessor: {
    what: 'the original scope after a narrowed refresh',
    run: (s) => narrowThenWiden(s),
    clean: ['read', 'read write'],
    broken: ['read', [400, 'invalid_scope']],
  },
  narrowSuccessorSilently: {
    what: 'the original scope after a narrowed refresh',
    run: (s) => narrowThenWiden(s),
    clean: ['read', 'read write'],
    broken: ['read', 'read'],
  },
  unboundPublicRefresh: {
    what: "the public client's refresh token without a proof, and with another key",
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s, SPA, await generateDpopKey());
      return [outcome(await endpoint.refreshToken(refreshToken, { dpop: false })), outcome(await endpoint.refreshToken(refreshToken, { dpop: await generateDpopKey() }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [200, 200],
  },
  unboundFirstPublicRefresh: {
    what: "the public client's first refresh token without a proof; its successor without a proof",
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s, SPA, await generateDpopKey());
      const unbound = outcome(await endpoint.refreshToken(refreshToken, { dpop: false }));
      const { endpoint: again, refreshToken: second } = await tokens(s, SPA, await generateDpopKey());
      const successor = (await again.refreshToken(second).expect(200)).body.refresh_token as string;
      return [unbound, outcome(await again.refreshToken(successor, { dpop: false }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [200, [400, 'invalid_grant']],
  },
  revokeDirectSuccessorOnly: {
    what: 'RT0 → RT1 → RT2, then RT0 again: RT0, and RT2',
    run: async (s, advance) => {
      const { endpoint, refreshToken } = await tokens(s);
      const rt1 = (await endpoint.refreshToken(refreshToken).expect(200)).body.refresh_token as string;
      const rt2 = (await endpoint.refreshToken(rt1).expect(200)).body.refresh_token as string;
      advance(3);
      return [outcome(await endpoint.refreshToken(refreshToken)), outcome(await endpoint.refreshToken(rt2))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [[400, 'invalid_grant'], 200],
  },
  refreshAnyClientAsPublic: {
    what: "web-app's refresh token from the public client, and from other-app",
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      return [outcome(await endpoint.refreshToken(refreshToken, { client: SPA })), outcome(await endpoint.refreshToken(refreshToken, { client: OTHER }))];
    },
    clean: [[400, 'invalid_grant'], [400, 'invalid_grant']],
    broken: [200, [400, 'invalid_grant']],
  },
  graceRetryRevokes: {
    what: 'a retry in the window: the same successor? does it refresh?',
    run: (s) => retryInWindow(s),
    clean: [true, 200],
    broken: [true, [400, 'invalid_grant']],
  },
  raceReadThenWrite: {
    what: 'five concurrent refreshes: distinct successors, and how many of them refresh',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      const answers = await Promise.all(Array.from({ length: 5 }, () => endpoint.refreshToken(refreshToken)));
      const successors = [...new Set(answers.map((r) => r.body.refresh_token as string))];
      const live = await Promise.all(successors.map(async (t) => (await endpoint.refreshToken(t)).status === 200));
      return [answers.every((r) => r.status === 200), live.filter(Boolean).length > 1];
    },
    clean: [true, false],
    broken: [true, true],
  },
  race500: {
    what: 'five concurrent refreshes: any 5xx?',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      const answers = await Promise.all(Array.from({ length: 5 }, () => endpoint.refreshToken(refreshToken)));
      return answers.some((r) => r.status >= 500);
    },
    clean: false,
    broken: true,
  },
  race503: {
    what: 'five concurrent refreshes: the statuses',
    run: async (s) => {
      const { endpoint, refreshToken } = await tokens(s);
      const answers = await Promise.all(Array.from({ length: 5 }, () => endpoint.refreshToken(refreshToken)));
      return [...new Set(answers.map((r) => (r.status === 503 ? `503 Retry-After ${r.headers['retry-after']}` : r.status)))].sort();
    },
    clean: [200],
    broken: [200, '503 Retry-After 1'],
  },
};

describe('each defect changes the answer of its rule', () => {
  it.each(Object.entries(SCENARIOS).map(([defect, s]) => [defect, s.what, defect as Defect] as const))('%s: %s', async (_name, _what, defect) => {
    const scenario = SCENARIOS[defect];
    const clean = await start({ graceSeconds: 2 });
    const broken = await start({ graceSeconds: 2, defect });
    const [seenClean, seenBroken] = await Promise.all([scenario.run(clean.server, clean.advance), scenario.run(broken.server, broken.advance)]);
    expect({ clean: seenClean, broken: seenBroken }).toEqual({ clean: scenario.clean, broken: scenario.broken });
  });
});
