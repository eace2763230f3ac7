import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { LATENCY_BUCKETS_S, renderMetrics } from '../src/metrics.js';
import { createTestSystem, waitFor } from './utils/real-system.js';
import { promtoolCheck } from './utils/promtool.js';

/** The value of one sample line (`name{labels} value`) of an exposition. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

describe('GET /metrics on the real system', () => {
  let system: FraudSystem;
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    await system.start();
    await waitFor(() => system.stats().counts.scored >= 2_000);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves an exposition that promtool check metrics accepts', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    const text = await res.text();
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    expect(text).toMatch(/^fraudstream_model_info\{version="[^"]+"\} 1$/m);
    expect(text).toContain('# TYPE fraudstream_ingest_to_decision_seconds histogram');
    expect(text).toContain('fraudstream_ingest_to_decision_seconds_bucket{le="0.00001"}');
    expect(text).toContain('fraudstream_schedule_to_decision_seconds_bucket{le="10"}');
    expect(sample(text, 'fraudstream_laws_ok')).toBe(1);
    expect(sample(text, 'fraudstream_worker_busy_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'fraudstream_api_deadline_misses_total')).toBe(0);
  });

  it('exports the independent counts, and the histograms count every decided transaction once', async () => {
    await system.stop();
    const text = renderMetrics(system, { wsClients: 0, wsRefused: 0 });
    const c = system.stats().counts;
    expect(sample(text, 'fraudstream_transactions_written_total')).toBe(c.written);
    expect(sample(text, 'fraudstream_transactions_consumed_total')).toBe(c.consumed);
    expect(sample(text, 'fraudstream_transactions_scored_total')).toBe(c.scored);
    expect(sample(text, 'fraudstream_decisions_total{decision="approve"}')).toBe(c.approved);
    expect(sample(text, 'fraudstream_labels_total{stage="applied"}')).toBe(c.labels.applied);
    const decided = c.scored + c.invalid + c.fallback;
    expect(sample(text, 'fraudstream_ingest_to_decision_seconds_count')).toBe(decided);
    expect(sample(text, 'fraudstream_schedule_to_decision_seconds_count')).toBe(decided);
    expect(sample(text, 'fraudstream_ingest_to_decision_seconds_bucket{le="+Inf"}')).toBe(decided);
    expect(sample(text, 'fraudstream_queue_wait_seconds_count')).toBe(decided);
    expect(sample(text, 'fraudstream_batch_seconds_count')).toBe(system.stats().batches.dispatched);
    // Buckets are cumulative: never decreasing, and the top one holds everything under 10 s (a stopped test system).
    let previous = 0;
    for (const le of LATENCY_BUCKETS_S) {
      const v = sample(text, `fraudstream_ingest_to_decision_seconds_bucket{le="${le}"}`);
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
    expect(previous).toBe(decided);
    await system.start();
  });

  it('every metric the Grafana dashboard queries is exposed', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    // A family is exposed when it has samples, or (a labelled counter with none yet, e.g. rejections) its TYPE line.
    const exposed = new Set(text.split('\n').map((l) => /^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(l)?.[1]));
    const dashboard = JSON.parse(readFileSync(new URL('../../../ops/grafana/fraudstream.json', import.meta.url), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) for (const m of target.expr.matchAll(/\bfraudstream_[a-z0-9_]+/g)) queried.add(m[0]);
    }
    expect(queried.size).toBeGreaterThan(10);
    const missing = [...queried].filter((name) => !exposed.has(name));
    expect(missing).toEqual([]);
  });
});

describe('GET /metrics access', () => {
  let system: FraudSystem;
  let server: RunningServer;
  const token = 'metrics-test-token-0123456789';
  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0, token });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('needs the bearer token when one is set', async () => {
    const url = `http://127.0.0.1:${server.port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
  });
});

/** GET /metrics with a chosen Host header (fetch cannot set Host), returning the status code. */
function statusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(text.split(' ')[1])));
  });
}

describe('GET /metrics without a token', () => {
  let system: FraudSystem;
  let server: RunningServer;
  beforeAll(async () => {
    system = await createTestSystem();
    server = await startServer({ system, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers a loopback Host and refuses any other (DNS rebinding) with 403', async () => {
    expect(await statusWithHost(server.port, `127.0.0.1:${server.port}`)).toBe(200);
    expect(await statusWithHost(server.port, `localhost:${server.port}`)).toBe(200);
    expect(await statusWithHost(server.port, `attacker.example:${server.port}`)).toBe(403);
  });

  it('with a webhook configured, exports its counts in an exposition promtool accepts', () => {
    const webhook = { alertsIn: 9, alertsSent: 5, alertsDropped: 1, alertsFailed: 2, alertsOmitted: 3, queued: 1, messagesSent: 2, messagesFailed: 1, retries: 4 };
    const text = renderMetrics(system, { wsClients: 1, wsRefused: 2, webhook });
    expect(sample(text, 'fraudstream_webhook_alerts_total{outcome="dropped"}')).toBe(1);
    expect(sample(text, 'fraudstream_webhook_retries_total')).toBe(4);
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('promtool check metrics can fail', () => {
  it('rejects a counter without _total and a histogram without +Inf', () => {
    const bad = '# HELP x_requests requests\n# TYPE x_requests counter\nx_requests 1\n';
    const check = promtoolCheck(bad);
    expect(check.output).toContain('counter metrics should have "_total" suffix');
    expect(check.status).not.toBe(0);
  });
});
