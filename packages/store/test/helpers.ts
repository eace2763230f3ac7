import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { CardRefHasher, type DecisionInput } from '../src/index.js';

const dirs: string[] = [];

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'fraudstream-store-'));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fixed test secret (32 bytes). */
export const SECRET = Buffer.alloc(32, 0x5a);
/** The card-reference hasher of {@link SECRET}. */
export const hasher = new CardRefHasher(SECRET);

const REASONS = ['AMOUNT_HIGH', 'CARD_VELOCITY_1D', 'terminal_risk_7d', 'amount', 'NEW_COUNTRY'];

/** Deterministic decisions: every 7th REVIEW, every 13th DECLINE, cards card-0..card-(cards-1), 1 s apart. */
export function makeDecisions(n: number, from = 0, cards = 10): DecisionInput[] {
  const out: DecisionInput[] = [];
  for (let k = from; k < from + n; k++) {
    const decision = k % 13 === 0 ? 'DECLINE' : k % 7 === 0 ? 'REVIEW' : 'APPROVE';
    out.push({
      transactionId: `tx-${k}`,
      eventTimeMs: Date.UTC(2018, 7, 1) + k * 1000,
      score: decision === 'APPROVE' ? (k % 50) / 100 : 0.5 + (k % 49) / 100,
      decision,
      reasons: decision === 'APPROVE' ? [] : REASONS.slice(0, 1 + (k % REASONS.length)),
      modelVersion: k < from + n / 2 ? 'model-a' : 'model-b',
      cardRef: hasher.refOf(`card-${k % cards}`),
    });
  }
  return out;
}
