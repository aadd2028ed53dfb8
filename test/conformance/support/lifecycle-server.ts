/**
 * A small token endpoint for the lifecycle checks (authorization_code with
 * PKCE, refresh_token), written from the RFCs and independent of the
 * reference server, with one switch per rule to break that rule alone.
 *
 * `POST /oauth/token` on 127.0.0.1 (an ephemeral port):
 *
 * - authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6): the code was issued
 *   to the authenticated client, is used once (a second use is refused and
 *   revokes what the first issued, §4.1.2), within its lifetime, with the
 *   exact redirect_uri of the authorization request and a code_verifier whose
 *   S256 challenge is the stored one (src/oauth/pkce.ts `verifyS256`).
 * - refresh_token (RFC 6749 §6, RFC 9700 §4.14.2): bound to its client;
 *   rotated on every use; a retired token presented again revokes its
 *   family, except within the grace window, where a retry gets the same
 *   successor back while that successor is unused (attesto's behaviour); the
 *   scope may narrow, never widen, and the refresh token keeps the original
 *   scope; a public client's refresh token is bound to the DPoP key of the
 *   request that got it (RFC 9449 §5).
 * - client authentication: client_secret_basic (RFC 6749 §2.3.1: the id and
 *   secret are form-url-decoded after base64) or, for the public client, its
 *   client_id alone (`none`, §2.1).
 * - DPoP proofs (RFC 9449 §4.3) verified with jose: typ dpop+jwt, an
 *   asymmetric alg, the signature with the embedded jwk, htm POST, htu the
 *   endpoint (query and fragment ignored), iat within 60 s, a jti. (No
 *   replay cache: not what these checks are about.)
 * - every error is RFC 6749 §5.2 JSON with Cache-Control: no-store and
 *   Pragma: no-cache, as is every token response (§5.1).
 *
 * Codes come from `issueCode` (a CodeSource): in-process, as a browser
 * login would give them, with a fresh PKCE pair and a redirect URI.
 *
 * Each defect (`DEFECTS`) changes one rule and nothing else.
 *
 * The clean server decides and changes a refresh token's state with no
 * await in between, so concurrent refreshes of one token are serialised by
 * the event loop; the two race defects put an await there.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { ConformanceConfig } from '../../../src/conformance';
import type { CodeSource } from '../../../src/conformance/grant-sources';
import { formUrlDecode } from '../../../src/oauth/client-auth';
import { createPkcePair, verifyS256 } from '../../../src/oauth/pkce';

export const TOKEN_PATH = '/oauth/token';

/** One switch per rule; each breaks exactly that rule. */
export const DEFECTS = [
  // authorization_code
  /** A code redeemed with a DPoP proof is answered with token_type Bearer (the token is still bound: only the answer is wrong). */
  'codeBearerTokenType',
  /** A redeemed code can be redeemed again. */
  'reusableCodes',
  /** A second redemption is refused, but the tokens of the first stay valid (RFC 6749 §4.1.2 SHOULD). */
  'codeReuseKeepsTokens',
  /** Any authenticated client may redeem any client's code. */
  'codeAnyClient',
  /** redirect_uri is not compared (another one, or none, is accepted). */
  'ignoreRedirectUri',
  /** A token request without code_verifier is accepted. */
  'acceptMissingVerifier',
  /** Any well-formed code_verifier is accepted. */
  'ignoreVerifier',
  /** The verifier is also compared as `plain`: the challenge itself is accepted as the verifier. */
  'plainComparison',
  /** Codes never expire. */
  'noCodeExpiry',
  // refresh_token
  /** A refresh with a DPoP proof is answered with token_type Bearer (as codeBearerTokenType). */
  'refreshBearerTokenType',
  /** No rotation: the refresh token stays the same (no new one in the answer). */
  'noRotation',
  /** A new refresh token is issued, but the old one stays valid. */
  'rotateButKeepOld',
  /** A retired refresh token is refused, but its family is not revoked. */
  'noFamilyRevocation',
  /** A retry within the grace window gets a new successor (which replaces the first). */
  'graceNewSuccessor',
  /** No grace window: a retry right after rotation is a reuse (refused, family revoked). */
  'noGrace',
  /** A retry in the grace window gets the same successor back, but revokes the family (as a reuse): the successor it hands back is dead. */
  'graceRetryRevokes',
  /** Any authenticated client may use any client's refresh token. */
  'refreshAnyClient',
  /** The client binding of a refresh token is not checked when the requesting client is public (client_id only). */
  'refreshAnyClientAsPublic',
  /** A confidential client may refresh with its client_id alone. */
  'refreshWithoutClientAuth',
  /** A wider scope than the refresh token's is granted (when the client may have it). */
  'allowWiden',
  /** A narrower scope is refused with invalid_scope. */
  'refuseNarrow',
  /** After a narrowed refresh, the successor carries only the narrowed scope. */
  'narrowSuccessor',
  /** As narrowSuccessor, and a wider request later is answered with the narrowed scope instead of refused. */
  'narrowSuccessorSilently',
  /** Public clients' refresh tokens are not bound to a DPoP key. */
  'unboundPublicRefresh',
  /** The refresh token a public client gets with its code is not bound; its successors are, to the key of the refresh that got them. */
  'unboundFirstPublicRefresh',
  /** A reuse revokes only the reused token's direct successor, not the family (a later descendant stays live). */
  'revokeDirectSuccessorOnly',
  /** An await between reading a refresh token's state and writing it: concurrent refreshes each mint a live successor. */
  'raceReadThenWrite',
  /** Concurrent refreshes of one token answer 500. */
  'race500',
  /** Concurrent refreshes of one token answer 503 with Retry-After: 1 ("busy"). */
  'race503',
] as const;
export type Defect = (typeof DEFECTS)[number];

