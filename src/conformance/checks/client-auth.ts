/**
 * Checklist §3: client authentication negatives (RFC 6749 §2.3, §5.2;
 * RFC 7523 §3; RFC 7521 §4.2). The contract adds the status rule: 401 with a
 * challenge for a failed Authorization header, 400 for body credentials.
 */
import { setHeader, setParam } from '../request';
import { CLIENT_ASSERTION_TYPE, isObject, type CheckRun, type RejectionExpectation } from '../check-run';
import type { ResolvedClient } from '../config';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, type AssertionSpec, type DpopKeyAlgorithm } from '../jws';
import { check } from './define';

/**
 * RFC 6749 §5.2 allows 400 or 401 for invalid_client; the contract answers
 * body credentials (or none) with 400, keeping 401 for a failed
 * Authorization header.
 */
const BODY_CREDENTIALS_REFUSED = { error: 'invalid_client', status: [400, 401], contractStatus: 400 } as const satisfies RejectionExpectation;

/** RFC 6749 §5.2: a failed Authorization-header attempt is 401 with a challenge "matching the authentication scheme used". */
function headerCredentialsRefused(scheme: string): RejectionExpectation {
  return { error: 'invalid_client', status: 401, challenge: scheme };
}

/** A private_key_jwt request whose assertion has one defect (RFC 7523 §3): refused like any body credential. */
async function refuseAssertion(run: CheckRun, assertion: AssertionSpec, what: string, expectation: RejectionExpectation = BODY_CREDENTIALS_REFUSED): Promise<void> {
  await run.sendExpectingRejection(run.draft({ client: run.client('private_key_jwt'), assertion }), { ...expectation, what });
}

/** The same client with a secret that is certainly wrong. */
function withWrongSecret(client: ResolvedClient): ResolvedClient {
  return { ...client, secret: `${client.secret ?? ''}-wrong` };
}

export const authNone = check({
  id: 'auth-none',
  title: 'a request without client authentication is refused with invalid_client',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  async run(run) {
    await run.sendExpectingRejection(run.draft({ client: null }), { ...BODY_CREDENTIALS_REFUSED, what: 'no client authentication' });
  },
});

export const basicBadSecret = check({
  id: 'basic-bad-secret',
  title: 'Basic with a wrong secret: 401 invalid_client with a Basic challenge',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: ['client_secret_basic'],
  async run(run) {
    await run.sendExpectingRejection(run.draft({ client: withWrongSecret(run.client('client_secret_basic')) }), { ...headerCredentialsRefused('Basic'), what: 'a wrong Basic secret' });
  },
});

export const basicMalformed = check({
  id: 'basic-malformed',
  title: 'a malformed Basic header: 401 with a Basic challenge',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  async run(run) {
    await run.sendExpectingRejection(setHeader(run.draft({ client: null }), 'Authorization', 'Basic not-base64!!'), { ...headerCredentialsRefused('Basic'), what: 'a malformed Basic header' });
  },
});

export const authOtherScheme = check({
  id: 'auth-other-scheme',
  title: 'Authorization with another scheme (Bearer): 401 with a challenge for that scheme',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  async run(run) {
    await run.sendExpectingRejection(setHeader(run.draft({ client: null }), 'Authorization', 'Bearer abc'), { ...headerCredentialsRefused('Bearer'), what: 'an Authorization header with the Bearer scheme' });
  },
});

export const postBadSecret = check({
  id: 'post-bad-secret',
  title: 'a wrong body secret is refused with invalid_client (400 in the contract)',
  level: 'MUST',
  reference: 'RFC 6749 §5.2; attesto contract (400 without an Authorization header)',
  group: 'client-auth',
  requires: ['client_secret_post'],
  async run(run) {
    await run.sendExpectingRejection(run.draft({ client: withWrongSecret(run.client('client_secret_post')) }), { ...BODY_CREDENTIALS_REFUSED, what: 'a wrong body secret' });
  },
});

export const unknownClient = check({
  id: 'unknown-client',
  title: 'an unknown client id gets invalid_client, answered like a wrong secret',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: ['secret_client'],
  async run(run) {
    const client = run.client('client_secret_basic', 'client_secret_post');
    const unknown: ResolvedClient = { ...client, id: `conformance-unknown-${Date.now().toString(36)}` };
    const status = client.auth === 'client_secret_basic' ? 401 : [400, 401];
    const unknownExchange = await run.send(run.draft({ client: unknown }));
    if (!run.expectRejection(unknownExchange, { error: 'invalid_client', status, what: 'an unknown client id' })) return;
    const wrongExchange = await run.send(run.draft({ client: withWrongSecret(client) }));
    const a = unknownExchange.response!;
    const b = wrongExchange.response!;
    const shape = (r: typeof a) => `${r.status} ${isObject(r.body) ? `${String(r.body.error)} ${JSON.stringify(r.body.error_description ?? null)}` : ''}`;
    // Different answers tell an attacker which client ids exist.
    if (shape(a) !== shape(b)) {
      run.finding('SHOULD', 'an unknown client id is answered differently from a wrong secret (client ids can be enumerated)', {
        expected: `the same answer as a wrong secret: ${run.summarize(b)}`,
        received: run.summarize(a),
        exchangeOf: unknownExchange,
      });
    }
  },
});

