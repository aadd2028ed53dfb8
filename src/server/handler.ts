/**
 * The token endpoint pipeline, in the order of the attesto_phoenix controller
 * (checklist "AP check order"): method → body size → Content-Type → query
 * string → DPoP header count → body → client authentication → grant type →
 * DPoP proof → scope (for authorization_code and refresh_token: the grant's
 * own checks, src/server/authorization-code.ts and refresh-token.ts) → DPoP
 * jti commit → token. Each step throws a `TokenEndpointError`;
 * `respondWithError` writes it.
 *
 * From the grant's checks to its store changes nothing is awaited, so
 * concurrent requests for one code or refresh token are decided one after
 * the other.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AUTHORIZATION_CODE_GRANT, DPOP_NONCE_HEADER, JSON_MEDIA_TYPE, OAUTH_PARAMETERS, REFRESH_TOKEN_GRANT } from '../oauth/protocol';
import type { BearerTokenResponse, DPoPTokenResponse } from '../openapi';
import type { AccessTokenSigner } from './access-token';
import type { AuthorizationCodes } from './authorization-code';
import { authenticateClient } from './client-auth';
import { clientCertificateOf, type ClientCertificateTrust } from './client-certificate';
import { certificateThumbprint } from '../oauth/certificate-thumbprint';
import type { RegisteredClient, ResolvedServerConfig } from './config';
import { commitDpopProof, verifyDpopProof, type VerifiedDpopProof } from './dpop';
import { TokenEndpointError, echo, invalidDpopProof, invalidRequest } from './errors';
import type { DpopNonces } from './nonce';
import type { RefreshTokens } from './refresh-token';
import type { ReplayCache } from './replay-cache';
import { BodyTooLargeError, expectations, headerLines, hostHeaderProblem, parseParameters, readBody, rejectQueryParameters, requestMediaType } from './request';
import { grantScopes } from './scope';

export interface TokenEndpointContext {
  config: ResolvedServerConfig;
  issuer: string;
  audience: string;
  /** Accepted client assertion `aud` values (RFC 7523 §3 item 3). */
  audiences: ReadonlySet<string>;
  /** Accepted DPoP `htu` values, normalised (RFC 9449 §4.3 item 9). */
  endpoints: ReadonlySet<string>;
  nonces: DpopNonces;
  dpopReplay: ReplayCache;
  assertionReplay: ReplayCache;
  signer: AccessTokenSigner;
  codes: AuthorizationCodes;
  refreshTokens: RefreshTokens;
  /** Mutual TLS (config `mtls`): the client CAs and the proxies whose Client-Cert header counts (client-certificate.ts). */
  mtls?: ClientCertificateTrust;
}

/** What a grant settles before the token is signed. */
interface Issuance {
  scopes: readonly string[];
  /** `sub` of the access token; the client itself for client_credentials. */
  subject?: string;
  refreshToken?: string;
}

/** Headers on every response (RFC 6749 §5.1; on errors too, as defence in depth). */
export const NO_STORE_HEADERS = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

