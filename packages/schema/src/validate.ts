import { Limits } from './limits.js';
import { CHANNEL_NAMES, type ChannelName } from './record.js';
import { parseTimestamp } from './timestamp.js';
import type { Label, Transaction, Validated, ValidationError } from './types.js';

const CURRENCY_RE = /^[A-Z]{3}$/;
const COUNTRY_RE = /^[A-Z]{2}$/;

function fail(code: ValidationError['code'], field: string, message: string): { ok: false; error: ValidationError } {
  return { ok: false, error: { code, field, message } };
}

function checkId(obj: Record<string, unknown>, field: string): string | ValidationError {
  const v = obj[field];
  if (v === undefined || v === null || v === '') return { code: 'missing', field, message: `${field} is required` };
  // Numeric ids are common in exported data (the handbook's TRANSACTION_ID is an integer); accept and canonicalise.
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v !== 'string') return { code: 'type', field, message: `${field} must be a string` };
  if (v.length > Limits.maxIdLength) {
    return { code: 'too_long', field, message: `${field} must be at most ${Limits.maxIdLength} characters` };
  }
  return v;
}

function isError(v: unknown): v is ValidationError {
  return typeof v === 'object' && v !== null;
}

/**
 * Validates one transaction from JSON (HTTP, Kafka) into a {@link Transaction}, or an error naming the first bad
 * field. Unknown fields are ignored so producers can send more than we read. Never throws.
 */
export function validateTransaction(input: unknown): Validated<Transaction> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('type', '$', 'a transaction must be a JSON object');
  }
  const obj = input as Record<string, unknown>;
  const id = checkId(obj, 'id');
  if (isError(id)) return { ok: false, error: id };
  const cardId = checkId(obj, 'cardId');
  if (isError(cardId)) return { ok: false, error: cardId };
  const terminalId = checkId(obj, 'terminalId');
  if (isError(terminalId)) return { ok: false, error: terminalId };

  const amount = obj.amount;
  if (amount === undefined || amount === null) return fail('missing', 'amount', 'amount is required');
  if (typeof amount !== 'number') return fail('type', 'amount', 'amount must be a number');
  if (!Number.isFinite(amount)) return fail('range', 'amount', 'amount must be finite');
  if (amount < 0) return fail('range', 'amount', 'amount must not be negative');
  if (amount > Limits.maxAmount) return fail('range', 'amount', `amount must be at most ${Limits.maxAmount}`);

  let currency = 'EUR';
  if (obj.currency !== undefined) {
    if (typeof obj.currency !== 'string' || !CURRENCY_RE.test(obj.currency)) {
      return fail('format', 'currency', 'currency must be an ISO 4217 code of 3 upper-case letters');
    }
    currency = obj.currency;
  }

  if (obj.timestamp === undefined || obj.timestamp === null) {
    return fail('missing', 'timestamp', 'timestamp is required');
  }
  if (typeof obj.timestamp !== 'string' && typeof obj.timestamp !== 'number') {
    return fail('type', 'timestamp', 'timestamp must be an ISO 8601 string or epoch milliseconds');
  }
  const timestampMs = parseTimestamp(obj.timestamp);
  if (Number.isNaN(timestampMs)) {
    return fail('format', 'timestamp', 'timestamp is not a valid ISO 8601 date-time or epoch ms in 1970..2200');
  }

  const tx: Transaction = { id, cardId, terminalId, amount, currency, timestampMs };

  if (obj.mcc !== undefined) {
    if (typeof obj.mcc !== 'number' || !Number.isInteger(obj.mcc) || obj.mcc < 0 || obj.mcc > 9999) {
      return fail('range', 'mcc', 'mcc must be an integer from 0 to 9999');
    }
    tx.mcc = obj.mcc;
  }
  if (obj.channel !== undefined) {
    if (typeof obj.channel !== 'string' || !CHANNEL_NAMES.includes(obj.channel as ChannelName)) {
      return fail('unknown_value', 'channel', `channel must be one of ${CHANNEL_NAMES.join(', ')}`);
    }
    tx.channel = obj.channel as ChannelName;
  }
  if (obj.cardPresent !== undefined) {
    if (typeof obj.cardPresent !== 'boolean') return fail('type', 'cardPresent', 'cardPresent must be a boolean');
    tx.cardPresent = obj.cardPresent;
  }
  if (obj.country !== undefined) {
    if (typeof obj.country !== 'string' || !COUNTRY_RE.test(obj.country)) {
      return fail('format', 'country', 'country must be an ISO 3166 alpha-2 code of 2 upper-case letters');
    }
    tx.country = obj.country;
  }
  for (const [field, bound] of [
    ['lat', 90],
    ['lon', 180],
  ] as const) {
    const v = obj[field];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > bound) {
      return fail('range', field, `${field} must be a number from -${bound} to ${bound}`);
    }
    tx[field] = v;
  }
  return { ok: true, value: tx };
}

/** Validates one label `{ id, fraud }`. Never throws. */
export function validateLabel(input: unknown): Validated<Label> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('type', '$', 'a label must be a JSON object');
  }
  const obj = input as Record<string, unknown>;
  const id = checkId(obj, 'id');
  if (isError(id)) return { ok: false, error: id };
  if (typeof obj.fraud !== 'boolean') {
    return obj.fraud === undefined
      ? fail('missing', 'fraud', 'fraud is required')
      : fail('type', 'fraud', 'fraud must be a boolean');
  }
  return { ok: true, value: { id, fraud: obj.fraud } };
}

/**
 * Parses and validates one JSON document (a request body, a Kafka message value). Oversized or malformed JSON is a
 * validation error on field `$`, never an exception.
 */
export function parseTransactionJson(text: string): Validated<Transaction> {
  if (text.length > Limits.maxJsonBytes) {
    return fail('too_long', '$', `a transaction document must be at most ${Limits.maxJsonBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('malformed', '$', 'the document is not valid JSON');
  }
  return validateTransaction(parsed);
}
