/**
 * Issue 17 item 11: hostile values given to the matchers. A getter that
 * throws on `body.access_token`, a Proxy as `headers`, and a fetch Response
 * whose body never ends (or never stops) are ordinary assertion failures
 * that say what happened: the user's error never escapes raw, and nothing hangs.
 */
import { describe, expect, test } from '@jest/globals';
import '../../src/matchers/jest';
import { validateTokenEndpointResponse, validateTokenEndpointResponseAsync } from '../../src/validate';

const FRAMING = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
const SECRET_IN_ERROR = 'the-secret-quoted-by-a-hostile-getter';

/** Runs an assertion and returns its failure message (it must fail, and fail as an assertion). */
async function failureOf(assertion: () => unknown): Promise<string> {
  try {
    await assertion();
  } catch (error) {
    expect((error as { matcherResult?: unknown }).matcherResult).toBeDefined();
    return (error as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('hostile values', () => {
  test('a getter that throws on body.access_token: a failure naming the problem, not the getter\'s error', async () => {
    const body = {
      token_type: 'Bearer',
      get access_token(): string {
        throw new Error(SECRET_IN_ERROR);
      },
    };
    const message = await failureOf(() => expect({ status: 200, headers: FRAMING, body }).toMatchTokenResponse());
    expect(message).toMatch(/threw Error: it is not an HTTP response this validator can read/);
    expect(message).not.toContain(SECRET_IN_ERROR);
    expect(validateTokenEndpointResponse({ status: 200, headers: FRAMING, body }).ok).toBe(false);
  });

  test('a Proxy as headers whose traps throw', async () => {
    const headers = new Proxy({}, { get: () => { throw new TypeError(SECRET_IN_ERROR); }, ownKeys: () => { throw new TypeError(SECRET_IN_ERROR); } });
    const message = await failureOf(() => expect({ status: 200, headers, body: { access_token: 'at', token_type: 'Bearer' } }).toMatchTokenResponse());
    expect(message).toMatch(/threw TypeError/);
    expect(message).not.toContain(SECRET_IN_ERROR);
  });

  test('a fetch Response whose body never ends fails within the read deadline', async () => {
    const response = new Response(new ReadableStream({ start() {} }), { status: 200, headers: FRAMING });
    const result = await validateTokenEndpointResponseAsync(response);
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.message).toBe('the fetch Response body did not end within 2000 ms');
  }, 10_000);

  test('a fetch Response whose body never stops is cut at the size bound', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x5b);
    const endless = new ReadableStream<Uint8Array>({ pull: (controller) => controller.enqueue(chunk) });
    const result = await validateTokenEndpointResponseAsync(new Response(endless, { status: 200, headers: FRAMING }));
    expect(result.problems[0]!.message).toMatch(/^the fetch Response body is larger than \d+ bytes/);
  }, 10_000);
});
