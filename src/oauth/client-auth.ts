/**
 * Client authentication at the token endpoint (RFC 6749 §2.3, RFC 7523
 * §2.2): what each method adds to a request, as header fields and body
 * parameters. Signing a `private_key_jwt` assertion is the caller's (it is
 * async and single-use); this module places it.
 */
import { InvalidArgumentError } from '../errors';
import { CLIENT_ASSERTION_TYPE, type ClientAuthMethod, type MtlsAuthMethod } from './protocol';

export interface ClientCredentials {
  id: string;
  /** For `client_secret_basic` and `client_secret_post`. */
  secret?: string | undefined;
  /** A signed client assertion, for `private_key_jwt`. */
  assertion?: string | undefined;
}

/** What one client-authentication method adds to a token request. */
export interface ClientAuthentication {
  headers: Array<[string, string]>;
  params: Array<[string, string]>;
}

/**
 * The header fields and body parameters that authenticate `client` with
 * `method`, in the order RFC 6749 §2.3.1 and RFC 7523 §2.2 name them (for
 * the mutual-TLS methods, what goes beside the certificate, RFC 8705 §2).
 * Throws InvalidArgumentError when the method's credential is missing.
 */
export function applyClientAuth(method: ClientAuthMethod | MtlsAuthMethod, client: ClientCredentials): ClientAuthentication {
  switch (method) {
    case 'client_secret_basic':
      return { headers: [['Authorization', basicAuthorization(client.id, required(client.secret, 'a client secret', method))]], params: [] };
    case 'client_secret_post':
      return { headers: [], params: [['client_id', client.id], ['client_secret', required(client.secret, 'a client secret', method)]] };
    case 'private_key_jwt':
      return { headers: [], params: [...clientAssertionParams(required(client.assertion, 'a signed client assertion', method))] };
    case 'none':
      return { headers: [], params: [['client_id', client.id]] };
    // RFC 8705 §2: a mutual-TLS client names itself with client_id; the certificate of the handshake authenticates it.
    case 'tls_client_auth':
    case 'self_signed_tls_client_auth':
      return { headers: [], params: [['client_id', client.id]] };
  }
}

/** `client_assertion_type` and `client_assertion` (RFC 7521 §4.2, RFC 7523 §2.2). */
export function clientAssertionParams(assertion: string, assertionType: string = CLIENT_ASSERTION_TYPE): Array<[string, string]> {
  return [
    ['client_assertion_type', assertionType],
    ['client_assertion', assertion],
  ];
}

/**
 * The `Authorization` header value for HTTP Basic client authentication.
 *
 * RFC 6749 §2.3.1: the client identifier and secret are first encoded with
 * the `application/x-www-form-urlencoded` algorithm (Appendix B), then joined
 * with `:` and base64-encoded (RFC 7617). Encoding first is what lets ids and
 * secrets contain `:` or non-ASCII characters without ambiguity.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  if (typeof clientId !== 'string' || clientId === '') throw new InvalidArgumentError('basicAuthorization: client id must be a non-empty string');
  if (typeof clientSecret !== 'string') throw new InvalidArgumentError('basicAuthorization: client secret must be a string');
  const credentials = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/**
 * `application/x-www-form-urlencoded` encoding of one value (WHATWG URL
 * standard, as RFC 6749 Appendix B requires): UTF-8, space as `+`.
 */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** `application/x-www-form-urlencoded` decoding of one name or value; a malformed escape is kept as written. */
export function formUrlDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function required(value: string | undefined, what: string, method: ClientAuthMethod): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`client authentication: ${method} needs ${what}`);
  return value;
}