export interface LifecycleServerOptions {
  /** Authorization code lifetime (default 60 s). */
  codeLifetimeSeconds?: number;
  /** The refresh grace window (default 2 s; 0: none). */
  graceSeconds?: number;
  /** The defect to run with (default none: a correct server). */
  defect?: Defect;
  /**
   * How long the race defects hold a refresh between read and write,
   * waiting for a concurrent refresh of the same token (default 1000 ms);
   * the wait ends as soon as one arrives.
   */
  raceWindowMs?: number;
  /** Milliseconds since the epoch (default Date.now): tests of the server itself move it instead of waiting. */
  clock?: () => number;
}

interface RegisteredClient {
  id: string;
  /** Absent: a public client (auth `none`). */
  secret?: string;
  scopes: readonly string[];
  redirectUri: string;
}

/** The clients, as the server registers them; secrets with characters Basic must form-encode (RFC 6749 §2.3.1). */
export const LIFECYCLE_CLIENTS = {
  web: { id: 'web-app', secret: 'web s3cr:t+/%é', scopes: ['read', 'write'], redirectUri: 'https://web.example/cb' },
  other: { id: 'other-app', secret: 'other-secret', scopes: ['read', 'write'], redirectUri: 'https://other.example/cb' },
  spa: { id: 'spa', scopes: ['read', 'write'], redirectUri: 'http://127.0.0.1:8400/callback' },
} as const satisfies Record<string, RegisteredClient>;

/** What codes are asked for, and what a refresh may add on top (rt-scope-widen). */
export const CODE_SCOPE = 'read';
export const WIDER_SCOPE = 'write';

export interface LifecycleServer {
  url: string;
  options: Required<Omit<LifecycleServerOptions, 'defect' | 'clock'>> & { defect: Defect | undefined };
  /** A fresh code for the client (a CodeSource for runConformance's grantSources), as for an authorization request that named its redirect_uri. */
  issueCode: CodeSource;
  /** The same for an authorization request without redirect_uri (the registered one is used; the token request need not repeat it, RFC 6749 §4.1.3). */
  issueCodeWithoutRedirect: CodeSource;
  /** The run configuration for this server (clients, DPoP, grants as the server behaves without a defect). */
  config: ConformanceConfig;
  close(): Promise<void>;
}

// ---- state ----------------------------------------------------------------

/** The tokens descending from one code. */
interface Family {
  clientId: string;
  revoked: boolean;
}

interface CodeRecord {
  clientId: string;
  /** The redirect_uri the authorization request named; undefined when it named none. */
  redirectUri: string | undefined;
  challenge: string;
  scopes: readonly string[];
  expiresAt: number;
  /** Set once redeemed: the family it started. */
  family?: Family;
}

