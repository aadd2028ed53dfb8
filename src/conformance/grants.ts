/**
 * What the checks of the authorization_code and refresh_token grants share
 * (checks/authorization-code.ts, checks/refresh-token.ts): the clients
 * registered for a grant, a fresh code or refresh token from the run's
 * sources (grant-sources.ts), and the token requests of RFC 6749 §4.1.3 and
 * §6, otherwise valid, for a check to break in one place.
 *
 * Everything a source gives and every token the server answers with is a
 * secret of the run (the session's SecretSet) before a check can print it.
 */
import { NotJudged } from './skip';
import { isPlainObject } from '../oauth/guards';
import { jwkThumbprint } from '../oauth/keys';
import { AUTHORIZATION_CODE_GRANT, OAUTH_PARAMETERS, REFRESH_TOKEN_GRANT, type TokenGrantType } from '../oauth/protocol';
import type { ResolvedClient } from './config';
import type { CheckContext } from './context';
import type { DraftOptions, RequestDraft } from './draft';
import type { Exchange } from './exchange';
import type { RejectionExpectation } from './judge';
import { codeFrom, refreshTokenFrom, type IssuedCode } from './grant-sources';

/** RFC 6749 §5.2 invalid_grant: the grant (code, refresh token) "is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client". */
export const INVALID_GRANT: RejectionExpectation = Object.freeze({ error: 'invalid_grant' });

/**
 * How far past a server's window (a code lifetime, a grace window) a check
 * waits before it counts on the window being over, and how far inside one
 * it must be to count on it being open: a server counting whole seconds may
 * end a window up to a second early or late.
 */
export const WINDOW_MARGIN_MS = 2_000;

/** A code as a check holds it: for whom it was issued, what it was granted, and since when the check holds it. */
export interface HeldCode extends IssuedCode {
  client: ResolvedClient;
  /** When the source gave it (Date.now()): the code was issued no later. */
  obtainedAt: number;
}

/** A refresh token as a check holds it. */
export interface HeldRefreshToken {
  refreshToken: string;
  client: ResolvedClient;
  /** The scope its grant carries (RFC 6749 §6): from the token response, or the source; absent when unknown. */
  scope?: string;
  /** The answer that issued it (a redeemed code); absent when it came from a refresh token source. */
  issuedBy?: Exchange;
  /** The DPoP key's proofs it was obtained with: the run's key (a public client's token is bound to it, RFC 9449 §5). */
  dpop: boolean;
}

export type ClientKind = 'any' | 'confidential' | 'public';

/** The clients registered for `grant`, of `kind`, confidential ones first. */
export function grantClients(ctx: CheckContext, grant: TokenGrantType, kind: ClientKind = 'any'): ResolvedClient[] {
  const clients = ctx.config.clients.filter((c) => c.grantTypes.has(grant) && (kind === 'any' || (kind === 'public') === (c.auth === 'none')));
  return [...clients.filter((c) => c.auth !== 'none'), ...clients.filter((c) => c.auth === 'none')];
}

/** The first client for `grant` (of `kind`); skips the check when there is none. */
export function grantClient(ctx: CheckContext, grant: TokenGrantType, kind: ClientKind = 'any'): ResolvedClient {
  const client = grantClients(ctx, grant, kind)[0];
  return client ?? ctx.skip(`needs a ${kind === 'any' ? '' : `${kind} `}client with "grantTypes" holding ${grant}`);
}

/** The refresh-capable clients: with refresh_token, and tokens the run can get (their own source, or codes), confidential first. */
export function refreshClients(ctx: CheckContext, kind: ClientKind = 'any'): ResolvedClient[] {
  const viaCodes = ctx.session.sources.authorizationCode !== undefined;
  // A public client's token is bound to the DPoP key that got it (RFC 9449 §5): only a code the run redeems itself gives one it can use.
  const viaSource = (c: ResolvedClient) => ctx.session.sources.refreshToken !== undefined && c.auth !== 'none';
  return grantClients(ctx, REFRESH_TOKEN_GRANT, kind).filter((c) => viaSource(c) || (viaCodes && c.grantTypes.has(AUTHORIZATION_CODE_GRANT)));
}

/** The first refresh-capable client (of `kind`); skips the check when there is none. */
export function refreshClient(ctx: CheckContext, kind: ClientKind = 'any'): ResolvedClient {
  return refreshClients(ctx, kind)[0] ?? ctx.skip(`needs a ${kind === 'any' ? '' : `${kind} `}client with "grantTypes" holding refresh_token and a source of its refresh tokens`);
}

/**
 * Other configured clients than `client`, to present its code or refresh
 * token: of those registered for the same grant, the first confidential
 * one and the first public one (the server must refuse for the binding,
 * §4.1.3, §6, not because the grant is not the client's; a public client
 * merely names itself, and §6 "issued to the authenticated client" holds
 * for it too). Only when no other client has the grant, any other client
 * (then unauthorized_client is as right). Skips the check when there is
 * no other client at all.
 */
