import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './utils/cli.js';
import { csvIds, readDecisions, startReplay, untilEndCheckpointed, type Started } from './utils/durable-run.js';
import { sleep, until } from './utils/poll.js';

// Crash tests with real processes: `fraudstream start --source replay:FILE --data-dir D` killed and restarted; at the
// end every transaction of FILE has exactly one decision in the log, the same (score and decision) as an
// uninterrupted run's.

const root = mkdtempSync(join(tmpdir(), 'fs-durable-'));
const file = join(root, 'tx.csv');
let ids: string[] = [];
let reference = new Map<string, string>();
/** Paced so that a run takes a few seconds and a kill lands mid-file; checkpoints every 0.2 s. */
const PACED = ['--tps', '4000', '--checkpoint-interval', '0.2'];

/** Fails unless `dataDir`'s log holds each transaction of the file once, decided as in the uninterrupted run. */
function expectExactlyOnceAsReference(dataDir: string): void {
  const got = readDecisions(dataDir);
  expect(got.duplicates).toEqual([]);
  expect(got.rows).toBe(ids.length);
  const differing = ids.filter((id) => got.byId.get(id) !== reference.get(id));
  expect(differing.slice(0, 5).map((id) => [id, got.byId.get(id), reference.get(id)])).toEqual([]);
}

async function untilDeciding(run: Started): Promise<void> {
  await until(async () => ((await run.stats()).counts.decided > 0 ? true : undefined), 30_000, 50);
}

