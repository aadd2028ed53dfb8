/**
 * The files of the throwaway consumer project (written under os.tmpdir() by
 * consumer.test.ts). Kept as strings so neither this project's Jest nor its
 * tsc picks them up as its own tests.
 */

/** Expected public names per entry point (a subset that must always be there). */
export const EXPECTED_NAMES: Record<string, readonly string[]> = {
  // The root is the light entry: fragment, validation, errors, redaction (see ROOT_ABSENT_NAMES).
  'attesto-token-contract': [
    'document',
    'operation',
    'pathItem',
    'schemas',
    'mergeInto',
    'FragmentConflictError',
    'exportFragment',
    'VERSION',
    'redactValue',
    'redactBody',
    'redactHeaders',
    'redactText',
    'scrubText',
    'validateTokenEndpointResponse',
    'validateTokenEndpointResponseAsync',
    'normalizeResponse',
    'fromFetch',
    'RULES',
    'RULE_SOURCES',
    'contractValidators',
    'dpopKeyThumbprint',
    'formatProblems',
    'AttestoError',
    'ConfigError',
    'InvalidExpectationError',
    'TargetUnreachableError',
  ],
  'attesto-token-contract/matchers': ['matchers', 'configureMatchers', 'toMatchTokenResponse', 'toMatchBearerTokenResponse', 'toMatchDPoPTokenResponse', 'toMatchTokenError', 'toMatchTokenEndpointContract'],
  'attesto-token-contract/vitest': ['matchers', 'configureMatchers', 'toMatchTokenResponse', 'toMatchTokenError'],
  'attesto-token-contract/jest': ['matchers', 'configureMatchers'],
  // What src/harness/index.ts exports today (formUrlEncode left out: an internal the barrel may drop).
  'attesto-token-contract/harness': [
    'tokenEndpoint',
    'TokenEndpointClient',
    'CLIENT_AUTH_METHODS',
    'DEFAULT_TIMEOUT_MS',
    'basicAuthorization',
    'createDpopProof',
    'accessTokenHash',
    'stripQueryAndFragment',
    'DPOP_PROOF_TYPE',
    'createClientAssertion',
    'CLIENT_ASSERTION_TYPE',
    'DEFAULT_ASSERTION_LIFETIME_SECONDS',
    'generateDpopKey',
    'importSigningKey',
    'jwkThumbprint',
    'privateJwkOf',
    'publicJwkOf',
    'algorithmForJwk',
    'DPOP_KEY_ALGORITHMS',
    'decodeAccessToken',
    'accessTokenJkt',
    'HarnessError',
    'InvalidArgumentError',
    'InvalidKeyError',
    'ClientCertificateError',
    'SigningError',
    'HarnessTimeoutError',
    'HarnessConnectionRefusedError',
    'HarnessConnectionResetError',
    'HarnessHostNotFoundError',
    'HarnessTransportError',
  ],
  'attesto-token-contract/server': ['createReferenceServer', 'ServerConfigError', 'createDemoClients', 'loadServerConfigFile'],
  'attesto-token-contract/conformance': [
    'runConformance',
    'referenceTargetConfig',
    'knownSelectors',
    'planRun',
    'planFor',
    'capabilitiesOf',
    'describeCapability',
    'defaultRunClients',
    'CHECKS',
    'findCheck',
    'AUTH_METHODS',
    'DEFAULT_CONCURRENCY',
    'ConformanceConfigError',
    'loadConfigFile',
    'parseConfig',
    'parseExpectedFailures',
    'resolveConfig',
    'checkTargetUrl',
    'isLoopbackHost',
    'TargetUnreachableError',
    'failsUnder',
    'statusOf',
    'applyExpectation',
    'REPORTER_NAMES',
    'formatReport',
    'formatJson',
    'formatJunit',
    'formatMarkdown',
    'formatHtml',
    'formatConsoleSummary',
    'ConsoleReporter',
    'describeTokenEndpointConformance',
    'LEVELS',
    'PROFILES',
    'CAPABILITIES',
    'CHECK_GROUPS',
    'STATUSES',
  ],
  'attesto-token-contract/errors': [
    'AttestoError',
    'ConfigError',
    'ServerConfigError',
    'UsageError',
    'FragmentConflictError',
    'InvalidExpectationError',
    'HarnessError',
    'InvalidArgumentError',
    'InvalidKeyError',
    'ClientCertificateError',
    'SigningError',
    'HarnessTimeoutError',
    'HarnessConnectionRefusedError',
    'HarnessConnectionResetError',
    'HarnessHostNotFoundError',
    'HarnessTransportError',
    'TargetUnreachableError',
    'ProxyTunnelError',
    'ConformanceCheckFailure',
    'NoTestFrameworkError',
    'ListenError',
    'InternalError',
    'ConformanceConfigError',
  ],
};

