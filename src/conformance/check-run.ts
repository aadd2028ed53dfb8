/**
 * What a check sees while it runs: request drafts built from the
 * configuration (an otherwise valid request, ready to be broken in one
 * place), a sender that records every exchange and handles the DPoP nonce
 * round trip (RFC 9449 §8), and assertions that turn a response into
 * findings at the right level, with the validation core doing the
 * contract's status/header/body rules.
 */
import { validateTokenEndpointResponse, type Problem } from '../validate';
import { redactBody, redactText, scrubText, scrubValue } from '../redact';
import type { AuthMethod, ResolvedClient, ResolvedConfig } from './config';
import { TargetUnreachableError, type WireRequest, type WireResponse } from './http';
import { basicAuthorization, createAssertion, createProof, type AssertionSpec, type ProofSpec } from './jws';
import { curlCommand, encodeBody, FORM_CONTENT_TYPE, redactRequest, type DpopPlan, type RequestDraft } from './request';
import type { Session } from './session';
import type { Check, ExchangeView, Finding, Level, Profile } from './types';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface Exchange {
  checkId: string;
  request: WireRequest;
  response?: WireResponse;
  /** Why there is no response (connection refused, reset, timeout). */
  error?: string;
  /**
   * False for requests the token endpoint's OAuth envelope is not expected
   * to answer (a GET, a body that does not parse): observer checks skip them.
   */
  oauth: boolean;
  /** This exchange repeated the previous one with the server's fresh nonce. */
  nonceRetry: boolean;
}

export interface DraftOptions {
  /** The client; `null` sends no client authentication at all. Default: the preferred configured client. */
  client?: ResolvedClient | null;
  /** Authenticate with this method instead of the client's own (for `method-disallowed`). */
  as?: AuthMethod;
  /** Requested scope; `null` sends none. Default: the configured scope. */
  scope?: string | null;
  /** A DPoP proof: `true` for a valid one, a spec for one defect, or a full plan. Default: only for clients that require DPoP. */
  dpop?: boolean | ProofSpec | DpopPlan;
  /** Defects of the client assertion (private_key_jwt). */
  assertion?: AssertionSpec;
  encoding?: 'form' | 'json';
}

/** The assertion to sign at send time, so a nonce retry never resends a used `jti`. */
interface AssertionPlan {
  client: ResolvedClient;
  spec: AssertionSpec;
}

export interface Draft extends RequestDraft {
  assertionPlan?: AssertionPlan;
}

export interface SendOptions {
  /** Retry once with the server's nonce on `use_dpop_nonce` (default: when the proofs take the run's nonce). */
  nonceRetry?: boolean;
  /** See {@link Exchange.oauth}. Default true. */
  oauth?: boolean;
  /** Resolve with an exchange without response instead of failing the check when the connection fails. */
  allowNoResponse?: boolean;
}

export interface IssuedToken {
  body: Record<string, unknown>;
  accessToken: string;
  tokenType: string;
}

export interface TokenExpectation {
  /** Default: DPoP when the request carried a proof, else Bearer; `any` accepts either. */
  tokenType?: 'Bearer' | 'DPoP' | 'any';
  level?: Level;
  /** What was sent, for messages: "a proof with iat -10 s". */
  what?: string;
}

export interface RejectionExpectation {
  /** Acceptable error codes (RFC 6749 §5.2; RFC 9449 §5, §8). */
  error: string | readonly string[];
  /** Acceptable statuses; default 400. */
  status?: number | readonly number[];
  /** The status the contract requires within the acceptable ones (a CONTRACT finding otherwise). */
  contractStatus?: number;
  /** The `WWW-Authenticate` scheme a 401 must challenge with (RFC 6749 §5.2: the scheme the client used). */
  challenge?: string;
  level?: Level;
  /** What was broken, for messages: "a wrong client secret". */
  what?: string;
}

/** Signals that a check cannot run with this configuration. */
export class SkipCheck extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

