/**
 * A token request as a check composes it: an otherwise valid request that
 * the check then breaks in exactly one place. Drafts are plain data with a
 * few small editing functions, serialised to the wire at send time (DPoP
 * proofs and client assertions are signed then, so they carry the current
 * nonce and a fresh jti).
 */
import { applyClientAuth } from '../oauth/client-auth';
import { CLIENT_CREDENTIALS_GRANT, DPOP_HEADER, FORM_MEDIA_TYPE, JSON_MEDIA_TYPE, isMtlsAuthMethod } from '../oauth/protocol';
import type { ClientIdentity } from './http';
import type { SecretSet } from '../oauth/secrets';
import type { AuthMethod, ResolvedClient, ResolvedConfig } from './config';
import type { AssertionSpec, ProofSpec } from './signing';

export interface DpopPlan {
  /** Header field name as sent (`DPoP`; `DPOP` for the case-insensitivity check). */
  headerName: string;
  /** One proof per header field; two entries send the field twice. */
  proofs: ProofSpec[];
  /** Send all proofs in one field, comma-separated (RFC 9449 §4.3 item 2 forbids). */
  joined?: boolean;
}

/** The client assertion to sign at send time, so a nonce retry never resends a used `jti`. */
export interface AssertionPlan {
  client: ResolvedClient;
  spec: AssertionSpec;
}

export interface RequestDraft {
  method: string;
  /** The token endpoint URL; a check may add a query string. */
  url: string;
  headers: Array<[string, string]>;
  /** Body parameters in order (duplicates allowed). */
  params: Array<[string, string]>;
  /** How params are encoded; `raw` sends `rawBody` as is. */
  encoding: 'form' | 'json' | 'raw' | 'none';
  rawBody?: string;
  dpop?: DpopPlan;
  /** Set for private_key_jwt: the empty `client_assertion` parameter is filled in at send time. */
  assertionPlan?: AssertionPlan;
  /** The client certificate presented in the TLS handshake (mutual TLS, RFC 8705); not part of what a report shows. */
  identity?: ClientIdentity;
}

export interface DraftOptions {
  /** The client; `null` sends no client authentication at all. Default: the preferred configured client. */
  client?: ResolvedClient | null;
  /** Authenticate with this method instead of the client's own (for `method-disallowed`). */
  as?: AuthMethod;
  /** Requested scope; `null` sends none. Default: the configured scope for client_credentials, none for another grant. */
  scope?: string | null;
  /**
   * Another grant's parameters instead of `grant_type=client_credentials`,
   * `grant_type` first: the authorization code (RFC 6749 §4.1.3) or refresh
   * token (§6) request of grants.ts.
   */
  grant?: ReadonlyArray<readonly [string, string]>;
  /** A DPoP proof: `true` for a valid one, a spec for one defect, or a full plan. Default: only for clients that require DPoP. */
  dpop?: boolean | ProofSpec | DpopPlan;
  /** Defects of the client assertion (private_key_jwt). */
  assertion?: AssertionSpec;
  encoding?: 'form' | 'json';
  /**
   * Mutual TLS (RFC 8705): to the mTLS token endpoint (config mtlsUrl) with
   * the client's certificate (`true`), another certificate, or none (`null`).
   * Default: for a client authenticating with mutual TLS, its own.
   */
  mtls?: boolean | ClientIdentity | null;
}

/** A client certificate as the HTTP client presents it. */
export function identityOf(certificate: NonNullable<ResolvedClient['certificate']>): ClientIdentity {
  return { id: certificate.thumbprint, certificate: certificate.pem, key: certificate.key };
}

/** A secret that cannot be right: sent where a method needs one the client does not have (a private_key_jwt client tried with Basic). */
const NOT_A_SECRET = 'not-a-secret-client';

/**
 * An otherwise valid token request for `client` (null: no client
 * authentication): `client_credentials` (RFC 6749 §4.4.2) unless
 * `options.grant` gives another grant's parameters. Credentials it carries
 * are registered in `secrets` before anyone can print the draft.
 */
