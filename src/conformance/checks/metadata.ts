/**
 * The issuer's metadata document as RFC 8414 defines it (group `metadata`).
 * Judged from what the two well-known URLs answered when the run started
 * (discovery.ts): these checks send nothing of their own. What the document
 * says the token endpoint does is put to the test in metadata-truth.ts.
 */
import { isPlainObject } from '../../oauth/guards';
import { isLoopbackHost } from '../../oauth/loopback';
import {
  AUTHORIZATION_ENDPOINT_GRANTS,
  DEFAULT_METADATA_AUTH_METHODS,
  DEFAULT_METADATA_GRANT_TYPES,
  IMPLICIT_GRANT,
  JWT_AUTH_METHODS,
  METADATA_BOOLEAN_MEMBERS,
  METADATA_LIST_MEMBERS,
  METADATA_MAY_BE_EMPTY,
  METADATA_SIGNING_ALG_MEMBERS,
  METADATA_URL_MEMBERS,
  MTLS_ENDPOINT_ALIASES,
} from '../../oauth/metadata';
import { AUTHORIZATION_CODE_GRANT, JSON_MEDIA_TYPE, PKCE_PLAIN, PKCE_S256 } from '../../oauth/protocol';
import { isJsonMediaType } from '../../validate';
import type { CheckContext } from '../context';
import type { WellKnownAnswer } from '../discovery';
import { describeLimit, RateLimited } from '../rate-limit';
import type { Level } from '../types';
import { check } from './define';

/** A value of the server's, quoted for a message: scrubbed of the run's secrets first, then cut short (a cut never leaves half a secret). */
function quoted(ctx: CheckContext, value: unknown): string {
  const text = ctx.scrub(JSON.stringify(value) ?? String(value));
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** The answers that are metadata documents, whatever issuer they name: JSON objects with an issuer (a catch-all's {} is none). */
function documents(ctx: CheckContext): WellKnownAnswer[] {
  const found = ctx.issuerMetadata().answers.filter((a) => typeof a.body?.issuer === 'string');
  return found.length > 0 ? found : ctx.skip('no metadata document at either well-known URL (see meta-document)');
}

export const metaDocument = check({
  id: 'meta-document',
  title: 'the issuer publishes its metadata: 200, application/json, a JSON object',
  level: 'MUST',
  reference: 'RFC 8414 §3, §3.2',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const read = ctx.issuerMetadata();
    const answer = read.answers.find((a) => a.url === read.metadata?.metadataUrl);
    if (read.metadata === undefined || answer === undefined) {
      // A document of another issuer is meta-issuer's to report; anything else means there is no document at all.
      if (read.answers.some((a) => a.body !== undefined && typeof a.body.issuer === 'string' && a.body.issuer !== read.issuer)) return ctx.skip('the only metadata document names another issuer (see meta-issuer)');
      const first = read.answers.find((a) => a.exchange.response !== undefined) ?? read.answers[0]!;
      // 429/503 even after the one resend: no verdict on the metadata (the run's rule for every check).
      if (read.rateLimited === true) throw new RateLimited(`rate limited: ${describeLimit(first.exchange)} at the issuer's well-known URLs (resent once), not judged; try a lower --concurrency, or a --rate`, first.exchange);
      ctx.finding('MUST', read.problem?.message ?? `no metadata document for issuer ${read.issuer}`, { exchangeOf: first.exchange, expected: '200 with an application/json object at one of the well-known URLs' });
      return;
    }
    const type = answer.exchange.response!.headers['content-type'];
    // RFC 8414 §3.2: "...return a JSON object using the "application/json" content type".
    if (!isJsonMediaType(type)) {
      ctx.finding('MUST', `the metadata at ${answer.url} is served with Content-Type ${type === undefined ? '(none)' : quoted(ctx, type)}`, { expected: JSON_MEDIA_TYPE, reference: 'RFC 8414 §3.2', exchangeOf: answer.exchange });
    }
    const other = read.answers.filter((a) => a !== answer && a.body !== undefined).map((a) => a.url);
    ctx.note(`read at ${answer.url}${other.length > 0 ? `, also published at ${other.join(', ')}` : ''}`);
  },
});

export const metaIssuer = check({
  id: 'meta-issuer',
  title: "each metadata document's issuer is the issuer identifier it was asked for",
  level: 'MUST',
  reference: 'RFC 8414 §3.3; OpenID Connect Discovery 1.0 §4.3',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const issuer = ctx.issuerMetadata().issuer;
    for (const answer of documents(ctx)) {
      const got = answer.body!.issuer;
      // RFC 8414 §3.3: "The "issuer" value returned MUST be identical to the authorization server's issuer identifier value".
      if (got !== issuer) {
        ctx.finding('MUST', `the metadata at ${answer.url} names the issuer ${quoted(ctx, got)}: it must be identical to the issuer asked for`, {
          expected: JSON.stringify(issuer),
          received: quoted(ctx, got),
          exchangeOf: answer.exchange,
        });
      }
    }
    ctx.note(`issuer ${issuer}`);
  },
});