/** Body members whose schema rules belong to a dedicated check, so one deviation is reported once. */
const SCHEMA_OWNERS: ReadonlyArray<[RegExp, string]> = [
  [/^\/token_type$/, 'resp-token-type'],
  [/^\/expires_in$/, 'resp-expires'],
  [/^\/scope$/, 'resp-scope'],
  [/^\/cnf(\/|$)/, 'dpop-jkt'],
  [/^\/error$/, 'error-code'],
];
const HEADER_OWNERS: ReadonlyMap<string, string> = new Map([
  ['header.content-type.json', 'resp-ctype'],
  ['header.cache-control.no-store', 'resp-no-store'],
  ['header.pragma.no-cache', 'resp-no-store'],
]);

/** The check a core problem belongs to, when it is not the check that saw it. */
export function problemOwner(problem: Problem): string | undefined {
  const byRule = HEADER_OWNERS.get(problem.rule);
  if (byRule) return byRule;
  if (problem.rule === 'body.schema') return SCHEMA_OWNERS.find(([pattern]) => pattern.test(problem.pointer))?.[1];
  if (problem.rule.startsWith('status.')) return 'status'; // each check judges the status itself
  return undefined;
}

export class CheckRun {
  readonly findings: Finding[] = [];
  readonly exchanges: Exchange[] = [];
  private readonly notes: string[] = [];

  constructor(
    readonly session: Session,
    readonly check: Check,
  ) {}

  get config(): ResolvedConfig {
    return this.session.config;
  }

  get profile(): Profile {
    return this.session.config.profile;
  }

  /** The token endpoint URL (also the DPoP `htu`, RFC 9449 §4.2). */
  get tokenUrl(): string {
    return this.session.config.url;
  }

  /** Why the check passed, for the report (e.g. "405 with Allow: POST"). */
  note(text: string): void {
    this.notes.push(text);
  }

  get passMessage(): string {
    return this.notes.join('; ');
  }

  skip(reason: string): never {
    throw new SkipCheck(reason);
  }

  /** A configured client, by method (or the preferred one: Basic, then post, then private_key_jwt). */
  client(...methods: AuthMethod[]): ResolvedClient {
    const order: AuthMethod[] = methods.length > 0 ? methods : ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    for (const method of order) {
      const client = this.config.clients.find((c) => c.auth === method && !c.requiresDpop) ?? this.config.clients.find((c) => c.auth === method);
      if (client) return client;
    }
    return this.skip(`needs a client using ${order.join(' or ')}`);
  }

  /** An otherwise valid token request for `client_credentials` (RFC 6749 §4.4.2). */
  draft(options: DraftOptions = {}): Draft {
    const client = options.client === undefined ? this.client() : options.client;
    const encoding = options.encoding ?? 'form';
    const draft: Draft = {
      method: 'POST',
      url: this.tokenUrl,
      headers: [
        ['Content-Type', encoding === 'json' ? 'application/json' : FORM_CONTENT_TYPE],
        ['Accept', 'application/json'],
      ],
      params: [['grant_type', 'client_credentials']],
      encoding,
    };
    const scope = options.scope === undefined ? this.config.scope : options.scope;
    if (scope !== null && scope !== undefined) draft.params.push(['scope', scope]);
    if (client) this.authenticate(draft, client, options.as ?? client.auth, options.assertion ?? {});
    const dpop = options.dpop ?? (client?.requiresDpop === true);
    if (dpop !== false) draft.dpop = toPlan(dpop);
    return draft;
  }

  private authenticate(draft: Draft, client: ResolvedClient, method: AuthMethod, assertion: AssertionSpec): void {
    switch (method) {
      case 'client_secret_basic': {
        const value = basicAuthorization(client.id, client.secret ?? 'not-a-secret-client');
        this.session.addAuthorization(value);
        draft.headers.push(['Authorization', value]);
        return;
      }
      case 'client_secret_post':
        draft.params.push(['client_id', client.id], ['client_secret', client.secret ?? 'not-a-secret-client']);
        return;
      case 'private_key_jwt':
        draft.params.push(['client_assertion_type', CLIENT_ASSERTION_TYPE], ['client_assertion', '']);
        draft.assertionPlan = { client, spec: assertion };
        return;
    }
  }

