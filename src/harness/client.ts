/**
 * `tokenEndpoint(target, options)`: a supertest-based client for
 * `POST /oauth/token` with client authentication (RFC 6749 §2.3, RFC 7523),
 * DPoP proofs (RFC 9449) and the DPoP nonce retry of RFC 9449 §8, for the
 * client_credentials (RFC 6749 §4.4), authorization_code (§4.1.3, with
 * PKCE, RFC 7636 §4.5) and refresh_token (§6) grants.
 */
import * as tls from 'node:tls';
import supertest from 'supertest';
import {
  HarnessConnectionRefusedError,
  HarnessConnectionResetError,
  HarnessError,
  HarnessHostNotFoundError,
  HarnessTimeoutError,
  ClientCertificateError,
  HarnessTransportError,
  InvalidArgumentError,
} from '../errors';
import { applyClientAuth, clientAssertionParams } from '../oauth/client-auth';
import { createClientAssertion, type ClientAssertionOverrides } from '../oauth/client-assertion';
import { MAX_NONCE_RETRIES, NonceTracker, retryNonce } from '../oauth/dpop-nonce';
import { createDpopProof, stripQueryAndFragment, type DpopProofOverrides } from '../oauth/dpop-proof';
import { isPlainObject } from '../oauth/guards';
import { createCodeVerifier } from '../oauth/pkce';
import { generateDpopKey, importSigningKey, isDpopKey, isJwk, type SigningKey, type SigningKeyInput } from '../oauth/keys';
import { DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES } from '../oauth/limits';
import {
  AUTHORIZATION_CODE_GRANT,
  CLIENT_AUTH_METHODS as OAUTH_CLIENT_AUTH_METHODS,
  CLIENT_CREDENTIALS_GRANT,
  DPOP_HEADER,
  DPOP_NONCE_HEADER,
  FORM_MEDIA_TYPE,
  JSON_MEDIA_TYPE,
  OAUTH_PARAMETERS,
  REFRESH_TOKEN_GRANT,
  MTLS_AUTH_METHODS,
  isMtlsAuthMethod,
  isSecretHeader,
  isSecretParameter,
} from '../oauth/protocol';
import { readClientCertificate, type ClientCertificate } from '../oauth/client-certificate';
import { SecretSet } from '../oauth/secrets';
import { classifyTransportError } from '../oauth/transport-error';
import { redactBody, redactHeaders, redactQuery } from '../oauth/redact';
import { scrubAssertionError } from './secrets';
import { describeUrl, ResolvedTarget, type TokenEndpointTarget } from './target';

export { DEFAULT_TIMEOUT_MS };

/**
 * The client-authentication methods the harness speaks: RFC 6749 §2.3.1's,
 * `private_key_jwt` (RFC 7523), `none`, and the mutual-TLS ones (RFC 8705
 * §2), whose certificate goes in the TLS handshake of an https target.
 */
export const CLIENT_AUTH_METHODS = [...OAUTH_CLIENT_AUTH_METHODS, ...MTLS_AUTH_METHODS] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A client certificate (RFC 8705 §2) and its private key, both PEM. */
export interface ClientCertificateInput {
  certificate: string | Buffer;
  /** A secret: never quoted in a message. */
  key: string | Buffer;
}

/** @deprecated until 1.0: the harness's name for {@link SigningKey}. */
type DpopKey = SigningKey;

export interface ClientOptions {
  id: string;
  /** Required for `client_secret_basic` and `client_secret_post`. */
  secret?: string | undefined;
  auth: ClientAuthMethod;
  /** Registered private key, required for `private_key_jwt`. */
  privateKey?: SigningKeyInput | undefined;
  /** Assertion `aud`: the issuer or the token endpoint URL (default: the token endpoint URL). */
  audience?: string | string[] | undefined;
  /** Assertion signing algorithm (default: from the key). */
  alg?: string | undefined;
  /**
   * PEM client certificate presented in the TLS handshake (RFC 8705 §2):
   * required for `tls_client_auth` and `self_signed_tls_client_auth`; a
   * client of another method with one presents it too (certificate-bound
   * tokens, §3). Needs an https target.
   */
  certificate?: string | Buffer | undefined;
  /** The certificate's PEM private key; a secret. */
  certificateKey?: string | Buffer | undefined;
}

/** `true` generates an ES256 key; otherwise the key to sign proofs with. */
export type DpopOption = boolean | SigningKeyInput;

export type HeaderValue = string | string[];
export type ParamValue = string | number | boolean | readonly string[];

export interface TokenEndpointOptions {
  /** Token endpoint path: default `/oauth/token` for servers, apps and bare-origin URLs, else the URL's path and query. */
  path?: string | undefined;
  client?: ClientOptions | undefined;
  dpop?: DpopOption | undefined;
  /** Per-attempt deadline for a complete response (default 10 000 ms). */
  timeoutMs?: number | undefined;
  /** Extra headers for every request (`null` removes a generated one). */
  headers?: Record<string, HeaderValue | null | undefined> | undefined;
  /**
   * PEM certificate(s) to trust for an https URL target signed by a private
   * CA (an https server object handed over is trusted on loopback anyway).
   */
  ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
}

