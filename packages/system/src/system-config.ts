import { resolve } from 'node:path';
import { checkThresholds } from '@fraudstream/scorer';
import type { DurabilityConfig } from './durability.js';
import { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from './fraud-system.js';

/** Where the system's transactions come from. */
export type SourceConfig =
  | { kind: 'generator'; tps: number | 'max'; seed?: number; customers?: number }
  | { kind: 'replay'; path: string; tps: number | 'max' };

/** Options of `createSystem`. */
export interface SystemConfig {
  source: SourceConfig;
  /** Scoring worker threads (default: the engine's, one per core). */
  workers?: number;
  /** XGBoost JSON model file (default: the engine's `defaultModelPath()`, models/default.json). */
  modelPath?: string;
  /** Score thresholds: REVIEW at or above `review`, DECLINE at or above `decline`. */
  thresholds?: { review: number; decline: number };
  /** A decision bundle file (JSON: model, thresholds, rules, lists) made live at start over `modelPath`/`thresholds`. */
  bundlePath?: string;
  /** A decision bundle file made the challenger at start: scored in shadow, compared live, never acted on. */
  challengerPath?: string;
  /** A rules file (the rule language) made live at start and again each time it is saved. */
  rulesPath?: string;
  /** Start the source right away (default false: the system waits for `start()`). */
  autoStart?: boolean;
  /**
   * Lag behind the pacing schedule beyond which the source re-bases it and counts the skipped transactions as shed,
   * ms (default the sources package's, 5 s; Infinity for a benchmark that must offer every scheduled transaction).
   */
  maxScheduleLagMs?: number;
  /** The deployment's card-reference secret, >= 16 bytes (default: random per run; see the engine's `cardRefSecret`). */
  cardRefSecret?: Buffer;
  /**
   * Durable mode: every decision in the decision log of `dataDir`, aligned checkpoints every
   * `checkpointIntervalMs` (default 10 s), recovery from the newest checkpoint at start. Absent: nothing is kept.
   */
  durability?: DurabilityConfig;
  /**
   * Cases: with it, REVIEW and DECLINE decisions open cases (`DATA_DIR/cases.sqlite`, or PostgreSQL with `db`) and
   * `GET /api/decisions` reads the decision log in it. With `durability` too it must be the same directory, and each
   * checkpoint waits until the cases of the decisions before it are durable.
   */
  dataDir?: string;
  /** `postgres://...[?schema=NAME]`: the case store is in PostgreSQL (needs `dataDir`, which holds the card-reference secret). */
  db?: string;
  /** Alerts handed to the case writer and not yet committed at which the source is held back (default 65,536). */
  caseQueue?: number;
}

/** Throws `TypeError`/`RangeError` naming the first bad option of a `SystemConfig`. */
export function validateSystemConfig(config: SystemConfig): void {
  if (typeof config !== 'object' || config === null) throw new TypeError('config must be an object');
  const { source } = config;
  if (typeof source !== 'object' || source === null) throw new TypeError('config.source must be an object');
  if (source.kind === 'generator') {
    if (source.tps !== 'max') checkTps('config.source.tps', source.tps);
    if (source.seed !== undefined && !Number.isSafeInteger(source.seed)) {
      throw new TypeError('config.source.seed must be an integer');
    }
    if (source.customers !== undefined && (!Number.isInteger(source.customers) || source.customers < 1)) {
      throw new TypeError('config.source.customers must be a positive integer');
    }
  } else if (source.kind === 'replay') {
    if (typeof source.path !== 'string' || source.path.length === 0) {
      throw new TypeError('config.source.path must be a non-empty string');
    }
    if (source.tps !== 'max') checkTps('config.source.tps', source.tps);
  } else {
    throw new TypeError("config.source.kind must be 'generator' or 'replay'");
  }
  if (config.workers !== undefined) {
    if (!Number.isInteger(config.workers)) throw new TypeError('config.workers must be an integer');
    if (config.workers < 1 || config.workers > 64) throw new RangeError('config.workers must be between 1 and 64');
  }
  if (config.modelPath !== undefined && (typeof config.modelPath !== 'string' || config.modelPath.length === 0)) {
    throw new TypeError('config.modelPath must be a non-empty string');
  }
  if (config.thresholds !== undefined) checkThresholds(config.thresholds, 'config.thresholds');
  for (const key of ['bundlePath', 'challengerPath', 'rulesPath'] as const) {
    const v = config[key];
    if (v !== undefined && (typeof v !== 'string' || v.length === 0)) throw new TypeError(`config.${key} must be a non-empty string`);
  }
  if (config.maxScheduleLagMs !== undefined && !(config.maxScheduleLagMs >= 0)) {
    throw new RangeError('config.maxScheduleLagMs must be a number >= 0');
  }
  if (config.cardRefSecret !== undefined && (!Buffer.isBuffer(config.cardRefSecret) || config.cardRefSecret.length < 16)) {
    throw new TypeError('config.cardRefSecret must be a Buffer of at least 16 bytes');
  }
  if (config.durability !== undefined) {
    const d = config.durability as unknown;
    if (typeof d !== 'object' || d === null) throw new TypeError('config.durability must be an object');
    const { dataDir, checkpointIntervalMs } = d as Record<string, unknown>;
    if (typeof dataDir !== 'string' || dataDir.length === 0) throw new TypeError('config.durability.dataDir must be a non-empty string');
    if (checkpointIntervalMs !== undefined && !(typeof checkpointIntervalMs === 'number' && checkpointIntervalMs >= 50 && checkpointIntervalMs <= 86_400_000)) {
      throw new RangeError('config.durability.checkpointIntervalMs must be a number from 50 to 86,400,000');
    }
  }
  if (config.dataDir !== undefined && (typeof config.dataDir !== 'string' || config.dataDir.length === 0)) {
    throw new TypeError('config.dataDir must be a non-empty path');
  }
  if (config.dataDir !== undefined && config.durability !== undefined && resolve(config.dataDir) !== resolve(config.durability.dataDir)) {
    // One card-reference secret per data dir: cases and logged decisions must carry the same references.
    throw new TypeError('config.dataDir must be the same directory as config.durability.dataDir');
  }
  if (config.db !== undefined) {
    if (typeof config.db !== 'string' || !/^postgres(ql)?:\/\//.test(config.db)) throw new TypeError('config.db must be a postgres:// URL');
    if (config.dataDir === undefined) throw new TypeError('config.db needs config.dataDir (the card-reference secret lives there)');
  }
  if (config.caseQueue !== undefined && (!Number.isInteger(config.caseQueue) || config.caseQueue < 1 || config.caseQueue > 1 << 24)) {
    throw new RangeError('config.caseQueue must be an integer from 1 to 16777216');
  }
  if (config.autoStart !== undefined && typeof config.autoStart !== 'boolean') {
    throw new TypeError('config.autoStart must be a boolean');
  }
}

/** Throws unless `tps` is a number from 1 to 5,000,000. */
export function checkTps(name: string, tps: unknown): asserts tps is number {
  if (typeof tps !== 'number' || Number.isNaN(tps)) throw new TypeError(`${name} must be a number`);
  if (!(tps >= MIN_GENERATOR_TPS && tps <= MAX_GENERATOR_TPS)) {
    throw new RangeError(`${name} must be between ${MIN_GENERATOR_TPS} and ${MAX_GENERATOR_TPS}`);
  }
}
