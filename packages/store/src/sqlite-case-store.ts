import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  checkAlerts,
  checkAt,
  checkCaseId,
  checkCaseQuery,
  checkUpdate,
  type Case,
  type CaseAlert,
  type CaseEvent,
  type CasePage,
  type CaseQuery,
  type CaseStatus,
  type CaseStore,
  type CaseUpdate,
  caseCursor,
  type ParsedCaseQuery,
} from './case-types.js';
import { CaseConflictError, CaseNotFoundError } from './errors.js';

/** File name of the SQLite case store in the data dir. */
export const CASES_FILE = 'cases.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cases (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  transaction_id TEXT NOT NULL,
  card_ref TEXT NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('REVIEW', 'DECLINE')),
  score REAL,
  reasons TEXT NOT NULL,
  model_version TEXT NOT NULL,
  event_ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'confirmed_fraud', 'legitimate')),
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  note TEXT,
  version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status, seq);
CREATE INDEX IF NOT EXISTS cases_status_score ON cases (status, (COALESCE(score, -1)), seq);
CREATE INDEX IF NOT EXISTS cases_card ON cases (card_ref, seq);
CREATE TABLE IF NOT EXISTS case_events (
  case_id TEXT NOT NULL REFERENCES cases (id),
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT NOT NULL,
  note TEXT,
  PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS case_events_no_update BEFORE UPDATE ON case_events
  BEGIN SELECT RAISE(ABORT, 'the case audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS case_events_no_delete BEFORE DELETE ON case_events
  BEGIN SELECT RAISE(ABORT, 'the case audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS cases_opening_fixed BEFORE UPDATE OF seq, id, transaction_id, card_ref, decision, score, reasons, model_version, event_ms, opened_at ON cases
  BEGIN SELECT RAISE(ABORT, 'the case audit trail is append-only: a case''s opening cannot change'); END;
CREATE TRIGGER IF NOT EXISTS cases_no_delete BEFORE DELETE ON cases
  BEGIN SELECT RAISE(ABORT, 'the case audit trail is append-only: a case cannot be deleted'); END;
`;

interface CaseRow {
  seq: number;
  id: string;
  transaction_id: string;
  card_ref: string;
  decision: 'REVIEW' | 'DECLINE';
  score: number | null;
  reasons: string;
  model_version: string;
  event_ms: number;
  status: CaseStatus;
  opened_at: number;
  updated_at: number;
  updated_by: string;
  note: string | null;
  version: number;
  detail?: string | null;
  label_sealed?: string | null;
  label_run?: string | null;
  label_seq?: number | string | null;
}

/** Columns added after the first release of the case store (migrated in place by both backends). */
export const ADDED_COLUMNS: readonly [name: string, sqliteType: string, pgType: string][] = [
  ['detail', 'TEXT', 'TEXT'],
  ['label_sealed', 'TEXT', 'TEXT'],
  ['label_run', 'TEXT', 'TEXT'],
  ['label_seq', 'INTEGER', 'BIGINT'],
];

/**
 * The ORDER BY and cursor condition of a case query in `q.order` (placeholders `?`; the PostgreSQL store renumbers
 * them). Score order puts unscored cases (fallback decisions, score NULL) last, as score -1.
 */
export function caseOrderSql(q: ParsedCaseQuery): { orderBy: string; where: string | undefined; params: number[] } {
  const b = q.before;
  switch (q.order) {
    case 'oldest':
      return { orderBy: 'seq ASC', where: b === undefined ? undefined : 'seq > ?', params: b ?? [] };
    case 'score':
      return {
        orderBy: 'COALESCE(score, -1) DESC, seq DESC',
        where: b === undefined ? undefined : '(COALESCE(score, -1) < ? OR (COALESCE(score, -1) = ? AND seq < ?))',
        params: b === undefined ? [] : [b[0] as number, b[0] as number, b[1] as number],
      };
    default:
      return { orderBy: 'seq DESC', where: b === undefined ? undefined : 'seq < ?', params: b ?? [] };
  }
}

/** The `next` cursor of a page of rows (null when the page is not full). */
export function nextCursor(q: ParsedCaseQuery, rows: readonly { seq: number | string; score: number | null }[]): string | null {
  const last = rows[rows.length - 1];
  return rows.length === q.limit && last !== undefined ? caseCursor(q.order, Number(last.seq), last.score === null ? null : Number(last.score)) : null;
}

/** The detail and label columns of an alert, in {@link ADDED_COLUMNS} order. */
export function addedValues(a: CaseAlert): [string | null, string | null, string | null, number | null] {
  return [a.detail === undefined ? null : JSON.stringify(a.detail), a.labelRef?.sealed ?? null, a.labelRef?.run ?? null, a.labelRef?.seq ?? null];
}

/** Rows per multi-row INSERT when opening cases. */
const MULTI_ROWS = 64;
/** Values bound per inserted case row (the others are constants in the statement). */
const BOUND_PER_ROW = 14;

/** The INSERT of `rows` new open cases, idempotent by id (a replayed alert opens nothing). */
function insertSql(rows: number): string {
  const row = `(?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 'system', NULL, 1, ?, ?, ?, ?)`;
  return `INSERT INTO cases (id, transaction_id, card_ref, decision, score, reasons, model_version, event_ms, status, opened_at, updated_at, updated_by, note, version,
     detail, label_sealed, label_run, label_seq) VALUES ${new Array<string>(rows).fill(row).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

/**
 * The JSON of frozen reasons arrays, by identity: the case writer's worker hands the same frozen array for every alert
 * with the same reasons, so each distinct list is serialized once. (Only frozen arrays: a caller's mutable array could
 * change after it was cached.)
 */
const reasonsJson = new WeakMap<readonly string[], string>();

function reasonsText(reasons: readonly string[]): string {
  if (!Object.isFrozen(reasons)) return JSON.stringify(reasons);
  let text = reasonsJson.get(reasons);
  if (text === undefined) {
    text = JSON.stringify(reasons);
    reasonsJson.set(reasons, text);
  }
  return text;
}

/** Writes the bound values of one case row at `o` of `args`, in {@link insertSql}'s order. */
function bindRow(args: unknown[], o: number, a: CaseAlert, at: number): void {
  args[o] = a.decisionId;
  args[o + 1] = a.transactionId;
  args[o + 2] = a.cardRef;
  args[o + 3] = a.decision;
  args[o + 4] = Number.isNaN(a.score) ? null : a.score;
  args[o + 5] = reasonsText(a.reasons);
  args[o + 6] = a.modelVersion;
  args[o + 7] = a.eventTimeMs;
  args[o + 8] = at;
  args[o + 9] = at;
  args[o + 10] = a.detail === undefined ? null : JSON.stringify(a.detail);
  args[o + 11] = a.labelRef?.sealed ?? null;
  args[o + 12] = a.labelRef?.run ?? null;
  args[o + 13] = a.labelRef?.seq ?? null;
}

interface EventRow {
  case_id: string;
  seq: number;
  at: number;
  actor: string;
  from_status: CaseStatus | null;
  to_status: CaseStatus;
  note: string | null;
}

/** Maps a stored row to a {@link Case}. */
export function caseFromRow(r: Omit<CaseRow, 'seq'>): Case {
  return {
    id: r.id,
    decisionId: r.id,
    transactionId: r.transaction_id,
    cardRef: r.card_ref,
    decision: r.decision,
    score: r.score === null ? Number.NaN : Number(r.score),
    reasons: JSON.parse(r.reasons) as string[],
    modelVersion: r.model_version,
    eventTimeMs: Number(r.event_ms),
    status: r.status,
    openedAt: Number(r.opened_at),
    updatedAt: Number(r.updated_at),
    updatedBy: r.updated_by,
    note: r.note,
    version: Number(r.version),
    ...(r.detail == null ? {} : { detail: JSON.parse(r.detail) as Case['detail'] }),
    ...(r.label_sealed == null || r.label_run == null || r.label_seq == null
      ? {}
      : { labelRef: { sealed: r.label_sealed, run: r.label_run, seq: Number(r.label_seq) } }),
  };
}

/** Maps a stored audit row to a {@link CaseEvent}. */
export function eventFromRow(r: EventRow): CaseEvent {
  return { caseId: r.case_id, seq: Number(r.seq), at: Number(r.at), actor: r.actor, fromStatus: r.from_status, toStatus: r.to_status, note: r.note };
}

/**
 * The case store in a SQLite file (WAL), the default backend. An analyst's update is committed with
 * synchronous=FULL: durable when it returns. Opening cases (thousands a second at full rate, on the engine's main
 * thread) commits with synchronous=NORMAL: safe against a crash of the process (the WAL is written), made durable
 * against a power loss by {@link sync} (a WAL checkpoint), which the engine calls at each checkpoint, as it syncs the
 * decision log; cases opened after it are re-opened from the replayed decisions (openCases is idempotent).
 */
export class SqliteCaseStore implements CaseStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly openMany: (list: readonly CaseAlert[], at: number) => number;

  /** Opens (creating if needed) `file`, usually `DATA_DIR/cases.sqlite`. */
  constructor(readonly file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const have = new Set((this.db.prepare('PRAGMA table_info(cases)').all() as { name: string }[]).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) if (!have.has(name)) this.db.exec(`ALTER TABLE cases ADD COLUMN ${name} ${type}`);
    // Prepared once: opening cases runs thousands of times a second. Rows go in MULTI_ROWS at a time (one statement
    // call binds 64 rows), the rest one by one. The opening writes no case_events row: the trail's first event
    // (seq 1, 'system', null -> open, at opened_at) is the case row's opening columns, which triggers keep from
    // changing, and history() puts it first. (An audit row per case cost ~10 us of CPU per alert, 40 % of opening
    // it: a second B-tree keyed by a random id, written at full rate. Stores created before keep their seq 1 rows.)
    const multi = this.db.prepare(insertSql(MULTI_ROWS));
    const single = this.db.prepare(insertSql(1));
    const args: unknown[] = new Array<unknown>(MULTI_ROWS * BOUND_PER_ROW);
    const one: unknown[] = new Array<unknown>(BOUND_PER_ROW);
    const openMany = this.db.transaction((list: readonly CaseAlert[], at: number) => {
      let opened = 0;
      let i = 0;
      for (; i + MULTI_ROWS <= list.length; i += MULTI_ROWS) {
        for (let k = 0; k < MULTI_ROWS; k++) bindRow(args, k * BOUND_PER_ROW, list[i + k] as CaseAlert, at);
        opened += multi.run(args).changes;
      }
      for (; i < list.length; i++) {
        bindRow(one, 0, list[i] as CaseAlert, at);
        opened += single.run(one).changes;
      }
      return opened;
    });
    this.openMany = (list, at) => openMany(list, at);
  }

  /** Opens the store in a data dir. */
  static inDataDir(dataDir: string): SqliteCaseStore {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteCaseStore(join(dataDir, CASES_FILE));
  }

  async openCases(alerts: readonly CaseAlert[], at = Date.now()): Promise<number> {
    checkAlerts(alerts);
    checkAt(at);
    return this.openMany(alerts, at);
  }

  async get(id: string): Promise<Case | undefined> {
    checkCaseId(id);
    const row = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return row === undefined ? undefined : caseFromRow(row);
  }

  async list(query: CaseQuery = {}): Promise<CasePage> {
    const q = checkCaseQuery(query);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.status !== undefined) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.cardRef !== undefined) {
      where.push('card_ref = ?');
      params.push(q.cardRef);
    }
    const order = caseOrderSql(q);
    if (order.where !== undefined) {
      where.push(order.where);
      params.push(...order.params);
    }
    const sql = `SELECT * FROM cases ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.orderBy} LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, q.limit) as CaseRow[];
    return { cases: rows.map(caseFromRow), next: nextCursor(q, rows) };
  }

  async update(id: string, update: CaseUpdate, at = Date.now()): Promise<Case> {
    checkCaseId(id);
    const u = checkUpdate(update);
    checkAt(at);
    const run = this.db.transaction((): Case => {
      const row = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
      if (row === undefined) throw new CaseNotFoundError(`no case with id ${id}`);
      if (u.expectedVersion !== undefined && u.expectedVersion !== row.version) {
        throw new CaseConflictError(`case ${id} is at version ${row.version}, not ${u.expectedVersion}: reload it and try again`);
      }
      if (u.expectedStatus !== undefined && u.expectedStatus !== row.status) {
        throw new CaseConflictError(`case ${id} is ${row.status} (by ${row.updated_by}), not ${u.expectedStatus}: a verdict is final`);
      }
      const version = row.version + 1;
      const note = u.note === undefined ? row.note : u.note === '' ? null : u.note;
      this.db
        .prepare('UPDATE cases SET status = ?, updated_at = ?, updated_by = ?, note = ?, version = ? WHERE id = ?')
        .run(u.status, at, u.analyst, note, version, id);
      this.db
        .prepare('INSERT INTO case_events (case_id, seq, at, actor, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(id, version, at, u.analyst, row.status, u.status, u.note ?? null);
      return caseFromRow({ ...row, status: u.status, updated_at: at, updated_by: u.analyst, note, version });
    });
    // IMMEDIATE takes the write lock before the read, so two writers cannot both read the same version.
    this.db.pragma('synchronous = FULL');
    try {
      return run.immediate();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  async sync(): Promise<void> {
    // A checkpoint syncs the WAL, then copies it into the database file and syncs that: every commit is durable.
    const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (r !== undefined && r.busy !== 0) throw new Error(`${this.file}: the WAL checkpoint could not complete (a reader holds it)`);
  }

  /** The connection's current `synchronous` level (0 OFF, 1 NORMAL, 2 FULL); for tests. */
  synchronousLevel(): number {
    return this.db.pragma('synchronous', { simple: true }) as number;
  }

  async history(id: string): Promise<CaseEvent[]> {
    checkCaseId(id);
    const events = (this.db.prepare('SELECT * FROM case_events WHERE case_id = ? ORDER BY seq').all(id) as EventRow[]).map(eventFromRow);
    if (events[0]?.seq === 1) return events; // a store written before the opening event moved into the case row
    const opened = this.db.prepare('SELECT opened_at FROM cases WHERE id = ?').pluck().get(id) as number | undefined;
    if (opened === undefined) return events;
    return [{ caseId: id, seq: 1, at: Number(opened), actor: 'system', fromStatus: null, toStatus: 'open', note: null }, ...events];
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
