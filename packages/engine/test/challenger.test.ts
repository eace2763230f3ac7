import { afterEach, describe, expect, it } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { averagePrecision, checkLaws, checkQuiescent, FAULTS_ENV, type DecidedBatch, type Engine, type EngineStats, type Faults } from '../src/index.js';
import { feed, lawsHold, modelJson, simulatedStream, withEngine } from './helpers.js';

const APPROVE = 0;
const DECLINE = 2;
// The built-in rules are set out of reach so only the bundles decide.
const QUIET_RULES = { highAmount: 1e12, velocity1d: 1e9 };

const bundle = (name: string, rules: string, extra: Record<string, unknown> = {}, thresholds = { review: 1, decline: 1 }): string =>
  sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name, featureSet, thresholds, rules, ...extra }));
const APPROVE_ALL = bundle('approve-all', '');
const DECLINE_ALL = bundle('decline-all', 'rule ALL decline: amount >= 0');
/** The start model with real thresholds: the champion and an identical challenger. */
const SAME = bundle('same', '', { model: { format: 'xgboost-json', text: modelJson() } }, { review: 0.3, decline: 0.9 });

/** The start model with every leaf set to 0: one constant score for every transaction (a deliberately worse model). */
function constantModel(): string {
  const m = JSON.parse(modelJson()) as { learner: { gradient_booster: { model: { trees: { left_children: number[]; split_conditions: number[]; base_weights: number[] }[] } } } };
  for (const t of m.learner.gradient_booster.model.trees) {
    t.left_children.forEach((l, i) => {
      if (l === -1) {
        t.split_conditions[i] = 0;
        t.base_weights[i] = 0;
      }
    });
  }
  return bundle('constant', '', { model: { format: 'xgboost-json', model: m } }, { review: 0.3, decline: 0.9 });
}

/** Per champion decision: ingest sequence, decision code, version of the generation that made it. */
function champion(engine: Engine): { seq: number; decision: number; version: string }[] {
  const rows: { seq: number; decision: number; version: string }[] = [];
  engine.onBatch((b: DecidedBatch) => {
    for (let i = 0; i < b.count; i++) {
      const s = b.slot + i;
      if (!b.records.isLabel(s)) rows.push({ seq: b.seq + i, decision: b.results.decisionCode(s), version: engine.generationInfo(b.results.generation(s)).version });
    }
  });
  return rows;
}

