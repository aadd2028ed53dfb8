/**
 * The package's one error family, modelled on jose's `JOSEError` and
 * undici's errors: every failure a user can meet is an `AttestoError`
 * whose `code` is stable (the class's static `code`, also on each
 * instance), so callers and the CLI branch on `error.code` or
 * `instanceof`, never on message text. An underlying error travels as
 * `{ cause }` (an Error object, never a string).
 *
 * Messages never carry a secret: whoever constructs one redacts first.
 *
 * Imports nothing: every other module may depend on this one.
 */

export interface AttestoErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
}

export class AttestoError extends Error {
  /** A stable, machine-readable code: `ERR_` and the kind of failure. */
  static code = 'ERR_ATTESTO';
  /** The stable code of this error's class (see the static `code`). */
  readonly code: string;

  constructor(message: string, options: AttestoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as typeof AttestoError).code;
  }
}

// ---- configuration and usage ----------------------------------------------

/** A configuration that cannot work (suite config, config file, flags); the message names the member, never a secret's value. */
export class ConfigError extends AttestoError {
  static override code = 'ERR_CONFIG';
}

/**
 * An issuer whose metadata cannot configure a run (config `issuer`,
 * --issuer): no document, a redirect, HTML, not a JSON object, too large,
 * or an `issuer` other than the one asked for (RFC 8414 §3.3). A
 * ConfigError: like any configuration that cannot work, it ends the run
 * before any check (exit 2).
 */
export class DiscoveryError extends ConfigError {
  static override code = 'ERR_DISCOVERY';
}

/** A reference-server configuration that cannot work. */
export class ServerConfigError extends ConfigError {
  static override code = 'ERR_SERVER_CONFIG';
}

/** A bad command line: the CLI prints one line and exits 2. */
export class UsageError extends AttestoError {
  static override code = 'ERR_USAGE';
  /** Whether to point at `--help`; false when the flag was well formed and the problem lies outside (an unwritable --out path). */
  readonly showHelpHint: boolean;

  constructor(message: string, showHelpHint = true, options: AttestoErrorOptions = {}) {
    super(message, options);
    this.showHelpHint = showHelpHint;
  }
}

// ---- the contract fragment and validation ---------------------------------

/** `mergeInto` found a different definition at a place the fragment needs. */
export class FragmentConflictError extends AttestoError {
  static override code = 'ERR_FRAGMENT_CONFLICT';

  constructor(
    message: string,
    /** Where in the host document (a JSON pointer-like path). */
    readonly location: string,
  ) {
    super(message);
  }
}

/** An expectation given to the validator or a matcher that cannot be met by any response (a programming error in the test). */
export class InvalidExpectationError extends AttestoError {
  static override code = 'ERR_INVALID_EXPECTATION';
}

// ---- keys, signing and the request harness --------------------------------

/** Errors of the request harness and of the signing functions it exports (proofs, assertions, keys). */
export class HarnessError extends AttestoError {
  static override code = 'ERR_HARNESS';
  /** The (redacted) target the failing request was meant for, when there was one. */
  readonly target: string | undefined;

  constructor(message: string, options: AttestoErrorOptions & { target?: string } = {}) {
    super(message, options);
    this.target = options.target;
  }
}

/** Bad input to a function of the package (a programming error in the caller). */
export class InvalidArgumentError extends HarnessError {
  static override code = 'ERR_INVALID_ARGUMENT';
}

/** A key that cannot be imported, exported or used for the requested algorithm. */
export class InvalidKeyError extends HarnessError {
  static override code = 'ERR_INVALID_KEY';
}

/** Which part of a client certificate pair was wrong: the certificate, the key, or that the key is not the certificate's. */
export type ClientCertificateProblem = 'certificate' | 'key' | 'pair';

/** A mutual-TLS client certificate or its key that cannot be used (RFC 8705 §2); the message never quotes the key. */
export class ClientCertificateError extends InvalidKeyError {
  static override code = 'ERR_CLIENT_CERTIFICATE';
  readonly problem: ClientCertificateProblem;

  constructor(message: string, problem: ClientCertificateProblem, options: AttestoErrorOptions = {}) {
    super(message, options);
    this.problem = problem;
  }
}

