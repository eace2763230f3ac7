import type { BundleInfo } from '@fraudstream/scorer';
/**
 * What each scorer generation was: the version label its decisions carry and the names of its live rules. The
 * scorer writes the generation that decided into every result (bytes 12-15); the engine records here, on the main
 * thread, what each swap (bundle, rules, model) made live, and the accountant reads it back per result.
 */
export interface GenerationInfo {
  /** The version label decisions of this generation carry (a bundle's `name@hash`, or the model version). */
  version: string;
  /** Names of the live rules, by the index a result's rule byte holds. */
  rules: readonly string[];
}

/** Where the live rules text came from: a `setRules` call (the API), the watched rules file, a bundle, or nothing yet. */
export type RulesOrigin = 'api' | 'file' | 'bundle' | 'none';

/** The live rules text and bundle as last set (what `GET /api/rules` and `GET /api/bundle` serve). */
export interface LiveConfig {
  /** The rules text in force ('' when none); a bundle's `rules` field after a bundle swap. */
  rulesText: string;
  rulesOrigin: RulesOrigin;
  /** The live bundle; undefined when none was loaded (rules set since then leave it as the base). */
  bundle: BundleInfo | undefined;
  /** The version label decisions of the live generation carry (filled by the engine's `liveConfig`). */
  version?: string;
}

/** The live config after `bundle` (its JSON text, already loaded by the scorer as `info`). */
export function bundleConfig(bundle: string, info: BundleInfo): LiveConfig {
  const doc = JSON.parse(bundle) as { rules?: unknown };
  return { rulesText: typeof doc.rules === 'string' ? doc.rules : '', rulesOrigin: 'bundle', bundle: info };
}

/** Generations remembered: far more than can be in flight (at most `maxInFlightBatches` batches). */
const KEEP = 1024;

/** The generations seen, bounded (the oldest are forgotten); the latest is the live one. */
export class LiveVersions {
  private readonly byGeneration = new Map<number, GenerationInfo>();
  private latest: GenerationInfo;

  constructor(generation: number, info: GenerationInfo) {
    this.latest = info;
    this.byGeneration.set(generation, info);
  }

  /** Records what `generation` is. */
  set(generation: number, info: GenerationInfo): void {
    this.byGeneration.set(generation, info);
    this.latest = info;
    if (this.byGeneration.size > KEEP) {
      const oldest = this.byGeneration.keys().next().value;
      if (oldest !== undefined) this.byGeneration.delete(oldest);
    }
  }

  /** The live generation's info. */
  get live(): GenerationInfo {
    return this.latest;
  }

  /** What `generation` was; the live one for 0 (the fallback) and for a generation too old to be remembered. */
  of(generation: number): GenerationInfo {
    return this.byGeneration.get(generation) ?? this.latest;
  }

  /** Whether `generation` is remembered. */
  has(generation: number): boolean {
    return this.byGeneration.has(generation);
  }
}