describe('champion/challenger (real engine, two worker threads, real addon)', () => {
  it('scores every transaction once as champion and once in shadow; shadow decisions never reach the sinks', async () => {
    const stream = await simulatedStream(10);
    await withEngine({ workers: 2, maxBatch: 128, capacity: 4096, rules: QUIET_RULES, bundle: APPROVE_ALL, challenger: DECLINE_ALL }, async (engine) => {
      const rows = champion(engine);
      const broken: unknown[] = [];
      const timer = setInterval(() => broken.push(...lawsHold(engine.stats())), 1);
      await feed(engine, stream.views, stream.count, 256);
      await engine.drain();
      clearInterval(timer);
      const s = engine.stats();
      const ch = s.challenger!;
      expect(ch.version).toMatch(/^decline-all@/);
      // One champion decision per transaction, each ingest sequence once.
      expect(rows.length).toBe(s.counts.written);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
      // One shadow decision per transaction: counted by the challenger's own scorer, independently of the champion.
      expect(ch.counts.scored + ch.counts.invalid).toBe(s.counts.scored + s.counts.invalid);
      expect(ch.counts.consumed).toBe(s.counts.consumed);
      expect(ch.counts.failed).toBe(0);
      expect(ch.counts.declined).toBe(ch.counts.scored + ch.counts.invalid);
      expect(ch.counts.labels).toBe(s.counts.labels.applied);
      expect(broken).toEqual([]);
      expect(checkLaws(s)).toEqual([]);
      expect(checkQuiescent(s, engine.scorer.counts())).toEqual([]);
      // The sinks saw only the champion: every decision APPROVE by the approving bundle, no alert at all.
      expect(rows.every((r) => r.decision === APPROVE && r.version.startsWith('approve-all@'))).toBe(true);
      expect(engine.drainEvents(100, 1000).alerts).toEqual([]);
      expect(s.counts.declined + s.counts.review).toBe(0);
      // The disagreements are sampled (bounded) and compared side by side.
      expect(ch.recent.length).toBe(20);
      expect(ch.recent.every((d) => d.champion.decision === 'APPROVE' && d.challenger.decision === 'DECLINE')).toBe(true);
      expect(ch.agreement[APPROVE]![DECLINE]).toBe(ch.counts.scored + ch.counts.invalid);
      expect(ch.quality.challenger.recall).toBe(1);
      expect(ch.quality.champion.recall).toBe(0);
    });
  }, 60_000);

  it('a challenger equal to the champion has equal quality; a constant model has worse', async () => {
    const stream = await simulatedStream(20);
    const run = async (challenger: string): Promise<EngineStats> =>
      withEngine({ workers: 2, maxBatch: 256, capacity: 8192, bundle: SAME, challenger }, async (engine) => {
        await feed(engine, stream.views, stream.count, 512);
        await engine.drain();
        return engine.stats();
      });
    const same = (await run(SAME)).challenger!.quality;
    expect(same.champion.labelled).toBeGreaterThan(1000);
    expect(same.champion.frauds).toBeGreaterThan(10);
    expect(same.challenger).toEqual(same.champion);
    // The model ranks: its average precision is well above the fraud rate (what a constant score gets).
    expect(same.champion.averagePrecision).toBeGreaterThan((2 * same.champion.frauds) / same.champion.labelled);
    const worse = (await run(constantModel())).challenger!.quality;
    // The window holds the same transactions for both sides; the constant model ranks nothing.
    expect(worse.champion).toEqual(same.champion);
    expect(worse.challenger.averagePrecision).toBeCloseTo(worse.challenger.frauds / worse.challenger.labelled, 6);
    expect(worse.challenger.averagePrecision).toBeLessThan(same.champion.averagePrecision);
    expect(worse.challenger).not.toEqual(worse.champion);
  }, 90_000);

  it('promotion under load loses and duplicates nothing; decisions after it carry the new version', async () => {
    const stream = await simulatedStream(10);
    await withEngine({ workers: 2, maxBatch: 64, capacity: 4096, rules: QUIET_RULES, bundle: APPROVE_ALL, challenger: DECLINE_ALL }, async (engine) => {
      const rows = champion(engine);
      const broken: unknown[] = [];
      let promotedAt = -1;
      let chunks = 0;
      await feed(engine, stream.views, stream.count, 256, {
        afterChunk: () => {
          broken.push(...lawsHold(engine.stats()));
          if (++chunks === 20) {
            const info = engine.promoteChallenger();
            expect(info.version).toMatch(/^decline-all@/);
            promotedAt = rows.length;
          }
        },
      });
      await engine.drain();
      const s = engine.stats();
      expect(promotedAt).toBeGreaterThan(0);
      expect(broken).toEqual([]);
      expect(rows.length).toBe(s.counts.written);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
      expect(checkQuiescent(s, engine.scorer.counts())).toEqual([]);
      // One switch in ingest order: APPROVE by the old champion, then DECLINE by the promoted bundle, never back.
      rows.sort((a, b) => a.seq - b.seq);
      const first = rows.findIndex((r) => r.decision === DECLINE);
      expect(first).toBeGreaterThan(0);
      expect(rows.slice(0, first).every((r) => r.decision === APPROVE && r.version.startsWith('approve-all@'))).toBe(true);
      expect(rows.slice(first).every((r) => r.decision === DECLINE && r.version.startsWith('decline-all@'))).toBe(true);
      // The old champion is dropped: no challenger is live after a promotion.
      expect(s.challenger).toBeNull();
      expect(() => engine.promoteChallenger()).toThrow(/no challenger/);
    });
  }, 60_000);

  it('loads, replaces and removes a challenger at runtime; a bad bundle is refused naming the field', async () => {
    await withEngine({ workers: 1, rules: QUIET_RULES, bundle: APPROVE_ALL }, async (engine) => {
      expect(engine.stats().challenger).toBeNull();
      expect(() => engine.setChallenger('{"format":"fraudstream-bundle/1"}')).toThrow(/bundle\.featureSet/);
      expect(engine.stats().challenger).toBeNull();
      engine.setChallenger(DECLINE_ALL);
      const tx = (i: number) => ({ id: `t${i}`, cardId: 'c1', terminalId: 't1', amount: 10, timestamp: 1522576800000 + i });
      engine.submit(tx(1));
      await engine.drain();
      expect(engine.stats().challenger?.counts).toMatchObject({ scored: 1, declined: 1 });
      // Replacing starts the new challenger's counts (and state) from zero.
      engine.setChallenger(APPROVE_ALL);
      engine.submit(tx(2));
      await engine.drain();
      expect(engine.stats().challenger).toMatchObject({ name: 'approve-all', counts: { scored: 1, approved: 1, declined: 0 } });
      expect(engine.removeChallenger()).toBe(true);
      engine.submit(tx(3));
      await engine.drain();
      expect(engine.stats().challenger).toBeNull();
      expect(engine.removeChallenger()).toBe(false);
      expect(engine.stats().counts.scored).toBe(3);
    });
  });

  it('the shadow laws fail when a shadow decision is lost or counted twice', () => {
    const counts = { consumed: 10, scored: 8, invalid: 1, labels: 0, failed: 0, inFlight: 1, championDecided: 9, approved: 5, review: 2, declined: 2 };
    const base = {
      counts: { written: 0, consumed: 0, scored: 0, invalid: 0, fallback: 0, inFlight: 0, approved: 0, review: 0, declined: 0, labels: { written: 0, consumed: 0, applied: 0, failed: 0, inFlight: 0 } },
      queue: { depth: 0 },
    };
    expect(checkLaws({ ...base, challenger: { counts } })).toEqual([]);
    expect(checkLaws({ ...base, challenger: { counts: { ...counts, scored: 7 } } }).map((v) => v.law)).toEqual(['shadow', 'shadow-pairs', 'shadow-outcomes']);
    expect(checkLaws({ ...base, challenger: { counts: { ...counts, championDecided: 10 } } }).map((v) => v.law)).toEqual(['shadow-pairs']);
    expect(checkLaws({ ...base, challenger: { counts: { ...counts, declined: 3 } } }).map((v) => v.law)).toEqual(['shadow-outcomes']);
  });

  it('average precision groups ties and matches hand-computed values', () => {
    // Ranked 0.9 (fraud), 0.8 (legit), 0.7 (fraud): AP = 0.5 * 1 + 0.5 * 2/3.
    expect(averagePrecision(new Float32Array([0.8, 0.9, 0.7]), new Uint8Array([0, 1, 1]), 3)).toBeCloseTo(0.5 + 1 / 3, 12);
    // All tied: AP is the fraud rate.
    expect(averagePrecision(new Float32Array([0.5, 0.5, 0.5, 0.5]), new Uint8Array([1, 0, 0, 0]), 4)).toBeCloseTo(0.25, 12);
    expect(averagePrecision(new Float32Array([0.5]), new Uint8Array([0]), 1)).toBe(0);
  });

  it('average precision equals a plain comparator-sort reference on random scores with many ties', () => {
    const reference = (scores: Float32Array, fraud: Uint8Array): number => {
      const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
      const positives = fraud.reduce((a, b) => a + b, 0);
      let tp = 0;
      let ap = 0;
      for (let k = 0; k < order.length; ) {
        let j = k;
        let group = 0;
        while (j < order.length && scores[order[j]!] === scores[order[k]!]) group += fraud[order[j++]!]!;
        tp += group;
        ap += (group / positives) * (tp / j);
        k = j;
      }
      return ap;
    };
    let seed = 1;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(rnd() * 500);
      const scores = Float32Array.from({ length: n }, () => (round % 2 === 0 ? Math.floor(rnd() * 10) / 10 : rnd()));
      const fraud = Uint8Array.from({ length: n }, (_, i) => (i === 0 || rnd() < 0.2 ? 1 : 0));
      expect(averagePrecision(scores, fraud, n)).toBeCloseTo(reference(scores, fraud), 12);
    }
  });

  it('a challenger refused at start names the option and the field', async () => {
    await expect(withEngine({ workers: 1, challenger: '{"format":"fraudstream-bundle/1"}' }, async () => undefined)).rejects.toThrow(
      /^options\.challenger: bundle\.featureSet/,
    );
  });
});