  /** A signed client assertion for `client` (registered as a secret, never shown). */
  async assertion(client: ResolvedClient, spec: AssertionSpec = {}): Promise<string> {
    const key = await this.session.clientKey(client);
    const value = await createAssertion(key, { clientId: client.id, audience: client.audience ?? this.tokenUrl }, spec);
    this.session.addSecret(value);
    return value;
  }

  /** Sends a draft; on `use_dpop_nonce` retries once with the server's nonce (RFC 9449 §8). */
  async send(draft: Draft, options: SendOptions = {}): Promise<Exchange> {
    const first = await this.sendOnce(draft, options, false);
    const retry = options.nonceRetry ?? (draft.dpop !== undefined && draft.dpop.proofs.every((p) => p.nonce === undefined && p.raw === undefined));
    if (retry && first.response && isUseDpopNonce(first.response) && first.response.headers['dpop-nonce']) {
      return this.sendOnce(draft, options, true);
    }
    return first;
  }

  private async sendOnce(draft: Draft, options: SendOptions, nonceRetry: boolean): Promise<Exchange> {
    const request = await this.materialize(draft);
    const exchange: Exchange = { checkId: this.check.id, request, oauth: options.oauth ?? true, nonceRetry };
    this.session.onRequest?.(this.check.id);
    try {
      exchange.response = await this.session.http.send(request);
    } catch (error) {
      if (!(error instanceof TargetUnreachableError)) throw error;
      exchange.error = error.reason;
      if (!options.allowNoResponse) {
        this.record(exchange);
        throw new CheckAborted(`no response from the target: ${error.reason}`, exchange);
      }
    }
    if (exchange.response) {
      this.session.addResponseSecrets(exchange.response.body);
      const nonce = exchange.response.headers['dpop-nonce'];
      // RFC 9449 §8.2: the latest nonce the server provided is the one to use.
      if (nonce && !nonce.includes(',')) this.session.nonce = nonce;
    }
    this.record(exchange);
    return exchange;
  }

  private record(exchange: Exchange): void {
    this.exchanges.push(exchange);
    this.session.journal.push(exchange);
  }

  private async materialize(draft: Draft): Promise<WireRequest> {
    const headers = draft.headers.map(([n, v]) => [n, v] as [string, string]);
    const params = draft.params.map(([n, v]) => [n, v] as [string, string]);
    if (draft.assertionPlan) {
      const value = await this.assertion(draft.assertionPlan.client, draft.assertionPlan.spec);
      for (const pair of params) if (pair[0] === 'client_assertion' && pair[1] === '') pair[1] = value;
    }
    if (draft.dpop) {
      const key = await this.session.dpopKey();
      const htu = stripQueryAndFragment(draft.url);
      const proofs = await Promise.all(draft.dpop.proofs.map((spec) => createProof(key, { htm: draft.method, htu, nonce: this.session.nonce }, spec)));
      // A signed proof is a credential; a deliberate non-JWS (`not-a-jwt`) is not, and stays readable in the report.
      for (const proof of proofs) if (proof.includes('.')) this.session.addSecret(proof);
      if (draft.dpop.joined) headers.push([draft.dpop.headerName, proofs.join(', ')]);
      else for (const proof of proofs) headers.push([draft.dpop.headerName, proof]);
    }
    return { method: draft.method, url: draft.url, headers, body: encodeBody({ ...draft, params }) };
  }

  // ---- findings -------------------------------------------------------

  finding(level: Level, message: string, details: Omit<Finding, 'level' | 'message'> & { exchangeOf?: Exchange } = {}): void {
    const { exchangeOf, ...rest } = details;
    const finding: Finding = { level, message: this.scrub(message), ...rest };
    if (finding.received !== undefined) finding.received = this.scrub(finding.received);
    if (finding.expected !== undefined) finding.expected = this.scrub(finding.expected);
    if (exchangeOf) finding.exchange = this.view(exchangeOf);
    this.findings.push(finding);
  }

