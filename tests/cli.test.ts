import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLaws, type LawCounts } from '@fraudstream/engine';
import { Scorer, featureNames } from '@fraudstream/scorer';
import { cli, cliServe } from './utils/cli.js';
import { until } from './utils/poll.js';

type Served = LawCounts & { running: boolean; counts: LawCounts['counts'] & { written: number; fallback: number } };

describe('the fraudstream command', () => {
  it('prints usage and per-command help', () => {
    const top = cli(['--help']);
    expect(top.status).toBe(0);
    for (const cmd of ['start', 'generate', 'train', 'backtest', 'bench']) {
      expect(top.stdout).toContain(cmd);
      const h = cli([cmd, '--help']);
      expect(h.status).toBe(0);
      expect(h.stdout).toContain(`Usage: fraudstream ${cmd}`);
    }
  });

  it('exits 2 with a message naming the flag on bad usage', () => {
    const unknown = cli(['generate', '--out', 'x.csv', '--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--bogus');
    const range = cli(['generate', '--out', 'x.csv', '--days', '-3']);
    expect(range.status).toBe(2);
    expect(range.stderr).toContain('--days');
    const missing = cli(['train', '--out', 'm.json']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--data');
    expect(cli(['frobnicate']).status).toBe(2);
  });

  it('generate is deterministic for a seed; train writes an XGBoost JSON model the scorer loads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-cli-'));
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv');
    const args = ['--customers', '500', '--terminals', '1000', '--days', '50', '--seed', '5'];
    expect(cli(['generate', '--out', a, ...args]).status).toBe(0);
    expect(cli(['generate', '--out', b, ...args]).status).toBe(0);
    const text = readFileSync(a, 'utf8');
    expect(text).toBe(readFileSync(b, 'utf8'));
    expect(text.split('\n')[0]).toBe(
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO,MCC,CHANNEL,CARD_PRESENT,COUNTRY,LAT,LON',
    );
    // --scenarios handbook: the handbook's nine columns and scenarios 1-3 only.
    const hbPath = join(dir, 'h.csv');
    expect(cli(['generate', '--out', hbPath, ...args, '--scenarios', 'handbook']).status).toBe(0);
    const hb = readFileSync(hbPath, 'utf8').trimEnd().split('\n');
    expect(hb[0]).toBe('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO');
    expect(new Set(hb.slice(1).map((l) => l.split(',')[8]))).toEqual(new Set(['0', '1', '2', '3']));
    expect(cli(['generate', '--out', hbPath, '--scenarios', 'most']).status).toBe(2);
    expect(cli(['generate', '--out', b, ...args.slice(0, -1), '6']).status).toBe(0);
    expect(readFileSync(b, 'utf8')).not.toBe(text);

    const model = join(dir, 'model.json');
    const trained = cli(['train', '--data', a, '--out', model, '--trees', '20', '--max-depth', '4']);
    expect(trained.stderr).toBe('');
    expect(trained.status).toBe(0);
    expect(trained.stdout).toMatch(/trained on \d+ transactions \(\d+ fraud\)/);
    const json = readFileSync(model, 'utf8');
    const parsed = JSON.parse(json) as { learner: { feature_names: string[]; objective: { name: string } } };
    expect(parsed.learner.objective.name).toBe('binary:logistic');
    expect(parsed.learner.feature_names).toEqual(featureNames);
    const scorer = Scorer.open();
    try {
      expect(scorer.loadModel(json).trees).toBe(20);
    } finally {
      scorer.close();
    }
    // Training is deterministic: the same data and seed give the same model bytes.
    const again = join(dir, 'again.json');
    expect(cli(['train', '--data', a, '--out', again, '--trees', '20', '--max-depth', '4']).status).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(json);
  });

  it('start serves the live system on loopback; scored rises with every law held; SIGTERM drains and exits 0', async () => {
    const { child, match } = await cliServe(
      ['start', '--port', '0', '--tps', '5000', '--workers', '1', '--ephemeral'],
      /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/,
    );
    try {
      const base = match[1] as string;
      const stats = async (): Promise<Served> => (await (await fetch(`${base}api/stats`)).json()) as Served;
      const first = await until(async () => {
        const s = await stats();
        return s.counts.scored > 0 ? s : undefined;
      });
      expect(first.running).toBe(true);
      const later = await until(async () => {
        const s = await stats();
        return s.counts.scored > first.counts.scored ? s : undefined;
      });
      for (const s of [first, later]) {
        expect(checkLaws(s)).toEqual([]);
        expect(s.counts.fallback).toBe(0);
      }
      const health = await fetch(`${base}healthz`);
      expect(health.status).toBe(200);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('start on a port already in use fails with exit 1 and a message, without hanging on its worker pool', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const r = cli(['start', '--port', String(port), '--workers', '1', '--ephemeral'], 30_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });
  it('bench runs the real pipeline for a short window, drains, reports every count and exits 0 when the laws hold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-bench-'));
    const out = join(dir, 'bench.json');
    const r = cli(['bench', '--tps', '20000', '--duration', '1', '--warmup', '0.5', '--workers', '2', '--json', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/laws held in \d+ snapshots and after the drain/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as BenchJson;
    for (const k of ['offeredTps', 'sustainedTps', 'durationS', 'workers', 'counts', 'latencyMs', 'scheduleLatencyMs', 'heldBack', 'cpuPercent', 'peakRssMb']) {
      expect(j, k).toHaveProperty(k);
    }
    for (const k of ['written', 'consumed', 'scored', 'fallback', 'rejected', 'inFlight']) expect(j.counts, k).toHaveProperty(k);
    expect(j.offeredTps).toBe(20000);
    expect(j.durationS).toBe(1);
    expect(j.workers).toBe(2);
    expect(Object.keys(j.latencyMs).sort()).toEqual(['count', 'max', 'mean', 'p50', 'p99', 'p999']);
    expect(Object.keys(j.scheduleLatencyMs).sort()).toEqual(['count', 'max', 'mean', 'p50', 'p99', 'p999']);
    // Independent counts: the generator's, the engine's and the scorer's own total after the drain.
    expect(j.counts.written).toBeGreaterThan(0);
    expect(j.counts.consumed).toBe(j.counts.written);
    expect(j.counts.scored).toBe(j.counts.written);
    expect(j.laws.scorerTotals.scored).toBe(j.counts.scored);
    expect(j.counts.fallback).toBe(0);
    expect(j.counts.inFlight).toBe(0);
    expect(j.laws.violations).toEqual([]);
    expect(j.ok).toBe(true);
    expect(j.sustainedTps).toBeGreaterThan(0);
    expect(j.latencyMs.count).toBeGreaterThan(0);
    expect(j.latencyMs.p50).toBeLessThanOrEqual(j.latencyMs.p99);
    expect(j.latencyMs.p99).toBeLessThanOrEqual(j.latencyMs.max);
    expect(j.scheduleLatencyMs.count).toBe(j.latencyMs.count);
  });

  it('bench exits 1 when a record is lost (the laws break) or a batch was decided by the fallback, unless allowed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-bench-'));
    const run = (faults: object, extra: string[] = []): { status: number | null; stdout: string; json: BenchJson } => {
      const out = join(dir, `b${Math.random()}.json`);
      const r = cli(['bench', '--tps', '20000', '--duration', '1', '--warmup', '0.2', '--workers', '2', '--json', out, ...extra], 120_000, {
        FRAUDSTREAM_TEST_FAULTS: JSON.stringify(faults),
      });
      return { status: r.status, stdout: r.stdout, json: JSON.parse(readFileSync(out, 'utf8')) as BenchJson };
    };
    const lost = run({ dropRecordSeq: 1000 });
    expect(lost.status).toBe(1);
    expect(lost.stdout).toContain('LAWS BROKEN');
    expect(lost.json.laws.violations.map((v) => v.law)).toContain('decisions');
    const failed = run({ failBatchTicket: 3 });
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('decided by the FALLBACK');
    expect(failed.json.counts.fallback).toBeGreaterThan(0);
    expect(failed.json.laws.violations).toEqual([]);
    const allowed = run({ failBatchTicket: 3 }, ['--allow-fallback']);
    expect(allowed.status).toBe(0);
    expect(allowed.json.counts.fallback).toBeGreaterThan(0);
    // Fallback decisions are never throughput: sustainedTps counts only what the scorer scored in the window.
    expect(allowed.json.sustainedTps * allowed.json.durationS).toBeLessThanOrEqual(allowed.json.counts.scored);
  });

  it('bench exits 2 naming the flag on bad usage', () => {
    const missing = cli(['bench', '--duration', '1']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--tps');
    const bad = cli(['bench', '--tps', 'fast', '--duration', '1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--tps');
    const duration = cli(['bench', '--tps', 'max', '--duration', '0']);
    expect(duration.status).toBe(2);
    expect(duration.stderr).toContain('--duration');
    const workers = cli(['bench', '--tps', '1000', '--duration', '1', '--workers', '0']);
    expect(workers.status).toBe(2);
    expect(workers.stderr).toContain('--workers');
  });
});

interface BenchJson {
  offeredTps: number | 'max';
  sustainedTps: number;
  durationS: number;
  workers: number;
  counts: { written: number; consumed: number; scored: number; fallback: number; rejected: number; inFlight: number };
  latencyMs: Record<'count' | 'max' | 'mean' | 'p50' | 'p99' | 'p999', number>;
  scheduleLatencyMs: Record<'count' | 'max' | 'mean' | 'p50' | 'p99' | 'p999', number>;
  laws: { violations: { law: string }[]; scorerTotals: { scored: number } };
  ok: boolean;
}