/** What every token request takes: `clientCredentials()`, `authorizationCode()` and `refreshToken()`. */
export interface TokenRequestOptions {
  /**
   * Authenticate as this client for this request only, instead of the
   * configured one: e.g. to redeem a code or refresh token issued to
   * another client (RFC 6749 §4.1.3, §6: refused with invalid_grant).
   */
  client?: ClientOptions | undefined;
  /** Extra or replaced body parameters; `null`/`undefined` removes one (e.g. `grant_type`); arrays repeat it. */
  params?: Record<string, ParamValue | null | undefined> | undefined;
  /** Request body encoding (default `form`; `json` is an attesto extension). */
  contentType?: 'form' | 'json' | undefined;
  /** Override the client's DPoP setting for this request (`false`: no proof). */
  dpop?: DpopOption | undefined;
  /** Extra headers for this request; `null` removes a generated one (e.g. `Authorization`). */
  headers?: Record<string, HeaderValue | null | undefined> | undefined;
  /**
   * On `use_dpop_nonce`, retry with a fresh proof (and client assertion)
   * carrying the challenge's nonce (RFC 9449 §8), again on each further
   * challenge that hands out a nonce other than the one just refused (a
   * server with single-use or N-use nonces, RFC 9449 §8.2): `true` (default)
   * up to MAX_NONCE_RETRIES (3) retries, a number for another bound, `false`
   * or `0` for none. Never when the caller chose the nonce: an explicit
   * `proof.nonce` (a string, `null` or `undefined` given as a key) or an exact
   * `dpopProof` is sent as given and its answer returned, so a negative test
   * gets its `use_dpop_nonce`. To start from a stale nonce and let the harness
   * recover, use `setDpopNonce('stale')` instead.
   */
  nonceRetry?: boolean | number | undefined;
  /** Negative overrides for the generated DPoP proof (`nonce` here is the caller's: see `nonceRetry`). */
  proof?: DpopProofOverrides | undefined;
  /** Send these exact `DPoP` header value(s) instead of a generated proof; an array sends several header lines. */
  dpopProof?: string | string[] | undefined;
  /** Name of the DPoP header (default `DPoP`; header names are case-insensitive, RFC 9110 §5.1). */
  dpopHeaderName?: string | undefined;
  /** Negative overrides for the generated `private_key_jwt` assertion, plus the `client_assertion_type` sent. */
  assertion?: ClientAssertionOverrides & { clientAssertionType?: string } | undefined;
  /** Send this exact `client_assertion` instead of a generated one (e.g. to replay it). */
  clientAssertion?: string | undefined;
  /**
   * The client certificate of this request's handshake instead of the
   * client's (RFC 8705 §2): `false` presents none (a mutual-TLS client
   * without its certificate, refused with invalid_client), or another
   * certificate and key (another client's, one under an untrusted CA).
   */
  clientCertificate?: false | ClientCertificateInput | undefined;
}

export interface ClientCredentialsOptions extends TokenRequestOptions {
  /** `scope` parameter (RFC 6749 §3.3); omitted when undefined, sent empty when `''`. */
  scope?: string | undefined;
}

/**
 * One thing an `authorizationCode()` request can break, each refused by a
 * server that checks it: a verifier that is well-formed but not the one of
 * the challenge (RFC 7636 §4.6, invalid_grant), no verifier (§4.5,
 * invalid_request), a redirect_uri other than the authorization request's
 * (RFC 6749 §4.1.3, invalid_grant), or none when it was in that request
 * (§4.1.3, invalid_request). To redeem with another client, give `client`;
 * any other fault, `params`.
 */
export const AUTHORIZATION_CODE_BREAKS = ['wrong-code-verifier', 'no-code-verifier', 'other-redirect-uri', 'no-redirect-uri'] as const;
export type AuthorizationCodeBreak = (typeof AUTHORIZATION_CODE_BREAKS)[number];

export interface AuthorizationCodeOptions extends TokenRequestOptions {
  /** The authorization code (RFC 6749 §4.1.2). */
  code: string;
  /** The PKCE code verifier whose challenge went to the authorization endpoint (RFC 7636 §4.5). */
  codeVerifier: string;
  /** The redirect_uri of the authorization request, if it named one (RFC 6749 §4.1.3: then it is required, and identical). */
  redirectUri?: string | undefined;
  /** Break one thing of the request (see AUTHORIZATION_CODE_BREAKS). */
  break?: AuthorizationCodeBreak | undefined;
}

export interface RefreshTokenOptions extends TokenRequestOptions {
  /** `scope` (RFC 6749 §6): narrower than the grant's, or omitted for all of it; a wider one is refused (invalid_scope). */
  scope?: string | undefined;
}

/** One token request: its grant, the grant's parameters in order, and the common options. */
interface GrantSpec {
  /** The method name, for messages. */
  what: string;
  grantType: string;
  params: Array<[string, string]>;
  options: TokenRequestOptions;
}

/** A redacted record of a request, safe to print. */
export interface RedactedRequest {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: string;
}

/** What happened during one token request (`clientCredentials()`, `authorizationCode()`, `refreshToken()`). */
export interface TokenExchange {
  /** Token endpoint URL (query redacted). */
  url: string;
  /** Requests sent: 1, plus one per nonce retry (at most 1 + MAX_NONCE_RETRIES by default). */
  attempts: number;
  /** Whether at least one nonce retry happened (`attempts > 1`). */
  dpopNonceRetried: boolean;
  /** The nonce carried by the last proof sent, if any. */
  dpopNonce: string | undefined;
  /** The key that signed the last proof, if one was generated. */
  dpopKey: DpopKey | undefined;
  /** The first `use_dpop_nonce` answer, the one that started the retries (body redacted). */
  firstResponse: { status: number; headers: Record<string, unknown>; body: unknown } | undefined;
  /** The last request sent, redacted. */
  request: RedactedRequest | undefined;
}

export interface HarnessResponse extends supertest.Response {
  dpopNonceRetried: boolean;
  exchange: TokenExchange;
}

