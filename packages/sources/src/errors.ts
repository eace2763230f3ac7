import type { ValidationError } from '@fraudstream/schema';

/** Thrown for invalid source options of the wrong type (a TypeError, so callers can tell misuse from data errors). */
export class SourceOptionsTypeError extends TypeError {
  override name = 'SourceOptionsTypeError';
}

/** Thrown for source options out of range (a RangeError). */
export class SourceOptionsRangeError extends RangeError {
  override name = 'SourceOptionsRangeError';
}

/** A CSV file whose header cannot be read (a required column is missing): the whole file is unusable. */
export class CsvHeaderError extends Error {
  override name = 'CsvHeaderError';
  /** The validation error naming the missing column. */
  readonly validation: ValidationError;

  constructor(path: string, validation: ValidationError) {
    super(`${path}: ${validation.message}`);
    this.validation = validation;
  }
}

/** Returns `value` when it is a number, else throws a TypeError naming `name`. */
function requireNumber(value: unknown, name: string, what: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new SourceOptionsTypeError(`${name} must be ${what}`);
  }
  return value;
}

/** Validates a positive finite number (`options.tps must be a positive number`). */
export function positiveNumber(value: unknown, name: string): number {
  const v = requireNumber(value, name, 'a positive number');
  if (!(v > 0) || !Number.isFinite(v)) throw new SourceOptionsRangeError(`${name} must be a positive number`);
  return v;
}

/** Validates a finite number >= 0. */
export function nonNegativeNumber(value: unknown, name: string): number {
  const v = requireNumber(value, name, 'a non-negative number');
  if (!(v >= 0) || !Number.isFinite(v)) throw new SourceOptionsRangeError(`${name} must be a non-negative number`);
  return v;
}

/** Validates an integer in [min, max]. */
export function integerInRange(value: unknown, name: string, min: number, max: number): number {
  const v = requireNumber(value, name, `an integer from ${min} to ${max}`);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new SourceOptionsRangeError(`${name} must be an integer from ${min} to ${max}`);
  }
  return v;
}

/** Validates a number in [min, max]. */
export function numberInRange(value: unknown, name: string, min: number, max: number): number {
  const v = requireNumber(value, name, `a number from ${min} to ${max}`);
  if (!(v >= min && v <= max)) throw new SourceOptionsRangeError(`${name} must be a number from ${min} to ${max}`);
  return v;
}

/** Validates a boolean. */
export function booleanOption(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new SourceOptionsTypeError(`${name} must be a boolean`);
  return value;
}

/** Validates a non-empty string. */
export function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new SourceOptionsTypeError(`${name} must be a non-empty string`);
  return value;
}

/** Validates a function. */
export function functionOption<T>(value: unknown, name: string): T {
  if (typeof value !== 'function') throw new SourceOptionsTypeError(`${name} must be a function`);
  return value as T;
}