/** A 10-day stream through an engine with a challenger equal to the champion, under a test-only fault. */
async function runWithFault(faults: Faults): Promise<{ end: EngineStats; snapshots: EngineStats[] }> {
  const stream = await simulatedStream(10);
  process.env[FAULTS_ENV] = JSON.stringify(faults);
  return withEngine({ workers: 2, maxBatch: 64, capacity: 4096, lingerMs: 0, bundle: SAME, challenger: SAME }, async (engine) => {
    const snapshots: EngineStats[] = [];
    await feed(engine, stream.views, stream.count, 200, { afterChunk: () => void snapshots.push(engine.stats()) });
    await engine.drain();
    return { end: engine.stats(), snapshots };
  });
}

describe('champion/challenger under test-only faults (real workers)', () => {
  afterEach(() => {
    delete process.env[FAULTS_ENV];
  });

  it('a champion batch that fails is still scored in shadow; the shadow laws hold', async () => {
    const { end, snapshots } = await runWithFault({ failBatchTicket: 3 });
    const ch = end.challenger!;
    expect(end.counts.fallback).toBeGreaterThan(0);
    expect(ch.counts.failed).toBe(0);
    expect(ch.counts.scored + ch.counts.invalid).toBe(end.counts.scored + end.counts.invalid + end.counts.fallback);
    expect(snapshots.flatMap((s) => checkLaws(s))).toEqual([]);
    expect(checkLaws(end)).toEqual([]);
  }, 60_000);

  it('a worker that dies after the champion scored: the shadow ticket is given up and counted failed, the stream goes on', async () => {
    const { end } = await runWithFault({ killWorkerTicket: 4, killWorkerWhen: 'after' });
    const ch = end.challenger!;
    expect(end.workers.deaths).toBe(1);
    expect(ch.counts.failed).toBe(end.counts.fallback);
    expect(ch.counts.failed).toBeGreaterThan(0);
    expect(ch.counts.scored + ch.counts.invalid).toBe(end.counts.scored + end.counts.invalid);
    expect(checkLaws(end)).toEqual([]);
  }, 60_000);

  it('a record dropped before the scorers breaks the shadow law too', async () => {
    const { end } = await runWithFault({ dropRecordSeq: 300 });
    const broken = checkLaws(end).map((v) => v.law);
    expect(broken).toContain('decisions');
    expect(broken).toContain('shadow');
  }, 60_000);
});
