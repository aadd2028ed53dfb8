/**
 * Client-id enumeration: an unknown client id must be answered exactly like
 * a known client with wrong credentials, in words and in time (RFC 6749
 * §10.10 credentials guessing; RFC 7523 §2.2 for private_key_jwt). The one
 * place where a timing comparison is the property itself, so it is measured
 * to be robust on a loaded machine: both kinds of request go over the same
 * keep-alive connection, interleaved (each pair in alternating order), many
 * samples, and the medians are compared as a ratio with a generous bound. A
 * leak is systematic, so it shows in every round; a round spoilt by a noisy
 * neighbour is retried, up to three.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { basicAuthorization, createClientAssertion, generateDpopKey } from '../../src/harness';
import { createDemoClients } from '../../src/server';
import { useReferenceServer } from './support';

// The demo clients, plus one whose key makes verification slow (P-521), where a skipped verification would show most.
const ctx = useReferenceServer(async () => {
  const { publicKey } = await generateKeyPair('ES512');
  return { clients: [...(await createDemoClients()), { id: 'p521-client', authMethods: ['private_key_jwt'], jwks: { keys: [await exportJWK(publicKey)] } }] };
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());

/** Medians more than this far apart (larger / smaller) are a leak. */
const MAX_RATIO = 1.5;
const SAMPLES = 200;
const WARM_UP = 20;
const ROUNDS = 3;

interface Request {
  headers: Record<string, string>;
  body: string;
}
interface Answer {
  status: number;
  body: string;
  challenge: string | undefined;
}

function send(request: Request): Promise<Answer> {
  const url = new URL(ctx.server.tokenEndpoint);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(request.body)), ...request.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, challenge: res.headers['www-authenticate'] }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

async function timed(request: Request): Promise<number> {
  const start = process.hrtime.bigint();
  await send(request);
  return Number(process.hrtime.bigint() - start) / 1000; // µs
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Round {
  known: number;
  unknown: number;
  ratio: number;
}

async function round(known: Request, unknown: Request): Promise<Round> {
  for (let i = 0; i < WARM_UP; i++) await Promise.all([send(known), send(unknown)]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i % 2 === 0) {
      a.push(await timed(known));
      b.push(await timed(unknown));
    } else {
      b.push(await timed(unknown));
      a.push(await timed(known));
    }
  }
  const [known_, unknown_] = [median(a), median(b)];
  return { known: known_, unknown: unknown_, ratio: Math.max(known_, unknown_) / Math.min(known_, unknown_) };
}

/** Rounds until one shows no leak (at most ROUNDS); every round is returned for the report. */
async function compare(known: Request, unknown: Request): Promise<Round[]> {
  const rounds: Round[] = [];
  while (rounds.length < ROUNDS) {
    rounds.push(await round(known, unknown));
    if (rounds[rounds.length - 1]!.ratio < MAX_RATIO) break;
  }
  if (process.env.TIMING_REPORT) {
    process.stderr.write(`${expect.getState().currentTestName}: ${rounds.map((r) => `known ${r.known.toFixed(0)} µs, unknown ${r.unknown.toFixed(0)} µs, ratio ${r.ratio.toFixed(2)}`).join('; ')}\n`);
  }
  return rounds;
}

function expectNoLeak(rounds: Round[]): void {
  const best = Math.min(...rounds.map((r) => r.ratio));
  const report = rounds.map((r) => `known ${r.known.toFixed(0)} µs / unknown ${r.unknown.toFixed(0)} µs (×${r.ratio.toFixed(2)})`).join(', ');
  expect({ best: best < MAX_RATIO ? `under ×${MAX_RATIO}` : report }).toEqual({ best: `under ×${MAX_RATIO}` });
}

const form = (params: Record<string, string>) => new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString();

interface Case {
  /** A known client with credentials that do not verify, and the same with an unknown id; `status` is their answer's. */
  make: () => Promise<{ known: Request; unknown: Request }>;
  status: number;
}

const assertionCase = (knownId: string, alg: 'ES256' | 'ES512' | 'PS256'): Case => ({
  status: 400,
  make: async () => {
    // Signed with a key the attacker made, which the known client's registered key cannot verify.
    const attackerKey = await generateDpopKey(alg);
    const request = async (clientId: string): Promise<Request> => ({
      headers: {},
      body: form({
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await createClientAssertion({ clientId, key: attackerKey, audience: ctx.server.tokenEndpoint }),
      }),
    });
    return { known: await request(knownId), unknown: await request('no-such-client') };
  },
});

const cases: Array<[string, Case]> = [
  ['private_key_jwt, an ES256 assertion for an ES256 client, signed with another key', assertionCase('jwt-client', 'ES256')],
  ['private_key_jwt, an ES512 assertion for an ES512 client, signed with another key', assertionCase('p521-client', 'ES512')],
  ['private_key_jwt, a PS256 assertion for an ES256 client (no key for that algorithm)', assertionCase('jwt-client', 'PS256')],
  [
    'client_secret_basic, a wrong secret',
    {
      status: 401,
      make: async () => ({
        known: { headers: { Authorization: basicAuthorization('basic-client', 'not-the-secret') }, body: form({}) },
        unknown: { headers: { Authorization: basicAuthorization('no-such-client', 'not-the-secret') }, body: form({}) },
      }),
    },
  ],
  [
    'client_secret_post, a wrong secret',
    {
      status: 400,
      make: async () => ({
        known: { headers: {}, body: form({ client_id: 'post-client', client_secret: 'not-the-secret' }) },
        unknown: { headers: {}, body: form({ client_id: 'no-such-client', client_secret: 'not-the-secret' }) },
      }),
    },
  ],
];

describe('an unknown client id is answered like a known one with wrong credentials', () => {
  it.each(cases)('%s: the same status, description and challenge', async (_, { make, status }) => {
    const { known, unknown } = await make();
    const answer = await send(known);
    expect(answer.status).toBe(status);
    expect(await send(unknown)).toEqual(answer);
  });

  it.each(cases)(`%s: the same time (medians within ×${MAX_RATIO})`, async (_, { make }) => {
    const { known, unknown } = await make();
    expectNoLeak(await compare(known, unknown));
  });
});
