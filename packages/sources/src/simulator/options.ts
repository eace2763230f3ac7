import { integerInRange, numberInRange, SourceOptionsRangeError, SourceOptionsTypeError } from '../errors.js';

/** Parameters of the transaction simulator; every field is optional (defaults: the handbook's dataset). */
export interface SimulatorOptions {
  /** Number of customers (cards), default 5000. */
  customers?: number;
  /** Number of terminals, default 10000. */
  terminals?: number;
  /** Number of simulated days, default 183 (the live generator defaults to Infinity: it runs forever). */
  days?: number;
  /** First simulated day, `YYYY-MM-DD` (UTC midnight), default `2018-04-01`. */
  start?: string;
  /** PRNG seed (any safe integer), default 0. */
  seed?: number;
  /** Radius (on the 100 x 100 map) within which a customer uses terminals, default 5. */
  radius?: number;
  /**
   * Fraud scenarios: `all` (default) = the handbook's three plus card testing (4), impossible travel (5) and account
   * takeover (6), and the extra fields (MCC, channel, card present, country, location) in the CSV;
   * `handbook` = the handbook's three only and its nine CSV columns (the handbook's simulator alone).
   */
  scenarios?: 'all' | 'handbook';
}

/** {@link SimulatorOptions} with every default filled in and checked. */
export interface ResolvedSimulatorOptions {
  readonly customers: number;
  readonly terminals: number;
  readonly days: number;
  readonly start: string;
  /** `start` as epoch milliseconds. */
  readonly startMs: number;
  readonly seed: number;
  readonly radius: number;
  readonly scenarios: 'all' | 'handbook';
}

/** The handbook's defaults. */
export const SIMULATOR_DEFAULTS = {
  customers: 5000,
  terminals: 10000,
  days: 183,
  start: '2018-04-01',
  seed: 0,
  radius: 5,
  scenarios: 'all',
} as const;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` as UTC midnight; NaN when it is not a real date in 1970..2199. */
export function parseStartDate(text: string): number {
  const m = DATE_RE.exec(text);
  if (m === null) return Number.NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12 || d < 1) return Number.NaN;
  const ms = Date.UTC(y, mo - 1, d);
  return new Date(ms).getUTCDate() === d ? ms : Number.NaN;
}

/** Fills defaults and validates (TypeError for a wrong type, RangeError for a bad value). */
export function resolveSimulatorOptions(
  options: SimulatorOptions,
  defaultDays: number = SIMULATOR_DEFAULTS.days,
  prefix = 'options',
): ResolvedSimulatorOptions {
  if (typeof options !== 'object' || options === null) throw new SourceOptionsTypeError(`${prefix} must be an object`);
  const d = SIMULATOR_DEFAULTS;
  const customers = integerInRange(options.customers ?? d.customers, `${prefix}.customers`, 1, 10_000_000);
  const terminals = integerInRange(options.terminals ?? d.terminals, `${prefix}.terminals`, 1, 10_000_000);
  const daysRaw = options.days ?? defaultDays;
  const days = daysRaw === Infinity ? Infinity : integerInRange(daysRaw, `${prefix}.days`, 1, 1_000_000);
  const start = options.start ?? SIMULATOR_DEFAULTS.start;
  if (typeof start !== 'string') throw new SourceOptionsTypeError(`${prefix}.start must be a YYYY-MM-DD string`);
  const startMs = parseStartDate(start);
  if (Number.isNaN(startMs)) {
    throw new SourceOptionsRangeError(`${prefix}.start must be a YYYY-MM-DD date in 1970..2199`);
  }
  const seed = integerInRange(options.seed ?? SIMULATOR_DEFAULTS.seed, `${prefix}.seed`, -(2 ** 53 - 1), 2 ** 53 - 1);
  const radius = numberInRange(options.radius ?? SIMULATOR_DEFAULTS.radius, `${prefix}.radius`, 0.01, 150);
  const scenarios = options.scenarios ?? SIMULATOR_DEFAULTS.scenarios;
  if (scenarios !== 'all' && scenarios !== 'handbook') {
    throw new SourceOptionsRangeError(`${prefix}.scenarios must be 'all' or 'handbook'`);
  }
  return { customers, terminals, days, start, startMs, seed, radius, scenarios };
}
