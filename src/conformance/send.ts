/**
 * Sending a draft: signing what is signed at send time (client assertions,
 * DPoP proofs with the run's current nonce), the wire exchange, the DPoP
 * nonce round trip of RFC 9449 §8 (the shared policy of src/oauth), and
 * the record every exchange leaves in the check and in the run's journal.
 */
import { TargetUnreachableError } from '../errors';
import { retryNonce } from '../oauth/dpop-nonce';
import { stripQueryAndFragment } from '../oauth/dpop-proof';
import { DPOP_NONCE_HEADER, isSecretParameter } from '../oauth/protocol';
import { encodeBody, getParam, type RequestDraft } from './draft';
import { interruptibleDelay } from './interrupt';
import { describeLimit, DEFAULT_RETRY_DELAY_MS, isRateLimited, parseRetryAfter, RateLimited } from './rate-limit';
import type { Exchange, WireRequest } from './exchange';
import type { Session } from './session';
import { createAssertion, createProof } from './signing';

export interface SendOptions {
  /**
   * Retry with the server's nonce on `use_dpop_nonce` (default: when the
   * proofs take the run's nonce): up to MAX_NONCE_RETRIES times while each
   * challenge hands out a nonce other than the one just refused
   * (src/oauth/dpop-nonce.ts).
   */
  nonceRetry?: boolean;
  /** See {@link Exchange.oauth}. Default true. */
  oauth?: boolean;
  /** Resolve with an exchange without response instead of failing the check when the connection fails. */
  allowNoResponse?: boolean;
  /** Send on a connection of its own, outside the pool (HttpClient.send). */
  freshConnection?: boolean;
  /** What a rate-limited answer's message suggests (default: a lower concurrency or a rate). */
  limitHint?: string;
}

/** Thrown when the target stops answering mid-check: the check fails with this message. */
export class CheckAborted extends Error {
  constructor(
    message: string,
    readonly exchange: Exchange,
  ) {
    super(message);
    this.name = 'CheckAborted';
  }
}

const NONCE_HEADER = DPOP_NONCE_HEADER.toLowerCase();

/**
 * Sends a draft for check `checkId`; on a nonce challenge retries with the
 * nonce of that challenge (RFC 9449 §8), again on each further challenge
 * that hands out a fresh nonce, at most MAX_NONCE_RETRIES times (the shared
 * policy, src/oauth/dpop-nonce.ts). A server with short-lived nonces (single
 * use, N uses) may see a concurrent check spend the nonce a proof carries:
 * that costs a retry, not a failed check. Each retry signs a fresh proof and
 * client assertion, and carries the challenge's own nonce, not the run's
 * latest (which a concurrent check may be about to spend). No retry when a
 * proof chose its own nonce or is sent verbatim: a check that sends a stale
 * nonce on purpose wants the challenge, not a token.
 */
export async function sendDraft(
  session: Session,
  checkId: string,
  draft: RequestDraft,
  options: SendOptions,
  record: (exchange: Exchange) => void,
  note?: (text: string) => void,
): Promise<Exchange> {
  const callerChoseNonce = draft.dpop === undefined || draft.dpop.proofs.some((p) => p.nonce !== undefined || p.raw !== undefined);
  // A retry needs a proof it can sign with the challenge's nonce: verbatim proofs (or none) would only be sent again.
  const signable = draft.dpop !== undefined && draft.dpop.proofs.some((p) => p.raw === undefined);
  const retry = signable && (options.nonceRetry ?? !callerChoseNonce);
  const attempt = (nonce: string | undefined) => sendRateLimited(session, () => sendOnce(session, checkId, draft, options, nonce, record), note, options.limitHint);
  let sent = await attempt(undefined);
  for (let retries = 0; retry; retries += 1) {
    const res = sent.exchange.response;
    if (!res) break;
    const nonce = retryNonce({ status: res.status, body: res.body, nonceHeader: res.headers[NONCE_HEADER] }, sent.nonceSent, retries);
    if (nonce === undefined) break;
    sent = await attempt(nonce);
  }
  return sent.exchange;
}

/**
 * One request with the rate-limit policy (rate-limit.ts): a 429 or 503 is
 * resent once (signed afresh: `send` materializes the draft again) after the
 * wait its `Retry-After` asks, at most the session's cap and never longer
 * than the request timeout (a check's time budget). A wait beyond those
 * bounds is not waited for, and a second limited answer is not resent:
 * both throw RateLimited, which makes the check inconclusive.
 */
