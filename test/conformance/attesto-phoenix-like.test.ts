/**
 * Against a server that answers like attesto_phoenix v2.13 (the "AP notes"
 * of the conformance checklist; see support/attesto-phoenix-like.ts): the
 * suite must report exactly AP's real deviations, each for its reason, and
 * no false positive on what AP does within the RFCs and the contract (400
 * without WWW-Authenticate for body credentials, `application/json;
 * charset=utf-8`, form-url-decoded Basic credentials, invalid_client 400 for
 * private_key_jwt failures, aud arrays refused, a host 400 page for bad JSON,
 * plain http refused with "TLS required", nonces checked after iat).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import { CHECKS, runConformance, type CheckResult, type CheckStatus, type Profile } from '../../src/conformance';
import { HttpClient, type WireResponse } from '../../src/conformance/http';
import { basicAuthorization, createClientAssertion, createDpopProof, generateDpopKey, CLIENT_ASSERTION_TYPE } from '../../src/harness';
import { formUrlEncode } from '../../src/oauth/client-auth';
import {
  AP_BASIC_CLIENT,
  PLUG_CACHE_CONTROL,
  makeLoopbackCertificate,
  startAttestoPhoenixLike,
  type AttestoPhoenixLike,
  type AttestoPhoenixLikeOptions,
  type LoopbackCertificate,
} from './support/attesto-phoenix-like';

interface Deviation {
  attesto: CheckStatus;
  rfc: CheckStatus;
  /** Checklist §9 / the AP note, as a user would write it in an expected-failures list. */
  reason: string;
  /** What the report must say (the check's message, which leads with its first finding). */
  evidence: RegExp;
  /** Only when the server accepts DPoP proofs. */
  dpop?: boolean;
}

const DEVIATIONS: Record<string, Deviation> = {
  'dup-param': {
    attesto: 'failed',
    rfc: 'failed',
    reason: 'Plug keeps the last of repeated parameters and TokenController has no duplicate check (checklist §9.2)',
    evidence: /^\[MUST\] the server issued a token for grant_type sent twice; it must refuse the request \(\+2 more\)$/,
  },
  'errdesc-chars': {
    attesto: 'failed',
    rfc: 'failed',
    reason: 'error_description echoes the grant_type verbatim: "unsupported grant_type: <value>" (checklist §9.7)',
    evidence: /^\[MUST\] error_description contains characters outside %x20-21 \/ %x23-5B \/ %x5D-7E \(\+1 more\)$/,
  },
  'grant-not-for-client': {
    attesto: 'failed',
    rfc: 'failed',
    reason: 'TK.require_registered_grant_type answers unsupported_grant_type where RFC 6749 §5.2 says unauthorized_client (checklist §9.3)',
    evidence: /^\[MUST\] wrong error code for a client registered for no client_credentials grant: got 400 unsupported_grant_type \("unsupported grant_type: client_credentials"\), expected 400 unauthorized_client$/,
  },
  'dpop-jkt': {
    attesto: 'failed',
    rfc: 'warned',
    reason: 'the DPoP token body has no cnf; cnf.jkt is only inside the JWT access token (checklist §9.1)',
    evidence: /^\[CONTRACT\] the response body has no cnf\.jkt$/,
    dpop: true,
  },
};

interface Mode {
  name: string;
  options: AttestoPhoenixLikeOptions;
  /** Checks this configuration cannot run (a capability it lacks by construction). */
  skipped: readonly string[];
  /** The profile of the run that lists the deviations as expected failures (one per nonce mode; with DPoP off the list only loses dpop-jkt). */
  expectedFailuresProfile?: Profile;
}

const idsOf = (...groups: string[]) => CHECKS.filter((c) => groups.includes(c.group)).map((c) => c.id);
/** The stand-in serves client_credentials only (as the attesto_phoenix checklist does): no code source, so the lifecycle checks skip. */
const LIFECYCLE = idsOf('authorization-code', 'refresh-token');
/** It publishes no metadata and the configuration names no issuer, nor a client certificate: the metadata and mtls checks skip. */
const METADATA = idsOf('metadata', 'metadata-truth', 'mtls');
const MODES: Mode[] = [
  { name: 'default (dpop_nonce_required: false)', options: {}, skipped: [...idsOf('dpop-nonce'), 'dpop-disabled', ...LIFECYCLE, ...METADATA], expectedFailuresProfile: 'attesto' },
  { name: 'dpop_nonce_required: true', options: { requireNonce: true }, skipped: ['dpop-disabled', ...LIFECYCLE, ...METADATA], expectedFailuresProfile: 'rfc' },
  { name: 'dpop_enabled: false', options: { dpopEnabled: false }, skipped: [...idsOf('dpop-success', 'dpop-proof', 'dpop-nonce'), 'dpop-required-absent', ...LIFECYCLE, ...METADATA] },
];

