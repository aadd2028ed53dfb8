/**
 * The authorization_code grant with PKCE at the token endpoint (RFC 6749
 * §4.1.3–4.1.4, RFC 7636 §4.5–4.6, RFC 9700 §2.1.1). Each check takes fresh
 * codes from the run's code source (grants.ts) and breaks one thing in the
 * token request that redeems one: the code is redeemed twice, by another
 * client, with another redirect URI, with no, a wrong or a "plain" verifier,
 * or too late.
 */
import { AUTHORIZATION_CODE_GRANT, OAUTH_PARAMETERS } from '../../oauth/protocol';
import { createCodeVerifier, s256Challenge } from '../../oauth/pkce';
import type { CheckContext } from '../context';
import { INVALID_GRANT, WINDOW_MARGIN_MS, codeDraft, grantClient, grantClients, obtainCode, otherClients, refreshDraft, sendCode, refreshTokenOf, wantsDpop, type CodeRequestOptions, type HeldCode } from '../grants';
import { interruptibleDelay } from '../interrupt';
import type { RejectionExpectation } from '../judge';
import { check, type Check } from './define';


/** One request redeeming a fresh code with one defect; `edit` returns undefined when the code cannot carry that defect (no redirect_uri to change). */
interface CodeProbe {
  what: string;
  edit: (ctx: CheckContext, held: HeldCode) => CodeRequestOptions | undefined;
  /** Default: the check's `expect`. */
  expect?: RejectionExpectation;
}

interface CodeNegative {
  id: string;
  title: string;
  reference: string;
  probes: readonly CodeProbe[];
  expect: RejectionExpectation;
  /** Why nothing was sent when no probe applied. */
  notApplicable?: string;
}

/**
 * The table-driven form of the code checks: each probe redeems its own
 * fresh code (a server may rightly burn a code on a failed attempt), for
 * the run's first code client, and must be refused.
 */
function codeNegative(spec: CodeNegative): Check {
  return check({
    id: spec.id,
    title: spec.title,
    level: 'MUST',
    reference: spec.reference,
    group: 'authorization-code',
    requires: ['authorization_code'],
    async run(ctx) {
      const client = grantClient(ctx, AUTHORIZATION_CODE_GRANT);
      let sent = 0;
      for (const probe of spec.probes) {
        const held = await obtainCode(ctx, client);
        const options = probe.edit(ctx, held);
        if (options === undefined) continue;
        sent += 1;
        ctx.expectRejection(await sendCode(ctx, held, { dpop: wantsDpop(ctx, client), ...options }), { ...(probe.expect ?? spec.expect), what: probe.what });
      }
      if (sent === 0) ctx.skip(spec.notApplicable ?? 'no probe applies to the codes the source gives');
    },
  });
}

export const codeOk = check({
  id: 'code-ok',
  title: 'a fresh authorization code with its PKCE verifier is redeemed for a token',
  level: 'MUST',
  reference: 'RFC 6749 §4.1.3–4.1.4, §5.1; RFC 7636 §4.5',
  group: 'authorization-code',
  requires: ['authorization_code'],
  async run(ctx) {
    // A confidential client and a public one (RFC 6749 §2.1) redeem differently: each kind configured is tried.
    const clients = [grantClients(ctx, AUTHORIZATION_CODE_GRANT, 'confidential')[0], grantClients(ctx, AUTHORIZATION_CODE_GRANT, 'public')[0]].filter((c) => c !== undefined);
    for (const client of clients) {
      const held = await obtainCode(ctx, client);
      const what = `a fresh code of ${client.auth === 'none' ? 'public' : 'confidential'} client ${client.id}`;
      const token = ctx.expectToken(await sendCode(ctx, held, { dpop: wantsDpop(ctx, client) }), { what });
      if (token) ctx.note(`${what}: ${token.tokenType} token${typeof token.body.refresh_token === 'string' ? ' and a refresh token' : ''}`);
    }
  },
});

