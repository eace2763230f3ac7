import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecisionLog, decisionLogDir } from '@fraudstream/store';
import { describe, expect, it } from 'vitest';
import { createSystem, listCheckpoints, checkpointsDir, readCheckpointRecord, sourceStateName, type System } from '../src/index.js';

const until = async (f: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Every decision in a data dir's log: transaction id -> "score,decision", and the ids in log order. */
function logged(dataDir: string): { ids: string[]; byId: Map<string, string> } {
  const log = DecisionLog.open(decisionLogDir(dataDir), { readOnly: true });
  try {
    const ids: string[] = [];
    const byId = new Map<string, string>();
    for (const d of log.scan()) {
      ids.push(d.transactionId);
      byId.set(d.transactionId, `${d.score},${d.decision}`);
    }
    return { ids: ids.reverse(), byId };
  } finally {
    log.close();
  }
}

const generator = (dataDir: string): Promise<System> =>
  createSystem({ source: { kind: 'generator', tps: 4000, seed: 5, customers: 300 }, workers: 2, durability: { dataDir, checkpointIntervalMs: 200 }, autoStart: true });

describe('durable mode (in process, the generator)', () => {
  it('a restarted generator continues where the final checkpoint of close() left it: no gap, no duplicate, same decisions', async () => {
    const a = mkdtempSync(join(tmpdir(), 'fs-durable-a-'));
    // Two runs on one data dir: the second recovers from the first's final checkpoint.
    let s1 = await generator(a);
    await until(() => (s1.stats().durability?.logRecords ?? 0) > 2000);
    await s1.close();
    s1 = await generator(a);
    const recovered = s1.stats().durability?.recovered;
    expect(recovered?.checkpoint).toBeGreaterThan(0);
    expect(recovered?.droppedDecisions).toBe(0);
    await until(() => (s1.stats().durability?.logRecords ?? 0) > 5000);
    await s1.close();
    const twoRuns = logged(a);
    expect(new Set(twoRuns.ids).size).toBe(twoRuns.ids.length);
    // Generator ids are 0, 1, 2, ... in order: no gap and no repeat across the restart.
    expect(twoRuns.ids.every((id, i) => id === String(i))).toBe(true);

    // One uninterrupted run decides the same transactions identically.
    const b = mkdtempSync(join(tmpdir(), 'fs-durable-b-'));
    const s2 = await generator(b);
    await until(() => (s2.stats().durability?.logRecords ?? 0) > twoRuns.ids.length);
    await s2.close();
    const one = logged(b);
    const differing = twoRuns.ids.filter((id) => one.byId.get(id) !== twoRuns.byId.get(id));
    expect(differing).toEqual([]);
    expect(listCheckpoints(checkpointsDir(a)).length).toBe(2);
    expect(readdirSync(checkpointsDir(a)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('refuses to resume a generator with other options, naming the checkpoint file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-durable-c-'));
    const s = await generator(dir);
    await until(() => (s.stats().durability?.logRecords ?? 0) > 100);
    await s.close();
    const other = createSystem({ source: { kind: 'generator', tps: 4000, seed: 6, customers: 300 }, workers: 1, durability: { dataDir: dir } });
    await expect(other).rejects.toThrow(/checkpoints\/ckpt-\d{20}\.json: options\.resume: the checkpoint's generator has seed 5, this one 6: use another --data-dir/);
    const replay = createSystem({ source: { kind: 'replay', path: join(dir, 'x.csv'), tps: 'max' }, workers: 1, durability: { dataDir: dir } });
    await expect(replay).rejects.toThrow(/ckpt-\d{20}\.json: the checkpoint is of a generator source, this start has a replay/);
  }, 60_000);

  it("keeps the generator's simulator state beside each checkpoint and refuses a corrupt or missing one, naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-durable-s-'));
    const s = await generator(dir);
    await until(() => (s.stats().durability?.logRecords ?? 0) > 100);
    await s.close();
    const cdir = checkpointsDir(dir);
    const id = listCheckpoints(cdir).at(-1)!;
    const record = readCheckpointRecord(cdir, id);
    expect(record.sourceState?.file).toBe(sourceStateName(id));
    const file = join(cdir, sourceStateName(id));
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(record.sourceState?.bytes);
    const flipped = Buffer.from(bytes);
    flipped.writeUInt8(flipped.readUInt8(flipped.length >> 1) ^ 1, flipped.length >> 1);
    writeFileSync(file, flipped);
    await expect(generator(dir)).rejects.toThrow(/checkpoints\/source-\d{20}\.bin: the source state does not match the checkpoint record/);
    rmSync(file);
    await expect(generator(dir)).rejects.toThrow(/checkpoints\/source-\d{20}\.bin: cannot read the checkpoint's source state/);
    // The unchanged bytes resume.
    writeFileSync(file, bytes);
    const again = await generator(dir);
    expect(again.stats().durability?.recovered?.checkpoint).toBe(id);
    await again.close();
  }, 60_000);

  it("a restart keeps the configured thresholds over the checkpoint's (runtime changes are not settings), and says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-durable-t-'));
    const s = await generator(dir);
    s.setThresholds({ review: 0.2, decline: 0.6 });
    await until(() => (s.stats().durability?.logRecords ?? 0) > 500);
    await s.close();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const again = await createSystem({
        source: { kind: 'generator', tps: 4000, seed: 5, customers: 300 },
        workers: 2,
        thresholds: { review: 0.4, decline: 0.8 },
        durability: { dataDir: dir },
      });
      expect(again.stats().durability?.recovered?.checkpoint).toBeGreaterThan(0);
      expect(again.stats().thresholds).toEqual({ review: 0.4, decline: 0.8 });
      await again.close();
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((w) => /checkpoint had thresholds review 0\.2, decline 0\.6; continuing with the configured review 0\.4, decline 0\.8/.test(w))).toBe(true);
  }, 60_000);

  it('refuses a bad durability configuration naming the field', async () => {
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, durability: { dataDir: '' } })).rejects.toThrow(/config\.durability\.dataDir/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, durability: { dataDir: 'x', checkpointIntervalMs: 1 } })).rejects.toThrow(
      /config\.durability\.checkpointIntervalMs/,
    );
  });
});
