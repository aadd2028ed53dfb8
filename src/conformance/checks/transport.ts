/**
 * Checklist §2: transport and request-format negatives (RFC 6749 §3.2,
 * §2.3.1, §5.2). Each sends an otherwise valid request with one defect.
 */
import { isErrorDescription } from '../../oauth/grammar';
import { isPlainObject } from '../../oauth/guards';
import { BCP195_TLS12_SUITES, CLIENT_CREDENTIALS_GRANT, isSecretAuthMethod } from '../../oauth/protocol';
import type { AssertionSpec } from '../signing';
import type { CheckContext } from '../context';
import { addQuery, identityOf, removeHeader, setHeader, setParam, type RequestDraft } from '../draft';
import type { HandshakeAnswer, HandshakeOffer } from '../http';
import { NotJudged } from '../skip';
import { check, probeCheck, rejects } from './define';

/** A secret no client has: what a probe sends where a reader could take it (a URL, plain http). */
const NOT_THE_CLIENT_SECRET = 'not-the-client-secret';
/** A client assertion that expired 5 minutes ago: signed by the client's key, yet no one can redeem it. */
const UNREDEEMABLE_ASSERTION: AssertionSpec = { expired: true };

export const methodGet = check({
  id: 'method-get',
  title: 'a GET with valid credentials is refused (405 with Allow: POST noted when absent)',
  level: 'MUST',
  reference: 'RFC 6749 §3.2; RFC 9110 §15.5.6',
  group: 'transport',
  requires: [],
  async run(ctx) {
    const preferred = ctx.client('client_secret_basic', 'private_key_jwt', 'client_secret_post');
    // A GET carries its parameters in the URL, which ends up in access logs: nothing redeemable may travel there.
    // Basic keeps its valid credentials in the Authorization header; a body secret is replaced by a wrong one, and
    // an assertion is one that expired 5 minutes ago (RFC 7523 §3 item 4: no server may accept it; no reader can redeem it).
    const client = preferred.auth === 'client_secret_post' ? { ...preferred, secret: NOT_THE_CLIENT_SECRET } : preferred;
    const draft = ctx.draft({ client, ...(client.auth === 'private_key_jwt' ? { assertion: UNREDEEMABLE_ASSERTION } : {}) });
    // The parameters travel in the query string, as a GET would carry them.
    const get: RequestDraft = { ...draft, method: 'GET', encoding: 'none', params: [] };
    for (const [name, value] of draft.params) addQuery(get, name, value);
    removeHeader(get, 'Content-Type');
    if (draft.assertionPlan) {
      // The assertion is signed at send time: move it into the query by hand.
      const url = new URL(get.url);
      url.searchParams.set('client_assertion', await ctx.assertion(draft.assertionPlan.client, draft.assertionPlan.spec));
      get.url = url.href;
    }
    const exchange = await ctx.send({ ...get, assertionPlan: undefined }, { oauth: false, allowNoResponse: true });
    if (!ctx.expectNoToken(exchange, 'MUST', 'a GET token request')) return;
    const res = exchange.response;
    if (!res) return ctx.note('connection closed without a response');
    const allow = res.headers.allow;
    if (res.status >= 500) {
      // No token, but a server error is no refusal: RFC 9110 §15.6, the server failed to handle a request it could have refused.
      ctx.finding('SHOULD', `a GET should be refused with a 4xx (405 Method Not Allowed), not a server error: got ${ctx.summarize(res)}`, { expected: '405 with Allow: POST', received: ctx.summarize(res), reference: 'RFC 9110 §15.5.6, §15.6', exchangeOf: exchange });
    } else if (res.status !== 405) {
      // A 404 (or another refusal) for GET is conformant HTTP; 405 with Allow would say why, so it is a note, not a warning.
      ctx.note(`GET answered ${ctx.summarize(res)}, no token; 405 Method Not Allowed with Allow: POST would tell the client why (RFC 9110 §15.5.6)`);
    } else if (!allow || !/\bPOST\b/i.test(allow)) {
      // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
      ctx.finding('SHOULD', 'a 405 must list the allowed methods in Allow', { expected: 'Allow: POST', received: allow ? `Allow: ${allow}` : 'no Allow header', reference: 'RFC 9110 §15.5.6, §10.2.1', exchangeOf: exchange });
    } else ctx.note(`405 with Allow: ${allow}`);
  },
});

