/**
 * One request a check sent and what came back: plain data, recorded in the
 * check's context and in the run's journal (observer checks read it).
 */

export interface WireRequest {
  method: string;
  /** Absolute URL, query string included. */
  url: string;
  /** Header fields in the order they are sent; a name may repeat (RFC 9110 §5.3). */
  headers: Array<[string, string]>;
  body?: string;
  /** A client certificate was presented in the TLS handshake (mutual TLS): the configured one, or one the run made (an impostor). */
  clientCertificate?: 'configured' | 'made-for-run';
}

export interface WireResponse {
  status: number;
  /** Lower-case names; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
  /** Every field line as received, for rules about how many times a field appears. */
  rawHeaders: Array<[string, string]>;
  /** The body as text: at most MAX_KEPT_BODY_BYTES of it (src/oauth/limits.ts). */
  text: string;
  /**
   * The body parsed as JSON when it parses (nested at most MAX_JSON_DEPTH
   * deep, and complete), else the raw text.
   */
  body: unknown;
  /** Set when the body went on past MAX_KEPT_BODY_BYTES: `text` is its start, not parsed, and the rest was not read. */
  truncated?: true;
  /** Set when the body is JSON nested deeper than MAX_JSON_DEPTH: kept as text, not parsed. */
  tooDeep?: true;
}

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
  /** The `grant_type` the request carried (observers judge some rules for one grant only). */
  grantType?: string;
}