function deviationsFor(mode: Mode): Array<[string, Deviation]> {
  return Object.entries(DEVIATIONS).filter(([, d]) => !d.dpop || mode.options.dpopEnabled !== false);
}

function expectedStatuses(mode: Mode, profile: Profile): Record<string, CheckStatus> {
  const out: Record<string, CheckStatus> = {};
  for (const [id, deviation] of deviationsFor(mode)) out[id] = deviation[profile];
  for (const id of mode.skipped) out[id] = 'skipped';
  return out;
}

const notPassed = (checks: readonly CheckResult[]) => Object.fromEntries(checks.filter((c) => c.status !== 'passed').map((c) => [c.id, c.status]));

describe('an attesto_phoenix-like token endpoint', () => {
  let certificate: LoopbackCertificate;
  beforeAll(async () => {
    certificate = await makeLoopbackCertificate();
  });
  afterAll(() => certificate?.remove());

  describe.each(MODES)('$name', (mode) => {
    let ap: AttestoPhoenixLike;
    beforeAll(async () => {
      ap = await startAttestoPhoenixLike(certificate, mode.options);
    });
    afterAll(async () => {
      await ap?.close();
    });

    test.each(['attesto', 'rfc'] as const)('profile %s reports exactly the AP deviations, each for its reason', async (profile) => {
      const report = await runConformance({ ...ap.config, profile });
      expect(notPassed(report.checks)).toEqual(expectedStatuses(mode, profile));
      for (const [id, deviation] of deviationsFor(mode)) {
        expect({ id, message: report.checks.find((c) => c.id === id)!.message }).toEqual({ id, message: expect.stringMatching(deviation.evidence) });
      }
      // What AP does within the RFCs and the contract passes with no finding at all, not even a warning.
      const clean = report.checks.filter((c) => c.status === 'passed');
      expect(clean.flatMap((c) => c.findings)).toEqual([]);
      // The secrets stay out of the report, raw or form-url-encoded as Basic sends them (RFC 6749 §2.3.1).
      const text = JSON.stringify(report);
      for (const secret of [AP_BASIC_CLIENT.secret, formUrlEncode(AP_BASIC_CLIENT.secret), 'ap-post-secret', 'ap-no-grant-secret']) expect(text).not.toContain(secret);
      // The https target made the TLS refusal testable, and AP's answer to plain http passes it.
      expect(report.checks.find((c) => c.id === 'tls')).toMatchObject({ status: 'passed', message: expect.stringMatching(/^plain http answered 400 invalid_request \("TLS required"\); sent with a wrong secret, so nothing redeemable crossed plain http$/) });
    });

    const profile = mode.expectedFailuresProfile;
    if (profile) {
      test(`listing the deviations as expected failures makes the run pass (${profile})`, async () => {
        const expectedFailures = Object.fromEntries(deviationsFor(mode).map(([id, d]) => [id, d.reason]));
        const report = await runConformance({ ...ap.config, profile, expectedFailures });
        expect(report.summary).toMatchObject({ failed: 0, warned: 0, unexpectedPasses: 0, expectedFailures: Object.keys(expectedFailures).length });
        const listed = report.checks.find((c) => c.id === 'grant-not-for-client')!;
        expect(listed.message).toContain(`expected failure (${DEVIATIONS['grant-not-for-client']!.reason})`);
      });
    }
  });

  /**
   * The passes above are only worth something if the server really behaves
   * like AP: each AP shape the suite must tolerate (or report) is shown here
   * on the wire.
   */
  describe('the server answers as the AP notes describe', () => {
    let ap: AttestoPhoenixLike;
    let http: HttpClient;
    beforeAll(async () => {
      ap = await startAttestoPhoenixLike(certificate);
      http = new HttpClient({ timeoutMs: 5_000, maxSockets: 4, ca: certificate.cert.toString('utf8') });
    });
    afterAll(async () => {
      http?.close();
      await ap?.close();
    });

    const FORM = ['Content-Type', 'application/x-www-form-urlencoded'] as [string, string];
    const basic = (id: string = AP_BASIC_CLIENT.id, secret: string = AP_BASIC_CLIENT.secret): [string, string] => ['Authorization', basicAuthorization(id, secret)];
    const post = (body: string, headers: Array<[string, string]> = [FORM, basic()], url = ap.tokenEndpoint): Promise<WireResponse> => http.send({ method: 'POST', url, headers, body });

    test('framing: Phoenix JSON with no-store on controller answers; Plug pages outside the controller', async () => {
      const token = await post('grant_type=client_credentials&scope=read');
      expect([token.status, token.headers['content-type'], token.headers['cache-control'], token.headers.pragma]).toEqual([200, 'application/json; charset=utf-8', 'no-store', 'no-cache']);
      const get = await http.send({ method: 'GET', url: `${ap.tokenEndpoint}?grant_type=client_credentials`, headers: [basic()] });
      expect([get.status, get.headers['content-type'], get.headers['cache-control'], get.headers.pragma]).toEqual([404, 'text/html; charset=utf-8', PLUG_CACHE_CONTROL, undefined]);
      const badJson = await post('{', [['Content-Type', 'application/json'], basic()]);
      expect([badJson.status, badJson.headers['content-type'], badJson.headers['cache-control']]).toEqual([400, 'text/html; charset=utf-8', PLUG_CACHE_CONTROL]);
      const json = await post(JSON.stringify({ grant_type: 'client_credentials' }), [['Content-Type', 'application/json'], basic()]);
      expect(json.status).toBe(200);
    });

    test('client authentication: url-decoded Basic, 400 without a challenge for body credentials, invalid_client 400 for assertions', async () => {
      const raw = `Basic ${Buffer.from(`${AP_BASIC_CLIENT.id}:${AP_BASIC_CLIENT.secret}`).toString('base64')}`;
      const undecodable = await post('grant_type=client_credentials', [FORM, ['Authorization', raw]]);
      expect([undecodable.status, undecodable.headers['www-authenticate']]).toEqual([401, 'Basic realm="OAuth"']);
      const body = await post('grant_type=client_credentials&client_id=ap-post&client_secret=wrong', [FORM]);
      expect([body.status, body.body, body.headers['www-authenticate']]).toEqual([400, { error: 'invalid_client', error_description: 'client authentication failed' }, undefined]);
      const assertion = await createClientAssertion({ clientId: ap.jwtClient.id, key: ap.jwtClient.privateJwk, audience: [ap.tokenEndpoint] });
      const array = await post(new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }).toString(), [FORM]);
      expect([array.status, (array.body as { error: string }).error]).toEqual([400, 'invalid_client']);
    });

    test('the deviations: duplicates keep the last value, verbatim echo, unsupported_grant_type, no body cnf, TLS required', async () => {
      expect((await post('grant_type=password&grant_type=client_credentials')).status).toBe(200);
      expect((await post('grant_type=a%22b%C3%A4')).body).toEqual({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type: a"bä' });
      const noGrant = await post('grant_type=client_credentials', [FORM, basic('ap-no-grant', 'ap-no-grant-secret')]);
      expect(noGrant.body).toEqual({ error: 'unsupported_grant_type', error_description: 'unsupported grant_type: client_credentials' });
      const key = await generateDpopKey('ES256');
      const proof = await createDpopProof({ key, htm: 'POST', htu: ap.tokenEndpoint });
      const dpop = await post('grant_type=client_credentials', [FORM, basic(), ['DPoP', proof]]);
      const token = dpop.body as Record<string, unknown>;
      expect([dpop.status, token.token_type, token.cnf, dpop.headers['dpop-nonce']]).toEqual([200, 'DPoP', undefined, undefined]);
      expect(decodeJwt(token.access_token as string).cnf).toEqual({ jkt: expect.any(String) });
      const httpHtu = await post('grant_type=client_credentials', [FORM, basic(), ['DPoP', await createDpopProof({ key, htm: 'POST', htu: ap.tokenEndpoint.replace('https:', 'http:') })]]);
      expect(httpHtu.body).toEqual({ error: 'invalid_dpop_proof', error_description: 'invalid DPoP proof: :invalid_htu' });
      const plain = await post('grant_type=client_credentials', [FORM], ap.tokenEndpoint.replace('https:', 'http:'));
      expect([plain.status, plain.body]).toEqual([400, { error: 'invalid_request', error_description: 'TLS required' }]);
    });
  });
});
