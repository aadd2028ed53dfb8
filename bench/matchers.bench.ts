/**
 * `npm run bench` (after a build): in one run,
 *
 * 1. Validations per second on the same passing Bearer token response, of
 *    - our matcher (toMatchTokenResponse: status, headers and body), on a
 *      supertest response and on a plain `{ status, headers, body }`;
 *    - validateTokenEndpointResponse, the same checks without the matcher;
 *    - jest-openapi's toSatisfyApiSpec on the exported document (the tool
 *      users would pick instead);
 *    - raw Ajv `validate` on the body alone (the floor): the precompiled
 *      validator the package ships, and the same schema compiled at run time.
 *    Each matcher function is called directly with the same minimal matcher
 *    context: going through expect() costs the same for every matcher.
 * 2. What the Jest setup entry costs each test file: whole Jest runs of N
 *    one-assertion test files with plain `expect`, next to the same files
 *    with `setupFilesAfterEnv` set to the built entry (dist) and one matcher
 *    assertion each (bench/jest-load.ts), and, for comparison, the entry plus
 *    what it loaded before the validators were precompiled.
 *
 * Targets: ≥ 100× jest-openapi; a passing full check ≤ 5× one raw Ajv body
 * validate; the setup entry ≤ 10 ms per test file over plain `expect`.
 * Prints figures; asserts nothing.
 *
 * BENCH_MS (default 1000): time per throughput contender. BENCH_JEST_FILES
 * (20), BENCH_JEST_ROUNDS (7): the Jest runs; BENCH_JEST_FILES=0 skips them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import * as matchers from '../src/matchers';
import * as root from '../src';
import { compileContractValidators } from '../src/validate/compile-validators';
import { makeScratchDir, measureJestLoad, removeScratchDir, type JestLoadResult } from './jest-load';

// Local bindings: a namespace member of a TypeScript re-export is a getter, which would be timed too.
const toMatchTokenResponse = matchers.toMatchTokenResponse;
const validateTokenEndpointResponse = root.validateTokenEndpointResponse;
type MatcherResult = matchers.MatcherResult;

// jest-openapi's internals: the matcher function and the spec it is given.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeApiSpec } = require('openapi-validator') as { makeApiSpec(spec: unknown): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const toSatisfyApiSpec = (require('jest-openapi/dist/matchers/toSatisfyApiSpec') as { default: (this: unknown, received: unknown, spec: unknown) => MatcherResult }).default;

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist', 'src');
const context = { isNot: false, promise: '', utils: { matcherHint: (name: string) => `expect(received).${name}()` } };
const MIN_MS = Number(process.env.BENCH_MS ?? 1000);
const JEST_FILES = Number(process.env.BENCH_JEST_FILES ?? 20);
const JEST_ROUNDS = Number(process.env.BENCH_JEST_ROUNDS ?? 7);
const ROUND_MS = 50;

/**
 * Operations per second of `run`: the fastest of the ~50 ms rounds that fit in
 * BENCH_MS. On a shared machine the slower rounds measure the machine's other
 * load, not the code; every contender is measured the same way.
 */
function measure(name: string, run: () => unknown): number {
  for (let i = 0; i < 2000; i++) run(); // warm up (and compile lazily built validators)
  let batch = 100;
  for (;;) {
    // Calibrate a batch to about one round.
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    if (Number(process.hrtime.bigint() - started) >= ROUND_MS * 1e6 || batch >= 1e8) break;
    batch *= 2;
  }
  let best = 0;
  const deadline = performance.now() + MIN_MS;
  do {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    best = Math.max(best, (batch * 1e9) / Number(process.hrtime.bigint() - started));
  } while (performance.now() < deadline);
  console.log(`${name.padEnd(62)} ${Math.round(best).toLocaleString('en-US').padStart(14)} ops/s  ${(1e9 / best).toFixed(0).padStart(8)} ns/op`);
  return best;
}