/**
 * Names the root must NOT export: internals (redaction's depth limit and
 * secret sets, the form encoder) and everything of the heavy subpaths, which
 * would drag supertest and the reference server back into the light entry.
 */
export const ROOT_ABSENT_NAMES: readonly string[] = [
  'MAX_REDACT_DEPTH',
  'SECRET_BODY_MEMBERS',
  'SECRET_HEADERS',
  'looksLikeJwt',
  'formUrlEncode',
  'tokenEndpoint',
  'createDpopProof',
  'generateDpopKey',
  'createReferenceServer',
  'runConformance',
  'describeTokenEndpointConformance',
];

const names = JSON.stringify(EXPECTED_NAMES);

/** CommonJS: require() every entry; the jest entry needs a global expect (it refuses clearly without one). */
export const REQUIRE_CHECK = `
const expected = ${names};
const out = {};
for (const [entry, list] of Object.entries(expected)) {
  if (entry.endsWith('/jest')) continue;
  const mod = require(entry);
  out[entry] = list.filter((name) => !(name in mod));
}
const root = require('attesto-token-contract');
out.rootPresentAbsent = ${JSON.stringify(ROOT_ABSENT_NAMES)}.filter((name) => name in root);
try { require('attesto-token-contract/jest'); out.jestWithoutExpect = 'loaded'; } catch (error) { out.jestWithoutExpect = error.message; }
const registered = [];
globalThis.expect = { extend: (m) => registered.push(...Object.keys(m)) };
const jestEntry = require('attesto-token-contract/jest');
out['attesto-token-contract/jest'] = expected['attesto-token-contract/jest'].filter((name) => !(name in jestEntry));
out.registered = registered;
out.packageVersion = require('attesto-token-contract/package.json').version;
process.stdout.write(JSON.stringify(out));
`;

/** ESM: static named imports of every entry (Node's CJS named-export detection must see them). */
export const IMPORT_CHECK = `
import { validateTokenEndpointResponse, document, VERSION } from 'attesto-token-contract';
import { matchers, toMatchTokenResponse } from 'attesto-token-contract/matchers';
import { matchers as vitestMatchers } from 'attesto-token-contract/vitest';
import { tokenEndpoint } from 'attesto-token-contract/harness';
import { createReferenceServer } from 'attesto-token-contract/server';
import { runConformance } from 'attesto-token-contract/conformance';
import { AttestoError } from 'attesto-token-contract/errors';
import pkg from 'attesto-token-contract/package.json' with { type: 'json' };
const expected = ${names};
const out = { staticImports: [typeof validateTokenEndpointResponse, typeof document, typeof VERSION, typeof matchers, typeof toMatchTokenResponse, typeof vitestMatchers, typeof tokenEndpoint, typeof createReferenceServer, typeof runConformance, typeof AttestoError], packageVersion: pkg.version };
for (const [entry, list] of Object.entries(expected)) {
  if (entry.endsWith('/jest')) continue;
  const mod = await import(entry);
  out[entry] = list.filter((name) => !(name in mod));
}
const registered = [];
globalThis.expect = { extend: (m) => registered.push(...Object.keys(m)) };
const jestEntry = await import('attesto-token-contract/jest');
out['attesto-token-contract/jest'] = expected['attesto-token-contract/jest'].filter((name) => !(name in jestEntry));
out.registered = registered;
process.stdout.write(JSON.stringify(out));
`;

const FIXTURES = `
const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' };
const bearer = { status: 200, headers, body: { access_token: 'at-0123456789abcdef', token_type: 'Bearer', expires_in: 900, scope: 'read write' } };
const noPragma = { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: bearer.body };
const challenge = { status: 401, headers: { ...headers, 'www-authenticate': 'Basic realm="OAuth"' }, body: { error: 'invalid_client' } };
`;

