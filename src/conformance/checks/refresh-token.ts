/**
 * The refresh_token grant (RFC 6749 §6) and what RFC 9700 §4.14.2 and RFC
 * 9449 §5 add: refresh tokens bound to their client and (a public client's)
 * to its DPoP key, scope that narrows and never widens, and rotation: a
 * retired token presented again means two parties hold it, so its family
 * is revoked. Rotation itself is a MAY of RFC 6749 §6; whether a server
 * rotates, and what a retry within a grace window gets, is what the
 * configuration promises (`grants.refreshToken`), judged at CONTRACT level.
 *
 * Each check takes fresh refresh tokens (grants.ts `obtainRefreshToken`).
 * A reuse or misuse may revoke more than the tokens at hand (a server may
 * revoke a whole grant, or every token of the client): the checks that
 * provoke one run alone, after the others (mode `ordered`).
 */
import type { CheckContext } from '../context';
import type { Exchange } from '../exchange';
import { INVALID_GRANT, WINDOW_MARGIN_MS, obtainRefreshToken, otherClients, refreshClient, refreshClients, refreshDraft, wantsDpop, refreshTokenOf, scopeTokens, type HeldRefreshToken, type RefreshRequestOptions } from '../grants';
import { interruptibleDelay } from '../interrupt';
import type { RejectionExpectation } from '../judge';
import { generateDpopKey } from '../signing';
import { REFRESH_TOKEN_GRANT } from '../../oauth/protocol';
import { BODY_CREDENTIALS_REFUSED } from './client-auth';
import { check } from './define';
import { SkipCheck } from '../skip';


/** A refresh and when it went out and came back (the grace window is measured from them). */
interface TimedRefresh {
  exchange: Exchange;
  sentAt: number;
  answeredAt: number;
}

async function refresh(ctx: CheckContext, held: Pick<HeldRefreshToken, 'refreshToken' | 'client' | 'dpop'>, options: RefreshRequestOptions = {}): Promise<TimedRefresh> {
  const sentAt = Date.now();
  const exchange = await ctx.send(refreshDraft(ctx, held, { dpop: held.dpop, ...options }));
  return { exchange, sentAt, answeredAt: Date.now() };
}

/** How many kinds of refresh-capable client (confidential, public) the run has. */
function refreshKinds(ctx: CheckContext): number {
  return (['confidential', 'public'] as const).filter((k) => refreshClients(ctx, k).length > 0).length;
}

/** A fresh refresh token for a refresh-capable client (confidential first). */
async function freshToken(ctx: CheckContext, kind: 'any' | 'confidential' | 'public' = 'any', scope?: string): Promise<HeldRefreshToken> {
  return obtainRefreshToken(ctx, refreshClient(ctx, kind), scope === undefined ? {} : { scope });
}

/**
 * Refreshes once and returns the successor when the server rotated; skips
 * the check when it did not (nothing retired to present again).
 */
async function rotateOnce(ctx: CheckContext, held: HeldRefreshToken): Promise<{ rotation: TimedRefresh; successor: string } | undefined> {
  const rotation = await refresh(ctx, held);
  if (!ctx.expectToken(rotation.exchange, { what: 'a refresh with a fresh refresh token' })) return undefined;
  const successor = refreshTokenOf(rotation.exchange);
  if (successor === undefined || successor === held.refreshToken) ctx.skip('the server did not rotate the refresh token (no new refresh_token): nothing retired to present again');
  return { rotation, successor };
}

/** Waits until the grace window after `rotation` is certainly over (the server started it no later than its answer). */
async function outlastGrace(ctx: CheckContext, rotation: TimedRefresh): Promise<void> {
  const { grace, graceSeconds } = ctx.config.grants.refreshToken;
  if (grace === 'none') return;
  const wait = rotation.answeredAt + graceSeconds * 1000 + WINDOW_MARGIN_MS - Date.now();
  if (wait > 0) await interruptibleDelay(wait, ctx.session.checkSignal);
}

