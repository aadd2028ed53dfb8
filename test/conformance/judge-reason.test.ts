/**
 * expectRejection's note of the stated reason, against a stub context: the
 * default contradiction (the nonce, for invalid_dpop_proof alone), an
 * expectation's own `contradicts`, `contradicts: null`, and no note when the
 * answer was not the expected refusal.
 */
import { describe, expect, test } from '@jest/globals';
import { expectRejection, type JudgeContext, type RejectionExpectation } from '../../src/conformance/judge';
import type { Exchange } from '../../src/conformance/exchange';

function stub(): JudgeContext & { notes: string[]; findings: string[] } {
  const notes: string[] = [];
  const findings: string[] = [];
  return {
    level: 'MUST',
    checkId: 'stub',
    notes,
    findings,
    finding: (_level, message) => void findings.push(message),
    summarize: (res) => String(res.status),
    isOwned: () => false,
    note: (text) => void notes.push(text),
    scrub: (text) => text.split('s3cr3t-value').join('[secret]'),
  };
}

function refusal(error: string, description: string, status = 400): Exchange {
  const body = { error, error_description: description };
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
  return {
    checkId: 'stub',
    request: { method: 'POST', url: 'http://127.0.0.1/token', headers: [['Authorization', 'Bearer opaque-credential']], body: 'grant_type=client_credentials' },
    response: { status, headers, rawHeaders: Object.entries(headers), text, body },
    oauth: true,
    nonceRetry: false,
  };
}

const judge = (exchange: Exchange, expectation: RejectionExpectation) => {
  const ctx = stub();
  const ok = expectRejection(ctx, exchange, expectation);
  return { ok, notes: ctx.notes, findings: ctx.findings };
};

describe('the stated reason of an expected refusal', () => {
  test('recorded, scrubbed', () => {
    expect(judge(refusal('invalid_request', 'bad s3cr3t-value'), { error: 'invalid_request', what: 'a bad thing' })).toEqual({ ok: true, notes: ['a bad thing: refused with invalid_request: "bad [secret]"'], findings: [] });
  });

  test('the request\'s own credentials are scrubbed too', () => {
    expect(judge(refusal('invalid_request', 'saw Bearer opaque-credential'), { error: 'invalid_request' }).notes[0]).not.toContain('opaque-credential');
  });

  test('cut to 120 characters', () => {
    const [note] = judge(refusal('invalid_request', 'y'.repeat(500)), { error: 'invalid_request', what: 'x' }).notes;
    expect(note).toBe(`x: refused with invalid_request: "${'y'.repeat(120)}…"`);
  });

  test('invalid_dpop_proof alone: a reason about the nonce contradicts the defect', () => {
    expect(judge(refusal('invalid_dpop_proof', 'Nonce is stale'), { error: 'invalid_dpop_proof', what: 'a proof with typ "jwt"' }).notes).toEqual([
      'a proof with typ "jwt": refused with invalid_dpop_proof, but the stated reason is about the nonce, not a proof with typ "jwt": "Nonce is stale"',
    ]);
  });

  test('the contradiction is judged on the whole description, not the cut', () => {
    expect(judge(refusal('invalid_dpop_proof', `${'z'.repeat(200)} nonce`), { error: 'invalid_dpop_proof' }).notes[0]).toMatch(/stated reason is about the nonce/);
  });

  test('use_dpop_nonce acceptable, or contradicts: null: no contradiction', () => {
    expect(judge(refusal('invalid_dpop_proof', 'nonce expired'), { error: ['invalid_dpop_proof', 'use_dpop_nonce'] }).notes[0]).not.toMatch(/stated reason is about/);
    expect(judge(refusal('invalid_dpop_proof', 'nonce expired'), { error: 'invalid_dpop_proof', contradicts: null }).notes[0]).not.toMatch(/stated reason is about/);
  });

  test('an expectation names its own contradicting reason', () => {
    const notes = judge(refusal('invalid_client', 'unknown client'), { error: 'invalid_client', what: 'a wrong secret', contradicts: { topic: 'the client id', pattern: /unknown client/i } }).notes;
    expect(notes).toEqual(['a wrong secret: refused with invalid_client, but the stated reason is about the client id, not a wrong secret: "unknown client"']);
  });

  test('never a finding, and no note when the answer was not the expected refusal', () => {
    expect(judge(refusal('invalid_dpop_proof', 'nonce expired'), { error: 'invalid_dpop_proof' }).findings).toEqual([]);
    expect(judge(refusal('invalid_grant', 'nonce expired'), { error: 'invalid_dpop_proof' })).toMatchObject({ ok: false, notes: [] });
    const noDescription = refusal('invalid_request', 'x');
    noDescription.response!.body = { error: 'invalid_request' };
    expect(judge(noDescription, { error: 'invalid_request' })).toEqual({ ok: true, notes: [], findings: [] });
  });
});
