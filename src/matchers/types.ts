/**
 * Option types of the matchers and the matcher interface the Jest and
 * Vitest typings extend.
 */
import type { TokenErrorCode } from '../openapi';
import type { CertificateInput, DpopKeyInput, ValidationProfile } from '../validate';
import type { RfcTokenErrorCode } from '../oauth/protocol';

// Every optional member also takes `undefined` (read as absent), so a consumer with
// exactOptionalPropertyTypes can pass a value that may be undefined; a binding (dpopKey,
// key, certificate) given as undefined is an error at run time, not a silent no-check.

/**
 * `profile` of every matcher: `attesto` (default, or the one set with configureMatchers) fails on
 * the RFC's MUSTs and the contract's rules; `rfc` fails on MUSTs only and lists contract rules and
 * SHOULDs as warnings (token_type case-insensitive, no body cnf needed, every registered error code).
 */
export interface ProfileOption {
  profile?: ValidationProfile | undefined;
}

/** Error codes of your own (RFC 6749 §8.5 extensions) to accept besides the registered ones. */
export interface ErrorCodesOption {
  errorCodes?: readonly string[] | undefined;
}

export interface TokenResponseOptions extends ProfileOption {
  /** Expected token_type, exactly as the contract's enum spells it. */
  tokenType?: 'Bearer' | 'DPoP' | undefined;
  /** Expected granted scope (the same set of values, any order; RFC 6749 §3.3). */
  scope?: string | undefined;
  /** The DPoP key the token must be bound to (`cnf.jkt`); makes the matcher async: `await expect(...)`. */
  dpopKey?: DpopKeyInput | undefined;
  /**
   * The client certificate the token must be bound to (mutual TLS): the JWT access token's
   * `cnf["x5t#S256"]` is its SHA-256 thumbprint (RFC 8705 §3.1). A PEM, DER bytes, an
   * X509Certificate or the thumbprint; makes the matcher async: `await expect(...)`.
   */
  certificate?: CertificateInput | undefined;
  /** `true`: a refresh_token must be issued (a code or refresh grant); `false`: none may be (RFC 6749 §4.4.3); absent: either. */
  refreshToken?: boolean | undefined;
  /** Default true: no-store/no-cache are required on errors too (the attesto contract's rule; RFC 6749 §5.1 covers token responses). */
  strict?: boolean | undefined;
}

export interface BearerTokenResponseOptions extends ProfileOption {
  scope?: string | undefined;
  strict?: boolean | undefined;
  /** The client certificate the token must be bound to (RFC 8705 §3.1, see TokenResponseOptions); makes the matcher async. */
  certificate?: CertificateInput | undefined;
}

export interface DPoPTokenResponseOptions extends ProfileOption {
  /** The DPoP key the token must be bound to (`cnf.jkt`); makes the matcher async: `await expect(...)`. */
  key?: DpopKeyInput | undefined;
  scope?: string | undefined;
  strict?: boolean | undefined;
}

export interface TokenErrorOptions extends ProfileOption, ErrorCodesOption {
  /** Expected status (or statuses); default any documented error status (400, 401). */
  status?: number | readonly number[] | undefined;
  /** Expected error_description: exact text or a pattern. */
  description?: string | RegExp | undefined;
  /** Default true: `Cache-Control: no-store` and `Pragma: no-cache` required (the attesto contract's rule for errors, as defence in depth). */
  strict?: boolean | undefined;
}

export interface TokenEndpointContractOptions extends ProfileOption, ErrorCodesOption {
  status?: number | readonly number[] | undefined;
  strict?: boolean | undefined;
}

/** What a WHATWG fetch `Response` looks like to the typings (structural, so any realm's Response counts). */
interface FetchResponseShape {
  bodyUsed: boolean;
  clone(): unknown;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A matcher's return type for the received type `T`: a fetch `Response` is
 * read asynchronously, so the matcher returns a Promise to await (and a
 * floating-promise lint rule flags a forgotten `await`).
 */
export type TokenMatcherReturn<R, T> = T extends FetchResponseShape ? Promise<void> : R;

/**
 * The matchers, generic in the return type R of the host framework and the
 * received type T. A matcher returns a Promise (await it) when the received
 * value is a fetch `Response` or a DPoP key is given.
 */
export interface TokenEndpointMatchers<R, T = unknown> {
  /** 200 and a valid `AttestoTokenResponse` bound to `dpopKey`: asynchronous, await it. */
  toMatchTokenResponse(options: TokenResponseOptions & { dpopKey: DpopKeyInput | undefined }): Promise<void>;
  /** 200 and a valid `AttestoTokenResponse` bound to the client `certificate` (RFC 8705 §3.1): asynchronous, await it. */
  toMatchTokenResponse(options: TokenResponseOptions & { certificate: CertificateInput | undefined }): Promise<void>;
  /** 200 and a valid `AttestoTokenResponse`, with the expected token type and scope. */
  toMatchTokenResponse(options?: TokenResponseOptions): TokenMatcherReturn<R, T>;
  /** 200 and a valid `AttestoBearerTokenResponse` bound to the client `certificate` (RFC 8705 §3.1): asynchronous, await it. */
  toMatchBearerTokenResponse(options: BearerTokenResponseOptions & { certificate: CertificateInput | undefined }): Promise<void>;
  /** 200 and a valid `AttestoBearerTokenResponse`. */
  toMatchBearerTokenResponse(options?: BearerTokenResponseOptions): TokenMatcherReturn<R, T>;
  /** 200 and a valid `AttestoDPoPTokenResponse` whose `cnf.jkt` is the RFC 7638 thumbprint of `key`: asynchronous, await it. */
  toMatchDPoPTokenResponse(options: DPoPTokenResponseOptions & { key: DpopKeyInput | undefined }): Promise<void>;
  /** 200 and a valid `AttestoDPoPTokenResponse`. */
  toMatchDPoPTokenResponse(options?: DPoPTokenResponseOptions): TokenMatcherReturn<R, T>;
  /** A documented error status, a valid `AttestoTokenError` with the given code, and the headers it requires. */
  toMatchTokenError(code?: TokenErrorCode, options?: TokenErrorOptions): TokenMatcherReturn<R, T>;
  /** Under the rfc profile: any error code registered for the token endpoint (src/oauth/protocol.ts). */
  toMatchTokenError(code: TokenErrorCode | RfcTokenErrorCode, options: TokenErrorOptions & { profile: 'rfc' }): TokenMatcherReturn<R, T>;
  /** With `errorCodes`: one of them. */
  toMatchTokenError(code: string, options: TokenErrorOptions & { errorCodes: readonly string[] }): TokenMatcherReturn<R, T>;
  /** Any documented outcome, valid for its status. */
  toMatchTokenEndpointContract(options?: TokenEndpointContractOptions): TokenMatcherReturn<R, T>;
}
