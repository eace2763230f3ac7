import type { BundleInfo, RulesInfo } from '@fraudstream/scorer';
import type { RulesFileStatus } from './rules-file.js';
/**
 * A running fraud-detection pipeline as its users (the server, the CLI, the benchmark) drive it; `createSystem`
 * (create-system.ts) is the composition that implements it.
 */
import type { DrainedEvents, EngineStats, EngineTelemetry, LawViolation, LiveConfig } from '@fraudstream/engine';
import type { SourceState } from '@fraudstream/sources';
import type { Case, CaseEvent, CasePage, CaseQuery, CaseUpdate, DecisionPage, DecisionQuery } from '@fraudstream/store';
import type { CaseStats } from './case-wiring.js';
import type { DurabilityStats } from './durability.js';

/** Where transactions come from, as reported in the stats. */
export type SourceKind = 'generator' | 'replay' | 'kafka' | 'http';

export type { BucketSnapshot, DecisionEvent, DrainedEvents, EngineTelemetry, LiveConfig, RulesOrigin } from '@fraudstream/engine';
export type { DecisionName } from '@fraudstream/schema';

/**
 * The stats served by `GET /api/stats` and pushed on `WS /ws`: the system's own fields and the engine's independent
 * counts, rates (last second), latency (ingest and schedule to decision, last 10 s), quality (from the labels
 * received so far), queue and workers, and `laws`: the conservation laws between the counts, checked on this very
 * snapshot (`violations` is empty when nothing was lost or counted twice).
 */
export interface Stats extends EngineStats {
  running: boolean;
  /** Kafka sources only: partitions with their lag, acknowledgements and commits (see kafka-system.ts). */
  kafka?: import('./kafka-system.js').KafkaStats;
  uptimeS: number;
  laws: { ok: boolean; violations: LawViolation[] };
  /** The live rules and their hits (counted in Rust), and the rules file's watcher when one is configured. */
  rules: RulesInfo & { file?: RulesFileStatus };
  /** With a data dir: the decision log, the checkpoints, what start-up recovered, and `ok: false` with a reason. */
  durability?: DurabilityStats;
  /**
   * `targetTps` is 0 when a replay runs as fast as it can (`tps: 'max'`); `state` is the source's lifecycle
   * (idle, running, stopped, ended, failed) and `error` says why it failed.
   */
  source: {
    kind: SourceKind;
    targetTps: number;
    state: SourceState;
    error?: string;
    /** Generator only (additive): attack transactions injected so far and still waiting to be written. */
    injected?: number;
    pendingInjected?: number;
    /** Wall time held back by a full ring (ms), and the lag behind the pacing schedule (see the sources package). */
    heldBackMs: number;
    schedule: { lagMs: number; maxLagMs: number; shed: number };
  };
  /** With a data dir: the shadow decision log of the challenger (decisions appended, the first write error if any). */
  shadowLog?: { records: number; error?: string };
  /** With a data dir: the case writer (cases opened, queue, back-pressure, the last store error). */
  cases?: CaseStats;
}

/** The case store as the server serves it (`GET /api/cases`, `POST /api/cases/:id`). */
export interface CaseDesk {
  /** `sqlite` or `postgres`. */
  readonly backend: string;
  list(query: CaseQuery): Promise<CasePage>;
  get(id: string): Promise<Case | undefined>;
  update(id: string, update: CaseUpdate): Promise<Case>;
  history(id: string): Promise<CaseEvent[]>;
}

/** Attacks `injectScenario` accepts. */
export type ScenarioKind = 'card-testing' | 'compromised-terminal';

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
  /** Changes the score thresholds (0 <= review <= decline <= 1, RangeError otherwise) for decisions from now on. */
  setThresholds(thresholds: { review: number; decline: number }): void;
  /**
   * Queues an attack into the generator; returns how many transactions it adds. TypeError when the source is not the
   * generator, RangeError when too many injected transactions are already waiting.
   */
  injectScenario(kind: ScenarioKind): number;
  /** Takes the decisions gathered since the last call: a uniform sample for the live feed and the alerts, each list bounded. */
  drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents;
  /**
   * Replaces the live rules and allow/block lists (the rule language) between batches without stopping the stream;
   * throws naming the rule, line and column of the first problem, leaving the live rules in force.
   */
  setRules(rules: string): RulesInfo;
  /**
   * Swaps the decision bundle (JSON text: model, thresholds, rules, lists) in one step between batches; every
   * decision carries the version of the bundle that made it. Throws naming the field of the first problem.
   */
  swapBundle(bundle: string): BundleInfo;
  /** The live rules with their hit counts, the list sizes and hits, the live generation and version. */
  ruleStats(): RulesInfo;
  /** The live rules text, where it came from (api, file, bundle) and the live bundle (`GET /api/rules`, `/api/bundle`). */
  liveConfig?(): LiveConfig;
  /**
   * Read at scrape time by the metrics endpoint: whole-run latency histograms, worker busy time, model version
   * (optional, so a system without an engine, e.g. a test double, can leave it out and export the stats alone).
   */
  telemetry?(): EngineTelemetry;
  /** Stops everything: source, drain in-flight batches, worker pool. */
  close(): Promise<void>;
  /**
   * Why inputs must hold back now (the case writer's queue is full), or undefined when they may write. The generator
   * and replay are gated inside the system; the HTTP inputs ask this (503 with Retry-After, or a paused upload).
   */
  holdingBack?(): string | undefined;
  /** The case store, when the system has a data dir (undefined otherwise). */
  readonly cases?: CaseDesk | undefined;
  /** A page of the decision log, newest first (flushed decisions), when the system has a data dir. */
  queryDecisions?: ((query: DecisionQuery) => DecisionPage) | undefined;
}

/** Lowest generator rate `setGenerator` accepts, in transactions per second. */
export const MIN_GENERATOR_TPS = 1;
/** Highest generator rate `setGenerator` accepts, in transactions per second. */
export const MAX_GENERATOR_TPS = 5_000_000;
