/** Checklist §8: sender-constraint policy (RFC 9449 §5, §5.2). */
import { check } from './define';

export const dpopRequiredAbsent = check({
  id: 'dpop-required-absent',
  title: 'a client that must use DPoP is refused a Bearer token when it sends no proof',
  level: 'MUST',
  reference: 'RFC 9449 §5, §5.2 (dpop_bound_access_tokens); attesto contract (400 invalid_request)',
  group: 'sender-constraint',
  requires: ['dpop_required_client'],
  async run(ctx) {
    const client = ctx.config.clients.find((c) => c.requiresDpop)!;
    const what = 'no proof from a DPoP-only client';
    const exchange = await ctx.send(ctx.draft({ client, dpop: false }));
    // RFC 9449 §5 requires the refusal but names no error code; 400 invalid_request is the contract's.
    if (ctx.expectNoToken(exchange, 'MUST', what)) ctx.expectRejection(exchange, { error: 'invalid_request', status: 400, level: 'CONTRACT', what });
  },
});

export const dpopDisabled = check({
  id: 'dpop-disabled',
  title: 'a server without DPoP ignores a proof and issues a Bearer token',
  level: 'SHOULD',
  reference: 'RFC 9449 §5',
  group: 'sender-constraint',
  requires: ['dpop_disabled'],
  async run(ctx) {
    const exchange = await ctx.send(ctx.draft({ dpop: true }));
    // If a token is issued it must not claim a binding the server did not make.
    const token = ctx.expectToken(exchange, { tokenType: 'any', what: 'a request with a proof to a server without DPoP' });
    if (token && token.tokenType.toLowerCase() !== 'bearer') {
      ctx.finding('MUST', 'token_type must be Bearer when the server does not bind tokens', { expected: 'Bearer', received: JSON.stringify(token.body.token_type), exchangeOf: exchange });
    }
  },
});

export const SENDER_CONSTRAINT_CHECKS = [dpopRequiredAbsent, dpopDisabled];