/** Signing a JWS failed. */
export class SigningError extends HarnessError {
  static override code = 'ERR_SIGNING_FAILED';
}

/** No complete response within the configured timeout. */
export class HarnessTimeoutError extends HarnessError {
  static override code = 'ERR_HARNESS_TIMEOUT';
}

/** The target refused the connection. */
export class HarnessConnectionRefusedError extends HarnessError {
  static override code = 'ERR_HARNESS_CONNECTION_REFUSED';
}

/** The target reset or dropped the connection before a complete response. */
export class HarnessConnectionResetError extends HarnessError {
  static override code = 'ERR_HARNESS_CONNECTION_RESET';
}

/** The target's host name did not resolve. */
export class HarnessHostNotFoundError extends HarnessError {
  static override code = 'ERR_HARNESS_HOST_NOT_FOUND';
}

/** Any other transport failure (TLS, a malformed or oversized response, a server that cannot start). */
export class HarnessTransportError extends HarnessError {
  static override code = 'ERR_HARNESS_TRANSPORT';
}

// ---- the conformance suite ------------------------------------------------

/** The target could not be reached or did not answer: a run-level problem, not a check result. */
export class TargetUnreachableError extends AttestoError {
  static override code = 'ERR_TARGET_UNREACHABLE';

  constructor(
    /** The origin that was asked (`https://staging.example.com`). */
    readonly target: string,
    /** Why, in words a newcomer reads and a search engine finds: `connection refused (ECONNREFUSED)`. */
    readonly reason: string,
    options: AttestoErrorOptions = {},
  ) {
    super(`cannot reach ${target}: ${reason}`, options);
  }
}

/**
 * The proxy the run goes through (config `proxy`, --proxy, HTTPS_PROXY /
 * HTTP_PROXY) did not open the tunnel to the target (RFC 9110 §9.3.6
 * CONNECT): it cannot be reached, refused (407, 403, 502, …), or never
 * answered. The target was never asked, so the message names the proxy:
 * `proxy http://proxy.example:3128 refused the tunnel to staging.example:443:
 * 407 Proxy Authentication Required`. A TargetUnreachableError: the run
 * cannot start either way.
 */
export class ProxyTunnelError extends TargetUnreachableError {
  static override code = 'ERR_PROXY_TUNNEL';
  /** The status of the proxy's answer to CONNECT, when it answered one. */
  readonly status: number | undefined;

  constructor(
    /** The proxy without credentials (`http://proxy.example:3128`). */
    readonly proxy: string,
    target: string,
    /** What the proxy did, after its name: `refused the tunnel to staging.example:443: 407 Proxy Authentication Required`. */
    reason: string,
    options: AttestoErrorOptions & { status?: number } = {},
  ) {
    super(target, reason, options);
    this.status = options.status;
    this.message = `proxy ${proxy} ${reason}`;
  }
}

/** A failing conformance check in the Jest entry: its findings (redacted) are the message. */
export class ConformanceCheckFailure extends AttestoError {
  static override code = 'ERR_CONFORMANCE_CHECK_FAILED';
}

/**
 * A configured source of authorization codes or refresh tokens (a command,
 * a function) did not give one: the check that asked cannot run. The
 * message never holds what the source printed (it carries credentials).
 */
export class GrantSourceError extends AttestoError {
  static override code = 'ERR_GRANT_SOURCE';
}

/** The Jest entry was called where there is no test framework (outside a test file, without `options.api`). */
export class NoTestFrameworkError extends AttestoError {
  static override code = 'ERR_NO_TEST_FRAMEWORK';
}

/** A listening socket could not be opened (the reference server, a harness-started app). */
export class ListenError extends AttestoError {
  static override code = 'ERR_LISTEN';
}

/** A bug of the package itself (a schema that does not compile): please report it. */
export class InternalError extends AttestoError {
  static override code = 'ERR_INTERNAL';
}

/**
 * @deprecated until 1.0: use `ConfigError` (same class; `code` is `ERR_CONFIG`).
 */
export const ConformanceConfigError = ConfigError;
/** @deprecated until 1.0: use `ConfigError`. */
export type ConformanceConfigError = ConfigError;