export const rtOk = check({
  id: 'rt-ok',
  title: 'a refresh token is redeemed for a new access token',
  level: 'MUST',
  reference: 'RFC 6749 §6, §5.1',
  group: 'refresh-token',
  requires: ['refresh_token'],
  async run(ctx) {
    // A confidential client and a public one (its token DPoP-bound) refresh differently: each kind configured is tried.
    const skips: string[] = [];
    for (const kind of (['confidential', 'public'] as const).filter((k) => refreshClients(ctx, k).length > 0)) {
      let held: HeldRefreshToken;
      try {
        held = await freshToken(ctx, kind);
      } catch (error) {
        // One kind with nothing to refresh (RFC 6749 §4.1.4: a refresh token is optional) leaves the other judged.
        if (!(error instanceof SkipCheck)) throw error;
        skips.push(error.reason);
        ctx.note(`${kind}: ${error.reason}`);
        continue;
      }
      const { exchange } = await refresh(ctx, held);
      const token = ctx.expectToken(exchange, { what: `a refresh by ${kind} client ${held.client.id}` });
      if (token) ctx.note(`${kind} client ${held.client.id}: ${token.tokenType} token`);
    }
    if (skips.length > 0 && skips.length === refreshKinds(ctx)) ctx.skip(skips.join('; '));
  },
});

export const rtRotates = check({
  id: 'rt-rotates',
  title: 'the refresh token rotates, or does not, as the configuration says',
  // RFC 6749 §6: "The authorization server MAY issue a new refresh token"; rotating is the server's promise (grants.refreshToken.rotation).
  level: 'CONTRACT',
  reference: 'RFC 6749 §6; RFC 9700 §4.14.2 (refresh token rotation)',
  group: 'refresh-token',
  requires: ['refresh_token'],
  async run(ctx) {
    const held = await freshToken(ctx);
    const { exchange } = await refresh(ctx, held);
    if (!ctx.expectToken(exchange, { level: 'MUST', what: 'a refresh with a fresh refresh token' })) return;
    const successor = refreshTokenOf(exchange);
    const rotated = successor !== undefined && successor !== held.refreshToken;
    const policy = ctx.config.grants.refreshToken.rotation;
    const received = successor === undefined ? 'no refresh_token' : rotated ? 'a new refresh_token' : 'the same refresh_token';
    if (policy === 'required' && !rotated) {
      ctx.finding('CONTRACT', `the refresh was answered with ${received}; the configuration says every refresh rotates (grants.refreshToken.rotation "required")`, { expected: 'a new refresh_token', received, exchangeOf: exchange });
    } else if (policy === 'forbidden' && rotated) {
      ctx.finding('CONTRACT', 'the refresh was answered with a new refresh_token; the configuration says the server never rotates (grants.refreshToken.rotation "forbidden")', { expected: 'no refresh_token, or the same one', received, exchangeOf: exchange });
    } else ctx.note(`${received} (rotation ${policy})`);
  },
});

export const rtReuseRevokesFamily = check({
  id: 'rt-reuse-revokes-family',
  title: 'a rotated-out refresh token presented again is refused and revokes its successor',
  // RFC 9700 §4.14.2: "The previous refresh token is invalidated but retained ... one of them will present an invalidated
  // refresh token, which will inform the authorization server of the breach ... it will revoke the active refresh token."
  level: 'CONTRACT',
  reference: 'RFC 9700 §4.14.2; RFC 6749 §10.4',
  group: 'refresh-token',
  requires: ['refresh_token', 'rotation_required'],
  // Its reuse may revoke more than its own family (a whole grant, every token of the client): alone, after the pool.
  mode: 'ordered',
  // It waits out the grace window.
  waits: true,
  async run(ctx) {
    const held = await freshToken(ctx);
    const rotated = await rotateOnce(ctx, held);
    if (!rotated) return;
    // Rotated twice (RT0 -> RT1 -> RT2), so revoking the family is told apart from revoking the direct successor:
    // the token to revoke is the active one, RT2 ("it will revoke the active refresh token").
    const second = await refresh(ctx, { ...held, refreshToken: rotated.successor });
    if (!ctx.expectToken(second.exchange, { what: 'a refresh with the successor' })) return;
    const active = refreshTokenOf(second.exchange) ?? rotated.successor;
    await outlastGrace(ctx, rotated.rotation);
    const reused = await ctx.sendExpectingRejection(refreshDraft(ctx, held, { dpop: held.dpop }), { ...INVALID_GRANT, what: 'the first, rotated-out refresh token presented again' });
    if (!reused) return;
    await ctx.sendExpectingRejection(refreshDraft(ctx, { ...held, refreshToken: active }, { dpop: held.dpop }), {
      ...INVALID_GRANT,
      what: `the family's active refresh token (${active === rotated.successor ? 'its successor' : 'two rotations on'}), after the reuse (the family must be revoked)`,
    });
  },
});

