import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystem, type System } from '../src/index.js';

const dirs: string[] = [];
const systems: System[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fraudstream-cases-'));
  dirs.push(d);
  return d;
}
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}
// A review threshold of 0 makes every transaction an alert: the expected cases are then exactly the transactions.
const everyAlert = { review: 0, decline: 0.999 };

/** A replay file of `n` transactions, every third with a string id (kept beside the ring, not in the record). */
function replayFile(dir: string, n: number): { path: string; ids: string[] } {
  const ids: string[] = [];
  const lines = ['TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO'];
  for (let k = 0; k < n; k++) {
    const id = k % 3 === 0 ? `tx-${k}` : String(k);
    ids.push(id);
    const t = new Date(Date.UTC(2018, 3, 1) + k * 1000).toISOString().slice(0, 19).replace('T', ' ');
    lines.push(`${id},${t},${k % 50},${k % 20},${(10 + (k % 90)).toFixed(2)},0,0`);
  }
  const path = join(dir, 'tx.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, ids };
}

async function allCaseIds(system: System): Promise<string[]> {
  const out: string[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await system.cases!.list({ limit: 1000, ...(before === undefined ? {} : { before }) });
    out.push(...page.cases.map((c) => c.transactionId));
    if (page.next === null) return out;
    before = page.next;
  }
}

// Real worker threads, SQLite busy waits and a real PostgreSQL on a shared machine: generous timeouts (no test
// asserts a duration).
const T = 60_000;

describe('cases in the running system', () => {
  it('opens one case per alert of a replay, and none again when a restart replays the same file', async () => {
    const dataDir = tempDir();
    const { path, ids } = replayFile(dataDir, 3000);
    const run = async (): Promise<System> => {
      const system = await createSystem({ source: { kind: 'replay', path, tps: 'max' }, workers: 1, thresholds: everyAlert, dataDir, autoStart: true });
      systems.push(system);
      await until(() => system.stats().source.state === 'ended');
      await system.stop();
      return system;
    };
    const first = await run();
    const s = first.stats();
    expect(s.counts.review + s.counts.declined).toBe(3000);
    expect(s.cases).toMatchObject({ backend: 'sqlite', opened: 3000, existing: 0, queue: 0, full: false });
    const got = await allCaseIds(first);
    expect(new Set(got).size).toBe(3000);
    expect([...got].sort()).toEqual([...ids].sort());
    await first.close();

    const second = await run();
    expect(second.stats().cases).toMatchObject({ opened: 0, existing: 3000, queue: 0 });
    expect(await allCaseIds(second)).toHaveLength(3000);
  }, T);

  it('holds the source back while the case store cannot commit, and loses no alert', async () => {
    const dataDir = tempDir();
    const system = await createSystem({ source: { kind: 'generator', tps: 20_000, seed: 3, customers: 200 }, workers: 1, thresholds: everyAlert, dataDir, caseQueue: 100 });
    systems.push(system);
    // Another connection holds SQLite's write lock: the case writer's commits fail and are retried.
    const blocker = new Database(join(dataDir, 'cases.sqlite'));
    blocker.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    try {
      await system.start();
      await until(() => (system.stats().cases?.refusedClaims ?? 0) > 0);
      const s = system.stats();
      expect(s.cases).toMatchObject({ full: true, opened: 0 });
      // Bounded: what was handed over is at most the bound plus what was in the engine's ring when the gate closed.
      expect(s.cases!.queue).toBeLessThanOrEqual(100 + s.queue.capacity);
      expect(s.cases!.queue).toBe(s.counts.review + s.counts.declined);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    await until(() => system.stats().cases!.opened > 0 && !system.stats().cases!.full);
    await system.stop();
    const s = system.stats();
    expect(s.cases).toMatchObject({ opened: s.counts.review + s.counts.declined, queue: 0 });
    expect(s.source.heldBackMs).toBeGreaterThan(0);
    expect(s.laws.ok).toBe(true);
  }, T);

  it('keeps the cases in PostgreSQL with db (the schema named in the URL), exactly once across a restart', async () => {
    // The real server of scripts/setup-postgres.sh; unreachable is a failure, never a skip.
    const TEST_PG = process.env.FRAUDSTREAM_TEST_PG ?? 'postgres://fraudstream:fraudstream@127.0.0.1:5432/fraudstream_test';
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const dataDir = tempDir();
    const { path, ids } = replayFile(dataDir, 500);
    const run = async (): Promise<System> => {
      const system = await createSystem({ source: { kind: 'replay', path, tps: 'max' }, workers: 1, thresholds: everyAlert, dataDir, db: `${TEST_PG}?schema=${schema}`, autoStart: true });
      systems.push(system);
      await until(() => system.stats().source.state === 'ended');
      await system.stop();
      return system;
    };
    try {
      const first = await run();
      expect(first.stats().cases).toMatchObject({ backend: 'postgres', opened: 500, existing: 0, queue: 0 });
      expect([...(await allCaseIds(first))].sort()).toEqual([...ids].sort());
      await first.close();
      const second = await run();
      expect(second.stats().cases).toMatchObject({ backend: 'postgres', opened: 0, existing: 500 });
      await second.close();
    } finally {
      const client = new pg.Client({ connectionString: TEST_PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }, T);

  it('makes each checkpoint wait until the cases before it are durable', async () => {
    const dataDir = tempDir();
    const { path } = replayFile(dataDir, 2000);
    const system = await createSystem({ source: { kind: 'replay', path, tps: 'max' }, workers: 1, thresholds: everyAlert, dataDir, durability: { dataDir, checkpointIntervalMs: 3_600_000 } });
    systems.push(system);
    await system.durability!.checkpoint();
    const before = system.stats().durability!.lastCheckpoint?.id ?? 0;
    const blocker = new Database(join(dataDir, 'cases.sqlite'));
    blocker.pragma('busy_timeout = 0');
    blocker.exec('BEGIN IMMEDIATE');
    let done = false;
    let checkpoint: Promise<void>;
    try {
      await system.start();
      await until(() => system.stats().source.state === 'ended' && system.stats().counts.inFlight === 0);
      checkpoint = system.durability!.checkpoint().then(() => {
        done = true;
      });
      // The cases cannot commit: the checkpoint waits for them and writes no record.
      await until(() => (system.stats().cases?.commitErrors ?? 0) > 0);
      expect(done).toBe(false);
      expect(system.stats().durability!.lastCheckpoint?.id ?? 0).toBe(before);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    await checkpoint;
    expect(system.stats().cases).toMatchObject({ opened: 2000, queue: 0 });
    expect(system.stats().durability!.lastCheckpoint?.id).toBe(before + 1);
  }, T);

  it('refuses a bad case configuration naming the field', async () => {
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, dataDir: tempDir(), durability: { dataDir: tempDir() } })).rejects.toThrow(/config\.dataDir must be the same directory/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, db: 'postgres://x/y' })).rejects.toThrow(/config\.db needs config\.dataDir/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, dataDir: tempDir(), db: 'mysql://x' })).rejects.toThrow(/config\.db/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, dataDir: tempDir(), caseQueue: 0 })).rejects.toThrow(/config\.caseQueue/);
  });
});
