/**
 * Advertised vs accepted (group `metadata-truth`): what the issuer's
 * metadata says its token endpoint supports is put to the token endpoint.
 * RFC 8414 §2 defines each list as what "this token endpoint" (or "this
 * authorization server") supports, RFC 9449 §5.1 likewise for DPoP: a
 * listed value that is refused makes the document false (MUST). No
 * sentence requires a list to be complete, so a value left out that is
 * accepted anyway only warns (SHOULD): the document undersells the server.
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
import { AUTHORIZATION_CODE_GRANT, CONFIDENTIAL_AUTH_METHODS, SECRET_AUTH_METHODS, isMtlsAuthMethod } from '../../oauth/protocol';
import type { AuthMethod, ResolvedClient } from '../config';
import type { CheckContext } from '../context';
import type { Exchange } from '../exchange';
import { grantClients, obtainCode, sendCode, wantsDpop } from '../grants';
import { DPOP_KEY_ALGORITHMS, generateDpopKey, type DpopKeyAlgorithm, type SigningKey } from '../signing';
import type { Capability } from '../capabilities';
import { check, type Check } from './define';

/**
 * The most values of one list a check probes: a hostile document may list
 * thousands (within its 64 KiB), each one a request; the rest are named as
 * not judged.
 */
export const MAX_PROBED_VALUES = 16;
/** Longer than any registered value: such an entry is no algorithm, method or grant, and is not sent. */
const MAX_VALUE_LENGTH = 200;

/** A member's value when it is a list of strings (meta-types judges any other shape): each value once, at most MAX_PROBED_VALUES of them. */
function listOf(body: Record<string, unknown>, member: string): string[] | undefined {
  const value = body[member];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return undefined;
  return [...new Set(value as string[])].filter((v) => v.length <= MAX_VALUE_LENGTH).slice(0, MAX_PROBED_VALUES);
}

/**
 * Sends independent probes at once (the session's connection pool bounds
 * them) and waits for every one before anything is judged; a probe that
 * failed (rate limited, aborted) then ends the check, none still running.
 */
