/**
 * What an opaque access token is bound to, asked of the server's token
 * introspection endpoint (RFC 7662): a JWT access token shows its `cnf`
 * (RFC 9449 §6.1, RFC 8705 §3.1), an opaque one only through introspection
 * (RFC 9449 §6.2, RFC 8705 §3.2). The request is authenticated as the client
 * the token was issued to, as servers that let a client introspect its own
 * tokens allow (RFC 7662 §2.1 leaves who may ask to the server): a refusal
 * is the server's policy, reported as "not visible", never as a failure.
 */
import { isPlainObject } from '../oauth/guards';
import type { ResolvedClient } from './config';
import type { CheckContext } from './context';
import type { Exchange } from './exchange';
import { RateLimited } from './rate-limit';

/** The token's introspection claims (an active token), or why they are not to be had. */
export type Introspection = { claims: Record<string, unknown>; exchange: Exchange } | { unavailable: string; exchange?: Exchange };

/**
 * Introspects `accessToken` as `client`: at the mutual-TLS alias with the
 * client's certificate when it has one (RFC 8705 §5), else at the
 * introspection endpoint. No DPoP proof: RFC 7662 asks none of the caller.
 */
export async function introspectAccessToken(ctx: CheckContext, client: ResolvedClient, accessToken: string): Promise<Introspection> {
  const withCertificate = client.certificate !== undefined;
  const url = withCertificate ? (ctx.config.mtlsIntrospectionUrl ?? ctx.config.introspectionUrl) : ctx.config.introspectionUrl;
  if (url === undefined) return { unavailable: 'no introspection endpoint is known (config "introspectionUrl", --introspection-url, or the metadata\'s introspection_endpoint)' };
  // Plain http (a loopback endpoint) through the run's proxy would show the token to the proxy: not sent.
  if (url.startsWith('http:') && ctx.config.proxy !== undefined) return { unavailable: `introspection at ${url} not asked: plain http through the proxy would carry the access token in the clear` };
  // RFC 7662 §2.1: token (required) and token_type_hint; then the client's own authentication, as at the token endpoint.
  // An assertion names the introspection endpoint as its audience (RFC 7523 §3 item 3): it is not one the token endpoint takes.
  const draft = ctx.draft({
    client,
    grant: [
      ['token', accessToken],
      ['token_type_hint', 'access_token'],
    ],
    scope: null,
    dpop: false,
    mtls: withCertificate,
    ...(client.auth === 'private_key_jwt' && client.audience === undefined ? { assertion: { audience: url } } : {}),
  });
  draft.url = url;
  let exchange: Exchange;
  try {
    exchange = await ctx.send(draft, { oauth: false, allowNoResponse: true });
  } catch (error) {
    // Rate limited even after the one resend: this binding is not visible; the rest of the check goes on.
    if (error instanceof RateLimited) return { unavailable: `introspection at ${url} was rate limited (${ctx.summarize(error.exchange.response!)})`, exchange: error.exchange };
    throw error;
  }
  const res = exchange.response;
  if (res === undefined) return { unavailable: `introspection at ${url} got no answer (${exchange.error ?? 'no response'})`, exchange };
  // RFC 7662 §2.2: 200 with a JSON object whose `active` is a boolean.
  if (res.status !== 200 || !isPlainObject(res.body) || typeof res.body.active !== 'boolean') {
    return { unavailable: `introspection at ${url} as client ${client.id} answered ${ctx.summarize(res)} (RFC 7662 §2.1 lets the server choose who may ask)`, exchange };
  }
  if (res.body.active !== true) return { unavailable: `introspection as client ${client.id} says the token is not active (the server may not let a client introspect its own tokens)`, exchange };
  return { claims: res.body, exchange };
}