export const twoMethods = check({
  id: 'two-methods',
  title: 'more than one client authentication method in one request is refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §2.3, §5.2',
  group: 'client-auth',
  requires: ['secret_client'],
  async run(run) {
    const caps = run.config.capabilities;
    const probes: Array<{ what: string; build: () => Promise<ReturnType<typeof run.draft>> }> = [];
    if (caps.has('client_secret_basic')) {
      probes.push({
        what: 'Basic plus a body client_secret',
        build: async () => {
          const client = run.client('client_secret_basic');
          const draft = run.draft({ client });
          draft.params.push(['client_id', client.id], ['client_secret', client.secret!]);
          return draft;
        },
      });
    }
    const jwtClient = caps.has('private_key_jwt') ? run.client('private_key_jwt') : undefined;
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      if (!jwtClient || !caps.has(method)) continue;
      probes.push({
        what: `${method === 'client_secret_basic' ? 'Basic' : 'a body client_secret'} plus a client_assertion`,
        build: async () => {
          const draft = run.draft({ client: run.client(method) });
          draft.params.push(['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', await run.assertion(jwtClient)]);
          return draft;
        },
      });
    }
    if (probes.length === 0) run.skip('needs a client_secret_basic client, or a secret client and a private_key_jwt client');
    for (const probe of probes) await run.sendExpectingRejection(await probe.build(), { error: 'invalid_request', status: [400, 401], contractStatus: 400, what: probe.what });
  },
});

export const methodDisallowed = check({
  id: 'method-disallowed',
  title: 'a client authenticating with a method it is not registered for gets invalid_client',
  level: 'MUST',
  reference: 'RFC 6749 §5.2; RFC 7591 §2 (token_endpoint_auth_method)',
  group: 'client-auth',
  requires: [],
  async run(run) {
    const caps = run.config.capabilities;
    let probed = false;
    if (caps.has('private_key_jwt')) {
      // A private_key_jwt client has no secret: Basic can only fail.
      const client: ResolvedClient = { ...run.client('private_key_jwt'), secret: 'not-the-registered-method' };
      await run.sendExpectingRejection(run.draft({ client, as: 'client_secret_basic' }), { ...headerCredentialsRefused('Basic'), what: 'Basic from a private_key_jwt client' });
      probed = true;
    }
    // A secret client using the other secret method: the secret is right, the method is not registered.
    for (const [registered, used] of [
      ['client_secret_post', 'client_secret_basic'],
      ['client_secret_basic', 'client_secret_post'],
    ] as const) {
      if (!caps.has(registered)) continue;
      const expectation = used === 'client_secret_basic' ? headerCredentialsRefused('Basic') : { error: 'invalid_client', status: [400, 401] };
      await run.sendExpectingRejection(run.draft({ client: run.client(registered), as: used }), { ...expectation, level: 'SHOULD', what: `${used} from a client registered for ${registered}` });
      probed = true;
      break;
    }
    if (!probed) run.skip('needs a private_key_jwt client or a secret client');
  },
});

export const publicClient = check({
  id: 'public-client',
  title: 'a client_id without any credential is refused (client_credentials is for confidential clients)',
  level: 'MUST',
  reference: 'RFC 6749 §4.4, §5.2',
  group: 'client-auth',
  requires: [],
  async run(run) {
    const draft = run.draft({ client: null });
    draft.params.push(['client_id', run.client().id]);
    await run.sendExpectingRejection(draft, { ...BODY_CREDENTIALS_REFUSED, error: ['invalid_client', 'unauthorized_client'], what: 'a client_id without credentials' });
  },
});

const WRONG_AUDIENCE = 'https://conformance.invalid/oauth/token';

export const pkjwtAud = check({
  id: 'pkjwt-aud',
  title: 'a client assertion for another audience is refused with invalid_client',
  level: 'MUST',
  reference: 'RFC 7523 §3 item 3, §3.2',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    await refuseAssertion(run, { audience: WRONG_AUDIENCE }, 'a wrong aud');
  },
});

export const pkjwtAudArray = check({
  id: 'pkjwt-aud-array',
  title: 'an aud array holding the audience is accepted, or cleanly refused with invalid_client',
  // RFC 7519 §4.1.3 allows arrays; attesto (FAPI 2) accepts only a string. Either answer is conformant.
  level: 'MAY',
  reference: 'RFC 7519 §4.1.3; RFC 7523 §3 item 3',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const client = run.client('private_key_jwt');
    const exchange = await run.send(run.draft({ client, assertion: { audience: [client.audience ?? run.tokenUrl] } }));
    const res = exchange.response!;
    if (res.status === 200) {
      run.expectToken(exchange, { what: 'an aud array' });
      run.note('accepted');
    } else if (run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], what: 'an aud array' })) run.note('refused with invalid_client');
  },
});

