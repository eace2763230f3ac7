import { Limits } from './limits.js';

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an event time: epoch milliseconds (number) or an ISO 8601 string (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`,
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, with an optional offset; no offset means UTC). Returns NaN when unparsable or out of
 * {@link Limits}.
 */
export function parseTimestamp(value: unknown): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    ms = parseIsoTimestamp(value);
  } else {
    return Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < Limits.minTimestampMs || ms > Limits.maxTimestampMs) return Number.NaN;
  return ms;
}

/** Parses the ISO 8601 subset described at {@link parseTimestamp}; NaN when it does not match or is not a real date. */
export function parseIsoTimestamp(text: string): number {
  if (text.length > 40) return Number.NaN;
  const m = ISO_RE.exec(text);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + fraction;
  // Date.UTC rolls 2018-02-30 over into March; a date that does not round-trip is not a real date.
  if (new Date(ms).getUTCDate() !== day) return Number.NaN;
  const zone = m[8];
  if (zone === undefined || zone === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return ms - sign * offsetMin * 60_000;
}

/** Formats epoch ms as the CSV interchange format's `YYYY-MM-DD HH:MM:SS` (UTC). */
export function formatCsvDateTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(
    d.getUTCMinutes(),
  )}:${p2(d.getUTCSeconds())}`;
}
