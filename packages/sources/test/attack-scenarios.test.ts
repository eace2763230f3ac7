import { afterEach, describe, expect, it } from 'vitest';
import {
  ATTACK_ID_BASE,
  buildAttack,
  LiveGenerator,
  MAX_PENDING_INJECTED,
  Simulator,
  type AttackKind,
} from '../src/index.js';
import { ArraySink } from './helpers/array-sink.js';
import { waitFor } from './helpers/wait.js';

const SMALL = { customers: 200, terminals: 400, seed: 3 };
const running: LiveGenerator[] = [];
afterEach(() => {
  for (const g of running.splice(0)) g.stop();
});

describe('buildAttack', () => {
  const population = new Simulator(SMALL, Infinity).population;

  it('card-testing: 36 tiny probes on one card, then 2 cash-outs above 6,000, 0.5 s apart', () => {
    const attack = buildAttack('card-testing', population);
    expect(attack).toHaveLength(38);
    expect(new Set(attack.map((t) => t.customer)).size).toBe(1);
    expect(attack.slice(0, 36).every((t) => t.amount >= 0.5 && t.amount <= 3)).toBe(true);
    expect(attack.slice(36).every((t) => t.amount >= 6_000)).toBe(true);
    expect(attack.map((t) => t.offsetMs)).toEqual(attack.map((_t, i) => i * 500));
  });

  it('compromised-terminal: 30 large charges at one terminal', () => {
    const attack = buildAttack('compromised-terminal', population);
    expect(attack).toHaveLength(30);
    expect(new Set(attack.map((t) => t.terminal)).size).toBe(1);
    expect(attack.every((t) => t.amount >= 6_000 && t.amount <= 10_000)).toBe(true);
    expect(attack.every((t) => t.customer >= 0 && t.customer < population.customers)).toBe(true);
  });

  it('refuses an unknown kind', () => {
    expect(() => buildAttack('heist' as AttackKind, population)).toThrow(TypeError);
  });
});

describe('LiveGenerator.inject', () => {
  it('writes the attack through the ring with fraud labels, ahead of pacing, and counts it', async () => {
    const sink = new ArraySink({ capacity: 4096 });
    const g = new LiveGenerator({ ...SMALL, sink, tps: 2_000, labelDelayDays: 0 });
    running.push(g);
    g.start();
    await waitFor(() => g.stats().generated > 20);
    expect(g.inject('compromised-terminal')).toBe(30);
    await waitFor(() => g.stats().injected === 30);
    const v = () => sink.collected.views;
    const scan = (): { attackSeqs: number[]; fraudLabelFor: Set<number> } => {
      const attackSeqs: number[] = [];
      const fraudLabelFor = new Set<number>();
      for (let seq = 0; seq < sink.collected.count; seq++) {
        const r = v().decode(seq);
        if (r.label) {
          if (r.fraud) fraudLabelFor.add(r.txNum);
        } else if (r.txNum >= ATTACK_ID_BASE) {
          attackSeqs.push(seq);
        }
      }
      return { attackSeqs, fraudLabelFor };
    };
    // Labels with no delay follow once later simulated transactions pass the attack's event times.
    await waitFor(() => {
      const { attackSeqs, fraudLabelFor } = scan();
      return attackSeqs.length === 30 && attackSeqs.every((seq) => fraudLabelFor.has(seq));
    }, 30_000);
    g.stop();
    expect(g.stats().pendingInjected).toBe(0);
    const { attackSeqs } = scan();
    for (const seq of attackSeqs) expect(v().amount(seq)).toBeGreaterThanOrEqual(6_000);
    expect(attackSeqs).toHaveLength(30);
    expect(new Set(attackSeqs.map((seq) => v().decode(seq).terminalKey)).size).toBe(1);
    // Ids are consecutive from ATTACK_ID_BASE.
    expect(attackSeqs.map((seq) => v().txNum(seq))).toEqual(attackSeqs.map((_s, i) => ATTACK_ID_BASE + i));
  }, 40_000);

  it('refuses an unknown kind (TypeError) and more than MAX_PENDING_INJECTED waiting (RangeError)', () => {
    const g = new LiveGenerator({ ...SMALL, sink: new ArraySink({ capacity: 64 }), tps: 10 });
    expect(() => g.inject('heist' as AttackKind)).toThrow(TypeError);
    let queued = 0;
    expect(() => {
      for (;;) queued += g.inject('compromised-terminal');
    }).toThrow(RangeError);
    expect(queued).toBeLessThanOrEqual(MAX_PENDING_INJECTED);
    expect(queued).toBeGreaterThan(MAX_PENDING_INJECTED - 30);
    expect(g.stats().pendingInjected).toBe(queued);
    expect(g.stats().injected).toBe(0);
  });
});
