/** The interface the server owns and drives; `createSystem` (system.ts) is the composition that implements it. */

/** Where transactions come from, as reported in the stats. */
export type SourceKind = 'generator' | 'replay' | 'kafka' | 'http';

/** A decision outcome. */
export type DecisionName = 'APPROVE' | 'REVIEW' | 'DECLINE';

/** The stats object of ARCHITECTURE.md, served by `GET /api/stats` and pushed on `WS /ws`. */
export interface Stats {
  running: boolean;
  uptimeS: number;
  /** `targetTps` is 0 when a replay runs as fast as it can (`tps: 'max'`). */
  source: { kind: SourceKind; targetTps: number };
  /** Invariant: `ingested == decided + rejected + inFlight`. */
  counts: {
    ingested: number;
    decided: number;
    approved: number;
    review: number;
    declined: number;
    rejected: number;
    inFlight: number;
  };
  /** Last second. */
  throughput: { ingestTps: number; decideTps: number };
  /** Ingest to decision, last 10 s. */
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  /** From the labels received so far. */
  quality: { labelled: number; precision: number; recall: number; fpr: number };
  queue: { depth: number; capacity: number };
  workers: { count: number };
}

/** One decided transaction as the live feed and the alert list show it. */
export interface DecisionEvent {
  id: string;
  /** Masked card reference, never a card number. */
  cardRef: string;
  terminalRef: string;
  amount: number;
  timestampMs: number;
  score: number;
  decision: DecisionName;
  reasons: string[];
  latencyUs: number;
  modelVersion: string;
}

/** What one `drainEvents` call hands back. */
export interface DrainedEvents {
  /** A uniform sample of the decisions since the last call, at most `maxFeed`. */
  feed: DecisionEvent[];
  /** REVIEW and DECLINE decisions since the last call, at most `maxAlerts`. */
  alerts: DecisionEvent[];
  /** Alerts beyond `maxAlerts` that were not returned. */
  alertsOmitted: number;
}

/** A running fraud-detection pipeline as the server sees it. */
export interface FraudSystem {
  /** The stats object of ARCHITECTURE.md. */
  stats(): Stats;
  /** Starts the source; idempotent. */
  start(): Promise<void>;
  /** Stops the source and waits until every accepted transaction is decided; idempotent. */
  stop(): Promise<void>;
  /** Changes the generator: tps 1..5,000,000 (RangeError otherwise). */
  setGenerator(options: { tps: number }): void;
  /** Takes the decisions gathered since the last call: a uniform sample for the live feed and the alerts, each list bounded. */
  drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents;
  /** Stops everything: source, drain in-flight batches, worker pool. */
  close(): Promise<void>;
}

/** Lowest generator rate `setGenerator` accepts, in transactions per second. */
export const MIN_GENERATOR_TPS = 1;
/** Highest generator rate `setGenerator` accepts, in transactions per second. */
export const MAX_GENERATOR_TPS = 5_000_000;
