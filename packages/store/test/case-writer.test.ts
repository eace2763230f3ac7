import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DecisionCode, NO_REASON, RECORD_SIZE, RecordViews, RESULT_SIZE, ResultStatus, ResultViews } from '@fraudstream/schema';
import { afterAll, describe, expect, it } from 'vitest';
import { appendDecidedBatch, CaseWriter, DecisionLog, decisionIdOf, StoreInputError, type CaseWriterOptions } from '../src/index.js';
import { hasher, SECRET, tempDir } from './helpers.js';

const T0 = Date.UTC(2018, 7, 1);
/** The real PostgreSQL of scripts/setup-postgres.sh (as in case-store.test.ts): unreachable is a failure, not a skip. */
const TEST_PG = process.env.FRAUDSTREAM_TEST_PG ?? 'postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test';
const names = { ruleNames: ['AMOUNT_HIGH', 'CARD_VELOCITY_1D'], featureNames: ['amount', 'hour', 'card_count_1d'] };

/** Record and result regions as the engine has them, `n` transactions: every 3rd REVIEW, every 5th DECLINE. */
function batch(n: number, from = 0): { records: RecordViews; results: ResultViews; alerts: string[] } {
  const records = new RecordViews(new SharedArrayBuffer(n * RECORD_SIZE));
  const results = new ResultViews(new SharedArrayBuffer(n * RESULT_SIZE));
  const alerts: string[] = [];
  for (let s = 0; s < n; s++) {
    const k = from + s;
    records.writeTransaction(s, { id: String(1000 + k), cardId: `card-${k % 7}`, terminalId: 'T1', amount: 10, currency: 'EUR', timestampMs: T0 + k * 1000 }, 0);
    const code = k % 5 === 0 ? DecisionCode.Decline : k % 3 === 0 ? DecisionCode.Review : DecisionCode.Approve;
    results.write(s, { score: code === DecisionCode.Approve ? 0.1 : 0.8, decision: code, status: ResultStatus.Scored, rules: 0b10, reasons: [2, NO_REASON, NO_REASON] });
    if (code !== DecisionCode.Approve) alerts.push(String(1000 + k));
  }
  return { records, results, alerts };
}

const writers: CaseWriter[] = [];
async function openWriter(options: Partial<CaseWriterOptions> & { dataDir: string }): Promise<CaseWriter> {
  const w = await CaseWriter.open({ secret: SECRET, names, ...options });
  writers.push(w);
  return w;
}
afterAll(async () => {
  for (const w of writers) await w.close();
});

