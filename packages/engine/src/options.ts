import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MIN_SECRET_BYTES } from '@fraudstream/schema';
import { checkThresholds, scorerDefaults, type Thresholds } from '@fraudstream/scorer';
import { EngineOptionsError } from './errors.js';

export type { Thresholds };

/** Options of {@link Engine.create}. */
export interface EngineOptions {
  /** The XGBoost JSON model text the scorer serves. */
  modelJson: string;
  /** Version string reported with every decision (e.g. the model file's name and hash). */
  modelVersion: string;
  /** Scoring worker threads (default: one per available core; measured best on 2 cores, see bench/RESULTS.md). */
  workers?: number;
  /** Largest micro-batch, in records (default 2048). */
  maxBatch?: number;
  /** How long the oldest waiting record may wait for a fuller batch, in ms (default 1; Kafka's linger.ms idea). */
  lingerMs?: number;
  /** Ring slots, a power of two (default 2^18). A full ring pushes back on the source. */
  capacity?: number;
  /** Batches cut and not yet done (default 2 x workers); more records then wait and form larger batches. Cut batches
   * are published for the workers to claim in ticket order (batch-control.ts). */
  maxInFlightBatches?: number;
  thresholds?: Thresholds;
  /** Label delay the terminal-risk features assume, in whole days of event time (default 7; the risk windows are day buckets). */
  labelDelayDays?: number;
  /** Rule parameters of the scorer. */
  rules?: { highAmount?: number; velocity1d?: number };
  /**
   * The deployment's card-reference secret (at least 16 bytes): the live feed and the alerts show a card as its keyed
   * reference (`CardRefHasher` of @fraudstream/schema). Default: 32 random bytes per engine, so references are then
   * stable only within one run.
   */
  cardRefSecret?: Buffer;
  /**
   * A decision bundle's JSON text (model, thresholds, rules, lists; see the scorer's `loadBundle`) made live at start,
   * over `modelJson` and `thresholds`; its version is what decisions carry.
   */
  bundle?: string;
  /** A bundle's JSON text made the challenger at start (scored in shadow, see `Engine.setChallenger`). */
  challenger?: string;
  /**
   * The scoring workers fill the decision log's columns of each batch they score (see decision-columns.ts) and each
   * decided batch carries them as `staged`, so a decision log appends runs of columns (default false: nothing staged).
   */
  stageDecisionColumns?: boolean;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<EngineOptions, 'rules' | 'bundle' | 'challenger'>> & {
  rules: EngineOptions['rules'];
  bundle: string | undefined;
  challenger: string | undefined;
};

function positiveInt(name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new EngineOptionsError(`options.${name} must be an integer from 1 to ${max}`);
  }
  return v;
}

/** Validates options up front and fills in defaults; throws {@link EngineOptionsError} naming the bad option. */
export function resolveOptions(o: EngineOptions): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (typeof o.modelJson !== 'string' || o.modelJson.length === 0) {
    throw new TypeError('options.modelJson must be the text of an XGBoost JSON model');
  }
  if (typeof o.modelVersion !== 'string' || o.modelVersion.length === 0 || o.modelVersion.length > 128) {
    throw new TypeError('options.modelVersion must be a string of 1 to 128 characters');
  }
  // One worker per core. Measured on 2 cores after the scorer's state-phase work (bench/RESULTS.md, "final"): 2 workers
  // decided ~20 % more at max than 1 (the model phase overlaps; the ordered state phase and the main thread share the
  // cores), with the same p99 at 100,000/s. Before that work, 1 worker had been more efficient.
  const workers = positiveInt('workers', o.workers ?? availableParallelism(), 64);
  const capacity = o.capacity ?? 1 << 18;
  if (!Number.isInteger(capacity) || capacity < 16 || capacity > 1 << 24 || (capacity & (capacity - 1)) !== 0) {
    throw new EngineOptionsError('options.capacity must be a power of two from 16 to 2^24');
  }
  const maxBatch = positiveInt('maxBatch', o.maxBatch ?? 2048, capacity);
  const lingerMs = o.lingerMs ?? 1;
  if (typeof lingerMs !== 'number' || !Number.isFinite(lingerMs) || lingerMs < 0 || lingerMs > 1000) {
    throw new EngineOptionsError('options.lingerMs must be a number from 0 to 1000');
  }
  const maxInFlightBatches = positiveInt('maxInFlightBatches', o.maxInFlightBatches ?? workers * 2, 1024);
  const thresholds = o.thresholds ?? scorerDefaults.thresholds;
  checkThresholds(thresholds, 'options.thresholds');
  // The scorer owns the label-delay rule (whole days up to its maximum); the engine only passes it on.
  const labelDelayDays = o.labelDelayDays ?? scorerDefaults.labelDelayDays;
  const maxDelay = scorerDefaults.labelDelayDaysMax;
  if (typeof labelDelayDays !== 'number' || !Number.isInteger(labelDelayDays) || labelDelayDays < 0 || labelDelayDays > maxDelay) {
    throw new EngineOptionsError(`options.labelDelayDays must be an integer from 0 to ${maxDelay}`);
  }
  const cardRefSecret = o.cardRefSecret ?? randomBytes(32);
  if (!Buffer.isBuffer(cardRefSecret) || cardRefSecret.length < MIN_SECRET_BYTES) {
    throw new EngineOptionsError(`options.cardRefSecret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (o.bundle !== undefined && (typeof o.bundle !== 'string' || o.bundle.length === 0)) {
    throw new TypeError("options.bundle must be a bundle's JSON text");
  }
  if (o.challenger !== undefined && (typeof o.challenger !== 'string' || o.challenger.length === 0)) {
    throw new TypeError("options.challenger must be a bundle's JSON text");
  }
  if (o.stageDecisionColumns !== undefined && typeof o.stageDecisionColumns !== 'boolean') {
    throw new EngineOptionsError('options.stageDecisionColumns must be a boolean');
  }
  return {
    challenger: o.challenger,
    stageDecisionColumns: o.stageDecisionColumns ?? false,
    cardRefSecret,
    modelJson: o.modelJson,
    modelVersion: o.modelVersion,
    workers,
    maxBatch,
    lingerMs,
    capacity,
    maxInFlightBatches,
    thresholds: { ...thresholds },
    labelDelayDays,
    rules: o.rules,
    bundle: o.bundle,
  };
}
