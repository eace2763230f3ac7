/**
 * The conservation laws between the independent counts of the stats (`counts`, `queue`). Every count is kept by
 * the stage that did the work: `written` by the sources, `consumed` and `inFlight` by the dispatcher, `scored`,
 * `invalid` and `labels.applied` by the Rust scorer (per batch), `fallback` by the fallback writer, the outcomes by
 * the accountant from the result codes, `queue.depth` from the ring's own published counter. No count is derived
 * from another, so a record lost or counted twice anywhere breaks at least one law.
 */

import type { ShadowCounts } from './challenger.js';

/** The counts the laws relate (a subset of the engine's and the system's stats). */
export interface LawCounts {
  counts: {
    written: number;
    consumed: number;
    scored: number;
    invalid: number;
    fallback: number;
    inFlight: number;
    approved: number;
    review: number;
    declined: number;
    labels: { written: number; consumed: number; applied: number; failed: number; inFlight: number };
  };
  /** Records published in the ring and not yet taken by the engine. */
  queue: { depth: number };
  /** The live challenger's own counts (challenger.ts), when one is live. */
  challenger?: { counts: ShadowCounts } | null;
}

/** One broken law: its name, the equation, and both sides. */
export interface LawViolation {
  law: string;
  equation: string;
  left: number;
  right: number;
}

/**
 * Checks the laws on one snapshot (all counts read in the same synchronous call, on the thread that keeps them);
 * returns the broken ones, empty when all hold:
 * - `ring`: written + labels.written == consumed + labels.consumed + queue.depth
 * - `decisions`: consumed == scored + invalid + fallback + inFlight
 * - `outcomes`: approved + review + declined == scored + invalid + fallback
 * - `labels`: labels.consumed == labels.applied + labels.failed + labels.inFlight
 * - with a live challenger, counted since it went live:
 *   - `shadow`: shadow.consumed == shadow.scored + shadow.invalid + shadow.failed + shadow.inFlight
 *   - `shadow-pairs`: shadow.championDecided == shadow.scored + shadow.invalid + shadow.failed (each finished shadow
 *     batch decided as many transactions in the champion as in the challenger, each side counted by its own scorer)
 *   - `shadow-outcomes`: shadow.approved + shadow.review + shadow.declined == shadow.scored + shadow.invalid
 */
export function checkLaws(s: LawCounts): LawViolation[] {
  const c = s.counts;
  const l = c.labels;
  const out: LawViolation[] = [];
  const law = (name: string, equation: string, left: number, right: number): void => {
    if (left !== right) out.push({ law: name, equation, left, right });
  };
  law('ring', 'written + labels.written == consumed + labels.consumed + queue.depth', c.written + l.written, c.consumed + l.consumed + s.queue.depth);
  law('decisions', 'consumed == scored + invalid + fallback + inFlight', c.consumed, c.scored + c.invalid + c.fallback + c.inFlight);
  law('outcomes', 'approved + review + declined == scored + invalid + fallback', c.approved + c.review + c.declined, c.scored + c.invalid + c.fallback);
  law('labels', 'labels.consumed == labels.applied + labels.failed + labels.inFlight', l.consumed, l.applied + l.failed + l.inFlight);
  const sh = s.challenger?.counts;
  if (sh !== undefined) {
    law('shadow', 'shadow.consumed == shadow.scored + shadow.invalid + shadow.failed + shadow.inFlight', sh.consumed, sh.scored + sh.invalid + sh.failed + sh.inFlight);
    law('shadow-pairs', 'shadow.championDecided == shadow.scored + shadow.invalid + shadow.failed', sh.championDecided, sh.scored + sh.invalid + sh.failed);
    law('shadow-outcomes', 'shadow.approved + shadow.review + shadow.declined == shadow.scored + shadow.invalid', sh.approved + sh.review + sh.declined, sh.scored + sh.invalid);
  }
  return out;
}

/** Counts the scorer keeps itself over its whole life (cumulative, in Rust). */
export interface ScorerTotals {
  scored: number;
  labels: number;
  invalid: number;
}

/**
 * When nothing is in flight: the scorer's own cumulative counts must equal the per-batch counts the engine summed
 * (a batch report lost or altered between the addon and the engine breaks it). Returns the broken ones.
 */
export function checkQuiescent(s: LawCounts, scorer: ScorerTotals): LawViolation[] {
  const out: LawViolation[] = [];
  const c = s.counts;
  if (c.inFlight !== 0 || c.labels.inFlight !== 0 || s.queue.depth !== 0) {
    out.push({ law: 'quiescent', equation: 'inFlight + labels.inFlight + queue.depth == 0', left: c.inFlight + c.labels.inFlight + s.queue.depth, right: 0 });
  }
  if (scorer.scored !== c.scored) out.push({ law: 'scorer-scored', equation: 'scorer.scored == scored', left: scorer.scored, right: c.scored });
  if (scorer.invalid !== c.invalid) out.push({ law: 'scorer-invalid', equation: 'scorer.invalid == invalid', left: scorer.invalid, right: c.invalid });
  if (scorer.labels !== c.labels.applied) {
    out.push({ law: 'scorer-labels', equation: 'scorer.labels == labels.applied', left: scorer.labels, right: c.labels.applied });
  }
  return out;
}

/** A one-line description of broken laws, for errors and logs. */
export function describeViolations(v: readonly LawViolation[]): string {
  return v.map((x) => `${x.law}: ${x.equation} broken (${x.left} != ${x.right})`).join('; ');
}