/** grant_types_supported as the document says or defaults it (RFC 8414 §2), and whether it was defaulted. */
function advertisedGrants(body: Record<string, unknown>): { grants: readonly string[]; defaulted: boolean } {
  const listed = body.grant_types_supported;
  if (Array.isArray(listed)) return { grants: listed.filter((g): g is string => typeof g === 'string'), defaulted: false };
  return { grants: DEFAULT_METADATA_GRANT_TYPES, defaulted: true };
}

export const metaRequired = check({
  id: 'meta-required',
  title: 'the members RFC 8414 requires are present',
  level: 'MUST',
  reference: 'RFC 8414 §2',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const { body, answer } = ctx.metadataDocument();
    const missing = (member: string, why: string, level: Level = 'MUST') => {
      if (body[member] === undefined) ctx.finding(level, `the metadata has no ${member}: ${why}`, { exchangeOf: answer.exchange });
    };
    const { grants, defaulted } = advertisedGrants(body);
    const implicitOnly = !defaulted && grants.length > 0 && grants.every((g) => g === IMPLICIT_GRANT);
    if (!implicitOnly) missing('token_endpoint', 'REQUIRED unless only the implicit grant is supported');
    const usesAuthorizationEndpoint = grants.some((g) => (AUTHORIZATION_ENDPOINT_GRANTS as readonly string[]).includes(g));
    // An omitted grant_types_supported means authorization_code and implicit: judged, but softly (the server may not mean it).
    const grantLevel: Level = defaulted ? 'SHOULD' : 'MUST';
    const grantWhy = defaulted ? 'grant_types_supported is omitted, which means ["authorization_code", "implicit"] (RFC 8414 §2): list the grants served, or' : 'a grant that uses it is advertised:';
    if (usesAuthorizationEndpoint) {
      missing('authorization_endpoint', `${grantWhy} REQUIRED when a grant type using the authorization endpoint is supported`, grantLevel);
      missing('response_types_supported', `${grantWhy} REQUIRED`, grantLevel);
    } else {
      // REQUIRED without condition, yet meaningless without an authorization endpoint: said, not failed.
      missing('response_types_supported', 'REQUIRED by RFC 8414 §2 (an empty list when no grant uses the authorization endpoint)', 'SHOULD');
    }
    const methods = body.token_endpoint_auth_methods_supported;
    const jwtMethods = Array.isArray(methods) ? methods.filter((m) => (JWT_AUTH_METHODS as readonly unknown[]).includes(m)) : [];
    if (jwtMethods.length > 0) {
      missing('token_endpoint_auth_signing_alg_values_supported', `it MUST be present when token_endpoint_auth_methods_supported lists ${jwtMethods.join(' or ')}`);
    }
  },
});