export function otherClients(ctx: CheckContext, client: ResolvedClient, grant: TokenGrantType): ResolvedClient[] {
  const others = ctx.config.clients.filter((c) => c.id !== client.id && !c.requiresDpop);
  const sameGrant = others.filter((c) => c.grantTypes.has(grant));
  const chosen = [sameGrant.find((c) => c.auth !== 'none'), sameGrant.find((c) => c.auth === 'none')].filter((c): c is ResolvedClient => c !== undefined);
  if (chosen.length > 0) return chosen;
  const any = others.find((c) => c.auth !== 'none') ?? others[0] ?? ctx.config.clients.find((c) => c.id !== client.id);
  return [any ?? ctx.skip('needs a second configured client')];
}

/** A fresh authorization code for `client`, from the run's code source; its code and verifier become secrets of the run. */
export async function obtainCode(ctx: CheckContext, client: ResolvedClient, scope = codeScope(ctx)): Promise<HeldCode> {
  const source = ctx.session.sources.authorizationCode;
  if (!source) return ctx.skip('needs a source of authorization codes (config "grants.authorizationCode.command")');
  // A client that redeems with DPoP lets the source bind the code to the run's key (RFC 9449 §10).
  const dpopJkt = wantsDpop(ctx, client) ? await jwkThumbprint(await ctx.session.dpopKey()) : undefined;
  const code = await codeFrom(source, { clientId: client.id, ...(scope !== undefined ? { scope } : {}), ...(dpopJkt !== undefined ? { dpopJkt } : {}) }, sourceName(ctx, 'authorizationCode'), { signal: ctx.session.checkSignal, timeoutMs: ctx.config.grants.authorizationCode.timeoutMs });
  ctx.session.secrets.add(code.code).add(code.codeVerifier);
  return { ...code, client, obtainedAt: Date.now(), ...(code.scope === undefined && scope !== undefined ? { scope } : {}) };
}

/**
 * Sends the request that redeems `held` (codeDraft). When the answer came
 * after the code's configured lifetime, it says nothing about the rule the
 * check is after: the code may just have expired while its request waited
 * its turn (`rate`) or the source was slow. Then the check is not judged
 * (inconclusive), unless the check wants an expired code (code-expired).
 */
export async function sendCode(ctx: CheckContext, held: HeldCode, options: CodeRequestOptions = {}): Promise<Exchange> {
  const exchange = await ctx.send(codeDraft(ctx, held, options));
  const lifetime = ctx.config.grants.authorizationCode.lifetimeSeconds;
  const age = Date.now() - held.obtainedAt;
  // Within the margin of the end too: the server's clock started before the source returned, and may count whole seconds.
  if (lifetime !== undefined && age >= lifetime * 1000 - Math.min(WINDOW_MARGIN_MS, (lifetime * 1000) / 2)) {
    throw new NotJudged(`a code was answered ${(age / 1000).toFixed(1)} s after the source gave it, too near or past its ${lifetime} s lifetime (the request waited its turn under rate, or the source is slow): not judged`);
  }
  return exchange;
}

/** The scope codes are asked for: `grants.authorizationCode.scope`, else the run's. */
export function codeScope(ctx: CheckContext): string | undefined {
  return ctx.config.grants.authorizationCode.scope ?? ctx.config.scope;
}

export interface CodeRequestOptions extends Omit<DraftOptions, 'grant'> {
  /** Parameters replaced (a wrong verifier, another redirect_uri) or removed (`null`). */
  set?: Readonly<Record<string, string | null>>;
}

/**
 * The token request that redeems `held` (RFC 6749 §4.1.3, RFC 7636 §4.5):
 * grant_type, code, redirect_uri when the authorization request had one,
 * code_verifier, and the client's authentication (a public client sends
 * its client_id, §3.2.1).
 */
export function codeDraft(ctx: CheckContext, held: HeldCode, options: CodeRequestOptions = {}): RequestDraft {
  const params: Array<[string, string]> = [
    [OAUTH_PARAMETERS.grantType, AUTHORIZATION_CODE_GRANT],
    [OAUTH_PARAMETERS.code, held.code],
  ];
  if (held.redirectUri !== undefined) params.push([OAUTH_PARAMETERS.redirectUri, held.redirectUri]);
  params.push([OAUTH_PARAMETERS.codeVerifier, held.codeVerifier]);
  const { set, ...draft } = options;
  return ctx.draft({ client: held.client, ...draft, grant: edited(params, set) });
}

export interface RefreshRequestOptions extends Omit<DraftOptions, 'grant'> {
  set?: Readonly<Record<string, string | null>>;
}

