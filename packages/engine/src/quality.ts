import { DecisionCode } from '@fraudstream/schema';

/** Bins of the score histograms: bin i holds scores in [i / SCORE_BINS, (i + 1) / SCORE_BINS). */
export const SCORE_BINS = 50;

/**
 * Live model quality from the labels received so far: an alert (REVIEW or DECLINE) is a positive prediction.
 * `scores` (additive to the ARCHITECTURE.md contract) holds score histograms of `SCORE_BINS` bins: of the
 * labelled fraud and labelled legitimate transactions (the score they were decided with), and of every decision
 * since start. From `fraud`/`legit` a client computes precision and recall at any candidate threshold.
 */
export interface QualitySummary {
  labelled: number;
  precision: number;
  recall: number;
  fpr: number;
  scores: { bins: number; fraud: number[]; legit: number[]; all: number[] };
}

const WINDOW_BITS = 22;
/** Stored score code meaning "no score" (a fallback decision after a scorer failure). */
const NO_SCORE = 255;

/** The histogram bin of a score in 0..1. */
function binOf(score: number): number {
  const b = Math.floor(score * SCORE_BINS);
  return b < 0 ? 0 : b >= SCORE_BINS ? SCORE_BINS - 1 : b;
}

/**
 * Joins late labels with the decisions made earlier. Keeps the decision and the score bin of each of the last 2^22
 * transactions by ingest sequence number (8 MiB), so a label arriving up to ~4M transactions after its transaction
 * still counts; older labels update the scorer's state but not these figures (counted as `unmatched`).
 */
export class QualityTracker {
  private readonly decisions = new Uint8Array(1 << WINDOW_BITS);
  private readonly scoreBins = new Uint8Array(1 << WINDOW_BITS);
  private readonly fraudHist = new Float64Array(SCORE_BINS);
  private readonly legitHist = new Float64Array(SCORE_BINS);
  private readonly allHist = new Float64Array(SCORE_BINS);
  private readonly mask = (1 << WINDOW_BITS) - 1;
  private newest = -1;
  tp = 0;
  fp = 0;
  tn = 0;
  fn = 0;
  unmatched = 0;

  /** Remembers the decision (and score, NaN when there is none) of the transaction with ingest sequence `seq`. */
  decided(seq: number, decisionCode: number, score = Number.NaN): void {
    const at = seq & this.mask;
    this.decisions[at] = decisionCode + 1;
    if (Number.isNaN(score)) {
      this.scoreBins[at] = NO_SCORE;
    } else {
      const bin = binOf(score);
      this.scoreBins[at] = bin;
      this.allHist[bin]!++;
    }
    if (seq > this.newest) this.newest = seq;
  }

  /** Applies a label for the transaction with ingest sequence `refSeq` (NaN when unknown). */
  label(refSeq: number, fraud: boolean): void {
    if (!Number.isInteger(refSeq) || refSeq < 0 || refSeq > this.newest || this.newest - refSeq > this.mask) {
      this.unmatched++;
      return;
    }
    const at = refSeq & this.mask;
    const code = this.decisions[at] ?? 0;
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
    const bin = this.scoreBins[at] ?? NO_SCORE;
    if (bin !== NO_SCORE) (fraud ? this.fraudHist : this.legitHist)[bin]!++;
  }

  summary(): QualitySummary {
    const { tp, fp, tn, fn } = this;
    const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
    return {
      labelled: tp + fp + tn + fn,
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      fpr: ratio(fp, fp + tn),
      scores: {
        bins: SCORE_BINS,
        fraud: Array.from(this.fraudHist),
        legit: Array.from(this.legitHist),
        all: Array.from(this.allHist),
      },
    };
  }
}