export const metaTypes = check({
  id: 'meta-types',
  title: 'each member has its RFC type: URLs are URL strings, lists are non-empty arrays of strings, none is no signing algorithm',
  level: 'MUST',
  reference: 'RFC 8414 §2, §3.2; RFC 9449 §5.1; RFC 8705 §3.3, §5',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const { body, answer } = ctx.metadataDocument();
    const bad = (member: string, expected: string, reference = 'RFC 8414 §2') =>
      ctx.finding('MUST', `${member} is ${describeJson(ctx, body[member])}, not ${expected}`, { expected, received: quoted(ctx, body[member]), reference, exchangeOf: answer.exchange });
    for (const member of METADATA_URL_MEMBERS) {
      const value = body[member];
      if (value !== undefined && !(typeof value === 'string' && URL.canParse(value))) bad(member, 'an absolute URL string');
    }
    for (const member of METADATA_LIST_MEMBERS) {
      const value = body[member];
      if (value === undefined) continue;
      const reference = member === 'dpop_signing_alg_values_supported' ? 'RFC 9449 §5.1' : 'RFC 8414 §2';
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) bad(member, 'a JSON array of strings', reference);
      // RFC 8414 §3.2: "Claims with zero elements MUST be omitted from the response."
      else if (value.length === 0 && !(METADATA_MAY_BE_EMPTY as readonly string[]).includes(member)) bad(member, 'omitted when empty', 'RFC 8414 §3.2');
    }
    for (const member of METADATA_SIGNING_ALG_MEMBERS) {
      const value = body[member];
      // RFC 8414 §2: "The value "none" MUST NOT be used."
      if (Array.isArray(value) && value.includes('none')) ctx.finding('MUST', `${member} lists "none"`, { expected: 'signature algorithms only', reference: 'RFC 8414 §2', exchangeOf: answer.exchange });
    }
    for (const member of METADATA_BOOLEAN_MEMBERS) {
      if (body[member] !== undefined && typeof body[member] !== 'boolean') bad(member, 'a JSON boolean', 'RFC 8705 §3.3');
    }
    const aliases = body[MTLS_ENDPOINT_ALIASES];
    if (aliases !== undefined) {
      if (!isPlainObject(aliases)) bad(MTLS_ENDPOINT_ALIASES, 'a JSON object of endpoint URLs', 'RFC 8705 §5');
      else {
        for (const [name, url] of Object.entries(aliases)) {
          if (!(typeof url === 'string' && URL.canParse(url))) {
            ctx.finding('MUST', `${MTLS_ENDPOINT_ALIASES}[${quoted(ctx, name)}] is ${describeJson(ctx, url)}, not an absolute URL string`, { reference: 'RFC 8705 §5', exchangeOf: answer.exchange });
          }
        }
      }
    }
  },
});

function describeJson(ctx: CheckContext, value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : value.every((v) => typeof v === 'string') ? 'an array of strings' : 'an array holding non-strings';
  if (typeof value === 'string') return URL.canParse(value) ? 'a string' : `the string ${quoted(ctx, value)}`;
  return `a JSON ${typeof value === 'object' ? 'object' : typeof value}`;
}

/** The endpoint members that must be https, each with the sentence that says so. */
const HTTPS_MEMBERS: ReadonlyArray<readonly [string, string]> = [
  ['issuer', 'RFC 8414 §2 (a URL that uses the "https" scheme)'],
  ['authorization_endpoint', 'RFC 6749 §3.1 (the authorization server MUST require TLS)'],
  ['token_endpoint', 'RFC 6749 §3.2 (the authorization server MUST require TLS)'],
  ['jwks_uri', 'RFC 8414 §2 (This URL MUST use the "https" scheme)'],
];

export const metaHttps = check({
  id: 'meta-https',
  title: 'the issuer, its authorization and token endpoints, jwks_uri and mTLS aliases are https URLs (loopback excepted)',
  level: 'MUST',
  reference: 'RFC 8414 §2; RFC 6749 §3.1, §3.2; RFC 8705 §5',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const { body, answer } = ctx.metadataDocument();
    const judge = (member: string, value: unknown, reference: string) => {
      if (typeof value !== 'string' || !URL.canParse(value)) return; // meta-types says so
      const url = new URL(value);
      // A loopback URL never leaves the machine: the suite's own rule for targets (RFC 8252 §8.3 allows http there too).
      if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return;
      ctx.finding('MUST', `${member} is not an https URL: ${quoted(ctx, value)}`, { expected: 'https://…', received: quoted(ctx, value), reference, exchangeOf: answer.exchange });
    };
    for (const [member, reference] of HTTPS_MEMBERS) judge(member, body[member], reference);
    const aliases = body[MTLS_ENDPOINT_ALIASES];
    if (isPlainObject(aliases)) for (const [name, url] of Object.entries(aliases)) judge(`${MTLS_ENDPOINT_ALIASES}[${quoted(ctx, name)}]`, url, 'RFC 8705 §5 (endpoints for mutual TLS)');
  },
});

