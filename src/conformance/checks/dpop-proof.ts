/**
 * Checklist §6: invalid DPoP proofs. Each sends valid client authentication
 * and one bad proof; the answer must be 400 invalid_dpop_proof and no token
 * (RFC 9449 §5, checks of §4.3).
 */
import type { CheckContext } from '../context';
import { USE_DPOP_NONCE } from '../../oauth/dpop-nonce';
import { DPOP_HEADER } from '../../oauth/protocol';
import type { DpopPlan } from '../draft';
import { createProof, generateDpopKey, nowSeconds, type ProofSpec } from '../signing';
import { check, probeCheck, rejects, type Check } from './define';

interface ProofNegative {
  id: string;
  title: string;
  reference: string;
  probes: () => Array<{ what: string; plan: ProofSpec | DpopPlan }> | Promise<Array<{ what: string; plan: ProofSpec | DpopPlan }>>;
}

/** RFC 9449 §5: "If the DPoP proof is invalid, the authorization server issues an error response ... invalid_dpop_proof". */
const INVALID_PROOF_REFUSED = rejects({ error: 'invalid_dpop_proof' });

function proofNegative(spec: ProofNegative): Check {
  return probeCheck({
    id: spec.id,
    title: spec.title,
    level: 'MUST',
    reference: spec.reference,
    group: 'dpop-proof',
    requires: ['dpop'],
    probes: async (ctx) => (await spec.probes()).map(({ what, plan }) => ({ what, request: ctx.draft({ dpop: plan }) })),
    expect: INVALID_PROOF_REFUSED,
  });
}

const two = (a: ProofSpec, b: ProofSpec, joined = false): DpopPlan => ({ headerName: DPOP_HEADER, proofs: [a, b], joined });

export const dpopMulti = proofNegative({
  id: 'dpop-multi',
  title: 'two DPoP header fields are refused',
  reference: 'RFC 9449 §4.3 item 1',
  probes: () => [{ what: 'two DPoP header fields', plan: two({}, {}) }],
});

export const dpopJoined = proofNegative({
  id: 'dpop-joined',
  title: 'two proofs joined in one DPoP header value are refused',
  reference: 'RFC 9449 §4.3 item 2',
  probes: () => [{ what: 'one DPoP field holding "p1, p2"', plan: two({}, {}, true) }],
});

export const dpopMalformed = proofNegative({
  id: 'dpop-malformed',
  title: 'a DPoP header that is not a JWS is refused',
  reference: 'RFC 9449 §4.3 item 2',
  probes: () => [{ what: 'a DPoP value that is not a JWT', plan: { raw: 'not-a-jwt' } }],
});

export const dpopTyp = proofNegative({
  id: 'dpop-typ',
  title: 'a proof whose typ is missing or not dpop+jwt is refused',
  reference: 'RFC 9449 §4.3 item 4',
  probes: () => [
    { what: 'a proof without typ', plan: { typ: null } },
    { what: 'a proof with typ "jwt"', plan: { typ: 'jwt' } },
    // Item 4 wants typ to be dpop+jwt exactly: a substring match would take these.
    { what: 'a proof with typ "notdpop+jwt"', plan: { typ: 'notdpop+jwt' } },
    { what: 'a proof with typ "dpop+jwt2"', plan: { typ: 'dpop+jwt2' } },
  ],
});

export const dpopAlgNone = proofNegative({
  id: 'dpop-alg-none',
  title: 'an unsigned proof (alg none) is refused',
  reference: 'RFC 9449 §4.2, §4.3 item 5',
  probes: () => [{ what: 'a proof with alg none', plan: { alg: 'none' } }],
});

export const dpopAlgHs256 = proofNegative({
  id: 'dpop-alg-hs256',
  title: 'a proof signed with a symmetric algorithm (HS256) is refused',
  reference: 'RFC 9449 §4.2, §4.3 item 5',
  probes: () => [{ what: 'a proof with alg HS256', plan: { alg: 'HS256' } }],
});

