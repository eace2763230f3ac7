import { decisionIdOf } from '@fraudstream/store';
import { createSystem, type System } from '@fraudstream/system';
import { afterEach, describe, expect, it } from 'vitest';
import { ScoreResponseSchema } from '../src/api-schemas.js';
import { checkSchema } from '../src/json-schema.js';
import { startServer, type RunningServer, type ScoringOptions, type Stats } from '../src/index.js';
import type { ApiStats, ScoreResponse } from '../src/score-api.js';
import { waitFor } from './utils/real-system.js';

// POST /v1/score against the real system: the Rust addon, real worker threads, real sockets. The generator is never
// started, so every record in the engine comes from these requests and the engine's counts can be compared exactly.

type ServedStats = Stats & { api: ApiStats };

let open: RunningServer[] = [];

async function serve(scoring: ScoringOptions = {}, workers = 2): Promise<{ system: System; base: string }> {
  const system = await createSystem({ source: { kind: 'generator', tps: 1000, seed: 3 }, workers });
  // A generous deadline unless a test sets one: an answer must never depend on how busy the machine is.
  const server = await startServer({ system, port: 0, pushIntervalMs: 1000, scoring: { deadlineMs: 30_000, ...scoring } });
  open.push(server);
  return { system, base: `http://127.0.0.1:${server.port}` };
}

afterEach(async () => {
  await Promise.all(open.map((s) => s.close()));
  open = [];
});

/** A transaction of card `card` at minute `i` of a day. */
function tx(i: number, card = 'card-1', amount = 20 + i): Record<string, unknown> {
  return {
    id: `tx-${card}-${i}`,
    cardId: card,
    terminalId: `term-${i % 3}`,
    amount,
    timestamp: Date.UTC(2026, 0, 5, 10, i),
    channel: 'ONLINE',
  };
}

async function score(base: string, body: unknown): Promise<{ status: number; json: ScoreResponse }> {
  const response = await fetch(`${base}/v1/score`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as ScoreResponse };
}

async function stats(base: string): Promise<ServedStats> {
  return (await (await fetch(`${base}/api/stats`)).json()) as ServedStats;
}

