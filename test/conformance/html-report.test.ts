/**
 * The HTML report in a real browser: Debian's headless Chromium, driven by
 * playwright-core, loads the file written by `--reporter html --output`.
 * The run is against a server that breaks rules (no Pragma, so
 * resp-no-store fails; no expires_in, so resp-expires warns) and is hostile
 * (its error bodies carry markup and echo the request's credentials). The
 * test checks what is rendered (the header's counts, a bar per level, one
 * closed <details> per failure that opens on a click and shows the curl
 * line, skipped checks with reasons), that the page fetches nothing, runs
 * nothing of the target's, and that no secret is anywhere in its DOM; it
 * takes a screenshot. Without Chromium (.ci/run installs Debian's) the
 * tests are skipped with the reason printed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { defaultRunClients, type ConformanceReport } from '../../src/conformance';
import { cli } from '../support/cli';
import { header, startMutatingProxy, withoutHeader, type MutatingProxy, type ProxyRequest, type ProxyResponse } from './support/mutating-proxy';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) process.stderr.write(`html-report.test.ts: skipped: no Chromium at ${CHROMIUM} (install Debian's chromium, as .ci/run does, or set CHROMIUM_PATH)\n`);

/** Markup a hostile server puts in its answers: shown as text in the report, never run or rendered. */
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"></pre><b id="injected">bold</b>';

let proxy: MutatingProxy;
let dir: string;
let browser: Browser | undefined;
const issuedTokens = new Set<string>();
let report: ConformanceReport;
let htmlFile: string;

/** Drops Pragma and expires_in; error bodies get markup and the request's own credentials echoed back. */
function hostile(res: ProxyResponse, req: ProxyRequest): ProxyResponse {
  let body = res.body;
  try {
    const parsed = JSON.parse(res.body) as Record<string, unknown>;
    if (typeof parsed.access_token === 'string') issuedTokens.add(parsed.access_token);
    if (typeof parsed.refresh_token === 'string') issuedTokens.add(parsed.refresh_token);
    if (res.status === 200) delete parsed.expires_in;
    else parsed.detail = `${HOSTILE} you sent: ${header(req, 'Authorization') ?? ''} ${req.body}`;
    body = JSON.stringify(parsed);
  } catch {
    // not JSON: as it is
  }
  return { ...withoutHeader(res, 'Pragma'), body };
}

beforeAll(async () => {
  proxy = await startMutatingProxy({ clients: await defaultRunClients() });
  proxy.mutation = { response: hostile };
  dir = mkdtempSync(join(tmpdir(), 'html-report-'));
  htmlFile = join(dir, 'report.html');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ...proxy.config, issuer: undefined, only: ['success', 'transport', 'client-auth', 'tls'] }));
  const json = join(dir, 'report.json');
  const run = await cli(['conformance', '--config', config, '--reporter', 'html', '--output', htmlFile, '--reporter', 'json', '--output', json]);
  expect(run.code).toBe(1);
  report = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport;
  if (haveChromium) {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root in CI, without a sandbox; none of Chromium's own network traffic (the machine has no internet).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every credential the run held or saw: the demo clients' secrets, their Basic values, private key members, and the tokens issued. */
function secretsOfRun(): string[] {
  const out = new Set<string>(issuedTokens);
  for (const client of Object.values(proxy.server.clients)) {
    if (client.secret !== undefined) {
      out.add(client.secret);
      out.add(Buffer.from(`${client.id}:${client.secret}`).toString('base64'));
    }
    if (client.privateJwk?.d !== undefined) out.add(client.privateJwk.d);
  }
  return [...out].filter((s) => s.length >= 8);
}

(haveChromium ? describe : describe.skip)('the HTML report in headless Chromium', () => {
  test('renders the header counts, a bar per level, closed failures that open on a click, skipped checks with reasons; fetches nothing; takes a screenshot', async () => {
    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const url = pathToFileURL(htmlFile).href;
    await page.goto(url);
    // Only the file itself: no stylesheet, font, image or script from anywhere.
    expect(requests).toEqual([url]);

    const { summary } = report;
    expect(summary.failed).toBeGreaterThan(0);
    for (const [status, n] of [['failed', summary.failed], ['passed', summary.passed], ['warned', summary.warned], ['skipped', summary.skipped]] as const) {
      expect(await page.textContent(`[data-count="${status}"]`)).toBe(String(n));
    }
    expect(await page.textContent('h1')).toBe(`Token endpoint conformance: ${summary.failing} failing check${summary.failing === 1 ? '' : 's'}`);
    // A bar per level that has checks, whose segments add up to its checks.
    const bars = await page.$$eval('.bar-row', (rows) => rows.map((row) => ({ level: row.getAttribute('data-level'), sum: [...row.querySelectorAll('.segment')].reduce((n, s) => n + Number(s.textContent), 0) })));
    expect(bars.map((b) => b.level)).toContain('MUST');
    expect(bars.reduce((n, b) => n + b.sum, 0)).toBe(summary.total);

    // The failures first: one closed <details> per failed check.
    const failures = page.locator('#failures details.check');
    expect(await failures.count()).toBe(summary.failed);
    const first = failures.first();
    expect(await first.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await first.locator('pre.curl').first().isVisible()).toBe(false);
    await first.locator('summary').click();
    expect(await first.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    const curl = first.locator('pre.curl').first();
    expect(await curl.isVisible()).toBe(true);
    expect(await curl.textContent()).toMatch(/^curl -i /);
    expect(await first.locator('pre.request').first().isVisible()).toBe(true);
    // The RFC reference links to the section.
    expect(await first.locator('.reference a').first().getAttribute('href')).toMatch(/^https:\/\/www\.rfc-editor\.org\/rfc\/rfc\d+(#section-[\d.]+)?$/);
    // Skipped checks with their reasons.
    expect(await page.locator('#skipped tbody tr').count()).toBe(summary.skipped);
    expect(await page.textContent('#skipped')).toMatch(/needs an https:\/\/ target/);

    // The failure open and the warnings too, for the picture.
    await page.locator('#warnings details.check summary').first().click();
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    if (process.env.HTML_REPORT_SCREENSHOT) writeFileSync(process.env.HTML_REPORT_SCREENSHOT, readFileSync(shot));
    await page.close();
  });

  test('the target\'s markup is shown as text and never runs; no secret is in the DOM', async () => {
    const page = await browser!.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(htmlFile).href);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    expect(await page.$$eval('img', (s) => s.length)).toBe(0);
    expect(await page.$('#injected')).toBeNull();
    expect(dialogs).toEqual([]);
    // Shown: the hostile text is there, as text.
    await page.$$eval('details', (all) => all.forEach((d) => ((d as HTMLDetailsElement).open = true)));
    const visible = await page.evaluate(() => document.body.innerText);
    expect(visible).toContain('<script>window.__pwned=1</script>');
    // No secret, in the DOM or in what a reader sees, in raw or base64 form.
    const dom = await page.content();
    const secrets = secretsOfRun();
    expect(secrets.length).toBeGreaterThan(3);
    expect(issuedTokens.size).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect([secret.slice(0, 6), dom.includes(secret), visible.includes(secret)]).toEqual([secret.slice(0, 6), false, false]);
    }
    await page.close();
  });
});