beforeAll(async () => {
  const g = cli(['generate', '--out', file, '--customers', '300', '--terminals', '600', '--days', '20', '--seed', '11']);
  expect(g.status, g.stderr).toBe(0);
  ids = csvIds(readFileSync(file, 'utf8'));
  // The uninterrupted run, as fast as it goes.
  const refDir = join(root, 'reference');
  const run = await startReplay(file, refDir, ['--tps', 'max', '--checkpoint-interval', '0.2']);
  await untilEndCheckpointed(run);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  reference = readDecisions(refDir).byId;
  expect(reference.size).toBe(ids.length);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('crash recovery of start --data-dir', () => {
  it('refuses contradictory or out-of-range durability flags, naming them', () => {
    const both = cli(['start', '--ephemeral', '--data-dir', join(root, 'x')]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--ephemeral (--no-data-dir) cannot be combined with --data-dir');
    const interval = cli(['start', '--data-dir', join(root, 'x'), '--checkpoint-interval', '0']);
    expect(interval.status).toBe(2);
    expect(interval.stderr).toContain('--checkpoint-interval must be a number from 0.05 to 86400');
    const bench = cli(['bench', '--tps', 'max', '--duration', '1', '--checkpoint-interval', '1']);
    expect(bench.status).toBe(2);
    expect(bench.stderr).toContain('--checkpoint-interval needs --data-dir');
  });

  it('SIGKILL at random points, restarted each time: each transaction once, decided as without the crashes', async () => {
    const dir = join(root, 'killed');
    const dropped: number[] = [];
    let midRun = 0;
    for (let i = 0; i < 4; i++) {
      const run = await startReplay(file, dir, PACED);
      await untilDeciding(run);
      const s = await run.stats();
      if (i > 0) {
        // Every restart after the first checkpoint recovers from one.
        expect(s.durability?.recovered).toBeDefined();
        dropped.push(s.durability?.recovered?.droppedDecisions ?? -1);
      }
      await sleep(100 + Math.random() * 600);
      if ((await run.stats()).source.state === 'running') midRun++;
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const last = await startReplay(file, dir, PACED);
    const end = await untilEndCheckpointed(last);
    expect(end.laws.ok).toBe(true);
    last.child.kill('SIGKILL');
    await last.exited;
    console.log(`SIGKILL test: ${midRun} of 4 kills mid-file; decisions cut and made again at each restart: ${dropped.join(', ')}`);
    expect(midRun).toBeGreaterThan(0);
    expectExactlyOnceAsReference(dir);
  }, 180_000);

  it('SIGTERM drains and takes a final checkpoint: a restart drops nothing and the log is exact', async () => {
    const dir = join(root, 'terminated');
    for (let i = 0; i < 2; i++) {
      const run = await startReplay(file, dir, PACED);
      await untilDeciding(run);
      if (i > 0) expect((await run.stats()).durability?.recovered?.droppedDecisions).toBe(0);
      await sleep(100 + Math.random() * 500);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }
    const last = await startReplay(file, dir, PACED);
    const s = await last.stats();
    // The final checkpoint of a graceful stop covers every decision in the log: nothing to cut.
    expect(s.durability?.recovered?.droppedDecisions).toBe(0);
    expect(s.durability?.recovered?.logRecords).toBe(s.durability?.recovered?.transactions);
    await untilEndCheckpointed(last);
    last.child.kill('SIGTERM');
    expect(await last.exited).toBe(0);
    expectExactlyOnceAsReference(dir);
  }, 120_000);

  it('a full disk stops the source with the reason in stats, loses nothing, and stops cleanly once space is back', async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('this test mounts a small tmpfs as the data dir and must run as root (CI does): run it with sudo');
    }
    const mnt = join(root, 'tmpfs');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt]);
    try {
      const dir = join(mnt, 'data');
      // Leave ~700 KiB: enough to start and checkpoint, not for the whole file's log and snapshots.
      const filler = join(mnt, 'filler');
      writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024 - 700 * 1024));
      const run = await startReplay(file, dir, PACED);
      const failed = await until(async () => {
        const s = await run.stats();
        return s.durability?.ok === false ? s : undefined;
      }, 60_000, 50);
      // Whichever writer meets the full disk first names it: the log and checkpoints (ENOSPC, "no space left") or
      // the case store's SQLite ("database or disk is full").
      console.log(`full disk: ${failed.durability?.reason}`);
      expect(failed.durability?.reason).toMatch(/no space left|ENOSPC|disk is full/i);
      expect(failed.source.state).toBe('stopped');
      expect(failed.running).toBe(false);
      expect(run.output()).toContain('durability failed');
      // The source stays stopped: nothing more is taken in while nothing can be logged.
      const written = failed.counts.written;
      await sleep(500);
      const later = await run.stats();
      expect(later.counts.written).toBe(written);
      expect(later.laws.ok).toBe(true);
      expect(later.durability?.restartToRecover).toBe(false);
      // Space comes back: the process stops cleanly (exit 75) so that a restart recovers from the last checkpoint.
      rmSync(filler);
      expect(await run.exited).toBe(75);
      expect(run.output()).toContain('has space again');
      const again = await startReplay(file, dir, PACED);
      expect((await again.stats()).durability?.recovered).toBeDefined();
      await untilEndCheckpointed(again);
      again.child.kill('SIGTERM');
      expect(await again.exited).toBe(0);
      expectExactlyOnceAsReference(dir);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  }, 180_000);

  it('refuses a corrupt snapshot, a corrupt checkpoint record, corrupt pending labels or another file, naming the file', async () => {
    const good = join(root, 'terminated');
    const ckpts = (d: string): string[] => readdirSync(join(d, 'checkpoints')).sort();
    const copy = (name: string): string => {
      const d = join(root, name);
      cpSync(good, d, { recursive: true });
      return d;
    };
    const newest = (d: string, prefix: string): string => join(d, 'checkpoints', ckpts(d).filter((n) => n.startsWith(prefix)).pop() as string);

    const badSnap = copy('bad-snapshot');
    const snap = newest(badSnap, 'snap-');
    const bytes = readFileSync(snap);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
    writeFileSync(snap, bytes);
    const r1 = cli(['start', '--source', `replay:${file}`, '--data-dir', badSnap, '--port', '0', '--workers', '1'], 60_000);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain(snap);

    const badRecord = copy('bad-record');
    const record = newest(badRecord, 'ckpt-');
    writeFileSync(record, readFileSync(record, 'utf8').replace('"position"', '"positon"'));
    const r2 = cli(['start', '--source', `replay:${file}`, '--data-dir', badRecord, '--port', '0', '--workers', '1'], 60_000);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(record);
    expect(r2.stderr).toContain('log.position');

    const badLabels = copy('bad-labels');
    const labels = newest(badLabels, 'labels-');
    const lb = readFileSync(labels);
    lb[lb.length - 1] = (lb[lb.length - 1] as number) ^ 0x01;
    writeFileSync(labels, lb);
    const r4 = cli(['start', '--source', `replay:${file}`, '--data-dir', badLabels, '--port', '0', '--workers', '1'], 60_000);
    expect(r4.status).toBe(1);
    expect(r4.stderr).toContain(`${labels}: the pending labels do not match`);

    const other = join(root, 'other.csv');
    cpSync(file, other);
    const r3 = cli(['start', '--source', `replay:${other}`, '--data-dir', copy('other-file'), '--port', '0', '--workers', '1'], 60_000);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toMatch(/ckpt-\d{20}\.json: the checkpoint is of a replay of .*tx\.csv/);
  }, 120_000);
});