/** Jest, default CommonJS config (only setupFilesAfterEnv): 6 tests, all must pass. */
export const JEST_CJS_TEST = `
const http = require('node:http');
const request = require('supertest');
const { generateKeyPair, exportJWK, calculateJwkThumbprint } = require('jose');
${FIXTURES}
let server;
beforeAll(() => {
  server = http.createServer((req, res) => {
    res.writeHead(200, headers);
    res.end(JSON.stringify(bearer.body));
  });
});
afterAll(() => new Promise((resolve) => server.close(() => resolve())));

test('a valid Bearer response from supertest passes', async () => {
  const res = await request(server).post('/oauth/token').type('form').send({ grant_type: 'client_credentials' });
  expect(res).toMatchTokenResponse({ tokenType: 'Bearer', scope: 'write read' });
  expect(res).toMatchBearerTokenResponse();
  expect(res).toMatchTokenEndpointContract();
});

test('a broken response fails with the rule, and .not inverts', () => {
  expect(() => expect(noPragma).toMatchTokenResponse()).toThrow(/header\\.pragma\\.no-cache/);
  expect(noPragma).not.toMatchTokenResponse();
  expect(() => expect(bearer).not.toMatchTokenResponse()).toThrow(/but it is/);
});

test('errors, with the 401 challenge', () => {
  expect(challenge).toMatchTokenError('invalid_client', { status: 401 });
  expect(() => expect({ ...challenge, headers }).toMatchTokenError('invalid_client')).toThrow(/header\\.www-authenticate/);
});

test('asymmetric matchers', () => {
  expect({ token: bearer }).toEqual({ token: expect.toMatchBearerTokenResponse() });
  expect({ token: noPragma }).toEqual({ token: expect.not.toMatchTokenResponse() });
});

test('DPoP binding with a key is async', async () => {
  const { publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const dpop = { status: 200, headers, body: { access_token: 'at', token_type: 'DPoP', cnf: { jkt: await calculateJwkThumbprint(jwk) } } };
  await expect(dpop).toMatchDPoPTokenResponse({ key: jwk });
  await expect(expect({ ...dpop, body: { ...dpop.body, cnf: { jkt: 'x'.repeat(43) } } }).toMatchDPoPTokenResponse({ key: jwk })).rejects.toThrow(/body\\.cnf\\.jkt/);
});

test('garbage fails clearly, never a TypeError', () => {
  expect(() => expect(undefined).toMatchTokenResponse()).toThrow(/response\\.shape/);
  expect(() => expect(42).toMatchTokenError()).toThrow(/the number 42/);
});
`;