export const dpopJwkMissing = proofNegative({
  id: 'dpop-jwk-missing',
  title: 'a proof without a jwk header is refused',
  reference: 'RFC 9449 §4.3 item 3',
  probes: () => [{ what: 'a proof without jwk', plan: { omitHeader: ['jwk'] } }],
});

export const dpopJwkPrivate = proofNegative({
  id: 'dpop-jwk-private',
  title: 'a proof whose jwk contains the private key is refused',
  reference: 'RFC 9449 §4.2, §4.3 item 7',
  probes: () => [{ what: 'a proof whose jwk has "d"', plan: { includePrivateJwk: true } }],
});

export const dpopSig = proofNegative({
  id: 'dpop-sig',
  title: 'a proof whose signature does not verify with its jwk is refused',
  reference: 'RFC 9449 §4.3 item 6',
  probes: async () => [
    { what: 'a proof with an altered signature', plan: { badSignature: true } },
    { what: 'a proof signed by a key other than its jwk', plan: { signWith: await generateDpopKey('ES256') } },
  ],
});

export const dpopHtm = proofNegative({
  id: 'dpop-htm',
  title: 'a proof whose htm is not POST (GET, or lower-case post) is refused',
  reference: 'RFC 9449 §4.3 item 8',
  probes: () => [
    { what: 'a proof with htm GET', plan: { htm: 'GET' } },
    { what: 'a proof with htm "post" (htm is case-sensitive)', plan: { htm: 'post' } },
  ],
});

export const dpopHtu = probeCheck({
  id: 'dpop-htu',
  title: 'a proof for another path or host is refused',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 9',
  group: 'dpop-proof',
  requires: ['dpop'],
  probes: (ctx) => {
    const url = new URL(ctx.tokenUrl);
    const otherPath = new URL('/conformance/other', url).href;
    const otherHost = new URL(url.pathname, `${url.protocol}//conformance.invalid${url.port ? `:${url.port}` : ''}`).href;
    return [
      { what: 'a proof for another path', request: ctx.draft({ dpop: { htu: otherPath } }) },
      { what: 'a proof for another host', request: ctx.draft({ dpop: { htu: otherHost } }) },
    ];
  },
  expect: INVALID_PROOF_REFUSED,
});

export const dpopClaimMissing = proofNegative({
  id: 'dpop-claim-missing',
  title: 'a proof missing jti, htm, htu or iat is refused',
  reference: 'RFC 9449 §4.2, §4.3 item 3',
  probes: () => (['jti', 'htm', 'htu', 'iat'] as const).map((claim) => ({ what: `a proof without ${claim}`, plan: { omit: [claim] } })),
});

export const dpopCrit = proofNegative({
  id: 'dpop-crit',
  title: 'a proof naming an unknown critical header is refused',
  reference: 'RFC 7515 §4.1.11; RFC 9449 §4.3',
  probes: () => [{ what: 'a proof with crit ["urn:example:conformance"]', plan: { crit: ['urn:example:conformance'] } }],
});

/**
 * The iat window (RFC 9449 §4.3 item 11). With a server nonce, item 11 lets
 * the server judge freshness by the nonce instead of iat, so under the rfc
 * profile an old iat with a valid nonce may be accepted; attesto keeps its
 * ±60 s window even then, so under the attesto profile it must be refused.
 */
