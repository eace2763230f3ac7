import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLaws } from '@fraudstream/system';
import { startServer, type FraudSystem, type RunningServer, type Stats } from '../src/index.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

let system: FraudSystem;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  system = await createTestSystem();
  server = await startServer({ system, port: 0 });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
});

const post = (path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

/** Checks every field of the stats contract in ARCHITECTURE.md. */
function expectStatsShape(stats: Stats): void {
  expect(typeof stats.running).toBe('boolean');
  expect(typeof stats.uptimeS).toBe('number');
  // The contract's fields, plus the generator's additive injection counters (POST /api/scenario).
  expect(stats.source).toEqual({
    kind: 'generator',
    targetTps: expect.any(Number),
    state: expect.stringMatching(/^(idle|running|stopped)$/),
    injected: expect.any(Number),
    pendingInjected: expect.any(Number),
    heldBackMs: expect.any(Number),
    schedule: { lagMs: expect.any(Number), maxLagMs: expect.any(Number), shed: expect.any(Number) },
  });
  for (const key of ['written', 'consumed', 'scored', 'fallback', 'invalid', 'decided', 'approved', 'review', 'declined', 'rejected', 'inFlight'] as const) {
    expect(typeof stats.counts[key], key).toBe('number');
  }
  for (const key of ['ingestTps', 'decideTps'] as const) expect(typeof stats.throughput[key]).toBe('number');
  for (const key of ['p50', 'p99', 'p999', 'max'] as const) expect(typeof stats.latencyMs[key]).toBe('number');
  for (const key of ['p50', 'p99', 'p999', 'max'] as const) expect(typeof stats.scheduleLatencyMs[key]).toBe('number');
  for (const key of ['labelled', 'precision', 'recall', 'fpr'] as const) expect(typeof stats.quality[key]).toBe('number');
  expect(typeof stats.queue.depth).toBe('number');
  expect(stats.queue.capacity).toBeGreaterThan(0);
  expect(stats.workers.count).toBe(2);
  // The laws recomputed from the served counts, and the server's own verdict on the same snapshot.
  expect(checkLaws(stats)).toEqual([]);
  expect(stats.laws).toEqual({ ok: true, violations: [] });
}

describe('HTTP API on the real system', () => {
  it('answers GET /healthz', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('serves the stats JSON of the architecture contract', async () => {
    const response = await fetch(`${base}/api/stats`);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as Stats;
    expectStatsShape(stats);
    expect(stats.running).toBe(false);
    expect(stats.source.targetTps).toBe(2_000);
  });

  it('starts and stops the system, deciding every accepted transaction by the time stop answers', async () => {
    const started = await post('/api/system/start');
    expect(started.status).toBe(200);
    expect(((await started.json()) as Stats).running).toBe(true);

    await waitFor(async () => ((await (await fetch(`${base}/api/stats`)).json()) as Stats).counts.scored > 100);

    const stopped = await post('/api/system/stop');
    expect(stopped.status).toBe(200);
    const stats = (await stopped.json()) as Stats;
    expectStatsShape(stats);
    expect(stats.running).toBe(false);
    expect(stats.counts.inFlight).toBe(0);
    expect(stats.counts.scored).toBeGreaterThan(100);
    // The generator's own count, the engine's and the scorer's agree once stop has drained.
    expect(stats.counts.consumed).toBe(stats.counts.written);
    expect(stats.counts.scored).toBe(stats.counts.written);
    expect(stats.counts.fallback).toBe(0);

    // Starting twice and stopping twice are harmless.
    expect((await post('/api/system/stop')).status).toBe(200);
  });

  it('changes the generator rate', async () => {
    const response = await post('/api/generator', JSON.stringify({ tps: 1234 }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as Stats).source.targetTps).toBe(1234);
    expect(system.stats().source.targetTps).toBe(1234);
  });

  it.each([
    ['malformed JSON', '{"tps":', 'malformed_json', undefined],
    ['an empty body', undefined, 'malformed_json', undefined],
    ['a non-object', '[1000]', 'invalid_body', undefined],
    ['a missing tps', '{}', 'missing_field', 'tps'],
    ['a string tps', '{"tps":"1000"}', 'invalid_type', 'tps'],
    ['a null tps', '{"tps":null}', 'invalid_type', 'tps'],
    ['tps 0', '{"tps":0}', 'out_of_range', 'tps'],
    ['tps above 5,000,000', '{"tps":5000001}', 'out_of_range', 'tps'],
    ['an unknown field', '{"tps":10,"burst":5}', 'unknown_field', 'burst'],
  ])('refuses %s with a 400 naming the problem', async (_name, body, code, field) => {
    const response = await post('/api/generator', body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { error: Record<string, unknown> };
    expect(json.error['code']).toBe(code);
    expect(json.error['field']).toBe(field);
    expect(typeof json.error['message']).toBe('string');
    expect(JSON.stringify(json)).not.toMatch(/stack|at .*\.ts/);
    expect(system.stats().source.targetTps).toBe(1234);
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const response = await post('/api/generator', JSON.stringify({ tps: 10, pad: 'x'.repeat(17 * 1024) }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('answers unknown API routes with a JSON 404 and wrong methods with 405', async () => {
    const missing = await fetch(`${base}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');

    const wrongMethod = await fetch(`${base}/api/stats`, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
    const getOnPost = await fetch(`${base}/api/system/start`);
    expect(getOnPost.status).toBe(405);
    expect(getOnPost.headers.get('allow')).toBe('POST');
    expect((await fetch(`${base}/index.html`, { method: 'DELETE' })).status).toBe(405);
  });

  it('refuses a cross-origin POST', async () => {
    const response = await post('/api/system/start', undefined, { Origin: 'http://attacker.example' });
    expect(response.status).toBe(403);
    expect(system.stats().running).toBe(false);
  });
});
