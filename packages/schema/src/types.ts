import type { ChannelName, DecisionName } from './record.js';

/** A validated card transaction, as sources hand it to the engine. */
export interface Transaction {
  /** Transaction id, 1..64 characters. */
  id: string;
  /** Card token (never a raw card number), 1..64 characters. */
  cardId: string;
  /** Terminal id, 1..64 characters. */
  terminalId: string;
  /** Amount in major units, finite, 0..1e9. */
  amount: number;
  /** ISO 4217 alpha-3, upper case; EUR when the input has none. */
  currency: string;
  /** Event time, epoch milliseconds. */
  timestampMs: number;
  mcc?: number;
  channel?: ChannelName;
  cardPresent?: boolean;
  /** ISO 3166 alpha-2, upper case. */
  country?: string;
  lat?: number;
  lon?: number;
}

/** A late label (chargeback or confirmation) for a transaction. */
export interface Label {
  id: string;
  fraud: boolean;
}

/** The engine's verdict on one transaction. */
export interface Decision {
  id: string;
  score: number;
  decision: DecisionName;
  reasons: string[];
  latencyUs: number;
  modelVersion: string;
}

/** Why an input was rejected: a stable code, the field at fault and a human sentence naming it. */
export interface ValidationError {
  code: 'missing' | 'type' | 'range' | 'format' | 'too_long' | 'unknown_value' | 'malformed';
  field: string;
  message: string;
}

/** The outcome of validating one input, discriminated by `ok`. */
export type Validated<T> = { ok: true; value: T } | { ok: false; error: ValidationError };