/** A supertest `Test` whose response carries the exchange details. */
export interface TokenRequest extends supertest.Test {
  then<TResult1 = HarnessResponse, TResult2 = never>(
    onfulfilled?: ((value: HarnessResponse) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2>;
}

export type RawAgent = ReturnType<typeof supertest>;

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'del'];
const NONCE_HEADER = DPOP_NONCE_HEADER.toLowerCase();

type EndCallback = (err: unknown, res?: supertest.Response) => void;
type AssertFn = (resError: unknown, res: supertest.Response | undefined, fn: EndCallback | undefined) => void;
interface PatchableTest {
  end: (fn?: EndCallback) => unknown;
  assert: AssertFn;
  url: string;
}

interface BuiltAttempt {
  headers: Map<string, { name: string; value: HeaderValue }>;
  body: string;
  /** Every secret the request carries, in every form a server might echo it (for scrubbing messages). */
  secrets: SecretSet;
  proofGenerated: boolean;
  nonceSent: string | undefined;
  dpopKey: DpopKey | undefined;
  redacted: RedactedRequest;
  /** The certificate the handshake presents (RFC 8705 §2), if any. */
  identity: ClientCertificate | undefined;
}

/** Creates a token endpoint client. Throws a `HarnessError` on invalid options. */
export function tokenEndpoint(target: TokenEndpointTarget, options: TokenEndpointOptions = {}): TokenEndpointClient {
  return new TokenEndpointClient(target, options);
}

export class TokenEndpointClient {
  /** Details of the last completed token request. */
  lastExchange: TokenExchange | undefined;
  readonly timeoutMs: number;
  private readonly target: ResolvedTarget;
  private readonly options: TokenEndpointOptions;
  private dpopKeyPromise: Promise<DpopKey> | undefined;
  private resolvedDpopKey: DpopKey | undefined;
  private clientKeyPromise: Promise<DpopKey> | undefined;
  private readonly nonces = new NonceTracker();
  /** Node's roots plus the `ca` option's certificates (superagent's `ca` replaces the roots; a private CA is added to them). */
  private readonly trustedCa: string[] | undefined;

