/**
 * Advertised vs accepted (group `metadata-truth`): what the issuer's
 * metadata says its token endpoint supports is put to the token endpoint.
 * RFC 8414 §2 defines each list as what "this token endpoint" (or "this
 * authorization server") supports, RFC 9449 §5.1 likewise for DPoP: an
 * advertised value that is refused, or a value left out of a list that is
 * accepted, makes the document false.
 *
 * Registration may narrow what one client can do (RFC 7591 §2
 * token_endpoint_auth_method, token_endpoint_auth_signing_alg): an
 * advertised method or algorithm is judged with a client configured for
 * it; tried with another client, a refusal is noted, not failed. Values the
 * suite cannot exercise are named in the report, and a check with nothing
 * to exercise is skipped with the reason.
 */
import { isPlainObject } from '../../oauth/guards';
import { DEFAULT_METADATA_AUTH_METHODS, IMPLICIT_GRANT, WELL_KNOWN_TOKEN_GRANTS } from '../../oauth/metadata';
import { AUTHORIZATION_CODE_GRANT, CONFIDENTIAL_AUTH_METHODS, SECRET_AUTH_METHODS } from '../../oauth/protocol';
import type { AuthMethod, ResolvedClient } from '../config';
import type { CheckContext } from '../context';
import type { Exchange } from '../exchange';
import { grantClients, obtainCode, sendCode, wantsDpop } from '../grants';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, type DpopKeyAlgorithm, type SigningKey } from '../signing';
import type { Capability } from '../capabilities';
import { check, type Check } from './define';