/** Polls `check` every 20 ms until it is true (no wall-clock assertion: the test timeout is the only limit). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

const pgSchemas: string[] = [];
afterAll(async () => {
  if (pgSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_PG });
  await client.connect();
  for (const s of pgSchemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
});
function pgSchema(): string {
  const s = `t_${randomBytes(6).toString('hex')}`;
  pgSchemas.push(s);
  return s;
}

describe.each([
  { name: 'sqlite', db: (): { db?: string; schema?: string } => ({}) },
  // The schema given in the URL, as `start --db postgres://.../db?schema=NAME` does.
  { name: 'postgres', db: (): { db?: string; schema?: string } => ({ db: `${TEST_PG}?schema=${pgSchema()}` }) },
])('case writer on $name', ({ db }) => {
  it('opens one case per alert of a batch, off the engine thread, named and referenced like the decision log', async () => {
    const dataDir = tempDir();
    const where = db();
    const writer = await openWriter({ dataDir, ...where });
    const { records, results, alerts } = batch(40);
    // Slot 4 (k = 4, APPROVE) becomes a string id REVIEW; slot 6 (REVIEW) a fallback decision; slot 8 a label.
    records.writeTransaction(4, { id: 'abc-4', cardId: 'card-4', terminalId: 'T1', amount: 10, currency: 'EUR', timestampMs: T0 + 4000 }, 0);
    results.write(4, { score: 0.7, decision: DecisionCode.Review, status: ResultStatus.Scored, rules: 0b01, reasons: [0, 1, NO_REASON] });
    results.write(6, { score: Number.NaN, decision: DecisionCode.Review, status: ResultStatus.Fallback, rules: 0, reasons: [NO_REASON, NO_REASON, NO_REASON] });
    records.writeLabel(8, 3, T0, 0, 0, 0, 0, true, 0);
    results.write(8, { score: 0, decision: 0, status: ResultStatus.Label, rules: 0, reasons: [NO_REASON, NO_REASON, NO_REASON] });
    const expected = [...alerts, 'abc-4'].filter((id) => id !== '1008');
    const queued = writer.queueBatch(records, results, 0, 40, 'model-7', (s) => (s === 4 ? 'abc-4' : undefined), 500);
    expect(queued).toBe(expected.length);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ backend: where.db === undefined ? 'sqlite' : 'postgres', opened: expected.length, existing: 0, queue: 0, full: false });
    if (where.db !== undefined) {
      // The cases are in the schema the URL named.
      const schema = new URL(where.db).searchParams.get('schema');
      const client = new pg.Client({ connectionString: TEST_PG });
      await client.connect();
      const n = Number((await client.query(`SELECT count(*) AS n FROM "${schema}".cases`)).rows[0].n);
      await client.end();
      expect(n).toBe(expected.length);
    }

    // The same decisions through the decision log give the same ids, card references and reasons.
    const log = DecisionLog.open(join(dataDir, 'log'));
    appendDecidedBatch(log, hasher, records, results, 0, 40, { ...names, modelVersion: 'model-7' }, (s) => (s === 4 ? 'abc-4' : undefined));
    log.flushNow();
    const logged = log.query({ decisions: ['REVIEW', 'DECLINE'], limit: 100 }).rows;
    log.close();
    const page = await writer.list({ limit: 100 });
    expect(page.cases.map((c) => c.transactionId).sort()).toEqual(expected.sort());
    expect(page.cases.map((c) => [c.id, c.transactionId, c.cardRef, c.decision, c.reasons, c.modelVersion, c.eventTimeMs, c.status]).sort()).toEqual(
      logged.map((d) => [d.decisionId, d.transactionId, d.cardRef, d.decision, d.reasons, d.modelVersion, d.eventTimeMs, 'open']).sort(),
    );
    const fallback = page.cases.find((c) => c.transactionId === '1006');
    expect(fallback?.reasons).toEqual(['SCORER_ERROR']);
    expect(fallback?.score).toBeNaN();
    expect(page.cases.find((c) => c.transactionId === 'abc-4')).toMatchObject({ id: decisionIdOf('abc-4'), cardRef: hasher.refOf('card-4'), reasons: ['AMOUNT_HIGH', 'amount', 'hour'] });

    // The transaction's detail is kept (terminal as a keyed reference, never an id); the label keys only sealed.
    const c1005 = page.cases.find((c) => c.transactionId === '1005');
    expect(c1005?.detail).toEqual({ amount: 10, currency: 'EUR', channel: null, mcc: null, country: null, cardPresent: null, terminalRef: hasher.refOf('T1') });
    expect(c1005?.labelRef).toMatchObject({ run: expect.stringMatching(/^[0-9a-f]{16}$/), seq: 500 + 5 });
    expect(c1005?.labelRef?.sealed).toMatch(/^[0-9a-f]{32}$/);
    expect(c1005?.labelRef?.sealed).not.toContain(records.cardKeyLo(5).toString(16).padStart(8, '0'));

    // Reads and updates go through the worker to the same store, with the audit trail.
    const id = decisionIdOf('1005');
    const updated = await writer.update(id, { status: 'confirmed_fraud', analyst: 'alice@bank', note: 'called the customer' });
    expect(updated).toMatchObject({ status: 'confirmed_fraud', updatedBy: 'alice@bank', version: 2 });
    // The answer of an update carries the label record the verdict writes: the record's own keys and its ingest
    // sequence number in this run (the writer's run), opened from the sealed form.
    expect(updated.verdictLabel).toEqual({ keys: [records.cardKeyLo(5), records.cardKeyHi(5), records.termKeyLo(5), records.termKeyHi(5)], eventTimeMs: T0 + 5000, seq: 505 });
    expect(updated.labelRef).toBeUndefined();
    expect((await writer.history(id)).map((e) => [e.seq, e.actor, e.fromStatus, e.toStatus])).toEqual([
      [1, 'system', null, 'open'],
      [2, 'alice@bank', 'open', 'confirmed_fraud'],
    ]);
    expect((await writer.get(id))?.status).toBe('confirmed_fraud');
    // Store errors cross the thread with their type and field.
    const bad = await writer.update(id, { status: 'closed' as never, analyst: 'alice' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(StoreInputError);
    expect((bad as StoreInputError).field).toBe('update.status');
    await writer.sync();
  });

  it('opens each case exactly once when a restart replays the same decisions', async () => {
    const dataDir = tempDir();
    const where = db();
    const first = await openWriter({ dataDir, ...where });
    const b = batch(300);
    first.queueBatch(b.records, b.results, 0, 200, 'm', () => undefined, 0);
    await first.close();
    // The restart replays from an earlier checkpoint: slots 100..299, of which 100..199 already have cases.
    const second = await openWriter({ dataDir, ...where });
    second.queueBatch(b.records, b.results, 100, 200, 'm', () => undefined);
    await second.flush();
    const before = b.alerts.filter((id) => Number(id) - 1000 < 100).length;
    const replayed = b.alerts.filter((id) => Number(id) - 1000 >= 100 && Number(id) - 1000 < 200).length;
    expect(second.stats()).toMatchObject({ opened: b.alerts.length - before - replayed, existing: replayed, queue: 0 });
    const page = await second.list({ limit: 1000 });
    expect(page.cases.map((c) => c.transactionId).sort()).toEqual([...b.alerts].sort());
    // A verdict on a case the first run decided: its ingest sequence number meant something in that run only, so
    // the label updates card and terminal state but cannot be joined with this run's quality figures (seq NaN).
    const verdict = await second.update(decisionIdOf('1003'), { status: 'legitimate', analyst: 'bob' });
    expect(verdict.verdictLabel?.keys).toEqual([b.records.cardKeyLo(3), b.records.cardKeyHi(3), b.records.termKeyLo(3), b.records.termKeyHi(3)]);
    expect(verdict.verdictLabel?.seq).toBeNaN();
  });

  it("gathers small batches' alerts into one message, in order, and posts them before a flush", async () => {
    const writer = await openWriter({ dataDir: tempDir(), ...db() });
    const b = batch(300);
    // 30 batches of 10 decisions, 4-5 alerts each: far fewer than 256 in all, so nothing is posted until the flush.
    let queued = 0;
    for (let slot = 0; slot < 300; slot += 10) queued += writer.queueBatch(b.records, b.results, slot, 10, 'm', () => undefined, slot);
    expect(queued).toBe(b.alerts.length);
    expect(writer.stats().queue).toBe(b.alerts.length); // handed over at once, for back-pressure
    expect(writer.batchMessages).toBe(0);
    await writer.flush();
    expect(writer.batchMessages).toBe(1);
    expect(writer.stats()).toMatchObject({ opened: b.alerts.length, queue: 0 });
    // Each alert kept its own slot's fields (ingest sequence number and card key) through the gathering.
    const c = await writer.get(decisionIdOf('1297'));
    expect(c?.labelRef?.seq).toBe(297);
    expect(c?.cardRef).toBe(hasher.refOf(`card-${297 % 7}`));
    // A model version change posts what was gathered under the old one first.
    const more = batch(20, 300);
    writer.queueBatch(more.records, more.results, 0, 10, 'm', () => undefined);
    writer.queueBatch(more.records, more.results, 10, 10, 'm2', () => undefined);
    expect(writer.batchMessages).toBe(2);
    await writer.flush();
    expect((await writer.get(decisionIdOf('1305')))?.modelVersion).toBe('m');
    expect((await writer.get(decisionIdOf('1315')))?.modelVersion).toBe('m2');
  });

  it('posts gathered alerts on its own when no more come (no flush needed)', async () => {
    const writer = await openWriter({ dataDir: tempDir(), ...db() });
    const b = batch(10);
    writer.queueBatch(b.records, b.results, 0, 10, 'm', () => undefined);
    await until(() => writer.stats().opened === b.alerts.length);
    expect(writer.batchMessages).toBe(1);
  });
});

describe('case writer back-pressure', () => {
  it('reports itself full while commits fail, retries them and loses no alert', async () => {
    const dataDir = tempDir();
    const writer = await openWriter({ dataDir, maxQueued: 50, retryMs: 10 });
    const b = batch(400);
    // Another connection holds SQLite's write lock: the worker's commits fail (SQLITE_BUSY after its busy timeout).
    const blocker = new Database(join(dataDir, 'cases.sqlite'));
    blocker.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    try {
      writer.queueBatch(b.records, b.results, 0, 200, 'm', () => undefined);
      expect(writer.full).toBe(true);
      await until(() => writer.stats().commitErrors >= 1);
      expect(writer.stats()).toMatchObject({ full: true, fullEvents: 1, queue: b.alerts.filter((id) => Number(id) < 1200).length });
      expect(writer.stats().error).toMatch(/opening cases failed \(retrying in \d+ ms\)/);
      // Still full: the caller keeps holding its source back, and what it hands over meanwhile is kept too.
      writer.queueBatch(b.records, b.results, 200, 200, 'm', () => undefined);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    await writer.flush();
    expect(writer.stats()).toMatchObject({ opened: b.alerts.length, queue: 0, full: false, queuePeak: b.alerts.length });
    expect(writer.stats().error).toBeUndefined();
    expect((await writer.list({ limit: 1000 })).cases).toHaveLength(b.alerts.length);
  });

  it('holds the queue while PostgreSQL blocks its inserts and drains it once they go through', async () => {
    const schema = pgSchema();
    const writer = await openWriter({ dataDir: tempDir(), db: TEST_PG, schema, maxQueued: 20 });
    const b = batch(200);
    const client = new pg.Client({ connectionString: TEST_PG });
    // A second session watches: pg_stat_activity is read as one snapshot per transaction, and `client` is in one.
    const watcher = new pg.Client({ connectionString: TEST_PG });
    await client.connect();
    await watcher.connect();
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${schema}".cases IN ACCESS EXCLUSIVE MODE`);
      writer.queueBatch(b.records, b.results, 0, 200, 'm', () => undefined);
      // Wait until the worker's insert is really blocked on the lock, then check nothing was counted as committed.
      const sql = `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "${schema}".cases%'`;
      while (Number((await watcher.query(sql)).rows[0].n) === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setImmediate(r));
      expect(writer.stats()).toMatchObject({ full: true, queue: b.alerts.length, opened: 0 });
      await client.query('COMMIT');
    } finally {
      await client.end();
      await watcher.end();
    }
    await writer.flush();
    expect(writer.stats()).toMatchObject({ full: false, queue: 0, opened: b.alerts.length });
  });
});

describe('closing a case writer', () => {
  it('says how many alerts have no case when the store still refuses commits at the deadline', async () => {
    const dataDir = tempDir();
    const writer = await CaseWriter.open({ dataDir, secret: SECRET, names, retryMs: 10 });
    const b = batch(50);
    const blocker = new Database(join(dataDir, 'cases.sqlite'));
    blocker.exec('BEGIN IMMEDIATE');
    try {
      writer.queueBatch(b.records, b.results, 0, 50, 'm', () => undefined);
      await expect(writer.close(200)).rejects.toThrow(new RegExp(`${b.alerts.length} alerts not committed`));
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
  });
});

describe('opening a case writer', () => {
  it('names the bad option', async () => {
    const dataDir = tempDir();
    await expect(CaseWriter.open({ dataDir, secret: SECRET, names, maxQueued: 0 })).rejects.toMatchObject({ field: 'options.maxQueued' });
    await expect(CaseWriter.open({ dataDir, secret: Buffer.alloc(4), names })).rejects.toMatchObject({ field: 'options.secret' });
    await expect(CaseWriter.open({ dataDir, secret: SECRET, names, db: 'mysql://x' })).rejects.toMatchObject({ name: 'StoreInputError', field: 'db' });
  });

  it('fails with the server named, password redacted, when PostgreSQL is unreachable', async () => {
    const err = (await CaseWriter.open({ dataDir: tempDir(), secret: SECRET, names, db: 'postgres://u:s3cret-pw@127.0.0.1:1/none' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain('127.0.0.1:1');
    expect(err.message).not.toContain('s3cret-pw');
  });
});