export async function handleTokenRequest(req: IncomingMessage, res: ServerResponse, search: string, context: TokenEndpointContext): Promise<void> {
  try {
    if (req.method !== 'POST') {
      // RFC 9110 §15.5.6: 405 names the allowed methods; RFC 6749 §3.2: POST only.
      sendJson(res, 405, { error: 'invalid_request', error_description: 'the token endpoint accepts POST only (RFC 6749 3.2)' }, { Allow: 'POST' });
      return;
    }
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > context.config.maxBodyBytes) throw new BodyTooLargeError(context.config.maxBodyBytes);
    const media = requestMediaType(req.headers['content-type']);
    rejectQueryParameters(search);
    // With DPoP switched off, proofs are ignored and Bearer tokens issued (RFC 9449 §5).
    const proofs = context.config.dpopEnabled ? headerLines(req.rawHeaders, 'dpop') : [];
    if (proofs.length > 1) throw invalidDpopProof('more than one DPoP header (RFC 9449 4.3 item 1)');
    const params = parseParameters(await readBody(req, context.config.maxBodyBytes), media);

    const authorizationCount = headerLines(req.rawHeaders, 'authorization').length;
    const certificate = clientCertificateOf(req, context.mtls, context.config.clock());
    const { client } = await authenticateClient(
      req.headers,
      authorizationCount,
      params,
      { config: context.config, audiences: context.audiences, replay: context.assertionReplay },
      certificate,
    );
    // RFC 8705 §3.4 leaves it to the server whether a client registered for bound tokens gets an error or an unbound one
    // without a certificate: this one refuses.
    if (client.certificateBoundTokens && certificate === undefined) throw invalidRequest('a client certificate is required: this client gets certificate-bound tokens only (RFC 8705 3.4)');

    const grantType = params.get(OAUTH_PARAMETERS.grantType);
    if (grantType === undefined) throw invalidRequest('missing grant_type');
    // Served: implemented and some client registered for it, as the metadata's grant_types_supported says.
    if (!context.config.grantTypes.has(grantType)) throw new TokenEndpointError('unsupported_grant_type', `unsupported grant_type ${echo(grantType)}`);
    // RFC 6749 §5.2: a grant the client is not registered for is unauthorized_client (a public client never has client_credentials, §4.4).
    if (!client.grantTypes.has(grantType)) throw new TokenEndpointError('unauthorized_client', `client is not authorized to use the ${grantType} grant`);

    const dpopContext = { config: context.config, endpoints: context.endpoints, nonces: context.nonces, replay: context.dpopReplay };
    let proof: VerifiedDpopProof | undefined;
    if (proofs.length === 1) proof = await verifyDpopProof(proofs[0]!, dpopContext);
    else if (client.requireDpop && context.config.dpopEnabled) throw invalidRequest('DPoP proof required for this client (RFC 9449 5)');

    // Synchronous from here to the end of `issue`: the grant's checks, the jti commit and the store changes.
    const issue = grantChecks(grantType, params, client, proof, context);
    if (proof) commitDpopProof(proof, dpopContext);
    const { scopes, subject, refreshToken } = issue();

    const nowSeconds = Math.floor(context.config.clock() / 1000);
    const accessToken = await context.signer.sign({
      issuer: context.issuer,
      audience: context.audience,
      clientId: client.id,
      ...(subject !== undefined ? { subject } : {}),
      scopes,
      lifetimeSeconds: context.config.tokenLifetimeSeconds,
      nowSeconds,
      jkt: proof?.jkt,
      // RFC 8705 §3.1: bound to the certificate of the connection, whatever the client authenticated with.
      ...(certificate !== undefined ? { x5t: certificateThumbprint(certificate.certificate.raw) } : {}),
    });
    const base = {
      access_token: accessToken,
      expires_in: context.config.tokenLifetimeSeconds,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    };
    const body: (BearerTokenResponse | DPoPTokenResponse) & { refresh_token?: string } = proof
      ? { ...base, token_type: 'DPoP', cnf: { jkt: proof.jkt } }
      : { ...base, token_type: 'Bearer' };
    // RFC 9449 §8.2: the client used last period's nonce; hand it the current one.
    sendJson(res, 200, body, proof?.nonceStale ? { [DPOP_NONCE_HEADER]: context.nonces.current() } : {});
  } catch (error) {
    respondWithError(req, res, error);
  }
}

/**
 * The grant's checks, run now (they may throw), and the function that then
 * changes the stores and says what to issue. Between the two only the DPoP
 * jti is committed, so a replayed proof changes nothing.
 */
function grantChecks(grantType: string, params: ReadonlyMap<string, string>, client: RegisteredClient, proof: VerifiedDpopProof | undefined, context: TokenEndpointContext): () => Issuance {
  switch (grantType) {
    case AUTHORIZATION_CODE_GRANT: {
      const plan = context.codes.check(params, client, proof?.jkt);
      return () => {
        const { family, refreshToken } = context.codes.redeem(plan, client, proof?.jkt, context.refreshTokens);
        return { scopes: family.scopes, subject: family.subject, ...(refreshToken !== undefined ? { refreshToken } : {}) };
      };
    }
    case REFRESH_TOKEN_GRANT: {
      const plan = context.refreshTokens.check(params.get(OAUTH_PARAMETERS.refreshToken), client, proof?.jkt, params.get(OAUTH_PARAMETERS.scope));
      return () => {
        const refreshToken = context.refreshTokens.apply(plan, client, proof?.jkt);
        return { scopes: plan.scopes, subject: plan.record.family.subject, ...(refreshToken !== undefined ? { refreshToken } : {}) };
      };
    }
    default: {
      // RFC 6749 §4.4.3: no refresh token with client_credentials.
      const scopes = grantScopes(params.get(OAUTH_PARAMETERS.scope), client, context.config.scopes);
      return () => ({ scopes });
    }
  }
}

