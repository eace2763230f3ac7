import { DecisionCode } from '@fraudstream/schema';

/** Live model quality from the labels received so far: an alert (REVIEW or DECLINE) is a positive prediction. */
export interface QualitySummary {
  labelled: number;
  precision: number;
  recall: number;
  fpr: number;
}

const WINDOW_BITS = 22;

/**
 * Joins late labels with the decisions made earlier. Keeps the decision of each of the last 2^22 transactions by
 * ingest sequence number (4 MiB), so a label arriving up to ~4M transactions after its transaction still counts;
 * older labels update the scorer's state but not these figures (counted as `unmatched`).
 */
export class QualityTracker {
  private readonly decisions = new Uint8Array(1 << WINDOW_BITS);
  private readonly mask = (1 << WINDOW_BITS) - 1;
  private newest = -1;
  tp = 0;
  fp = 0;
  tn = 0;
  fn = 0;
  unmatched = 0;

  /** Remembers the decision of the transaction with ingest sequence `seq`. */
  decided(seq: number, decisionCode: number): void {
    this.decisions[seq & this.mask] = decisionCode + 1;
    if (seq > this.newest) this.newest = seq;
  }

  /** Applies a label for the transaction with ingest sequence `refSeq` (NaN when unknown). */
  label(refSeq: number, fraud: boolean): void {
    if (!Number.isInteger(refSeq) || refSeq < 0 || refSeq > this.newest || this.newest - refSeq > this.mask) {
      this.unmatched++;
      return;
    }
    const code = this.decisions[refSeq & this.mask] ?? 0;
    if (code === 0) {
      this.unmatched++;
      return;
    }
    const alert = code - 1 !== DecisionCode.Approve;
    if (fraud) {
      if (alert) this.tp++;
      else this.fn++;
    } else if (alert) this.fp++;
    else this.tn++;
  }

  summary(): QualitySummary {
    const { tp, fp, tn, fn } = this;
    const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
    return { labelled: tp + fp + tn + fn, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), fpr: ratio(fp, fp + tn) };
  }
}