export const rtGrace = check({
  id: 'rt-grace',
  title: 'a retry with a just-rotated refresh token gets what the grace policy says, and only within the window',
  // Not an RFC rule: a grace window (attesto: the same successor again) lets a client whose answer was lost retry
  // without tripping the reuse detection of RFC 9700 §4.14.2. It must never leave two live successors.
  level: 'CONTRACT',
  reference: 'RFC 9700 §4.14.2; attesto contract (grace window)',
  group: 'refresh-token',
  requires: ['refresh_token', 'rotation_required'],
  // Its reuse may revoke more than its own family (a whole grant, every token of the client): alone, after the pool.
  mode: 'ordered',
  // It waits out the grace window.
  waits: true,
  async run(ctx) {
    const { grace, graceSeconds } = ctx.config.grants.refreshToken;
    const held = await freshToken(ctx);
    const rotated = await rotateOnce(ctx, held);
    if (!rotated) return;
    const retry = await refresh(ctx, held);
    if (grace === 'none') {
      if (ctx.expectRejection(retry.exchange, { ...INVALID_GRANT, what: 'an immediate retry with the rotated-out token (grace "none": no window)' })) ctx.note('no grace window: the retry was refused');
      return;
    }
    // Judged only when the retry certainly arrived inside the window (the server opened it no earlier than the refresh was sent).
    const elapsed = retry.answeredAt - rotated.rotation.sentAt;
    if (elapsed >= graceSeconds * 1000 - WINDOW_MARGIN_MS / 2) ctx.skip(`the retry was answered ${(elapsed / 1000).toFixed(1)} s after the refresh was sent, not certainly inside the ${graceSeconds} s window: not judged`);
    const retried = ctx.expectToken(retry.exchange, { what: `a retry with the rotated-out token within the ${graceSeconds} s grace window` });
    if (!retried) return;
    const again = refreshTokenOf(retry.exchange);
    if (grace === 'same-successor') {
      if (again !== rotated.successor) {
        const received = again === undefined ? 'no refresh_token' : 'another refresh_token';
        ctx.finding('CONTRACT', `the retry within the grace window was answered with ${received}; grace "same-successor" hands back the same successor`, { expected: 'the same successor refresh_token', received, exchangeOf: retry.exchange });
        return;
      }
      // The window exists so the client can go on: the successor handed back must still work.
      const onward = await refresh(ctx, { ...held, refreshToken: rotated.successor });
      if (!ctx.expectToken(onward.exchange, { level: 'CONTRACT', what: 'the successor handed back by the retry, refreshed' })) return;
      ctx.note('the retry got the same successor back, and it still refreshes');
    } else {
      if (again === undefined || again === rotated.successor) {
        ctx.finding('CONTRACT', `the retry within the grace window was answered with ${again === undefined ? 'no refresh_token' : 'the same successor'}; grace "new-successor" issues a new one`, { expected: 'a new successor refresh_token', exchangeOf: retry.exchange });
        return;
      }
      // Two live successors of one token would be two families: the replaced one must be dead.
      await ctx.sendExpectingRejection(refreshDraft(ctx, { ...held, refreshToken: rotated.successor }, { dpop: held.dpop }), { ...INVALID_GRANT, what: 'the first successor, replaced by the retry\'s' });
    }
    await outlastGrace(ctx, rotated.rotation);
    await ctx.sendExpectingRejection(refreshDraft(ctx, held, { dpop: held.dpop }), { ...INVALID_GRANT, what: `the rotated-out token after the ${graceSeconds} s window` });
  },
});