  /** Sends a draft that must be answered with a token; see {@link expectToken}. */
  async sendExpectingToken(draft: Draft, expectation: TokenExpectation = {}, options?: SendOptions): Promise<IssuedToken | undefined> {
    return this.expectToken(await this.send(draft, options), expectation);
  }

  /** Sends a draft that must be refused; see {@link expectRejection}. True when it was refused as expected. */
  async sendExpectingRejection(draft: Draft, expectation: RejectionExpectation, options?: SendOptions): Promise<boolean> {
    return this.expectRejection(await this.send(draft, options), expectation);
  }

  /** Expects a token response (RFC 6749 §5.1; RFC 9449 §5 for DPoP); returns the token when one was issued. */
  expectToken(exchange: Exchange, options: TokenExpectation = {}): IssuedToken | undefined {
    const level = options.level ?? this.check.level;
    const res = exchange.response;
    const tokenType = options.tokenType ?? (exchange.request.headers.some(([n]) => n.toLowerCase() === 'dpop') ? 'DPoP' : 'Bearer');
    const what = options.what ?? 'the request';
    if (!res) {
      this.finding(level, `${what}: no response (${exchange.error ?? 'unknown error'})`, { expected: `200 with a ${tokenType} token`, exchangeOf: exchange });
      return undefined;
    }
    const body = isObject(res.body) ? res.body : undefined;
    if (res.status !== 200 || !body || typeof body.access_token !== 'string' || body.access_token === '') {
      const received = this.summarize(res);
      this.finding(level, `${what} was not answered with a token: got ${received}`, { expected: `200 with a ${tokenType} access token`, received, exchangeOf: exchange });
      return undefined;
    }
    const received = typeof body.token_type === 'string' ? body.token_type : undefined;
    // RFC 6749 §5.1: token_type is case-insensitive; the exact spelling is resp-token-type's (CONTRACT) concern.
    if (tokenType !== 'any' && (received === undefined || received.toLowerCase() !== tokenType.toLowerCase())) {
      const reference = tokenType === 'DPoP' ? 'RFC 9449 §5' : 'RFC 6749 §5.1, §7.1';
      this.finding(level, `${what}: token_type must be ${tokenType}`, { expected: tokenType, received: JSON.stringify(body.token_type), reference, exchangeOf: exchange });
    }
    this.coreFindings(exchange, 'success', level);
    return { body, accessToken: body.access_token, tokenType: received ?? '' };
  }

  /** Expects the request to be refused with one of the given error codes (RFC 6749 §5.2). */
  expectRejection(exchange: Exchange, expectation: RejectionExpectation): boolean {
    const level = expectation.level ?? this.check.level;
    const codes = typeof expectation.error === 'string' ? [expectation.error] : expectation.error;
    const statuses = expectation.status === undefined ? [400] : typeof expectation.status === 'number' ? [expectation.status] : expectation.status;
    const expected = `${statuses.join(' or ')} ${codes.join(' or ')}`;
    const what = expectation.what ? ` for ${expectation.what}` : '';
    const res = exchange.response;
    if (!res) {
      this.finding(level, `no response${what} (${exchange.error ?? 'unknown error'})`, { expected, exchangeOf: exchange });
      return false;
    }
    if (!this.expectNoToken(exchange, level, expectation.what, expected)) return false;
    const body = isObject(res.body) ? res.body : undefined;
    let ok = true;
    const code = body?.error;
    const codeOk = typeof code === 'string' && codes.includes(code);
    if (!statuses.includes(res.status) || !codeOk) {
      const wrong = !statuses.includes(res.status) ? (codeOk ? 'wrong status' : 'wrong status and error code') : 'wrong error code';
      const received = this.summarize(res);
      this.finding(level, `${wrong}${what}: got ${received}, expected ${expected}`, { expected, received, reference: codeOk ? undefined : 'RFC 6749 §5.2', exchangeOf: exchange });
      ok = false;
    }
    if (statuses.includes(res.status) && expectation.contractStatus !== undefined && res.status !== expectation.contractStatus) {
      this.finding('CONTRACT', `the contract answers${what} with ${expectation.contractStatus}`, { expected: `${expectation.contractStatus} ${codes.join(' or ')}`, received: this.summarize(res), exchangeOf: exchange });
      ok = false;
    }
    if (res.status === 401 && expectation.challenge !== undefined) {
      const challenge = res.headers['www-authenticate'] ?? '';
      const scheme = expectation.challenge.toLowerCase();
      // RFC 6749 §5.2: "matching the authentication scheme used by the client"; schemes are case-insensitive (RFC 9110 §11.1).
      if (!challengeSchemes(challenge).some((name) => name.toLowerCase() === scheme)) {
        this.finding(level, `a 401 must challenge with the scheme the client used (${expectation.challenge})`, {
          expected: `WWW-Authenticate: ${expectation.challenge} …`,
          received: challenge ? `WWW-Authenticate: ${challenge}` : 'no WWW-Authenticate header',
          reference: 'RFC 6749 §5.2',
          exchangeOf: exchange,
        });
        ok = false;
      }
    }
    // The challenge was judged above with the expected scheme; do not report its absence twice.
    const skipRules = expectation.challenge !== undefined ? ['header.www-authenticate'] : [];
    // Without an Authorization header, RFC 6749 §5.2 allows 401 for invalid_client but names no
    // challenge; RFC 9110 §15.5.2 still wants one on every 401, which OAuth servers often omit
    // (OIDF allows it), so its absence there is a SHOULD, not a MUST.
    const softRules: Record<string, Level> = expectation.challenge === undefined ? { 'header.www-authenticate': 'SHOULD' } : {};
    if (!this.coreFindings(exchange, 'error', level, skipRules, softRules)) ok = false;
    return ok;
  }

