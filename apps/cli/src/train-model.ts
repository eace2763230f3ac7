import { extractFeatures, featureNames, trainGbdt } from '@fraudstream/scorer';
import { readCsvRecords } from '@fraudstream/sources';

const DAY_MS = 86_400_000;

/** Options of {@link trainFromCsv}. */
export interface TrainOptions {
  data: string;
  /** First day of the training window (epoch ms, UTC midnight); default: 30 days after the first transaction. */
  fromMs?: number;
  /** Days in the training window; default: to the end of the file. */
  days?: number;
  labelDelayDays: number;
  trees: number;
  maxDepth: number;
  learningRate: number;
  /** Minimum hessian sum per child (default 1). */
  minChildWeight?: number;
  /** Histogram bins per feature (default 256). */
  bins?: number;
  seed: number;
}

/** What {@link trainFromCsv} produced. */
export interface TrainResult {
  modelJson: string;
  rows: number;
  frauds: number;
  fromMs: number;
  toMs: number;
  rejected: number;
}

/**
 * Trains a model from a CSV file with the scorer's own feature code: the file is replayed in event time through a
 * fresh scorer state, labels revealed `labelDelayDays` after their transaction (exactly as online), then the GBDT
 * is fit on the rows of the training window.
 */
export async function trainFromCsv(o: TrainOptions): Promise<TrainResult> {
  const data = await readCsvRecords(o.data, { labelDelayDays: o.labelDelayDays });
  if (data.txCount === 0) throw new Error(`${o.data}: no valid transactions`);
  const width = featureNames.length;
  const features = new Float32Array(data.txCount * width);
  const rows = extractFeatures({ labelDelayDays: o.labelDelayDays }, data.views.bytes(0, data.count), data.count, features);
  if (rows !== data.txCount) throw new Error(`feature rows ${rows} != transactions ${data.txCount}`);

  const first = data.txTimestampsMs[0] ?? 0;
  const fromMs = o.fromMs ?? Math.floor(first / DAY_MS) * DAY_MS + 30 * DAY_MS;
  const toMs = o.days === undefined ? Number.POSITIVE_INFINITY : fromMs + o.days * DAY_MS;
  let lo = 0;
  while (lo < rows && (data.txTimestampsMs[lo] ?? 0) < fromMs) lo++;
  let hi = lo;
  while (hi < rows && (data.txTimestampsMs[hi] ?? 0) < toMs) hi++;
  if (hi - lo < 100) throw new Error(`the training window has ${hi - lo} transactions; at least 100 are needed`);
  const labels = data.fraud.subarray(lo, hi);
  let frauds = 0;
  for (const l of labels) frauds += l;
  if (frauds === 0) throw new Error('the training window has no fraud label');
  const modelJson = trainGbdt(features.subarray(lo * width, hi * width), labels, hi - lo, {
    trees: o.trees,
    maxDepth: o.maxDepth,
    learningRate: o.learningRate,
    ...(o.minChildWeight === undefined ? {} : { minChildWeight: o.minChildWeight }),
    ...(o.bins === undefined ? {} : { bins: o.bins }),
    seed: o.seed,
  });
  return {
    modelJson,
    rows: hi - lo,
    frauds,
    fromMs,
    toMs: data.txTimestampsMs[hi - 1] ?? fromMs,
    rejected: data.rejectedCount,
  };
}