async function sendAll<T>(probes: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(probes.map((probe) => probe()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
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
      // Mutual TLS (RFC 8705 §2) is spoken with a client configured for it (its certificate), never tried with another's credentials.
      if (!isConfidentialMethod(method) && !isMtlsAuthMethod(method)) {
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
  level: 'SHOULD',
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
      ctx.expectNoToken(exchange, 'SHOULD', `client ${sender.id} authenticating with ${method}, which the metadata does not list`, `a refusal: token_endpoint_auth_methods_supported is ${JSON.stringify(listed)}`);
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
    // RFC 9449 §4.3 item 5: a proof's alg must be one "supported by the application": the list says which.
    const unlisted = COMMON_DPOP_ALGORITHMS.find((alg) => !listed.includes(alg));
    // The probes are independent: sent at once (the session's connection pool bounds them), judged in order.
    const sent = await sendAll([...advertised, ...(unlisted ? [unlisted] : [])].map((alg) => async () => ctx.send(ctx.draft({ dpop: { key: await probeKey(alg) } }))));
    advertised.forEach((alg, i) => ctx.expectToken(sent[i]!, { tokenType: 'DPoP', what: `a proof signed with ${alg}, which the metadata lists` }));
    // Accepted though not listed: the list is incomplete, which no sentence forbids (SHOULD).
    if (unlisted !== undefined) ctx.expectRejection(sent[advertised.length]!, { error: 'invalid_dpop_proof', level: 'SHOULD', what: `a proof signed with ${unlisted}, which the metadata does not list` });
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
    const sent = await sendAll(algorithms.map((alg) => () => ctx.send(ctx.draft({ client, assertion: { alg } }))));
    algorithms.forEach((alg, i) => {
      const exchange = sent[i]!;
      if (!listed.includes(alg)) {
        ctx.expectNoToken(exchange, 'SHOULD', `an assertion of client ${client.id} signed with ${alg}, which the metadata does not list`, `a refusal: token_endpoint_auth_signing_alg_values_supported is ${JSON.stringify(listed)}`);
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

/** A configured client registered for `grant` (config grantTypes), a confidential one first. */
function registeredClient(ctx: CheckContext, grant: string): ResolvedClient | undefined {
  const registered = ctx.config.clients.filter((c) => (c.grantTypes as ReadonlySet<string>).has(grant) && !c.requiresDpop);
  return registered.find((c) => c.auth !== 'none') ?? registered[0];
}

/**
 * One request for `grant` with nothing of the grant itself (no code, no
 * token, no password): enough to show whether the grant reaches a handler,
 * and nothing a listener could redeem.
 */
async function sendGrant(ctx: CheckContext, grant: string, client: ResolvedClient): Promise<Exchange> {
  return ctx.send(ctx.draft({ client, grant: [['grant_type', grant]], scope: null }));
}

/** Answers that show a grant's handler read the request: a token, the grant judged (invalid_grant), a client not allowed it. */
const HANDLED_ERRORS = new Set(['invalid_grant', 'unauthorized_client']);

export const metaGrants = truthCheck({
  id: 'meta-grants',
  title: 'advertised grants reach their handler; grants not listed show no handler',
  level: 'MUST',
  reference: 'RFC 8414 §2 (grant_types_supported); RFC 6749 §5.2',
  async run(ctx) {
    const listed = listedOrSkip(ctx, 'grant_types_supported', 'the metadata does not list grant_types_supported (RFC 8414 §2 default: authorization_code, implicit): not judged');
    const notJudged: string[] = [];
    // Each listed grant, with a client registered for it when the config has one (else a confidential one, only tried:
    // a server may answer unsupported_grant_type to a client not allowed the grant, as IdentityServer does for extension grants).
    const confidential = ctx.config.clients.find((c) => c.auth !== 'none' && !c.requiresDpop);
    const advertised = listed
      // RFC 6749 §4.2: implicit is the authorization endpoint's, never sent to a token endpoint.
      .filter((grant) => grant !== IMPLICIT_GRANT)
      .map((grant) => ({ grant, registered: registeredClient(ctx, grant), client: registeredClient(ctx, grant) ?? confidential }))
      .filter((probe): probe is { grant: string; registered: ResolvedClient | undefined; client: ResolvedClient } => {
        if (probe.client === undefined) notJudged.push(`${probe.grant} (no configured client)`);
        return probe.client !== undefined;
      });
    if (confidential === undefined) notJudged.push('grants not listed (needs a confidential client: a public one may be refused before its grant is read)');
    const unlisted = confidential === undefined ? [] : WELL_KNOWN_TOKEN_GRANTS.filter((g) => !listed.includes(g)).map((grant) => ({ grant, client: confidential }));
    const sent = await sendAll([...advertised, ...unlisted].map(({ grant, client }) => () => sendGrant(ctx, grant, client)));
    advertised.forEach(({ grant, registered, client }, i) => {
      const exchange = sent[i]!;
      // Any answer but unsupported_grant_type shows a handler: invalid_request (no code sent), invalid_grant, unauthorized_client, a token.
      if (errorCode(exchange) !== 'unsupported_grant_type') return;
      if (registered === undefined) {
        notJudged.push(`${grant} (answered unsupported_grant_type for client ${client.id}, which the config does not register for it; list it in the client's grantTypes to judge)`);
        return;
      }
      ctx.finding('MUST', `grant_type ${grant} is advertised but answered unsupported_grant_type, for client ${client.id} registered for it`, {
        expected: "any answer of the grant's handler (invalid_request for the missing parameters, invalid_grant, …)",
        received: ctx.summarize(exchange.response!),
        exchangeOf: exchange,
      });
    });
    unlisted.forEach(({ grant }, i) => {
      const exchange = sent[advertised.length + i]!;
      const error = errorCode(exchange);
      // unsupported_grant_type (RFC 6749 §5.2), or no handler at all (Hydra answers invalid_request): nothing says it is supported.
      if (!issuedToken(exchange) && (error === undefined || !HANDLED_ERRORS.has(error))) return;
      // No sentence requires the list to be complete: a handled grant left out only warns.
      ctx.finding('SHOULD', `grant_type ${grant}, which the metadata does not list, is handled: answered ${ctx.summarize(exchange.response!)}`, {
        expected: 'unsupported_grant_type (RFC 6749 §5.2: "The authorization grant type is not supported by the authorization server"), or list it',
        exchangeOf: exchange,
      });
    });
    ctx.note(`${advertised.length} listed grant${advertised.length === 1 ? '' : 's'} tried, ${unlisted.length} not listed`);
    if (notJudged.length > 0) ctx.note(`not judged: ${notJudged.join('; ')}`);
  },
});

export const METADATA_TRUTH_CHECKS = [metaAuthAdvertised, metaAuthUnadvertised, metaDpopAlgs, metaAssertionAlgs, metaGrants];