export const rtOtherClient = check({
  id: 'rt-other-client',
  title: "another client cannot redeem a client's refresh token",
  level: 'MUST',
  // §6: "ensure that the refresh token was issued to the authenticated client"; §10.4: "MUST maintain the binding between a refresh token and the client to whom it was issued".
  reference: 'RFC 6749 §6, §10.4, §5.2',
  group: 'refresh-token',
  requires: ['refresh_token', 'second_client'],
  async run(ctx) {
    const client = refreshClient(ctx);
    // A confidential other client and a public one (which only names itself), each with a fresh token.
    for (const other of otherClients(ctx, client, REFRESH_TOKEN_GRANT)) {
      const held = await obtainRefreshToken(ctx, client);
      await ctx.sendExpectingRejection(refreshDraft(ctx, held, { client: other, dpop: held.dpop || other.requiresDpop || wantsDpop(ctx, other) }), {
        error: ['invalid_grant', 'unauthorized_client'],
        what: `${held.client.id}'s refresh token from ${other.auth === 'none' ? 'public client ' : ''}${other.id}`,
      });
    }
  },
});

export const rtNoClientAuth = check({
  id: 'rt-no-client-auth',
  title: "a confidential client's refresh token is refused without client authentication",
  level: 'MUST',
  // §6: "require client authentication for confidential clients or for any client that was issued client credentials".
  reference: 'RFC 6749 §6, §5.2',
  group: 'refresh-token',
  requires: ['refresh_token', 'confidential_refresh_client'],
  async run(ctx) {
    const held = await freshToken(ctx, 'confidential');
    // The client_id alone (as a public client would send it): who it is, with no proof that it is.
    await ctx.sendExpectingRejection(refreshDraft(ctx, held, { as: 'none', dpop: held.dpop }), { ...BODY_CREDENTIALS_REFUSED, what: `${held.client.id}'s refresh token with its client_id and no credentials` });
  },
});

export const rtScopeWiden = check({
  id: 'rt-scope-widen',
  title: 'a refresh cannot widen the scope beyond the original grant',
  level: 'MUST',
  // §6: "The requested scope MUST NOT include any scope not originally granted by the resource owner"; §5.2 invalid_scope:
  // "exceeds the scope granted by the resource owner".
  reference: 'RFC 6749 §6, §3.3, §5.2',
  group: 'refresh-token',
  requires: ['refresh_token', 'wider_scope'],
  async run(ctx) {
    const held = await freshToken(ctx);
    const granted = scopeTokens(held.scope);
    if (granted.size === 0) ctx.skip('the refresh token\'s scope is unknown (no scope in the token response, the code source or the config)');
    const extra = [...scopeTokens(ctx.config.grants.refreshToken.widerScope ?? ctx.config.invalidScope)].filter((s) => !granted.has(s));
    if (extra.length === 0) ctx.skip('the wider scope (grants.refreshToken.widerScope) is already inside the grant');
    const requested = [...granted, ...extra].join(' ');
    const { exchange } = await refresh(ctx, held, { scope: requested });
    const res = exchange.response;
    const body = res?.body as Record<string, unknown> | undefined;
    if (res?.status === 200 && typeof body?.access_token === 'string') {
      // §5.1: without a scope member the token has the scope requested, the extra included.
      const issued = typeof body.scope === 'string' ? scopeTokens(body.scope) : new Set(requested.split(' '));
      const widened = extra.filter((s) => issued.has(s));
      if (widened.length > 0) {
        ctx.finding('MUST', `the refresh issued a token with scope beyond the grant (${widened.join(' ')})${typeof body.scope === 'string' ? '' : ': no scope member, so the scope requested (RFC 6749 §5.1)'}`, {
          expected: 'invalid_scope, or a token whose scope leaves the extra scope out',
          received: typeof body.scope === 'string' ? `scope ${JSON.stringify(body.scope)}` : 'no scope member',
          exchangeOf: exchange,
        });
      } else ctx.note(`the server left the extra scope out (${JSON.stringify(body.scope)}; RFC 6749 §3.3 lets it ignore part of a request)`);
      return;
    }
    ctx.expectRejection(exchange, { error: 'invalid_scope', what: `scope "${requested}" on a refresh token granted "${[...granted].join(' ')}"` });
  },
});