export function draftRequest(config: ResolvedConfig, client: ResolvedClient | null, options: DraftOptions, secrets: SecretSet): RequestDraft {
  const encoding = options.encoding ?? 'form';
  const method = client === null ? undefined : (options.as ?? client.auth);
  // `null` (the mTLS endpoint, no certificate) is a choice: only an absent option takes the default.
  const mtls = options.mtls !== undefined ? options.mtls : method !== undefined && isMtlsAuthMethod(method) ? true : undefined;
  const identity = mtls === true ? (client?.certificate !== undefined ? identityOf(client.certificate) : undefined) : mtls === false || mtls === null || mtls === undefined ? undefined : mtls;
  const draft: RequestDraft = {
    method: 'POST',
    url: mtls !== undefined && mtls !== false ? (config.mtlsUrl ?? config.url) : config.url,
    headers: [
      ['Content-Type', encoding === 'json' ? JSON_MEDIA_TYPE : FORM_MEDIA_TYPE],
      ['Accept', JSON_MEDIA_TYPE],
    ],
    params: options.grant ? options.grant.map(([n, v]) => [n, v] as [string, string]) : [['grant_type', CLIENT_CREDENTIALS_GRANT]],
    encoding,
  };
  const scope = options.scope === undefined ? (options.grant ? undefined : config.scope) : options.scope;
  if (scope !== null && scope !== undefined) draft.params.push(['scope', scope]);
  // Request shaping (config headers, extraParams) goes in first: the check edits the draft after, so its defect wins.
  draft.headers.push(...shapedHeaders(config, client));
  draft.params.push(...config.extraParams);
  if (identity !== undefined) draft.identity = identity;
  if (client && method !== undefined) {
    // The assertion is signed at send time (a fresh jti per attempt): its parameter is a placeholder until then.
    const auth = applyClientAuth(method, { id: client.id, secret: client.secret ?? NOT_A_SECRET, assertion: '' });
    for (const [name, value] of auth.headers) if (name.toLowerCase() === 'authorization') secrets.addAuthorization(value);
    draft.headers.push(...auth.headers);
    draft.params.push(...auth.params);
    if (method === 'private_key_jwt') draft.assertionPlan = { client, spec: options.assertion ?? {} };
  }
  const dpop = options.dpop ?? client?.requiresDpop === true;
  if (dpop !== false) draft.dpop = toDpopPlan(dpop);
  return draft;
}

/**
 * The shaped header fields of a request from `client` (null: none): the
 * global ones, then the client's (the same name, case-insensitive: the
 * client's wins). Their values are registered as secrets by the session.
 */
export function shapedHeaders(config: Pick<ResolvedConfig, 'headers'>, client: Pick<ResolvedClient, 'headers'> | null): Array<[string, string]> {
  const own = client?.headers ?? [];
  const overridden = new Set(own.map(([name]) => name.toLowerCase()));
  return [...config.headers.filter(([name]) => !overridden.has(name.toLowerCase())), ...own].map(([n, v]) => [n, v] as [string, string]);
}

/** `true`, one proof's defects, or a whole plan, as a plan. */
export function toDpopPlan(dpop: true | ProofSpec | DpopPlan): DpopPlan {
  if (dpop === true) return { headerName: DPOP_HEADER, proofs: [{}] };
  if ('proofs' in dpop && Array.isArray((dpop as DpopPlan).proofs)) return dpop as DpopPlan;
  return { headerName: DPOP_HEADER, proofs: [dpop as ProofSpec] };
}

export function setHeader(draft: RequestDraft, name: string, value: string): RequestDraft {
  removeHeader(draft, name);
  draft.headers.push([name, value]);
  return draft;
}

export function removeHeader(draft: RequestDraft, name: string): RequestDraft {
  const lower = name.toLowerCase();
  draft.headers = draft.headers.filter(([n]) => n.toLowerCase() !== lower);
  return draft;
}

export function getHeader(draft: RequestDraft, name: string): string | undefined {
  const lower = name.toLowerCase();
  return draft.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function setParam(draft: RequestDraft, name: string, value: string): RequestDraft {
  const index = draft.params.findIndex(([n]) => n === name);
  if (index >= 0) draft.params[index] = [name, value];
  else draft.params.push([name, value]);
  return draft;
}

export function removeParam(draft: RequestDraft, name: string): RequestDraft {
  draft.params = draft.params.filter(([n]) => n !== name);
  return draft;
}

export function getParam(draft: RequestDraft, name: string): string | undefined {
  return draft.params.find(([n]) => n === name)?.[1];
}

export function addQuery(draft: RequestDraft, name: string, value: string): RequestDraft {
  const url = new URL(draft.url);
  url.searchParams.append(name, value);
  draft.url = url.href;
  return draft;
}

export function encodeBody(draft: RequestDraft): string | undefined {
  switch (draft.encoding) {
    case 'form':
      return new URLSearchParams(draft.params).toString();
    case 'json':
      return JSON.stringify(Object.fromEntries(draft.params));
    case 'raw':
      return draft.rawBody ?? '';
    case 'none':
      return undefined;
  }
}

