/**
 * Truth on any RFC server: a Basic challenge must name its realm (RFC 7617
 * §2), and a refusal records the reason the server stated, saying so when
 * that reason contradicts the defect sent (a proof defect refused "because
 * of the nonce"). Each row runs through a mutating proxy in front of the
 * reference server; the reference server itself passes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultRunClients, runConformance, type CheckResult, type ConformanceReport } from '../../src/conformance';
import { header, json, startMutatingProxy, withHeader, withJson, type Mutation, type MutatingProxy } from './support/mutating-proxy';

const WRONG_REASON = /but the stated reason is about the nonce/;
const DPOP_DEFECTS = ['dpop-typ', 'dpop-sig', 'dpop-htu', 'dpop-htm'];

/** Rewrites each WWW-Authenticate the server sends. */
const challenges = (rewrite: (value: string) => string): Mutation => ({
  response: (res) => {
    const value = header(res, 'www-authenticate');
    return value === undefined ? undefined : withHeader(res, 'WWW-Authenticate', rewrite(value));
  },
});
const stripRealm = challenges((value) => value.replace(/,?\s*realm="[^"]*"/gi, ''));
/** Every invalid_dpop_proof answer claims the nonce was the reason. */
const blamesTheNonce: Mutation = {
  response: (res) => {
    const body = json(res);
    return body?.error === 'invalid_dpop_proof' ? withJson(res, { ...body, error_description: 'nonce expired' }) : undefined;
  },
};

describe('truth on any RFC server', () => {
  let plain: MutatingProxy;
  let nonce: MutatingProxy;

  beforeAll(async () => {
    const clients = await defaultRunClients();
    [plain, nonce] = await Promise.all([startMutatingProxy({ clients }), startMutatingProxy({ clients, requireNonce: true })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), nonce?.close()]);
  });

  async function run(proxy: MutatingProxy, mutation: Mutation | undefined, only?: string[]): Promise<Map<string, CheckResult>> {
    proxy.mutation = mutation;
    try {
      const report: ConformanceReport = await runConformance({ ...proxy.config, ...(only ? { only } : {}) });
      return new Map(report.checks.map((c) => [c.id, c]));
    } finally {
      proxy.mutation = undefined;
    }
  }

  describe('a Basic challenge names a realm (RFC 7617 §2)', () => {
    test('the reference server passes basic-bad-secret and basic-malformed: its Basic challenges carry realm="OAuth"', async () => {
      const results = await run(plain, undefined, ['basic-bad-secret', 'basic-malformed']);
      expect(results.get('basic-bad-secret')!.status).toBe('passed');
      expect(results.get('basic-malformed')!.status).toBe('passed');
    });

    test('a server that strips the realm fails basic-bad-secret with one MUST finding citing RFC 7617 §2', async () => {
      const results = await run(plain, stripRealm, ['basic-bad-secret', 'basic-malformed']);
      for (const id of ['basic-bad-secret', 'basic-malformed']) {
        const result = results.get(id)!;
        expect(result.status).toBe('failed');
        const realm = result.findings.filter((f) => /realm/.test(f.message));
        // Judged by expectRejection, and not reported a second time by the core.
        expect(realm).toHaveLength(1);
        expect(realm[0]).toMatchObject({ level: 'MUST', reference: 'RFC 7617 §2', received: 'WWW-Authenticate: Basic' });
        expect(result.message).toMatch(/^\[MUST\] a Basic challenge must carry a realm parameter/);
      }
    });

    test('a Basic challenge without realm on a refusal that is not the 401 expected is still reported (by the core)', async () => {
      const as400: Mutation = { response: (res) => (res.status === 401 ? { ...withHeader(res, 'WWW-Authenticate', 'Basic'), status: 400 } : undefined) };
      const result = (await run(plain, as400, ['basic-bad-secret'])).get('basic-bad-secret')!;
      expect(result.status).toBe('failed');
      expect(result.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^wrong status/), expect.stringMatching(/^a Basic challenge must carry a realm parameter/)]);
    });

    test('a Basic challenge with a charset but no realm fails too', async () => {
      const results = await run(plain, challenges(() => 'Basic charset="UTF-8"'), ['basic-bad-secret']);
      expect(results.get('basic-bad-secret')!.findings.map((f) => f.reference)).toEqual(['RFC 7617 §2']);
    });

    test.each([
      ['a quoted realm with a comma', 'Basic realm="token endpoint, v2", charset="UTF-8"'],
      ['a second challenge before Basic', 'Bearer, Basic realm="a"'],
      ['a token realm and a lower-case scheme', 'basic REALM=x'],
    ])('%s passes', async (_what, value) => {
      const results = await run(plain, challenges(() => value), ['basic-bad-secret']);
      expect({ status: results.get('basic-bad-secret')!.status, findings: results.get('basic-bad-secret')!.findings }).toEqual({ status: 'passed', findings: [] });
    });

    test('a challenge for another scheme is not judged for realm: auth-other-scheme passes a Bearer challenge without one', async () => {
      const results = await run(plain, stripRealm, ['auth-other-scheme']);
      expect(results.get('auth-other-scheme')!.status).toBe('passed');
    });
  });

  describe('a refusal for the wrong reason', () => {
    test('the pass line records the reason the reference server stated', async () => {
      const results = await run(plain, undefined, ['basic-bad-secret', ...DPOP_DEFECTS]);
      expect(results.get('basic-bad-secret')!.message).toBe('a wrong Basic secret: refused with invalid_client: "client authentication failed"');
      for (const id of DPOP_DEFECTS) {
        const result = results.get(id)!;
        expect(result.status).toBe('passed');
        expect(result.message).toMatch(/: refused with invalid_dpop_proof: "/);
      }
    });

    test.each([
      ['without', () => plain],
      ['with', () => nonce],
    ])('the reference server (%s nonces) never refuses a check for a contradicting reason', async (_what, proxy) => {
      const results = await run(proxy(), undefined);
      const contradicted = [...results.values()].filter((c) => WRONG_REASON.test(c.message)).map((c) => `${c.id}: ${c.message}`);
      expect(contradicted).toEqual([]);
      expect([...results.values()].filter((c) => c.status === 'failed')).toEqual([]);
    });

    test('a server that blames the nonce for every proof defect still passes, and each line says the stated reason is about the nonce', async () => {
      const results = await run(plain, blamesTheNonce, DPOP_DEFECTS);
      for (const id of DPOP_DEFECTS) {
        const result = results.get(id)!;
        expect({ id, status: result.status, findings: result.findings }).toEqual({ id, status: 'passed', findings: [] });
        expect(result.message).toMatch(WRONG_REASON);
      }
      expect(results.get('dpop-htu')!.message).toBe(
        'a proof for another path: refused with invalid_dpop_proof, but the stated reason is about the nonce, not a proof for another path: "nonce expired"; ' +
          'a proof for another host: refused with invalid_dpop_proof, but the stated reason is about the nonce, not a proof for another host: "nonce expired"',
      );
    });

    test('where use_dpop_nonce is an acceptable answer, a reason about the nonce contradicts nothing', async () => {
      const results = await run(nonce, blamesTheNonce, ['nonce-precedence']);
      expect(results.get('nonce-precedence')!.status).toBe('passed');
      expect(results.get('nonce-precedence')!.message).not.toMatch(WRONG_REASON);
    });

    test('a description that echoes a secret never shows it, even cut short', async () => {
      const secret = plain.config.clients!.find((c) => c.auth === 'client_secret_basic')!.secret!;
      // The secret straddles the cut at 120 characters: cutting before scrubbing would leave its first half.
      const echoSecret: Mutation = {
        response: (res) => {
          const body = json(res);
          return body?.error === 'invalid_client' ? withJson(res, { ...body, error_description: `${'x'.repeat(110)} ${secret}-wrong` }) : undefined;
        },
      };
      const results = await run(plain, echoSecret, ['basic-bad-secret']);
      const result = results.get('basic-bad-secret')!;
      expect(result.status).toBe('passed');
      expect(result.message).toContain('refused with invalid_client: "xxxx');
      expect(result.message).toContain('[redacted');
      expect(result.message).not.toContain(secret.slice(0, 8));
      expect(JSON.stringify(result)).not.toContain(secret.slice(0, 8));
    });

    test('a description that echoes the request\'s credentials never shows them, even those the run does not count as secrets', async () => {
      const sent: string[] = [];
      const echoAuthorization: Mutation = {
        response: (res, req) => {
          const body = json(res);
          const authorization = header(req, 'authorization') ?? '';
          sent.push(authorization);
          return body?.error === 'invalid_client' ? withJson(res, { ...body, error_description: `refused: ${authorization}` }) : undefined;
        },
      };
      const results = await run(plain, echoAuthorization, ['auth-other-scheme', 'basic-malformed']);
      expect(sent).toEqual(expect.arrayContaining(['Bearer abc', 'Basic not-base64!!']));
      for (const id of ['auth-other-scheme', 'basic-malformed']) {
        const result = results.get(id)!;
        expect({ id, status: result.status }).toEqual({ id, status: 'passed' });
        expect(result.message).toContain('refused with invalid_client: "refused: [redacted');
        expect(result.message).not.toMatch(/Bearer abc|not-base64/);
      }
    });
  });
});