export const metaPkce = check({
  id: 'meta-pkce',
  title: 'with the code grant advertised, PKCE is advertised, with S256',
  level: 'MUST',
  reference: 'RFC 7636 §4.2; RFC 9700 §2.1.1',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const { body, answer } = ctx.metadataDocument();
    const { grants, defaulted } = advertisedGrants(body);
    const advertised = grants.includes(AUTHORIZATION_CODE_GRANT) && !defaulted;
    const methods = body.code_challenge_methods_supported;
    // PKCE methods listed are judged whatever the grants say; their absence only where the code grant is listed.
    if (!advertised && methods === undefined) return ctx.skip(defaulted ? 'grant_types_supported is omitted and no code_challenge_methods_supported is listed' : 'the metadata advertises no authorization_code grant');
    if (methods === undefined) {
      // RFC 9700 §2.1.1: "It is RECOMMENDED for authorization servers to publish the element code_challenge_methods_supported".
      ctx.finding('SHOULD', 'the authorization_code grant is advertised without code_challenge_methods_supported: clients cannot see that PKCE is supported', { reference: 'RFC 9700 §2.1.1', exchangeOf: answer.exchange });
      return;
    }
    if (!Array.isArray(methods)) return ctx.skip('code_challenge_methods_supported is not an array (see meta-types)');
    // RFC 7636 §4.2: "S256 is Mandatory To Implement (MTI) on the server".
    if (!methods.includes(PKCE_S256)) ctx.finding('MUST', `code_challenge_methods_supported does not list ${PKCE_S256}`, { expected: `[${JSON.stringify(PKCE_S256)}]`, received: quoted(ctx, methods), reference: 'RFC 7636 §4.2', exchangeOf: answer.exchange });
    ctx.note(`code_challenge_methods_supported ${quoted(ctx, methods)}`);
    // RFC 9700 §2.1.1 asks clients (SHOULD) for a method that does not expose the verifier, and S256 is the only one;
    // no sentence forbids a server to offer plain too (RFC 7636 §4.2 keeps it for compatibility): said, not judged.
    if (methods.includes(PKCE_PLAIN)) ctx.note(`it also offers ${PKCE_PLAIN}, which exposes the verifier in the authorization request (clients SHOULD use S256, RFC 9700 §2.1.1)`);
  },
});

export const metaAgree = check({
  id: 'meta-agree',
  title: 'the RFC 8414 and OpenID documents, when both exist, agree on the token endpoint and its auth methods',
  level: 'SHOULD',
  reference: 'RFC 8414 §5',
  group: 'metadata',
  requires: ['metadata'],
  async run(ctx) {
    const issuer = ctx.issuerMetadata().issuer;
    const both = documents(ctx).filter((a) => a.body!.issuer === issuer);
    if (both.length < 2) return ctx.skip('only one metadata document is published');
    const [first, second] = both as [WellKnownAnswer, WellKnownAnswer];
    // An omitted auth method list means client_secret_basic (RFC 8414 §2): compared as such.
    const value = (doc: Record<string, unknown>, member: string) => (member === 'token_endpoint_auth_methods_supported' ? (doc[member] ?? DEFAULT_METADATA_AUTH_METHODS) : doc[member]);
    for (const member of ['token_endpoint', 'token_endpoint_auth_methods_supported']) {
      const a = normalized(value(first.body!, member));
      const b = normalized(value(second.body!, member));
      // RFC 8414 §5: the same metadata published at both locations; a client falls back from one to the other.
      if (a !== b) {
        ctx.finding('SHOULD', `the two documents disagree on ${member}`, { expected: `${first.url}: ${quoted(ctx, value(first.body!, member))}`, received: `${second.url}: ${quoted(ctx, value(second.body!, member))}`, exchangeOf: second.exchange });
      }
    }
  },
});

/** A member's value compared as a set when it is a list (order carries no meaning, RFC 8414 §2). */
function normalized(value: unknown): string {
  return JSON.stringify(Array.isArray(value) ? [...value].map(String).sort() : value) ?? 'undefined';
}

export const METADATA_CHECKS = [metaDocument, metaIssuer, metaRequired, metaTypes, metaHttps, metaPkce, metaAgree];
