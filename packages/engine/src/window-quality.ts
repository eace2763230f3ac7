/**
 * Live quality of the champion and the challenger side by side, from delayed labels, over a window of the most
 * recent labelled transactions that both scored. Both sides are measured on exactly the same transactions.
 */

/** One bundle's quality over the window: an alert (REVIEW or DECLINE) is a positive prediction. */
export interface WindowQuality {
  /** Labelled transactions in the window, and the frauds among them. */
  labelled: number;
  frauds: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  fpr: number;
  /** Average precision of the scores over the window (step-wise, ties grouped, as scikit-learn computes it); 0 without a fraud. */
  averagePrecision: number;
  /** Alerts among the window's labelled transactions. */
  alerts: number;
}

/** Both sides over the same window. */
export interface WindowComparison {
  /** Most labelled transactions the window holds. */
  window: number;
  champion: WindowQuality;
  challenger: WindowQuality;
  /** Labels whose transaction is not in the pairing memory (scored before the challenger, or too long ago). */
  unmatched: number;
}

const PAIR_BITS = 21;
const APPROVE = 0;

const keyBits = new DataView(new ArrayBuffer(4));

/**
 * Average precision of `scores` (0..1, higher = more suspicious) against `fraud` flags, ties grouped. Note: sorts
 * one Float64Array natively (score bits x 2 + fraud flag as the key), not an array with a comparator: ~10x faster,
 * as it runs on the main thread at every stats read.
 */
export function averagePrecision(scores: Float32Array, fraud: Uint8Array, n: number): number {
  const keys = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const f = fraud[i] ?? 0;
    positives += f;
    // A non-negative float's bit pattern orders like its value.
    keyBits.setFloat32(0, Math.max(0, scores[i] ?? 0));
    keys[i] = keyBits.getUint32(0) * 2 + f;
  }
  if (positives === 0) return 0;
  keys.sort();
  let tp = 0;
  let seen = 0;
  let ap = 0;
  // From the highest score down, one group of equal scores at a time.
  for (let k = n - 1; k >= 0; ) {
    const bits = Math.floor((keys[k] ?? 0) / 2);
    let groupTp = 0;
    let j = k;
    for (; j >= 0 && Math.floor((keys[j] ?? 0) / 2) === bits; j--) groupTp += (keys[j] ?? 0) % 2;
    tp += groupTp;
    seen += k - j;
    ap += (groupTp / positives) * (tp / seen);
    k = j;
  }
  return ap;
}

/**
 * Pairs each transaction's champion and challenger outcome by ingest sequence (the last 2^21 transactions, 28 MiB, allocated while a challenger is live),
 * and, when its label arrives, puts the pair into a ring of the last `window` labelled pairs. Figures are computed
 * from that ring on demand (a sort of `window` scores per side for the average precision).
 */
export class PairedQuality {
  private readonly mask = (1 << PAIR_BITS) - 1;
  private readonly champScore = new Float32Array(1 << PAIR_BITS);
  private readonly shadScore = new Float32Array(1 << PAIR_BITS);
  /** Decision code + 1 per side (0: nothing recorded), and the sequence number each place holds. */
  private readonly champCode = new Uint8Array(1 << PAIR_BITS);
  private readonly shadCode = new Uint8Array(1 << PAIR_BITS);
  /** `floor(seq / 2^PAIR_BITS) + 1` of the transaction each place holds (0: none). */
  private readonly epochAt = new Uint32Array(1 << PAIR_BITS);
  private readonly wChamp: Float32Array;
  private readonly wShad: Float32Array;
  private readonly wChampAlert: Uint8Array;
  private readonly wShadAlert: Uint8Array;
  private readonly wFraud: Uint8Array;
  private size = 0;
  private head = 0;
  unmatched = 0;

  constructor(readonly window = 20_000) {
    this.wChamp = new Float32Array(window);
    this.wShad = new Float32Array(window);
    this.wChampAlert = new Uint8Array(window);
    this.wShadAlert = new Uint8Array(window);
    this.wFraud = new Uint8Array(window);
  }

  /** Records both outcomes of the transaction with ingest sequence `seq` (scores 0..1, decision codes). */
  decided(seq: number, champScore: number, champCode: number, shadScore: number, shadCode: number): void {
    const at = seq & this.mask;
    this.epochAt[at] = Math.floor(seq / (1 << PAIR_BITS)) + 1;
    this.champScore[at] = champScore;
    this.shadScore[at] = shadScore;
    this.champCode[at] = champCode + 1;
    this.shadCode[at] = shadCode + 1;
  }

  /** A label for the transaction with ingest sequence `refSeq`: its pair, if remembered, enters the window. */
  label(refSeq: number, fraud: boolean): void {
    const at = Number.isInteger(refSeq) && refSeq >= 0 ? refSeq & this.mask : -1;
    if (at < 0 || this.epochAt[at] !== Math.floor(refSeq / (1 << PAIR_BITS)) + 1 || this.champCode[at] === 0) {
      this.unmatched++;
      return;
    }
    const w = this.head;
    this.wChamp[w] = this.champScore[at] ?? 0;
    this.wShad[w] = this.shadScore[at] ?? 0;
    this.wChampAlert[w] = (this.champCode[at] ?? 1) - 1 !== APPROVE ? 1 : 0;
    this.wShadAlert[w] = (this.shadCode[at] ?? 1) - 1 !== APPROVE ? 1 : 0;
    this.wFraud[w] = fraud ? 1 : 0;
    // A transaction is labelled once; a second label for it would count it twice.
    this.champCode[at] = 0;
    this.head = (w + 1) % this.window;
    if (this.size < this.window) this.size++;
  }

  /** Both sides' figures over the window now. */
  summary(): WindowComparison {
    return {
      window: this.window,
      champion: this.side(this.wChamp, this.wChampAlert),
      challenger: this.side(this.wShad, this.wShadAlert),
      unmatched: this.unmatched,
    };
  }

  private side(scores: Float32Array, alerts: Uint8Array): WindowQuality {
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const f = this.wFraud[i] === 1;
      if (alerts[i] === 1) {
        if (f) tp++;
        else fp++;
      } else if (f) fn++;
      else tn++;
    }
    const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
    return {
      labelled: n,
      frauds: tp + fn,
      tp,
      fp,
      tn,
      fn,
      precision: ratio(tp, tp + fp),
      recall: ratio(tp, tp + fn),
      fpr: ratio(fp, fp + tn),
      averagePrecision: averagePrecision(scores, this.wFraud, n),
      alerts: tp + fp,
    };
  }
}
