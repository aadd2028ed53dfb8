/**
 * The one error type the harness throws. Messages name the target and the
 * cause and never carry a secret: callers redact before constructing one.
 */

export type HarnessErrorCode =
  /** Bad input to a harness function (a programming error in the caller). */
  | 'INVALID_ARGUMENT'
  /** A key could not be imported, exported or used for the requested algorithm. */
  | 'INVALID_KEY'
  /** Signing a JWS failed. */
  | 'SIGNING_FAILED'
  /** The target refused the connection. */
  | 'ECONNREFUSED'
  /** The target reset or dropped the connection before answering. */
  | 'ECONNRESET'
  /** The target's host name did not resolve. */
  | 'ENOTFOUND'
  /** No complete response within the configured timeout. */
  | 'TIMEOUT'
  /** Any other transport failure. */
  | 'TRANSPORT';

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;
  /** The (redacted) target the failing request was meant for, when there was one. */
  readonly target: string | undefined;

  constructor(code: HarnessErrorCode, message: string, options: { target?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.target = options.target;
  }
}

export function invalidArgument(message: string): HarnessError {
  return new HarnessError('INVALID_ARGUMENT', message);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
