/**
 * Each row breaks one behaviour of the reference server (through a mutating
 * proxy) and shows that the check meant for it catches the break, while the
 * same check passes through the unmutated proxy. Together the rows cover
 * every check group, and every check that can be broken from outside.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CHECKS, defaultRunClients, runConformance, type CheckStatus, type ConformanceConfig, type Profile } from '../../src/conformance';
import {
  assertionClaims,
  assertionHeader,
  dpopProofs,
  errorResponse,
  fakeToken,
  form,
  header,
  json,
  proofClaims,
  proofHeader,
  startMutatingProxy,
  withHeader,
  withJson,
  withoutHeader,
  type Mutation,
  type MutatingProxy,
  type ProxyRequest,
} from './support/mutating-proxy';

interface Row {
  /** What the broken server does wrong. */
  broken: string;
  check: string;
  mutation: Mutation;
  /** Status of the check against the broken server (default failed). */
  status?: CheckStatus;
  nonce?: boolean;
  profile?: Profile;
  /** The configuration the row runs with, from the proxy's (default: as it is). */
  config?: (config: ConformanceConfig) => ConformanceConfig;
}

const isToken = (req: ProxyRequest) => req.method === 'POST';
const accept = (when: (req: ProxyRequest) => boolean): Mutation => ({ request: (req) => (isToken(req) && when(req) ? fakeToken(req) : undefined) });
const respond = (when: (req: ProxyRequest) => boolean, status: number, error: string, extra: Array<[string, string]> = []): Mutation => ({
  request: (req) => (isToken(req) && when(req) ? errorResponse(status, error, error, extra) : undefined),
});
const mapError = (from: string, to: string, status?: number): Mutation => ({
  response: (res) => {
    const body = json(res);
    return body?.error === from ? { ...withJson(res, { ...body, error: to }), status: status ?? res.status } : undefined;
  },
});
const nowSeconds = () => Math.floor(Date.now() / 1000);
const seenProofs = new Set<string>();
/** A server that answers a proof it has seen before with `answer`. */
const replayed = (answer: (req: ProxyRequest) => ReturnType<typeof fakeToken>): Mutation => ({
  request: (req) => {
    const proof = dpopProofs(req)[0];
    if (!proof) return undefined;
    if (seenProofs.has(proof)) return answer(req);
    seenProofs.add(proof);
    return undefined;
  },
});
const seenAssertions = new Set<string>();