interface RefreshRecord {
  clientId: string;
  family: Family;
  /** The scope this refresh token grants (RFC 6749 §6: a refresh does not change it). */
  scopes: readonly string[];
  /** RFC 9449 §5: a public client's token is bound to this key thumbprint. */
  jkt: string | undefined;
  /** Set once rotated: its successor and when. */
  rotated?: { successor: string; at: number };
  /** Replaced by a newer successor (graceNewSuccessor): no longer valid. */
  replaced?: boolean;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const invalidGrant = (description: string) => new OAuthError(400, 'invalid_grant', description);
const invalidRequest = (description: string) => new OAuthError(400, 'invalid_request', description);

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA'];
const IAT_WINDOW_SECONDS = 60;
const ACCESS_TOKEN_SECONDS = 300;

const opaque = () => randomBytes(32).toString('base64url');
const scopeList = (value: string) => value.split(' ').filter((s) => s !== '');

// ---- the server -----------------------------------------------------------

export async function startLifecycleServer(options: LifecycleServerOptions = {}): Promise<LifecycleServer> {
  const settings = {
    codeLifetimeSeconds: options.codeLifetimeSeconds ?? 60,
    graceSeconds: options.graceSeconds ?? 2,
    raceWindowMs: options.raceWindowMs ?? 1000,
    defect: options.defect,
  };
  const now = options.clock ?? Date.now;
  const defect = (name: Defect) => settings.defect === name;
  const clients = new Map<string, RegisteredClient>(Object.values(LIFECYCLE_CLIENTS).map((c) => [c.id, c]));
  const codes = new Map<string, CodeRecord>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const overlap = new Overlap();
  const inFlight = new Set<string>();
  let endpoint = '';

  async function handle(req: http.IncomingMessage, body: string): Promise<Record<string, unknown>> {
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== TOKEN_PATH) throw new OAuthError(404, 'invalid_request', 'not found');
    if ((req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/x-www-form-urlencoded') {
      throw invalidRequest('Content-Type must be application/x-www-form-urlencoded');
    }
    const params = parseForm(body);
    const client = authenticate(req.headers.authorization, params);
    const proof = await dpopProof(req.headers.dpop);
    const grantType = params.get('grant_type');
    // RFC 6749 §4.1.3, §6: a confidential client authenticates; its client_id alone is not enough.
    if (client.idOnly && !(grantType === 'refresh_token' && defect('refreshWithoutClientAuth'))) throw new OAuthError(400, 'invalid_client', 'client authentication required');
    switch (grantType) {
      case undefined:
        throw invalidRequest('missing grant_type');
      case 'authorization_code':
        return redeemCode(client.registered, params, proof);
      case 'refresh_token':
        return refresh(client.registered, params, proof);
      default:
        throw new OAuthError(400, 'unsupported_grant_type', 'only authorization_code and refresh_token are supported');
    }
  }

  /** RFC 6749 §2.3.1 Basic, or a public client's client_id alone (§2.1); `idOnly` when a confidential client sent just its id. */
  function authenticate(authorization: string | undefined, params: Map<string, string>): { registered: RegisteredClient; idOnly: boolean } {
    if (authorization !== undefined) {
      const challenge = { 'WWW-Authenticate': 'Basic realm="lifecycle"' };
      const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(authorization);
      const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new OAuthError(401, 'invalid_client', 'malformed Basic credentials', challenge);
      const id = formUrlDecode(decoded.slice(0, colon));
      const secret = formUrlDecode(decoded.slice(colon + 1));
      const registered = clients.get(id);
      if (!registered?.secret || !sameSecret(secret, registered.secret)) throw new OAuthError(401, 'invalid_client', 'client authentication failed', challenge);
      if (params.has('client_id') && params.get('client_id') !== id) throw invalidRequest('client_id does not match the Basic credentials');
      return { registered, idOnly: false };
    }
    if (params.has('client_secret') || params.has('client_assertion')) throw new OAuthError(400, 'invalid_client', 'only client_secret_basic is supported');
    const registered = clients.get(params.get('client_id') ?? '');
    if (!registered) throw new OAuthError(400, 'invalid_client', 'client authentication failed');
    return { registered, idOnly: registered.secret !== undefined };
  }

  /** RFC 9449 §4.3; undefined when the request has no proof. */
  async function dpopProof(header: string | string[] | undefined): Promise<{ jkt: string } | undefined> {
    if (header === undefined) return undefined;
    try {
      if (typeof header !== 'string') throw new Error('one DPoP header');
      const { payload, protectedHeader } = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
      if (payload.htm !== 'POST') throw new Error('htm must be POST');
      if (typeof payload.htu !== 'string' || !URL.canParse(payload.htu)) throw new Error('missing htu');
      const htu = new URL(payload.htu);
      if (`${htu.origin}${htu.pathname}` !== endpoint) throw new Error('htu is not the token endpoint');
      if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > IAT_WINDOW_SECONDS) throw new Error(`iat must be within ${IAT_WINDOW_SECONDS} s`);
      if (typeof payload.jti !== 'string' || payload.jti === '') throw new Error('missing jti');
      return { jkt: await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256') };
    } catch (error) {
      throw new OAuthError(400, 'invalid_dpop_proof', `invalid DPoP proof: ${error instanceof Error ? error.message : 'unreadable'}`);
    }
  }

  function redeemCode(client: RegisteredClient, params: Map<string, string>, proof: { jkt: string } | undefined): Record<string, unknown> {
    const code = params.get('code');
    if (code === undefined) throw invalidRequest('missing code');
    const record = codes.get(code);
    if (!record) throw invalidGrant('unknown authorization code');
    // RFC 6749 §4.1.3: issued to the authenticated client.
    if (record.clientId !== client.id && !defect('codeAnyClient')) throw invalidGrant('authorization code was issued to another client');
    // RFC 6749 §4.1.2: once; a second use revokes what the first issued.
    if (record.family && !defect('reusableCodes')) {
      if (!defect('codeReuseKeepsTokens')) record.family.revoked = true;
      throw invalidGrant('authorization code was already used');
    }
    if (now() >= record.expiresAt && !defect('noCodeExpiry')) throw invalidGrant('authorization code expired');
    const redirectUri = params.get('redirect_uri');
    if (!defect('ignoreRedirectUri')) {
      // RFC 6749 §4.1.3: present if the authorization request had it, and then identical (a given one is compared with the registered URI otherwise).
      if (redirectUri === undefined && record.redirectUri !== undefined) throw invalidRequest('missing redirect_uri: the authorization request had one');
      if (redirectUri !== undefined && redirectUri !== (record.redirectUri ?? client.redirectUri)) throw invalidGrant('redirect_uri does not match the authorization request');
    }
    const verifier = params.get('code_verifier');
    if (verifier === undefined) {
      if (!defect('acceptMissingVerifier')) throw invalidRequest('missing code_verifier');
    } else if (!verifyS256(verifier, record.challenge)) {
      const plainMatch = defect('plainComparison') && verifier === record.challenge;
      const anyWellFormed = defect('ignoreVerifier') && /^[A-Za-z0-9._~-]{43,128}$/.test(verifier);
      if (!plainMatch && !anyWellFormed) throw invalidGrant('code_verifier does not match the code_challenge');
    }
    const family: Family = { clientId: client.id, revoked: false };
    if (!record.family) record.family = family;
    const jkt = client.secret === undefined && !defect('unboundPublicRefresh') && !defect('unboundFirstPublicRefresh') ? proof?.jkt : undefined;
    const refreshToken = store({ clientId: client.id, family, scopes: record.scopes, jkt });
    return tokenResponse(record.scopes, proof, refreshToken, defect('codeBearerTokenType'));
  }

  async function refresh(client: RegisteredClient, params: Map<string, string>, proof: { jkt: string } | undefined): Promise<Record<string, unknown>> {
    const token = params.get('refresh_token');
    if (token === undefined) throw invalidRequest('missing refresh_token');

    let release = () => {};
    const locking = defect('race500') || defect('race503');
    if (locking) {
      if (inFlight.has(token)) {
        overlap.arrive(token);
        if (defect('race503')) throw new OAuthError(503, 'temporarily_unavailable', 'refresh token is locked by another request', { 'Retry-After': '1' });
        throw new OAuthError(500, 'server_error', 'refresh token is locked by another request');
      }
      inFlight.add(token);
      release = () => inFlight.delete(token);
    }
    try {
      if (locking) await overlap.wait(token, settings.raceWindowMs);
      const decision = decideRefresh(client, token, params.get('scope'), proof);
      // The defect: the state read above is acted on after an await, when a concurrent refresh may have read it too.
      if (defect('raceReadThenWrite')) await overlap.wait(token, settings.raceWindowMs);
      return decision();
    } finally {
      release();
    }
  }

  /** Checks a refresh (throws the refusal) and returns what it then does; the caller runs that at once (or, defective, later). */
  function decideRefresh(client: RegisteredClient, token: string, requestedScope: string | undefined, proof: { jkt: string } | undefined): () => Record<string, unknown> {
    const record = refreshTokens.get(token);
    if (!record || record.replaced) throw invalidGrant('unknown refresh token');
    // RFC 6749 §6: issued to the authenticated client.
    const bindingChecked = !defect('refreshAnyClient') && !(defect('refreshAnyClientAsPublic') && client.secret === undefined);
    if (record.clientId !== client.id && bindingChecked) throw invalidGrant('refresh token was issued to another client');
    if (record.family.revoked) throw invalidGrant('refresh token was revoked');
    // RFC 9449 §5: a bound token needs a proof of its key (a request without it is not a use).
    if (record.jkt !== undefined && proof?.jkt !== record.jkt) throw invalidGrant(proof ? 'refresh token is bound to another DPoP key' : 'refresh token is bound to a DPoP key: send a proof');

    if (record.rotated) {
      const successor = refreshTokens.get(record.rotated.successor);
      const inGrace = now() - record.rotated.at < settings.graceSeconds * 1000 && successor !== undefined && !successor.rotated && !successor.replaced && !successor.family.revoked;
      if (!inGrace || defect('noGrace')) {
        // RFC 9700 §4.14.2: a retired token used again: two parties hold it, so the whole family goes.
        if (defect('revokeDirectSuccessorOnly')) refreshTokens.get(record.rotated.successor)!.replaced = true;
        else if (!defect('noFamilyRevocation')) record.family.revoked = true;
        throw invalidGrant('refresh token was already used; its family is revoked');
      }
    }
    const scopes = grantedScopes(client, record, requestedScope);
    const jkt = record.jkt ?? (client.secret === undefined && !defect('unboundPublicRefresh') ? proof?.jkt : undefined);
    const successorScopes = defect('narrowSuccessor') || defect('narrowSuccessorSilently') ? scopes : record.scopes;
    // What was read: a retry in the grace window, or a first use.
    const graceSuccessor = record.rotated?.successor;
    const answer = (refreshToken: string | undefined) => tokenResponse(scopes, proof, refreshToken, defect('refreshBearerTokenType'));

    return () => {
      if (graceSuccessor !== undefined && defect('graceRetryRevokes')) record.family.revoked = true;
      if (graceSuccessor !== undefined && !defect('graceNewSuccessor')) return answer(graceSuccessor);
      if (graceSuccessor !== undefined) refreshTokens.get(graceSuccessor)!.replaced = true;
      if (defect('noRotation')) return answer(undefined);
      const successor = store({ clientId: record.clientId, family: record.family, scopes: successorScopes, jkt });
      if (!defect('rotateButKeepOld')) record.rotated = { successor, at: now() };
      return answer(successor);
    };
  }

  /** RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted"; omitted, it is all of it. */
  function grantedScopes(client: RegisteredClient, record: RefreshRecord, requested: string | undefined): readonly string[] {
    if (requested === undefined) return record.scopes;
    const asked = scopeList(requested);
    const beyond = asked.filter((s) => !record.scopes.includes(s));
    if (beyond.length > 0 && defect('narrowSuccessorSilently')) return asked.filter((s) => record.scopes.includes(s));
    if (beyond.length > 0 && !(defect('allowWiden') && beyond.every((s) => client.scopes.includes(s)))) {
      throw new OAuthError(400, 'invalid_scope', 'the requested scope exceeds the scope of the refresh token');
    }
    if (asked.length < record.scopes.length && defect('refuseNarrow')) throw new OAuthError(400, 'invalid_scope', 'the scope cannot be narrowed');
    return asked;
  }

  function store(record: RefreshRecord): string {
    const token = opaque();
    refreshTokens.set(token, record);
    return token;
  }

  function tokenResponse(scopes: readonly string[], proof: { jkt: string } | undefined, refreshToken: string | undefined, sayBearer: boolean): Record<string, unknown> {
    return {
      access_token: opaque(),
      // RFC 9449 §5: a DPoP-bound token is token_type DPoP.
      token_type: proof && !sayBearer ? 'DPoP' : 'Bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
      scope: scopes.join(' '),
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
      ...(proof ? { cnf: { jkt: proof.jkt } } : {}),
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8')).then(
        (body) => send(res, 200, body),
        (error: unknown) => {
          if (error instanceof OAuthError) send(res, error.status, { error: error.code, error_description: error.message }, error.headers);
          else send(res, 500, { error: 'server_error', error_description: 'internal error' });
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}${TOKEN_PATH}`;

  const codeSource =
    (withRedirect: boolean): CodeSource =>
    ({ clientId, scope }) => {
      const client = clients.get(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
      const pkce = createPkcePair();
      const code = opaque();
      const redirectUri = withRedirect ? client.redirectUri : undefined;
      codes.set(code, { clientId, redirectUri, challenge: pkce.codeChallenge, scopes: scopeList(scope ?? CODE_SCOPE), expiresAt: now() + settings.codeLifetimeSeconds * 1000 });
      return { code, codeVerifier: pkce.codeVerifier, ...(redirectUri !== undefined ? { redirectUri } : {}) };
    };

  return {
    url: endpoint,
    options: settings,
    issueCode: codeSource(true),
    issueCodeWithoutRedirect: codeSource(false),
    config: lifecycleConfig(endpoint, settings),
    async close() {
      overlap.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The configuration that describes a correct server of these settings. */
function lifecycleConfig(url: string, settings: { codeLifetimeSeconds: number; graceSeconds: number }): ConformanceConfig {
  const grants = ['authorization_code', 'refresh_token'] as const;
  const { web, other, spa } = LIFECYCLE_CLIENTS;
  return {
    url,
    scope: CODE_SCOPE,
    invalidScope: 'admin',
    dpop: { enabled: true },
    clients: [
      { id: web.id, auth: 'client_secret_basic', secret: web.secret, grantTypes: [...grants] },
      { id: other.id, auth: 'client_secret_basic', secret: other.secret, grantTypes: [...grants] },
      { id: spa.id, auth: 'none', grantTypes: [...grants] },
    ],
    grants: {
      authorizationCode: { lifetimeSeconds: settings.codeLifetimeSeconds },
      refreshToken: {
        rotation: 'required',
        ...(settings.graceSeconds > 0 ? { grace: 'same-successor' as const, graceSeconds: settings.graceSeconds } : { grace: 'none' as const }),
        widerScope: WIDER_SCOPE,
      },
    },
  };
}

/** A form body (RFC 6749 Appendix B); a repeated parameter is refused (§3.2). */
function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (params.has(name)) throw invalidRequest(`repeated parameter ${name}`);
    params.set(name, value);
  }
  return params;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function send(res: http.ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...NO_STORE, ...headers }).end(JSON.stringify(body));
}

/**
 * Where the race defects wait: `wait(key)` resolves when another request
 * for the same key arrives (it calls `wait` too), or after `ms`. A real race
 * needs the timing; this makes it certain whenever two refreshes overlap.
 */
class Overlap {
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** A request for `key` arrived: whoever waits for it goes on. */
  arrive(key: string): void {
    for (const wake of this.waiting.get(key) ?? []) wake();
    this.waiting.delete(key);
  }

  wait(key: string, ms: number): Promise<void> {
    this.arrive(key);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.timers.add(timer);
      const list = this.waiting.get(key) ?? [];
      list.push(done);
      this.waiting.set(key, list);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.timers.delete(timer);
        resolve();
      }
    });
  }

  release(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const list of this.waiting.values()) for (const wake of list) wake();
    this.waiting.clear();
  }
}