/** The refresh request for `token` (RFC 6749 §6): grant_type, refresh_token, an optional scope, and client authentication. */
export function refreshDraft(ctx: CheckContext, held: Pick<HeldRefreshToken, 'refreshToken' | 'client'>, options: RefreshRequestOptions = {}): RequestDraft {
  const params: Array<[string, string]> = [
    [OAUTH_PARAMETERS.grantType, REFRESH_TOKEN_GRANT],
    [OAUTH_PARAMETERS.refreshToken, held.refreshToken],
  ];
  const { set, ...draft } = options;
  return ctx.draft({ client: held.client, ...draft, grant: edited(params, set) });
}

function edited(params: Array<[string, string]>, set: Readonly<Record<string, string | null>> | undefined): Array<[string, string]> {
  if (!set) return params;
  const out = params.filter(([name]) => !(name in set) || set[name] !== null).map(([name, value]): [string, string] => [name, name in set ? (set[name] as string) : value]);
  for (const [name, value] of Object.entries(set)) if (value !== null && !out.some(([n]) => n === name)) out.push([name, value]);
  return out;
}

/**
 * Redeems a fresh code for `client` and expects a token (RFC 6749 §4.1.4).
 * Returns the exchange and the token's body; undefined (with a finding at
 * `level`) when the server gave none.
 */
export async function redeemFreshCode(ctx: CheckContext, client: ResolvedClient, options: { level?: CheckContext['level']; dpop?: boolean; scope?: string; what?: string } = {}) {
  const held = await obtainCode(ctx, client, options.scope ?? codeScope(ctx));
  const exchange = await sendCode(ctx, held, { dpop: options.dpop ?? wantsDpop(ctx, client) });
  const token = ctx.expectToken(exchange, { level: options.level ?? ctx.level, what: options.what ?? 'the redemption of a fresh authorization code' });
  return { held, exchange, token };
}

/**
 * A fresh refresh token for `client`: from the refresh token source when
 * there is one, else by redeeming a fresh code (a token response without
 * `refresh_token` skips the check: RFC 6749 §4.1.4 makes it optional).
 * `level` is the level of a failed redemption.
 */
export async function obtainRefreshToken(ctx: CheckContext, client: ResolvedClient, options: { level?: CheckContext['level']; scope?: string } = {}): Promise<HeldRefreshToken> {
  const dpop = wantsDpop(ctx, client);
  const source = ctx.session.sources.refreshToken;
  if (source && client.auth !== 'none') {
    const scope = options.scope ?? codeScope(ctx);
    const issued = await refreshTokenFrom(source, { clientId: client.id, ...(scope !== undefined ? { scope } : {}) }, sourceName(ctx, 'refreshToken'), { signal: ctx.session.checkSignal, timeoutMs: ctx.config.grants.refreshToken.timeoutMs });
    ctx.session.secrets.add(issued.refreshToken);
    // Without a scope in its answer, the token has the scope it was asked for (as a code's does, RFC 6749 §3.3).
    const granted = issued.scope ?? scope;
    return { refreshToken: issued.refreshToken, client, ...(granted !== undefined ? { scope: granted } : {}), dpop };
  }
  const { held, exchange, token } = await redeemFreshCode(ctx, client, { ...options, dpop, what: 'the redemption of a fresh authorization code (to get a refresh token)' });
  // The refusal is the server's (a finding already says so): the check ends, judged on it.
  if (!token) return ctx.skip('could not get a refresh token: the authorization code was not redeemed (see the finding)');
  const refreshToken = token.body.refresh_token;
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    return ctx.skip(`the server issued no refresh_token when ${client.id} redeemed a code (RFC 6749 §4.1.4: optional); nothing to refresh`);
  }
  const scope = typeof token.body.scope === 'string' ? token.body.scope : held.scope;
  return { refreshToken, client, ...(scope !== undefined ? { scope } : {}), issuedBy: exchange, dpop };
}

/** A public client proves possession with the run's DPoP key when DPoP is on (RFC 9449 §5 binds its refresh token to it); a DPoP-only client always does. */
export function wantsDpop(ctx: CheckContext, client: ResolvedClient): boolean {
  return client.requiresDpop || (client.auth === 'none' && ctx.config.dpop.enabled);
}

/** The refresh token a token response carries, when it carries one. */
export function refreshTokenOf(exchange: Exchange): string | undefined {
  const body = exchange.response?.body;
  return isPlainObject(body) && typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : undefined;
}

/** The scope tokens of a scope value (RFC 6749 §3.3: space-delimited, order irrelevant). */
export function scopeTokens(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(' ').filter((s) => s !== ''));
}

function sourceName(ctx: CheckContext, grant: 'authorizationCode' | 'refreshToken'): string {
  return ctx.session.sourceNames[grant] ?? `the ${grant === 'authorizationCode' ? 'authorization code' : 'refresh token'} source`;
}