export const codeReuse = check({
  id: 'code-reuse',
  title: 'a code is redeemed once: the second redemption is refused, and the tokens of the first are revoked',
  level: 'MUST',
  // §4.1.2: "If an authorization code is used more than once, the authorization server MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based on that authorization code."
  reference: 'RFC 6749 §4.1.2, §10.5; RFC 9700 §4.2.1',
  group: 'authorization-code',
  requires: ['authorization_code'],
  // The second redemption may revoke more than this code's tokens (RFC 6749 §4.1.2 does not bound it): alone, after the pool.
  mode: 'ordered',
  async run(ctx) {
    const client = grantClient(ctx, AUTHORIZATION_CODE_GRANT);
    const held = await obtainCode(ctx, client);
    const dpop = wantsDpop(ctx, client);
    const first = await sendCode(ctx, held, { dpop });
    if (!ctx.expectToken(first, { what: 'the first redemption of a fresh code' })) return;
    ctx.expectRejection(await sendCode(ctx, held, { dpop }), { ...INVALID_GRANT, what: 'the second redemption of the same code' });
    // Access tokens are not checked: the token endpoint cannot tell whether one still works. A refresh token it can.
    const refreshToken = refreshTokenOf(first);
    if (refreshToken === undefined) {
      ctx.note('the first redemption gave no refresh token: revocation not probed');
      return;
    }
    const after = await ctx.send(refreshDraft(ctx, { refreshToken, client }, { dpop }));
    if (ctx.expectNoToken(after, 'SHOULD', 'the refresh token issued from the reused code', 'a refusal: the tokens of a reused code SHOULD be revoked (RFC 6749 §4.1.2)')) {
      ctx.note('the refresh token issued from the reused code was revoked');
    }
  },
});

export const codeOtherClient = check({
  id: 'code-other-client',
  title: "another client cannot redeem a client's code",
  level: 'MUST',
  // §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client, or if the client is public, ensure that the code was issued to client_id in the request".
  reference: 'RFC 6749 §4.1.3, §5.2',
  group: 'authorization-code',
  requires: ['authorization_code', 'second_client'],
  async run(ctx) {
    const client = grantClient(ctx, AUTHORIZATION_CODE_GRANT);
    // A confidential other client and a public one (which only names itself), each with a fresh code.
    for (const other of otherClients(ctx, client, AUTHORIZATION_CODE_GRANT)) {
      const held = await obtainCode(ctx, client);
      // The other client may lack the grant: unauthorized_client (§5.2) is as right as invalid_grant.
      ctx.expectRejection(await sendCode(ctx, held, { client: other, dpop: wantsDpop(ctx, other) }), {
        error: ['invalid_grant', 'unauthorized_client'],
        what: `${client.id}'s code redeemed by ${other.auth === 'none' ? 'public client ' : ''}${other.id}`,
      });
    }
  },
});

/**
 * The redirect URI with "/other" added to its path, before any query or
 * fragment: a URI an exact comparison refuses (RFC 9700 §4.1.3). Done on
 * the text, so a URI with an opaque path (`com.example.app:callback`, a
 * `urn:`) changes too.
 */
