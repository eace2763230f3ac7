/** Precision, recall and false-positive rate of "alert when score >= threshold", from labelled score histograms. */
export interface TradeOff {
  precision: number;
  recall: number;
  fpr: number;
  /** Labelled transactions that would be alerts. */
  alerts: number;
}

/**
 * Computes the trade-off at `threshold` from histograms of the scores of labelled fraud and legitimate
 * transactions (`bins` equal bins over 0..1). Exact when the threshold is a bin boundary (a multiple of 1/bins);
 * otherwise the threshold's bin counts as alerting. Rules (which floor a decision at REVIEW) are not included.
 */
export function tradeOffAt(threshold: number, fraud: readonly number[], legit: readonly number[]): TradeOff {
  const bins = fraud.length;
  const first = Math.min(bins, Math.max(0, Math.floor(threshold * bins + 1e-9)));
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  for (let b = 0; b < bins; b++) {
    const f = fraud[b] ?? 0;
    const l = legit[b] ?? 0;
    if (b >= first) {
      tp += f;
      fp += l;
    } else {
      fn += f;
      tn += l;
    }
  }
  const ratio = (a: number, c: number): number => (c === 0 ? 0 : a / c);
  return { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), fpr: ratio(fp, fp + tn), alerts: tp + fp };
}
