import { randomBytes } from 'node:crypto';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CASES_FILE,
  CaseConflictError,
  CaseNotFoundError,
  decisionIdOf,
  openCaseStore,
  PgCaseStore,
  SqliteCaseStore,
  StoreInputError,
  type CaseAlert,
  type CaseStore,
} from '../src/index.js';
import { hasher, tempDir } from './helpers.js';

/**
 * The PostgreSQL the tests use: a real server from Debian's `postgresql` package (`scripts/setup-postgres.sh`, run by
 * .ci/run, starts it and creates this role and database). Unreachable is a failure, never a skip.
 */
export const TEST_PG = process.env.FRAUDSTREAM_TEST_PG ?? 'postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test';

const schemas: string[] = [];
afterAll(async () => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});

interface Backend {
  name: 'sqlite' | 'postgres';
  /** Opens a store on fresh storage, or (with `reuse`) the storage of the previous open in this test. */
  open(reuse?: boolean): Promise<CaseStore>;
  /** Runs raw SQL against the store's storage, bypassing the store. */
  raw(sql: string): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'sqlite',
    async open(reuse = false) {
      if (!reuse) dir = tempDir();
      return openCaseStore({ dataDir: dir });
    },
    async raw(sql) {
      const db = new Database(join(dir, CASES_FILE));
      try {
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
}

function pgBackend(): Backend {
  let schema = '';
  return {
    name: 'postgres',
    async open(reuse = false) {
      if (!reuse) {
        schema = `t_${randomBytes(6).toString('hex')}`;
        schemas.push(schema);
      }
      return openCaseStore({ dataDir: '/nonexistent', db: TEST_PG, schema });
    },
    async raw(sql) {
      const client = new pg.Client({ connectionString: TEST_PG });
      await client.connect();
      try {
        await client.query(`SET search_path TO "${schema}"`);
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  };
}

function alert(k: number, decision: 'REVIEW' | 'DECLINE' = k % 2 === 0 ? 'REVIEW' : 'DECLINE'): CaseAlert {
  return {
    decisionId: decisionIdOf(`tx-${k}`),
    transactionId: `tx-${k}`,
    cardRef: hasher.refOf(`card-${k % 3}`),
    decision,
    score: 0.5 + (k % 40) / 100,
    reasons: ['AMOUNT_HIGH', `f${k % 5}`],
    modelVersion: 'model-a',
    eventTimeMs: Date.UTC(2018, 7, 1) + k * 60_000,
  };
}

describe.each([sqliteBackend(), pgBackend()])('case store on $name', (backend) => {
  let store: CaseStore;
  beforeEach(async () => {
    store = await backend.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('opens one case per alert, idempotently by decision id', async () => {
    expect(store.kind).toBe(backend.name);
    expect(await store.openCases([alert(1), alert(2), alert(3)], 1000)).toBe(3);
    // A redelivered alert (same transaction, so same decision id) opens nothing new.
    expect(await store.openCases([alert(2), alert(3), alert(4)], 2000)).toBe(1);
    expect(await store.openCases([], 3000)).toBe(0);
    const c = await store.get(decisionIdOf('tx-2'));
    expect(c).toEqual({
      ...alert(2),
      id: decisionIdOf('tx-2'),
      status: 'open',
      openedAt: 1000,
      updatedAt: 1000,
      updatedBy: 'system',
      note: null,
      version: 1,
    });
    expect(await store.get(decisionIdOf('tx-999'))).toBeUndefined();
    expect(await store.history(decisionIdOf('tx-4'))).toEqual([
      { caseId: decisionIdOf('tx-4'), seq: 1, at: 2000, actor: 'system', fromStatus: null, toStatus: 'open', note: null },
    ]);
  });

  it('records every change with who, when and the note, in an audit trail', async () => {
    await store.openCases([alert(1)], 1000);
    const id = decisionIdOf('tx-1');
    const a = await store.update(id, { status: 'confirmed_fraud', analyst: 'alice@bank', note: 'customer denies it' }, 2000);
    expect(a).toMatchObject({ status: 'confirmed_fraud', updatedBy: 'alice@bank', updatedAt: 2000, note: 'customer denies it', version: 2 });
    const b = await store.update(id, { status: 'legitimate', analyst: "Bob O'Neil", expectedVersion: 2 }, 3000);
    // Without a note the case keeps the last one; the audit entry records none.
    expect(b).toMatchObject({ status: 'legitimate', updatedBy: "Bob O'Neil", note: 'customer denies it', version: 3 });
    const c = await store.update(id, { status: 'legitimate', analyst: 'alice@bank', note: '' }, 4000);
    expect(c.note).toBeNull();
    expect(await store.get(id)).toEqual(c);
    expect(await store.history(id)).toEqual([
      { caseId: id, seq: 1, at: 1000, actor: 'system', fromStatus: null, toStatus: 'open', note: null },
      { caseId: id, seq: 2, at: 2000, actor: 'alice@bank', fromStatus: 'open', toStatus: 'confirmed_fraud', note: 'customer denies it' },
      { caseId: id, seq: 3, at: 3000, actor: "Bob O'Neil", fromStatus: 'confirmed_fraud', toStatus: 'legitimate', note: null },
      { caseId: id, seq: 4, at: 4000, actor: 'alice@bank', fromStatus: 'legitimate', toStatus: 'legitimate', note: '' },
    ]);
  });

  it('refuses a stale update (expectedVersion) and an unknown case, changing nothing', async () => {
    await store.openCases([alert(1)], 1000);
    const id = decisionIdOf('tx-1');
    await store.update(id, { status: 'confirmed_fraud', analyst: 'alice' }, 2000);
    await expect(store.update(id, { status: 'legitimate', analyst: 'bob', expectedVersion: 1 }, 3000)).rejects.toThrow(CaseConflictError);
    await expect(store.update(decisionIdOf('tx-404'), { status: 'legitimate', analyst: 'bob' })).rejects.toThrow(CaseNotFoundError);
    expect((await store.get(id))?.status).toBe('confirmed_fraud');
    expect(await store.history(id)).toHaveLength(2);
  });

  it('serialises concurrent updates: every one lands in the trail with its own version', async () => {
    await store.openCases([alert(1)], 1000);
    const id = decisionIdOf('tx-1');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, k) => store.update(id, { status: k % 2 === 0 ? 'confirmed_fraud' : 'legitimate', analyst: `analyst ${k}` }, 2000 + k)),
    );
    expect(results.map((r) => r.version).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await store.history(id)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('lists newest first, filtered by status and card, paging with the cursor', async () => {
    await store.openCases(Array.from({ length: 25 }, (_, k) => alert(k)), 1000);
    for (const k of [3, 6, 9]) await store.update(decisionIdOf(`tx-${k}`), { status: 'confirmed_fraud', analyst: 'alice' });
    const first = await store.list({ limit: 10 });
    expect(first.cases.map((c) => c.transactionId)).toEqual(Array.from({ length: 10 }, (_, k) => `tx-${24 - k}`));
    const all: string[] = [...first.cases.map((c) => c.transactionId)];
    let next = first.next;
    while (next !== null) {
      const page = await store.list({ limit: 10, before: next });
      all.push(...page.cases.map((c) => c.transactionId));
      next = page.next;
    }
    expect(all).toEqual(Array.from({ length: 25 }, (_, k) => `tx-${24 - k}`));
    expect((await store.list({ status: 'confirmed_fraud' })).cases.map((c) => c.transactionId)).toEqual(['tx-9', 'tx-6', 'tx-3']);
    expect((await store.list({ status: 'open' })).cases).toHaveLength(22);
    const card = hasher.refOf('card-1');
    const byCard = (await store.list({ cardRef: card, limit: 1000 })).cases;
    expect(byCard.map((c) => c.transactionId)).toEqual(Array.from({ length: 25 }, (_, k) => 24 - k).filter((k) => k % 3 === 1).map((k) => `tx-${k}`));
    expect((await store.list({ cardRef: card, status: 'confirmed_fraud' })).cases).toHaveLength(0);
  });

  it('lists oldest first and riskiest first, paging each order with its own cursor', async () => {
    // Scores repeat (k % 40 over 45 alerts), so score order needs the opening order as its tie-break.
    const alerts = Array.from({ length: 45 }, (_, k) => alert(k));
    alerts[10] = { ...alerts[10]!, score: Number.NaN, reasons: ['SCORER_ERROR'] };
    await store.openCases(alerts, 1000);
    const pages = async (order: 'oldest' | 'score', limit: number): Promise<string[]> => {
      const seen: string[] = [];
      let before: string | undefined;
      do {
        const page = await store.list({ status: 'open', order, limit, before });
        seen.push(...page.cases.map((c) => c.transactionId));
        before = page.next ?? undefined;
      } while (before !== undefined);
      return seen;
    };
    expect(await pages('oldest', 7)).toEqual(alerts.map((a) => a.transactionId));
    const byScore = alerts
      .map((a, k) => ({ id: a.transactionId, score: Number.isNaN(a.score) ? -1 : a.score, k }))
      .sort((x, y) => y.score - x.score || y.k - x.k)
      .map((x) => x.id);
    expect(byScore.at(-1)).toBe('tx-10');
    expect(await pages('score', 6)).toEqual(byScore);
    expect(await pages('score', 1000)).toEqual(byScore);
    // A cursor of one order is refused by the other, naming the field.
    const first = await store.list({ order: 'score', limit: 2 });
    await expect(store.list({ order: 'oldest', before: first.next ?? '' })).rejects.toMatchObject({ field: 'query.before' });
    await expect(store.list({ order: 'best' as never })).rejects.toMatchObject({ field: 'query.order' });
  });

  it('keeps the transaction detail and the sealed label reference of an alert', async () => {
    const detail = { amount: 812.5, currency: 'EUR', channel: 'ONLINE' as const, mcc: 5411, country: 'FR', cardPresent: false, terminalRef: hasher.refOf('T-9') };
    const labelRef = { sealed: 'ab'.repeat(16), run: '0123456789abcdef', seq: 123_456 };
    await store.openCases([{ ...alert(1), detail, labelRef }, alert(2)], 1000);
    expect(await store.get(decisionIdOf('tx-1'))).toMatchObject({ detail, labelRef });
    const old = await store.get(decisionIdOf('tx-2'));
    expect(old?.detail).toBeUndefined();
    expect(old?.labelRef).toBeUndefined();
    await expect(store.openCases([{ ...alert(3), detail: { ...detail, channel: 'MAIL' as never } }])).rejects.toMatchObject({ field: 'alerts[0].detail.channel' });
    await expect(store.openCases([{ ...alert(3), labelRef: { ...labelRef, seq: -1 } }])).rejects.toMatchObject({ field: 'alerts[0].labelRef.seq' });
  });

  it('changes a case only from the expected status (a verdict is final), atomically', async () => {
    await store.openCases([alert(1)], 1000);
    const id = decisionIdOf('tx-1');
    // Two analysts decide at once: one wins, the other is refused, and the trail holds one verdict.
    const both = await Promise.allSettled([
      store.update(id, { status: 'confirmed_fraud', analyst: 'alice', expectedStatus: 'open' }, 2000),
      store.update(id, { status: 'legitimate', analyst: 'bob', expectedStatus: 'open' }, 2001),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = both.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(CaseConflictError);
    expect(String(refused.reason.message)).toMatch(/a verdict is final/);
    expect(await store.history(id)).toHaveLength(2);
    await expect(store.update(id, { status: 'open', analyst: 'a', expectedStatus: 'closed' as never })).rejects.toMatchObject({ field: 'update.expectedStatus' });
  });

  it('keeps a fallback alert without a score (NaN in, NaN out)', async () => {
    expect(await store.openCases([{ ...alert(7), score: Number.NaN, reasons: ['SCORER_ERROR'] }], 1000)).toBe(1);
    const c = await store.get(decisionIdOf('tx-7'));
    expect(c?.score).toBeNaN();
    expect(c?.reasons).toEqual(['SCORER_ERROR']);
  });

  it('keeps cases and their trail across a reopen', async () => {
    await store.openCases([alert(1)], 1000);
    await store.sync();
    await store.update(decisionIdOf('tx-1'), { status: 'legitimate', analyst: 'alice' }, 2000);
    await store.close();
    store = await backend.open(true);
    expect((await store.get(decisionIdOf('tx-1')))?.status).toBe('legitimate');
    expect(await store.history(decisionIdOf('tx-1'))).toHaveLength(2);
  });

  it('the audit trail cannot be edited or deleted, even with SQL', async () => {
    await store.openCases([alert(1)], 1000);
    await store.update(decisionIdOf('tx-1'), { status: 'legitimate', analyst: 'alice' }, 2000);
    await expect(backend.raw("UPDATE case_events SET actor = 'mallory'")).rejects.toThrow(/append-only/);
    await expect(backend.raw('DELETE FROM case_events')).rejects.toThrow(/append-only/);
    if (backend.name === 'sqlite') {
      // The opening event is the case row's opening columns here: they cannot change, nor the row go.
      await expect(backend.raw('UPDATE cases SET opened_at = 5')).rejects.toThrow(/append-only/);
      await expect(backend.raw("UPDATE cases SET reasons = '[]'")).rejects.toThrow(/append-only/);
      await expect(backend.raw('DELETE FROM cases')).rejects.toThrow(/append-only/);
    }
    expect((await store.history(decisionIdOf('tx-1'))).map((e) => [e.seq, e.actor, e.at])).toEqual([
      [1, 'system', 1000],
      [2, 'alice', 2000],
    ]);
  });

  it('reads a trail written before the opening event moved into the case row (one seq 1 event, not two)', async () => {
    if (backend.name !== 'sqlite') return expect(backend.name).toBe('postgres'); // PostgreSQL still writes the row
    await store.openCases([alert(1)], 1000);
    await backend.raw(`INSERT INTO case_events (case_id, seq, at, actor, from_status, to_status, note) VALUES ('${decisionIdOf('tx-1')}', 1, 1000, 'system', NULL, 'open', NULL)`);
    expect((await store.history(decisionIdOf('tx-1'))).map((e) => e.seq)).toEqual([1]);
    expect(await store.history(decisionIdOf('tx-9'))).toEqual([]);
  });

  it('validates every input, naming the field, and stores nothing bad', async () => {
    await store.openCases([alert(1)], 1000);
    const id = decisionIdOf('tx-1');
    const fieldOf = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
      } catch (err) {
        expect(err).toBeInstanceOf(StoreInputError);
        return (err as StoreInputError).field;
      }
      throw new Error('expected a StoreInputError');
    };
    expect(await fieldOf(store.update(id, { status: 'closed' as 'open', analyst: 'a' }))).toBe('update.status');
    await expect(store.update(id, { status: 'closed' as 'open', analyst: 'a' })).rejects.toThrow(/update.status must be one of open, confirmed_fraud, legitimate/);
    expect(await fieldOf(store.update(id, { status: 'open', analyst: '' }))).toBe('update.analyst');
    expect(await fieldOf(store.update(id, { status: 'open', analyst: 'x'.repeat(65) }))).toBe('update.analyst');
    expect(await fieldOf(store.update(id, { status: 'open', analyst: '<script>' }))).toBe('update.analyst');
    expect(await fieldOf(store.update(id, { status: 'open', analyst: 'a', note: 'n'.repeat(2001) }))).toBe('update.note');
    expect(await fieldOf(store.update(id, { status: 'open', analyst: 'a', note: 'bell\u0007' }))).toBe('update.note');
    expect(await fieldOf(store.update(id, { status: 'open', analyst: 'a', expectedVersion: 0 }))).toBe('update.expectedVersion');
    expect(await fieldOf(store.update('not-a-case', { status: 'open', analyst: 'a' }))).toBe('id');
    expect(await fieldOf(store.get('../../etc'))).toBe('id');
    expect(await fieldOf(store.openCases([{ ...alert(2), decision: 'APPROVE' as 'REVIEW' }]))).toBe('alerts[0].decision');
    expect(await fieldOf(store.openCases([alert(3), { ...alert(2), score: 2 }]))).toBe('alerts[1].score');
    expect(await fieldOf(store.openCases([{ ...alert(2), cardRef: 'card-2' }]))).toBe('alerts[0].cardRef');
    expect(await fieldOf(store.list({ limit: 5000 }))).toBe('query.limit');
    expect(await fieldOf(store.list({ status: 'done' as 'open' }))).toBe('query.status');
    expect(await fieldOf(store.list({ before: 'x' }))).toBe('query.before');
    // A 2000-character note is fine: the bound is inclusive.
    expect((await store.update(id, { status: 'open', analyst: 'a', note: 'n'.repeat(2000) })).note).toHaveLength(2000);
    expect((await store.list()).cases).toHaveLength(1);
    expect(await store.history(id)).toHaveLength(2);
  });
});

describe('a case store made before cases kept their detail', () => {
  it('gains the new columns on open and keeps its cases (SQLite)', async () => {
    const dir = tempDir();
    const db = new Database(join(dir, CASES_FILE));
    db.exec(`CREATE TABLE cases (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, transaction_id TEXT NOT NULL, card_ref TEXT NOT NULL,
      decision TEXT NOT NULL, score REAL, reasons TEXT NOT NULL, model_version TEXT NOT NULL, event_ms INTEGER NOT NULL, status TEXT NOT NULL,
      opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL, note TEXT, version INTEGER NOT NULL)`);
    const a = alert(1);
    db.prepare(`INSERT INTO cases (id, transaction_id, card_ref, decision, score, reasons, model_version, event_ms, status, opened_at, updated_at, updated_by, note, version)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', 5, 5, 'system', NULL, 1)`).run(a.decisionId, a.transactionId, a.cardRef, a.decision, a.score, JSON.stringify(a.reasons), a.modelVersion, a.eventTimeMs);
    db.close();
    const store = await openCaseStore({ dataDir: dir });
    try {
      expect(await store.get(a.decisionId)).toMatchObject({ transactionId: 'tx-1', status: 'open' });
      const detail = { amount: 1, currency: null, channel: null, mcc: null, country: null, cardPresent: null, terminalRef: hasher.refOf('T') };
      await store.openCases([{ ...alert(2), detail }]);
      expect((await store.get(decisionIdOf('tx-2')))?.detail).toEqual(detail);
    } finally {
      await store.close();
    }
  });
});

describe('case store durability on SQLite', () => {
  it('opens cases with synchronous=NORMAL, updates with FULL, and sync() checkpoints the WAL into the database', async () => {
    const dir = tempDir();
    const store = SqliteCaseStore.inDataDir(dir);
    const wal = join(dir, `${CASES_FILE}-wal`);
    await store.openCases([alert(1), alert(2)], 1000);
    expect(store.synchronousLevel()).toBe(1);
    expect(statSync(wal).size).toBeGreaterThan(0);
    await store.sync();
    expect(statSync(wal).size).toBe(0);
    // Read the database file alone (no WAL): the cases are in it.
    const copy = join(dir, 'copy.sqlite');
    copyFileSync(join(dir, CASES_FILE), copy);
    const db = new Database(copy, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM cases').get() as { n: number }).n).toBe(2);
    db.close();
    await store.update(decisionIdOf('tx-1'), { status: 'legitimate', analyst: 'alice' });
    expect(store.synchronousLevel()).toBe(1);
    await store.close();
  });
});

describe('opening a case store', () => {
  it('defaults to SQLite in the data dir and takes PostgreSQL from a postgres:// URL', async () => {
    const dir = tempDir();
    const s = await openCaseStore({ dataDir: dir });
    expect(s).toBeInstanceOf(SqliteCaseStore);
    await s.close();
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    const p = await openCaseStore({ dataDir: dir, db: TEST_PG, schema });
    expect(p).toBeInstanceOf(PgCaseStore);
    await p.close();
    await expect(openCaseStore({ dataDir: dir, db: 'mysql://x' })).rejects.toThrow(/db must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });

  it('an unreachable PostgreSQL is an error that names the server but never the password', async () => {
    const err = await PgCaseStore.connect({ url: 'postgres://fraudstream:s3cret-pw@127.0.0.1:1/none' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/cannot use PostgreSQL at postgres:\/\/fraudstream:\*\*\*@127.0.0.1:1\/none/);
    expect((err as Error).message).not.toContain('s3cret-pw');
  });
});
