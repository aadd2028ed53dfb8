/** Checklist §8: sender-constraint policy (RFC 9449 §5, §5.2). */
import { isPlainObject } from '../../oauth/guards';
import { decodeAccessToken } from '../signing';
import { check } from './define';

export const dpopRequiredAbsent = check({
  id: 'dpop-required-absent',
  title: 'a client that must use DPoP is refused a Bearer token when it sends no proof',
  level: 'MUST',
  reference: 'RFC 9449 §5, §5.2 (dpop_bound_access_tokens); attesto contract (400 invalid_request)',
  group: 'sender-constraint',
  requires: ['dpop_required_client'],
  async run(ctx) {
    const client = ctx.clientCredentialsClients.find((c) => c.requiresDpop)!;
    const what = 'no proof from a DPoP-only client';
    const exchange = await ctx.send(ctx.draft({ client, dpop: false }));
    // RFC 9449 §5 requires the refusal but names no error code; 400 invalid_request is the contract's.
    if (ctx.expectNoToken(exchange, 'MUST', what)) ctx.expectRejection(exchange, { error: 'invalid_request', status: 400, level: 'CONTRACT', what });
  },
});

export const dpopDisabled = check({
  id: 'dpop-disabled',
  title: 'a server with DPoP switched off answers a proof with a token that does not contradict itself',
  // RFC 9449 §5: a server that does not bind the token answers token_type Bearer; one that binds it (§6) says DPoP.
  // Either is consistent; a DPoP token without a binding, or a Bearer token that carries cnf.jkt, is not.
  level: 'MUST',
  reference: 'RFC 9449 §5, §6.1',
  group: 'sender-constraint',
  requires: ['dpop_disabled'],
  async run(ctx) {
    const exchange = await ctx.send(ctx.draft({ dpop: true }));
    const token = ctx.expectToken(exchange, { tokenType: 'any', level: 'SHOULD', what: 'a request with a proof to a server without DPoP' });
    if (!token) return;
    const jkt = decodeAccessToken(token.accessToken)?.cnf?.jkt;
    const bodyCnf = isPlainObject(token.body.cnf) ? token.body.cnf.jkt : undefined;
    const bound = jkt ?? bodyCnf;
    const type = token.tokenType.toLowerCase();
    const thumbprint = (await ctx.session.dpopKey()).thumbprint;
    if (type === 'bearer' && bound !== undefined) {
      ctx.finding('MUST', 'a Bearer token carries cnf.jkt: it claims a binding its type denies', { expected: 'no cnf.jkt on a Bearer token', received: `cnf.jkt ${String(bound)}`, exchangeOf: exchange });
    } else if (type === 'dpop' && jkt === undefined && bodyCnf === undefined && decodeAccessToken(token.accessToken) !== undefined) {
      ctx.finding('MUST', 'token_type DPoP, but the JWT access token has no cnf.jkt binding', { expected: `cnf.jkt ${thumbprint}`, received: 'no cnf.jkt', reference: 'RFC 9449 §6.1', exchangeOf: exchange });
    } else if (type === 'dpop' && bound !== undefined && bound !== thumbprint) {
      ctx.finding('MUST', "token_type DPoP, bound to a key that is not the proof's", { expected: `cnf.jkt ${thumbprint}`, received: String(bound), reference: 'RFC 9449 §6.1', exchangeOf: exchange });
    } else if (type !== 'bearer' && type !== 'dpop') {
      ctx.finding('MUST', 'token_type is neither Bearer nor DPoP', { expected: 'Bearer or DPoP', received: JSON.stringify(token.body.token_type), exchangeOf: exchange });
    } else ctx.note(type === 'bearer' ? 'the proof was ignored: a Bearer token' : 'the token is DPoP-bound to the proof key: consistent');
  },
});

export const SENDER_CONSTRAINT_CHECKS = [dpopRequiredAbsent, dpopDisabled];