  /** A response is a refusal when no token was issued and the status is not a success (a weaker expectation, for requests outside the OAuth envelope). */
  expectNoToken(exchange: Exchange, level: Level = this.check.level, what = 'the request', expected = 'a refusal: no 2xx status, no access_token'): boolean {
    const res = exchange.response;
    if (!res) return true; // a closed connection issues no token
    const body = isObject(res.body) ? res.body : undefined;
    const issued = body !== undefined && typeof body.access_token === 'string';
    if (!issued && (res.status < 200 || res.status >= 300)) return true;
    const message = issued ? `the server issued a token for ${what}; it must refuse the request` : `the server answered ${what} with ${res.status}, a success status; it must refuse the request`;
    this.finding(level, message, { expected, received: this.summarize(res), exchangeOf: exchange });
    return false;
  }

  /** The validation core's problems for a response, redacted, before ownership filtering. */
  coreProblems(exchange: Exchange, kind: 'success' | 'error' | 'any'): Problem[] {
    const res = exchange.response;
    if (!res) return [];
    const result = validateTokenEndpointResponse({ status: res.status, headers: res.headers, body: res.text === '' ? undefined : res.text }, { kind, strict: true });
    return [...result.problems];
  }

  /** Core problems this check owns, as findings at `level`. Returns false when there were any. */
  private coreFindings(
    exchange: Exchange,
    kind: 'success' | 'error',
    level: Level,
    skipRules: readonly string[] = [],
    softRules: Readonly<Record<string, Level>> = {},
  ): boolean {
    // Problems another check owns are reported there, once; owners inspect them explicitly.
    const mine = this.coreProblems(exchange, kind).filter((p) => problemOwner(p) === undefined && !skipRules.includes(p.rule));
    for (const problem of mine) {
      // Body members beyond RFC 6749's required ones are the contract's schema (CONTRACT), except JSON-ness itself (RFC 6749 §5.1, §5.2).
      const contractOnly = problem.rule === 'body.schema' && !/^\/(access_token|token_type|error)?$/.test(problem.pointer);
      const softened = softRules[problem.rule];
      const problemLevel = softened !== undefined ? lower(level, softened) : contractOnly ? lower(level, 'CONTRACT') : level;
      this.finding(problemLevel, problem.message, {
        expected: problem.expected === undefined ? undefined : stringify(problem.expected),
        received: stringify(problem.received),
        exchangeOf: exchange,
      });
    }
    return mine.length === 0;
  }