/** A member's value when it is a list of strings (meta-types judges any other shape). */
function listOf(body: Record<string, unknown>, member: string): string[] | undefined {
  const value = body[member];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** The document's list `member`, or a skip saying why there is none to judge. */
function listedOrSkip(ctx: CheckContext, member: string, absent: string): string[] {
  return listOf(ctx.metadataDocument().body, member) ?? ctx.skip(absent);
}

/** A check of this group: it needs the issuer's metadata, and what else it names. */
function truthCheck(definition: Omit<Check, 'group' | 'requires'> & { requires?: readonly Capability[] }): Check {
  return check({ ...definition, group: 'metadata-truth', requires: ['metadata', ...(definition.requires ?? [])] });
}

function issuedToken(exchange: Exchange): boolean {
  const res = exchange.response;
  return res !== undefined && res.status >= 200 && res.status < 300 && isPlainObject(res.body) && typeof res.body.access_token === 'string';
}

function errorCode(exchange: Exchange): string | undefined {
  const body = exchange.response?.body;
  return isPlainObject(body) && typeof body.error === 'string' ? body.error : undefined;
}

const isSecretMethod = (method: string): boolean => (SECRET_AUTH_METHODS as readonly string[]).includes(method);
const isConfidentialMethod = (method: string): method is AuthMethod => (CONFIDENTIAL_AUTH_METHODS as readonly string[]).includes(method);

/** The configured client_credentials client using `method`, one that needs no DPoP first. */
function clientUsing(ctx: CheckContext, method: string): ResolvedClient | undefined {
  const clients = ctx.clientCredentialsClients.filter((c) => c.auth === method);
  return clients.find((c) => !c.requiresDpop) ?? clients[0];
}

/** A client holding a secret the check may send by another secret method. */
function secretClient(ctx: CheckContext, options: { exclusiveToo: boolean }): ResolvedClient | undefined {
  const clients = ctx.clientCredentialsClients.filter((c) => isSecretMethod(c.auth) && (options.exclusiveToo || c.exclusiveAuthMethod !== true));
  return clients.find((c) => !c.requiresDpop) ?? clients[0];
}

/** Ends a check: skipped when nothing could be judged, else the values not exercised go in its report line. */
function account(ctx: CheckContext, judged: number, notExercised: string[]): void {
  if (judged === 0) ctx.skip(`nothing could be exercised: ${notExercised.join('; ')}`);
  if (notExercised.length > 0) ctx.note(`not judged: ${notExercised.join('; ')}`);
}

export const metaAuthAdvertised = truthCheck({
  id: 'meta-auth-advertised',
  title: 'each advertised token endpoint auth method works',
  level: 'MUST',
  reference: 'RFC 8414 §2 (token_endpoint_auth_methods_supported)',
  async run(ctx) {
    const { body } = ctx.metadataDocument();
    const listed = listOf(body, 'token_endpoint_auth_methods_supported');
    const advertised = listed ?? DEFAULT_METADATA_AUTH_METHODS;
    if (listed === undefined) ctx.note('token_endpoint_auth_methods_supported is omitted: client_secret_basic (RFC 8414 §2 default)');
    const notExercised: string[] = [];
    let judged = 0;
    for (const method of advertised) {
      if (method === 'none') {
        const client = grantClients(ctx, AUTHORIZATION_CODE_GRANT, 'public')[0];
        if (client === undefined || ctx.session.sources.authorizationCode === undefined) {
          notExercised.push('none (needs a public client with authorization_code and a source of codes)');
          continue;
        }
        judged += 1;
        ctx.expectToken(await sendCode(ctx, await obtainCode(ctx, client), { dpop: wantsDpop(ctx, client) }), { what: `a code redeemed by public client ${client.id} (none, advertised)` });
        continue;
      }
      if (!isConfidentialMethod(method)) {
        notExercised.push(`${method} (the suite does not speak it)`);
        continue;
      }
      const own = clientUsing(ctx, method);
      if (own !== undefined) {
        judged += 1;
        ctx.expectToken(await ctx.send(ctx.draft({ client: own })), { what: `client ${own.id} authenticating with ${method}, which the metadata advertises` });
        continue;
      }
      // Another client's secret by this method: a refusal may be that client's registration, not the server's lie.
      const other = isSecretMethod(method) ? secretClient(ctx, { exclusiveToo: false }) : undefined;
      if (other === undefined) {
        notExercised.push(`${method} (no configured client uses it)`);
        continue;
      }
      const exchange = await ctx.send(ctx.draft({ client: other, as: method }));
      if (issuedToken(exchange)) {
        judged += 1;
        ctx.note(`${method} works (client ${other.id})`);
      } else {
        notExercised.push(`${method} (client ${other.id}, configured for ${other.auth}, was refused with it: it may be registered for its own method alone, RFC 7591 §2; configure a client with auth ${method} to judge)`);
      }
    }
    account(ctx, judged, notExercised);
  },
});

export const metaAuthUnadvertised = truthCheck({
  id: 'meta-auth-unadvertised',
  title: 'an auth method the metadata does not list is refused',
  level: 'MUST',
  reference: 'RFC 8414 §2 (token_endpoint_auth_methods_supported)',
  async run(ctx) {
    const listed = listedOrSkip(ctx, 'token_endpoint_auth_methods_supported', 'the metadata does not list token_endpoint_auth_methods_supported: nothing is advertised as refused');
    const notExercised: string[] = [];
    let judged = 0;
    for (const method of CONFIDENTIAL_AUTH_METHODS) {
      if (listed.includes(method)) continue;
      const own = clientUsing(ctx, method);
      // A secret sent by a method the server does not support must not authenticate, whoever the client is.
      const sender = own ?? (isSecretMethod(method) ? secretClient(ctx, { exclusiveToo: true }) : undefined);
      if (sender === undefined) {
        notExercised.push(`${method} (no configured client has the credential for it)`);
        continue;
      }
      judged += 1;
      const exchange = await ctx.send(ctx.draft({ client: sender, ...(own === undefined ? { as: method } : {}) }));
      ctx.expectNoToken(exchange, 'MUST', `client ${sender.id} authenticating with ${method}, which the metadata does not list`, `a refusal: token_endpoint_auth_methods_supported is ${JSON.stringify(listed)}`);
    }
    if (judged === 0 && notExercised.length === 0) ctx.skip('the metadata lists every auth method the suite speaks');
    account(ctx, judged, notExercised);
  },
});

/** The order an unadvertised DPoP algorithm is chosen in: the common ones first. */
const COMMON_DPOP_ALGORITHMS: readonly DpopKeyAlgorithm[] = ['ES256', 'PS256', 'RS256', 'EdDSA', 'ES384', 'ES512'];

/**
 * Throwaway keys for the algorithms meta-dpop-algs signs with, one per key
 * family (one RSA key serves every RS and PS algorithm), made once per
 * process: an RSA key takes a real fraction of a run to generate, and no
 * server learns anything from seeing the same throwaway key twice.
 */
const probeKeys = new Map<string, Promise<SigningKey>>();

async function probeKey(alg: DpopKeyAlgorithm): Promise<SigningKey> {
  const family = /^(RS|PS)\d+$/.test(alg) ? 'RSA' : alg;
  let key = probeKeys.get(family);
  if (key === undefined) {
    key = generateDpopKey(alg);
    // A failed generation is not kept: the next run tries again.
    key.catch(() => probeKeys.delete(family));
    probeKeys.set(family, key);
  }
  return { ...(await key), alg };
}

const canGenerate = (alg: string): alg is DpopKeyAlgorithm => (DPOP_KEY_ALGORITHMS as readonly string[]).includes(alg);

export const metaDpopAlgs = truthCheck({
  id: 'meta-dpop-algs',
  title: 'each advertised DPoP algorithm is accepted for a proof, an unlisted one is refused',
  level: 'MUST',
  reference: 'RFC 9449 §5.1 (dpop_signing_alg_values_supported), §4.3 item 5',
  requires: ['dpop'],
  async run(ctx) {
    const listed = listedOrSkip(ctx, 'dpop_signing_alg_values_supported', 'the metadata lists no dpop_signing_alg_values_supported');
    const notExercised = listed.filter((alg) => !canGenerate(alg)).map((alg) => `${alg} (the suite cannot make such a key)`);
    const advertised = listed.filter(canGenerate);
    // RFC 9449 §4.3 item 5: the alg must be "supported by the application"; what the document leaves out is not.
    const unlisted = COMMON_DPOP_ALGORITHMS.find((alg) => !listed.includes(alg));
    // The probes are independent: sent at once (the session's connection pool bounds them), judged in order.
    const sent = await Promise.all([...advertised, ...(unlisted ? [unlisted] : [])].map(async (alg) => ctx.send(ctx.draft({ dpop: { key: await probeKey(alg) } }))));
    advertised.forEach((alg, i) => ctx.expectToken(sent[i]!, { tokenType: 'DPoP', what: `a proof signed with ${alg}, which the metadata lists` }));
    if (unlisted !== undefined) ctx.expectRejection(sent[advertised.length]!, { error: 'invalid_dpop_proof', what: `a proof signed with ${unlisted}, which the metadata does not list` });
    const judged = sent.length;
    account(ctx, judged, notExercised);
  },
});

/** The JWS algorithms a key can sign with (RFC 7518 §3.1): one for an EC or OKP key, every RS and PS one for RSA. */
function algorithmsFor(key: SigningKey): string[] {
  if (key.publicJwk.kty === 'RSA') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  return [key.alg];
}

export const metaAssertionAlgs = truthCheck({
  id: 'meta-assertion-algs',
  title: "the client's assertion algorithms: those advertised work, those not listed are refused",
  level: 'MUST',
  reference: 'RFC 8414 §2 (token_endpoint_auth_signing_alg_values_supported); RFC 7523 §3',
  requires: ['private_key_jwt'],
  async run(ctx) {
    const listed = listedOrSkip(ctx, 'token_endpoint_auth_signing_alg_values_supported', 'the metadata lists no token_endpoint_auth_signing_alg_values_supported');
    const client = ctx.client('private_key_jwt');
    const key = await ctx.session.clientKey(client);
    const notJudged: string[] = [];
    const algorithms = algorithmsFor(key);
    const sent = await Promise.all(algorithms.map((alg) => ctx.send(ctx.draft({ client, assertion: { alg } }))));
    algorithms.forEach((alg, i) => {
      const exchange = sent[i]!;
      if (!listed.includes(alg)) {
        ctx.expectNoToken(exchange, 'MUST', `an assertion of client ${client.id} signed with ${alg}, which the metadata does not list`, `a refusal: token_endpoint_auth_signing_alg_values_supported is ${JSON.stringify(listed)}`);
      } else if (alg === key.alg) {
        ctx.expectToken(exchange, { what: `an assertion of client ${client.id} signed with ${alg}, its own algorithm, which the metadata lists` });
      } else if (issuedToken(exchange)) {
        ctx.note(`${alg} works`);
      } else {
        // RFC 7591 §2: a client may be registered for one signing algorithm; the others are refused for it alone.
        notJudged.push(`${alg} (refused for client ${client.id}: it may be registered for ${key.alg} alone, RFC 7591 §2 token_endpoint_auth_signing_alg)`);
      }
    });
    if (notJudged.length > 0) ctx.note(`not judged: ${notJudged.join('; ')}`);
  },
});

/** The client a grant probe authenticates as: one registered for the grant, else a confidential client_credentials one. */
function probeClient(ctx: CheckContext, grant: string): ResolvedClient | undefined {
  const registered = ctx.config.clients.filter((c) => c.grantTypes.has(grant as never) && !c.requiresDpop);
  const confidential = ctx.config.clients.filter((c) => c.auth !== 'none' && !c.requiresDpop);
  return registered.find((c) => c.auth !== 'none') ?? registered[0] ?? confidential[0];
}

/**
 * One request for `grant` with nothing of the grant itself (no code, no
 * token, no password): enough to show whether the grant reaches a handler,
 * and nothing a listener could redeem.
 */
async function sendGrant(ctx: CheckContext, grant: string, client: ResolvedClient): Promise<Exchange> {
  return ctx.send(ctx.draft({ client, grant: [['grant_type', grant]], scope: null }));
}

export const metaGrants = truthCheck({
  id: 'meta-grants',
  title: 'advertised grants reach their handler, grants not listed get unsupported_grant_type',
  level: 'MUST',
  reference: 'RFC 8414 §2 (grant_types_supported); RFC 6749 §5.2',
  async run(ctx) {
    const listed = listedOrSkip(ctx, 'grant_types_supported', 'the metadata does not list grant_types_supported (RFC 8414 §2 default: authorization_code, implicit): not judged');
    const notExercised: string[] = [];
    const advertised: Array<{ grant: string; client: ResolvedClient }> = [];
    for (const grant of listed) {
      if (grant === IMPLICIT_GRANT) continue; // RFC 6749 §4.2: the authorization endpoint's, never sent to a token endpoint
      const client = probeClient(ctx, grant);
      if (client === undefined) notExercised.push(`${grant} (no configured client)`);
      else advertised.push({ grant, client });
    }
    const confidential = ctx.config.clients.find((c) => c.auth !== 'none' && !c.requiresDpop);
    if (confidential === undefined) notExercised.push('grants not listed (needs a confidential client: a public one may be refused before its grant is read)');
    const unlisted = confidential === undefined ? [] : WELL_KNOWN_TOKEN_GRANTS.filter((g) => !listed.includes(g)).map((grant) => ({ grant, client: confidential }));
    // Independent probes: sent at once (the connection pool bounds them), judged in order.
    const sent = await Promise.all([...advertised, ...unlisted].map(({ grant, client }) => sendGrant(ctx, grant, client)));
    advertised.forEach(({ grant }, i) => {
      const exchange = sent[i]!;
      // Any answer but unsupported_grant_type shows a handler: invalid_request (no code sent), invalid_grant, unauthorized_client, a token.
      if (errorCode(exchange) === 'unsupported_grant_type') {
        ctx.finding('MUST', `grant_type ${grant} is advertised but answered unsupported_grant_type`, { expected: 'any answer of the grant\'s handler (invalid_request for the missing parameters, unauthorized_client, …)', received: ctx.summarize(exchange.response!), exchangeOf: exchange });
      }
    });
    unlisted.forEach(({ grant }, i) => {
      const exchange = sent[advertised.length + i]!;
      const error = errorCode(exchange);
      if (error === 'unsupported_grant_type') return;
      // unauthorized_client says the grant exists, for other clients: the document is then incomplete, at least.
      ctx.finding(error === 'unauthorized_client' ? 'SHOULD' : 'MUST', `grant_type ${grant}, which the metadata does not list, is answered ${ctx.summarize(exchange.response!)}`, {
        expected: 'unsupported_grant_type (RFC 6749 §5.2: "The authorization grant type is not supported by the authorization server")',
        exchangeOf: exchange,
      });
    });
    ctx.note(`${advertised.length} listed grant${advertised.length === 1 ? '' : 's'} reached a handler, ${unlisted.length} not listed answered unsupported_grant_type`);
    if (notExercised.length > 0) ctx.note(`not judged: ${notExercised.join('; ')}`);
  },
});

export const METADATA_TRUTH_CHECKS = [metaAuthAdvertised, metaAuthUnadvertised, metaDpopAlgs, metaAssertionAlgs, metaGrants];
