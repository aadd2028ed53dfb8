/**
 * DPoP `htu` comparison (RFC 9449 §4.3 item 9): the proof's `htu` must name
 * the URI the request was sent to, "ignoring any query and fragment parts",
 * after syntax-based and scheme-based normalisation (RFC 3986 §6.2.2,
 * §6.2.3): case of scheme and host, default port, dot segments, percent-
 * encoding case and needlessly encoded unreserved characters.
 */

/** `scheme://host[:port]/path` in normal form, or undefined if `value` is not an absolute http(s) URI. */
export function normalizeHtu(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  // WHATWG URL lower-cases scheme and host, drops the default port, resolves
  // dot segments and turns an empty http(s) path into "/" (RFC 3986 §6.2.3).
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

/** RFC 3986 §6.2.2.1–6.2.2.2: upper-case hex digits, decode unreserved characters. */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/** True if the proof's `htu` names one of the endpoint URLs (already normalised with `normalizeHtu`). */
export function htuMatches(htu: string, normalizedEndpoints: ReadonlySet<string>): boolean {
  const normalized = normalizeHtu(htu);
  return normalized !== undefined && normalizedEndpoints.has(normalized);
}