  // ---- views ------------------------------------------------------------

  scrub(text: string): string {
    return scrubText(text, this.session.secrets);
  }

  /** A response in a few words, for messages; secrets scrubbed. */
  summarize(res: WireResponse): string {
    return summarize(res, (text) => this.scrub(text));
  }

  view(exchange: Exchange): ExchangeView {
    const secrets = this.session.secrets;
    const view: ExchangeView = { request: redactRequest(exchange.request, secrets), curl: curlCommand(exchange.request, secrets) };
    const res = exchange.response;
    if (res) {
      view.response = {
        status: res.status,
        headers: Object.fromEntries(Object.entries(res.headers).map(([n, v]) => [n, scrubText(n === 'set-cookie' ? '[redacted]' : v, secrets)])),
        // A non-JSON body (an error page) may echo credentials in any shape: redactText catches JWTs, header lines and secret pairs.
        body: scrubValue(typeof res.body === 'string' ? redactText(res.body) : redactBody(res.body), [...secrets]),
      };
    }
    return view;
  }
}

/** Thrown when the target stops answering mid-check: the check fails with this message. */
export class CheckAborted extends Error {
  constructor(
    message: string,
    readonly exchange: Exchange,
  ) {
    super(message);
    this.name = 'CheckAborted';
  }
}

function toPlan(dpop: true | ProofSpec | DpopPlan): DpopPlan {
  if (dpop === true) return { headerName: 'DPoP', proofs: [{}] };
  if ('proofs' in dpop && Array.isArray((dpop as DpopPlan).proofs)) return dpop as DpopPlan;
  return { headerName: 'DPoP', proofs: [dpop as ProofSpec] };
}

/**
 * The auth-scheme of each challenge in a WWW-Authenticate value (RFC 9110
 * §11.6.1): commas inside quoted strings do not split, and `name=value`
 * elements are parameters of the challenge before them, not schemes.
 */
export function challengeSchemes(value: string): string[] {
  const elements: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted && ch === '\\') {
      current += ch + (value[i + 1] ?? '');
      i += 1;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      elements.push(current.trim());
      current = '';
    } else current += ch;
  }
  elements.push(current.trim());
  return elements.flatMap((element) => {
    if (/^[^\s=]+\s*=/.test(element)) return []; // auth-param
    const scheme = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s|$)/.exec(element)?.[1];
    return scheme ? [scheme] : [];
  });
}

export function isUseDpopNonce(res: WireResponse): boolean {
  return (res.status === 400 || res.status === 401) && isObject(res.body) && res.body.error === 'use_dpop_nonce';
}

export function stripQueryAndFragment(uri: string): string {
  const url = new URL(uri);
  url.search = '';
  url.hash = '';
  return url.href;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `400 invalid_client ("client authentication failed")`: a response in a few
 * words, never a token. `scrub` runs before anything is cut short, so a cut
 * never leaves half a secret behind.
 */
export function summarize(res: WireResponse, scrub: (text: string) => string = (text) => text): string {
  const body = isObject(res.body) ? res.body : undefined;
  if (body && typeof body.access_token === 'string') return `${res.status} with an access token (token_type ${JSON.stringify(body.token_type)})`;
  if (body && typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? ` (${JSON.stringify(cut(scrub(body.error_description), 160))})` : '';
    return `${res.status} ${cut(scrub(body.error), 80)}${description}`;
  }
  const size = res.text ? `, ${res.text.length} bytes` : ', empty body';
  // Redirects are not followed: a token request must not be replayed to another URL with its credentials.
  if (res.status >= 300 && res.status < 400 && res.headers.location !== undefined) return `${res.status} redirect to ${res.headers.location} (not followed)${size}`;
  return `${res.status} ${res.headers['content-type'] ?? 'no Content-Type'}${size}`;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function lower(a: Level, b: Level): Level {
  const order: Level[] = ['MUST', 'CONTRACT', 'SHOULD', 'MAY'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))]!;
}

function stringify(value: unknown): string {
  if (value === undefined) return 'absent';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
