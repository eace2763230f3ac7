import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { native } from './native.js';

/** Score thresholds: scores at or above `review` are at least REVIEW, at or above `decline` DECLINE. */
export interface Thresholds {
  review: number;
  decline: number;
}

/** Options of a scorer; every field defaults to {@link scorerDefaults}. */
export interface ScorerOptions {
  /** Initial thresholds, `0 <= review <= decline <= 1`. */
  thresholds?: Thresholds;
  /** Delay of the terminal risk windows, whole days from 0 to `scorerDefaults.labelDelayDaysMax`. */
  labelDelayDays?: number;
  /** Rule parameters: `HIGH_AMOUNT` fires above `highAmount`, `VELOCITY_1D` above `velocity1d` card tx today. */
  rules?: { highAmount?: number; velocity1d?: number };
}

/** The scorer's defaults and limits, as the Rust core defines them. */
export interface ScorerDefaults {
  readonly thresholds: Readonly<Thresholds>;
  readonly labelDelayDays: number;
  readonly labelDelayDaysMax: number;
  readonly rules: { readonly highAmount: number; readonly velocity1d: number };
}

const d = native.scorerDefaults();

/** The scorer's defaults and limits, read from Rust at load (not restated here). */
export const scorerDefaults: ScorerDefaults = Object.freeze({
  thresholds: Object.freeze({ review: d.thresholds.review, decline: d.thresholds.decline }),
  labelDelayDays: d.labelDelayDays,
  labelDelayDaysMax: d.labelDelayDaysMax,
  rules: Object.freeze({ highAmount: d.rules.highAmount, velocity1d: d.rules.velocity1d }),
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws unless `t` is `{ review, decline }` with `0 <= review <= decline <= 1`: a TypeError for a wrong shape, a
 * RangeError naming `name` otherwise. The range rule itself is Rust's (`Thresholds::new`), the one definition.
 */
export function checkThresholds(t: unknown, name = 'thresholds'): asserts t is Thresholds {
  if (!isObject(t)) throw new TypeError(`${name} must be an object { review, decline }`);
  for (const k of ['review', 'decline'] as const) {
    if (typeof t[k] !== 'number') throw new TypeError(`${name}.${k} must be a number`);
  }
  try {
    native.checkThresholds(t.review as number, t.decline as number);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new RangeError(message.replace(/^thresholds/, name));
  }
}

const OPTION_KEYS = new Set(['thresholds', 'labelDelayDays', 'rules']);
const RULE_KEYS = new Set(['highAmount', 'velocity1d']);

/**
 * Checks the shape of scorer options (types and known keys, each error naming the option) and returns them in
 * the addon's form; ranges are checked by Rust (`ScorerConfig::from_options`).
 */
export function toNativeOptions(options: ScorerOptions | undefined): ScorerOptions | undefined {
  if (options === undefined || options === null) return undefined;
  if (!isObject(options)) throw new TypeError('options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw new TypeError(`options.${k} is not a scorer option (expected ${[...OPTION_KEYS].join(', ')})`);
  }
  const out: ScorerOptions = {};
  if (options.thresholds !== undefined) {
    checkThresholds(options.thresholds, 'options.thresholds');
    out.thresholds = { review: options.thresholds.review, decline: options.thresholds.decline };
  }
  if (options.labelDelayDays !== undefined) {
    if (typeof options.labelDelayDays !== 'number') throw new TypeError('options.labelDelayDays must be a number');
    out.labelDelayDays = options.labelDelayDays;
  }
  if (options.rules !== undefined) {
    const rules: unknown = options.rules;
    if (!isObject(rules)) throw new TypeError('options.rules must be an object');
    out.rules = {};
    for (const [k, v] of Object.entries(rules)) {
      if (!RULE_KEYS.has(k)) throw new TypeError(`options.rules.${k} is not a rule option (expected ${[...RULE_KEYS].join(', ')})`);
      if (v === undefined) continue;
      if (typeof v !== 'number') throw new TypeError(`options.rules.${k} must be a number`);
      out.rules[k as 'highAmount' | 'velocity1d'] = v;
    }
  }
  return out;
}

/** Calls the addon with checked options; its range errors (`options.x must ...`) become RangeErrors. */
export function withOptions<T>(options: ScorerOptions | undefined, call: (o: ScorerOptions | undefined) => T): T {
  const o = toNativeOptions(options);
  try {
    return call(o);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('options.')) throw new RangeError(err.message);
    throw err;
  }
}

const MAX_VERSION_LENGTH = 128;

/**
 * The one model-version rule: the model's own `version` field when it is a string of 1 to 128 characters, else
 * `<file name without extension>@<first 12 hex digits of the sha256 of the text>`, so two different files never
 * report the same version.
 */
export function modelVersionOf(path: string, text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) {
      const { version } = parsed;
      if (typeof version === 'string' && version.length > 0 && version.length <= MAX_VERSION_LENGTH) return version;
    }
  } catch {
    // Not ours to judge: loading the model reports a malformed one with a precise error.
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return `${basename(path, extname(path))}@${hash}`;
}