export function respondWithError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof TokenEndpointError) {
    sendJson(res, error.status, error.toJSON(), error.headers);
  } else if (error instanceof BodyTooLargeError) {
    refuseBody(req, res, error);
  } else {
    // Never echo an unexpected error: it may quote request data.
    sendJson(res, 500, { error: 'server_error', error_description: 'internal error' });
  }
}

/**
 * 413 without reading the rest of the body: answer, close the connection,
 * and drop the socket shortly after so a client that keeps sending cannot
 * hold it open (RFC 9110 §15.5.14).
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, error: BodyTooLargeError): void {
  req.pause();
  sendJson(res, 413, { error: 'invalid_request', error_description: `request body larger than ${error.limit} bytes` }, { Connection: 'close' });
  res.once('finish', () => {
    setTimeout(() => req.socket.destroy(), 250).unref();
  });
}

/**
 * Requests Node's HTTP parser refuses never reach the handler: oversized
 * headers, a malformed Content-Length or chunk, a request not received in
 * time. Node's own answer has no OAuth envelope and no no-store; this one is
 * framed like every other response. The connection is out of step after a
 * parse error, so it is closed (as Node does, an answer is written only if
 * no response has started on the socket).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, description] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'malformed HTTP request'];
  answerOnSocket(socket, status, description);
}

/**
 * A request with an Expect header, which Node hands to the `checkContinue`
 * or `checkExpectation` listener instead of the request handler (and would
 * otherwise answer with a bare 417 for anything but 100-continue).
 * RFC 9110 §10.1.1: "100-continue" is the only expectation defined, and "A
 * server that receives an Expect field value containing a member other than
 * 100-continue MAY respond with a 417 (Expectation Failed) status code to
 * indicate that the unexpected expectation cannot be met." That 417 carries
 * the OAuth envelope and no-store like every other answer, and closes the
 * connection, as the body may follow unread. A client that asks before
 * sending an oversized body gets the 413 instead of an invitation; the
 * connection then closes too, as the unsent body cannot be skipped. Anything
 * else goes on to `serve`, where a bad Host is answered before any body is
 * invited.
 */
export function handleExpectation(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number, serve: () => void): void {
  if (hostHeaderProblem(req) === undefined) {
    const asked = expectations(req.rawHeaders);
    const unsupported = asked.find((expectation) => expectation !== '100-continue');
    if (unsupported !== undefined) {
      sendJson(res, 417, { error: 'invalid_request', error_description: `unsupported expectation ${echo(unsupported)}: only 100-continue is supported (RFC 9110 10.1.1)` }, { Connection: 'close' });
      return;
    }
    if (asked.length > 0) {
      if (Number(req.headers['content-length'] ?? 0) <= maxBodyBytes) res.writeContinue();
      else res.setHeader('Connection', 'close');
    }
  }
  serve();
}

/** CONNECT never reaches the request handler either (Node hands over the raw socket): refuse it in the same framing. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  answerOnSocket(socket, 405, 'CONNECT is not supported', { Allow: 'POST' });
}

/** A complete error response written straight to the socket, which is then closed. */
function answerOnSocket(socket: Duplex, status: number, description: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  const headers = { ...NO_STORE_HEADERS, 'Content-Type': JSON_MEDIA_TYPE, 'Content-Length': String(Buffer.byteLength(body)), ...extra, Connection: 'close' };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`, () => socket.destroy());
}

/** Node's parser error codes and the status Node itself would answer with. */
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'request header fields too large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'chunk extensions too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request not received in time'],
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...NO_STORE_HEADERS,
    'Content-Type': JSON_MEDIA_TYPE,
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}
