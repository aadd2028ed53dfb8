/**
 * Client authentication at the token endpoint (RFC 6749 §2.3): HTTP Basic
 * (`client_secret_basic`), body credentials (`client_secret_post`) and
 * `private_key_jwt` (RFC 7523), mutual TLS (RFC 8705 §2: `tls_client_auth`,
 * `self_signed_tls_client_auth`, the client_id with a client certificate),
 * exactly one per request; or none, for a
 * client registered as public (RFC 6749 §2.1, §4.1.3: it sends its
 * `client_id` and nothing else). A confidential client's id alone
 * authenticates nothing.
 *
 * Failures: an attempt through the `Authorization` header → 401 with a
 * `WWW-Authenticate` challenge for the scheme used (RFC 6749 §5.2); anything
 * else → 400 `invalid_client`. Unknown clients and wrong secrets give the
 * same answer after the same work.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isMtlsAuthMethod, type ClientAuthMethod as ProtocolClientAuthMethod, type MtlsAuthMethod } from '../oauth/protocol';
import type { ClientCertificate } from './client-certificate';
import type { RegisteredClient } from './config';
import { verifyClientAssertion, type ClientAssertionContext } from './client-assertion';
import { CLIENT_AUTHENTICATION_FAILED, TokenEndpointError, invalidClient, invalidRequest } from './errors';

export interface AuthenticatedClient {
  client: RegisteredClient;
  method: ProtocolClientAuthMethod | MtlsAuthMethod;
}

type SecretMethod = 'client_secret_basic' | 'client_secret_post';

export const CHALLENGE_REALM = 'OAuth';
/** RFC 9110 §5.6.2 token: what an auth-scheme may be. */
const AUTH_SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export async function authenticateClient(
  headers: IncomingHttpHeaders,
  authorizationHeaderCount: number,
  params: ReadonlyMap<string, string>,
  context: ClientAssertionContext,
  certificate?: ClientCertificate,
): Promise<AuthenticatedClient> {
  const authorization = headers.authorization;
  if (authorizationHeaderCount > 1) throw invalidRequest('more than one Authorization header');
  const attempts = [
    authorization !== undefined && 'Authorization header',
    params.has('client_secret') && 'client_secret',
    (params.has('client_assertion') || params.has('client_assertion_type')) && 'client_assertion',
  ].filter(Boolean);
  // RFC 6749 §2.3: "MUST NOT use more than one authentication method in each
  // request"; a malformed request, so 400 even when one of them is Basic.
  if (attempts.length > 1) throw invalidRequest(`multiple client authentication methods (${attempts.join(', ')})`);

  const bodyClientId = params.get('client_id');
  if (authorization !== undefined) return authenticateWithHeader(authorization, bodyClientId, context);
  if (params.has('client_secret')) return { client: verifySecret(bodyClientId, params.get('client_secret')!, 'client_secret_post', context), method: 'client_secret_post' };
  if (attempts.length === 1) {
    const client = await verifyClientAssertion(params.get('client_assertion_type'), params.get('client_assertion'), bodyClientId, context);
    return { client, method: 'private_key_jwt' };
  }
  // RFC 6749 §2.1, §4.1.3: a public client identifies itself by client_id alone (what it may do is the grant's business).
  const publicClient = bodyClientId === undefined ? undefined : context.config.clients.get(bodyClientId);
  if (publicClient?.isPublic === true) return { client: publicClient, method: 'none' };
  // RFC 8705 §2: a mutual-TLS client sends its client_id; the certificate of the connection authenticates it.
  if (publicClient !== undefined && [...publicClient.authMethods].some(isMtlsAuthMethod)) {
    return { client: publicClient, method: verifyCertificate(publicClient, certificate) };
  }
  // RFC 6749 §4.4: client_credentials is for confidential clients only.
  throw new TokenEndpointError(
    'invalid_client',
    bodyClientId === undefined ? 'client authentication required' : 'client authentication required: a client_id alone does not authenticate a client',
  );
}