async function judgeIat(ctx: CheckContext, offsetSeconds: number, what: string): Promise<void> {
  // The case to judge is "bad iat, valid nonce": learn a nonce first, since a
  // server that checks iat before the nonce would never ask for one.
  if (ctx.config.dpop.nonce && ctx.session.nonce === undefined) await ctx.send(ctx.draft({ dpop: true }));
  const exchange = await ctx.send(ctx.draft({ dpop: { iat: nowSeconds() + offsetSeconds } }));
  if (!ctx.config.dpop.nonce) {
    ctx.expectRejection(exchange, { error: 'invalid_dpop_proof', what });
    return;
  }
  const res = exchange.response;
  if (ctx.profile === 'rfc') {
    if (res?.status === 200) return ctx.note(`${what} accepted: the server nonce vouches for freshness (RFC 9449 §4.3 item 11)`);
    ctx.expectRejection(exchange, { error: ['invalid_dpop_proof', USE_DPOP_NONCE], what });
    return;
  }
  ctx.expectRejection(exchange, { error: 'invalid_dpop_proof', level: 'CONTRACT', what: `${what}, even with a valid nonce (attesto keeps its ±60 s iat window)` });
}

export const dpopIatOld = check({
  id: 'dpop-iat-old',
  title: 'a proof issued an hour ago is refused',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 11, §11.1',
  group: 'dpop-proof',
  requires: ['dpop'],
  run: (ctx) => judgeIat(ctx, -3600, 'a proof with iat one hour ago'),
});

export const dpopIatFuture = check({
  id: 'dpop-iat-future',
  title: 'a proof issued an hour in the future is refused',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 11',
  group: 'dpop-proof',
  requires: ['dpop'],
  run: (ctx) => judgeIat(ctx, 3600, 'a proof with iat one hour ahead'),
});

export const dpopReplay = check({
  id: 'dpop-replay',
  title: 'the same proof sent twice is refused the second time, with invalid_dpop_proof',
  // Accepting a replay: RFC 9449 §11.1 says servers "can" store jti values (a MAY), while the attesto contract
  // promises replay protection (CONTRACT under the attesto profile). Refusing it with another error code breaks
  // RFC 9449 §5: "If the DPoP proof is invalid, the authorization server issues an error response ... invalid_dpop_proof" (MUST).
  level: 'MUST',
  reference: 'RFC 9449 §5, §11.1; attesto contract (replay protection)',
  group: 'dpop-proof',
  requires: ['dpop'],
  mode: 'ordered',
  async run(ctx) {
    if (ctx.config.dpop.nonce && ctx.session.nonce === undefined) {
      // Learn a nonce first so the replayed proof carries a valid one.
      await ctx.send(ctx.draft({ dpop: true }));
    }
    const proof = await createProof(await ctx.session.dpopKey(), { htm: 'POST', htu: ctx.tokenUrl, nonce: ctx.session.nonce });
    ctx.session.secrets.add(proof);
    const plan: ProofSpec = { raw: proof };
    const first = await ctx.send(ctx.draft({ dpop: plan }), { nonceRetry: false });
    // A first use that gets no token is dpop-ok's failure, not a replay: nothing to replay.
    if (!ctx.expectToken(first, { tokenType: 'DPoP', level: 'SHOULD', what: 'the first use of the proof' })) return;
    const second = await ctx.send(ctx.draft({ dpop: plan }), { nonceRetry: false });
    const what = 'the same proof a second time';
    const replayLevel = ctx.profile === 'attesto' ? 'CONTRACT' : 'MAY';
    if (!ctx.expectNoToken(second, replayLevel, what)) return;
    // A nonce the server rotated after the first use also refuses the replay (RFC 9449 §8): use_dpop_nonce is fine.
    if (ctx.expectRejection(second, { error: ['invalid_dpop_proof', USE_DPOP_NONCE], what })) ctx.note('the replayed proof was refused');
  },
});

export const DPOP_PROOF_CHECKS = [
  dpopMulti,
  dpopJoined,
  dpopMalformed,
  dpopTyp,
  dpopAlgNone,
  dpopAlgHs256,
  dpopJwkMissing,
  dpopJwkPrivate,
  dpopSig,
  dpopHtm,
  dpopHtu,
  dpopClaimMissing,
  dpopIatOld,
  dpopIatFuture,
  dpopReplay,
  dpopCrit,
];
