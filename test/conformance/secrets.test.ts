/**
 * No secret in any report, against the worst server we could write: it
 * echoes every request (Authorization, DPoP proofs and their decoded
 * headers, body, query) into error_description, into extra response
 * headers and a WWW-Authenticate realm, into token responses, and echoes
 * the previous access token into later responses (a secret the suite only
 * learns after it first appears). Every error code is wrong, so nearly
 * every check fails and shows its exchange. Each reporter's output, and
 * the live console lines, are grepped for every value that crossed the wire.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import { DEFAULT_RUN_SERVER } from '../../src/conformance/reference-run';
import { CHECKS, ConsoleReporter, defaultRunClients, formatReport, referenceCodeSource, runConformance, type CodeSource, type ConformanceReport } from '../../src/conformance';
import { dpopProofs, form, header, json, startMutatingProxy, withHeader, withJson, withoutHeader, type MutatingProxy, type ProxyRequest, type ProxyResponse } from './support/mutating-proxy';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

describe('secrets never reach a report', () => {
  let proxy: MutatingProxy;
  let report: ConformanceReport;
  let live = '';
  const secrets = new Set<string>();
  const remember = (value: unknown) => {
    if (typeof value !== 'string' || value.length < 8) return;
    secrets.add(value);
    secrets.add(encodeURIComponent(value));
  };
  const rememberJwk = (jwk: unknown) => {
    if (jwk && typeof jwk === 'object') for (const member of PRIVATE_MEMBERS) remember((jwk as Record<string, unknown>)[member]);
  };
  let previousToken = '';

  function echo(req: ProxyRequest): string {
    const proofHeaders = dpopProofs(req).map((proof) => {
      try {
        return JSON.stringify(decodeProtectedHeader(proof.split(', ')[0]!));
      } catch {
        return '';
      }
    });
    return `auth=${header(req, 'authorization') ?? ''} dpop=${dpopProofs(req).join(' ')} headers=${proofHeaders.join(' ')} body=${req.body} path=${req.path} last=${previousToken}`;
  }

  function echoHeaders(res: ProxyResponse, req: ProxyRequest): ProxyResponse {
    let out = res;
    const safe = (value: string) => value.replace(/[^\x20-\x7e]/g, '?');
    out = withHeader(out, 'X-Echo-Authorization', safe(header(req, 'authorization') ?? ''));
    out = withHeader(out, 'X-Echo-DPoP', safe(dpopProofs(req).join(' ')));
    out = withHeader(out, 'X-Echo-Body', safe(req.body));
    out = withHeader(out, 'X-Echo-Path', safe(req.path));
    out = withHeader(out, 'X-Previous-Token', previousToken);
    if (res.status === 401) out = withHeader(out, 'WWW-Authenticate', `Basic realm="${safe(header(req, 'authorization') ?? '').replace(/"/g, '')}"`);
    return out;
  }

  beforeAll(async () => {
    const clients = await defaultRunClients();
    // The default run's short code lifetime and grace window: the lifecycle checks that wait for them wait seconds.
    proxy = await startMutatingProxy({ clients, requireNonce: true, server: DEFAULT_RUN_SERVER });
    for (const client of clients) {
      remember(client.secret);
      rememberJwk(client.privateJwk);
    }
    proxy.mutation = {
      request: (req) => {
        const authorization = header(req, 'authorization');
        // The two junk values basic-malformed and auth-other-scheme send are no credentials; every other one is.
        if (authorization !== undefined && !['Basic not-base64!!', 'Bearer abc'].includes(authorization)) {
          remember(authorization);
          remember(authorization.split(' ')[1]);
        }
        // Every signed proof; dpop-malformed's `not-a-jwt` is no credential.
        for (const proof of dpopProofs(req).filter((p) => p.includes('.'))) {
          remember(proof);
          for (const single of proof.split(', ')) {
            remember(single);
            try {
              rememberJwk(decodeProtectedHeader(single).jwk); // dpop-jwk-private sends the run's private DPoP key
            } catch {
              // not a JWS
            }
          }
        }
        const params = /json/.test(header(req, 'content-type') ?? '') ? new URLSearchParams(Object.entries((JSON.parse(req.body || '{}') as Record<string, string>) ?? {})) : form(req);
        remember(params.get('client_assertion'));
        remember(params.get('client_secret'));
        // The lifecycle checks' credentials: codes, verifiers (a wrong one is still a verifier) and refresh tokens.
        for (const name of ['code', 'code_verifier', 'refresh_token']) remember(params.get(name));
        if (req.method === 'GET') return { status: 404, headers: [['Content-Type', 'text/html']], body: `<html><pre>${echo(req)}</pre></html>` };
        return undefined;
      },
      response: (res, req) => {
        const body = json(res);
        let out = withoutHeader(res, 'Pragma');
        if (typeof body?.access_token === 'string') {
          remember(body.access_token);
          remember(body.refresh_token);
          out = withJson(out, { ...body, debug: echo(req) });
          const issued = body.access_token;
          out = echoHeaders(out, req);
          previousToken = issued;
          return out;
        }
        if (body?.error && body.error !== 'use_dpop_nonce') out = withJson(out, { error: 'echo_error', error_description: echo(req) });
        else if (body?.error) out = withJson(out, { ...body, error_description: echo(req) });
        return echoHeaders(out, req);
      },
    };
    const reporter = new ConsoleReporter({ write: (s: string) => (live += s) }, { color: false });
    // Codes straight from the reference server behind the proxy (the proxy answers every GET with an echoing 404).
    const codes = referenceCodeSource(proxy.server);
    const authorizationCode: CodeSource = async (request) => {
      const issued = await codes(request);
      remember(issued.code);
      remember(issued.codeVerifier);
      return issued;
    };
    // The checks that wait out the windows send nothing the others do not: left out, they would only cost seconds.
    const skip = CHECKS.filter((c) => c.waits === true).map((c) => c.id);
    report = await runConformance({ ...proxy.config, skip }, { grantSources: { authorizationCode }, onStart: (i) => reporter.onStart(i), onResult: (r, d, t) => reporter.onResult(r, d, t) });
    reporter.finish(report);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  test('the echoing server fails nearly every check, so every reporter renders its exchanges', () => {
    expect(report.summary.failed).toBeGreaterThan(35);
    // The lifecycle checks ran (and fail on the echoing answers), so codes, verifiers and refresh tokens were on the wire.
    expect(report.checks.filter((c) => (c.group === 'authorization-code' || c.group === 'refresh-token') && c.status === 'failed').length).toBeGreaterThan(8);
    // Every kind of secret was seen on the wire: client secrets, Basic values, assertions, proofs, tokens, private keys.
    expect(secrets.size).toBeGreaterThan(100);
    // The late-learnt secret path is exercised: earlier tokens come back in later responses' headers.
    expect(formatReport(report, 'json')).toMatch(/"x-previous-token": "\[redacted/);
  });

  test.each(['live console', 'console', 'json', 'junit', 'markdown'] as const)('%s output contains none of them', (name) => {
    const text = name === 'live console' ? live : formatReport(report, name);
    const leaked = [...secrets].filter((secret) => text.includes(secret));
    expect(leaked.map((secret) => `${secret.slice(0, 6)}… (${secret.length} chars) at …${text.slice(Math.max(0, text.indexOf(secret) - 60), text.indexOf(secret))}`)).toEqual([]);
    expect(text).toMatch(/redacted/);
  });

  test('every curl line carries placeholders, never credentials', () => {
    // The console shows a shared answer's curl once; every finding of the report carries its own.
    const printed = live.split('\n').filter((line) => line.trim().startsWith('curl '));
    const curls = [...printed, ...report.checks.flatMap((c) => c.findings.flatMap((f) => (f.exchange ? [f.exchange.curl] : [])))];
    expect(printed.length).toBeGreaterThan(0);
    expect(curls.length).toBeGreaterThan(40);
    for (const curl of curls) {
      for (const [, value] of curl.matchAll(/-H '(?:Authorization|authorization): ([^']*)'/g)) expect(value).toMatch(/^(Basic <BASE64\(CLIENT_ID:CLIENT_SECRET\)>|Basic not-base64!!|Bearer <CREDENTIALS>)$/);
      for (const [, value] of curl.matchAll(/ -u '([^']*)'/g)) expect(value).toMatch(/^[\w.*-]+:<CLIENT_SECRET>$/);
      for (const [, value] of curl.matchAll(/-H '(?:DPoP|DPOP): ([^']*)'/g)) expect(value).toMatch(/^(<DPOP_PROOF>|not-a-jwt)$/);
      for (const [, value] of curl.matchAll(/client_secret=([^&']*)/g)) expect(value).toBe('<CLIENT_SECRET>');
      for (const [, value] of curl.matchAll(/client_assertion=([^&']*)/g)) expect(value).toBe('<CLIENT_ASSERTION_JWT>');
    }
    const all = curls.join('\n');
    for (const placeholder of [":<CLIENT_SECRET>'", '<DPOP_PROOF>', 'client_secret=<CLIENT_SECRET>', 'client_assertion=<CLIENT_ASSERTION_JWT>']) expect(all).toContain(placeholder);
  });
});
