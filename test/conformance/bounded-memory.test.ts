/**
 * Issue 17 item 7: memory per run is bounded whatever the target sends.
 * Each hostile body is sent to every request of a full run; the CLI runs in
 * a child process with a 160 MB heap (the red team's 450k-deep JSON took a
 * run to 3.5 GB and killed it under a 1 GB heap, exit 134): it must finish
 * with a normal verdict (exit 1: failing checks), and the JSON report stays
 * small (a 2 MB body used to make a 47 MB report.json).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { jsonDepth, parseBoundedJson } from '../../src/oauth/bounded-json';
import { MAX_JSON_DEPTH } from '../../src/oauth/limits';

const MB = 1024 * 1024;
const BODIES: Record<string, { body: string; says: RegExp }> = {
  'arrays nested 500,000 deep': { body: '['.repeat(MB / 2) + ']'.repeat(MB / 2), says: /more than 64 KiB \(the rest not read\)/ },
  'objects nested 10,000 deep, within 64 KiB': { body: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), says: /JSON nested deeper than 64 levels \(not parsed\)/ },
  'an object of 40,000 members': { body: JSON.stringify(Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`m${i}`, 'v'.repeat(10)]))), says: /the rest not read/ },
  '2 MB of text': { body: 'x'.repeat(2 * MB), says: /the rest not read/ },
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bounded-memory-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a target answering every request with a hostile body', () => {
  test.each(Object.keys(BODIES))('%s: the run ends normally under a 160 MB heap, with a small report', async (name) => {
    const { body, says } = BODIES[name]!;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const out = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
      const child = spawn(process.execPath, ['--max-old-space-size=160', join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js'), 'conformance', '--url', url, '--client-id', 'a', '--client-secret', 'a-client-secret', '--reporter', 'json', '--output', out], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ code, stderr: stderr.slice(0, 500) }).toEqual({ code: 1, stderr: '' });
      expect(statSync(out).size).toBeLessThan(2 * MB);
      expect(readFileSync(out, 'utf8')).toMatch(says);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);
});

describe('parseBoundedJson', () => {
  test('measures nesting outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('"[[[[{{{{"')).toBe(0);
    expect(jsonDepth('{"a":"\\"[[["}')).toBe(1);
  });

  test('parses up to MAX_JSON_DEPTH, refuses deeper, and says which', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(parseBoundedJson(nested(MAX_JSON_DEPTH))).toMatchObject({ ok: true });
    expect(parseBoundedJson(nested(MAX_JSON_DEPTH + 1))).toEqual({ ok: false, reason: 'too-deep' });
    expect(parseBoundedJson('{"a":')).toEqual({ ok: false, reason: 'not-json' });
  });
});