  constructor(target: TokenEndpointTarget, options: TokenEndpointOptions = {}) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new InvalidArgumentError('tokenEndpoint: options must be an object');
    validateClient(options.client);
    validateDpopOption(options.dpop, 'tokenEndpoint: dpop');
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidArgumentError('tokenEndpoint: timeoutMs must be a positive number of milliseconds');
    }
    validateHeaders(options.headers, 'tokenEndpoint: headers');
    if (options.ca !== undefined) this.trustedCa = [...tls.rootCertificates, ...caCertificates(options.ca)];
    this.options = options;
    this.timeoutMs = timeoutMs;
    this.target = new ResolvedTarget(target, options.path);
  }

  /** Absolute token endpoint URL. For apps, known once listening (after `await client.ready()` or a first request). */
  get url(): string {
    const url = this.target.url;
    if (url === undefined) throw new InvalidArgumentError('client.url: the app is not listening yet; await client.ready() first');
    return url;
  }

  /** Path (and query) of the token endpoint, for `raw()` requests. */
  get path(): string {
    return this.target.path;
  }

  /** The client's DPoP key, once generated or imported (after `await client.ready()` or a first request). */
  get dpopKey(): DpopKey | undefined {
    return this.resolvedDpopKey;
  }

  /** The latest `DPoP-Nonce` this target sent (RFC 9449 §8), used in the next proof. */
  get dpopNonce(): string | undefined {
    return this.nonces.current;
  }

  /** Replace or forget the remembered nonce (e.g. to provoke `use_dpop_nonce`). */
  setDpopNonce(nonce: string | undefined): void {
    this.nonces.set(nonce);
  }

  /** Waits until the target listens and the configured keys are imported. */
  async ready(): Promise<this> {
    await this.target.ready;
    if (this.options.dpop !== undefined && this.options.dpop !== false) await this.clientDpopKey();
    if (this.options.client?.auth === 'private_key_jwt') await this.clientSigningKey();
    return this;
  }

  /** Closes a server the harness started for an app (servers passed in are left alone). */
  close(): Promise<void> {
    return this.target.close();
  }

  /**
   * A `client_credentials` token request (RFC 6749 §4.4.2). Returns a
   * supertest `Test`: chain `.expect(...)`, then `await` it.
   */
  clientCredentials(request: ClientCredentialsOptions = {}): TokenRequest {
    const what = 'clientCredentials';
    validateRequest(request, what);
    if (request.scope !== undefined && typeof request.scope !== 'string') throw new InvalidArgumentError('clientCredentials: scope must be a string');
    return this.send({ what, grantType: CLIENT_CREDENTIALS_GRANT, params: request.scope !== undefined ? [[OAUTH_PARAMETERS.scope, request.scope]] : [], options: request });
  }

  /**
   * An `authorization_code` token request (RFC 6749 §4.1.3) with its PKCE
   * verifier (RFC 7636 §4.5): `code`, `redirect_uri` when given and
   * `code_verifier`, then client authentication (a public client, `auth:
   * 'none'`, sends its client_id) and DPoP as for `clientCredentials()`.
   * `break` spoils one of them. `authorizeWithReferenceServer()` returns a
   * `{ code, codeVerifier, redirectUri }` to pass here.
   */
  authorizationCode(request: AuthorizationCodeOptions): TokenRequest {
    const what = 'authorizationCode';
    validateRequest(request, what);
    if (typeof request.code !== 'string' || request.code === '') throw new InvalidArgumentError('authorizationCode: code must be a non-empty string');
    if (typeof request.codeVerifier !== 'string' || request.codeVerifier === '') throw new InvalidArgumentError('authorizationCode: codeVerifier must be a non-empty string (RFC 7636 4.5)');
    if (request.redirectUri !== undefined && (typeof request.redirectUri !== 'string' || request.redirectUri === '')) throw new InvalidArgumentError('authorizationCode: redirectUri must be a non-empty string');
    const broken = request.break;
    if (broken !== undefined && !(AUTHORIZATION_CODE_BREAKS as readonly string[]).includes(broken)) {
      throw new InvalidArgumentError(`authorizationCode: break must be one of ${AUTHORIZATION_CODE_BREAKS.join(', ')}, got ${JSON.stringify(broken)}`);
    }
    // Breaking a redirect_uri that is not sent would send the same request as an honest one.
    if ((broken === 'other-redirect-uri' || broken === 'no-redirect-uri') && request.redirectUri === undefined) {
      throw new InvalidArgumentError(`authorizationCode: break "${broken}" needs a redirectUri`);
    }
    const params: Array<[string, string]> = [[OAUTH_PARAMETERS.code, request.code]];
    if (request.redirectUri !== undefined && broken !== 'no-redirect-uri') {
      // Still well-formed, only not the one of the authorization request (exact match, RFC 9700 §4.1.3).
      params.push([OAUTH_PARAMETERS.redirectUri, broken === 'other-redirect-uri' ? `${request.redirectUri}-other` : request.redirectUri]);
    }
    if (broken !== 'no-code-verifier') {
      // A fresh verifier: well-formed (RFC 7636 §4.1), so the server refuses it for the mismatch alone.
      params.push([OAUTH_PARAMETERS.codeVerifier, broken === 'wrong-code-verifier' ? otherCodeVerifier(request.codeVerifier) : request.codeVerifier]);
    }
    return this.send({ what, grantType: AUTHORIZATION_CODE_GRANT, params, options: request });
  }

  /**
   * A `refresh_token` token request (RFC 6749 §6): `refresh_token` and
   * `scope` when given, then client authentication and DPoP as for
   * `clientCredentials()`. A refresh token bound to a DPoP key (RFC 9449 §5)
   * needs the same key: the client's `dpop` key, or `dpop` here.
   */
  refreshToken(refreshToken: string, request: RefreshTokenOptions = {}): TokenRequest {
    const what = 'refreshToken';
    if (typeof refreshToken !== 'string' || refreshToken === '') throw new InvalidArgumentError('refreshToken: the refresh token must be a non-empty string');
    validateRequest(request, what);
    if (request.scope !== undefined && typeof request.scope !== 'string') throw new InvalidArgumentError('refreshToken: scope must be a string');
    const params: Array<[string, string]> = [[OAUTH_PARAMETERS.refreshToken, refreshToken]];
    if (request.scope !== undefined) params.push([OAUTH_PARAMETERS.scope, request.scope]);
    return this.send({ what, grantType: REFRESH_TOKEN_GRANT, params, options: request });
  }

  /** Sends one token request: built per attempt, retried on a DPoP nonce challenge, every failure scrubbed. */
  private send(spec: GrantSpec): TokenRequest {
    const request = spec.options;
    this.rejectVacuousOverrides(request, spec.what);
    const tokenTest = new supertest.Test(this.target.origin ?? 'http://127.0.0.1', 'post', this.target.path);
    this.configure(tokenTest, this.timeoutMs);
    const test = tokenTest as unknown as PatchableTest;

    const originalEnd = test.end.bind(test);
    const originalAssert = test.assert.bind(test);
    let first: BuiltAttempt | undefined;

    let startedAt = Date.now();
    test.end = (fn?: EndCallback) => {
      startedAt = Date.now();
      this.buildAttempt(spec, undefined).then(
        (attempt) => {
          first = attempt;
          test.url = this.url;
          applyAttempt(tokenTest, attempt);
          originalEnd(fn);
        },
        (error: unknown) => fn?.call(test, error),
      );
      return tokenTest;
    };

    test.assert = (resError, res, fn) => {
      const attempt = first!;
      if (res === undefined || res === null) {
        this.lastExchange = this.exchangeFor(1, attempt, undefined, attempt.secrets);
        return fn?.call(test, this.transportError(resError, attempt.secrets));
      }
      this.rememberNonce(res);
      // One attempt after another while the answers are nonce challenges with fresh nonces (src/oauth/dpop-nonce.ts).
      const step = (attempts: number, current: BuiltAttempt, currentRes: supertest.Response, currentError: unknown, secrets: SecretSet, challenge: supertest.Response | undefined): void => {
        const nonce = this.retryNonce(request, current, currentRes, attempts - 1);
        if (nonce === undefined) return finish(currentError, currentRes, this.exchangeFor(attempts, current, challenge, secrets), secrets, fn);
        const firstChallenge = challenge ?? currentRes;
        this.buildAttempt(spec, nonce).then(
          (retry) => {
            const again = new supertest.Test(this.target.origin!, 'post', this.target.path);
            // A retry gets what is left of the deadline: the whole call stays within timeoutMs.
            this.configure(again, Math.max(1, this.timeoutMs - (Date.now() - startedAt)));
            applyAttempt(again, retry);
            again.end((error: unknown, retryRes?: supertest.Response) => {
              const all = new SecretSet().merge(secrets).merge(retry.secrets);
              if (retryRes === undefined || retryRes === null) {
                this.lastExchange = this.exchangeFor(attempts + 1, retry, firstChallenge, all);
                return fn?.call(test, this.transportError(error, all));
              }
              this.rememberNonce(retryRes);
              step(attempts + 1, retry, retryRes, error, all, firstChallenge);
            });
          },
          (error: unknown) => fn?.call(test, error),
        );
      };
      step(1, attempt, res, resError, attempt.secrets, undefined);
    };

    const finish = (resError: unknown, res: supertest.Response, exchange: TokenExchange, secrets: SecretSet, fn: EndCallback | undefined): void => {
      const tokenResponse = res as HarnessResponse;
      tokenResponse.dpopNonceRetried = exchange.dpopNonceRetried;
      tokenResponse.exchange = exchange;
      this.lastExchange = exchange;
      // supertest's own assert runs the .expect() chain on the final response only.
      originalAssert(resError, res, scrubbingFailures(fn, new SecretSet().merge(secrets).addResponse(res.body)));
    };
    this.mapTimeoutRejection(tokenTest, () => first?.secrets ?? new SecretSet());
    return tokenTest as TokenRequest;
  }

  /**
   * An override that cannot apply would silently turn a negative test into a
   * positive one, so it is a usage error instead.
   */
  private rejectVacuousOverrides(request: TokenRequestOptions, what: string): void {
    if (request.assertion !== undefined && (request.client ?? this.options.client)?.auth !== 'private_key_jwt') {
      throw new InvalidArgumentError(`${what}: assertion overrides need client.auth "private_key_jwt" (use clientAssertion to add an assertion to another method)`);
    }
    const dpop = request.dpop ?? this.options.dpop;
    if (request.proof !== undefined && (dpop === undefined || dpop === false)) {
      throw new InvalidArgumentError(`${what}: proof overrides need DPoP: set dpop (true or a key) on the client or the request`);
    }
    if (request.proof !== undefined && request.dpopProof !== undefined) {
      throw new InvalidArgumentError(`${what}: give either proof overrides or an exact dpopProof, not both`);
    }
  }

  /**
   * superagent rejects `then()` from its abort path on a timeout, before the
   * end() callback runs; map that rejection to the same clear error.
   */
  private mapTimeoutRejection(test: supertest.Test, secrets: () => SecretSet, request?: () => string): void {
    const originalThen = test.then.bind(test);
    (test as { then: unknown }).then = (onFulfilled?: (value: supertest.Response) => unknown, onRejected?: (reason: unknown) => unknown) =>
      originalThen(undefined, (reason: unknown) => {
        const timedOut = typeof reason === 'object' && reason !== null && (reason as { timeout?: unknown }).timeout !== undefined;
        throw timedOut ? this.transportError(reason, secrets(), request?.()) : reason;
      }).then(onFulfilled, onRejected);
  }

  /**
   * A supertest agent bound to the target's origin, for hand-made requests
   * (GET, wrong Content-Type, query-string credentials, duplicate
   * parameters, several `DPoP` lines). Requests get the client's timeout and
   * the same clear transport errors; nothing else is added.
   */
  raw(): RawAgent {
    const agent = supertest(this.target.origin ?? 'http://127.0.0.1');
    return new Proxy(agent, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof property !== 'string' || !HTTP_METHODS.includes(property) || typeof value !== 'function') return value;
        return (path: string) => this.guardRaw((value as (path: string) => supertest.Test).call(object, path), property, path);
      },
    });
  }

  private guardRaw(test: supertest.Test, method: string, path: string): supertest.Test {
    const patchable = test as unknown as PatchableTest;
    this.configure(test, this.timeoutMs);
    const originalEnd = patchable.end.bind(patchable);
    const originalAssert = patchable.assert.bind(patchable);
    patchable.end = (fn?: EndCallback) => {
      this.target.ready.then(
        (origin) => {
          patchable.url = `${origin}${path}`;
          originalEnd(fn);
        },
        (error: unknown) => fn?.call(patchable, error),
      );
      return test;
    };
    const request = () => `${method === 'del' ? 'DELETE' : method.toUpperCase()} ${describeUrl(`${this.target.origin ?? '(app on 127.0.0.1)'}${path}`)}`;
    patchable.assert = (resError, res, fn) => {
      if (res === undefined || res === null) return fn?.call(patchable, this.transportError(resError, secretsOfTest(test), request()));
      originalAssert(resError, res, scrubbingFailures(fn, secretsOfTest(test).addResponse(res.body)));
    };
    this.mapTimeoutRejection(test, () => secretsOfTest(test), request);
    return test;
  }

  /**
   * What every request gets: the deadline, the lenient parser, a bounded
   * response size, and for an https server handed over as an object (a
   * local test server, usually self-signed) trust in its loopback certificate.
   */
  private configure(test: supertest.Test, deadlineMs: number): void {
    test.timeout({ deadline: deadlineMs }).buffer(true).maxResponseSize(MAX_RESPONSE_BYTES);
    test.parse(lenientParser as unknown as Parameters<supertest.Test['parse']>[0]);
    if (this.target.isLocalTls) test.trustLocalhost(true);
    if (this.trustedCa !== undefined) test.ca(this.trustedCa);
  }

  /** The client's own DPoP key: the configured one, or an ES256 key generated once. */
  private async clientDpopKey(): Promise<DpopKey> {
    const option = this.options.dpop;
    this.dpopKeyPromise ??= option === undefined || typeof option === 'boolean' ? generateDpopKey('ES256') : importSigningKey(option);
    this.resolvedDpopKey = await this.dpopKeyPromise;
    return this.resolvedDpopKey;
  }

  private clientSigningKey(): Promise<DpopKey> {
    const client = this.options.client!;
    this.clientKeyPromise ??= importSigningKey(client.privateKey!, client.alg);
    return this.clientKeyPromise;
  }

  /** The assertion key of `client`: the configured client's, imported once, or a per-request client's. */
  private signingKeyOf(client: ClientOptions): Promise<DpopKey> {
    return client === this.options.client ? this.clientSigningKey() : importSigningKey(client.privateKey!, client.alg);
  }

  private async dpopKeyFor(request: TokenRequestOptions): Promise<DpopKey | undefined> {
    const option = request.dpop ?? this.options.dpop;
    if (option === undefined || option === false) return undefined;
    if (request.dpop === undefined || request.dpop === true) return this.clientDpopKey();
    return importSigningKey(request.dpop as SigningKeyInput);
  }

  /** One request of a token request; `retryWith` is the nonce of the challenge a retry answers. */
  private async buildAttempt(spec: GrantSpec, retryWith: string | undefined): Promise<BuiltAttempt> {
    const request = spec.options;
    await this.target.ready;
    const url = this.url;
    const client = request.client ?? this.options.client;
    const secrets = new SecretSet();
    const generated: Record<string, HeaderValue> = {};

    // Body parameters, in the order of RFC 6749 §4.4.2 (§4.1.3, §6) then client authentication (src/oauth/client-auth.ts).
    const params = new Map<string, ParamValue>([[OAUTH_PARAMETERS.grantType, spec.grantType], ...spec.params]);
    if (client !== undefined) {
      let assertion: string | undefined;
      if (client.auth === 'private_key_jwt') {
        const { clientAssertionType: _type, ...overrides } = request.assertion ?? {};
        assertion =
          request.clientAssertion ??
          (await createClientAssertion({ audience: client.audience ?? url, alg: client.alg, ...overrides, clientId: client.id, key: await this.signingKeyOf(client) }));
        secrets.add(assertion);
      }
      const auth = applyClientAuth(client.auth, { id: client.id, secret: client.secret, assertion });
      for (const [name, value] of auth.headers) generated[name] = value;
      for (const [name, value] of auth.params) params.set(name, value);
      secrets.add(client.secret);
      if (request.assertion?.clientAssertionType !== undefined) params.set('client_assertion_type', request.assertion.clientAssertionType);
    }
    // An exact assertion with another method: two authentication methods in one request (RFC 6749 §2.3).
    if (request.clientAssertion !== undefined && client?.auth !== 'private_key_jwt') {
      for (const [name, value] of clientAssertionParams(request.clientAssertion)) params.set(name, value);
      secrets.add(request.clientAssertion);
    }
    for (const [name, value] of Object.entries(request.params ?? {})) {
      if (value === null || value === undefined) params.delete(name);
      else params.set(name, value);
    }
    // A code, its verifier, a refresh token (src/oauth/protocol.ts SECRET_PARAMETERS): scrubbed wherever the server echoes them.
    for (const [name, value] of params) {
      if (!isSecretParameter(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) if (typeof item === 'string') secrets.add(item);
    }
    const contentType = request.contentType ?? 'form';
    const body = contentType === 'json' ? JSON.stringify(Object.fromEntries(params)) : encodeForm(params);
    generated['Content-Type'] = contentType === 'json' ? JSON_MEDIA_TYPE : FORM_MEDIA_TYPE;

    // DPoP proof (RFC 9449 §4.2), or the exact header values the caller gave.
    const dpopHeaderName = request.dpopHeaderName ?? DPOP_HEADER;
    let proofGenerated = false;
    let nonceSent: string | undefined;
    let dpopKey: DpopKey | undefined;
    if (request.dpopProof !== undefined) {
      generated[dpopHeaderName] = request.dpopProof;
      for (const proof of Array.isArray(request.dpopProof) ? request.dpopProof : [request.dpopProof]) secrets.add(proof);
    } else {
      dpopKey = await this.dpopKeyFor(request);
      if (dpopKey !== undefined) {
        const { htu, htm, nonce: nonceOverride, claims, ...overrides } = request.proof ?? {};
        const nonce = retryWith !== undefined ? retryWith : callerChoseNonce(request) ? nonceOverride : this.nonces.current;
        const proof = await createDpopProof({
          ...overrides,
          key: dpopKey,
          htm: htm ?? 'POST',
          htu: stripQueryAndFragment(url),
          nonce: nonce ?? undefined,
          // An `htu` override is a deliberate fault: send it verbatim, not normalised.
          claims: htu === undefined ? claims : { ...claims, htu },
        });
        generated[dpopHeaderName] = proof;
        secrets.add(proof);
        proofGenerated = true;
        nonceSent = typeof nonce === 'string' ? nonce : undefined;
      }
    }

    // The certificate of the handshake (RFC 8705 §2): the request's choice, else the client's.
    const identity = request.clientCertificate === false ? undefined : request.clientCertificate !== undefined ? certificateInputOf(request.clientCertificate, `${spec.what}: clientCertificate`) : client !== undefined ? clientCertificateOf(client) : undefined;
    if (identity !== undefined && !url.startsWith('https:')) {
      throw new InvalidArgumentError(`${spec.what}: a client certificate is presented in a TLS handshake (RFC 8705 §2): the target ${describeUrl(url)} is not https`);
    }

    const headers = mergeHeaders(generated, this.options.headers, request.headers);
    const plainHeaders: Record<string, unknown> = {};
    for (const { name, value } of headers.values()) {
      plainHeaders[name] = value;
      if (!isSecretHeader(name)) continue;
      for (const item of Array.isArray(value) ? value : [value]) /^(proxy-)?authorization$/i.test(name) ? secrets.addAuthorization(item) : secrets.add(item);
    }
    const redacted: RedactedRequest = {
      method: 'POST',
      url: describeUrl(url),
      headers: redactHeaders(plainHeaders),
      body: contentType === 'json' ? JSON.stringify(redactBody(Object.fromEntries(params))) : redactQuery(body),
    };
    return { headers, body, secrets, proofGenerated, nonceSent, dpopKey, redacted, identity };
  }

  /**
   * The nonce to retry with (src/oauth/dpop-nonce.ts): the answer is a nonce
   * challenge with a fresh nonce to a proof the harness generated with a
   * nonce the caller did not choose, and the retries left allow it.
   */
  private retryNonce(request: TokenRequestOptions, attempt: BuiltAttempt, res: supertest.Response, retriesSoFar: number): string | undefined {
    if (!attempt.proofGenerated || callerChoseNonce(request)) return undefined;
    const max = request.nonceRetry === undefined || request.nonceRetry === true ? MAX_NONCE_RETRIES : request.nonceRetry === false ? 0 : request.nonceRetry;
    return retryNonce({ status: res.status, body: res.body as unknown, nonceHeader: headerOf(res, NONCE_HEADER) }, attempt.nonceSent, retriesSoFar, max);
  }

  private rememberNonce(res: supertest.Response): void {
    // RFC 9449 §8.2: a server may send a new nonce on any response; the client uses the latest.
    this.nonces.observe(headerOf(res, NONCE_HEADER));
  }

  private exchangeFor(attempts: number, attempt: BuiltAttempt, firstResponse: supertest.Response | undefined, secrets: SecretSet): TokenExchange {
    return {
      url: this.target.describe(),
      attempts,
      dpopNonceRetried: attempts > 1,
      dpopNonce: attempt.nonceSent,
      dpopKey: attempt.dpopKey,
      firstResponse:
        firstResponse === undefined
          ? undefined
          : {
              status: firstResponse.status,
              // A server may echo the request: scrub what it carried, not only what looks secret.
              headers: secrets.scrubValue(redactHeaders(firstResponse.headers as Record<string, unknown>)) as Record<string, unknown>,
              body: secrets.scrubValue(redactBody(firstResponse.body)),
            },
      request: attempt.redacted,
    };
  }

  /** A transport failure as a `HarnessError` naming the target and the cause (src/oauth/transport-error.ts), with secrets scrubbed. */
  private transportError(error: unknown, secrets: SecretSet, target = `POST ${this.target.describe()}`): HarnessError {
    if (error instanceof HarnessError) return error;
    const failure = classifyTransportError(error);
    // What the request carried, the target's query string included: scrubbed from the message and from the cause it keeps.
    const scrub = new SecretSet().merge(secrets);
    const queryStart = this.target.path.indexOf('?');
    if (queryStart !== -1) scrub.addParameters(this.target.path.slice(queryStart + 1));
    const options = { target, cause: scrubAssertionError(error, scrub) };
    switch (failure.kind) {
      case 'timeout':
        return new HarnessTimeoutError(`${target}: no response: timeout after ${this.timeoutMs} ms`, options);
      case 'refused':
        return new HarnessConnectionRefusedError(`${target}: connection refused (ECONNREFUSED)`, options);
      case 'reset':
        return new HarnessConnectionResetError(`${target}: connection reset before a complete response (${failure.code ?? 'ECONNRESET'})`, options);
      case 'host-not-found':
        return new HarnessHostNotFoundError(`${target}: host not found (${failure.code})`, options);
      case 'too-large':
        return new HarnessTransportError(`${target}: response body larger than ${MAX_RESPONSE_BYTES} bytes`, options);
      case 'malformed':
        return new HarnessTransportError(`${target}: malformed HTTP response (${failure.code})`, options);
      case 'tls':
        return new HarnessTransportError(`${target}: TLS certificate not trusted (${failure.code}); for a URL target, trust its CA (the ca option, or NODE_EXTRA_CA_CERTS)`, options);
      default:
        // The last resort quotes the cause.
        return new HarnessTransportError(`${target}: request failed: ${scrub.scrub(failure.code ?? failure.words)}`, options);
    }
  }
}