const ROWS: Row[] = [
  // §1 success and format
  { broken: 'refuses Basic credentials', check: 'ok-basic', mutation: respond((r) => /^Basic /i.test(header(r, 'authorization') ?? ''), 401, 'invalid_client', [['WWW-Authenticate', 'Basic realm="x"']]) },
  { broken: 'refuses body credentials', check: 'ok-post', mutation: respond((r) => form(r).has('client_secret'), 400, 'invalid_client') },
  { broken: 'refuses private_key_jwt', check: 'ok-pkjwt', mutation: respond((r) => form(r).has('client_assertion'), 400, 'invalid_client') },
  { broken: 'refuses a body client_id next to Basic', check: 'ok-basic-bodyid', status: 'warned', mutation: respond((r) => !!header(r, 'authorization') && form(r).has('client_id'), 400, 'invalid_request') },
  { broken: 'refuses JSON bodies', check: 'ok-json-body', mutation: respond((r) => /json/.test(header(r, 'content-type') ?? ''), 400, 'invalid_request') },
  { broken: 'answers text/plain', check: 'resp-ctype', mutation: { response: (res) => withHeader(res, 'Content-Type', 'text/plain') } },
  { broken: 'drops Pragma from token responses', check: 'resp-no-store', mutation: { response: (res) => (res.status === 200 ? withoutHeader(res, 'Pragma') : undefined) } },
  { broken: 'drops no-store from errors (contract)', check: 'resp-no-store', mutation: { response: (res) => (res.status !== 200 ? withoutHeader(res, 'Cache-Control') : undefined) } },
  { broken: 'drops no-store from errors, rfc profile', check: 'resp-no-store', profile: 'rfc', status: 'warned', mutation: { response: (res) => (res.status !== 200 ? withoutHeader(res, 'Cache-Control') : undefined) } },
  { broken: 'spells token_type "bearer"', check: 'resp-token-type', mutation: { response: (res) => (json(res)?.token_type === 'Bearer' ? withJson(res, { ...json(res), token_type: 'bearer' }) : undefined) } },
  { broken: 'sends expires_in as a string', check: 'resp-expires', mutation: { response: (res) => (json(res)?.expires_in !== undefined ? withJson(res, { ...json(res), expires_in: '900' }) : undefined) } },
  { broken: 'omits expires_in', check: 'resp-expires', status: 'warned', mutation: { response: (res) => (json(res)?.expires_in !== undefined ? withJson(res, { ...json(res), expires_in: undefined }) : undefined) } },
  {
    broken: 'ignores unknown scopes without returning the granted scope',
    check: 'resp-scope',
    mutation: {
      request: (req) => {
        const params = form(req);
        const scope = params.get('scope');
        if (!scope?.includes('conformance-unknown-')) return undefined;
        params.set('scope', scope.split(' ').filter((s) => !s.startsWith('conformance-unknown-')).join(' '));
        return { ...req, body: params.toString(), headers: withHeader(req, 'X-Drop-Scope', '1').headers };
      },
      response: (res, req) => (header(req, 'X-Drop-Scope') ? withJson(res, { ...json(res), scope: undefined }) : undefined),
    },
  },
  { broken: 'issues a refresh_token', check: 'resp-no-refresh', status: 'warned', mutation: { response: (res) => (res.status === 200 ? withJson(res, { ...json(res), refresh_token: 'r' }) : undefined) } },
  { broken: 'refuses unknown parameters', check: 'param-unknown', mutation: respond((r) => form(r).has('foo'), 400, 'invalid_request') },
  { broken: 'refuses an empty scope', check: 'param-empty', mutation: respond((r) => form(r).get('scope') === '', 400, 'invalid_scope') },
  // RFC 6749 §3.2: scope= is scope omitted; a server that requires a scope refuses both alike, which is conformant.
  { broken: 'requires a scope, refusing a missing and an empty one alike (correct)', check: 'param-empty', status: 'passed', mutation: respond((r) => !form(r).get('scope'), 400, 'invalid_scope') },
  { broken: 'does not form-decode Basic credentials', check: 'ok-basic-encoded', mutation: respond((r) => /^Basic /i.test(header(r, 'authorization') ?? '') && Buffer.from((header(r, 'authorization') ?? '').slice(6), 'base64').toString().includes('%'), 401, 'invalid_client', [['WWW-Authenticate', 'Basic realm="x"']]) },
  // §2 transport
  { broken: 'issues tokens on GET', check: 'method-get', mutation: { request: (req) => (req.method === 'GET' ? fakeToken(req) : undefined) } },
  // A 404 for GET is conformant HTTP: only noted (405 with Allow would say why).
  { broken: 'answers GET with 404 (correct)', check: 'method-get', status: 'passed', mutation: { request: (req) => (req.method === 'GET' ? { status: 404, headers: [['Content-Type', 'text/plain']], body: 'Not Found' } : undefined) } },
  { broken: 'accepts a missing Content-Type', check: 'ct-missing', mutation: { request: (req) => (isToken(req) && !header(req, 'content-type') ? withHeader(req, 'Content-Type', 'application/x-www-form-urlencoded') : undefined) } },
  { broken: 'accepts text/plain bodies', check: 'ct-wrong', mutation: { request: (req) => (/text\/plain/.test(header(req, 'content-type') ?? '') ? withHeader(req, 'Content-Type', 'application/x-www-form-urlencoded') : undefined) } },
  { broken: 'answers a malformed JSON body with 500', check: 'body-badjson', status: 'warned', mutation: { request: (req) => (req.body === '{' ? { status: 500, headers: [['Content-Type', 'text/plain']], body: 'boom' } : undefined) } },
  { broken: 'ignores credentials in the query string', check: 'query-creds', mutation: { request: (req) => (req.path.includes('?') ? { ...req, path: req.path.split('?')[0]! } : undefined) } },
  { broken: 'query credentials, rfc profile', check: 'query-creds', profile: 'rfc', status: 'warned', mutation: { request: (req) => (req.path.includes('?') ? { ...req, path: req.path.split('?')[0]! } : undefined) } },
  {
    broken: 'keeps the last of repeated parameters',
    check: 'dup-param',
    mutation: {
      request: (req) => {
        if (!isToken(req)) return undefined;
        const last = new Map(form(req));
        return { ...req, body: new URLSearchParams([...last]).toString() };
      },
    },
  },
  {
    broken: 'echoes the raw grant_type in error_description',
    check: 'errdesc-chars',
    mutation: { response: (res, req) => (json(res)?.error === 'unsupported_grant_type' ? withJson(res, { ...json(res), error_description: `unsupported grant_type: ${form(req).get('grant_type')}` }) : undefined) },
  },
  // §3 client authentication
  { broken: 'answers no credentials with invalid_request', check: 'auth-none', mutation: mapError('invalid_client', 'invalid_request') },
  { broken: 'answers a wrong Basic secret with 400', check: 'basic-bad-secret', mutation: { response: (res, req) => (res.status === 401 && /^Basic/i.test(header(req, 'authorization') ?? '') ? withoutHeader({ ...res, status: 400 }, 'WWW-Authenticate') : undefined) } },
  { broken: 'answers a malformed Basic header with 400 invalid_request', check: 'basic-malformed', mutation: respond((r) => header(r, 'authorization') === 'Basic not-base64!!', 400, 'invalid_request') },
  { broken: 'challenges every scheme with Basic', check: 'auth-other-scheme', mutation: { response: (res) => (res.status === 401 ? withHeader(res, 'WWW-Authenticate', 'Basic realm="OAuth"') : undefined) } },
  { broken: 'answers wrong body credentials with 401 (contract)', check: 'post-bad-secret', mutation: { response: (res, req) => (res.status === 400 && json(res)?.error === 'invalid_client' && form(req).has('client_secret') ? withHeader({ ...res, status: 401 }, 'WWW-Authenticate', 'Basic realm="x"') : undefined) } },
  { broken: 'answers wrong body credentials with 401, rfc profile', check: 'post-bad-secret', profile: 'rfc', status: 'warned', mutation: { response: (res, req) => (res.status === 400 && json(res)?.error === 'invalid_client' && form(req).has('client_secret') ? withHeader({ ...res, status: 401 }, 'WWW-Authenticate', 'Basic realm="x"') : undefined) } },
  { broken: 'tells unknown client ids apart', check: 'unknown-client', status: 'warned', mutation: { response: (res) => (json(res)?.error === 'invalid_client' && res.status === 401 ? withJson(res, { ...json(res), error_description: `client authentication failed ${Math.random()}` }) : undefined) } },
  { broken: 'accepts two authentication methods', check: 'two-methods', mutation: accept((r) => !!header(r, 'authorization') && (form(r).has('client_secret') || form(r).has('client_assertion'))) },
  // RFC 6749 does not bind a client to one method: without exclusiveAuthMethod in the config the check does not run.
  {
    broken: 'lets a client use either secret method, and the config does not claim a binding (correct)',
    check: 'method-disallowed',
    status: 'skipped',
    config: (c) => ({ ...c, clients: c.clients!.map(({ exclusiveAuthMethod: _bound, ...client }) => client) }),
    mutation: accept((r) => /^Basic /i.test(header(r, 'authorization') ?? '') && Buffer.from((header(r, 'authorization') ?? '').slice(6), 'base64').toString().startsWith('post-client:')),
  },
  { broken: 'accepts Basic from a post-only client', check: 'method-disallowed', mutation: accept((r) => /^Basic /i.test(header(r, 'authorization') ?? '') && Buffer.from((header(r, 'authorization') ?? '').slice(6), 'base64').toString().startsWith('post-client:')) },
  { broken: 'accepts Basic from a private_key_jwt client', check: 'method-disallowed', mutation: accept((r) => /^Basic /i.test(header(r, 'authorization') ?? '') && Buffer.from((header(r, 'authorization') ?? '').slice(6), 'base64').toString().startsWith('jwt-client:')) },
  { broken: 'accepts a client_id alone', check: 'public-client', mutation: accept((r) => form(r).has('client_id') && !form(r).has('client_secret') && !header(r, 'authorization') && !form(r).has('client_assertion')) },
  { broken: 'accepts any assertion audience', check: 'pkjwt-aud', mutation: accept((r) => String(assertionClaims(r)?.aud ?? '').includes('conformance.invalid')) },
  { broken: 'rejects aud arrays with server_error', check: 'pkjwt-aud-array', status: 'warned', mutation: respond((r) => Array.isArray(assertionClaims(r)?.aud), 500, 'server_error') },
  { broken: 'accepts expired assertions', check: 'pkjwt-expired', mutation: accept((r) => Number(assertionClaims(r)?.exp ?? Infinity) < nowSeconds()) },
  { broken: 'accepts hour-long assertions', check: 'pkjwt-too-long', mutation: accept((r) => Number(assertionClaims(r)?.exp ?? 0) > nowSeconds() + 600) },
  {
    broken: 'does not detect replayed assertions',
    check: 'pkjwt-replay',
    status: 'warned',
    mutation: {
      request: (req) => {
        const assertion = form(req).get('client_assertion');
        if (!assertion) return undefined;
        if (seenAssertions.has(assertion)) return fakeToken(req);
        seenAssertions.add(assertion);
        return undefined;
      },
    },
  },
  { broken: 'accepts assertions without jti', check: 'pkjwt-no-jti', status: 'warned', mutation: accept((r) => !!assertionClaims(r) && assertionClaims(r)!.jti === undefined) },
  { broken: 'accepts alg none assertions', check: 'pkjwt-alg', mutation: accept((r) => assertionHeader(r)?.alg === 'none') },
  { broken: 'accepts assertions signed by any key', check: 'pkjwt-key', mutation: { request: (req) => (assertionClaims(req) ? withHeader(req, 'X-Any-Key', '1') : undefined), response: (res, req) => (header(req, 'X-Any-Key') && json(res)?.error === 'invalid_client' && /signature/i.test(String(json(res)?.error_description)) ? fakeToken(req) : undefined) } },
  { broken: 'accepts assertions without sub', check: 'pkjwt-sub', mutation: accept((r) => !!assertionClaims(r) && assertionClaims(r)!.sub === undefined) },
  { broken: 'ignores client_assertion_type', check: 'pkjwt-type', mutation: accept((r) => /saml2/.test(form(r).get('client_assertion_type') ?? '')) },
  // §4 grant and scope
  { broken: 'answers a missing grant_type with unsupported_grant_type', check: 'grant-missing', mutation: respond((r) => !form(r).has('grant_type') && !!header(r, 'content-type'), 400, 'unsupported_grant_type') },
  { broken: 'answers an unknown grant type with invalid_request', check: 'grant-unsupported', mutation: mapError('unsupported_grant_type', 'invalid_request') },
  // A server that supports password, only not for this client, answers unauthorized_client: conformant, and the check sends no password grant.
  { broken: 'supports password but not for this client (correct)', check: 'grant-unsupported', status: 'passed', mutation: respond((r) => form(r).get('grant_type') === 'password', 400, 'unauthorized_client') },
  { broken: 'answers an unregistered grant with unsupported_grant_type (the attesto_phoenix divergence)', check: 'grant-not-for-client', mutation: mapError('unauthorized_client', 'unsupported_grant_type') },
  { broken: 'grants any scope', check: 'scope-invalid', mutation: accept((r) => (form(r).get('scope') ?? '').split(' ').includes('admin')) },
  // §5 DPoP success
  { broken: 'issues Bearer tokens for DPoP requests', check: 'dpop-ok', mutation: { response: (res) => (json(res)?.token_type === 'DPoP' ? withJson(res, { ...json(res), token_type: 'Bearer', cnf: undefined }) : undefined) } },
  { broken: 'omits cnf from the body (contract)', check: 'dpop-jkt', mutation: { response: (res) => (json(res)?.cnf ? withJson(res, { ...json(res), cnf: undefined }) : undefined) } },
  { broken: 'omits cnf from the body, rfc profile', check: 'dpop-jkt', profile: 'rfc', status: 'warned', mutation: { response: (res) => (json(res)?.cnf ? withJson(res, { ...json(res), cnf: undefined }) : undefined) } },
  {
    broken: 'binds the JWT access token to another key',
    check: 'dpop-jkt',
    profile: 'rfc',
    mutation: {
      response: (res) => {
        const body = json(res);
        if (body?.token_type !== 'DPoP') return undefined;
        const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return withJson(res, { ...body, access_token: `${encode({ alg: 'ES256', typ: 'at+jwt' })}.${encode({ cnf: { jkt: 'some-other-thumbprint' } })}.c2lnbmF0dXJl` });
      },
    },
  },
  { broken: 'only reads a header spelled DPoP', check: 'dpop-hdr-case', mutation: { request: (req) => (req.headers.some(([n]) => n === 'DPOP') ? withoutHeader(req, 'DPoP') : undefined) } },
  { broken: 'refuses proofs with exp', check: 'dpop-extra', mutation: respond((r) => proofClaims(r)?.exp !== undefined, 400, 'invalid_dpop_proof') },
  { broken: 'refuses an unknown header member', check: 'dpop-extra', mutation: respond((r) => proofHeader(r)?.['urn:example:conformance'] !== undefined, 400, 'invalid_dpop_proof') },
  // RFC 7515 §4.1.4: a server may select the verification key by kid, and refuse a kid that names no jwk: the check sends none.
  { broken: 'selects the key by kid, refusing a kid that does not name the jwk (correct)', check: 'dpop-extra', status: 'passed', mutation: respond((r) => proofHeader(r)?.kid !== undefined, 400, 'invalid_dpop_proof') },
  { broken: 'allows only 5 s of iat skew', check: 'dpop-iat-skew', status: 'warned', mutation: respond((r) => Math.abs(Number(proofClaims(r)?.iat ?? nowSeconds()) - nowSeconds()) > 5, 400, 'invalid_dpop_proof') },
  { broken: 'compares htu with its query', check: 'dpop-htu-qf', mutation: respond((r) => String(proofClaims(r)?.htu ?? '').includes('?'), 400, 'invalid_dpop_proof') },
  { broken: 'compares htu without normalising', check: 'dpop-htu-norm', status: 'warned', mutation: respond((r) => /^HTTP/.test(String(proofClaims(r)?.htu ?? '')), 400, 'invalid_dpop_proof') },
  // §6 DPoP negatives
  { broken: 'uses the first of two DPoP headers', check: 'dpop-multi', mutation: { request: (req) => (dpopProofs(req).length > 1 ? withHeader(req, 'DPoP', dpopProofs(req)[0]!) : undefined) } },
  { broken: 'uses the first of joined proofs', check: 'dpop-joined', mutation: { request: (req) => (dpopProofs(req)[0]?.includes(', ') ? withHeader(req, 'DPoP', dpopProofs(req)[0]!.split(', ')[0]!) : undefined) } },
  { broken: 'ignores a DPoP header that is not a JWT', check: 'dpop-malformed', mutation: { request: (req) => (dpopProofs(req)[0] === 'not-a-jwt' ? withoutHeader(req, 'DPoP') : undefined) } },
  { broken: 'does not check typ', check: 'dpop-typ', mutation: accept((r) => !!proofHeader(r) && proofHeader(r)!.typ !== 'dpop+jwt') },
  { broken: 'matches typ as a substring', check: 'dpop-typ', mutation: accept((r) => String(proofHeader(r)?.typ ?? '').includes('dpop+jwt') && proofHeader(r)!.typ !== 'dpop+jwt') },
  { broken: 'accepts alg none proofs', check: 'dpop-alg-none', mutation: accept((r) => proofHeader(r)?.alg === 'none') },
  { broken: 'accepts HS256 proofs', check: 'dpop-alg-hs256', mutation: accept((r) => proofHeader(r)?.alg === 'HS256') },
  { broken: 'answers a proof without jwk with invalid_request', check: 'dpop-jwk-missing', mutation: respond((r) => !!proofHeader(r) && proofHeader(r)!.jwk === undefined, 400, 'invalid_request') },
  { broken: 'accepts a private jwk', check: 'dpop-jwk-private', mutation: accept((r) => (proofHeader(r)?.jwk as Record<string, unknown> | undefined)?.d !== undefined) },
  { broken: 'does not verify proof signatures', check: 'dpop-sig', mutation: { request: (req) => (dpopProofs(req).length === 1 ? withHeader(req, 'X-Sig', '1') : undefined), response: (res, req) => (header(req, 'X-Sig') && /signature/i.test(String(json(res)?.error_description)) ? fakeToken(req) : undefined) } },
  { broken: 'compares htm case-insensitively', check: 'dpop-htm', mutation: accept((r) => proofClaims(r)?.htm === 'post') },
  { broken: 'ignores the htu host', check: 'dpop-htu', mutation: accept((r) => String(proofClaims(r)?.htu ?? '').includes('conformance.invalid')) },
  { broken: 'does not require jti', check: 'dpop-claim-missing', mutation: accept((r) => !!proofClaims(r) && proofClaims(r)!.jti === undefined) },
  { broken: 'accepts hour-old proofs', check: 'dpop-iat-old', mutation: accept((r) => Number(proofClaims(r)?.iat ?? nowSeconds()) < nowSeconds() - 600) },
  { broken: 'accepts proofs from the future', check: 'dpop-iat-future', mutation: accept((r) => Number(proofClaims(r)?.iat ?? nowSeconds()) > nowSeconds() + 600) },
  // Accepting a replay: the attesto contract promises replay protection (CONTRACT); RFC 9449 §11.1 makes it a MAY.
  { broken: 'does not detect replayed proofs', check: 'dpop-replay', mutation: replayed(fakeToken) },
  { broken: 'does not detect replayed proofs, rfc profile', check: 'dpop-replay', profile: 'rfc', status: 'warned', mutation: replayed(fakeToken) },
  // RFC 9449 §5: an invalid proof is refused with invalid_dpop_proof, replays included (MUST, both profiles).
  { broken: 'refuses a replayed proof with invalid_grant', check: 'dpop-replay', mutation: replayed(() => errorResponse(400, 'invalid_grant', 'proof replayed')) },
  { broken: 'refuses a replayed proof with invalid_grant, rfc profile', check: 'dpop-replay', profile: 'rfc', mutation: replayed(() => errorResponse(400, 'invalid_grant', 'proof replayed')) },
  { broken: 'ignores crit', check: 'dpop-crit', mutation: accept((r) => proofHeader(r)?.crit !== undefined) },
  // §7 nonces
  { broken: 'answers a missing nonce with invalid_dpop_proof', check: 'nonce-missing', nonce: true, mutation: mapError('use_dpop_nonce', 'invalid_dpop_proof') },
  { broken: 'sends use_dpop_nonce without DPoP-Nonce', check: 'nonce-wrong', nonce: true, mutation: { response: (res) => (json(res)?.error === 'use_dpop_nonce' ? withoutHeader(res, 'DPoP-Nonce') : undefined) } },
  { broken: 'refuses its own nonce', check: 'nonce-retry', nonce: true, mutation: respond((r) => typeof proofClaims(r)?.nonce === 'string' && proofClaims(r)?.nonce !== 'stale', 400, 'invalid_dpop_proof') },
  { broken: 'accepts a bad htu when no nonce is sent', check: 'nonce-precedence', nonce: true, mutation: accept((r) => String(proofClaims(r)?.htu ?? '').includes('/conformance/other')) },
  { broken: 'rotates to a nonce it then refuses', check: 'nonce-rotate', nonce: true, status: 'warned', mutation: { response: (res) => (res.status === 200 ? withHeader(res, 'DPoP-Nonce', 'rotated-but-unknown') : undefined) } },
  { broken: 'accepts an hour-old iat with a valid nonce (attesto keeps its window)', check: 'dpop-iat-old', nonce: true, mutation: accept((r) => Number(proofClaims(r)?.iat ?? nowSeconds()) < nowSeconds() - 600 && typeof proofClaims(r)?.nonce === 'string') },
  // RFC 9449 §4.3 item 11: with a nonce, freshness may rest on the nonce alone, so the rfc profile accepts this server.
  { broken: 'accepts an hour-old iat with a valid nonce, rfc profile', check: 'dpop-iat-old', nonce: true, profile: 'rfc', status: 'passed', mutation: accept((r) => Number(proofClaims(r)?.iat ?? nowSeconds()) < nowSeconds() - 600 && typeof proofClaims(r)?.nonce === 'string') },
  { broken: 'accepts an hour-old iat without a nonce requirement', check: 'dpop-iat-old', profile: 'rfc', mutation: accept((r) => Number(proofClaims(r)?.iat ?? nowSeconds()) < nowSeconds() - 600) },
  // §8 sender constraint
  { broken: 'refuses a proof-less DPoP-bound client with invalid_dpop_proof (contract: invalid_request)', check: 'dpop-required-absent', mutation: mapError('invalid_request', 'invalid_dpop_proof') },
  { broken: 'refuses a proof-less DPoP-bound client with invalid_dpop_proof, rfc profile (RFC 9449 names no code)', check: 'dpop-required-absent', profile: 'rfc', status: 'warned', mutation: mapError('invalid_request', 'invalid_dpop_proof') },
  { broken: 'downgrades a DPoP-bound client to Bearer', check: 'dpop-required-absent', mutation: accept((r) => /^Basic /i.test(header(r, 'authorization') ?? '') && Buffer.from((header(r, 'authorization') ?? '').slice(6), 'base64').toString().startsWith('dpop-client:') && dpopProofs(r).length === 0) },
];

