import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import {
  CardRefHasher,
  DecisionLog,
  decisionLogDir,
  defaultDataDir,
  loadOrCreateSecret,
  SECRET_FILE,
  type DecisionQuery,
  type StoredDecision,
} from '@fraudstream/store';
import { shadowLogDir } from '@fraudstream/system';
import { num, parse, required, UsageError } from '../args.js';

export const help = `Usage: fraudstream decisions [--data-dir DIR] [options]

Prints decisions from the durable decision log in DIR/decisions, newest first. Reads only: it can run while
'fraudstream start' writes the same data dir. Times are event times: --since T includes T, --until T excludes it.

Options:
  --data-dir DIR       the data dir given to 'fraudstream start' (default, like start's: \$XDG_DATA_HOME/fraudstream
                       or ~/.local/share/fraudstream)
  --since T            first event time: YYYY-MM-DD, an ISO 8601 date-time (UTC unless it has an offset) or epoch ms
  --until T            end of the range (exclusive), same forms
  --decision D         APPROVE, REVIEW, DECLINE or ALERT (= REVIEW,DECLINE); a comma-separated list is allowed
  --card ID            only this card: the id is hashed with the deployment's secret first (never stored or printed)
  --secret-file FILE   the card-reference secret (default DIR/${SECRET_FILE}, created by 'start')
  --limit N            at most N decisions (default 100 for table, all for csv and json)
  --before CURSOR      continue after the last page (the cursor the table prints under a full page)
  --format F           table (default), csv or json (an array of objects)
  --no-header          csv without its header line (so 'wc -l' counts decisions)
  --shadow             the challenger's decisions instead (DIR/shadow-decisions, written while 'start' has a
                       challenger; model_version names the challenger bundle)

Columns: record (index in the log), decision_id (from the transaction id), transaction_id, event_time, score
(empty in CSV, null in JSON for a fallback decision made without a score), decision, reasons (';'-separated), model_version, card_ref (keyed hash of the card, 16 hex digits).
`;

const DECISIONS = ['APPROVE', 'REVIEW', 'DECLINE'] as const;
type Format = 'table' | 'csv' | 'json';