async function sendRateLimited<T extends { exchange: Exchange }>(session: Session, send: () => Promise<T>, note: ((text: string) => void) | undefined, hint = 'try a lower --concurrency, or a --rate'): Promise<T> {
  const first = await send();
  if (!isRateLimited(first.exchange)) return first;
  const limit = Math.min(session.retryAfterCapMs, session.config.timeoutMs);
  const asked = parseRetryAfter(first.exchange.response!.headers['retry-after']);
  if (asked !== undefined && asked > limit) {
    throw new RateLimited(`rate limited: ${describeLimit(first.exchange)}, longer than the ${formatSeconds(limit)} a check waits; not resent; ${hint}`, first.exchange);
  }
  const wait = asked ?? Math.min(DEFAULT_RETRY_DELAY_MS, limit);
  await interruptibleDelay(wait, session.checkSignal);
  const second = await send();
  if (isRateLimited(second.exchange)) {
    const [a, b] = [describeLimit(first.exchange), describeLimit(second.exchange)];
    throw new RateLimited(`rate limited: ${a === b ? `${a} twice` : `${a}, then ${b}`} (resent once after ${formatSeconds(wait)}); ${hint}`, second.exchange);
  }
  note?.(`resent once after ${describeLimit(first.exchange)}`);
  return second;
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** One request; `retryWith` is the nonce of the challenge being answered (a retry), `undefined` for the first attempt. */
async function sendOnce(
  session: Session,
  checkId: string,
  draft: RequestDraft,
  options: SendOptions,
  retryWith: string | undefined,
  record: (exchange: Exchange) => void,
): Promise<{ exchange: Exchange; nonceSent: string | undefined }> {
  const { request, nonceSent } = await materialize(session, draft, retryWith ?? session.nonce, retryWith !== undefined);
  // Over plain http there is no handshake: no certificate goes, and none is claimed.
  if (draft.identity !== undefined && request.url.startsWith('https:')) request.clientCertificate = draft.identity.madeForRun === true ? 'made-for-run' : 'configured';
  const exchange: Exchange = { checkId, request, oauth: options.oauth ?? true, nonceRetry: retryWith !== undefined };
  const grantType = getParam(draft, 'grant_type');
  if (grantType !== undefined) exchange.grantType = grantType;
  session.onRequest?.(checkId);
  try {
    exchange.response = await session.http.send(request, { ...(options.freshConnection === true ? { freshConnection: true } : {}), ...(draft.identity !== undefined ? { identity: draft.identity } : {}) });
  } catch (error) {
    if (!(error instanceof TargetUnreachableError)) throw error;
    exchange.error = error.reason;
    if (!options.allowNoResponse) {
      record(exchange);
      throw new CheckAborted(`no response from the target: ${error.reason}`, exchange);
    }
  }
  if (exchange.response) {
    session.secrets.addResponse(exchange.response.body);
    // RFC 9449 §8.2: the latest nonce the server provided is the one to use.
    session.nonces.observe(exchange.response.headers[NONCE_HEADER]);
  }
  record(exchange);
  return { exchange, nonceSent };
}

/** The draft as it goes over the wire: the assertion signed, the proofs signed with `nonce` (unless a proof chose its own and this is no retry); and the nonce the first proof carries. */
async function materialize(session: Session, draft: RequestDraft, nonce: string | undefined, retry: boolean): Promise<{ request: WireRequest; nonceSent: string | undefined }> {
  const headers = draft.headers.map(([n, v]) => [n, v] as [string, string]);
  let nonceSent: string | undefined;
  const params = draft.params.map(([n, v]) => [n, v] as [string, string]);
  if (draft.assertionPlan) {
    const value = await signAssertion(session, draft.assertionPlan.client, draft.assertionPlan.spec, session.config.url);
    for (const pair of params) if (pair[0] === 'client_assertion' && pair[1] === '') pair[1] = value;
  }
  if (draft.dpop) {
    const key = await session.dpopKey();
    const htu = stripQueryAndFragment(draft.url);
    // A retry answers the challenge: its nonce replaces one a proof chose (a retry forced with `nonceRetry: true`).
    const specs = draft.dpop.proofs.map((spec) => (retry && spec.raw === undefined ? { ...spec, nonce: undefined } : spec));
    const proofs = await Promise.all(specs.map((spec) => createProof(key, { htm: draft.method, htu, nonce }, spec)));
    const spec = specs[0];
    nonceSent = spec === undefined || spec.raw !== undefined ? undefined : spec.nonce === undefined ? nonce : (spec.nonce ?? undefined);
    // A signed proof is a credential; a deliberate non-JWS (`not-a-jwt`) is not, and stays readable in the report.
    for (const proof of proofs) if (proof.includes('.')) session.secrets.add(proof);
    if (draft.dpop.joined) headers.push([draft.dpop.headerName, proofs.join(', ')]);
    else for (const proof of proofs) headers.push([draft.dpop.headerName, proof]);
  }
  // Every value sent as a secret parameter is a secret of the run, a deliberately wrong one too (pkce-wrong's verifier):
  // a server that echoes the request must not get it into a report.
  for (const [name, value] of params) if (isSecretParameter(name)) session.secrets.add(value);
  const body = encodeBody({ ...draft, params });
  return { request: { method: draft.method, url: draft.url, headers, ...(body !== undefined ? { body } : {}) }, nonceSent };
}

/** A signed client assertion for `client` (registered as a secret, never shown); `aud` defaults to the token endpoint URL (RFC 7523 §3 item 3). */
export async function signAssertion(session: Session, client: Parameters<Session['clientKey']>[0], spec: Parameters<typeof createAssertion>[2], tokenUrl: string): Promise<string> {
  const key = await session.clientKey(client);
  const value = await createAssertion(key, { clientId: client.id, audience: client.audience ?? tokenUrl }, spec);
  session.secrets.add(value);
  return value;
}
