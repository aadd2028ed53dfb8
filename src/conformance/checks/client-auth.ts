/**
 * Checklist §3: client authentication negatives (RFC 6749 §2.3, §5.2;
 * RFC 7523 §3; RFC 7521 §4.2). The contract adds the status rule: 401 with a
 * challenge for a failed Authorization header, 400 for body credentials.
 */
import { clientAssertionParams } from '../../oauth/client-auth';
import { isPlainObject } from '../../oauth/guards';
import type { ResolvedClient } from '../config';
import type { CheckContext } from '../context';
import { setHeader, setParam, type RequestDraft } from '../draft';
import type { RejectionExpectation } from '../judge';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, type AssertionSpec, type DpopKeyAlgorithm } from '../signing';
import { check, probeCheck, rejects } from './define';

/**
 * RFC 6749 §5.2 allows 400 or 401 for invalid_client; the contract answers
 * body credentials (or none) with 400, keeping 401 for a failed
 * Authorization header.
 */
export const BODY_CREDENTIALS_REFUSED = { error: 'invalid_client', status: [400, 401], contractStatus: 400 } as const satisfies RejectionExpectation;

/** RFC 6749 §5.2: a failed Authorization-header attempt is 401 with a challenge "matching the authentication scheme used". */
function headerCredentialsRefused(scheme: string): RejectionExpectation {
  return { error: 'invalid_client', status: 401, challenge: scheme };
}

/**
 * A check of private_key_jwt assertions with one defect each (RFC 7523 §3):
 * refused like any body credential unless the check says otherwise.
 */
function assertionNegative(definition: {
  id: string;
  title: string;
  level?: 'MUST' | 'CONTRACT' | 'SHOULD';
  reference: string;
  probes: (ctx: CheckContext) => Array<{ what: string; assertion: AssertionSpec }> | Promise<Array<{ what: string; assertion: AssertionSpec }>>;
  expect?: RejectionExpectation;
}) {
  return probeCheck({
    id: definition.id,
    title: definition.title,
    level: definition.level ?? 'MUST',
    reference: definition.reference,
    group: 'client-auth',
    requires: ['private_key_jwt'],
    probes: async (ctx) => (await definition.probes(ctx)).map(({ what, assertion }) => ({ what, request: ctx.draft({ client: ctx.client('private_key_jwt'), assertion }) })),
    expect: rejects(definition.expect ?? BODY_CREDENTIALS_REFUSED),
  });
}

/** The same client with a secret that is certainly wrong. */
function withWrongSecret(client: ResolvedClient): ResolvedClient {
  return { ...client, secret: `${client.secret ?? ''}-wrong` };
}

export const authNone = probeCheck({
  id: 'auth-none',
  title: 'a request without client authentication is refused with invalid_client',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  probes: (ctx) => [{ what: 'no client authentication', request: ctx.draft({ client: null }) }],
  expect: rejects(BODY_CREDENTIALS_REFUSED),
});

export const basicBadSecret = probeCheck({
  id: 'basic-bad-secret',
  title: 'Basic with a wrong secret: 401 invalid_client with a Basic challenge',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: ['client_secret_basic'],
  probes: (ctx) => [{ what: 'a wrong Basic secret', request: ctx.draft({ client: withWrongSecret(ctx.client('client_secret_basic')) }) }],
  expect: rejects(headerCredentialsRefused('Basic')),
});

export const basicMalformed = probeCheck({
  id: 'basic-malformed',
  title: 'a malformed Basic header: 401 with a Basic challenge',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  probes: (ctx) => [{ what: 'a malformed Basic header', request: setHeader(ctx.draft({ client: null }), 'Authorization', 'Basic not-base64!!') }],
  expect: rejects(headerCredentialsRefused('Basic')),
});

export const authOtherScheme = probeCheck({
  id: 'auth-other-scheme',
  title: 'Authorization with another scheme (Bearer): 401 with a challenge for that scheme',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: [],
  probes: (ctx) => [{ what: 'an Authorization header with the Bearer scheme', request: setHeader(ctx.draft({ client: null }), 'Authorization', 'Bearer abc') }],
  expect: rejects(headerCredentialsRefused('Bearer')),
});

