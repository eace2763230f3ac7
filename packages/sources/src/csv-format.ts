import { CSV_COLUMNS, formatCsvDateTime } from '@fraudstream/schema';
import type { DayBatch } from './simulator/day-batch.js';
import { DAY_SECONDS } from './simulator/simulator.js';

/** The CSV header line (the handbook's column order), with its newline. */
export const CSV_HEADER_LINE = `${CSV_COLUMNS.join(',')}\n`;
/** The extra columns the generator writes after the handbook's with `scenarios: 'all'`. */
export const CSV_EXTRA_COLUMNS = ['MCC', 'CHANNEL', 'CARD_PRESENT', 'COUNTRY', 'LAT', 'LON'] as const;
/** The header line with the extra columns. */
export const CSV_HEADER_LINE_EXTENDED = `${[...CSV_COLUMNS, ...CSV_EXTRA_COLUMNS].join(',')}\n`;

let clock: string[] | undefined;

/** `HH:MM:SS` for every second of a day, built once (86400 short strings) so rows never format dates. */
function clockTable(): string[] {
  if (clock !== undefined) return clock;
  const p2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
  const table = new Array<string>(DAY_SECONDS);
  for (let s = 0; s < DAY_SECONDS; s++) {
    table[s] = `${p2(Math.floor(s / 3600))}:${p2(Math.floor(s / 60) % 60)}:${p2(s % 60)}`;
  }
  clock = table;
  return table;
}

/**
 * Formats rows `from .. to - 1` of a day as CSV interchange lines (each ending in `\n`); with `terminalCsv` (the
 * population's per-terminal suffixes) each line also gets the extra columns.
 */
export function formatDayRows(batch: DayBatch, from: number, to: number, terminalCsv?: readonly string[]): string {
  const table = clockTable();
  const date = `${formatCsvDateTime(batch.dayStartMs).slice(0, 10)} `;
  const daySeconds = batch.day * DAY_SECONDS;
  const day = batch.day;
  let out = '';
  for (let i = from; i < to; i++) {
    const t = batch.timeSec[i]!;
    out +=
      `${batch.firstId + i},${date}${table[t]},${batch.customer[i]},${batch.terminal[i]},` +
      `${batch.amount[i]!.toFixed(2)},${daySeconds + t},${day},${batch.fraud[i]},${batch.scenario[i]}` +
      `${terminalCsv === undefined ? '' : terminalCsv[batch.terminal[i]!]}\n`;
  }
  return out;
}