/**
 * The token request sent over plain http to the https target's host and
 * port, carrying nothing redeemable: a wrong secret, or for a
 * private_key_jwt client an assertion that expired 5 minutes ago (no server
 * may accept it, RFC 7523 §3 item 4). Either way only "no token" can be
 * shown, and an invalid_client answer says plain http got as far as client
 * authentication (a SHOULD finding).
 */
async function plainHttpRefused(ctx: CheckContext, headers: ReadonlyArray<readonly [string, string]>, what: string): Promise<void> {
  const client = ctx.client();
  const draft = isSecretAuthMethod(client.auth) ? ctx.draft({ client: { ...client, secret: NOT_THE_CLIENT_SECRET } }) : ctx.draft({ client, assertion: UNREDEEMABLE_ASSERTION });
  const url = new URL(draft.url);
  url.protocol = 'http:';
  draft.url = url.href;
  for (const [name, value] of headers) setHeader(draft, name, value);
  const exchange = await ctx.send(draft, { oauth: false, allowNoResponse: true });
  if (!ctx.expectNoToken(exchange, 'MUST', `${what} (${url.origin})`)) return;
  const res = exchange.response;
  ctx.note(res ? `plain http answered ${ctx.summarize(res)}` : `plain http refused (${exchange.error ?? 'no response'})`);
  ctx.note(`sent with ${isSecretAuthMethod(client.auth) ? 'a wrong secret' : 'an expired client assertion'}, so nothing redeemable crossed plain http`);
  // Judging the credentials means plain http got as far as client authentication: a right secret might have had a token.
  if (res && isPlainObject(res.body) && res.body.error === 'invalid_client') {
    ctx.finding('SHOULD', 'plain http reached client authentication (invalid_client) instead of being refused first; a right secret might have got a token', {
      expected: 'a refusal of plain http itself (e.g. 400 invalid_request, a redirect to https, or no answer)',
      received: ctx.summarize(res),
      exchangeOf: exchange,
    });
  }
}

export const tls = check({
  id: 'tls',
  title: 'the same request over plain http is refused',
  level: 'MUST',
  reference: 'RFC 6749 §3.2, §1.6',
  group: 'transport',
  requires: ['https'],
  run: (ctx) => plainHttpRefused(ctx, [], 'a plain-http token request'),
});

export const tlsForwardedProto = check({
  id: 'tls-forwarded-proto',
  title: 'plain http claiming https in X-Forwarded-Proto or Forwarded (RFC 7239) is still refused',
  level: 'MUST',
  // A header any client can write is no TLS: only a proxy the server trusts may say the hop before it was https.
  reference: 'RFC 6749 §3.2; RFC 9700 §4.13 (headers from a reverse proxy, never from the client)',
  group: 'transport',
  requires: ['https'],
  run: (ctx) => plainHttpRefused(ctx, [['X-Forwarded-Proto', 'https'], ['Forwarded', 'proto=https'], ['X-Forwarded-Ssl', 'on']], 'a plain-http token request claiming https in X-Forwarded-Proto, Forwarded and X-Forwarded-Ssl'),
});

/** An https endpoint of the run to shake hands with, how a finding names it when there are two, and the certificate to offer. */
interface TlsEndpoint {
  url: string;
  where: string;
  identity: HandshakeOffer['identity'];
}

/**
 * The https token endpoints of the run, each server asked once (by host and
 * port): the target and, when it is another server, the mutual-TLS endpoint
 * (RFC 8705 §5), which is held to the same TLS rules. A configured client
 * certificate is offered in each handshake: a mutual-TLS endpoint may end
 * one without it, which says nothing of its TLS versions or suites.
 */