export const rtScopeNarrow = check({
  id: 'rt-scope-narrow',
  title: 'a refresh may narrow the scope, and the refresh token keeps the original grant',
  level: 'MUST',
  // §6: scope "MUST NOT include any scope not originally granted" (a narrower one is a valid request), and "If a new
  // refresh token is issued, the refresh token scope MUST be identical to that of the refresh token included by the client".
  reference: 'RFC 6749 §6, §3.3',
  group: 'refresh-token',
  requires: ['refresh_token'],
  async run(ctx) {
    const wider = ctx.config.grants.refreshToken.widerScope;
    const asked = [...new Set([...scopeTokens(ctx.config.grants.authorizationCode.scope ?? ctx.config.scope), ...scopeTokens(wider)])].join(' ');
    const held = await freshToken(ctx, 'any', asked === '' ? undefined : asked);
    const granted = [...scopeTokens(held.scope)];
    if (granted.length < 2) ctx.skip(`needs a refresh token granted two or more scopes to narrow (got ${granted.length === 0 ? 'an unknown scope' : JSON.stringify(granted.join(' '))}; set grants.authorizationCode.scope)`);
    const narrow = granted[0]!;
    const first = await refresh(ctx, held, { scope: narrow });
    const token = ctx.expectToken(first.exchange, { what: `a refresh narrowed to scope "${narrow}"` });
    if (!token) return;
    if (typeof token.body.scope === 'string' && token.body.scope.split(' ').some((s) => s !== '' && s !== narrow)) {
      ctx.note(`issued scope ${JSON.stringify(token.body.scope)} for "${narrow}" (RFC 6749 §3.3 lets the server grant otherwise, and it said so)`);
    }
    const next = refreshTokenOf(first.exchange) ?? held.refreshToken;
    const full = granted.join(' ');
    const which = next === held.refreshToken ? 'same' : 'successor';
    const again = await refresh(ctx, { ...held, refreshToken: next }, { scope: full });
    const restored = ctx.expectToken(again.exchange, { what: `the ${which} refresh token asked for the original scope "${full}" after the narrowed refresh` });
    if (!restored) return;
    // A scope member lacking part of the original says the refresh token lost it (§6: its scope "MUST be identical").
    const issued = typeof restored.body.scope === 'string' ? scopeTokens(restored.body.scope) : scopeTokens(full);
    const lost = granted.filter((g) => !issued.has(g));
    if (lost.length > 0) {
      ctx.finding('MUST', `the ${which} refresh token no longer carries the original scope: asked for "${full}", given ${JSON.stringify(restored.body.scope)} (lost ${lost.join(' ')})`, {
        expected: `scope "${full}": a refresh token keeps the scope of the one it replaced (RFC 6749 §6)`,
        received: `scope ${JSON.stringify(restored.body.scope)}`,
        exchangeOf: again.exchange,
      });
      return;
    }
    ctx.note(`narrowed to "${narrow}", then the original "${full}" again (given ${typeof restored.body.scope === 'string' ? JSON.stringify(restored.body.scope) : 'as asked: no scope member'})`);
  },
});

/** A public client's refresh token bound to its DPoP key may be refused with any of these (RFC 9449 §5 names no code for a binding mismatch). */
const BINDING_REFUSED: RejectionExpectation = { error: ['invalid_grant', 'invalid_dpop_proof', 'invalid_request'], status: [400, 401] };

export const rtPublicDpopBound = check({
  id: 'rt-public-dpop-bound',
  title: "a public client's refresh token is bound to its DPoP key",
  level: 'MUST',
  // RFC 9449 §5: "the refresh token MUST be bound to the respective public key. The binding MUST be validated when the refresh
  // token is later presented to get new access tokens."
  reference: 'RFC 9449 §5',
  group: 'refresh-token',
  requires: ['refresh_token', 'public_refresh_client', 'dpop'],
  // A server may revoke a token presented without its key, and more with it: alone, after the pool.
  mode: 'ordered',
  async run(ctx) {
    const otherKey = await generateDpopKey('ES256');
    const misuse = async (token: Pick<HeldRefreshToken, 'refreshToken' | 'client' | 'dpop'>, which: string) => {
      await ctx.sendExpectingRejection(refreshDraft(ctx, token, { dpop: false }), { ...BINDING_REFUSED, what: `${which} without a proof` });
      await ctx.sendExpectingRejection(refreshDraft(ctx, token, { dpop: { key: otherKey } }), { ...BINDING_REFUSED, what: `${which} with a proof of another key` });
    };
    // Every refresh token of the client is bound: the one issued with the code, and a successor.
    const first = await freshToken(ctx, 'public');
    if (!first.dpop) ctx.skip('the public client\'s refresh token was not obtained with DPoP');
    await misuse(first, 'the refresh token issued with the code');
    // The positive control before its successor's misuse: a server that revokes a token after a misuse must not fail it.
    const held = await freshToken(ctx, 'public');
    const proper = await refresh(ctx, held);
    if (!ctx.expectToken(proper.exchange, { what: 'a refresh with a proof of the same DPoP key' })) return;
    const successor = refreshTokenOf(proper.exchange);
    await misuse({ ...held, refreshToken: successor ?? held.refreshToken }, successor === undefined ? 'the refresh token, once used,' : 'its successor');
  },
});

