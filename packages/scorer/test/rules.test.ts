import { describe, expect, it } from 'vitest';
import { RecordViews, type Transaction } from '@fraudstream/schema';
import {
  Scorer,
  checkBundle,
  checkRules,
  decodeReasons,
  featureNames,
  featureSet,
  ruleNames,
  sealBundle,
} from '../src/index.js';
import { T0, results } from './helpers.js';

const APPROVE = 0;
const REVIEW = 1;
const DECLINE = 2;

/** Transactions written by the schema codec (card and terminal ids hashed by TypeScript, as in production). */
function txs(list: Partial<Transaction>[]): RecordViews {
  const v = new RecordViews(new ArrayBuffer(list.length * 64), 0, list.length);
  list.forEach((t, i) => {
    v.writeTransaction(
      i,
      { id: String(i + 1), cardId: 'card-1', terminalId: 'T-1', amount: 10, currency: 'EUR', timestampMs: T0 + i * 60_000, ...t },
      0,
    );
  });
  return v;
}

const sample = txs([
  { amount: 20, channel: 'ONLINE', country: 'FR' },
  { amount: 6000, channel: 'ONLINE', country: 'FR' },
  { amount: 30, cardId: 'vip-card', mcc: 7995 },
  { amount: 40, cardId: 'stolen-card' },
  { amount: 50, terminalId: 'T-bad', country: 'DE' },
]);

function run(scorer: Scorer, ticket: number): { decisions: number[]; generations: number[]; reasons: string[][]; rules: string[] } {
  const out = results(sample.slots);
  scorer.scoreBatch(sample.u8, out.u8, 0, sample.slots, ticket);
  const rules = scorer.ruleStats().rules.map((r) => r.name);
  const slots = [...Array(sample.slots).keys()];
  return {
    decisions: slots.map((s) => out.decisionCode(s)),
    generations: slots.map((s) => out.generation(s)),
    reasons: slots.map((s) => decodeReasons(out.u8, s, rules).filter((r) => !featureNames.includes(r))),
    rules,
  };
}

const RULES = `
# rules on the live stream
list watched = ["DE", "KP"]
rule BIG_ONLINE decline: amount > 5000 and channel == "ONLINE"
rule WATCHED review: country in watched
rule TRIAL flag: amount < 35
allow card "vip-card"
block card "stolen-card"
block terminal "T-bad"
`;

describe('live rules', () => {
  it('decide, count hits in Rust, name the deciding rule and carry the generation', () => {
    const scorer = Scorer.open();
    try {
      const before = run(scorer, 0);
      expect(before.decisions).toEqual([APPROVE, REVIEW, APPROVE, APPROVE, APPROVE]); // HIGH_AMOUNT floors 6000
      const info = scorer.setRules(RULES);
      expect(info.generation).toBe(before.generations[0]! + 1);
      expect(info.rules.map((r) => [r.name, r.action, r.hits])).toEqual([
        ['BIG_ONLINE', 'decline', 0],
        ['WATCHED', 'review', 0],
        ['TRIAL', 'flag', 0],
      ]);
      expect(info.allow.cards).toBe(1);
      expect(info.block).toEqual({ cards: 1, terminals: 1, mccs: 0, countries: 0 });
      const after = run(scorer, 1);
      // Block lists beat everything; the card ids were hashed by TypeScript and matched by Rust.
      expect(after.decisions).toEqual([APPROVE, DECLINE, APPROVE, DECLINE, DECLINE]);
      expect(after.generations).toEqual(Array(5).fill(info.generation));
      expect(after.reasons).toEqual([[], ['HIGH_AMOUNT', 'BIG_ONLINE'], ['ALLOW_LIST'], ['BLOCK_LIST'], ['BLOCK_LIST', 'WATCHED']]);
      const stats = scorer.ruleStats();
      expect(stats.rules.map((r) => r.hits)).toEqual([1, 1, 2]);
      expect([stats.allowHits, stats.blockHits]).toEqual([1, 2]);
      expect(scorer.rulesText()).toBe(RULES);
      // Without the generation's names, a deciding live rule shows as DYNAMIC_RULE.
      expect(ruleNames).toContain('DYNAMIC_RULE');
    } finally {
      scorer.close();
    }
  });

  it('refuses a bad rules text naming the rule, line and column, and keeps the live set', () => {
    const scorer = Scorer.open();
    try {
      const live = scorer.setRules(RULES);
      expect(() => scorer.setRules('rule OK flag: amount > 1\nrule BAD review: amount > "x"')).toThrow(
        /rules: BAD at line 2, column 27: a string/,
      );
      expect(() => checkRules('rule A review: velocity > 3')).toThrow(/rules: A at line 1, column 16: unknown name 'velocity'/);
      expect(() => scorer.setRules(42 as unknown as string)).toThrow(TypeError);
      expect(scorer.ruleStats().generation).toBe(live.generation);
      expect(scorer.rulesText()).toBe(RULES);
      expect(checkRules(RULES).rules).toHaveLength(3);
    } finally {
      scorer.close();
    }
  });
});

describe('bundles', () => {
  const bundle = (extra: Record<string, unknown> = {}): string =>
    JSON.stringify({
      format: 'fraudstream-bundle/1',
      name: 'strict',
      featureSet,
      thresholds: { review: 0.5, decline: 0.9 },
      rules: 'rule EVERYTHING decline: amount >= 0',
      lists: { allow: { card: ['vip-card'] } },
      ...extra,
    });

  it('load as one artifact: version from the content hash, every decision carries its generation', () => {
    expect(featureSet).toMatch(new RegExp(`^fs${featureNames.length}-[0-9a-f]{8}$`));
    const sealed = sealBundle(bundle());
    const checked = checkBundle(sealed);
    expect(checked.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(checked.version).toBe(`strict@${checked.hash.slice(7, 19)}`);
    expect(checkBundle(bundle()).hash).toBe(checked.hash);
    const scorer = Scorer.open();
    try {
      const info = scorer.loadBundle(sealed);
      expect(info.rules).toEqual(['EVERYTHING']);
      const r = run(scorer, 0);
      expect(r.decisions).toEqual([DECLINE, DECLINE, APPROVE, DECLINE, DECLINE]);
      expect(r.generations).toEqual(Array(5).fill(info.generation));
      expect(scorer.ruleStats().version).toBe(info.version);
      // A tampered bundle is refused naming the field; the live one stays.
      expect(() => scorer.loadBundle(sealed.replace('amount >= 0', 'amount >= 1'))).toThrow(/bundle\.hash/);
      expect(() => scorer.loadBundle(bundle({ featureSet: 'fs3-00000000' }))).toThrow(/bundle\.featureSet/);
      expect(() => scorer.loadBundle(bundle({ thresholds: { review: 0.9, decline: 0.5 } }))).toThrow(/bundle\.thresholds/);
      expect(scorer.ruleStats().generation).toBe(info.generation);
    } finally {
      scorer.close();
    }
  });
});
