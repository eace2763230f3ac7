import type { ValidationError } from './types.js';

/** Counts rejected inputs by field and keeps the last few errors, for stats and `/api/stats`. Bounded memory. */
export class RejectionLog {
  readonly byField = new Map<string, number>();
  readonly recent: ValidationError[] = [];
  total = 0;

  constructor(private readonly keep = 20) {}

  add(error: ValidationError): void {
    this.total++;
    // Field names come from our own validators, a closed set, so this map stays small.
    this.byField.set(error.field, (this.byField.get(error.field) ?? 0) + 1);
    this.recent.push(error);
    if (this.recent.length > this.keep) this.recent.shift();
  }
}
