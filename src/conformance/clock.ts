/** Seconds since the epoch: the unit of JWT `iat`/`exp` (RFC 7519 §2 NumericDate). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