describe('deliberately broken servers: each break is caught by its check', () => {
  let plain: MutatingProxy;
  let nonce: MutatingProxy;
  const configFor = (proxy: MutatingProxy): ConformanceConfig => proxy.config;

  beforeAll(async () => {
    const clients = await defaultRunClients();
    [plain, nonce] = await Promise.all([startMutatingProxy({ clients }), startMutatingProxy({ clients, requireNonce: true })]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), nonce?.close()]);
  });

  test('without a mutation, every check passes through the proxy (both profiles, with and without nonces)', async () => {
    for (const proxy of [plain, nonce]) {
      proxy.mutation = undefined;
      for (const profile of ['attesto', 'rfc'] as const) {
        const report = await runConformance({ ...configFor(proxy), profile });
        const notPassed = report.checks.filter((c) => c.status !== 'passed' && c.status !== 'skipped').map((c) => `${c.id}: ${c.message}`);
        expect(notPassed).toEqual([]);
      }
    }
  });

  test('the rows cover every check that runs against the reference server', () => {
    const covered = new Set(ROWS.map((r) => r.check));
    // tls needs an https target; dpop-disabled a server with DPoP switched off (both tested in runner.test.ts).
    // The lifecycle checks need servers with state a proxy cannot fake: lifecycle-checks.test.ts breaks them one by one.
    // The lifecycle checks have their broken servers in lifecycle-checks.test.ts, the metadata ones in metadata-checks.test.ts and
    // metadata-lies.test.ts, the mtls ones in mtls-checks.test.ts.
    const elsewhere = (c: (typeof CHECKS)[number]) => c.id === 'tls' || c.id === 'tls-forwarded-proto' || c.id === 'tls-versions' || c.id === 'tls-ciphers' || c.id === 'dpop-disabled' || ['authorization-code', 'refresh-token', 'metadata', 'metadata-truth', 'mtls'].includes(c.group);
    const uncovered = CHECKS.filter((c) => !covered.has(c.id) && !elsewhere(c)).map((c) => c.id);
    expect(uncovered).toEqual([]);
  });

  test.each(ROWS.map((row) => [`${row.check} catches a server that ${row.broken}`, row] as const))('%s', async (_name, row) => {
    const proxy = row.nonce ? nonce : plain;
    proxy.mutation = row.mutation;
    try {
      const config = row.config ? row.config(configFor(proxy)) : configFor(proxy);
      const report = await runConformance({ ...config, profile: row.profile ?? 'attesto', only: [row.check] });
      const result = report.checks.find((c) => c.id === row.check)!;
      expect({ status: result.status, message: result.message }).toEqual({ status: row.status ?? 'failed', message: expect.any(String) });
      if (result.status !== 'passed' && result.status !== 'skipped') expect(result.findings.length).toBeGreaterThan(0);
      if (result.status === 'skipped') expect(result.message).toMatch(/^needs /);
    } finally {
      proxy.mutation = undefined;
    }
  });
});
