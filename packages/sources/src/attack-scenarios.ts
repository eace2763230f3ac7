import { packCurrency, type RecordViews } from '@fraudstream/schema';
import type { Population } from './simulator/population.js';

/** Attacks a viewer can inject into the live generator (`LiveGenerator.inject`). */
export const ATTACK_KINDS = ['card-testing', 'compromised-terminal'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

/** One attack transaction: indices into the generator's population, an amount and an event-time offset. */
export interface AttackTransaction {
  customer: number;
  terminal: number;
  amount: number;
  /** Event time after the generator's current simulated time, ms. */
  offsetMs: number;
}

/** Small probes of a card-testing burst (above the scorer's 1-day velocity rule of 30 a card). */
export const CARD_TESTING_PROBES = 36;
/** Large purchases that end a card-testing burst once the card is known to work. */
export const CARD_TESTING_CASHOUTS = 2;
/** Cards charged at a compromised terminal. */
export const COMPROMISED_TERMINAL_CARDS = 30;
/** Smallest amount of a cash-out or compromised-terminal charge: above the scorer's HIGH_AMOUNT rule (5,000). */
export const ATTACK_HIGH_AMOUNT = 6_000;

const EUR = packCurrency('EUR');
/** Attack transaction ids start here (below 2^53), far above any simulated id. */
export const ATTACK_ID_BASE = 9_000_000_000_000_000;

/**
 * Builds an attack on the population. `random` returns numbers in [0, 1) (default `Math.random`).
 * - `card-testing`: one card is probed with tiny amounts at one terminal every 0.5 s of event time, then cashed out
 *   with large purchases; the velocity rule flags the probes past 30 a day and the amount rule the cash-outs.
 * - `compromised-terminal`: one terminal charges many different cards large amounts within a few minutes.
 */
export function buildAttack(kind: AttackKind, population: Population, random: () => number = Math.random): AttackTransaction[] {
  const pick = (n: number): number => Math.min(n - 1, Math.floor(random() * n));
  const out: AttackTransaction[] = [];
  if (kind === 'card-testing') {
    const customer = pick(population.customers);
    const terminal = pick(population.terminals);
    for (let i = 0; i < CARD_TESTING_PROBES; i++) {
      out.push({ customer, terminal, amount: Math.round((0.5 + random() * 2.5) * 100) / 100, offsetMs: i * 500 });
    }
    for (let i = 0; i < CARD_TESTING_CASHOUTS; i++) {
      const amount = Math.round((ATTACK_HIGH_AMOUNT + random() * 3_000) * 100) / 100;
      out.push({ customer, terminal: pick(population.terminals), amount, offsetMs: (CARD_TESTING_PROBES + i) * 500 });
    }
  } else if (kind === 'compromised-terminal') {
    const terminal = pick(population.terminals);
    for (let i = 0; i < COMPROMISED_TERMINAL_CARDS; i++) {
      const amount = Math.round((ATTACK_HIGH_AMOUNT + random() * 4_000) * 100) / 100;
      out.push({ customer: pick(population.customers), terminal, amount, offsetMs: i * 5_000 });
    }
  } else {
    throw new TypeError(`kind must be one of ${ATTACK_KINDS.join(', ')}`);
  }
  return out;
}

/** Writes one attack transaction as a record into `slot` (same layout as the generator's own records). */
export function writeAttackRecord(
  views: RecordViews,
  slot: number,
  id: number,
  tsMs: number,
  tx: AttackTransaction,
  population: Population,
  ingestMs: number,
): void {
  const c = tx.customer * 2;
  const t = tx.terminal * 2;
  views.setHeader(slot, id, tsMs, tx.amount, ingestMs);
  views.setKeys(slot, population.cardKeys[c]!, population.cardKeys[c + 1]!, population.terminalKeys[t]!, population.terminalKeys[t + 1]!);
  views.setTerminalFields(slot, 0, 0, EUR, Number.NaN, Number.NaN);
}
