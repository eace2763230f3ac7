import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CardRefHasher, DecisionLog, decisionIdOf, decisionLogDir, loadOrCreateSecret, type DecisionInput } from '@fraudstream/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shadowLogDir } from '@fraudstream/system';
import { UsageError } from '../src/args.js';
import { run, timeOf } from '../src/commands/decisions.js';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Collect();
  const err = new Collect();
  const code = await run(argv, out, err);
  return { code, out: out.text, err: err.text };
}

const T0 = Date.UTC(2018, 7, 1);
let dataDir = '';
let input: DecisionInput[] = [];

// A real data dir: the generated secret and a decision log of 1,000 decisions over 10 cards, one per minute.
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-cli-decisions-'));
  const hasher = new CardRefHasher(loadOrCreateSecret(dataDir));
  input = Array.from({ length: 1000 }, (_, k) => ({
    transactionId: k === 5 ? 'tx,"quoted"' : `tx-${k}`,
    eventTimeMs: T0 + k * 60_000,
    score: k % 10 === 0 ? 0.95 : k % 10 === 1 ? 0.6 : 0.1,
    decision: k % 10 === 0 ? 'DECLINE' : k % 10 === 1 ? 'REVIEW' : 'APPROVE',
    reasons: k % 10 <= 1 ? ['AMOUNT_HIGH', 'amount'] : [],
    modelVersion: 'model-a',
    cardRef: hasher.refOf(`card-${k % 10}`),
  }));
  const log = DecisionLog.open(decisionLogDir(dataDir), { blockRecords: 128 });
  log.append(input);
  log.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('fraudstream decisions --shadow', () => {
  it("reads the challenger's shadow log instead of the main one, and says so when there is none", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-cli-shadow-'));
    await expect(cli('--data-dir', dir, '--shadow')).rejects.toThrow(`expected ${shadowLogDir(dir)}`);
    const log = DecisionLog.open(shadowLogDir(dir));
    log.append(input.slice(0, 3).map((d) => ({ ...d, modelVersion: 'challenger@0123456789ab' })));
    log.close();
    const r = await cli('--data-dir', dir, '--shadow', '--format', 'json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { modelVersion: string }[];
    expect(rows.map((x) => x.modelVersion)).toEqual(['challenger@0123456789ab', 'challenger@0123456789ab', 'challenger@0123456789ab']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('fraudstream decisions', () => {
  it('prints every decision as CSV, newest first, one line each plus the header, with no duplicate id', async () => {
    const r = await cli('--data-dir', dataDir, '--format', 'csv');
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toBe('record,decision_id,transaction_id,event_time,score,decision,reasons,model_version,card_ref');
    expect(lines).toHaveLength(1001);
    expect(lines[1]).toBe(`999,${decisionIdOf('tx-999')},tx-999,${new Date(T0 + 999 * 60_000).toISOString()},0.100000,APPROVE,,model-a,${input[999]!.cardRef}`);
    // A transaction id with a comma and quotes is quoted, so the file still has 9 columns per row.
    expect(lines).toContain(`5,${decisionIdOf('tx,"quoted"')},"tx,""quoted""",${new Date(T0 + 5 * 60_000).toISOString()},0.100000,APPROVE,,model-a,${input[5]!.cardRef}`);
    const ids = lines.slice(1).map((l) => l.split(',')[1]);
    expect(new Set(ids).size).toBe(1000);
    const bare = await cli('--data-dir', dataDir, '--format', 'csv', '--no-header');
    expect(bare.out.split('\n').filter((l) => l !== '')).toEqual(lines.slice(1));
    await expect(cli('--data-dir', dataDir, '--no-header')).rejects.toThrow(/--no-header applies to --format csv only/);
  });

  it('filters by time range, decision and card; --card is hashed with the data dir secret and never printed', async () => {
    const r = await cli('--data-dir', dataDir, '--format', 'json', '--since', '2018-08-01T01:00', '--until', String(T0 + 200 * 60_000), '--decision', 'alert', '--card', 'card-1');
    const rows = JSON.parse(r.out) as { transactionId: string; decision: string; cardRef: string; reasons: string[] }[];
    const expected = input.filter((_, k) => k >= 60 && k < 200 && k % 10 === 1).map((d) => d.transactionId).reverse();
    expect(rows.map((x) => x.transactionId)).toEqual(expected);
    expect(rows.every((x) => x.decision === 'REVIEW' && x.cardRef === input[1]!.cardRef && x.reasons.join() === 'AMOUNT_HIGH,amount')).toBe(true);
    expect(r.out).not.toContain('card-1');
    expect(JSON.parse((await cli('--data-dir', dataDir, '--format', 'json', '--card', 'card-404')).out)).toEqual([]);
  });

  it('pages a table with --limit and the printed --before cursor', async () => {
    const first = await cli('--data-dir', dataDir, '--decision', 'DECLINE', '--limit', '30');
    const lines = first.out.trimEnd().split('\n');
    expect(lines).toHaveLength(32);
    expect(lines[1]).toMatch(/^990 +2018-08-01T16:30:00\.000Z +DECLINE +0\.9500 +tx-990 /);
    const cursor = /--before (\d+)$/.exec(lines[31]!)?.[1];
    expect(cursor).toBe('700');
    const second = await cli('--data-dir', dataDir, '--decision', 'DECLINE', '--limit', '30', '--before', cursor!);
    expect(second.out.split('\n')[1]).toMatch(/^690 /);
    expect((await cli('--data-dir', dataDir, '--decision', 'DECLINE', '--before', '0')).out).toContain('(no decisions match)');
  });

  it('reports a torn tail from a writer mid-block on stderr and prints the complete blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-cli-torn-'));
    try {
      const log = DecisionLog.open(decisionLogDir(dir));
      log.append(input.slice(0, 10));
      const end = log.flushNow();
      log.close();
      writeFileSync(join(decisionLogDir(dir), '00000000000000000000.dlog'), Buffer.alloc(30), { flag: 'a' });
      const r = await cli('--data-dir', dir, '--format', 'csv');
      expect(r.out.trimEnd().split('\n')).toHaveLength(11);
      expect(r.err).toMatch(new RegExp(`note: 30 bytes at the end of .*00000000000000000000.dlog are not a complete block`));
      expect(end).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns bad flags into usage errors naming the flag', async () => {
    // Without --data-dir: start's default, $XDG_DATA_HOME/fraudstream (here an empty temporary one).
    const xdg = mkdtempSync(join(tmpdir(), 'fraudstream-cli-xdg-'));
    const saved = process.env.XDG_DATA_HOME;
    process.env.XDG_DATA_HOME = xdg;
    try {
      await expect(cli('--format', 'csv')).rejects.toThrow(`no decision log in ${join(xdg, 'fraudstream')}`);
    } finally {
      if (saved === undefined) delete process.env.XDG_DATA_HOME;
      else process.env.XDG_DATA_HOME = saved;
      rmSync(xdg, { recursive: true, force: true });
    }
    await expect(cli('--data-dir', '', '--format', 'csv')).rejects.toThrow(/--data-dir is required/);
    await expect(cli('--data-dir', dataDir, '--format', 'xml')).rejects.toThrow(/--format must be table, csv or json/);
    await expect(cli('--data-dir', dataDir, '--decision', 'MAYBE')).rejects.toThrow(/--decision must be/);
    await expect(cli('--data-dir', dataDir, '--since', 'yesterday')).rejects.toThrow(/--since must be/);
    await expect(cli('--data-dir', dataDir, '--since', '2018-08-02', '--until', '2018-08-01')).rejects.toThrow(/--until must be after --since/);
    await expect(cli('--data-dir', dataDir, '--limit', '0')).rejects.toThrow(/--limit must be an integer/);
    await expect(cli('--data-dir', dataDir, '--before', 'x')).rejects.toThrow(/--before must be a cursor/);
    await expect(cli('--data-dir', dataDir, '--before', '5000')).rejects.toThrow(/--before is past the end/);
    const noSecret = mkdtempSync(join(tmpdir(), 'fraudstream-cli-nosecret-'));
    try {
      const err = await cli('--data-dir', noSecret, '--card', 'secret-card-id').catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(/--card needs the deployment's secret/);
      expect((err as Error).message).not.toContain('secret-card-id');
      await expect(cli('--data-dir', noSecret)).rejects.toThrow(/no decision log in/);
    } finally {
      rmSync(noSecret, { recursive: true, force: true });
    }
  });

  it('reads times as dates, ISO date-times (UTC unless an offset is given) and epoch ms', () => {
    expect(timeOf('2018-08-01', 'since')).toBe(T0);
    expect(timeOf('2018-08-01T02:30', 'since')).toBe(T0 + 2.5 * 3600_000);
    expect(timeOf('2018-08-01 02:30:00+02:00', 'since')).toBe(T0 + 0.5 * 3600_000);
    expect(timeOf(String(T0), 'since')).toBe(T0);
    expect(() => timeOf('2018-13-01', 'until')).toThrow(/--until must be/);
  });

  it('is registered in the fraudstream command with its --help (built CLI)', () => {
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    const help = spawnSync(process.execPath, [main, 'decisions', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: fraudstream decisions \[--data-dir DIR\]/);
    const top = spawnSync(process.execPath, [main, '--help'], { encoding: 'utf8' });
    expect(top.stdout).toMatch(/decisions +query the durable decision log/);
    const csv = spawnSync(process.execPath, [main, 'decisions', '--data-dir', dataDir, '--format', 'csv', '--decision', 'REVIEW'], { encoding: 'utf8' });
    expect(csv.status).toBe(0);
    expect(csv.stdout.trimEnd().split('\n')).toHaveLength(101);
    const bad = spawnSync(process.execPath, [main, 'decisions', '--data-dir', dataDir, '--limit', 'lots'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--limit must be an integer/);
    // Four node processes that load the whole CLI: slow on a shared machine (nothing here asserts a duration).
  }, 60_000);
});
