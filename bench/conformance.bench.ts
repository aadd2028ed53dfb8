/**
 * `npm run bench:conformance`: wall time and peak memory of a full
 * conformance run against the reference server, next to the time the same
 * number of plain `fetch` requests take against it (the floor: same
 * server, same concurrency, a valid Basic request each, no checking).
 * Targets: the suite costs at most 2x the floor, and a full default run
 * (reference server start included) finishes in under 2 s. Then the same
 * run against a target 50 ms away (a relay on loopback delaying every byte
 * by 25 ms each way, test/support/delaying-proxy.ts) next to its floor,
 * max(longest chain of dependent requests, requests / concurrency) x RTT;
 * target <= 1.3x. Prints figures; asserts nothing.
 */
import { createReferenceServer } from '../src/server';
import { defaultRunClients, referenceCodeSource, referenceTargetConfig, runConformance, DEFAULT_CONCURRENCY } from '../src/conformance';
import { basicAuthorization } from '../src/oauth/client-auth';
import { CHECKS } from '../src/conformance/checks';
import { startDelayingProxy } from '../test/support/delaying-proxy';

const RTT_MS = 50;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Samples RSS while `work` runs; returns its result, the wall time and the peak RSS. */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    return { result, ms: performance.now() - started, peakRss: Math.max(peakRss, process.memoryUsage().rss) };
  } finally {
    clearInterval(sampler);
  }
}

async function main(): Promise<void> {
  // As the default run: nonces required, so the nonce checks are measured too.
  const server = await createReferenceServer({ clients: await defaultRunClients(), dpop: { requireNonce: true } });
  const config = referenceTargetConfig(server);
  const basic = server.clients['basic-client']!;
  const authorization = basicAuthorization(basic.id, basic.secret!);
  try {
    const baselineRss = process.memoryUsage().rss;
    // Warm up: module loading, Ajv compilation, key generation, sockets.
    let requests = 0;
    await runConformance(config, { onRequest: () => void (requests += 1) });

    const suite: number[] = [];
    let peakRss = 0;
    let checks = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const run = await measured(() => runConformance(config));
      suite.push(run.ms);
      peakRss = Math.max(peakRss, run.peakRss);
      checks = run.result.summary.total - run.result.summary.skipped;
    }

    const floor: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const run = await measured(async () => {
        let next = 0;
        const worker = async () => {
          while (next < requests) {
            next += 1;
            const res = await fetch(server.tokenEndpoint, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: authorization },
              body: 'grant_type=client_credentials&scope=read',
            });
            await res.text();
          }
        };
        await Promise.all(Array.from({ length: DEFAULT_CONCURRENCY }, worker));
      });
      floor.push(run.ms);
    }

    // The default run also runs the lifecycle checks; three of them wait out the reference server's 5 s code
    // lifetime and grace window (time no speed-up can cut), so they are left out of the timed default run.
    const waiting = CHECKS.filter((c) => c.waits === true).map((c) => c.id);
    const defaultRuns: number[] = [];
    for (let i = 0; i < Math.min(ROUNDS, 3); i++) defaultRuns.push((await measured(() => runConformance({ skip: waiting }))).ms);
    // The lifecycle checks alone (codes from the reference server's /authorize), the same three left out.
    let lifecycleRequests = 0;
    const lifecycle = { ...config, only: ['authorization-code', 'refresh-token'], skip: waiting };
    const grantSources = { authorizationCode: referenceCodeSource(server) };
    await runConformance(lifecycle, { grantSources, onRequest: () => void (lifecycleRequests += 1) });
    const lifecycleRuns: number[] = [];
    for (let i = 0; i < ROUNDS; i++) lifecycleRuns.push((await measured(() => runConformance(lifecycle, { grantSources }))).ms);

    const suiteMs = median(suite);
    const floorMs = median(floor);
    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
    console.log(`conformance suite vs plain fetch (${ROUNDS} rounds, medians, concurrency ${DEFAULT_CONCURRENCY})`);
    console.log(`  full run against the reference server  ${suiteMs.toFixed(1)} ms  (${checks} checks, ${requests} requests)`);
    console.log(`  peak RSS during the runs                ${mb(peakRss)}  (${mb(baselineRss)} before the first run, TypeScript transpiler included)`);
    console.log(`  ${requests} plain fetch requests (floor)        ${floorMs.toFixed(1)} ms`);
    console.log(`  suite / floor                           ${(suiteMs / floorMs).toFixed(2)}x   (target <= 2x)`);
    console.log(`  default run (starts the servers too)    ${median(defaultRuns).toFixed(1)} ms   (target < 2000 ms; reference server + DPoP-off companion; without ${waiting.join(', ')}, which wait out the 5 s code lifetime and the 3 s grace window)`);
    console.log(`  lifecycle checks alone                  ${median(lifecycleRuns).toFixed(1)} ms  (${CHECKS.filter((c) => (c.group === 'authorization-code' || c.group === 'refresh-token') && !waiting.includes(c.id)).length} checks, ${lifecycleRequests} token requests plus a GET /authorize per code)`);
  } finally {
    await server.close();
  }
  await latency();
}

/** Warm runs against the reference server behind a relay RTT_MS away, next to the floor of the same run's requests. */
async function latency(): Promise<void> {
  let target: URL | undefined;
  const relay = await startDelayingProxy(() => ({ host: target!.hostname, port: Number(target!.port) }), RTT_MS);
  // The issuer is the relay's origin: DPoP htu and assertion aud name the URL the suite sends to.
  const server = await createReferenceServer({ clients: await defaultRunClients(), dpop: { requireNonce: true }, issuer: relay.origin });
  target = new URL(server.url);
  const base = referenceTargetConfig(server);
  const config = { ...base, url: new URL(new URL(server.tokenEndpoint).pathname, relay.origin).href };
  try {
    const mode = new Map(CHECKS.map((c) => [c.id, c.mode ?? 'concurrent']));
    const perCheck = new Map<string, number>();
    await runConformance(config, { onRequest: (id) => perCheck.set(id, (perCheck.get(id) ?? 0) + 1) });
    const total = [...perCheck.values()].reduce((a, b) => a + b, 0);
    let longestPooled = 0;
    let serial = 0;
    for (const [id, n] of perCheck) {
      if (!mode.has(id) || mode.get(id) === 'concurrent') longestPooled = Math.max(longestPooled, n);
      else serial += n;
    }
    const chain = longestPooled + serial;
    const floorMs = Math.max(chain, total / DEFAULT_CONCURRENCY) * RTT_MS;
    const runs: number[] = [];
    for (let i = 0; i < Math.min(ROUNDS, 5); i++) runs.push((await measured(() => runConformance(config))).ms);
    const wall = median(runs);
    console.log(`a target ${RTT_MS} ms away (relay on loopback; ${Math.min(ROUNDS, 5)} warm runs, median)`);
    console.log(`  full run                                ${wall.toFixed(1)} ms  (${total} requests, concurrency ${DEFAULT_CONCURRENCY})`);
    console.log(`  floor: max(chain ${chain}, ${total}/${DEFAULT_CONCURRENCY}) x ${RTT_MS} ms      ${floorMs.toFixed(1)} ms`);
    console.log(`  run / floor                             ${(wall / floorMs).toFixed(2)}x   (target <= 1.3x)`);
  } finally {
    await relay.close();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