async function throughput(): Promise<void> {
  const body = { access_token: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 900, scope: 'read write' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const supertestResponse = await request(url).post('/oauth/token').type('form').send({ grant_type: 'client_credentials' });
    const plainResponse = { status: supertestResponse.status, headers: supertestResponse.headers, body: supertestResponse.body };
    const spec = makeApiSpec(root.document());
    const validateBody = root.contractValidators().tokenResponse;
    const compiledAtRunTime = compileContractValidators().tokenResponse;
    const success = Object.freeze({ kind: 'success' as const });

    // Sanity: every contender passes on these responses, so the pass paths are compared.
    const checks = [
      (toMatchTokenResponse.call(context, supertestResponse) as MatcherResult).pass,
      (toMatchTokenResponse.call(context, plainResponse) as MatcherResult).pass,
      validateTokenEndpointResponse(supertestResponse, success).ok,
      toSatisfyApiSpec.call(context, supertestResponse, spec).pass,
      validateBody(supertestResponse.body),
      compiledAtRunTime(supertestResponse.body),
    ];
    if (!checks.every(Boolean)) throw new Error(`a contender fails on the benchmark response: ${checks.join(', ')}`);

    console.log(`Node ${process.version}, ${MIN_MS} ms per contender (the fastest ${ROUND_MS} ms round), one passing Bearer token response\n`);
    const ours = measure('toMatchTokenResponse (supertest response)', () => toMatchTokenResponse.call(context, supertestResponse));
    const oursPlain = measure('toMatchTokenResponse (plain { status, headers, body })', () => toMatchTokenResponse.call(context, plainResponse));
    const core = measure('validateTokenEndpointResponse (supertest response, success)', () => validateTokenEndpointResponse(supertestResponse, success));
    const jestOpenApi = measure('jest-openapi toSatisfyApiSpec (supertest response)', () => toSatisfyApiSpec.call(context, supertestResponse, spec));
    const ajv = measure('raw Ajv validate, body only (AttestoTokenResponse, precompiled)', () => validateBody(supertestResponse.body));
    const ajvRuntime = measure('raw Ajv validate, body only (compiled at run time)', () => compiledAtRunTime(supertestResponse.body));

    const speedup = ours / jestOpenApi;
    const overhead = ajv / ours;
    console.log('');
    console.log(`ours vs jest-openapi:                 ${speedup.toFixed(0)}× faster   (target ≥ 100×: ${speedup >= 100 ? 'met' : 'MISSED'})`);
    console.log(`full check (matcher) vs raw Ajv body: ${overhead.toFixed(1)}× the cost (target ≤ 5×: ${overhead <= 5 ? 'met' : 'MISSED'})`);
    console.log(`validateTokenEndpointResponse vs raw: ${(ajv / core).toFixed(1)}× the cost`);
    console.log(`plain object vs raw Ajv body:         ${(ajv / oursPlain).toFixed(1)}× the cost`);
    console.log(`precompiled vs run-time-compiled Ajv: ${(ajvRuntime / ajv).toFixed(2)}× the cost (the same code)`);
  } finally {
    await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  }
}

function jestLoad(): void {
  const entry = join(DIST, 'matchers', 'jest.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first (npm run bench does)`);
  const dir = makeScratchDir();
  try {
    // The entry as before issue 12, emulated: the same entry, plus the modules it then loaded
    // (the root barrels with yaml, jose, Ajv's compiler) and the validators compiled at run time.
    const previousSetup = [
      `require(${JSON.stringify(entry)});`,
      `require(${JSON.stringify(join(DIST, 'index.js'))});`,
      `require(${JSON.stringify(require.resolve('jose'))});`,
      `require(${JSON.stringify(join(DIST, 'validate', 'compile-validators.js'))}).compileContractValidators();`,
    ].join('\n');
    const matcherAssertion = 'expect(response).toMatchTokenResponse();';
    const results = measureJestLoad(dir, {
      files: JEST_FILES,
      rounds: JEST_ROUNDS,
      extraFiles: { 'previous-setup.js': `${previousSetup}\n` },
      variants: [
        { name: 'plain expect (expect(response.status).toBe(200))', setupFiles: [], assertion: 'expect(response.status).toBe(200);' },
        { name: "setupFilesAfterEnv: ['attesto-token-contract/jest'] + matcher", setupFiles: [entry], assertion: matcherAssertion },
        { name: 'the same, loading what it did before (runtime Ajv)', setupFiles: [join(dir, 'previous-setup.js')], assertion: matcherAssertion },
      ],
    });
    const [plain, withEntry, previous] = results as [(typeof results)[number], (typeof results)[number], (typeof results)[number]];
    const perFile = (result: JestLoadResult, pick: 'medianMs' | 'fastestMs') => (result[pick] - plain[pick]) / JEST_FILES;
    console.log(`\nJest ${JEST_FILES} one-assertion test files, --runInBand, ${JEST_ROUNDS} runs each (after a warm-up run): median, fastest\n`);
    for (const result of results) {
      const extra = result === plain ? '' : `  ${perFile(result, 'medianMs').toFixed(1).padStart(6)} ms, ${perFile(result, 'fastestMs').toFixed(1).padStart(6)} ms per file over plain expect`;
      console.log(`${result.name.padEnd(62)} ${result.medianMs.toFixed(0).padStart(6)} ms ${result.fastestMs.toFixed(0).padStart(6)} ms${extra}`);
    }
    const cost = perFile(withEntry, 'medianMs');
    console.log('');
    console.log(`setup entry per test file:            ${cost.toFixed(1)} ms over plain expect, median (target ≤ 10 ms: ${cost <= 10 ? 'met' : 'MISSED'}); fastest runs: ${perFile(withEntry, 'fastestMs').toFixed(1)} ms; ${(withEntry.medianMs / plain.medianMs).toFixed(2)}× the plain run`);
    console.log(`before (runtime Ajv, emulated):       ${perFile(previous, 'medianMs').toFixed(1)} ms per test file, median; fastest runs: ${perFile(previous, 'fastestMs').toFixed(1)} ms; ${(previous.medianMs / plain.medianMs).toFixed(2)}× the plain run`);
  } finally {
    removeScratchDir(dir);
  }
}

async function main(): Promise<void> {
  await throughput();
  if (JEST_FILES > 0) jestLoad();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