function tlsEndpoints(ctx: CheckContext): TlsEndpoint[] {
  // A raw handshake to the target itself: through a proxy's tunnel it would be the proxy's word, not the server's.
  if (ctx.config.proxy !== undefined) ctx.skip('not judged through a proxy (the handshake is made directly with the target)');
  const seen = new Set<string>();
  const urls: string[] = [];
  for (const url of [ctx.tokenUrl, ctx.config.mtlsUrl]) {
    if (url === undefined || !/^https:/i.test(url)) continue;
    const server = new URL(url).host;
    if (seen.has(server)) continue;
    seen.add(server);
    urls.push(url);
  }
  // A client certificate of the configuration, presented when the server asks for one.
  const certificate = [...ctx.config.clients, ...(ctx.config.unauthorizedClient ? [ctx.config.unauthorizedClient] : [])].find((c) => c.certificate !== undefined)?.certificate;
  const identity = certificate === undefined ? undefined : identityOf(certificate);
  return urls.map((url) => ({ url, identity, where: urls.length < 2 ? '' : url === ctx.config.mtlsUrl ? ' (the mutual-TLS endpoint)' : ' (the token endpoint)' }));
}

/** Offers one handshake; no server to ask (no connection, no TLS answer) is not judged, with the endpoint named. */
async function offer(ctx: CheckContext, endpoint: TlsEndpoint, handshake: Omit<HandshakeOffer, 'identity'>): Promise<Exclude<HandshakeAnswer, { outcome: 'unreached' }>> {
  const answer = await ctx.session.http.offerHandshake(endpoint.url, { ...handshake, ...(endpoint.identity ? { identity: endpoint.identity } : {}) });
  if (answer.outcome === 'unreached') throw new NotJudged(`${endpoint.url}${endpoint.where}: no TLS server answered (${answer.reason}), not judged`);
  return answer;
}

export const tlsVersions = check({
  id: 'tls-versions',
  title: 'the https token endpoint refuses TLS 1.0 and TLS 1.1',
  level: 'MUST',
  reference: 'RFC 8996 §2, §3 (BCP 195: TLS 1.0 and 1.1 MUST NOT be used); RFC 6749 §1.6',
  group: 'transport',
  requires: ['tls_endpoint'],
  async run(ctx) {
    for (const endpoint of tlsEndpoints(ctx)) {
      for (const version of ['TLSv1', 'TLSv1.1'] as const) {
        const answer = await offer(ctx, endpoint, { version });
        if (answer.outcome === 'negotiated') ctx.finding('MUST', `the server completed a ${answer.protocol} handshake${endpoint.where}`, { expected: 'TLS 1.2 or later only (RFC 8996)', received: answer.protocol });
        else ctx.note(`${version} refused${endpoint.where} (${answer.reason})`);
      }
    }
  },
});

/** How many other suites one run asks about, one handshake each: enough to name a default OpenSSL list (11 with an EC key). */
const MAX_SUITE_PROBES = 16;

/**
 * What RFC 9325 says of a TLS 1.2 suite outside the four it recommends, by
 * its OpenSSL name: §4.1 says SHOULD NOT for RSA key transport (no key
 * exchange in the name), finite-field and static Diffie-Hellman, and
 * suites under 128 bits of security (3DES); any other (ECDHE with CBC, CCM,
 * ChaCha20-Poly1305, ARIA) is only not among the recommended ones (§4.2),
 * which FAPI 2.0 makes a rule: a MAY-level advisory here.
 */
function suiteVerdict(name: string): 'SHOULD' | 'MAY' {
  if (/DES-CBC3|3DES|RC4|NULL|EXP/.test(name)) return 'SHOULD';
  if (/^ECDHE-/.test(name)) return 'MAY';
  if (/^(DHE|EDH|DH|ECDH)-/.test(name)) return 'SHOULD';
  if (/PSK|SRP/.test(name)) return 'MAY';
  return 'SHOULD';
}

