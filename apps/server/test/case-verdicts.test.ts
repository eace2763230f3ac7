import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { createTestSystem, waitFor } from './utils/real-system.js';

// The PostgreSQL client of the case store (its dependency), to drop the test's schema afterwards.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(import.meta.resolve('@fraudstream/store'))('pg') as { Client: new (options: { connectionString: string }) => PgClient };

/** The real PostgreSQL of scripts/setup-postgres.sh (as the store's tests): unreachable is a failure, not a skip. */
const TEST_PG = process.env.FRAUDSTREAM_TEST_PG ?? 'postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test';

interface Quality {
  labelled: number;
  precision: number;
  recall: number;
}
interface CaseBody {
  id: string;
  transactionId: string;
  cardRef: string;
  decision: string;
  score: number | null;
  status: string;
  version: number;
  detail: { amount: number; terminalRef: string; channel: string | null } | null;
}

/**
 * The review path end to end on a real system (engine, Rust scorer, workers, case writer) and a real server: a
 * verdict closes the case once, lands in the audit trail, and reaches the engine as a label record that its quality
 * tracker counts. Run on the SQLite case store and on a real PostgreSQL.
 */
describe.each([
  { backend: 'sqlite', db: (): string | undefined => undefined },
  { backend: 'postgres', db: (): string | undefined => `${TEST_PG}?schema=t_${randomBytes(6).toString('hex')}` },
])('case verdicts on $backend', ({ db }) => {
  let dataDir: string;
  let system: FraudSystem;
  let server: RunningServer;
  let base: string;
  let schema: string | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-verdicts-'));
    const url = db();
    schema = url === undefined ? undefined : (new URL(url).searchParams.get('schema') ?? undefined);
    // A review threshold of 0 makes every transaction an alert, so cases appear at once.
    // Durable, as `start` runs: the decision log the card history is read from is in the same data dir.
    system = await createTestSystem({ dataDir, db: url, durability: { dataDir }, thresholds: { review: 0, decline: 0.9 }, autoStart: true });
    server = await startServer({ system, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
    await waitFor(() => (system.stats().cases?.opened ?? 0) >= 40);
    // Stopped: no more transactions and no generator labels (they come 7 simulated days late), so the quality
    // counts change only by what the verdicts write. The engine still consumes its ring.
    await system.stop();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema !== undefined) {
      const client = new pg.Client({ connectionString: TEST_PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  const get = async (path: string): Promise<{ status: number; body: any; text: string }> => {
    const r = await fetch(base + path);
    const text = await r.text();
    return { status: r.status, body: JSON.parse(text), text };
  };
  const post = async (path: string, body: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  const quality = async (): Promise<Quality> => (await get('/api/stats')).body.quality as Quality;
  const labelsApplied = (): number => system.stats().counts.labels.applied;
  const openCases = async (order: string, limit = 500): Promise<CaseBody[]> => (await get(`/api/cases?status=open&order=${order}&limit=${limit}`)).body.cases as CaseBody[];
  /** Every open case in `order`, paged with the cursors, 37 a page. */
  const allOpen = async (order: string): Promise<CaseBody[]> => {
    const seen: CaseBody[] = [];
    let before = '';
    for (;;) {
      const page = (await get(`/api/cases?status=open&order=${order}&limit=37${before}`)).body as { cases: CaseBody[]; next: string | null };
      seen.push(...page.cases);
      if (page.next === null) return seen;
      before = `&before=${encodeURIComponent(page.next)}`;
    }
  };

  it('a fraud verdict reaches the engine once as a label: labelled +1, a true positive (precision 1)', async () => {
    const q0 = await quality();
    expect(q0.labelled).toBe(0);
    const applied0 = labelsApplied();
    const [c] = await openCases('oldest', 1);
    const r = await post(`/api/cases/${c!.id}`, { status: 'confirmed_fraud', analyst: 'alice@bank', note: 'customer denies it' });
    expect(r.status).toBe(200);
    expect(r.body.label).toEqual({ state: 'written', quality: true });
    expect(r.body.case).toMatchObject({ id: c!.id, status: 'confirmed_fraud', updatedBy: 'alice@bank', version: 2 });
    await waitFor(async () => (await quality()).labelled === 1);
    // Every case is an alert (review threshold 0): a fraud verdict is a true positive, and the scorer applied it.
    expect(await quality()).toMatchObject({ labelled: 1, precision: 1, recall: 1 });
    await waitFor(() => labelsApplied() === applied0 + 1);
    expect(system.stats().laws.ok).toBe(true);

    // A second verdict on the closed case is a 409 that changes nothing: no second label, no audit row.
    const again = await post(`/api/cases/${c!.id}`, { status: 'legitimate', analyst: 'bob' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/confirmed_fraud.*a verdict is final/);
    const same = await post(`/api/cases/${c!.id}`, { status: 'confirmed_fraud', analyst: 'alice@bank' });
    expect(same.status).toBe(409);
    const after = await get(`/api/cases/${c!.id}`);
    expect(after.body.history.map((e: { actor: string; fromStatus: string | null; toStatus: string; note: string | null }) => [e.actor, e.fromStatus, e.toStatus, e.note])).toEqual([
      ['system', null, 'open', null],
      ['alice@bank', 'open', 'confirmed_fraud', 'customer denies it'],
    ]);
    expect(after.body.history[1].at).toBeGreaterThanOrEqual(after.body.history[0].at);
    // Give a wrongly written second label time to be consumed, then check that none was: the count stays at 1.
    await system.stop();
    expect((await quality()).labelled).toBe(1);
    expect(labelsApplied()).toBe(applied0 + 1);
  });

  it('a legitimate verdict is a false positive; two analysts deciding at once write one label', async () => {
    const [a, b] = await openCases('score', 2);
    const r = await post(`/api/cases/${a!.id}`, { status: 'legitimate', analyst: 'bob' });
    expect(r.status).toBe(200);
    const both = await Promise.all([
      post(`/api/cases/${b!.id}`, { status: 'legitimate', analyst: 'carol' }),
      post(`/api/cases/${b!.id}`, { status: 'confirmed_fraud', analyst: 'dave' }),
    ]);
    expect(both.map((x) => x.status).sort()).toEqual([200, 409]);
    await waitFor(async () => (await quality()).labelled === 3);
    await system.stop();
    const q = await quality();
    expect(q.labelled).toBe(3);
    const fraudWon = both.find((x) => x.status === 200)!.body.case.status === 'confirmed_fraud';
    expect(q.precision).toBeCloseTo(fraudWon ? 2 / 3 : 1 / 3, 10);
    expect((await get(`/api/cases/${b!.id}`)).body.history).toHaveLength(2);
  });

  it('a note on an open case is audited without a verdict or a label', async () => {
    const [c] = await openCases('newest', 1);
    const before = (await quality()).labelled;
    const r = await post(`/api/cases/${c!.id}`, { status: 'open', analyst: 'erin', note: 'asked the merchant' });
    expect(r.status).toBe(200);
    expect(r.body.label).toMatchObject({ state: 'none' });
    expect(r.body.case).toMatchObject({ status: 'open', note: 'asked the merchant', version: 2 });
    expect((await get(`/api/cases/${c!.id}`)).body.history.map((e: { toStatus: string }) => e.toStatus)).toEqual(['open', 'open']);
    await system.stop();
    expect((await quality()).labelled).toBe(before);
  });

  it('checks the body against the schema of the OpenAPI document, naming the field, and changes nothing', async () => {
    const [c] = await openCases('newest', 1);
    for (const [body, field] of [
      [{ analyst: 'a' }, 'status'],
      [{ status: 5, analyst: 'a' }, 'status'],
      [{ status: 'closed', analyst: 'a' }, 'status'],
      [{ status: 'legitimate' }, 'analyst'],
      [{ status: 'legitimate', analyst: '' }, 'analyst'],
      [{ status: 'legitimate', analyst: '<img src=x>' }, 'analyst'],
      [{ status: 'legitimate', analyst: 'a'.repeat(65) }, 'analyst'],
      [{ status: 'legitimate', analyst: 'a', note: 7 }, 'note'],
      [{ status: 'legitimate', analyst: 'a', note: 'x'.repeat(2001) }, 'note'],
      [{ status: 'legitimate', analyst: 'a', note: 'esc\u001b[31m' }, 'note'],
      [{ status: 'legitimate', analyst: 'a', expectedVersion: 1.5 }, 'expectedVersion'],
      [{ status: 'legitimate', analyst: 'a', expectedVersion: 0 }, 'expectedVersion'],
      [{ status: 'legitimate', analyst: 'a', expectedStatus: 'open' }, 'expectedStatus'],
    ] as const) {
      const r = await post(`/api/cases/${c!.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field, JSON.stringify(body)).toBe(field);
    }
    expect((await post(`/api/cases/${c!.id}`, '[1]')).status).toBe(400);
    expect((await get(`/api/cases/${c!.id}`)).body.case.version).toBe(2);
  });

  it('shows the transaction detail and the card history by card reference, never a card id', async () => {
    const [c] = await openCases('oldest', 1);
    const one = await get(`/api/cases/${c!.id}`);
    expect(one.body.case.detail).toMatchObject({ amount: expect.any(Number), terminalRef: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(one.body.case.detail.amount).toBeGreaterThan(0);
    expect(one.text).not.toMatch(/cardId|sealed|labelRef|verdictLabel/);
    const history = await get(`/api/decisions?cardRef=${c!.cardRef}&limit=500`);
    expect(history.status).toBe(200);
    expect(history.body.decisions.length).toBeGreaterThan(0);
    for (const d of history.body.decisions) expect(d.cardRef).toBe(c!.cardRef);
    expect(history.body.decisions.map((d: { transactionId: string }) => d.transactionId)).toContain(c!.transactionId);
    // Another card's decisions are not in it.
    const all = (await get('/api/decisions?limit=500')).body.decisions as { cardRef: string }[];
    expect(all.some((d) => d.cardRef !== c!.cardRef)).toBe(true);
    expect((await get('/api/decisions?cardRef=XYZ')).body.error.field).toBe('cardRef');
  });

  it('pages open cases oldest first and riskiest first; a bad order or cursor names the field', async () => {
    const oldest = await allOpen('oldest');
    const newest = await allOpen('newest');
    expect(oldest.length).toBeGreaterThan(40);
    expect(oldest.map((c) => c.id)).toEqual(newest.map((c) => c.id).reverse());
    const byScore = await allOpen('score');
    const scores = byScore.map((c) => c.score ?? -1);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    expect(new Set(byScore.map((c) => c.id))).toEqual(new Set(oldest.map((c) => c.id)));
    const first = await get('/api/cases?status=open&order=score&limit=3');
    const second = await get(`/api/cases?status=open&order=score&limit=3&before=${encodeURIComponent(first.body.next)}`);
    expect([...first.body.cases, ...second.body.cases].map((c: CaseBody) => c.id)).toEqual(byScore.slice(0, 6).map((c) => c.id));
    expect((await get('/api/cases?order=best')).body.error.field).toBe('order');
    expect((await get(`/api/cases?order=oldest&before=${encodeURIComponent(first.body.next)}`)).body.error.field).toBe('before');
  });
});
