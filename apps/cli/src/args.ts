import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` against `options`; unknown flags and stray positionals are usage errors. */
export function parse<T extends Options>(argv: string[], options: T): Record<keyof T | 'help', string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
    return values as unknown as Record<keyof T | 'help', string | boolean | undefined>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Reads a numeric option within bounds; a bad value is a usage error naming the flag. */
export function num(value: unknown, flag: string, min: number, max: number, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return v;
}

/** Reads a YYYY-MM-DD date option as epoch ms (UTC midnight). */
export function date(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  const ms = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`--${flag} must be a date YYYY-MM-DD`);
  }
  return ms;
}

/** Reads a string option that must be present. */
export function required(value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}
