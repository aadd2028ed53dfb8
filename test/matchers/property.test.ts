/**
 * Property: no value of any shape makes a matcher throw anything but a
 * normal assertion failure (never a TypeError), and failure messages are
 * always buildable.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { matchers, type MatcherResult } from '../../src/matchers';
import '../../src/matchers/jest';
import { validateTokenEndpointResponse } from '../../src/validate';

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

const headerValue = fc.oneof(fc.string(), fc.constantFrom('application/json', 'no-store', 'no-cache', 'private, No-Store'), fc.array(fc.string()), anything);
const headers = fc.oneof(
  fc.dictionary(fc.constantFrom('content-type', 'Content-Type', 'cache-control', 'pragma', 'www-authenticate', 'dpop-nonce', 'x'), headerValue),
  anything,
);
const jsonText = fc.oneof(fc.json(), fc.string(), fc.constant(''));
const body = fc.oneof(
  anything,
  jsonText,
  jsonText.map((text) => Buffer.from(text)),
  fc.record({ access_token: anything, token_type: fc.oneof(fc.constantFrom('Bearer', 'DPoP', 'bearer'), anything), expires_in: anything, scope: anything, cnf: anything }, { requiredKeys: [] }),
  fc.record({ error: fc.oneof(fc.constantFrom('invalid_client', 'use_dpop_nonce'), anything), error_description: anything }, { requiredKeys: [] }),
);
const status = fc.oneof(fc.constantFrom(200, 400, 401, 500), fc.integer(), anything);
/** Plain, supertest-like and axios-like shapes, and arbitrary values. */
const received = fc.oneof(
  anything,
  fc.record({ status, headers, body }, { requiredKeys: [] }),
  fc.record({ status, headers, body, text: fc.oneof(jsonText, anything), req: fc.constant({}) }),
  fc.record({ status, headers, data: body, config: fc.constant({}) }),
  fc.record({ statusCode: status, headers, body }),
  // Header lists ([name, value] pairs, flat raw headers, junk arrays), superagent without a payload,
  // and client rejections with or without the response.
  fc.record({ status, headers: fc.oneof(fc.array(fc.tuple(fc.string(), headerValue)), fc.array(fc.string()), fc.array(anything)), body }),
  fc.record({ status, headers, text: fc.constant(undefined), body: fc.oneof(fc.constant({}), anything) }),
  fc.tuple(fc.string(), fc.oneof(fc.constant(undefined), anything, fc.record({ status, headers, data: body, config: fc.constant({}) })), fc.oneof(fc.constant(undefined), fc.string()), fc.boolean()).map(
    ([message, response, code, axiosLike]) => Object.assign(new Error(message), { response, code, ...(axiosLike ? { isAxiosError: true, config: {} } : {}) }),
  ),
);

const context = { isNot: false, promise: '', utils: { matcherHint: (name: string) => `expect(received).${name}()` } };
const matcherList = Object.entries(matchers) as [string, (this: unknown, received: unknown) => MatcherResult | Promise<MatcherResult>][];

describe('fast-check: matchers never throw on received values of any shape', () => {
  test.each(matcherList)('%s called directly returns a result with a buildable message', async (_name, matcher) => {
    await fc.assert(
      fc.asyncProperty(received, async (value) => {
        const result = await matcher.call(context, value);
        expect(typeof result.pass).toBe('boolean');
        const message = result.message();
        expect(typeof message).toBe('string');
        expect(message.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  test('through expect(): only JestAssertionErrors (with a matcherResult), for both polarities', async () => {
    await fc.assert(
      fc.asyncProperty(received, fc.constantFrom(...matcherList.map(([name]) => name)), fc.boolean(), async (value, name, negate) => {
        const assertion = (negate ? (expect(value) as any).not : expect(value)) as Record<string, () => unknown>;
        try {
          await assertion[name]!();
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          expect((error as { matcherResult?: unknown }).matcherResult).toBeDefined();
          expect(error).not.toBeInstanceOf(TypeError);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('validateTokenEndpointResponse returns a result for anything', () => {
    fc.assert(
      fc.property(received, (value) => {
        const result = validateTokenEndpointResponse(value);
        expect(result.ok).toBe(result.problems.length === 0);
        for (const problem of result.problems) expect(typeof problem.rule).toBe('string');
      }),
      { numRuns: 500 },
    );
  });
});
