import { readFile } from 'node:fs/promises';
import { Engine, checkLaws, defaultModelPath, type DrainedEvents, type EngineOptions } from '@fraudstream/engine';
import { CsvReplay, LiveGenerator, type SourceCheckpoint, type SourceStats } from '@fraudstream/sources';
import { modelVersionOf, type BundleInfo, type RulesInfo } from '@fraudstream/scorer';
import { wireCases } from './case-wiring.js';
import { RulesFileWatcher, readRulesFile } from './rules-file.js';
import { loadOrCreateSecret } from '@fraudstream/store';
import { CheckpointError } from './checkpoint.js';
import { Durability, type DurabilityConfig, type DurableSourceKind } from './durability.js';
import { DEFAULT_FEATURE_LOG_SAMPLE, ServedLogs } from './served-logs.js';
import { ShadowLog } from './shadow-log.js';
import type { FraudSystem, ScenarioKind, Stats } from './fraud-system.js';
import { checkTps, validateSystemConfig, type SystemConfig } from './system-config.js';

/** What the system needs of a source (both sources share the paced-source loop). */
interface Source {
  start(): void;
  stop(): void;
  /** True between start() and stop() or the end of the input. */
  readonly running: boolean;
  stats(): SourceStats;
  /** The position covering exactly the records written so far, for an aligned checkpoint (see durability.ts). */
  checkpoint(seqBase: number): SourceCheckpoint;
}

/** A composed system: the {@link FraudSystem} API, and its engine and source for tools that measure them (bench). */
export interface System extends FraudSystem {
  readonly engine: Engine;
  /** The live generator, when the source is the generator. */
  readonly generator: LiveGenerator | undefined;
  /** The source's own counters. */
  sourceStats(): SourceStats;
  /** The durable mode (decision log, checkpoints, recovery) when `config.durability` is given. */
  readonly durability: Durability | undefined;
  /** The served-feature and label logs of the durable mode (`labels.append` takes analysts' verdicts too). */
  readonly servedLogs: ServedLogs | undefined;
}

/** Engine tuning a tool may pass through (the bench's flags); the server uses the engine's defaults. */
export type EngineTuning = Pick<EngineOptions, 'maxBatch' | 'lingerMs' | 'maxInFlightBatches' | 'capacity'>;

/**
 * Composes the engine and a source into a running system: reads the model, creates the engine, creates the source
 * writing into the engine's ring and registers the source's own written-record counts with the engine, so the
 * stats' conservation laws compare what the source wrote with what the engine took and decided.
 */