/** How many refreshes of one token rt-race sends at once. */
export const RACE_WIDTH = 5;

export const rtRace = check({
  id: 'rt-race',
  title: 'concurrent refreshes of one token give no 5xx and at most one live successor',
  level: 'MUST',
  // §6 and §5.2: a refresh request is answered with a token or an error response (400/401); a 5xx is neither.
  // RFC 9700 §4.14.2: rotation invalidates the token used, so one token cannot start two live families.
  reference: 'RFC 6749 §6, §5.2; RFC 9700 §4.14.2',
  group: 'refresh-token',
  requires: ['refresh_token'],
  // Alone, after the concurrent checks: its requests must be the only ones in flight (and its losers' reuse may revoke).
  mode: 'ordered',
  async run(ctx) {
    const held = await freshToken(ctx);
    const sent = { freshConnection: true, allowNoResponse: true, limitHint: `rt-race sends ${RACE_WIDTH} refreshes of one token at once: a server that answers that with 429 or 503 gives no verdict` };
    const answers = await Promise.all(Array.from({ length: RACE_WIDTH }, () => ctx.send(refreshDraft(ctx, held, { dpop: held.dpop }), sent)));
    const failed = answers.filter((e) => e.response !== undefined && e.response.status >= 500);
    for (const exchange of failed.slice(0, 1)) {
      ctx.finding('MUST', `${failed.length} of ${RACE_WIDTH} concurrent refreshes of one token were answered with a server error`, {
        expected: 'each answered with a token (200) or an OAuth error (400/401)',
        received: ctx.summarize(exchange.response!),
        exchangeOf: exchange,
      });
    }
    const successors = [...new Set(answers.map(refreshTokenOf).filter((t): t is string => t !== undefined && t !== held.refreshToken))];
    const issued = answers.filter((e) => e.response?.status === 200).length;
    if (successors.length <= 1) {
      ctx.note(`${issued} of ${RACE_WIDTH} answered with a token, ${successors.length === 0 ? 'no new refresh token' : 'one successor'}`);
      return;
    }
    // Several successors: each is tried once; more than one that still works is more than one live family.
    let live = 0;
    let lastLive: Exchange | undefined;
    for (const successor of successors) {
      const exchange = await ctx.send(refreshDraft(ctx, { ...held, refreshToken: successor }, { dpop: held.dpop }));
      if (exchange.response?.status === 200) {
        live += 1;
        lastLive = exchange;
      }
    }
    if (live > 1 && ctx.config.grants.refreshToken.rotation !== 'required') {
      // RFC 6749 §6: the server "MAY revoke the old refresh token": without the promise of rotation, several live tokens are allowed.
      ctx.note(`${successors.length} successors issued, ${live} still working (rotation ${ctx.config.grants.refreshToken.rotation}: the old token may stay valid)`);
    } else if (live > 1) {
      ctx.finding('CONTRACT', `${RACE_WIDTH} concurrent refreshes of one token left ${live} live successors (of ${successors.length} issued): one token started ${live} families`, {
        expected: 'at most one successor that still works',
        received: `${live} working successors`,
        exchangeOf: lastLive,
      });
    } else ctx.note(`${successors.length} successors issued, ${live} still working`);
  },
});

export const REFRESH_TOKEN_CHECKS = [rtOk, rtRotates, rtReuseRevokesFamily, rtGrace, rtOtherClient, rtNoClientAuth, rtScopeWiden, rtScopeNarrow, rtPublicDpopBound, rtRace];
