/**
 * What the problem lines say: each rule cites where it comes from (RFC 6749
 * §5.1 for token responses, the attesto contract for no-store/no-cache on
 * everything else), and each line says each thing once.
 */
import { describe, expect, test } from '@jest/globals';
import { loadResponseFixtures } from '../../fixtures/responses';
import { formatProblem, validateTokenEndpointResponse, validateTokenEndpointResponseAsync, type Problem } from '../../src/validate';
import { show } from '../../src/validate/format';

const json = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
const bearer = { access_token: 'opaque-token-value', token_type: 'Bearer' };

function cacheProblems(response: { status: number; headers: Record<string, string>; body?: unknown }): Problem[] {
  return validateTokenEndpointResponse(response).problems.filter((p) => p.rule === 'header.cache-control.no-store' || p.rule === 'header.pragma.no-cache');
}

describe('citations of the cache rules', () => {
  test('a token response cites RFC 6749 §5.1', () => {
    const problems = cacheProblems({ status: 200, headers: { 'content-type': 'application/json' }, body: bearer });
    expect(problems.map((p) => p.message)).toEqual([
      'Cache-Control must contain the directive no-store on a token response (RFC 6749 §5.1)',
      'Pragma must be no-cache on a token response (RFC 6749 §5.1)',
    ]);
  });

  test.each([
    ['an error response', 400, 'on an error response in strict mode'],
    ['a 401', 401, 'on an error response in strict mode'],
    ['an undocumented non-error status', 204, 'on any token endpoint response in strict mode'],
  ])('%s cites the attesto contract, not RFC 6749 §5.1 as the source (for Cache-Control and Pragma)', (_what, status, where) => {
    const problems = cacheProblems({ status, headers: { 'content-type': 'application/json', 'www-authenticate': 'Basic' }, body: { error: 'invalid_client' } });
    expect(problems).toHaveLength(2);
    for (const problem of problems) {
      expect(problem.message).toContain(where);
      expect(problem.message).toContain('(the attesto contract, as defence in depth; RFC 6749 §5.1 requires it only where tokens or credentials are returned)');
      // §5.1 is named only as what it does not cover, never as the rule's source.
      expect(problem.message).not.toContain('(RFC 6749 §5.1)');
    }
  });

  test('the RFC 9111 hints keep their own sections', () => {
    const [noStore, noCache] = cacheProblems({ status: 400, headers: { 'content-type': 'application/json', 'cache-control': 'no-store=1', pragma: 'x="no-cache"' }, body: { error: 'invalid_request' } });
    expect(noStore!.message).toMatch(/the directive takes no argument \(RFC 9111 §5\.2\.2\.5\)$/);
    expect(noCache!.message).toMatch(/which does not count \(RFC 9111 §5\.4\)$/);
  });

  test('the body rules cite §5.1 for tokens and §5.2 for errors', () => {
    const notJson = (status: number) => validateTokenEndpointResponse({ status, headers: json, body: '<html>' }).problems.find((p) => p.rule === 'body.json')!.message;
    expect(notJson(200)).toBe('the body must be a JSON object (RFC 6749 §5.1)');
    expect(notJson(400)).toBe('the body must be a JSON object (RFC 6749 §5.2)');
    const empty = (status: number) => validateTokenEndpointResponse({ status, headers: json, body: '' }).problems.find((p) => p.rule === 'body.empty')!.message;
    expect(empty(200)).toBe('the body is empty; expected a JSON token response object (RFC 6749 §5.1)');
    expect(empty(401)).toBe('the body is empty; expected a JSON error object (RFC 6749 §5.2)');
  });
});

const HEADER_VALUE_RULES: readonly string[] = ['header.content-type.json', 'header.cache-control.no-store', 'header.pragma.no-cache'];

describe('each problem line says each thing once', () => {
  const occurrences = (text: string, part: string) => text.split(part).length - 1;

  test('the status lines', () => {
    const [expected] = validateTokenEndpointResponse({ status: 400, headers: json, body: { error: 'invalid_request' } }, { kind: 'success' }).problems;
    expect(formatProblem(expected!)).toBe('status: expected status 200 (received 400) [status.expected]');
    const [documented] = validateTokenEndpointResponse({ status: 302, headers: json, body: '' }).problems;
    expect(formatProblem(documented!)).toBe('status: a status the contract does not document for the token endpoint; expected status 200, 400 or 401 (received 302) [status.documented]');
  });

  test('expectation lines: the expected value in the message, the received one after it', () => {
    const error = { status: 400, headers: json, body: { error: 'invalid_request', error_description: 'bad' } };
    const lines = validateTokenEndpointResponse(error, { error: 'invalid_client', errorDescription: 'missing grant_type' }).problems.map(formatProblem);
    expect(lines).toEqual([
      'body /error: expected error "invalid_client" (received "invalid_request") [body.error.expected]',
      'body /error_description: expected error_description "missing grant_type" (received "bad") [body.error_description.expected]',
    ]);
    const missing = validateTokenEndpointResponse({ status: 200, headers: json, body: { token_type: 'Bearer' } }).problems.map(formatProblem);
    expect(missing).toEqual(['body /access_token: AttestoBearerTokenResponse (token_type "Bearer"): required member "access_token" is missing [body.schema]']);
  });

  test('every invalid fixture: at most one "expected" and one "received" per line, the received value only after the message', async () => {
    let checked = 0;
    for (const fixture of loadResponseFixtures().filter((f) => !f.valid)) {
      const { problems } = await validateTokenEndpointResponseAsync(fixture.response, fixture.expectation);
      for (const problem of problems) {
        const formatted = formatProblem(problem);
        const label = `${fixture.name}: ${formatted}`;
        expect(formatted.endsWith(` [${problem.rule}]`)).toBe(true);
        const line = formatted.slice(0, -` [${problem.rule}]`.length); // rule ids such as status.expected are names, not words
        expect([label, occurrences(line.toLowerCase(), 'expected') <= 1]).toEqual([label, true]);
        expect([label, occurrences(line, 'received') <= 1]).toEqual([label, true]);
        const message = line.slice(0, line.lastIndexOf(' ('));
        if (typeof problem.received === 'string' && problem.received.length > 0) {
          expect([label, message.includes(problem.received)]).toEqual([label, false]);
        }
        if (typeof problem.received === 'number') expect([label, occurrences(line, show(problem.received))]).toEqual([label, 1]);
        // The header's required value is stated once, in the message, hints included.
        if (HEADER_VALUE_RULES.includes(problem.rule)) {
          expect([label, occurrences(message, String(problem.expected))]).toEqual([label, 1]);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });
});
