/**
 * `npm run bench`: validations per second, in one run on the same responses,
 * of
 *   1. our matcher (toMatchTokenResponse: status, headers and body),
 *   2. jest-openapi's toSatisfyApiSpec on the exported document (the tool
 *      users would pick instead),
 *   3. raw Ajv `validate` on the body alone (the floor).
 * Each matcher function is called directly with the same minimal matcher
 * context: going through expect() costs the same for every matcher.
 * Targets: ≥ 100× jest-openapi, and a passing full check ≤ 20× one raw Ajv
 * body validate. Prints figures; asserts nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { toMatchTokenResponse, type MatcherResult } from '../src/matchers';
import { contractValidators, document } from '../src';

// jest-openapi's internals: the matcher function and the spec it is given.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeApiSpec } = require('openapi-validator') as { makeApiSpec(spec: unknown): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const toSatisfyApiSpec = (require('jest-openapi/dist/matchers/toSatisfyApiSpec') as { default: (this: unknown, received: unknown, spec: unknown) => MatcherResult }).default;

const context = { isNot: false, promise: '', utils: { matcherHint: (name: string) => `expect(received).${name}()` } };
const MIN_MS = Number(process.env.BENCH_MS ?? 1000);

function measure(name: string, run: () => unknown): number {
  for (let i = 0; i < 2000; i++) run(); // warm up (and compile lazily built validators)
  let iterations = 0;
  let batch = 100;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(MIN_MS) * 1_000_000n) {
    for (let i = 0; i < batch; i++) run();
    iterations += batch;
    elapsedNs = process.hrtime.bigint() - start;
    if (batch < 100_000) batch *= 2;
  }
  const perSecond = (iterations * 1e9) / Number(elapsedNs);
  console.log(`${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en-US').padStart(14)} ops/s  ${(1e9 / perSecond).toFixed(0).padStart(8)} ns/op`);
  return perSecond;
}

async function main(): Promise<void> {
  const body = { access_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 900, scope: 'read write' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const supertestResponse = await request(url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials' });
    const plainResponse = { status: supertestResponse.status, headers: supertestResponse.headers, body: supertestResponse.body };
    const spec = makeApiSpec(document());
    const validateBody = contractValidators().tokenResponse;

    // Sanity: every contender passes on these responses, so the pass paths are compared.
    const checks = [
      (toMatchTokenResponse.call(context, supertestResponse) as MatcherResult).pass,
      (toMatchTokenResponse.call(context, plainResponse) as MatcherResult).pass,
      toSatisfyApiSpec.call(context, supertestResponse, spec).pass,
      validateBody(supertestResponse.body),
    ];
    if (!checks.every(Boolean)) throw new Error(`a contender fails on the benchmark response: ${checks.join(', ')}`);

    console.log(`Node ${process.version}, ${MIN_MS} ms per contender, one passing Bearer token response\n`);
    const ours = measure('toMatchTokenResponse (supertest response)', () => toMatchTokenResponse.call(context, supertestResponse));
    const oursPlain = measure('toMatchTokenResponse (plain { status, headers, body })', () => toMatchTokenResponse.call(context, plainResponse));
    const jestOpenApi = measure('jest-openapi toSatisfyApiSpec (supertest response)', () => toSatisfyApiSpec.call(context, supertestResponse, spec));
    const ajv = measure('raw Ajv validate, body only (AttestoTokenResponse)', () => validateBody(supertestResponse.body));

    const speedup = ours / jestOpenApi;
    const overhead = ajv / ours;
    console.log('');
    console.log(`ours vs jest-openapi:           ${speedup.toFixed(0)}× faster   (target ≥ 100×: ${speedup >= 100 ? 'met' : 'MISSED'})`);
    console.log(`full check vs raw Ajv body:     ${overhead.toFixed(1)}× the cost (target ≤ 20×: ${overhead <= 20 ? 'met' : 'MISSED'})`);
    console.log(`plain object vs raw Ajv body:   ${(ajv / oursPlain).toFixed(1)}× the cost`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
