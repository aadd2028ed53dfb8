/**
 * An authorization code without a browser, from the reference server's
 * test-only `/authorize` (src/server/authorize.ts), which approves its demo
 * user at once: one GET with a PKCE S256 challenge (RFC 7636 §4.3), the 302
 * read instead of followed, the code and state taken from its Location
 * (RFC 6749 §4.1.2). Real authorization servers authenticate the user and
 * ask for consent; this helper only works against the reference server (or
 * an endpoint that likewise answers at once).
 */
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { HarnessError, HarnessTimeoutError, HarnessTransportError, InvalidArgumentError } from '../errors';
import { isPlainObject } from '../oauth/guards';
import { jwkThumbprint, type SigningKeyInput } from '../oauth/keys';
import { DEFAULT_TIMEOUT_MS } from '../oauth/limits';
import { createPkcePair, type PkcePair } from '../oauth/pkce';
import { CODE_RESPONSE_TYPE, OAUTH_PARAMETERS, PKCE_S256 } from '../oauth/protocol';
import { redactQuery } from '../oauth/redact';
import { SecretSet } from '../oauth/secrets';
import { classifyTransportError } from '../oauth/transport-error';
import { describeUrl } from './target';

/** A server with an authorization endpoint: a `ReferenceServer`, or its `authorizationEndpoint` URL. */
export type AuthorizationServerTarget = { authorizationEndpoint: string } | string | URL;

export interface AuthorizeOptions {
  clientId: string;
  /** Sent as `redirect_uri`; omitted, the server uses the client's only registered one (RFC 6749 §3.1.2.3). */
  redirectUri?: string;
  /** `scope` (RFC 6749 §3.3); omitted, the client's default. */
  scope?: string;
  /** `state` (RFC 6749 §4.1.1), checked to come back unchanged. Default a random value. */
  state?: string;
  /** Bind the code to this DPoP key (`dpop_jkt`, RFC 9449 §10): the token request must then carry a proof signed with it. */
  dpopKey?: SigningKeyInput;
  /** The PKCE pair; default a new S256 one (`createPkcePair()`). */
  pkce?: Pick<PkcePair, 'codeVerifier' | 'codeChallenge'> & { codeChallengeMethod?: string };
  /** Extra or replaced query parameters; `null` removes one (e.g. `code_challenge`). */
  params?: Record<string, string | null | undefined>;
  /** Deadline for the answer (default 10 000 ms). */
  timeoutMs?: number;
}

/** What `authorizationCode()` takes: pass it on as it is. */
export interface AuthorizationResult {
  code: string;
  codeVerifier: string;
  /** The `redirect_uri` the request sent, which the token request must repeat (RFC 6749 §4.1.3); absent if none was sent. */
  redirectUri?: string;
  state: string;
}

/**
 * Gets an authorization code from the reference server's `/authorize`.
 * Throws a `HarnessError` naming the `error` (RFC 6749 §4.1.2.1) when the
 * server refuses, or when the answer is no redirect with a code.
 */
export async function authorizeWithReferenceServer(server: AuthorizationServerTarget, options: AuthorizeOptions): Promise<AuthorizationResult> {
  const endpoint = endpointOf(server);
  if (!isPlainObject(options)) throw new InvalidArgumentError('authorizeWithReferenceServer: options must be an object');
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new InvalidArgumentError('authorizeWithReferenceServer: clientId must be a non-empty string');
  for (const name of ['redirectUri', 'scope', 'state'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'string') throw new InvalidArgumentError(`authorizeWithReferenceServer: ${name} must be a string`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidArgumentError('authorizeWithReferenceServer: timeoutMs must be a positive number of milliseconds');

  const pkce = options.pkce ?? createPkcePair();
  const state = options.state ?? randomBytes(16).toString('base64url');
  const query = new Map<string, string>([
    [OAUTH_PARAMETERS.responseType, CODE_RESPONSE_TYPE],
    [OAUTH_PARAMETERS.clientId, options.clientId],
  ]);
  if (options.redirectUri !== undefined) query.set(OAUTH_PARAMETERS.redirectUri, options.redirectUri);
  if (options.scope !== undefined) query.set(OAUTH_PARAMETERS.scope, options.scope);
  query.set(OAUTH_PARAMETERS.state, state);
  query.set(OAUTH_PARAMETERS.codeChallenge, pkce.codeChallenge);
  query.set(OAUTH_PARAMETERS.codeChallengeMethod, pkce.codeChallengeMethod ?? PKCE_S256);
  if (options.dpopKey !== undefined) query.set(OAUTH_PARAMETERS.dpopJkt, await jwkThumbprint(options.dpopKey));
  for (const [name, value] of Object.entries(options.params ?? {})) {
    if (value === null || value === undefined) query.delete(name);
    else query.set(name, value);
  }

  const search = new URLSearchParams([...query]).toString();
  const described = `GET ${describeUrl(`${endpoint.origin}${endpoint.pathname}?${search}`)}`;
  // The verifier never travels here, but the code comes back: neither may show in a message.
  const secrets = new SecretSet([pkce.codeVerifier]);
  let res: supertest.Response;
  try {
    res = await supertest(endpoint.origin)
      .get(`${endpoint.pathname}?${search}`)
      .redirects(0)
      .ok(() => true)
      .timeout({ deadline: timeoutMs });
  } catch (error) {
    const failure = classifyTransportError(error);
    if (failure.kind === 'timeout') throw new HarnessTimeoutError(`${described}: no response: timeout after ${timeoutMs} ms`, { target: described });
    throw new HarnessTransportError(`${described}: request failed: ${secrets.scrub(failure.words)}`, { target: described });
  }
  const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
  if (res.status !== 302 || location === undefined) {
    const body = res.body as { error?: unknown; error_description?: unknown };
    const why = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : 'no redirect';
    throw new HarnessError(`${described}: authorization refused (${res.status}): ${secrets.scrub(why)}`, { target: described });
  }
  const answer = new URL(location, endpoint).searchParams;
  const error = answer.get(OAUTH_PARAMETERS.error);
  if (error !== null) {
    const description = answer.get(OAUTH_PARAMETERS.errorDescription);
    throw new HarnessError(`${described}: authorization refused: ${secrets.scrub(`${error}${description !== null ? `: ${description}` : ''}`)}`, { target: described });
  }
  const code = answer.get(OAUTH_PARAMETERS.code);
  if (code === null || code === '') throw new HarnessError(`${described}: the redirect carries no code: ${redactQuery(location.split('?')[1] ?? '')}`, { target: described });
  // RFC 6749 §4.1.2: state comes back exactly as sent (RFC 9700 §4.7.1: CSRF protection).
  if (answer.get(OAUTH_PARAMETERS.state) !== state) throw new HarnessError(`${described}: the redirect's state is not the one sent (RFC 6749 4.1.2)`, { target: described });
  return { code, codeVerifier: pkce.codeVerifier, ...(options.redirectUri !== undefined ? { redirectUri: options.redirectUri } : {}), state };
}

function endpointOf(server: AuthorizationServerTarget): URL {
  const value: unknown = typeof server === 'object' && server !== null && !(server instanceof URL) ? (server as { authorizationEndpoint?: unknown }).authorizationEndpoint : String(server);
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new InvalidArgumentError('authorizeWithReferenceServer: server must be a ReferenceServer (with authorizationEndpoint) or the authorization endpoint URL');
  }
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('authorizeWithReferenceServer: the authorization endpoint must be an http(s) URL');
  return url;
}
