import { NO_REASON, ResultStatus, type RecordViews, type ResultViews } from '@fraudstream/schema';
import type { CardRefHasher } from './card-ref.js';
import type { ColumnRun } from './block-format.js';
import type { DecisionLog } from './decision-log.js';

/** How the decisions of an engine batch are named: the scorer's rule and feature names, and the model version. */
export interface BatchNaming {
  ruleNames: readonly string[];
  featureNames: readonly string[];
  modelVersion: string;
  /**
   * The version and live rule names of the scorer generation that made a decision (the engine's `generationInfo`
   * of a result's `generation`). With it each decision carries the version of the model or bundle that made it and a
   * live rule is named; without it every decision carries `modelVersion` and a live rule is `DYNAMIC_RULE`.
   */
  generation?: (generation: number) => { version: string; rules: readonly string[] };
}

/**
 * A batch's decisions as columns its scoring worker filled (the engine's `DecidedBatch.staged`): transactions only,
 * at indices `start .. start + count - 1`, each flagged when it must be made the slow way (`slotOf` gives its slot).
 */
export interface StagedBatch extends ColumnRun {
  decision: Uint8Array;
  flag: Uint8Array;
  slotOf: Int32Array;
  start: number;
  count: number;
  generation: number;
}

/** What {@link appendDecidedBatch} reports: decisions appended and, of them, alerts (REVIEW or DECLINE). */
export interface AppendedBatch {
  appended: number;
  alerts: number;
}

/** Reason of a decision made by the fallback after a scorer failure (the engine's `SCORER_ERROR`). */
export const FALLBACK_REASON = 'SCORER_ERROR';
/** Reason of a decision the scorer made for a record that failed its own checks (result status Invalid). */
export const INVALID_REASON = 'INVALID_RECORD';
const EMPTY: readonly string[] = [];
const FALLBACK_REASONS: readonly string[] = [FALLBACK_REASON];
const INVALID_REASONS: readonly string[] = [INVALID_REASON];
const ref = new Uint32Array(2);

/**
 * Appends the decided transactions of one engine batch to the log, from the shared record and result regions
 * (slots `slot` .. `slot + count - 1`, in ingest order), allocating nothing for an APPROVE. Label records are
 * skipped. Integer transaction ids go in as numbers; others come from `stringId(slot)` (the engine keeps them beside
 * the ring). Card references come from each record's 64-bit card key. A decision made by the fallback (result
 * status Fallback: the scorer failed on the batch) is stored with score NaN and the reason `SCORER_ERROR`, one for a
 * record the scorer found invalid (status Invalid) with score NaN and `INVALID_RECORD`; others are
 * named like the engine's alert events: the rules that fired, then up to 3 top features.
 * `onAlert(slot, refHi, refLo, reasons, score)` is called for each REVIEW or DECLINE, to queue its case (opened off
 * the hot path, in batches).
 * With `staged` (the columns the batch's worker filled) the runs of plain APPROVE decisions are copied in bulk and
 * only flagged rows read the records; the log's contents are the same either way.
 */
export function appendDecidedBatch(
  log: DecisionLog,
  hasher: CardRefHasher,
  records: RecordViews,
  results: ResultViews,
  slot: number,
  count: number,
  naming: BatchNaming,
  stringId: (slot: number) => string | undefined,
  onAlert?: (slot: number, refHi: number, refLo: number, reasons: readonly string[], score: number) => void,
  staged?: StagedBatch,
): AppendedBatch {
  const { ruleNames, featureNames } = naming;
  const dynamicBit = ruleNames.indexOf('DYNAMIC_RULE');
  let appended = 0;
  let alerts = 0;
  // The generation's names, looked up once per change of generation (a batch has one, but for a swap between batches).
  let lastGeneration = -1;
  let modelVersion = naming.modelVersion;
  let liveRules: readonly string[] = EMPTY;
  const useGeneration = (g: number): void => {
    if (naming.generation === undefined || g === lastGeneration) return;
    const info = naming.generation(g);
    lastGeneration = g;
    modelVersion = info.version;
    liveRules = info.rules;
  };
  /** One decision the slow way, from the record and result at slot `s`; the card reference is in `ref`. */
  const one = (s: number): void => {
    useGeneration(results.generation(s));
    const code = results.decisionCode(s);
    const status = results.status(s);
    let reasons = EMPTY;
    let score = results.score(s);
    if (status === ResultStatus.Fallback) {
      reasons = FALLBACK_REASONS;
      score = Number.NaN;
    } else if (status === ResultStatus.Invalid) {
      reasons = INVALID_REASONS;
      score = Number.NaN;
    } else if (code !== 0) {
      const names: string[] = [];
      const fired = results.rules(s);
      for (let bit = 0; bit < ruleNames.length; bit++) {
        if ((fired & (1 << bit)) === 0) continue;
        const live = bit === dynamicBit ? liveRules[results.rule(s)] : undefined;
        names.push(live ?? (ruleNames[bit] as string));
      }
      for (let k = 0; k < 3; k++) {
        const f = results.reason(s, k);
        if (f !== NO_REASON && f < featureNames.length) names.push(featureNames[f] as string);
      }
      reasons = names;
    }
    const txNum = records.txNum(s);
    const id = Number.isNaN(txNum) ? (stringId(s) ?? '') : txNum;
    log.add(id, records.timestampMs(s), score, code, reasons, modelVersion, ref[0] ?? 0, ref[1] ?? 0);
    appended++;
    if (code !== 0) {
      alerts++;
      onAlert?.(s, ref[0] ?? 0, ref[1] ?? 0, reasons, score);
    }
  };
  if (staged !== undefined) {
    // The worker laid the batch's transactions out as columns: unflagged runs are copied whole, flagged rows
    // (alerts, string ids, invalid records) are made the slow way with the worker's card reference.
    useGeneration(staged.generation);
    const base = staged.start;
    const flags = staged.flag.subarray(base, base + staged.count);
    let i = 0;
    while (i < staged.count) {
      let j = flags.indexOf(1, i);
      if (j < 0) j = staged.count;
      if (j > i) {
        log.addRun(staged, base + i, j - i, modelVersion);
        appended += j - i;
      }
      if (j === staged.count) break;
      const c = 2 * (base + j);
      ref[0] = staged.card[c] ?? 0;
      ref[1] = staged.card[c + 1] ?? 0;
      one(staged.slotOf[base + j] ?? 0);
      i = j + 1;
    }
    return { appended, alerts };
  }
  for (let s = slot; s < slot + count; s++) {
    if (records.isLabel(s)) continue;
    hasher.refOfKeyInto(records.cardKeyLo(s), records.cardKeyHi(s), ref, 0);
    one(s);
  }
  return { appended, alerts };
}
