/**
 * Checklist §5: DPoP proofs that must be accepted (RFC 9449 §4.2, §4.3, §5)
 * and the binding of the issued token to the proof key (§6.1).
 */
import { isPlainObject } from '../../oauth/guards';
import { DPOP_HEADER } from '../../oauth/protocol';
import { decodeAccessToken, nowSeconds, type ProofSpec } from '../signing';
import type { Exchange } from '../exchange';
import { introspectAccessToken } from '../introspection';
import { check, issuesToken, probeCheck } from './define';

export const dpopOk = probeCheck({
  id: 'dpop-ok',
  title: 'a valid DPoP proof gets a DPoP token',
  level: 'MUST',
  reference: 'RFC 9449 §4.2, §5',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ dpop: true }) }],
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const dpopJkt = check({
  id: 'dpop-jkt',
  title: 'the token is bound to the proof key: cnf.jkt is its RFC 7638 thumbprint',
  level: 'MUST',
  reference: 'RFC 9449 §6.1 (a JWT access token), §6.2 (introspection of an opaque one); RFC 7638 §3; attesto contract (cnf.jkt in the body)',
  group: 'dpop-success',
  requires: ['dpop'],
  owns: { pointers: ['/cnf'] },
  async run(ctx) {
    const client = ctx.client();
    const exchange = await ctx.send(ctx.draft({ client, dpop: true }));
    const token = ctx.expectToken(exchange, { tokenType: 'DPoP' });
    if (!token) return;
    const expected = (await ctx.session.dpopKey()).thumbprint;
    // RFC 9449 §6.1: a JWT access token carries cnf.jkt (MUST); §6.2: introspection of an opaque one returns it (MUST).
    const claims = decodeAccessToken(token.accessToken);
    let bound: { cnf: unknown; where: string; reference: string; exchange: Exchange; introspected: boolean } | undefined;
    if (claims) bound = { cnf: claims.cnf, where: 'the JWT access token', reference: 'RFC 9449 §6.1', exchange, introspected: false };
    else {
      const introspection = await introspectAccessToken(ctx, client, token.accessToken);
      if ('unavailable' in introspection) ctx.note(`the access token is opaque and its binding is not visible (${introspection.unavailable}): that half not judged`);
      else bound = { cnf: introspection.claims.cnf, where: 'the introspection response', reference: 'RFC 9449 §6.2', exchange: introspection.exchange, introspected: true };
    }
    if (bound !== undefined) {
      const jkt = isPlainObject(bound.cnf) ? bound.cnf.jkt : undefined;
      // RFC 7662 §2.2 makes every member but `active` optional, and the run asks as the client, not as a resource server:
      // an answer without cnf.jkt says nothing wrong. A jkt that is there and wrong binds the token to another key.
      if (jkt === undefined && bound.introspected) ctx.note(`${bound.where} has no cnf.jkt (RFC 7662 §2.2: optional; the binding is not visible to this client)`);
      else if (jkt !== expected) {
        ctx.finding('MUST', jkt === undefined ? `${bound.where} has no cnf.jkt` : `${bound.where}'s cnf.jkt is not the proof key's thumbprint`, {
          expected,
          received: jkt === undefined ? 'no cnf.jkt claim' : String(jkt),
          reference: bound.reference,
          exchangeOf: bound.exchange,
        });
      } else ctx.note(`${bound.where}'s cnf.jkt matches`);
    }
    // The contract adds cnf.jkt to the response body (AttestoDPoPTokenResponse); RFC 9449 defines none there.
    const cnf = token.body.cnf;
    const bodyJkt = isPlainObject(cnf) ? cnf.jkt : undefined;
    if (bodyJkt !== expected) {
      ctx.finding('CONTRACT', bodyJkt === undefined ? 'the response body has no cnf.jkt' : 'the body\'s cnf.jkt is not the proof key\'s thumbprint', {
        expected: `cnf: { jkt: "${expected}" }`,
        received: bodyJkt === undefined ? (cnf === undefined ? 'no cnf member' : JSON.stringify(cnf)) : String(bodyJkt),
        reference: 'attesto contract (AttestoDPoPTokenResponse)',
        exchangeOf: exchange,
      });
    }
  },
});

export const dpopHdrCase = probeCheck({
  id: 'dpop-hdr-case',
  title: 'the DPoP header is found whatever its case (DPOP)',
  level: 'MUST',
  reference: 'RFC 9110 §5.1',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => [{ what: 'a proof in a DPOP header field', request: ctx.draft({ dpop: { headerName: DPOP_HEADER.toUpperCase(), proofs: [{}] } }) }],
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const dpopExtra = probeCheck({
  id: 'dpop-extra',
  title: 'extra header members and claims (nbf, exp, unknown ones) are ignored',
  level: 'MUST',
  reference: 'RFC 7519 §4; RFC 9449 §4.2',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => {
    const now = nowSeconds();
    // Only members that cannot change verification: not `kid`, which a server may rightly use to select the key (RFC 7515 §4.1.4).
    const spec: ProofSpec = { header: { 'urn:example:conformance': 'ignored' }, claims: { nbf: now - 5, exp: now + 60, ext: 'ignored' } };
    return [{ what: 'the request', request: ctx.draft({ dpop: spec }) }];
  },
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const dpopIatSkew = probeCheck({
  id: 'dpop-iat-skew',
  title: 'a proof whose iat is 10 s off (either way) is accepted',
  level: 'SHOULD',
  reference: 'RFC 9449 §4.3 item 11, §11.1',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => [-10, 10].map((offset) => ({ what: `a proof with iat ${offset > 0 ? '+' : ''}${offset} s`, request: ctx.draft({ dpop: { iat: nowSeconds() + offset } }) })),
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const dpopHtuQf = probeCheck({
  id: 'dpop-htu-qf',
  title: 'htu with a query and fragment is compared without them',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 9',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => [{ what: 'the request', request: ctx.draft({ dpop: { claims: { htu: `${ctx.tokenUrl}?x=1#f` } } }) }],
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const dpopHtuNorm = probeCheck({
  id: 'dpop-htu-norm',
  title: 'htu is compared after normalisation (case of scheme and host, explicit default port)',
  level: 'SHOULD',
  reference: 'RFC 9449 §4.3 item 9; RFC 3986 §6.2.2–6.2.3',
  group: 'dpop-success',
  requires: ['dpop'],
  probes: (ctx) => {
    const url = new URL(ctx.tokenUrl);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const variant = `${url.protocol.slice(0, -1).toUpperCase()}://${url.hostname.toUpperCase()}:${port}${url.pathname}`;
    return [{ what: `a proof with htu ${variant}`, request: ctx.draft({ dpop: { claims: { htu: variant } } }) }];
  },
  expect: issuesToken({ tokenType: 'DPoP' }),
});

export const DPOP_SUCCESS_CHECKS = [dpopOk, dpopJkt, dpopHdrCase, dpopExtra, dpopIatSkew, dpopHtuQf, dpopHtuNorm];
