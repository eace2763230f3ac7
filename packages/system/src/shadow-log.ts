/**
 * The challenger's decisions in a decision log of their own, beside the main one (`DIR/shadow-decisions`, the same
 * block format, each decision carrying the challenger bundle's version), so a team can compare them offline with the
 * champion's (`fraudstream decisions --data-dir DIR --shadow`). Written from the engine's shadow batches on the main
 * thread, flushed every 200 ms and when closed. Not part of the checkpoints: after a crash the transactions decided
 * again on resume are in it twice (the challenger, itself not checkpointed, is loaded again with `--challenger`).
 */
import { join } from 'node:path';
import type { Engine, ShadowBatch } from '@fraudstream/engine';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { appendDecidedBatch, CardRefHasher, DecisionLog } from '@fraudstream/store';

/** The shadow log's directory name inside the data dir. */
export const SHADOW_DECISIONS_DIR = 'shadow-decisions';

/** The shadow log of a data dir. */
export function shadowLogDir(dataDir: string): string {
  return join(dataDir, SHADOW_DECISIONS_DIR);
}

const FLUSH_MS = 200;

/** Appends every shadow batch of `engine` to the shadow log in `dataDir` (opened with the first one) until closed. */
export class ShadowLog {
  private log: DecisionLog | undefined;
  private readonly dir: string;
  private readonly hasher: CardRefHasher;
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  /** The first write error, after which nothing more is written (the champion's path is never affected). */
  error: string | undefined;

  constructor(dataDir: string, engine: Engine, cardRefSecret: Buffer) {
    this.dir = shadowLogDir(dataDir);
    this.hasher = new CardRefHasher(cardRefSecret);
    this.unsubscribe = engine.onShadowBatch((b) => this.append(engine, b));
    this.timer = setInterval(() => this.guard(() => this.log?.flush()), FLUSH_MS);
    this.timer.unref();
  }

  /** Decisions appended so far (pending ones included). */
  records(): number {
    return this.log?.records() ?? 0;
  }

  private append(engine: Engine, b: ShadowBatch): void {
    const naming = { ruleNames, featureNames, modelVersion: b.version, generation: () => ({ version: b.version, rules: b.rules }) };
    this.guard(() => appendDecidedBatch((this.log ??= DecisionLog.open(this.dir)), this.hasher, b.records, b.results, b.slot, b.count, naming, (slot) => engine.stringId(slot)));
  }

  private guard(f: () => void): void {
    if (this.error !== undefined) return;
    try {
      f();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Stops listening, flushes and closes the log. */
  close(): void {
    this.unsubscribe();
    clearInterval(this.timer);
    this.guard(() => this.log?.close());
  }
}
