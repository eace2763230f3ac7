import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardRefHasher, DecisionLog, decisionLogDir, loadOrCreateSecret } from '@fraudstream/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

let dataDir: string;
let system: FraudSystem;
let server: RunningServer;
let base: string;
let log: DecisionLog;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-cases-api-'));
  // A review threshold of 0 makes every transaction an alert, so cases appear at once.
  system = await createTestSystem({ dataDir, thresholds: { review: 0, decline: 0.9 }, autoStart: true });
  server = await startServer({ system, port: 0 });
  base = `http://127.0.0.1:${server.port}`;
  await waitFor(() => (system.stats().cases?.opened ?? 0) >= 30);
  await system.stop();
  // The decision log of the same data dir, written here as the engine's log wiring writes it (a real log file).
  const hasher = new CardRefHasher(loadOrCreateSecret(dataDir));
  log = DecisionLog.open(decisionLogDir(dataDir), { blockRecords: 16 });
  for (let k = 0; k < 100; k++) {
    const decision = k % 4 === 0 ? 'REVIEW' : k % 10 === 1 ? 'DECLINE' : 'APPROVE';
    log.append([{ transactionId: `t${k}`, eventTimeMs: Date.UTC(2018, 3, 1) + k * 1000, score: decision === 'APPROVE' ? 0.1 : 0.8, decision, reasons: decision === 'APPROVE' ? [] : ['AMOUNT_HIGH'], modelVersion: 'm1', cardRef: hasher.refOf(`card-${k % 9}`) }]);
  }
  log.flushNow();
}, 60_000);

