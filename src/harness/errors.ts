/**
 * The harness's errors are members of the package's one error family
 * (src/errors.ts); this module keeps the helpers the harness modules share.
 */
import { InvalidArgumentError } from '../errors';

export {
  HarnessError,
  InvalidArgumentError,
  InvalidKeyError,
  SigningError,
  HarnessTimeoutError,
  HarnessConnectionRefusedError,
  HarnessConnectionResetError,
  HarnessHostNotFoundError,
  HarnessTransportError,
} from '../errors';

export function invalidArgument(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
