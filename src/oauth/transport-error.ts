/**
 * Why a request got no (complete) HTTP answer, in one vocabulary for the
 * harness (supertest/superagent errors) and the suite (node:http errors):
 * a kind to branch on and words for a newcomer, with the system code for a
 * search engine (`connection refused (ECONNREFUSED)`).
 */

export type TransportFailureKind = 'timeout' | 'refused' | 'reset' | 'host-not-found' | 'tls' | 'malformed' | 'too-large' | 'other';

export interface TransportFailure {
  kind: TransportFailureKind;
  /** The system or library code, when there is one (`ECONNRESET`, `HPE_INVALID_CONSTANT`). */
  code: string | undefined;
  /** `connection refused (ECONNREFUSED)`. */
  words: string;
}

/** Node's codes for a connection that never carried an answer, in words. */
const CONNECTION_CODES: Readonly<Record<string, { kind: TransportFailureKind; words: string }>> = {
  ECONNREFUSED: { kind: 'refused', words: 'connection refused' },
  ECONNRESET: { kind: 'reset', words: 'connection reset' },
  EPIPE: { kind: 'reset', words: 'connection closed' },
  ENOTFOUND: { kind: 'host-not-found', words: 'host not found' },
  EAI_AGAIN: { kind: 'host-not-found', words: 'host name lookup failed' },
  // The operating system's connect timeout, not the caller's deadline.
  ETIMEDOUT: { kind: 'other', words: 'connection timed out' },
  ECONNABORTED: { kind: 'timeout', words: 'connection aborted' },
  ETIME: { kind: 'timeout', words: 'timed out' },
  EHOSTUNREACH: { kind: 'other', words: 'host unreachable' },
  ENETUNREACH: { kind: 'other', words: 'network unreachable' },
  ETOOLARGE: { kind: 'too-large', words: 'response body too large' },
};

/** OpenSSL's and Node's codes for a certificate the client does not trust. */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/;

/** Whether a failure (or its words) is an untrusted TLS certificate: the usual staging problem, with its own hint. */
/** The server asked for a client certificate in the handshake and ended it without one it takes (TLS 1.3 certificate_required, TLS 1.2 handshake_failure after a CertificateRequest; RFC 8446 §4.4.2.4). */
export function isClientCertificateDemand(failure: TransportFailure | string): boolean {
  return /CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|certificate required/i.test(typeof failure === 'string' ? failure : `${failure.code ?? ''} ${failure.words}`);
}

export function isCertificateProblem(failure: TransportFailure | string): boolean {
  return CERTIFICATE_CODE.test(typeof failure === 'string' ? failure : (failure.code ?? ''));
}

/** Classifies an error thrown by node:http(s), superagent or supertest. */
export function classifyTransportError(error: unknown): TransportFailure {
  const err = (error ?? {}) as { code?: unknown; timeout?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : undefined;
  const message = typeof err.message === 'string' ? err.message : String(error);
  // superagent marks its own deadline with `timeout`; the suite's client destroys the request with a TimeoutMarker.
  if (error instanceof RequestTimeout) return { kind: 'timeout', code: undefined, words: error.message };
  if (err.timeout !== undefined) return { kind: 'timeout', code, words: `timeout${code ? ` (${code})` : ''}` };
  if (code !== undefined) {
    const known = CONNECTION_CODES[code];
    if (known) return { kind: known.kind, code, words: `${known.words} (${code})` };
    // llhttp's codes: the peer answered, but not in HTTP/1.1.
    if (code.startsWith('HPE_')) return { kind: 'malformed', code, words: `not a valid HTTP response (${code})` };
    // The code alone: the suite adds how to trust the CA, the harness how to trust a URL target's.
    if (CERTIFICATE_CODE.test(code)) return { kind: 'tls', code, words: code };
    return { kind: 'other', code, words: code };
  }
  if (/socket hang up/i.test(message)) return { kind: 'reset', code: 'ECONNRESET', words: 'connection reset (ECONNRESET)' };
  return { kind: 'other', code: undefined, words: message };
}

/** The error the suite's client destroys a request with when its deadline passes. */
export class RequestTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timeout after ${timeoutMs} ms`);
    this.name = 'RequestTimeout';
  }
}