afterAll(async () => {
  log?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = async (path: string): Promise<{ status: number; body: any; text: string }> => {
  const r = await fetch(base + path);
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text), text };
};
const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> => {
  const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

describe('GET /api/cases', () => {
  it('pages back through open cases, newest opened first, with card references and never a card id', async () => {
    const first = await get('/api/cases?status=open&limit=10');
    expect(first.status).toBe(200);
    expect(first.body.cases).toHaveLength(10);
    expect(first.body.next).toMatch(/^\d+$/);
    const second = await get(`/api/cases?status=open&limit=10&before=${first.body.next}`);
    expect(second.body.cases).toHaveLength(10);
    const ids = [...first.body.cases, ...second.body.cases].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(20);
    // Paging is over the store's own order: the same 20 as one page of 20.
    expect((await get('/api/cases?status=open&limit=20')).body.cases.map((c: { id: string }) => c.id)).toEqual(ids);
    for (const c of first.body.cases) {
      expect(Object.keys(c).sort()).toEqual(
        ['cardRef', 'decision', 'detail', 'eventTimeMs', 'id', 'modelVersion', 'note', 'openedAt', 'reasons', 'score', 'status', 'transactionId', 'updatedAt', 'updatedBy', 'version'].sort(),
      );
      expect(c.cardRef).toMatch(/^[0-9a-f]{16}$/);
      expect(c.id).toMatch(/^[0-9a-f]{32}$/);
    }
    // The generator's card ids are customer numbers; what a case carries is their keyed reference under the data
    // dir's secret, never the id itself.
    const hasher = new CardRefHasher(loadOrCreateSecret(dataDir));
    const refs = new Set(Array.from({ length: 100_000 }, (_, c) => hasher.refOf(String(c))));
    for (const c of [...first.body.cases, ...second.body.cases]) expect(refs.has(c.cardRef), c.cardRef).toBe(true);
    expect(first.text).not.toMatch(/cardId/);
  });

  it('refuses bad parameters naming them', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=x', 'limit'],
      ['status=closed', 'status'],
      ['before=abc', 'before'],
      ['cardRef=12', 'cardRef'],
      ['card=1', 'card'],
      ['limit=1&limit=2', 'limit'],
    ]) {
      const r = await get(`/api/cases?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.field, query).toBe(field);
    }
  });
});

describe('POST /api/cases/:id', () => {
  it("records an analyst's verdict with who and when in the audit trail", async () => {
    const [c] = (await get('/api/cases?status=open&limit=1')).body.cases;
    const r = await post(`/api/cases/${c.id}`, { status: 'confirmed_fraud', analyst: 'alice@bank', note: 'customer confirmed' });
    expect(r.status).toBe(200);
    expect(r.body.case).toMatchObject({ id: c.id, status: 'confirmed_fraud', updatedBy: 'alice@bank', note: 'customer confirmed', version: 2 });
    expect(r.body.history.map((e: { actor: string; fromStatus: string; toStatus: string }) => [e.actor, e.fromStatus, e.toStatus])).toEqual([
      ['system', null, 'open'],
      ['alice@bank', 'open', 'confirmed_fraud'],
    ]);
    expect(r.body.history[1].at).toBeGreaterThanOrEqual(r.body.history[0].at);
    // No longer open; found by status and by id.
    expect((await get('/api/cases?status=open&limit=500')).body.cases.map((x: { id: string }) => x.id)).not.toContain(c.id);
    expect((await get('/api/cases?status=confirmed_fraud')).body.cases.map((x: { id: string }) => x.id)).toContain(c.id);
    expect((await get(`/api/cases/${c.id}`)).body.case.status).toBe('confirmed_fraud');
    // A stale expectedVersion is a lost update: refused.
    const stale = await post(`/api/cases/${c.id}`, { status: 'legitimate', analyst: 'bob', expectedVersion: 1 });
    expect(stale.status).toBe(409);
  });

  it('refuses bad bodies naming the field, and unknown cases', async () => {
    const [c] = (await get('/api/cases?status=open&limit=1')).body.cases;
    for (const [body, field] of [
      [{ analyst: 'a' }, 'status'],
      [{ status: 'closed', analyst: 'a' }, 'status'],
      [{ status: 'legitimate' }, 'analyst'],
      [{ status: 'legitimate', analyst: '<script>' }, 'analyst'],
      [{ status: 'legitimate', analyst: 'a'.repeat(65) }, 'analyst'],
      [{ status: 'legitimate', analyst: 'a', note: 'x'.repeat(2001) }, 'note'],
      [{ status: 'legitimate', analyst: 'a', note: 'bell\u0007' }, 'note'],
      [{ status: 'legitimate', analyst: 'a', expectedVersion: 0 }, 'expectedVersion'],
      [{ status: 'legitimate', analyst: 'a', cardId: 'x' }, 'cardId'],
    ] as const) {
      const r = await post(`/api/cases/${c.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await post(`/api/cases/${c.id}`, '{"status":')).body.error.code).toBe('malformed_json');
    expect((await post(`/api/cases/${'0'.repeat(32)}`, { status: 'legitimate', analyst: 'a' })).status).toBe(404);
    expect((await post('/api/cases/not-an-id', { status: 'legitimate', analyst: 'a' })).status).toBe(404);
    expect((await get(`/api/cases/${c.id}`)).body.case.status).toBe('open');
  });

  it('applies the mutation rules of every POST: a cross-origin request is refused', async () => {
    const [c] = (await get('/api/cases?status=open&limit=1')).body.cases;
    const r = await post(`/api/cases/${c.id}`, { status: 'legitimate', analyst: 'a' }, { Origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect((await get(`/api/cases/${c.id}`)).body.case.status).toBe('open');
  });
});

describe('GET /api/decisions', () => {
  it('pages back through the decision log by decision', async () => {
    const expected = log.query({ decisions: ['REVIEW'], limit: 1000 }).rows.map((d) => d.transactionId);
    expect(expected).toHaveLength(25);
    const seen: string[] = [];
    let path = '/api/decisions?decision=REVIEW&limit=10';
    for (;;) {
      const r = await get(path);
      expect(r.status).toBe(200);
      seen.push(...r.body.decisions.map((d: { transactionId: string; decision: string }) => (expect(d.decision).toBe('REVIEW'), d.transactionId)));
      if (r.body.next === null) break;
      path = `/api/decisions?decision=REVIEW&limit=10&before=${r.body.next}`;
    }
    expect(seen).toEqual(expected);
    const both = await get('/api/decisions?decision=REVIEW,DECLINE&limit=500');
    expect(both.body.decisions).toHaveLength(35);
    expect(Object.keys(both.body.decisions[0]).sort()).toEqual(['cardRef', 'decision', 'eventTimeMs', 'id', 'modelVersion', 'reasons', 'score', 'transactionId']);
  });

  it('sees decisions flushed after the first query, and refuses bad parameters naming them', async () => {
    const before = (await get('/api/decisions?limit=1')).body.decisions[0].transactionId;
    log.append([{ transactionId: 'late-1', eventTimeMs: Date.UTC(2018, 3, 2), score: 0.95, decision: 'DECLINE', reasons: ['AMOUNT_HIGH'], modelVersion: 'm1', cardRef: '0123456789abcdef' }]);
    log.flushNow();
    expect(before).toBe('t99');
    expect((await get('/api/decisions?limit=1')).body.decisions[0].transactionId).toBe('late-1');
    for (const [query, field] of [
      ['decision=MAYBE', 'decision'],
      ['limit=1000', 'limit'],
      ['since=yesterday', 'since'],
      ['before=-1', 'before'],
      ['card=abc', 'card'],
    ]) {
      const r = await get(`/api/decisions?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.field, query).toBe(field);
    }
  });
});

describe('without a data dir', () => {
  it('answers 409 saying how to turn the case store and the log on', async () => {
    const plain = await startServer({ system: await createTestSystem(), port: 0 });
    try {
      for (const path of ['/api/cases', '/api/decisions']) {
        const r = await fetch(`http://127.0.0.1:${plain.port}${path}`);
        expect(r.status).toBe(409);
        expect(((await r.json()) as { error: { message: string } }).error.message).toMatch(/data dir/);
      }
    } finally {
      await plain.close();
    }
  });
});