export function otherRedirectUri(uri: string): string {
  const end = uri.search(/[?#]/);
  const [head, tail] = end < 0 ? [uri, ''] : [uri.slice(0, end), uri.slice(end)];
  return `${head.replace(/\/$/, '')}/other${tail}`;
}

export const codeRedirect = codeNegative({
  id: 'code-redirect',
  title: 'the redirect_uri of the authorization request must come again, unchanged',
  // §4.1.3: "ensure that the redirect_uri parameter is present if the redirect_uri parameter was included in the initial authorization request ..., and if included ensure that their values are identical."
  reference: 'RFC 6749 §4.1.3, §5.2',
  // invalid_grant is §5.2's word for "does not match the redirection URI"; invalid_request ("an unsupported parameter value") refuses it too.
  expect: { error: ['invalid_grant', 'invalid_request'] },
  notApplicable: 'the code source gives no redirect_uri (the authorization request sent none, so the token request need not repeat one)',
  probes: [
    { what: 'another redirect_uri', edit: (_ctx, held) => (held.redirectUri === undefined ? undefined : { set: { [OAUTH_PARAMETERS.redirectUri]: otherRedirectUri(held.redirectUri) } }) },
    {
      what: 'no redirect_uri',
      edit: (_ctx, held) => (held.redirectUri === undefined ? undefined : { set: { [OAUTH_PARAMETERS.redirectUri]: null } }),
    },
  ],
});

export const pkceMissing = codeNegative({
  id: 'pkce-missing',
  title: 'a code issued for a PKCE challenge is not redeemed without code_verifier',
  // RFC 9700 §2.1.1: "If a client sends a valid PKCE code_challenge parameter in the authorization request, the authorization server MUST enforce the correct usage of code_verifier at the token endpoint."
  reference: 'RFC 7636 §4.5–4.6; RFC 9700 §2.1.1',
  expect: { error: ['invalid_grant', 'invalid_request'] },
  probes: [{ what: 'no code_verifier', edit: () => ({ set: { [OAUTH_PARAMETERS.codeVerifier]: null } }) }],
});

export const pkceWrong = codeNegative({
  id: 'pkce-wrong',
  title: 'a code is not redeemed with another code_verifier',
  // RFC 7636 §4.6: "If the values are not equal, an error response indicating invalid_grant ... MUST be returned."
  reference: 'RFC 7636 §4.6',
  expect: INVALID_GRANT,
  probes: [{ what: 'another well-formed code_verifier', edit: () => ({ set: { [OAUTH_PARAMETERS.codeVerifier]: createCodeVerifier() } }) }],
});

export const pkcePlain = codeNegative({
  id: 'pkce-plain',
  title: 'a code issued for an S256 challenge is not redeemed with the challenge itself (no downgrade to plain)',
  // RFC 7636 §4.6: with S256 the server compares BASE64URL(SHA256(code_verifier)) to the challenge; a server that
  // compares as "plain" (verifier == challenge) takes the challenge, which travels in the front channel, as the verifier.
  reference: 'RFC 7636 §4.2, §4.6; RFC 9700 §2.1.1',
  expect: INVALID_GRANT,
  probes: [{ what: 'the S256 code_challenge sent as the code_verifier', edit: (_ctx, held) => ({ set: { [OAUTH_PARAMETERS.codeVerifier]: s256Challenge(held.codeVerifier) } }) }],
});

export const codeExpired = check({
  id: 'code-expired',
  title: 'a code is not redeemed after the lifetime the configuration gives',
  // §4.1.2: "The authorization code MUST expire shortly after it is issued" (10 minutes at most RECOMMENDED). "Shortly" is
  // no number: a code redeemed after the lifetime the server promises (lifetimeSeconds, leeway included) breaks that promise.
  level: 'CONTRACT',
  reference: 'RFC 6749 §4.1.2, §4.1.3, §5.2; the configured lifetimeSeconds',
  group: 'authorization-code',
  requires: ['authorization_code', 'code_lifetime'],
  // Waits out the code lifetime: beside the pool, not in one of its slots.
  waits: true,
  async run(ctx) {
    const client = grantClient(ctx, AUTHORIZATION_CODE_GRANT);
    const lifetimeMs = ctx.config.grants.authorizationCode.lifetimeSeconds! * 1000;
    const held = await obtainCode(ctx, client);
    // The code was issued before the source returned it: waiting from now covers its whole lifetime.
    await interruptibleDelay(lifetimeMs + WINDOW_MARGIN_MS, ctx.session.checkSignal);
    const waited = `${(lifetimeMs + WINDOW_MARGIN_MS) / 1000} s`;
    if (await ctx.sendExpectingRejection(codeDraft(ctx, held, { dpop: wantsDpop(ctx, client) }), { ...INVALID_GRANT, what: `a code redeemed ${waited} after it was issued (lifetime ${lifetimeMs / 1000} s)` })) {
      ctx.note(`waited ${waited}`);
    }
  },
});

export const AUTHORIZATION_CODE_CHECKS = [codeOk, codeReuse, codeOtherClient, codeRedirect, pkceMissing, pkceWrong, pkcePlain, codeExpired];
