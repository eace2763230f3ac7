import type { Engine } from '@fraudstream/engine';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import type { RecordSink } from '@fraudstream/sources';
import { CaseWriter, decisionLogDir, DecisionLogReader, loadOrCreateSecret, type CaseWriterStats } from '@fraudstream/store';
import { GatedSink } from './gated-sink.js';

/** What the stats report under `cases`: the case writer's counters and the source's claims the gate refused. */
export interface CaseStats extends CaseWriterStats {
  /** Source claims refused because the case queue was full (the source held back and retried; nothing dropped). */
  refusedClaims: number;
}

/** The case store wired to an engine: the writer, the gated sink the source must write through, and the log reader. */
export interface CaseWiring {
  readonly writer: CaseWriter;
  /** Give this to the source instead of `engine.sink`: it holds the source back while the case queue is full. */
  readonly sink: RecordSink;
  /** Reads the decision log of the data dir (written by the log wiring), for `GET /api/decisions`. */
  readonly decisions: DecisionLogReader;
  stats(): CaseStats;
  /** Stops feeding the writer, commits what is queued, closes the store. */
  close(): Promise<void>;
}

/** Options of {@link wireCases}. */
export interface CaseWiringOptions {
  dataDir: string;
  /** `postgres://...`: the case store is in PostgreSQL instead of `DATA_DIR/cases.sqlite`. */
  db?: string | undefined;
  /** The case writer's queue bound (alerts handed over and not yet committed), default 65,536. */
  maxQueued?: number | undefined;
  /** The model version of the decisions being made now. */
  modelVersion: () => string;
  /** The card-reference secret (default: the data dir's `card-ref.key`). */
  cardRefSecret?: Buffer | undefined;
}

/**
 * Opens the case store in a worker thread and feeds it every decided engine batch (`engine.onBatch`, in ingest order,
 * the writer gathers the alerts of several batches into one message to its worker). Back-pressure: the source writes through a {@link GatedSink} that reports the
 * ring full while the writer's queue is at its bound, so the source holds back (counted in `heldBackMs` and
 * `refusedClaims`) and the records already in the ring still get their cases: the queue never exceeds its bound plus
 * the ring's capacity, and no alert is dropped.
 */
export async function wireCases(engine: Engine, options: CaseWiringOptions): Promise<CaseWiring> {
  const writer = await CaseWriter.open({
    dataDir: options.dataDir,
    db: options.db,
    secret: options.cardRefSecret ?? loadOrCreateSecret(options.dataDir),
    names: { ruleNames, featureNames },
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
  });
  const sink = new GatedSink(engine.sink, () => writer.full);
  const unsubscribe = engine.onBatch((b) => {
    // The engine keeps every string id by slot until its batch's listeners ran, whichever way it was written (the
    // gated sink, or Engine.submit from the HTTP routes, which the sink's own `ids` never see).
    writer.queueBatch(b.records, b.results, b.slot, b.count, options.modelVersion(), (slot) => engine.stringId(slot) ?? sink.ids[slot], b.seq);
  });
  const decisions = new DecisionLogReader(decisionLogDir(options.dataDir));
  let closing: Promise<void> | undefined;
  return {
    writer,
    sink,
    decisions,
    stats: () => ({ ...writer.stats(), refusedClaims: sink.refused }),
    close() {
      closing ??= (async () => {
        unsubscribe();
        decisions.close();
        await writer.close();
      })();
      return closing;
    },
  };
}
