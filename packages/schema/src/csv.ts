import { Limits } from './limits.js';
import { CHANNEL_NAMES, type ChannelName } from './record.js';
import { parseTimestamp } from './timestamp.js';
import type { Transaction, Validated, ValidationError } from './types.js';

/**
 * Columns of the CSV interchange format: the Fraud Detection Handbook's simulated-data layout, so public data in
 * that format reads as is. The first five are required; the others are optional and defaulted when absent.
 */
export const CSV_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_TIME_SECONDS',
  'TX_TIME_DAYS',
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
] as const;

const REQUIRED = ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT'] as const;
const OPTIONAL = [
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
  'CURRENCY',
  'MCC',
  'CHANNEL',
  'CARD_PRESENT',
  'COUNTRY',
  'LAT',
  'LON',
] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/** Where each known column sits in a row (-1 when absent). Built once per file by {@link parseCsvHeader}. */
export type CsvHeader = { readonly [K in Column]: number } & { readonly width: number };

/** One parsed CSV row: the transaction and, when the file has them, its label and fraud scenario. */
export interface CsvRow {
  tx: Transaction;
  /** TX_FRAUD, when the column exists. */
  fraud: boolean | undefined;
  /** TX_FRAUD_SCENARIO, 0 when absent. */
  scenario: number;
}

function fail(code: ValidationError['code'], field: string, message: string): { ok: false; error: ValidationError } {
  return { ok: false, error: { code, field, message } };
}

/** Splits one CSV line; handles RFC 4180 quotes, which the interchange format itself never needs. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field);
  return out;
}

/** Reads the header line; an error names the first required column that is missing. */
export function parseCsvHeader(line: string): Validated<CsvHeader> {
  const names = splitCsvLine(line.replace(/^\uFEFF/, '').trimEnd()).map((n) => n.trim().toUpperCase());
  const header: Record<string, number> = { width: names.length };
  for (const col of [...REQUIRED, ...OPTIONAL]) header[col] = names.indexOf(col);
  for (const col of REQUIRED) {
    if (header[col] === -1) return fail('missing', col, `CSV header has no ${col} column`);
  }
  return { ok: true, value: header as unknown as CsvHeader };
}

function optionalNumber(
  fields: string[],
  at: number,
  field: string,
  min: number,
  max: number,
  integer: boolean,
): number | ValidationError | undefined {
  if (at < 0) return undefined;
  const text = fields[at]?.trim() ?? '';
  if (text === '') return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    return { code: 'range', field, message: `${field} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}` };
  }
  return v;
}

function isError(v: unknown): v is ValidationError {
  return typeof v === 'object' && v !== null;
}

function idField(fields: string[], at: number, field: string): string | ValidationError {
  const v = fields[at]?.trim() ?? '';
  if (v === '') return { code: 'missing', field, message: `${field} is empty` };
  if (v.length > Limits.maxIdLength) {
    return { code: 'too_long', field, message: `${field} must be at most ${Limits.maxIdLength} characters` };
  }
  return v;
}

/**
 * Parses one data line against its header into a transaction and label, or an error naming the column at fault.
 * Never throws.
 */
export function parseCsvRow(line: string, header: CsvHeader): Validated<CsvRow> {
  if (line.length > Limits.maxCsvLineLength) {
    return fail('too_long', '$', `a CSV line must be at most ${Limits.maxCsvLineLength} characters`);
  }
  const f = splitCsvLine(line);
  if (f.length < header.width) return fail('malformed', '$', `expected ${header.width} fields, got ${f.length}`);
  const id = idField(f, header.TRANSACTION_ID, 'TRANSACTION_ID');
  if (isError(id)) return { ok: false, error: id };
  const cardId = idField(f, header.CUSTOMER_ID, 'CUSTOMER_ID');
  if (isError(cardId)) return { ok: false, error: cardId };
  const terminalId = idField(f, header.TERMINAL_ID, 'TERMINAL_ID');
  if (isError(terminalId)) return { ok: false, error: terminalId };

  const amountText = f[header.TX_AMOUNT]?.trim() ?? '';
  if (amountText === '') return fail('missing', 'TX_AMOUNT', 'TX_AMOUNT is empty');
  const amount = Number(amountText);
  if (!Number.isFinite(amount)) return fail('range', 'TX_AMOUNT', 'TX_AMOUNT must be a finite number');
  if (amount < 0) return fail('range', 'TX_AMOUNT', 'TX_AMOUNT must not be negative');
  if (amount > Limits.maxAmount) return fail('range', 'TX_AMOUNT', `TX_AMOUNT must be at most ${Limits.maxAmount}`);

  const timestampMs = parseTimestamp(f[header.TX_DATETIME]?.trim() ?? '');
  if (Number.isNaN(timestampMs)) {
    return fail('format', 'TX_DATETIME', 'TX_DATETIME must be YYYY-MM-DD HH:MM:SS (or ISO 8601) in 1970..2200');
  }

  let currency = 'EUR';
  if (header.CURRENCY >= 0) {
    const c = f[header.CURRENCY]?.trim() ?? '';
    if (c !== '') {
      if (!/^[A-Z]{3}$/.test(c)) return fail('format', 'CURRENCY', 'CURRENCY must be 3 upper-case letters');
      currency = c;
    }
  }
  const tx: Transaction = { id, cardId, terminalId, amount, currency, timestampMs };

  const mcc = optionalNumber(f, header.MCC, 'MCC', 0, 9999, true);
  if (isError(mcc)) return { ok: false, error: mcc };
  if (mcc !== undefined) tx.mcc = mcc;
  if (header.CHANNEL >= 0) {
    const ch = f[header.CHANNEL]?.trim() ?? '';
    if (ch !== '') {
      if (!CHANNEL_NAMES.includes(ch as ChannelName)) {
        return fail('unknown_value', 'CHANNEL', `CHANNEL must be one of ${CHANNEL_NAMES.join(', ')}`);
      }
      tx.channel = ch as ChannelName;
    }
  }
  const present = optionalNumber(f, header.CARD_PRESENT, 'CARD_PRESENT', 0, 1, true);
  if (isError(present)) return { ok: false, error: present };
  if (present !== undefined) tx.cardPresent = present === 1;
  if (header.COUNTRY >= 0) {
    const c = f[header.COUNTRY]?.trim() ?? '';
    if (c !== '') {
      if (!/^[A-Z]{2}$/.test(c)) return fail('format', 'COUNTRY', 'COUNTRY must be 2 upper-case letters');
      tx.country = c;
    }
  }
  const lat = optionalNumber(f, header.LAT, 'LAT', -90, 90, false);
  if (isError(lat)) return { ok: false, error: lat };
  if (lat !== undefined) tx.lat = lat;
  const lon = optionalNumber(f, header.LON, 'LON', -180, 180, false);
  if (isError(lon)) return { ok: false, error: lon };
  if (lon !== undefined) tx.lon = lon;

  let fraud: boolean | undefined;
  if (header.TX_FRAUD >= 0) {
    const v = f[header.TX_FRAUD]?.trim() ?? '';
    if (v !== '0' && v !== '1') return fail('range', 'TX_FRAUD', 'TX_FRAUD must be 0 or 1');
    fraud = v === '1';
  }
  const scenario = optionalNumber(f, header.TX_FRAUD_SCENARIO, 'TX_FRAUD_SCENARIO', 0, 255, true);
  if (isError(scenario)) return { ok: false, error: scenario };
  return { ok: true, value: { tx, fraud, scenario: scenario ?? 0 } };
}
