/**
 * `GET /authorize`: a minimal authorization endpoint (RFC 6749 §4.1.1),
 * TEST ONLY. There is no login and no consent screen: every valid request
 * is approved at once for the configured demo user (`demoUser`), so a test
 * gets an authorization code with one GET and no browser. A real
 * authorization server authenticates the resource owner and asks for
 * consent here; this one exists so the authorization_code grant of the
 * token endpoint can be exercised.
 *
 * What it does insist on is what the token endpoint relies on: a
 * registered client and an exactly matching redirect URI (RFC 6749
 * §3.1.2.3, RFC 9700 §4.1.3), `response_type=code`, PKCE with S256 (RFC
 * 7636 §4.4.1; `plain` refused, RFC 9700 §2.1.1), a scope the client may
 * have, and optionally `dpop_jkt` (RFC 9449 §10). Errors follow RFC 6749
 * §4.1.2.1: with no valid redirect URI the answer is a 400 here (never a
 * redirect to an unverified URI); otherwise a 302 to the redirect URI with
 * `error`, `error_description` and `state`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isS256Challenge } from '../oauth/pkce';
import { AUTHORIZATION_CODE_GRANT, CODE_RESPONSE_TYPE, OAUTH_PARAMETERS, PKCE_PLAIN, PKCE_S256, type AuthorizationErrorCode } from '../oauth/protocol';
import type { AuthorizationCodes } from './authorization-code';
import type { RegisteredClient, ResolvedServerConfig } from './config';
import { TokenEndpointError, echo, safeDescription } from './errors';
import { NO_STORE_HEADERS, sendJson } from './handler';
import { grantScopes } from './scope';

/** The authorization endpoint's path on the reference server. */
export const AUTHORIZE_PATH = '/authorize';

/** A JWK SHA-256 thumbprint (RFC 7638 §3.1, RFC 9449 §10): base64url of 32 bytes, 43 characters. */
const JKT_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface AuthorizeContext {
  config: ResolvedServerConfig;
  codes: AuthorizationCodes;
}

/** An error that goes back to the client's redirect URI (RFC 6749 §4.1.2.1). */
class AuthorizationError extends Error {
  constructor(
    readonly code: AuthorizationErrorCode,
    description: string,
  ) {
    super(safeDescription(description));
  }
}

/** An error the resource owner sees, not the client: the redirect URI cannot be trusted (RFC 6749 §4.1.2.1). */
class UnredirectableError extends Error {
  constructor(description: string) {
    super(safeDescription(description));
  }
}

export function handleAuthorizeRequest(req: IncomingMessage, res: ServerResponse, search: string, context: AuthorizeContext): void {
  // RFC 6749 §3.1: the endpoint MUST support GET; this one supports nothing else.
  if (req.method !== 'GET') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'the authorization endpoint accepts GET only (RFC 6749 3.1)' }, { Allow: 'GET' });
    return;
  }
  let redirect: { uri: string; state: string | undefined } | undefined;
  try {
    const { params, duplicates } = parseQuery(search);
    const client = clientOf(params, duplicates, context.config);
    const redirectUri = redirectUriOf(params, duplicates, client);
    redirect = { uri: redirectUri.uri, state: duplicates.has(OAUTH_PARAMETERS.state) ? undefined : params.get(OAUTH_PARAMETERS.state) };
    // From here on the redirect URI is verified: errors go back to it.
    if (duplicates.size > 0) throw new AuthorizationError('invalid_request', `parameter ${echo([...duplicates][0]!)} is included more than once (RFC 6749 3.1)`);
    const responseType = params.get(OAUTH_PARAMETERS.responseType);
    if (responseType === undefined) throw new AuthorizationError('invalid_request', 'missing response_type');
    if (responseType !== CODE_RESPONSE_TYPE) throw new AuthorizationError('unsupported_response_type', `unsupported response_type ${echo(responseType)}: only code`);
    if (!client.grantTypes.has(AUTHORIZATION_CODE_GRANT)) throw new AuthorizationError('unauthorized_client', 'client is not authorized to use the authorization_code grant');
    const codeChallenge = pkceChallengeOf(params);
    const scopes = scopesOf(params, client, context.config);
    const dpopJkt = dpopJktOf(params, context.config);
    const code = context.codes.issue({
      clientId: client.id,
      redirectUri: redirectUri.uri,
      redirectUriGiven: redirectUri.given,
      codeChallenge,
      scopes,
      subject: context.config.demoUser,
      dpopJkt,
    });
    if (code === 'full') throw new AuthorizationError('temporarily_unavailable', 'authorization code store full; retry later');
    // RFC 6749 §4.1.2: code, and state exactly as received.
    sendRedirect(res, redirect.uri, [
      [OAUTH_PARAMETERS.code, code],
      ...stateParam(redirect.state),
    ]);
  } catch (error) {
    if (error instanceof AuthorizationError && redirect !== undefined) {
      sendRedirect(res, redirect.uri, [
        [OAUTH_PARAMETERS.error, error.code],
        [OAUTH_PARAMETERS.errorDescription, error.message],
        ...stateParam(redirect.state),
      ]);
    } else if (error instanceof UnredirectableError) {
      sendJson(res, 400, { error: 'invalid_request', error_description: error.message });
    } else {
      sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
    }
  }
}