/**
 * Response parser for every harness request: the payload is kept as `text`,
 * and `body` is the parsed JSON when the media type is JSON and the payload
 * parses, `{}` otherwise (as superagent does for other types). A malformed
 * JSON body is a server defect to report, not a transport error to throw.
 */
function lenientParser(res: NodeJS.ReadableStream & { text?: string; headers?: Record<string, unknown> }, done: (error: null, body: unknown) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => {
    res.text = text;
    const type = String(res.headers?.['content-type'] ?? '');
    let body: unknown = {};
    if (/^application\/([\w.+-]*\+)?json\b/i.test(type) && text.trim() !== '') {
      try {
        body = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
      } catch {
        body = {};
      }
    }
    done(null, body);
  });
}

/** An explicit `proof.nonce` (even `null` or `undefined`, given as a key) is the caller's: sent as given, never retried. */
function callerChoseNonce(request: TokenRequestOptions): boolean {
  return request.proof !== undefined && 'nonce' in request.proof;
}

function applyAttempt(test: supertest.Test, attempt: BuiltAttempt): void {
  for (const { name, value } of attempt.headers.values()) test.set(name, value as string);
  // Node's https agent pools connections by certificate and key: a request never rides a connection made with another identity.
  if (attempt.identity !== undefined) test.cert(attempt.identity.pem).key(attempt.identity.key);
  // superagent gives a string body a Content-Type of its own and serializes anything else by
  // Content-Type: send a string when there is one, a Buffer (left untouched) when it was removed.
  test.send(attempt.headers.has('content-type') ? attempt.body : Buffer.from(attempt.body, 'utf8'));
}

