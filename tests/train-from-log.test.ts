import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBundle, featureNames, featureSet, Scorer, trainGbdt } from '@fraudstream/scorer';
import { decisionIdOf, openCaseStore, readFeatureBatches, readLabels } from '@fraudstream/store';
import { cli } from './utils/cli.js';
import { readDecisions, startReplay, untilEndCheckpointed } from './utils/durable-run.js';
import { until } from './utils/poll.js';

// `start --source replay:FILE --data-dir D` (real processes, one killed with SIGKILL mid-file and restarted) logs the
// served features and the labels it receives; `train --from-log` turns them into a bundle that loads and scores.

const DAY_MS = 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'fs-fromlog-'));
const file = join(root, 'tx.csv');
const dataDir = join(root, 'data');
const SAMPLE = 0.1;

/** One served row as the test reads it back, independently of the CLI's join. */
interface Row {
  id: string;
  ts: number;
  ref: string;
  decision: number;
  score: number;
  features: Float32Array;
}
let rows: Row[] = [];
let labelOf = new Map<string, boolean>();
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

beforeAll(async () => {
  const g = cli(['generate', '--out', file, '--customers', '600', '--terminals', '1200', '--days', '50', '--seed', '5']);
  expect(g.status, g.stderr).toBe(0);
  const flags = ['--tps', '20000', '--checkpoint-interval', '0.2', '--feature-log-sample', String(SAMPLE), '--no-cases'];
  // A first run killed after its first checkpoint and before the end of the file, then a run to the end.
  const first = await startReplay(file, dataDir, flags);
  await until(async () => {
    const s = await first.stats();
    return (s.durability?.lastCheckpoint?.transactions ?? 0) > 0 ? true : undefined;
  }, 60_000, 20);
  const mid = await first.stats();
  first.child.kill('SIGKILL');
  await first.exited;
  expect(mid.source.state).toBe('running');
  const second = await startReplay(file, dataDir, flags);
  const end = await untilEndCheckpointed(second);
  expect(end.durability?.recovered).toBeDefined();
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  for (const b of readFeatureBatches(dataDir)) {
    for (let i = 0; i < b.count; i++) {
      rows.push({
        id: b.ids.get(i) ?? String(b.txNum[i]),
        ts: b.eventTimeMs[i]!,
        ref: hex8(b.refs[2 * i]!) + hex8(b.refs[2 * i + 1]!),
        decision: b.decision[i]!,
        score: b.score[i]!,
        features: b.features.slice(i * b.width, (i + 1) * b.width),
      });
    }
  }
  labelOf = new Map();
  for (const l of readLabels(dataDir)) labelOf.set(`${l.eventTimeMs}|${l.cardRef ?? ''}`, l.fraud);
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Average precision of `scores` against `labels` (ties broken pessimistically: positives last). */
function averagePrecision(scores: ArrayLike<number>, labels: readonly number[]): number {
  const order = labels.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || labels[a]! - labels[b]!);
  const total = labels.reduce((s, l) => s + l, 0);
  let tp = 0;
  let ap = 0;
  order.forEach((i, k) => {
    if (labels[i] === 1) {
      tp++;
      ap += tp / (k + 1);
    }
  });
  return ap / total;
}

/** The check the test makes of a model: its AP on the held-out rows beats a constant score's (the fraud rate) by a margin. */
function beatsConstant(scores: ArrayLike<number>, labels: readonly number[]): { ap: number; constant: number; ok: boolean } {
  const ap = averagePrecision(scores, labels);
  const constant = labels.reduce((s, l) => s + l, 0) / labels.length;
  return { ap, constant, ok: ap > constant + 0.1 };
}

describe('train --from-log', () => {
  it('after a SIGKILL and a restart the feature log holds each served transaction once, as it was decided', () => {
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const decisions = readDecisions(dataDir);
    expect(decisions.duplicates).toEqual([]);
    // Every alert in the decision log has its served features; the approvals are a sample of about SAMPLE.
    const logged = new Map(rows.map((r) => [r.id, r]));
    let alerts = 0;
    let approvals = 0;
    for (const [id, scoreDecision] of decisions.byId) {
      const decision = scoreDecision.split(',')[1];
      if (decision === 'APPROVE') approvals++;
      else {
        alerts++;
        expect(logged.has(id), `alert ${id} has no served features`).toBe(true);
      }
      const row = logged.get(id);
      if (row !== undefined) expect(['APPROVE', 'REVIEW', 'DECLINE'][row.decision]).toBe(decision);
    }
    const sampled = rows.filter((r) => r.decision === 0).length;
    expect(alerts).toBeGreaterThan(100);
    expect(sampled / approvals).toBeGreaterThan(SAMPLE * 0.8);
    expect(sampled / approvals).toBeLessThan(SAMPLE * 1.2);
    expect(rows[0]!.features.length).toBe(featureNames.length);
  });

  it('keeps the fraud labels of the stream (each fraud of the file at least once: the label log is never cut), tagged replay', () => {
    const labels = [...readLabels(dataDir)];
    expect(labels.every((l) => l.fraud && l.source === 'replay' && /^[0-9a-f]{16}$/.test(l.cardRef ?? ''))).toBe(true);
    const header = readFileSync(file, 'utf8').split('\n', 1)[0]!.split(',');
    const fraudCol = header.indexOf('TX_FRAUD');
    const frauds = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).filter((l) => l.split(',')[fraudCol] === '1').length;
    expect(frauds).toBeGreaterThan(0);
    expect(labelOf.size).toBe(frauds);
  });

  it('trains a bundle that loads in the scorer and ranks held-out served transactions better than a constant', () => {
    const times = rows.map((r) => r.ts).sort((a, b) => a - b);
    const cut = Math.floor(times[Math.floor(times.length * 0.7)]! / DAY_MS) * DAY_MS;
    const until = new Date(cut).toISOString();
    const out = join(root, 'bundle.json');
    const r = cli(['train', '--from-log', '--data-dir', dataDir, '--until', until, '--out', out, '--trees', '40', '--name', 'relearned']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained on \d+ served transactions \(\d+ fraud; .* wrote bundle relearned@[0-9a-f]{12}/);
    const bundle = readFileSync(out, 'utf8');
    expect(checkBundle(bundle).version).toMatch(/^relearned@/);

    // Every fraud of the replayed file has its label in the log (the stream's labels; the genuine ones are implied).
    const heldOut = rows.filter((x) => x.ts >= cut);
    const labels = heldOut.map((x) => (labelOf.get(`${x.ts}|${x.ref}`) === true ? 1 : 0));
    expect(labels.filter((l) => l === 1).length).toBeGreaterThan(20);
    const width = featureNames.length;
    const features = new Float32Array(heldOut.length * width);
    heldOut.forEach((x, i) => features.set(x.features, i * width));
    const scorer = Scorer.open();
    try {
      scorer.loadBundle(bundle);
      const scores = new Float32Array(heldOut.length);
      scorer.scoreFeatures(features, heldOut.length, scores);
      const got = beatsConstant(scores, labels);
      expect(got.ok, JSON.stringify(got)).toBe(true);

      // The check can fail: a model trained on the same rows with the labels flipped ranks worse than a constant.
      const trainRows = rows.filter((x) => x.ts < cut);
      const tf = new Float32Array(trainRows.length * width);
      trainRows.forEach((x, i) => tf.set(x.features, i * width));
      const flipped = Uint8Array.from(trainRows, (x) => (labelOf.get(`${x.ts}|${x.ref}`) === true ? 0 : 1));
      scorer.loadModel(trainGbdt(tf, flipped, trainRows.length, { trees: 40 }));
      scorer.scoreFeatures(features, heldOut.length, scores);
      const control = beatsConstant(scores, labels);
      expect(control.ok).toBe(false);
      console.log(
        `train --from-log: held-out AP ${got.ap.toFixed(3)} against a constant's ${got.constant.toFixed(3)} (${heldOut.length} rows); ` +
          `trained on flipped labels ${control.ap.toFixed(3)}`,
      );
    } finally {
      scorer.close();
    }
  });

  it("keeps the live bundle's thresholds, rules and lists (--bundle)", () => {
    const live = join(root, 'live.json');
    const model = readFileSync(new URL('../models/default.json', import.meta.url), 'utf8');
    const base = {
      format: 'fraudstream-bundle/1',
      name: 'live',
      featureSet,
      model: { format: 'xgboost-json', text: model },
      thresholds: { review: 0.42, decline: 0.87 },
      rules: 'rule BIG_ONLINE review: amount > 5000 and channel == "ONLINE"\n',
      lists: { block: { country: ['KP'] } },
    };
    writeFileSync(live, JSON.stringify(base));
    const out = join(root, 'kept.json');
    const r = cli(['train', '--from-log', '--data-dir', dataDir, '--bundle', live, '--out', out, '--trees', '10']);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(readFileSync(out, 'utf8')) as typeof base & { hash: string };
    expect([got.thresholds, got.rules, got.lists]).toEqual([base.thresholds, base.rules, base.lists]);
    expect(got.model.text).not.toBe(model);
    const info = checkBundle(readFileSync(out, 'utf8'));
    expect([info.review, info.decline, info.rules]).toEqual([0.42, 0.87, ['BIG_ONLINE']]);
  });

  it("counts analysts' verdicts from the case store over the stream's labels", async () => {
    const fraudsOf = (out: string): number => Number(/\((\d+) fraud;/.exec(out)?.[1] ?? -1);
    const before = cli(['train', '--from-log', '--data-dir', dataDir, '--out', join(root, 'v0.json'), '--trees', '5']);
    expect(before.status, before.stderr).toBe(0);
    expect(before.stdout).toContain('0 analyst verdicts');
    // 30 served frauds reviewed and called legitimate by an analyst.
    const reviewed = rows.filter((x) => x.decision >= 1 && labelOf.get(`${x.ts}|${x.ref}`) === true).slice(0, 30);
    expect(reviewed.length).toBe(30);
    const store = await openCaseStore({ dataDir });
    try {
      await store.openCases(
        reviewed.map((x) => ({ decisionId: decisionIdOf(x.id), transactionId: x.id, cardRef: x.ref, decision: 'REVIEW' as const, score: x.score, reasons: [], modelVersion: 'm', eventTimeMs: x.ts })),
      );
      for (const x of reviewed) await store.update(decisionIdOf(x.id), { status: 'legitimate', analyst: 'tester' });
    } finally {
      await store.close();
    }
    const after = cli(['train', '--from-log', '--data-dir', dataDir, '--out', join(root, 'v1.json'), '--trees', '5']);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stdout).toContain('30 analyst verdicts');
    expect(fraudsOf(after.stdout)).toBe(fraudsOf(before.stdout) - 30);
  });

  it('says what is wrong with an empty data dir or a bad window', () => {
    const empty = cli(['train', '--from-log', '--data-dir', join(root, 'none'), '--out', join(root, 'x.json')]);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toMatch(/0 labelled served transactions in the window; at least 100 are needed/);
    const both = cli(['train', '--from-log', '--data', file, '--out', join(root, 'x.json')]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--data and --from-log exclude each other');
    const bad = cli(['train', '--from-log', '--data-dir', dataDir, '--since', 'yesterday', '--out', join(root, 'x.json')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--since must be a date YYYY-MM-DD or an ISO date-time');
  });
});
