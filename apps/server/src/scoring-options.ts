/** Options of the `/v1` routes (`ServerOptions.scoring`). */
export interface ScoringOptions {
  /** Most `/v1/score` requests written into the engine as one micro-batch (default 256). */
  maxBatch?: number;
  /**
   * How long the first request of a micro-batch waits for others, in microseconds (default 0: the batch is flushed
   * at the end of the event-loop turn that read it, so requests read together go together).
   */
  lingerUs?: number;
  /**
   * Per-request deadline in milliseconds (default 50): past it, `/v1/score` answers the fallback REVIEW with reason
   * DEADLINE; the transaction still goes through the engine and its late decision is counted once there. 0 answers
   * every request with the fallback at once (a test and drill setting).
   */
  deadlineMs?: number;
  /**
   * Largest micro-batch the engine scores on its own thread, without a worker, when no batch is in flight (default
   * 64; 0: always a worker). Saves the worker wake-up and thread hop that dominate a small batch's cost; the
   * decisions are real ones (same scorer, state and ticket order), counted in the engine stats as `batches.inline`.
   */
  inlineMaxBatch?: number;
  /** Largest `/v1/transactions` body in bytes (default 64 MiB). */
  maxBulkBytes?: number;
  /** Most lines in one `/v1/transactions` body (default 1,000,000). */
  maxBulkLines?: number;
  /** Transactions remembered for `/v1/labels {transactionId}` (default 262,144, the newest). */
  labelIndexSize?: number;
}

/** `ScoringOptions` with defaults filled in. */
export type ResolvedScoringOptions = Required<ScoringOptions>;

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`options.scoring.${name} must be an integer`);
  if (value < min || value > max) throw new RangeError(`options.scoring.${name} must be between ${min} and ${max}`);
  return value;
}

/** Validates scoring options up front, throwing `TypeError`/`RangeError` naming the option. */
export function resolveScoringOptions(options: ScoringOptions | undefined): ResolvedScoringOptions {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) throw new TypeError('options.scoring must be an object');
  return {
    maxBatch: integer('maxBatch', o.maxBatch ?? 256, 1, 8192),
    lingerUs: integer('lingerUs', o.lingerUs ?? 0, 0, 10_000_000),
    deadlineMs: integer('deadlineMs', o.deadlineMs ?? 50, 0, 60_000),
    inlineMaxBatch: integer('inlineMaxBatch', o.inlineMaxBatch ?? 64, 0, 8192),
    maxBulkBytes: integer('maxBulkBytes', o.maxBulkBytes ?? 64 * 1024 * 1024, 1024, 2 ** 31),
    maxBulkLines: integer('maxBulkLines', o.maxBulkLines ?? 1_000_000, 1, 100_000_000),
    labelIndexSize: integer('labelIndexSize', o.labelIndexSize ?? 262_144, 1, 2 ** 26),
  };
}