function encodeForm(params: Map<string, ParamValue>): string {
  const form = new URLSearchParams();
  for (const [name, value] of params) {
    if (Array.isArray(value)) for (const item of value) form.append(name, String(item));
    else form.append(name, String(value));
  }
  return form.toString();
}

/** Case-insensitive merge; later layers win, `null`/`undefined` removes. */
function mergeHeaders(...layers: Array<Record<string, HeaderValue | null | undefined> | undefined>): Map<string, { name: string; value: HeaderValue }> {
  const merged = new Map<string, { name: string; value: HeaderValue }>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) {
      const key = name.toLowerCase();
      if (value === null || value === undefined) merged.delete(key);
      else merged.set(key, { name, value });
    }
  }
  return merged;
}

function headerOf(res: supertest.Response, name: string): string | undefined {
  const value: unknown = (res.headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/** The secrets a `raw()` request carries: credential headers and secret body parameters, in every echo form. */
function secretsOfTest(test: supertest.Test): SecretSet {
  const { header = {}, _data: data } = test as unknown as { header?: Record<string, unknown>; _data?: unknown };
  const secrets = new SecretSet().addParameters(data);
  for (const [name, value] of Object.entries(header)) {
    if (!isSecretHeader(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item === 'string') /^(proxy-)?authorization$/i.test(name) ? secrets.addAuthorization(item) : secrets.add(item);
    }
  }
  return secrets;
}

/** An end callback whose assertion failures are scrubbed of the given secrets before anyone sees them. */
function scrubbingFailures(fn: EndCallback | undefined, secrets: SecretSet): EndCallback | undefined {
  if (fn === undefined) return undefined;
  return function (this: unknown, error: unknown, res?: supertest.Response) {
    fn.call(this, error === null || error === undefined ? error : scrubAssertionError(error, secrets), res);
  };
}

function validateClient(client: ClientOptions | undefined, where = 'tokenEndpoint: client'): void {
  if (client === undefined) return;
  if (!isPlainObject(client)) throw new InvalidArgumentError(`${where} must be an object`);
  if (typeof client.id !== 'string' || client.id === '') throw new InvalidArgumentError(`${where}.id must be a non-empty string`);
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(client.auth)) {
    throw new InvalidArgumentError(`${where}.auth must be one of ${CLIENT_AUTH_METHODS.join(', ')}, got ${JSON.stringify(client.auth)}`);
  }
  if ((client.auth === 'client_secret_basic' || client.auth === 'client_secret_post') && typeof client.secret !== 'string') {
    throw new InvalidArgumentError(`${where}.secret (a string) is required for ${client.auth}`);
  }
  if (isMtlsAuthMethod(client.auth) && (client.secret !== undefined || client.privateKey !== undefined)) {
    // It would be sent nowhere: the certificate authenticates (RFC 8705 §2).
    throw new InvalidArgumentError(`${where}: ${client.auth} authenticates with its certificate: no secret or privateKey`);
  }
  if (isMtlsAuthMethod(client.auth) || client.certificate !== undefined || client.certificateKey !== undefined) {
    if (client.certificate === undefined || client.certificateKey === undefined) {
      throw new InvalidArgumentError(`${where}: ${isMtlsAuthMethod(client.auth) ? `${client.auth} needs` : 'give'} certificate and certificateKey (PEM)`);
    }
    clientCertificateOf(client, where);
  }
  if (client.auth === 'private_key_jwt' && !(isDpopKey(client.privateKey) || isJwk(client.privateKey) || isKeyObjectLike(client.privateKey))) {
    throw new InvalidArgumentError(`${where}.privateKey (a private JWK or key object) is required for private_key_jwt`);
  }
  if (client.audience !== undefined && typeof client.audience !== 'string' && !Array.isArray(client.audience)) {
    throw new InvalidArgumentError(`${where}.audience must be a string or an array of strings`);
  }
}

/** The `ca` option as PEM certificate texts; a path or other text is a clear error, never a later "not trusted". */
function caCertificates(ca: unknown): string[] {
  const items: unknown[] = Array.isArray(ca) ? ca : [ca];
  return items.map((item, i) => {
    const text = typeof item === 'string' ? item : Buffer.isBuffer(item) ? item.toString('utf8') : undefined;
    if (text === undefined || !text.includes('-----BEGIN CERTIFICATE-----')) {
      throw new InvalidArgumentError(`tokenEndpoint: ca${Array.isArray(ca) ? `[${i}]` : ''} must be PEM certificate text (a string or Buffer; read a file first), got ${typeof item === 'string' ? 'text that is no PEM certificate' : typeof item}`);
    }
    return text;
  });
}

/** Client certificates read once per options object (their PEM parsed and the pair checked). */
const CERTIFICATES = new WeakMap<object, ClientCertificate>();

/** The client's certificate, read once; undefined when it has none. */
function clientCertificateOf(client: ClientOptions, where = 'client'): ClientCertificate | undefined {
  if (client.certificate === undefined || client.certificateKey === undefined) return undefined;
  return certificateInputOf({ certificate: client.certificate, key: client.certificateKey }, where, client);
}

function certificateInputOf(input: ClientCertificateInput, where: string, owner: object = input): ClientCertificate {
  const known = CERTIFICATES.get(owner);
  if (known !== undefined) return known;
  if (!isPlainObject(input) || !isPem(input.certificate) || !isPem(input.key)) throw new InvalidArgumentError(`${where}: give the certificate and its key as PEM strings or Buffers`);
  let read: ClientCertificate;
  try {
    read = readClientCertificate(String(input.certificate), String(input.key));
  } catch (error) {
    if (!(error instanceof ClientCertificateError)) throw error;
    throw new ClientCertificateError(`${where}: ${error.message}`, error.problem, { cause: error });
  }
  CERTIFICATES.set(owner, read);
  return read;
}

function isPem(value: unknown): value is string | Buffer {
  return typeof value === 'string' || Buffer.isBuffer(value);
}

function validateDpopOption(option: unknown, where: string): void {
  if (option === undefined || typeof option === 'boolean') return;
  if (isDpopKey(option) || isJwk(option) || isKeyObjectLike(option)) return;
  throw new InvalidArgumentError(`${where} must be true, false, a DpopKey, a private JWK or a private key object`);
}

function validateHeaders(headers: unknown, where: string): void {
  if (headers === undefined) return;
  if (!isPlainObject(headers)) throw new InvalidArgumentError(`${where} must be an object of header names to values`);
  for (const [name, value] of Object.entries(headers)) {
    if (value === null || value === undefined || typeof value === 'string') continue;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) continue;
    throw new InvalidArgumentError(`${where}: header ${JSON.stringify(name)} must be a string or an array of strings`);
  }
}