/** RFC 6749 §3.1: parameters without a value are treated as omitted, and none may be repeated. */
function parseQuery(search: string): { params: Map<string, string>; duplicates: Set<string> } {
  const params = new Map<string, string>();
  const duplicates = new Set<string>();
  for (const [name, value] of new URLSearchParams(search)) {
    if (value === '') continue;
    if (params.has(name)) duplicates.add(name);
    else params.set(name, value);
  }
  return { params, duplicates };
}

function clientOf(params: ReadonlyMap<string, string>, duplicates: ReadonlySet<string>, config: ResolvedServerConfig): RegisteredClient {
  if (duplicates.has(OAUTH_PARAMETERS.clientId)) throw new UnredirectableError('client_id is included more than once');
  const clientId = params.get(OAUTH_PARAMETERS.clientId);
  if (clientId === undefined) throw new UnredirectableError('missing client_id');
  const client = config.clients.get(clientId);
  if (client === undefined) throw new UnredirectableError('unknown client_id');
  return client;
}

/**
 * RFC 6749 §3.1.2.3: a redirect_uri must be one of the client's registered
 * URIs, compared as strings (RFC 9700 §4.1.3: exact matching, no
 * patterns, no loopback port leeway); without one, the client must have
 * exactly one registered.
 */
function redirectUriOf(params: ReadonlyMap<string, string>, duplicates: ReadonlySet<string>, client: RegisteredClient): { uri: string; given: boolean } {
  if (duplicates.has(OAUTH_PARAMETERS.redirectUri)) throw new UnredirectableError('redirect_uri is included more than once');
  const given = params.get(OAUTH_PARAMETERS.redirectUri);
  if (client.redirectUris.length === 0) throw new UnredirectableError('the client has no registered redirect_uri');
  if (given === undefined) {
    if (client.redirectUris.length > 1) throw new UnredirectableError('missing redirect_uri: the client has several registered (RFC 6749 3.1.2.3)');
    return { uri: client.redirectUris[0]!, given: false };
  }
  if (!client.redirectUris.includes(given)) throw new UnredirectableError('redirect_uri is not registered for this client (exact match, RFC 6749 3.1.2.3)');
  return { uri: given, given: true };
}

/** RFC 7636 §4.4.1: PKCE is required here, and only S256 (RFC 9700 §2.1.1). */
function pkceChallengeOf(params: ReadonlyMap<string, string>): string {
  const challenge = params.get(OAUTH_PARAMETERS.codeChallenge);
  if (challenge === undefined) throw new AuthorizationError('invalid_request', 'code_challenge required: this server requires PKCE (RFC 7636 4.4.1)');
  const method = params.get(OAUTH_PARAMETERS.codeChallengeMethod);
  // RFC 7636 §4.3: "Defaults to plain if not present in the request."
  if (method === undefined) throw new AuthorizationError('invalid_request', 'code_challenge_method required: without it the method is plain (RFC 7636 4.3), and only S256 is supported');
  if (method === PKCE_PLAIN) throw new AuthorizationError('invalid_request', 'code_challenge_method plain is not supported: use S256 (RFC 7636 4.4.1)');
  if (method !== PKCE_S256) throw new AuthorizationError('invalid_request', `unsupported code_challenge_method ${echo(method)}: use S256 (RFC 7636 4.4.1)`);
  if (!isS256Challenge(challenge)) throw new AuthorizationError('invalid_request', 'code_challenge must be 43 base64url characters, an S256 digest (RFC 7636 4.2)');
  return challenge;
}

function scopesOf(params: ReadonlyMap<string, string>, client: RegisteredClient, config: ResolvedServerConfig): string[] {
  try {
    return grantScopes(params.get(OAUTH_PARAMETERS.scope), client, config.scopes);
  } catch (error) {
    if (error instanceof TokenEndpointError) throw new AuthorizationError('invalid_scope', error.message);
    throw error;
  }
}

/** RFC 9449 §10: `dpop_jkt` binds the code to a key. With DPoP off the parameter means nothing here and is ignored, as any unknown one. */
function dpopJktOf(params: ReadonlyMap<string, string>, config: ResolvedServerConfig): string | undefined {
  const jkt = params.get(OAUTH_PARAMETERS.dpopJkt);
  if (jkt === undefined || !config.dpopEnabled) return undefined;
  if (!JKT_SHAPE.test(jkt)) throw new AuthorizationError('invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint, 43 base64url characters (RFC 9449 10, RFC 7638)');
  return jkt;
}

function stateParam(state: string | undefined): Array<[string, string]> {
  return state === undefined ? [] : [[OAUTH_PARAMETERS.state, state]];
}

/**
 * 302 to the redirect URI with `params` added to its query. RFC 6749
 * §3.1.2: the URI's own query "MUST be retained", so it is kept as
 * registered and the parameters appended.
 */
function sendRedirect(res: ServerResponse, redirectUri: string, params: Array<[string, string]>): void {
  const query = new URLSearchParams(params).toString();
  const separator = !redirectUri.includes('?') ? '?' : /[?&]$/.test(redirectUri) ? '' : '&';
  const location = `${redirectUri}${separator}${query}`;
  res.writeHead(302, { ...NO_STORE_HEADERS, Location: location, 'Content-Length': '0' });
  res.end();
}