export const tlsCiphers = check({
  id: 'tls-ciphers',
  title: 'over TLS 1.2 the https token endpoint negotiates only the cipher suites BCP 195 recommends',
  // RFC 9325 §4.1 discourages some suites (SHOULD NOT) and §4.2 recommends four; "only these four" is FAPI 2.0's rule,
  // a MAY-level advisory here. Both warn; --fail-on SHOULD fails on the first kind, --fail-on MAY on both.
  level: 'SHOULD',
  reference: 'RFC 9325 §4.1 (SHOULD NOT: RSA key transport, DHE and static DH, under 128 bits), §4.2 (the recommended TLS 1.2 suites); FAPI 2.0 Security Profile §5.2.1',
  group: 'transport',
  requires: ['tls_endpoint'],
  async run(ctx) {
    for (const endpoint of tlsEndpoints(ctx)) await judgeTls12Suites(ctx, endpoint);
  },
});

async function judgeTls12Suites(ctx: CheckContext, endpoint: TlsEndpoint): Promise<void> {
  const { where } = endpoint;
  const recommended = await offer(ctx, endpoint, { version: 'TLSv1.2', ciphers: BCP195_TLS12_SUITES.join(':') });
  if (recommended.outcome === 'negotiated') ctx.note(`TLS 1.2 with a recommended suite${where}: ${recommended.cipher}`);
  // Every other TLS 1.2 suite this OpenSSL speaks, minus the ones the server already took: each answer names one more.
  const accepted: string[] = [];
  let last = '';
  while (accepted.length < MAX_SUITE_PROBES) {
    const ciphers = ['ALL', '!aNULL', '!eNULL', ...[...BCP195_TLS12_SUITES, ...accepted].map((name) => `!${name}`)].join(':');
    const answer = await offer(ctx, endpoint, { version: 'TLSv1.2', ciphers });
    if (answer.outcome !== 'negotiated') {
      last = answer.reason;
      break;
    }
    accepted.push(answer.cipher);
  }
  const more = accepted.length === MAX_SUITE_PROBES ? ` (the first ${MAX_SUITE_PROBES} asked; there may be more)` : '';
  const discouraged = accepted.filter((name) => suiteVerdict(name) === 'SHOULD');
  const unlisted = accepted.filter((name) => suiteVerdict(name) === 'MAY');
  const expected = `TLS 1.2 only with ${BCP195_TLS12_SUITES.join(', ')} (or TLS 1.3)`;
  if (discouraged.length > 0) {
    ctx.finding('SHOULD', `over TLS 1.2 the server${where} negotiated ${discouraged.length} suite(s) RFC 9325 §4.1 says not to: ${discouraged.join(', ')}${more}`, { expected, received: discouraged.join(', '), reference: 'RFC 9325 §4.1' });
  }
  if (unlisted.length > 0) {
    ctx.finding('MAY', `over TLS 1.2 the server${where} negotiated ${unlisted.length} suite(s) outside the four BCP 195 recommends (FAPI 2.0 permits only those): ${unlisted.join(', ')}${more}`, {
      expected,
      received: unlisted.join(', '),
      reference: 'RFC 9325 §4.2; FAPI 2.0 Security Profile §5.2.1',
    });
  }
  if (accepted.length > 0) return;
  if (recommended.outcome === 'negotiated') return ctx.note(`no other TLS 1.2 suite taken${where} (${last})`);
  // TLS 1.2 refused with every suite: said to be TLS 1.3 only once a TLS 1.3 handshake has been seen to work.
  const modern = await offer(ctx, endpoint, { version: 'TLSv1.3' });
  if (modern.outcome === 'negotiated') ctx.note(`TLS 1.2 refused with every suite${where} (${recommended.reason}; ${last}): TLS 1.3 only`);
  else throw new NotJudged(`${endpoint.url}${where}: every handshake was refused, TLS 1.3 too (${modern.reason}): not judged (does the endpoint want a client certificate the configuration does not have?)`);
}

export const ctMissing = probeCheck({
  id: 'ct-missing',
  title: 'a request without Content-Type is refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'transport',
  requires: [],
  probes: (ctx) => [{ what: 'a missing Content-Type', request: removeHeader(ctx.draft(), 'Content-Type') }],
  expect: rejects({ error: 'invalid_request' }),
});

export const ctWrong = probeCheck({
  id: 'ct-wrong',
  title: 'text/plain and multipart/form-data bodies are refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §4.4.2, §5.2',
  group: 'transport',
  requires: [],
  probes: (ctx) => ['text/plain', 'multipart/form-data'].map((type) => ({ what: `Content-Type ${type}`, request: setHeader(ctx.draft(), 'Content-Type', type) })),
  expect: rejects({ error: 'invalid_request' }),
});