function authenticateWithHeader(authorization: string, bodyClientId: string | undefined, context: ClientAssertionContext): AuthenticatedClient {
  const [scheme = '', credentials = ''] = splitAuthorization(authorization);
  if (scheme.toLowerCase() !== 'basic') {
    throw headerFailure(AUTH_SCHEME.test(scheme) ? scheme : 'Basic', `unsupported Authorization scheme for client authentication; use Basic`);
  }
  const decoded = decodeBasicCredentials(credentials);
  if (!decoded) throw headerFailure('Basic', 'malformed Basic credentials');
  const [clientId, secret] = decoded;
  // RFC 6749 §2.3.1 lets a Basic client repeat its id in the body; a different id is a contradiction.
  if (bodyClientId !== undefined && bodyClientId !== clientId) throw invalidRequest('client_id does not match the Basic credentials');
  try {
    return { client: verifySecret(clientId, secret, 'client_secret_basic', context), method: 'client_secret_basic' };
  } catch (error) {
    if (error instanceof TokenEndpointError && error.code === 'invalid_client') throw headerFailure('Basic', error.message);
    throw error;
  }
}

function verifySecret(clientId: string | undefined, secret: string, method: SecretMethod, context: ClientAssertionContext): RegisteredClient {
  if (clientId === undefined) throw new TokenEndpointError('invalid_client', 'client_id is required with client_secret');
  const client = context.config.clients.get(clientId);
  // Compare against a dummy when the client is unknown or has no secret, so
  // the answer and its cost do not reveal which client ids exist.
  const matches = secretsEqual(secret, client?.secret ?? '\u0000no-secret\u0000');
  if (!client || client.secret === undefined || !matches || !client.authMethods.has(method)) {
    throw invalidClient(CLIENT_AUTHENTICATION_FAILED);
  }
  return client;
}

/**
 * RFC 8705 §2.1: a certificate chaining to a trusted CA whose subject is the
 * registered one (tls_client_auth); §2.2: a certificate the client registered
 * (self_signed_tls_client_auth). Any other, or none, is invalid_client.
 */
function verifyCertificate(client: RegisteredClient, presented: ClientCertificate | undefined): MtlsAuthMethod {
  if (presented === undefined) throw invalidClient('a client certificate is required: this client authenticates with mutual TLS (RFC 8705 2)');
  if (client.authMethods.has('tls_client_auth') && presented.trusted && subjectMatches(presented, client.tlsSubjectDn)) return 'tls_client_auth';
  if (client.authMethods.has('self_signed_tls_client_auth') && client.registeredCertificates.some((der) => der.equals(presented.certificate.raw))) return 'self_signed_tls_client_auth';
  throw invalidClient(CLIENT_AUTHENTICATION_FAILED);
}

/**
 * The certificate's subject is the registered DN. node:crypto prints one
 * RDN a line in certificate order (most general first); the registered DN
 * is an RFC 4514 string, most specific first: compared reversed, exactly.
 */
function subjectMatches(presented: ClientCertificate, registered: readonly string[] | undefined): boolean {
  if (registered === undefined) return false;
  const subject = presented.certificate.subject.split('\n');
  const expected = [...registered].reverse();
  return expected.length === subject.length && expected.every((name, i) => name === subject[i]);
}

/** Constant-time comparison of two secrets of any length (digests first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function splitAuthorization(value: string): [string, string] {
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  return space === -1 ? [trimmed, ''] : [trimmed.slice(0, space), trimmed.slice(space).trim()];
}

/**
 * RFC 6749 §2.3.1: the client id and secret are form-urlencoded (Appendix B)
 * before being joined with ":" and base64-encoded (RFC 7617).
 */
export function decodeBasicCredentials(token68: string): [string, string] | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token68) || token68.length % 4 === 1) return undefined;
  const text = Buffer.from(token68, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const id = formDecode(text.slice(0, colon));
  const secret = formDecode(text.slice(colon + 1));
  return id === undefined || secret === undefined || id === '' ? undefined : [id, secret];
}

function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function headerFailure(scheme: string, description: string): TokenEndpointError {
  const canonical = scheme.toLowerCase() === 'basic' ? 'Basic' : scheme;
  return new TokenEndpointError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': `${canonical} realm="${CHALLENGE_REALM}"` },
  });
}
