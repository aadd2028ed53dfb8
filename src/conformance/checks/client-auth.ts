/**
 * Checklist §3: client authentication negatives (RFC 6749 §2.3, §5.2;
 * RFC 7523 §3; RFC 7521 §4.2). The contract adds the status rule: 401 with a
 * challenge for a failed Authorization header, 400 for body credentials.
 */
import { setHeader, setParam } from '../request';
import { CLIENT_ASSERTION_TYPE, isObject } from '../check-run';
import type { ResolvedClient } from '../config';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, type AssertionSpec, type DpopKeyAlgorithm } from '../jws';
import { check } from './define';

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
    const exchange = await run.send(run.draft({ client: null }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'no client authentication' });
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
    const exchange = await run.send(run.draft({ client: withWrongSecret(run.client('client_secret_basic')) }));
    run.expectRejection(exchange, { error: 'invalid_client', status: 401, challenge: 'Basic', what: 'a wrong Basic secret' });
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
    const exchange = await run.send(setHeader(run.draft({ client: null }), 'Authorization', 'Basic not-base64!!'));
    run.expectRejection(exchange, { error: 'invalid_client', status: 401, challenge: 'Basic', what: 'a malformed Basic header' });
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
    const exchange = await run.send(setHeader(run.draft({ client: null }), 'Authorization', 'Bearer abc'));
    run.expectRejection(exchange, { error: 'invalid_client', status: 401, challenge: 'Bearer', what: 'an Authorization header with the Bearer scheme' });
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
    const exchange = await run.send(run.draft({ client: withWrongSecret(run.client('client_secret_post')) }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'a wrong body secret' });
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
    for (const probe of probes) {
      const exchange = await run.send(await probe.build());
      run.expectRejection(exchange, { error: 'invalid_request', status: [400, 401], contractStatus: 400, what: probe.what });
    }
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
      const exchange = await run.send(run.draft({ client, as: 'client_secret_basic' }));
      run.expectRejection(exchange, { error: 'invalid_client', status: 401, challenge: 'Basic', what: 'Basic from a private_key_jwt client' });
      probed = true;
    }
    // A secret client using the other secret method: the secret is right, the method is not registered.
    for (const [registered, used] of [
      ['client_secret_post', 'client_secret_basic'],
      ['client_secret_basic', 'client_secret_post'],
    ] as const) {
      if (!caps.has(registered)) continue;
      const exchange = await run.send(run.draft({ client: run.client(registered), as: used }));
      run.expectRejection(exchange, {
        error: 'invalid_client',
        status: used === 'client_secret_basic' ? 401 : [400, 401],
        challenge: used === 'client_secret_basic' ? 'Basic' : undefined,
        level: 'SHOULD',
        what: `${used} from a client registered for ${registered}`,
      });
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
    const exchange = await run.send(draft);
    run.expectRejection(exchange, { error: ['invalid_client', 'unauthorized_client'], status: [400, 401], contractStatus: 400, what: 'a client_id without credentials' });
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
    const exchange = await run.send(run.draft({ client: run.client('private_key_jwt'), assertion: { audience: WRONG_AUDIENCE } }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'a wrong aud' });
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
    const exchange = await run.send(run.draft({ client: run.client('private_key_jwt'), assertion: { expired: true } }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'an assertion that expired 5 minutes ago' });
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
    const exchange = await run.send(run.draft({ client: run.client('private_key_jwt'), assertion: { lifetimeSeconds: 3600 } }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'an assertion valid for 3600 s' });
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
    const exchange = await run.send(run.draft({ client: run.client('private_key_jwt'), assertion: { omit: ['jti'] } }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], what: 'an assertion without jti' });
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
    for (const alg of algs) {
      const exchange = await run.send(run.draft({ client, assertion: { alg } }));
      run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: `an assertion with alg ${alg}` });
    }
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
    const other = await generateDpopKey(alg);
    const exchange = await run.send(run.draft({ client, assertion: { signWith: other } }));
    run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what: 'an assertion signed with another key' });
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
    for (const [what, spec] of probes) {
      const exchange = await run.send(run.draft({ client, assertion: spec }));
      run.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], contractStatus: 400, what });
    }
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
    const exchange = await run.send(draft);
    run.expectRejection(exchange, { error: ['invalid_client', 'invalid_request'], status: [400, 401], contractStatus: 400, what: 'a SAML client_assertion_type' });
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