export const postBadSecret = probeCheck({
  id: 'post-bad-secret',
  title: 'a wrong body secret is refused with invalid_client (400 in the contract)',
  level: 'MUST',
  reference: 'RFC 6749 §5.2; attesto contract (400 without an Authorization header)',
  group: 'client-auth',
  requires: ['client_secret_post'],
  probes: (ctx) => [{ what: 'a wrong body secret', request: ctx.draft({ client: withWrongSecret(ctx.client('client_secret_post')) }) }],
  expect: rejects(BODY_CREDENTIALS_REFUSED),
});

export const unknownClient = check({
  id: 'unknown-client',
  title: 'an unknown client id gets invalid_client, answered like a wrong secret',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'client-auth',
  requires: ['secret_client'],
  async run(ctx) {
    const client = ctx.client('client_secret_basic', 'client_secret_post');
    const unknown: ResolvedClient = { ...client, id: `conformance-unknown-${Date.now().toString(36)}` };
    const status = client.auth === 'client_secret_basic' ? 401 : [400, 401];
    const unknownExchange = await ctx.send(ctx.draft({ client: unknown }));
    if (!ctx.expectRejection(unknownExchange, { error: 'invalid_client', status, what: 'an unknown client id' })) return;
    const wrongExchange = await ctx.send(ctx.draft({ client: withWrongSecret(client) }));
    const a = unknownExchange.response!;
    const b = wrongExchange.response!;
    const shape = (r: typeof a) => `${r.status} ${isPlainObject(r.body) ? `${String(r.body.error)} ${JSON.stringify(r.body.error_description ?? null)}` : ''}`;
    // Different answers tell an attacker which client ids exist.
    if (shape(a) !== shape(b)) {
      ctx.finding('SHOULD', 'an unknown client id is answered differently from a wrong secret (client ids can be enumerated)', {
        expected: `the same answer as a wrong secret: ${ctx.summarize(b)}`,
        received: ctx.summarize(a),
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
  async run(ctx) {
    const caps = ctx.config.capabilities;
    const probes: Array<{ what: string; build: () => Promise<RequestDraft> }> = [];
    if (caps.has('client_secret_basic')) {
      probes.push({
        what: 'Basic plus a body client_secret',
        build: async () => {
          const client = ctx.client('client_secret_basic');
          const draft = ctx.draft({ client });
          draft.params.push(['client_id', client.id], ['client_secret', client.secret!]);
          return draft;
        },
      });
    }
    const jwtClient = caps.has('private_key_jwt') ? ctx.client('private_key_jwt') : undefined;
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      if (!jwtClient || !caps.has(method)) continue;
      probes.push({
        what: `${method === 'client_secret_basic' ? 'Basic' : 'a body client_secret'} plus a client_assertion`,
        build: async () => {
          const draft = ctx.draft({ client: ctx.client(method) });
          draft.params.push(...clientAssertionParams(await ctx.assertion(jwtClient)));
          return draft;
        },
      });
    }
    if (probes.length === 0) ctx.skip('needs a client_secret_basic client, or a secret client and a private_key_jwt client');
    for (const probe of probes) await ctx.sendExpectingRejection(await probe.build(), { error: 'invalid_request', status: [400, 401], contractStatus: 400, what: probe.what });
  },
});

export const methodDisallowed = check({
  id: 'method-disallowed',
  title: 'a client registered for one auth method alone is refused another with invalid_client',
  level: 'MUST',
  // RFC 6749 §2.3 lets a server support several methods per client; only a server that binds a client to its
  // registered method (RFC 7591 §2 token_endpoint_auth_method, config exclusiveAuthMethod) must refuse the others.
  reference: 'RFC 6749 §5.2; RFC 7591 §2 (token_endpoint_auth_method)',
  group: 'client-auth',
  requires: ['exclusive_auth_method'],
  async run(ctx) {
    const exclusive = (method: ResolvedClient['auth']) => ctx.clientCredentialsClients.find((c) => c.auth === method && c.exclusiveAuthMethod && !c.requiresDpop);
    let probed = false;
    const jwtClient = exclusive('private_key_jwt');
    if (jwtClient) {
      // A private_key_jwt client has no secret: Basic can only fail.
      const client: ResolvedClient = { ...jwtClient, secret: 'not-the-registered-method' };
      await ctx.sendExpectingRejection(ctx.draft({ client, as: 'client_secret_basic' }), { ...headerCredentialsRefused('Basic'), what: 'Basic from a private_key_jwt client' });
      probed = true;
    }
    // A secret client using the other secret method: the secret is right, the method is not registered.
    for (const [registered, used] of [
      ['client_secret_post', 'client_secret_basic'],
      ['client_secret_basic', 'client_secret_post'],
    ] as const) {
      const client = exclusive(registered);
      if (!client) continue;
      const expectation = used === 'client_secret_basic' ? headerCredentialsRefused('Basic') : { error: 'invalid_client', status: [400, 401] };
      await ctx.sendExpectingRejection(ctx.draft({ client, as: used }), { ...expectation, what: `${used} from a client registered for ${registered} alone` });
      probed = true;
      break;
    }
    if (!probed) ctx.skip('needs a client marked exclusiveAuthMethod that is not bound to DPoP');
  },
});

export const publicClient = probeCheck({
  id: 'public-client',
  title: 'a client_id without any credential is refused (client_credentials is for confidential clients)',
  level: 'MUST',
  reference: 'RFC 6749 §4.4, §5.2',
  group: 'client-auth',
  requires: [],
  probes: (ctx) => {
    const draft = ctx.draft({ client: null });
    draft.params.push(['client_id', ctx.client().id]);
    return [{ what: 'a client_id without credentials', request: draft }];
  },
  expect: rejects({ ...BODY_CREDENTIALS_REFUSED, error: ['invalid_client', 'unauthorized_client'] }),
});

const WRONG_AUDIENCE = 'https://conformance.invalid/oauth/token';

export const pkjwtAud = assertionNegative({
  id: 'pkjwt-aud',
  title: 'a client assertion for another audience is refused with invalid_client',
  reference: 'RFC 7523 §3 item 3, §3.2',
  probes: () => [{ what: 'a wrong aud', assertion: { audience: WRONG_AUDIENCE } }],
});

export const pkjwtAudArray = check({
  id: 'pkjwt-aud-array',
  title: 'an aud array holding the audience is accepted, or cleanly refused with invalid_client',
  // RFC 7519 §4.1.3 allows arrays; attesto (FAPI 2) accepts only a string. Either answer is conformant.
  level: 'MAY',
  reference: 'RFC 7519 §4.1.3; RFC 7523 §3 item 3',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(ctx) {
    const client = ctx.client('private_key_jwt');
    const exchange = await ctx.send(ctx.draft({ client, assertion: { audience: [client.audience ?? ctx.tokenUrl] } }));
    const res = exchange.response!;
    if (res.status === 200) {
      ctx.expectToken(exchange, { what: 'an aud array' });
      ctx.note('accepted');
    } else if (ctx.expectRejection(exchange, { error: 'invalid_client', status: [400, 401], what: 'an aud array' })) ctx.note('refused with invalid_client');
  },
});

export const pkjwtExpired = assertionNegative({
  id: 'pkjwt-expired',
  title: 'an expired client assertion is refused with invalid_client',
  reference: 'RFC 7523 §3 item 4',
  probes: () => [{ what: 'an assertion that expired 5 minutes ago', assertion: { expired: true } }],
});

export const pkjwtTooLong = assertionNegative({
  id: 'pkjwt-too-long',
  title: 'a client assertion valid for an hour is refused (attesto caps the lifetime at 300 s)',
  // RFC 7523 §3 item 4 lets a server reject long-lived assertions (MAY); the contract caps them at 300 s.
  level: 'CONTRACT',
  reference: 'RFC 7523 §3 item 4; attesto contract (assertion lifetime at most 300 s)',
  probes: () => [{ what: 'an assertion valid for 3600 s', assertion: { lifetimeSeconds: 3600 } }],
});

export const pkjwtReplay = check({
  id: 'pkjwt-replay',
  title: 'a replayed client assertion is refused with invalid_client',
  level: 'MAY',
  reference: 'RFC 7523 §3 item 7; OIDC Core §9',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  async run(ctx) {
    const client = ctx.client('private_key_jwt');
    const assertion = await ctx.assertion(client);
    const send = () => {
      const draft = ctx.draft({ client: null });
      draft.params.push(...clientAssertionParams(assertion));
      return ctx.send(draft);
    };
    const first = await send();
    if (!ctx.expectToken(first, { what: 'the first use of the assertion' })) return;
    ctx.expectRejection(await send(), { error: 'invalid_client', status: [400, 401], what: 'the same assertion a second time' });
  },
});

export const pkjwtNoJti = assertionNegative({
  id: 'pkjwt-no-jti',
  title: 'a client assertion without jti is refused',
  // RFC 7523 makes jti optional; OIDC Core §9 makes it REQUIRED, and attesto enforces it.
  level: 'SHOULD',
  reference: 'RFC 7523 §3 item 7; OIDC Core §9',
  probes: () => [{ what: 'an assertion without jti', assertion: { omit: ['jti'] } }],
  // No contract status here: a SHOULD check must not fail the run through a CONTRACT finding.
  expect: { error: 'invalid_client', status: [400, 401] },
});

export const pkjwtAlg = assertionNegative({
  id: 'pkjwt-alg',
  title: 'client assertions with alg none, HS256 or an unregistered algorithm are refused',
  reference: 'RFC 7523 §3 item 9; OIDC Core §9',
  probes: (ctx) => {
    const client = ctx.client('private_key_jwt');
    const algs: string[] = ['none', 'HS256'];
    // RS256 where the key's algorithm is PS256: same key, an algorithm the client did not register.
    if (client.privateJwk?.kty === 'RSA' && (client.alg ?? 'PS256') !== 'RS256') algs.push('RS256');
    return algs.map((alg) => ({ what: `an assertion with alg ${alg}`, assertion: { alg } }));
  },
});

export const pkjwtKey = assertionNegative({
  id: 'pkjwt-key',
  title: 'a client assertion signed with an unregistered key is refused',
  reference: 'RFC 7523 §3 item 9',
  probes: async (ctx) => {
    const own = await ctx.session.clientKey(ctx.client('private_key_jwt'));
    const alg = (DPOP_KEY_ALGORITHMS as readonly string[]).includes(own.alg) ? (own.alg as DpopKeyAlgorithm) : 'ES256';
    return [{ what: 'an assertion signed with another key', assertion: { signWith: await generateDpopKey(alg) } }];
  },
});

export const pkjwtSub = assertionNegative({
  id: 'pkjwt-sub',
  title: 'a client assertion whose sub is missing or differs from iss is refused',
  reference: 'RFC 7523 §3 items 1–2',
  probes: (ctx) => [
    { what: 'an assertion without sub', assertion: { omit: ['sub'] } },
    { what: 'an assertion whose sub is another client', assertion: { subject: `${ctx.client('private_key_jwt').id}-other` } },
  ],
});

export const pkjwtType = probeCheck({
  id: 'pkjwt-type',
  title: 'a wrong client_assertion_type is refused',
  level: 'MUST',
  reference: 'RFC 7521 §4.2',
  group: 'client-auth',
  requires: ['private_key_jwt'],
  probes: (ctx) => [
    {
      what: 'a SAML client_assertion_type',
      request: setParam(ctx.draft({ client: ctx.client('private_key_jwt') }), 'client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'),
    },
  ],
  expect: rejects({ ...BODY_CREDENTIALS_REFUSED, error: ['invalid_client', 'invalid_request'] }),
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