describe('POST /v1/score', () => {
  it('answers the decision of the engine: score, decision, reasons, model version, deterministic decision id, latency', async () => {
    const { base } = await serve();
    const { status, json } = await score(base, tx(1));
    expect(status).toBe(200);
    expect(checkSchema(ScoreResponseSchema, json), JSON.stringify(json)).toBeUndefined();
    expect(json.outcome).toBe('scored');
    expect(json.id).toBe('tx-card-1-1');
    expect(json.decisionId).toBe(decisionIdOf('tx-card-1-1'));
    expect(json.score).toBeGreaterThanOrEqual(0);
    expect(json.modelVersion).toMatch(/^default@/);
    const s = await stats(base);
    // One transaction written by the API, consumed and scored by the engine; nothing lost or counted twice.
    expect([s.counts.written, s.counts.consumed, s.counts.scored]).toEqual([1, 1, 1]);
    expect(s.api.score).toMatchObject({ requests: 1, answered: 1, deadlineMisses: 0 });
    expect(s.laws).toEqual({ ok: true, violations: [] });
  });

  it('updates card state exactly as the engine does for streamed records (same scores as Engine.submit)', async () => {
    // The same 12 transactions of one card: once through HTTP one at a time, once submitted straight into a second
    // engine. The card's velocity and amount features change with each transaction, so equal scores mean equal state.
    const txs = Array.from({ length: 12 }, (_, i) => tx(i, 'card-7', 10 + i * 37));
    const { base } = await serve({}, 1);
    const viaHttp: number[] = [];
    for (const t of txs) viaHttp.push((await score(base, t)).json.score as number);

    const reference = await createSystem({ source: { kind: 'generator', tps: 1000 }, workers: 1 });
    try {
      const scores = new Map<number, number>();
      reference.engine.onBatch((b) => {
        for (let i = 0; i < b.count; i++) scores.set(b.seq + i, b.results.score(b.slot + i));
      });
      const seqs = txs.map((t) => {
        const r = reference.engine.submit(t);
        if (r.state !== 'accepted') throw new Error(r.state);
        return r.seq;
      });
      await reference.engine.drain();
      expect(viaHttp).toEqual(seqs.map((q) => scores.get(q)));
    } finally {
      await reference.close();
    }
    // The scores really move with the state (otherwise the comparison would prove little).
    expect(new Set(viaHttp).size).toBeGreaterThan(1);
  });

  it('cuts concurrent requests into micro-batches: 32 requests, one engine batch', async () => {
    // maxBatch 32 and a 10 s linger: the batch is flushed when the 32nd request arrives, whatever the timing.
    const { base } = await serve({ maxBatch: 32, lingerUs: 10_000_000, deadlineMs: 60_000 });
    const before = await stats(base);
    const answers = await Promise.all(Array.from({ length: 32 }, (_, i) => score(base, tx(i, `card-${i}`))));
    expect(answers.every((a) => a.status === 200 && a.json.outcome === 'scored')).toBe(true);
    const after = await stats(base);
    expect(after.batches.dispatched - before.batches.dispatched).toBe(1);
    expect(after.counts.consumed - before.counts.consumed).toBe(32);
    expect(after.api.score).toMatchObject({ batches: 1, largestBatch: 32, answered: 32 });
    expect(after.laws.ok).toBe(true);
  });

  it('past the deadline answers the fallback REVIEW / DEADLINE, counts the miss apart, and the engine decides it once', async () => {
    const { base } = await serve({ deadlineMs: 0 });
    const { status, json } = await score(base, tx(1));
    expect(status).toBe(200);
    expect(checkSchema(ScoreResponseSchema, json)).toBeUndefined();
    expect(json).toMatchObject({ outcome: 'deadline', decision: 'REVIEW', reasons: ['DEADLINE'], score: null });
    expect(json.decisionId).toBe(decisionIdOf('tx-card-1-1'));
    await waitFor(async () => (await stats(base)).api.score.lateDecisions === 1);
    const s = await stats(base);
    expect(s.api.score).toMatchObject({ requests: 1, answered: 0, deadlineMisses: 1, lateDecisions: 1, pending: 0 });
    // The late decision is accounted exactly once by the engine: scored 1, and every law holds.
    expect([s.counts.written, s.counts.consumed, s.counts.scored, s.counts.fallback]).toEqual([1, 1, 1, 0]);
    expect(s.laws).toEqual({ ok: true, violations: [] });
  });

  it('with a record lost in the engine (test fault), the request still gets its deadline answer and the laws break', async () => {
    process.env['FRAUDSTREAM_TEST_FAULTS'] = JSON.stringify({ dropRecordSeq: 0 });
    let base: string;
    try {
      ({ base } = await serve({ deadlineMs: 200 }));
    } finally {
      delete process.env['FRAUDSTREAM_TEST_FAULTS'];
    }
    const { json } = await score(base, tx(1));
    expect(json.outcome).toBe('deadline');
    const s = await stats(base);
    expect(s.api.score).toMatchObject({ deadlineMisses: 1, lateDecisions: 0, pending: 1 });
    expect(s.laws.ok).toBe(false);
    expect(s.laws.violations.map((v) => v.law)).toContain('decisions');
  });

  it('refuses invalid transactions with 400 naming the field, counted by the engine as rejected', async () => {
    const { base } = await serve();
    const { cardId: _dropped, ...noCard } = tx(1);
    const missing = await score(base, noCard);
    expect(missing.status).toBe(400);
    expect(missing.json).toEqual({ error: { code: 'missing_field', field: 'cardId', message: 'cardId is required' } });
    const badDate = await score(base, { ...tx(2), timestamp: '2026-13-45T00:00:00Z' });
    expect(badDate.status).toBe(400);
    expect((badDate.json as unknown as { error: { field: string } }).error.field).toBe('timestamp');
    const s = await stats(base);
    expect(s.counts.rejected).toBe(2);
    expect(s.errors.rejectedByField).toEqual({ cardId: 1, timestamp: 1 });
    expect(s.counts.written).toBe(0);
  });
});

describe('scoring options', () => {
  it('are validated up front, naming the option', async () => {
    const system = { stats() {}, start() {}, stop() {}, setGenerator() {}, setThresholds() {}, injectScenario() {}, drainEvents() {}, close() {} };
    const start = (scoring: unknown) => startServer({ system: system as never, port: 0, scoring: scoring as ScoringOptions });
    await expect(start({ maxBatch: 0 })).rejects.toThrow('options.scoring.maxBatch must be between 1 and 8192');
    await expect(start({ deadlineMs: 1.5 })).rejects.toThrow('options.scoring.deadlineMs must be an integer');
    await expect(start({ lingerUs: -1 })).rejects.toThrow(RangeError);
  });
});