/** Jest with @jest/globals imports, type-checked by tsc (which also fails on unused @ts-expect-error). */
export const JEST_GLOBALS_TEST = `
import { describe, expect, test } from '@jest/globals';
// Typings only: setupFilesAfterEnv registers the matchers at run time.
import type {} from 'attesto-token-contract/jest';
import type { TokenEndpointResponse } from 'attesto-token-contract';
import type { TokenEndpointClient } from 'attesto-token-contract/harness';
import type { ReferenceServer } from 'attesto-token-contract/server';
import type { ConformanceConfig } from 'attesto-token-contract/conformance';
import type { AttestoError } from 'attesto-token-contract/errors';
${FIXTURES}
// The subpath typings resolve (node10 through typesVersions, node16 through exports); a missing one is TS2307.
export type SubpathTypes = [TokenEndpointClient, ReferenceServer, ConformanceConfig, AttestoError];
describe('@jest/globals expect', () => {
  test('matchers are typed and run', () => {
    expect(bearer).toMatchTokenResponse({ tokenType: 'Bearer' });
    expect(noPragma).not.toMatchBearerTokenResponse({ scope: 'read write' });
    expect(challenge).toMatchTokenError('invalid_client', { status: [401], description: undefined });
    expect({ token: bearer }).toEqual({ token: expect.toMatchTokenEndpointContract() });
    const normalized: TokenEndpointResponse = { status: 200, headers: {}, body: undefined, bodyKind: 'empty' };
    expect(normalized).not.toMatchTokenEndpointContract();
  });

  test('all five matchers with options; fetch Responses and DPoP keys make them Promises', async () => {
    expect(bearer).toMatchTokenResponse({ tokenType: 'Bearer', scope: 'read write', strict: true });
    expect(bearer).toMatchBearerTokenResponse({ scope: 'write read', strict: false });
    expect(bearer).not.toMatchDPoPTokenResponse({ scope: 'read write' });
    expect(challenge).toMatchTokenError('invalid_client', { status: 401, description: undefined, strict: true });
    expect(challenge).toMatchTokenEndpointContract({ status: [400, 401], strict: false });
    const fetched = new Response(JSON.stringify(bearer.body), { status: 200, headers });
    const pending: Promise<void> = expect(fetched).toMatchBearerTokenResponse();
    await pending;
    const bound: Promise<void> = expect(bearer).not.toMatchDPoPTokenResponse({ key: 'x'.repeat(43) });
    await bound;
  });

  test('typings refuse what the contract refuses', async () => {
    // @ts-expect-error a fetch Response is read asynchronously: the matcher is a Promise, not void
    const notAwaited: void = expect(new Response('{}', { status: 200, headers })).toMatchTokenResponse();
    await (notAwaited as unknown as Promise<void>).catch(() => undefined);
    // @ts-expect-error the DPoP key option of toMatchDPoPTokenResponse is "key"
    expect(() => expect(bearer).toMatchDPoPTokenResponse({ dpopKey: 'x' })).toThrow(/unknown option/);
    // @ts-expect-error token types are the contract's exact enum
    expect(() => expect(bearer).toMatchTokenResponse({ tokenType: 'bearer' })).toThrow(/Matcher error/);
    // @ts-expect-error error codes are the contract's enum
    expect(() => expect(challenge).toMatchTokenError('access_denied')).toThrow(/Matcher error/);
    // @ts-expect-error unknown option
    expect(() => expect(bearer).toMatchTokenResponse({ tokentype: 'Bearer' })).toThrow(/unknown option/);
    // @ts-expect-error the profiles are attesto and rfc
    expect(() => expect(bearer).toMatchTokenResponse({ profile: 'loose' })).toThrow(/Matcher error/);
    // @ts-expect-error a code of your own needs errorCodes
    expect(() => expect(challenge).toMatchTokenError('quota_exceeded', { profile: 'rfc' })).toThrow(/Matcher error/);
  });

  test('profiles: registered codes under rfc, errorCodes for your own', () => {
    expect(bearer).toMatchBearerTokenResponse({ profile: 'rfc' });
    expect(challenge).toMatchTokenEndpointContract({ profile: 'attesto', errorCodes: ['quota_exceeded'] });
    expect(challenge).not.toMatchTokenError('access_denied', { profile: 'rfc' });
    expect(challenge).not.toMatchTokenError('quota_exceeded', { errorCodes: ['quota_exceeded'] });
  });
});
`;

/** Jest's global expect, typed by @types/jest (the global jest namespace), type-checked by tsc. */
export const JEST_GLOBAL_TYPES_TEST = `
// Typings only: setupFilesAfterEnv registers the matchers at run time.
import type {} from 'attesto-token-contract/jest';
${FIXTURES}
test('global expect: matchers are typed and run', async () => {
  expect(bearer).toMatchBearerTokenResponse({ scope: 'read write' });
  expect(noPragma).not.toMatchTokenResponse();
  expect([challenge]).toEqual([expect.toMatchTokenError('invalid_client')]);
  expect({ token: noPragma }).toEqual({ token: expect.not.toMatchTokenEndpointContract() });
  await expect(Promise.resolve(bearer)).resolves.toMatchTokenResponse({ profile: 'rfc' });
  expect(challenge).not.toMatchTokenError('invalid_target', { profile: 'rfc' });
  // @ts-expect-error the profiles are attesto and rfc
  expect(() => expect(bearer).toMatchDPoPTokenResponse({ profile: 'RFC' })).toThrow(/Matcher error/);
  // @ts-expect-error the options are typed
  expect(() => expect(bearer).toMatchTokenError('invalid_client', { status: 'x' })).toThrow(/Matcher error/);
});
`;

