/**
 * 429 Too Many Requests and 503 Service Unavailable are no verdict on the
 * rule a check tests: a staging server (or the gateway in front of it) that
 * sheds load says nothing about how it would have answered. The sender
 * waits what `Retry-After` asks (RFC 9110 §10.2.3), within bounds, and
 * resends once; a target still limiting makes the check `inconclusive`
 * (the runner catches {@link RateLimited}), never a pass or a failure.
 */
import type { Exchange } from './exchange';

/** The statuses that say "not now" rather than answer the request (RFC 6585 §4; RFC 9110 §15.6.4). */
export const RATE_LIMIT_STATUSES: readonly number[] = Object.freeze([429, 503]);

/** The longest a check waits for a `Retry-After`, whatever the server asks. */
export const DEFAULT_RETRY_AFTER_CAP_MS = 30_000;

/** The wait before the one resend when the answer names no (readable) `Retry-After`. */
export const DEFAULT_RETRY_DELAY_MS = 1_000;

/** Thrown when the target is still limiting after the one resend (or asks for a wait beyond the bounds): the check is inconclusive. */
export class RateLimited extends Error {
  constructor(
    message: string,
    readonly exchange: Exchange,
  ) {
    super(message);
    this.name = 'RateLimited';
  }
}

export function isRateLimited(exchange: Exchange): boolean {
  return exchange.response !== undefined && RATE_LIMIT_STATUSES.includes(exchange.response.status);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept too. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} (?: \\d|\\d{2}) ${TIME} \\d{4}$`);

/**
 * The wait a `Retry-After` value asks for, in milliseconds (RFC 9110
 * §10.2.3: delay-seconds or an HTTP-date; a date in the past is no wait);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  let date: number | undefined;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) date = Date.parse(text);
  // asctime carries no zone; HTTP dates are always GMT.
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  if (date === undefined || Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The answer in a few words: `429 with Retry-After 5`, `503 without Retry-After`. */
export function describeLimit(exchange: Exchange): string {
  const res = exchange.response!;
  const after = res.headers['retry-after'];
  return after === undefined ? `${res.status} without Retry-After` : `${res.status} with Retry-After ${after}`;
}
