/**
 * `@fraudstream/scorer`: the only public API of the scorer and the only importer of the addon
 * (`@fraudstream/scorer-native`). Everything else in the repository uses the scorer through this package.
 */
import { native } from './native.js';
import { withOptions, type ScorerOptions } from './options.js';

export {
  Scorer,
  hasTestHooks,
  type BatchCounts,
  type CapturedFeatures,
  type ModelSummary,
  type Restored,
  type ScorerCounts,
  type SnapshotInfo,
  type SnapshotMeta,
  type StateSize,
} from './scorer.js';
export {
  checkThresholds,
  modelVersionOf,
  scorerDefaults,
  type ScorerDefaults,
  type ScorerOptions,
  type Thresholds,
} from './options.js';
export { decodeReasons, featureNames, ruleNames } from './names.js';
export {
  checkBundle,
  checkRules,
  featureSet,
  lightgbmToXgboost,
  sealBundle,
  type BundleInfo,
  type ListSizes,
  type RuleInfo,
  type RulesInfo,
} from './rules.js';
export { nativePath, NATIVE_ENV } from './native.js';
export { cardRefKey, stageDecisionColumns } from './columns.js';
export { layout, type Layout } from '@fraudstream/schema';

/** Training parameters of {@link trainGbdt}. */
export interface TrainOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /** Maximum depth (default 6). */
  maxDepth?: number;
  /** Learning rate (default 0.1). */
  learningRate?: number;
  /** Minimum hessian sum per child (default 1). */
  minChildWeight?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Histogram bins per feature, 2..4096 (default 256). */
  bins?: number;
}

/**
 * Writes the fallback outcome of records `[startSlot, startSlot + count)` into the same slots of `results`
 * (transactions: score NaN, REVIEW, status Fallback, rule SCORER_ERROR; labels: status Label), with the same Rust
 * code that writes scored outcomes. Returns the number of transactions written.
 */
export function writeFallback(records: Uint8Array, results: Uint8Array, startSlot: number, count: number): number {
  return native.writeFallback(records, results, startSlot, count);
}

/**
 * Replays `count` records with a fresh state, strictly in order (labels applied where they occur), writing one
 * feature row per transaction into `out` (`featureNames.length` floats each; NaN for an invalid transaction).
 * Returns the number of rows.
 */
export function extractFeatures(options: ScorerOptions | undefined, records: Uint8Array, count: number, out: Float32Array): number {
  return withOptions(options, (o) => native.extractFeatures(o, records, count, out));
}

/** Trains a binary:logistic GBDT on row-major feature rows and 0/1 labels; returns XGBoost JSON text. */
export function trainGbdt(features: Float32Array, labels: Uint8Array, rows: number, params?: TrainOptions): string {
  return native.trainGbdt(features, labels, rows, params);
}

/**
 * Trains as {@link trainGbdt} with one positive weight per row (e.g. 1 / the rate a row was sampled at, so a sample
 * of the approvals counts as the approvals it stands for).
 */
export function trainGbdtWeighted(features: Float32Array, labels: Uint8Array, weights: Float32Array, rows: number, params?: TrainOptions): string {
  return native.trainGbdtWeighted(features, labels, weights, rows, params);
}

/** Scores feature rows with an XGBoost JSON or LightGBM text model (the scoring evaluator): one probability per row. */
export function predictFeatures(xgboostJson: string, features: Float32Array, rows: number, out: Float32Array): void {
  native.predictFeatures(xgboostJson, features, rows, out);
}

/** Options of {@link isolationScores}. */
export interface IsolationOptions {
  /** Trees (default 100). */
  trees?: number;
  /** Rows sampled per tree, without replacement (default 256). */
  sample?: number;
  /** Seed (default 0). */
  seed?: number;
  /** Feature names the trees may split on (default: all of {@link featureNames}). */
  features?: string[];
}

/**
 * Fits an isolation forest on `trainRows` row-major feature rows (no labels) and writes the anomaly score of each of
 * `rows` rows of `features` into `out`: in (0, 1], about 0.5 and below is ordinary, near 1 isolated in few splits.
 */
export function isolationScores(
  train: Float32Array,
  trainRows: number,
  features: Float32Array,
  rows: number,
  out: Float32Array,
  options?: IsolationOptions,
): void {
  native.isolationScores(train, trainRows, features, rows, out, options);
}