export const pkjwtExpired = check({
  id: 'pkjwt-expired',
  title: 'an expired client assertion is refused with invalid_client',
  level: 'MUST',
  reference: 'RFC 7523 §3 item 4',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    await refuseAssertion(run, { expired: true }, 'an assertion that expired 5 minutes ago');
  },
});

export const pkjwtTooLong = check({
  id: 'pkjwt-too-long',
  title: 'a client assertion valid for an hour is refused (attesto caps the lifetime at 300 s)',
  // RFC 7523 §3 item 4 lets a server reject long-lived assertions (MAY); the contract caps them at 300 s.
  level: 'CONTRACT',
  reference: 'RFC 7523 §3 item 4; attesto contract (assertion lifetime at most 300 s)',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    await refuseAssertion(run, { lifetimeSeconds: 3600 }, 'an assertion valid for 3600 s');
  },
});

export const pkjwtReplay = check({
  id: 'pkjwt-replay',
  title: 'a replayed client assertion is refused with invalid_client',
  level: 'MAY',
  reference: 'RFC 7523 §3 item 7; OIDC Core §9',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const client = run.client('private_key_jwt');
    const assertion = await run.assertion(client);
    const send = () => {
      const draft = run.draft({ client: null });
      draft.params.push(['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', assertion]);
      return run.send(draft);
    };
    const first = await send();
    if (!run.expectToken(first, { what: 'the first use of the assertion' })) return;
    run.expectRejection(await send(), { error: 'invalid_client', status: [400, 401], what: 'the same assertion a second time' });
  },
});

export const pkjwtNoJti = check({
  id: 'pkjwt-no-jti',
  title: 'a client assertion without jti is refused',
  // RFC 7523 makes jti optional; OIDC Core §9 makes it REQUIRED, and attesto enforces it.
  level: 'SHOULD',
  reference: 'RFC 7523 §3 item 7; OIDC Core §9',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    // No contract status here: a SHOULD check must not fail the run through a CONTRACT finding.
    await refuseAssertion(run, { omit: ['jti'] }, 'an assertion without jti', { error: 'invalid_client', status: [400, 401] });
  },
});

export const pkjwtAlg = check({
  id: 'pkjwt-alg',
  title: 'client assertions with alg none, HS256 or an unregistered algorithm are refused',
  level: 'MUST',
  reference: 'RFC 7523 §3 item 9; OIDC Core §9',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const client = run.client('private_key_jwt');
    const algs: string[] = ['none', 'HS256'];
    // RS256 where the key's algorithm is PS256: same key, an algorithm the client did not register.
    if (client.privateJwk?.kty === 'RSA' && (client.alg ?? 'PS256') !== 'RS256') algs.push('RS256');
    for (const alg of algs) await refuseAssertion(run, { alg }, `an assertion with alg ${alg}`);
  },
});

export const pkjwtKey = check({
  id: 'pkjwt-key',
  title: 'a client assertion signed with an unregistered key is refused',
  level: 'MUST',
  reference: 'RFC 7523 §3 item 9',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const client = run.client('private_key_jwt');
    const own = await run.session.clientKey(client);
    const alg = (DPOP_KEY_ALGORITHMS as readonly string[]).includes(own.alg) ? (own.alg as DpopKeyAlgorithm) : 'ES256';
    await refuseAssertion(run, { signWith: await generateDpopKey(alg) }, 'an assertion signed with another key');
  },
});

export const pkjwtSub = check({
  id: 'pkjwt-sub',
  title: 'a client assertion whose sub is missing or differs from iss is refused',
  level: 'MUST',
  reference: 'RFC 7523 §3 items 1–2',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const client = run.client('private_key_jwt');
    const probes: Array<[string, AssertionSpec]> = [
      ['an assertion without sub', { omit: ['sub'] }],
      ['an assertion whose sub is another client', { subject: `${client.id}-other` }],
    ];
    for (const [what, spec] of probes) await refuseAssertion(run, spec, what);
  },
});

export const pkjwtType = check({
  id: 'pkjwt-type',
  title: 'a wrong client_assertion_type is refused',
  level: 'MUST',
  reference: 'RFC 7521 §4.2',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(run) {
    const draft = run.draft({ client: run.client('private_key_jwt') });
    setParam(draft, 'client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer');
    await run.sendExpectingRejection(draft, { ...BODY_CREDENTIALS_REFUSED, error: ['invalid_client', 'invalid_request'], what: 'a SAML client_assertion_type' });
  },
});

export const CLIENT_AUTH_CHECKS = [
  authNone,
  basicBadSecret,
  basicMalformed,
  authOtherScheme,
  postBadSecret,
  unknownClient,
  twoMethods,
  methodDisallowed,
  publicClient,
  pkjwtAud,
  pkjwtAudArray,
  pkjwtExpired,
  pkjwtTooLong,
  pkjwtReplay,
  pkjwtNoJti,
  pkjwtAlg,
  pkjwtKey,
  pkjwtSub,
  pkjwtType,
];
