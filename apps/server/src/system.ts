import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Engine, defaultModelPath } from '@fraudstream/engine';
import { CsvReplay, LiveGenerator, type SourceState } from '@fraudstream/sources';
import type { DrainedEvents, FraudSystem, ScenarioKind, Stats } from './fraud-system.js';
import { checkTps, validateSystemConfig, type SystemConfig } from './system-config.js';

export type { SourceConfig, SystemConfig } from './system-config.js';

/** What the system needs of a source (both sources share the paced-source loop). */
interface Source {
  start(): void;
  stop(): void;
  /** True between start() and stop() or the end of the input. */
  readonly running: boolean;
  /** Lifecycle state and, when the input failed, why (a bad CSV header, an unreadable file). */
  stats(): { state: SourceState; error: Error | undefined };
}

/**
 * The model's version string: its own `version` field when it has one, else `<file name>@<first 12 hex of
 * sha256>`, so two different files never report the same version.
 */
function modelVersionOf(path: string, text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'version' in parsed) {
      const { version } = parsed;
      if (typeof version === 'string' && version.length > 0 && version.length <= 128) return version;
    }
  } catch {
    // Not ours to judge: the engine reports a malformed model with a precise error.
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `${basename(path, extname(path))}@${hash}`;
}

/** Composes the engine and a source into the `FraudSystem` the server drives. */
export async function createSystem(config: SystemConfig): Promise<FraudSystem> {
  validateSystemConfig(config);
  const modelPath = config.modelPath ?? defaultModelPath();
  const modelJson = await readFile(modelPath, 'utf8');
  const engine = await Engine.create({
    modelJson,
    modelVersion: modelVersionOf(modelPath, modelJson),
    ...(config.workers === undefined ? {} : { workers: config.workers }),
    ...(config.thresholds === undefined ? {} : { thresholds: config.thresholds }),
  });

  const createdMs = performance.now();
  const sourceConfig = config.source;
  let targetTps = sourceConfig.tps === 'max' ? 0 : sourceConfig.tps;
  let generator: LiveGenerator | undefined;
  let source: Source;
  if (sourceConfig.kind === 'generator') {
    generator = new LiveGenerator({
      sink: engine.sink,
      tps: sourceConfig.tps,
      labels: true,
      ...(sourceConfig.seed === undefined ? {} : { seed: sourceConfig.seed }),
    });
    source = generator;
  } else {
    source = new CsvReplay({
      sink: engine.sink,
      path: sourceConfig.path,
      tps: sourceConfig.tps,
      labels: true,
    });
  }

  const sourceStats = (): Stats['source'] => {
    const { state, error } = source.stats();
    const out: Stats['source'] = { kind: sourceConfig.kind, targetTps, state, ...(error === undefined ? {} : { error: error.message }) };
    if (generator !== undefined) {
      const { injected, pendingInjected } = generator.stats();
      out.injected = injected;
      out.pendingInjected = pendingInjected;
    }
    return out;
  };

  let closing: Promise<void> | undefined;
  const system: FraudSystem = {
    stats(): Stats {
      return {
        running: source.running,
        uptimeS: Math.round((performance.now() - createdMs) / 100) / 10,
        source: sourceStats(),
        ...engine.stats(),
      };
    },
    async start(): Promise<void> {
      if (closing !== undefined) throw new Error('the system is closed');
      // A no-op when already running, or when a replay has reached the end of its file.
      source.start();
    },
    async stop(): Promise<void> {
      source.stop();
      await engine.drain();
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
    close(): Promise<void> {
      closing ??= (async () => {
        source.stop();
        await engine.close();
      })();
      return closing;
    },
  };

  if (config.autoStart === true) await system.start();
  return system;
}