export const bodyBadJson = check({
  id: 'body-badjson',
  title: 'a malformed JSON body is answered with 400',
  level: 'SHOULD',
  reference: 'RFC 6749 §5.2',
  group: 'transport',
  requires: [],
  async run(ctx) {
    const draft = ctx.draft({ encoding: 'json' });
    draft.encoding = 'raw';
    draft.rawBody = '{';
    const exchange = await ctx.send(draft, { oauth: false });
    if (!ctx.expectNoToken(exchange, 'MUST', 'a malformed JSON body')) return;
    const res = exchange.response!;
    if (res.status !== 400) ctx.finding('SHOULD', `a malformed body is a client error and should get 400: got ${ctx.summarize(res)}`, { expected: '400', received: ctx.summarize(res), exchangeOf: exchange });
    else ctx.note(ctx.summarize(res));
  },
});

export const queryCreds = probeCheck({
  id: 'query-creds',
  title: 'grant_type, client_id, client_secret or scope in the query string are refused',
  // RFC 6749 §2.3.1 forbids clients to put credentials in the URI; refusing them is the contract's rule.
  level: 'CONTRACT',
  reference: 'RFC 6749 §2.3.1, §3.2; attesto contract',
  group: 'transport',
  requires: [],
  probes: (ctx) => {
    const client = ctx.client();
    const probes: Array<[string, string]> = [
      // A dummy secret: a real one must never travel in a URL (it ends up in logs).
      ['client_secret', 'query-secret-probe'],
      ['client_id', client.id],
      ['grant_type', CLIENT_CREDENTIALS_GRANT],
      ['scope', ctx.config.scope ?? 'read'],
    ];
    return probes.map(([name, value]) => ({ what: `${name} in the query string`, request: addQuery(ctx.draft({ client }), name, value) }));
  },
  expect: rejects({ error: 'invalid_request' }),
});

export const dupParam = probeCheck({
  id: 'dup-param',
  title: 'a repeated parameter (grant_type, scope, client_id) is refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §3.2, §5.2',
  group: 'transport',
  requires: [],
  probes: (ctx) => {
    const client = ctx.client();
    const repeats: Array<[string, string]> = [['grant_type', CLIENT_CREDENTIALS_GRANT]];
    if (ctx.config.scope) repeats.push(['scope', ctx.config.scope]);
    repeats.push(['client_id', client.id]);
    return repeats.map(([name, value]) => {
      const draft = ctx.draft({ client });
      if (!draft.params.some(([n]) => n === name)) draft.params.push([name, value]);
      draft.params.push([name, value]);
      return { what: `${name} sent twice`, request: draft };
    });
  },
  expect: rejects({ error: 'invalid_request' }),
});

export const errdescChars = check({
  id: 'errdesc-chars',
  title: 'error_description stays within the RFC 6749 character set even when the input does not',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'transport',
  requires: [],
  async run(ctx) {
    for (const value of ['a"b\\c', 'gr\u00e4nt_typ\u00e9 \u2603']) {
      const exchange = await ctx.send(setParam(ctx.draft(), 'grant_type', value));
      const res = exchange.response!;
      if (!ctx.expectNoToken(exchange, 'MUST', 'an invalid grant_type')) continue;
      const description = isPlainObject(res.body) ? res.body.error_description : undefined;
      if (description === undefined) continue;
      if (typeof description !== 'string' || !isErrorDescription(description)) {
        ctx.finding('MUST', 'error_description contains characters outside %x20-21 / %x23-5B / %x5D-7E', {
          expected: 'printable ASCII without " and \\',
          received: JSON.stringify(description),
          exchangeOf: exchange,
        });
      }
    }
  },
});

export const TRANSPORT_CHECKS = [methodGet, tls, tlsForwardedProto, tlsVersions, tlsCiphers, ctMissing, ctWrong, bodyBadJson, queryCreds, dupParam, errdescChars];
