/**
 * Scope handling (RFC 6749 §3.3): the requested scope is a space-delimited
 * list of scope-tokens; every one must be known to the server and allowed to
 * the client, else `invalid_scope`. No scope requested → the client's allowed
 * scopes (the "pre-defined default value" of §3.3).
 */
import { SCOPE_TOKEN, type RegisteredClient } from './config';
import { TokenEndpointError, echo } from './errors';

export function grantScopes(requested: string | undefined, client: RegisteredClient, known: ReadonlySet<string>): string[] {
  if (requested === undefined) return [...client.scopes];
  const tokens = [...new Set(requested.split(' ').filter((token) => token !== ''))];
  if (tokens.length === 0) return [...client.scopes];
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new TokenEndpointError('invalid_scope', `malformed scope token ${echo(token)}`);
    if (!known.has(token)) throw new TokenEndpointError('invalid_scope', `unknown scope ${echo(token)}`);
    if (!client.scopes.includes(token)) throw new TokenEndpointError('invalid_scope', `scope ${echo(token)} is not permitted for this client`);
  }
  return tokens;
}

/**
 * The scope of a refresh: RFC 6749 §6, "The requested scope MUST NOT include
 * any scope not originally granted by the resource owner, and if omitted is
 * treated as equal to the scope originally granted". A narrower scope is
 * granted to the new access token only; the refresh token keeps the
 * original one.
 */
export function narrowScopes(requested: string | undefined, granted: readonly string[]): string[] {
  const tokens = requested === undefined ? [] : [...new Set(requested.split(' ').filter((token) => token !== ''))];
  if (tokens.length === 0) return [...granted];
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new TokenEndpointError('invalid_scope', `malformed scope token ${echo(token)}`);
    if (!granted.includes(token)) throw new TokenEndpointError('invalid_scope', `scope ${echo(token)} was not granted to this refresh token; a refresh may narrow the scope, never widen it (RFC 6749 6)`);
  }
  return tokens;
}
