import { invalidArgument } from './errors';

/**
 * The `Authorization` header value for HTTP Basic client authentication.
 *
 * RFC 6749 §2.3.1: the client identifier and secret are first encoded with
 * the `application/x-www-form-urlencoded` algorithm (Appendix B), then joined
 * with `:` and base64-encoded (RFC 7617). Encoding first is what lets ids and
 * secrets contain `:` or non-ASCII characters without ambiguity.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  if (typeof clientId !== 'string' || clientId === '') throw invalidArgument('basicAuthorization: client id must be a non-empty string');
  if (typeof clientSecret !== 'string') throw invalidArgument('basicAuthorization: client secret must be a string');
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