function validateRequest(request: TokenRequestOptions, what: string): void {
  if (!isPlainObject(request)) throw new InvalidArgumentError(`${what}: options must be an object`);
  if (request.contentType !== undefined && request.contentType !== 'form' && request.contentType !== 'json') {
    throw new InvalidArgumentError(`${what}: contentType must be "form" or "json" (use raw() for any other media type)`);
  }
  if (request.params !== undefined && !isPlainObject(request.params)) throw new InvalidArgumentError(`${what}: params must be an object`);
  validateDpopOption(request.dpop, `${what}: dpop`);
  validateHeaders(request.headers, `${what}: headers`);
  if (request.dpopProof !== undefined && typeof request.dpopProof !== 'string' && !Array.isArray(request.dpopProof)) {
    throw new InvalidArgumentError(`${what}: dpopProof must be a string or an array of strings`);
  }
  if (request.nonceRetry !== undefined && typeof request.nonceRetry !== 'boolean' && !(typeof request.nonceRetry === 'number' && Number.isInteger(request.nonceRetry) && request.nonceRetry >= 0)) {
    throw new InvalidArgumentError(`${what}: nonceRetry must be a boolean or a non-negative integer (the most retries)`);
  }
  if (request.proof !== undefined && !isPlainObject(request.proof)) throw new InvalidArgumentError(`${what}: proof must be an object`);
  if (request.assertion !== undefined && !isPlainObject(request.assertion)) throw new InvalidArgumentError(`${what}: assertion must be an object`);
  if (request.client !== undefined) validateClient(request.client as ClientOptions, `${what}: client`);
  if (request.clientCertificate !== undefined && request.clientCertificate !== false) certificateInputOf(request.clientCertificate as ClientCertificateInput, `${what}: clientCertificate`);
}

/** A well-formed code verifier (RFC 7636 §4.1) that is not `verifier`. */
function otherCodeVerifier(verifier: string): string {
  let other = createCodeVerifier();
  while (other === verifier) other = createCodeVerifier();
  return other;
}

function isKeyObjectLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'private';
}