/** Vitest with expect.extend (TypeScript, typings from the ./vitest entry). */
export const VITEST_TEST = `
import { expect, test } from 'vitest';
import { matchers } from 'attesto-token-contract/vitest';
${FIXTURES}
expect.extend(matchers);

test('vitest: pass, fail with the rule, .not, asymmetric', () => {
  expect(bearer).toMatchTokenResponse({ tokenType: 'Bearer' });
  expect(() => expect(noPragma).toMatchTokenResponse()).toThrow(/header\\.pragma\\.no-cache/);
  expect(noPragma).not.toMatchTokenResponse();
  expect(challenge).toMatchTokenError('invalid_client');
  expect({ token: bearer }).toEqual({ token: expect.toMatchBearerTokenResponse() });
});

test('vitest: typings refuse what the contract refuses', () => {
  // @ts-expect-error error codes are the contract's enum
  expect(() => expect(challenge).toMatchTokenError('access_denied')).toThrow(/Matcher error/);
  // @ts-expect-error unknown option
  expect(() => expect(bearer).toMatchBearerTokenResponse({ tokenType: 'Bearer' })).toThrow(/unknown option/);
  // @ts-expect-error the profiles are attesto and rfc
  expect(() => expect(bearer).toMatchBearerTokenResponse({ profile: 'loose' })).toThrow(/Matcher error/);
  expect(bearer).toMatchBearerTokenResponse({ profile: 'rfc' });
  expect(challenge).not.toMatchTokenError('slow_down', { profile: 'rfc' });
});

test('vitest: fetch Response through the async matcher', async () => {
  const res = new Response(JSON.stringify(bearer.body), { status: 200, headers });
  const pending: Promise<void> = expect(res).toMatchBearerTokenResponse();
  await pending;
  await expect(new Response('<html>', { status: 200, headers })).not.toMatchTokenResponse();
});
`;

/**
 * Vitest with the side-effect-free `./matchers` entry (the one shared with
 * Jest) at run time; the `vitest` module typings come from a type-only import
 * of `./vitest`, which emits nothing.
 */
export const VITEST_MATCHERS_ENTRY_TEST = `
import { expect, test } from 'vitest';
import { matchers } from 'attesto-token-contract/matchers';
import type {} from 'attesto-token-contract/vitest';
${FIXTURES}
expect.extend(matchers);

test('vitest: expect.extend with attesto-token-contract/matchers', () => {
  expect(bearer).toMatchBearerTokenResponse({ scope: 'read write' });
  expect(() => expect(noPragma).toMatchTokenResponse()).toThrow(/header\\.pragma\\.no-cache/);
  expect(() => expect(undefined).not.toMatchTokenResponse()).toThrow(/not an HTTP response/);
  expect({ token: challenge }).toEqual({ token: expect.toMatchTokenError('invalid_client') });
  // @ts-expect-error the options are typed through the vitest augmentation
  expect(() => expect(challenge).toMatchTokenError('invalid_client', { status: 'x' })).toThrow(/Matcher error/);
});
`;

/**
 * tsconfig for the @jest/globals test: CommonJS, classic node10 resolution
 * (the subpaths resolve through typesVersions), emitted for Jest. The
 * declarations themselves are checked strictly by TSCONFIG_NODE16.
 */
export const TSCONFIG_NODE10 = {
  // TypeScript 6 deprecates node10 resolution (a CommonJS project that still uses it says so).
  compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node', 'jest'], lib: ['ES2022', 'DOM'], outDir: 'out', rootDir: 'src' },
  include: ['src/globals.test.ts', 'src/global-types.test.ts'],
};

/** tsconfig checking the @jest/globals test under Node16 resolution (package "exports"), declarations included. */
export const TSCONFIG_NODE16 = {
  compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: false, types: ['node', 'jest'], lib: ['ES2022', 'DOM'], noEmit: true },
  include: ['src/globals.test.ts', 'src/global-types.test.ts'],
};

/**
 * tsconfig checking the Vitest test (an ES module, as Vitest's types require
 * under node16). skipLibCheck as Vitest recommends: its own index.d.cts does
 * not type-check when referenced from CommonJS declarations.
 */
export const TSCONFIG_VITEST = {
  compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, skipLibCheck: true, types: ['node'], lib: ['ES2022', 'DOM'], noEmit: true },
  include: ['vitest.test.mts', 'vitest-matchers-entry.test.mts'],
};