export async function createSystem(config: SystemConfig, tuning: EngineTuning = {}): Promise<System> {
  validateSystemConfig(config);
  const modelPath = config.modelPath ?? defaultModelPath();
  const modelJson = await readFile(modelPath, 'utf8');
  const modelVersion = modelVersionOf(modelPath, modelJson);
  // One card-reference secret for the live feed, the decision log and the cases: the configured one, else the data dir's.
  const secretDir = config.durability?.dataDir ?? config.dataDir;
  const cardRefSecret = config.cardRefSecret ?? (secretDir === undefined ? undefined : loadOrCreateSecret(secretDir));
  const engine = await Engine.create({
    modelJson,
    modelVersion,
    ...(config.workers === undefined ? {} : { workers: config.workers }),
    ...(config.thresholds === undefined ? {} : { thresholds: config.thresholds }),
    ...(cardRefSecret === undefined ? {} : { cardRefSecret }),
    // The durable mode's decision log copies the columns the scoring workers lay out (off the engine's thread).
    ...(config.durability === undefined ? {} : { stageDecisionColumns: true }),
    ...(config.bundlePath === undefined ? {} : { bundle: await readFile(config.bundlePath, 'utf8') }),
    ...(config.challengerPath === undefined ? {} : { challenger: await readFile(config.challengerPath, 'utf8') }),
    ...tuning,
  });
  // The rules file is loaded before anything else opens, so a bad one fails the start at once; it is watched once
  // the system is assembled (below).
  if (config.rulesPath !== undefined) {
    const rulesPath = config.rulesPath;
    try {
      engine.setRules(readRulesFile(rulesPath), 'file');
    } catch (err) {
      await engine.close();
      throw new Error(`config.rulesPath ${rulesPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  let cases;
  try {
    cases = config.dataDir === undefined ? undefined : await wireCases(engine, { dataDir: config.dataDir, db: config.db, maxQueued: config.caseQueue, modelVersion: () => modelVersion, cardRefSecret });
  } catch (err) {
    await engine.close();
    throw err;
  }
  // Sources write through the case wiring's gate when there is one: a full case queue holds them back.
  const sink = cases?.sink ?? engine.sink;

  const createdMs = performance.now();
  const sourceConfig = config.source;
  let targetTps = sourceConfig.tps === 'max' ? 0 : sourceConfig.tps;
  const maxLag = config.maxScheduleLagMs === undefined ? {} : { maxLagMs: config.maxScheduleLagMs };
  // Durable mode: recover the scorer from the newest checkpoint before the first batch, and the source's position.
  let durability: Durability | undefined;
  let resume = {};
  if (config.durability !== undefined) {
    const kind: DurableSourceKind = sourceConfig.kind === 'replay' ? { kind: 'replay', path: sourceConfig.path } : { kind: 'generator' };
    // The thresholds this start was configured with (flags, config, a bundle) win over a checkpoint's: a restore
    // brings back the state, not settings changed at runtime through the API (documented in the README).
    const configured = { ...engine.options.thresholds };
    try {
      const prepared = Durability.prepare({ ...config.durability, ...(cardRefSecret === undefined ? {} : { cardRefSecret }) }, engine, kind, modelVersion);
      durability = prepared.durability;
      if (prepared.resume !== undefined) resume = { resume: prepared.resume };
      const restored = engine.options.thresholds;
      if (restored.review !== configured.review || restored.decline !== configured.decline) {
        process.emitWarning(
          `fraudstream: the checkpoint had thresholds review ${restored.review}, decline ${restored.decline}; ` +
            `continuing with the configured review ${configured.review}, decline ${configured.decline}`,
        );
        engine.setThresholds(configured);
      }
    } catch (err) {
      await cases?.close();
      await engine.close();
      throw err;
    }
  }
  // At the end of a replay: drain, then a checkpoint that records the end (a restart then has nothing to redo).
  const durable = durability;
  const onEnd = durable === undefined ? {} : { onEnd: () => void engine.drain().then(() => durable.checkpoint()) };
  let generator: LiveGenerator | undefined;
  let source: Source;
  try {
    if (sourceConfig.kind === 'generator') {
      generator = new LiveGenerator({
        sink,
        tps: sourceConfig.tps,
        labels: true,
        ...(sourceConfig.seed === undefined ? {} : { seed: sourceConfig.seed }),
        ...(sourceConfig.customers === undefined ? {} : { customers: sourceConfig.customers }),
        ...maxLag,
        ...resume,
        ...onEnd,
      });
      source = generator;
    } else {
      source = new CsvReplay({ sink, path: sourceConfig.path, tps: sourceConfig.tps, labels: true, ...maxLag, ...resume, ...onEnd });
    }
  } catch (err) {
    await durability?.close();
    await cases?.close();
    await engine.close();
    // A position the source refuses (a generator with other options) is a mismatched checkpoint: name its file.
    const from = durability?.recoveredFrom;
    if (from !== undefined && err instanceof Error) throw new CheckpointError(from, `${err.message}: use another --data-dir`);
    throw err;
  }
  durability?.attach(engine, source);
  let servedLogs: ServedLogs | undefined;
  if (durability !== undefined && config.durability !== undefined && config.durability.servedLogs !== false) {
    const d = durability;
    try {
      servedLogs = openServedLogs(engine, d, config.durability, sourceConfig.kind, cardRefSecret ?? loadOrCreateSecret(d.dataDir));
    } catch (err) {
      source.stop();
      await durability.close();
      await cases?.close();
      await engine.close();
      throw err;
    }
  }
  // With a data dir, the challenger's decisions (when one is live) go to a shadow log beside the main one.
  const shadowLog = secretDir === undefined || cardRefSecret === undefined ? undefined : new ShadowLog(secretDir, engine, cardRefSecret);
  // A checkpoint covers the cases of the decisions before it: they are durable before its record is written.
  const caseWiring = cases;
  const served = servedLogs;
  if (durability !== undefined && (caseWiring !== undefined || served !== undefined)) {
    durability.barrierSync = async () => {
      await caseWiring?.writer.sync();
      await served?.sync();
    };
  }
  const rulesFile = config.rulesPath === undefined ? undefined : new RulesFileWatcher(config.rulesPath, (text) => engine.setRules(text, 'file'));
  engine.addWriter(() => {
    const s = source.stats();
    return { transactions: s.generated, labels: s.labelsEmitted };
  });

  const sourceStats = (): Stats['source'] => {
    const s = source.stats();
    const out: Stats['source'] = {
      kind: sourceConfig.kind,
      targetTps,
      state: s.state,
      ...(s.error === undefined ? {} : { error: s.error.message }),
      heldBackMs: Math.round(s.heldBackMs),
      schedule: { lagMs: Math.round(s.schedule.lagMs), maxLagMs: Math.round(s.schedule.maxLagMs), shed: s.schedule.shed },
    };
    if (generator !== undefined) {
      const { injected, pendingInjected } = generator.stats();
      out.injected = injected;
      out.pendingInjected = pendingInjected;
    }
    return out;
  };

  let closing: Promise<void> | undefined;
  const system: System = {
    engine,
    generator,
    durability,
    servedLogs,
    sourceStats: () => source.stats(),
    stats(): Stats {
      const engineStats = engine.stats();
      const violations = checkLaws(engineStats);
      return {
        running: source.running,
        uptimeS: Math.round((performance.now() - createdMs) / 100) / 10,
        source: sourceStats(),
        ...engineStats,
        laws: { ok: violations.length === 0, violations },
        rules: { ...engine.ruleStats(), ...(rulesFile === undefined ? {} : { file: rulesFile.status() }) },
        ...(durability === undefined ? {} : { durability: { ...durability.stats(), ...(servedLogs === undefined ? {} : { served: servedLogs.stats() }) } }),
        ...(cases === undefined ? {} : { cases: cases.stats() }),
        ...(shadowLog === undefined ? {} : { shadowLog: { records: shadowLog.records(), ...(shadowLog.error === undefined ? {} : { error: shadowLog.error }) } }),
      };
    },
    async start(): Promise<void> {
      if (closing !== undefined) throw new Error('the system is closed');
      // After a failure of the data dir nothing may be consumed that could not be logged.
      if (durability?.failed === true) throw new Error(`durability failed: ${durability.stats().reason ?? ''}`);
      // A no-op when already running, or when a replay has reached the end of its file.
      source.start();
    },
    async stop(): Promise<void> {
      source.stop();
      await engine.drain();
      // Stopped means every decision so far has its case too.
      await cases?.writer.flush();
    },
    setGenerator(options: { tps: number }): void {
      if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
      checkTps('options.tps', options.tps);
      if (generator === undefined) throw new TypeError(`the source is ${sourceConfig.kind}, not the generator`);
      generator.setTps(options.tps);
      targetTps = options.tps;
    },
    setThresholds(thresholds: { review: number; decline: number }): void {
      engine.setThresholds({ review: thresholds.review, decline: thresholds.decline });
    },
    injectScenario(kind: ScenarioKind): number {
      if (generator === undefined) throw new TypeError(`the source is ${sourceConfig.kind}, not the generator`);
      return generator.inject(kind);
    },
    drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents {
      return engine.drainEvents(maxFeed, maxAlerts);
    },
    telemetry: () => engine.telemetry(),
    holdingBack: () => (cases !== undefined && cases.writer.full ? "the case store is behind: the case writer's queue is full" : undefined),
    cases: cases?.writer,
    queryDecisions: cases === undefined ? undefined : (query) => cases.decisions.query(query),
    setRules(rules: string): RulesInfo {
      return engine.setRules(rules);
    },
    swapBundle(bundle: string): BundleInfo {
      return engine.swapBundle(bundle);
    },
    ruleStats(): RulesInfo {
      return engine.ruleStats();
    },
    liveConfig: () => engine.liveConfig(),
    close(): Promise<void> {
      closing ??= (async () => {
        source.stop();
        rulesFile?.close();
        // Drain, then the final checkpoint covers every decision: a restart resumes exactly here.
        await engine.drain();
        shadowLog?.close();
        await durability?.close();
        await servedLogs?.close();
        await engine.close();
        await cases?.close();
      })();
      return closing;
    },
  };

  if (config.autoStart === true) await system.start();
  return system;
}

/** Opens the served-feature and label logs beside the decision log, cut back to what recovery kept. */
function openServedLogs(engine: Engine, durability: Durability, config: DurabilityConfig, sourceKind: 'generator' | 'replay', cardRefSecret: Buffer): ServedLogs {
  return ServedLogs.open(
    engine,
    {
      dataDir: durability.dataDir,
      featureSample: config.featureLogSample ?? DEFAULT_FEATURE_LOG_SAMPLE,
      ...(config.labelLog === undefined ? {} : { labels: config.labelLog }),
      labelSource: sourceKind,
      cardRefSecret,
      modelVersion: () => engine.currentModelVersion,
    },
    durability.logRecords(),
    () => durability.logRecords(),
  );
}