/** Runs `fraudstream decisions`; writes to `out` (stdout by default) and notes to `err`. */
export async function run(argv: string[], out: Writable = process.stdout, err: Writable = process.stderr): Promise<number> {
  const a = parse(argv, {
    'data-dir': { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    decision: { type: 'string' },
    card: { type: 'string' },
    'secret-file': { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
    format: { type: 'string' },
    'no-header': { type: 'boolean' },
    shadow: { type: 'boolean' },
  });
  if (a.help === true) {
    out.write(help);
    return 0;
  }
  const dataDir = a['data-dir'] === undefined ? defaultDataDir() : required(a['data-dir'], 'data-dir');
  const format = formatOf(a.format);
  if (a['no-header'] === true && format !== 'csv') throw new UsageError('--no-header applies to --format csv only');
  const since = timeOf(a.since, 'since');
  const until = timeOf(a.until, 'until');
  if (since !== undefined && until !== undefined && until <= since) throw new UsageError('--until must be after --since');
  const limit = a.limit === undefined ? (format === 'table' ? 100 : Infinity) : num(a.limit, 'limit', 1, 1_000_000_000, 100);
  if (a.before !== undefined && (typeof a.before !== 'string' || !/^\d{1,16}$/.test(a.before))) {
    throw new UsageError('--before must be a cursor printed under an earlier page');
  }
  const query: DecisionQuery = { since, until, decisions: decisionsOf(a.decision), before: a.before as string | undefined };
  if (a.card !== undefined) query.cardRef = cardRefOf(a.card, dataDir, a['secret-file']);

  const logDir = a.shadow === true ? shadowLogDir(dataDir) : decisionLogDir(dataDir);
  if (!existsSync(logDir)) throw new Error(`no decision log in ${dataDir} (expected ${logDir})`);
  const log = DecisionLog.open(logDir, { readOnly: true });
  try {
    if (log.recovery !== undefined) {
      const r = log.recovery;
      // A writer may be mid-block, or a crash left a torn tail that the next 'start' cuts: either way, not shown.
      err.write(`note: ${r.droppedBytes} bytes at the end of ${r.file} are not a complete block (${r.reason}); not shown\n`);
    }
    if (query.before !== undefined && Number(query.before) > log.records()) throw new UsageError('--before is past the end of this log');
    await print(log, query, limit, format, a['no-header'] !== true, out);
  } finally {
    log.close();
  }
  return 0;
}

async function print(log: DecisionLog, query: DecisionQuery, limit: number, format: Format, header: boolean, out: Writable): Promise<void> {
  let buffer = '';
  const write = async (s: string): Promise<void> => {
    buffer += s;
    if (buffer.length < 65536) return;
    const ok = out.write(buffer);
    buffer = '';
    if (!ok) await once(out, 'drain');
  };
  let n = 0;
  let last: StoredDecision | undefined;
  if (format === 'csv' && header) await write('record,decision_id,transaction_id,event_time,score,decision,reasons,model_version,card_ref\n');
  if (format === 'json') await write('[');
  if (format === 'table') {
    await write(`${pad('record', 10)} ${pad('event time (UTC)', 24)} ${pad('decision', 8)} ${pad('score', 6)} ${pad('transaction', 20)} ${pad('card ref', 16)} ${pad('model', 16)} reasons\n`);
  }
  for (const d of log.scan(query)) {
    if (n === limit) break;
    n++;
    last = d;
    const time = new Date(d.eventTimeMs).toISOString();
    if (format === 'csv') {
      await write(
        `${[d.record, d.decisionId, d.transactionId, time, Number.isNaN(d.score) ? '' : d.score.toFixed(6), d.decision, d.reasons.join(';'), d.modelVersion, d.cardRef].map(csvField).join(',')}\n`,
      );
    } else if (format === 'json') {
      const row = { record: d.record, decisionId: d.decisionId, transactionId: d.transactionId, eventTime: time, eventTimeMs: d.eventTimeMs, score: d.score, decision: d.decision, reasons: d.reasons, modelVersion: d.modelVersion, cardRef: d.cardRef };
      await write(`${n === 1 ? '\n' : ',\n'}${JSON.stringify(row)}`);
    } else {
      await write(
        `${pad(String(d.record), 10)} ${pad(time, 24)} ${pad(d.decision, 8)} ${pad(Number.isNaN(d.score) ? '-' : d.score.toFixed(4), 6)} ${pad(d.transactionId, 20)} ${d.cardRef} ${pad(d.modelVersion, 16)} ${d.reasons.join(', ')}\n`,
      );
    }
  }
  if (format === 'json') await write(n === 0 ? ']\n' : '\n]\n');
  if (format === 'table') {
    await write(n === 0 ? '(no decisions match)\n' : '');
    if (n === limit && last !== undefined && last.record > 0) await write(`${n} shown; older ones: --before ${last.record}\n`);
  }
  if (buffer.length > 0 && !out.write(buffer)) await once(out, 'drain');
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatOf(v: unknown): Format {
  if (v === undefined) return 'table';
  if (v === 'table' || v === 'csv' || v === 'json') return v;
  throw new UsageError('--format must be table, csv or json');
}

/** Reads a time flag: YYYY-MM-DD (UTC midnight), an ISO 8601 date-time, or epoch milliseconds. */
export function timeOf(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = typeof v === 'string' ? v.trim() : '';
  let ms = Number.NaN;
  if (/^\d{1,15}$/.test(s)) ms = Number(s);
  else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) ms = Date.parse(`${s}T00:00:00Z`);
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/.test(s)) {
    const iso = s.replace(' ', 'T');
    ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(iso) ? iso : `${iso}Z`);
  }
  if (!Number.isFinite(ms)) throw new UsageError(`--${flag} must be YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds`);
  return ms;
}

function decisionsOf(v: unknown): DecisionQuery['decisions'] {
  if (v === undefined) return undefined;
  const names = String(v)
    .toUpperCase()
    .split(',')
    .map((s) => s.trim())
    .flatMap((s) => (s === 'ALERT' ? ['REVIEW', 'DECLINE'] : [s]));
  for (const n of names) {
    if (!(DECISIONS as readonly string[]).includes(n)) throw new UsageError('--decision must be APPROVE, REVIEW, DECLINE or ALERT (or a comma-separated list)');
  }
  return [...new Set(names)] as DecisionQuery['decisions'];
}

function cardRefOf(card: unknown, dataDir: string, secretFile: unknown): string {
  // The card id is never echoed back, not even in an error.
  if (typeof card !== 'string' || card.length === 0 || card.length > 64) throw new UsageError('--card must be a card id of 1 to 64 characters');
  let secret: Buffer;
  if (secretFile !== undefined) {
    const text = existsSync(String(secretFile)) ? readFileSync(String(secretFile), 'utf8').trim() : '';
    if (!/^[0-9a-f]{32,256}$/.test(text)) throw new UsageError('--secret-file must name a file holding 32 to 256 hex digits');
    secret = Buffer.from(text, 'hex');
  } else {
    if (!existsSync(join(dataDir, SECRET_FILE))) {
      throw new UsageError(`--card needs the deployment's secret: ${join(dataDir, SECRET_FILE)} does not exist (give --secret-file)`);
    }
    secret = loadOrCreateSecret(dataDir, false);
  }
  return new CardRefHasher(secret, 1).refOf(card);
}