/** The conformance suite inside a consumer's own Jest run, against the reference server, all from the install. */
export const JEST_CONFORMANCE_TEST = `
const { describeTokenEndpointConformance } = require('attesto-token-contract/conformance');
describeTokenEndpointConformance({ only: ['ok-basic', 'grant-missing', 'dpop-ok'] });
`;

/**
 * Which heavy modules one entry loads: run in a fresh node per entry (argv[2])
 * so nothing another entry loaded is in require.cache. The jest entry needs a
 * global expect; the stub is set for every entry so all load under the same
 * conditions. Heavy: the HTTP stack behind supertest and our own harness,
 * server and conformance code, which the light entries must never pull in.
 */
export const LOAD_CHECK = `
globalThis.expect = { extend() {} };
const entry = process.argv[2];
require(entry);
const loaded = Object.keys(require.cache).map((path) => path.split(require('node:path').sep).join('/'));
const heavy = /\\/(supertest|superagent|formidable)\\/|\\/attesto-token-contract\\/dist\\/src\\/(server|harness|conformance)\\//;
// Dependencies the matchers do without: Ajv's compiler (precompiled validators), jose (loaded with a DPoP key), yaml (export).
const dependencies = /\\/node_modules\\/(ajv|ajv-formats|jose|yaml)\\//;
process.stdout.write(JSON.stringify({ entry, modules: loaded.length, heavy: loaded.filter((path) => heavy.test(path)), dependencies: loaded.filter((path) => dependencies.test(path)) }));
`;

/**
 * The strictest settings a user may have, over TypeScript 6's defaults
 * (strict on, module resolution from `module: nodenext`): optional members
 * must not be handed `undefined` unless they say so (exactOptionalPropertyTypes),
 * indexed access may be undefined (noUncheckedIndexedAccess), and our
 * declarations are checked too (skipLibCheck off).
 */
export const TSCONFIG_STRICT = {
  compilerOptions: {
    module: 'nodenext',
    noEmit: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    skipLibCheck: false,
    types: ['node', 'jest'],
  },
  include: ['src'],
};

/** Options built from values that may be undefined, as a config read from the environment is. */
export const STRICT_OPTIONS_TEST = `
import { tokenEndpoint, type ClientOptions } from 'attesto-token-contract/harness';
import { describeTokenEndpointConformance, runConformance, type ConformanceConfig } from 'attesto-token-contract/conformance';
import type {} from 'attesto-token-contract/jest';

const fromEnv = (name: string): string | undefined => process.env[name];

const client: ClientOptions = { id: 'basic-client', auth: 'client_secret_basic', secret: fromEnv('SECRET') ?? 'basic-secret', audience: fromEnv('AUDIENCE') };
const config: ConformanceConfig = {
  url: fromEnv('TOKEN_URL'),
  issuer: fromEnv('ISSUER'),
  scope: fromEnv('SCOPE'),
  timeoutMs: undefined,
  clients: [{ id: 'c', auth: 'client_secret_basic', secretEnv: fromEnv('SECRET_ENV'), audience: fromEnv('AUDIENCE') }],
};

export async function main(): Promise<string | undefined> {
  const harness = tokenEndpoint('https://as.example/token', { client, timeoutMs: undefined, path: fromEnv('TOKEN_PATH'), ca: undefined });
  const res = await harness.clientCredentials({ scope: fromEnv('SCOPE'), dpop: undefined, headers: undefined });
  expect(res).toMatchTokenResponse({ scope: fromEnv('SCOPE'), tokenType: undefined, profile: undefined });
  await expect(res).toMatchTokenResponse({ dpopKey: harness.dpopKey });
  const report = await runConformance(config, { baseDir: fromEnv('BASE_DIR'), env: undefined, signal: undefined });
  const first = report.checks[0];
  return first?.id;
}

describeTokenEndpointConformance(
  {
    url: fromEnv('TOKEN_URL'),
    issuer: fromEnv('ISSUER'),
    failOn: undefined,
    clients: [{ id: 'c', auth: 'client_secret_basic', secret: fromEnv('SECRET') }],
    grants: { refreshToken: { source: undefined, command: undefined } },
  },
  { name: fromEnv('SUITE_NAME'), baseDir: fromEnv('BASE_DIR'), log: undefined },
);
`;
