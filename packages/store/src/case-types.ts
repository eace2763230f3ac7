import { StoreInputError } from './errors.js';

/** Where an analyst's review of an alert stands. */
export type CaseStatus = 'open' | 'confirmed_fraud' | 'legitimate';
/** Every case status, in the order the API documents them. */
export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'confirmed_fraud', 'legitimate'];
/** Longest analyst note, in characters. */
export const MAX_NOTE = 2000;
/** Longest analyst name, in characters. */
export const MAX_ANALYST = 64;

/** The alert (a REVIEW or DECLINE decision) a case is opened for; the case id is its decision id. */
export interface CaseAlert {
  decisionId: string;
  transactionId: string;
  cardRef: string;
  decision: 'REVIEW' | 'DECLINE';
  /** 0..1, or NaN for a fallback decision made without a score (stored as NULL). */
  score: number;
  reasons: readonly string[];
  modelVersion: string;
  eventTimeMs: number;
  /** The transaction's fields the case keeps (absent for cases opened before they were kept). */
  detail?: CaseDetail | undefined;
  /**
   * What the verdict's label record needs (absent for cases opened before it was kept); never returned by the API.
   * Note: the card and terminal keys are sealed with the deployment secret, so the store holds no unkeyed card key.
   */
  labelRef?: CaseLabelRef | undefined;
}

/** The transaction fields a case keeps for the analyst: never a card id (the case has the keyed `cardRef`). */
export interface CaseDetail {
  /** Amount in major units. */
  amount: number;
  /** ISO 4217 code, null when the input had none. */
  currency: string | null;
  /** POS, ONLINE or ATM, null when unknown. */
  channel: 'POS' | 'ONLINE' | 'ATM' | null;
  /** Merchant category code, null when unknown. */
  mcc: number | null;
  /** ISO 3166 alpha-2, null when unknown. */
  country: string | null;
  cardPresent: boolean | null;
  /** The terminal's keyed reference (16 hex digits, like `cardRef`). */
  terminalRef: string;
}

/** The label record of a verdict: the sealed keys, the engine run and ingest sequence number of the transaction. */
export interface CaseLabelRef {
  /** The card and terminal keys sealed with the deployment secret (32 hex digits; see `sealLabelKeys`). */
  sealed: string;
  /** The engine run (process) that decided the transaction: its `seq` only means something in that run. */
  run: string;
  /** The transaction's ingest sequence number in that run. */
  seq: number;
}

/** A case: the alert, its status, and who changed it last and when (epoch ms). */
export interface Case extends CaseAlert {
  id: string;
  status: CaseStatus;
  openedAt: number;
  updatedAt: number;
  updatedBy: string;
  note: string | null;
  /** 1 when opened, +1 per update; pass it back as `expectedVersion` to refuse lost updates. */
  version: number;
  /**
   * On the answer of an update through the `CaseWriter` only (never stored, never returned by the API): the label
   * record the verdict writes into the engine.
   */
  verdictLabel?: VerdictLabel | undefined;
}

/** What a verdict's label record carries: the transaction's card and terminal keys, event time and ingest sequence. */
export interface VerdictLabel {
  /** cardLo, cardHi, termLo, termHi. */
  keys: [number, number, number, number];
  eventTimeMs: number;
  /** The transaction's ingest sequence number in this engine run; NaN when it was decided by an earlier run. */
  seq: number;
}

/** One entry of a case's audit trail: never changed or removed once written. */
export interface CaseEvent {
  caseId: string;
  /** 1 for the opening, then the case version each update produced. */
  seq: number;
  at: number;
  actor: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  note: string | null;
}

/** An analyst's change to a case. */
export interface CaseUpdate {
  status: CaseStatus;
  analyst: string;
  /** Replaces the case's note when given (empty string clears it); kept in the audit entry either way. */
  note?: string | undefined;
  /** Refuse the update (CaseConflictError) unless the case is still at this version. */
  expectedVersion?: number | undefined;
  /** Refuse the update (CaseConflictError) unless the case has this status now (verdicts: only an open case). */
  expectedStatus?: CaseStatus | undefined;
}

/** Orders of {@link CaseStore.list}: newest opened first (default), oldest opened first, highest score first. */
export type CaseOrder = 'newest' | 'oldest' | 'score';
/** Every case order, as the API documents them. */
export const CASE_ORDERS: readonly CaseOrder[] = ['newest', 'oldest', 'score'];

/** Filters and paging of {@link CaseStore.list}: newest opened first unless `order` says otherwise. */
export interface CaseQuery {
  status?: CaseStatus | undefined;
  cardRef?: string | undefined;
  /** 1..1000, default 50. */
  limit?: number | undefined;
  /** The `next` cursor of the previous page (of the same order). */
  before?: string | undefined;
  /** Default `newest`; `score` puts unscored (fallback) cases last. */
  order?: CaseOrder | undefined;
}

/** A page of cases; `next` pages to older ones, null when this page is the last. */
export interface CasePage {
  cases: Case[];
  next: string | null;
}

/** The case store, the same for SQLite and PostgreSQL: one test suite runs against both. */
export interface CaseStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Opens a case per alert not seen before (idempotent by decision id); returns how many were new. */
  openCases(alerts: readonly CaseAlert[], at?: number): Promise<number>;
  /** The case with this id, or undefined. */
  get(id: string): Promise<Case | undefined>;
  /** A page of cases, newest opened first. */
  list(query?: CaseQuery): Promise<CasePage>;
  /** Applies an analyst's update and appends it to the audit trail, atomically; returns the case after it. */
  update(id: string, update: CaseUpdate, at?: number): Promise<Case>;
  /** The case's audit trail, oldest first (empty for an unknown id). */
  history(id: string): Promise<CaseEvent[]>;
  /** Makes every opened case durable against a power loss too (call it at each checkpoint); updates always are. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
// Letters, digits, space and . _ @ ' - : names and e-mail addresses, nothing that could be markup or a control code.
const ANALYST = /^[\p{L}\p{N} ._@'-]+$/u;
// Control codes other than tab, newline and carriage return: a note is shown to analysts and must not carry them.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Checks a case id (a decision id: 32 lower-case hex digits). */
export function checkCaseId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !HEX32.test(id)) throw new StoreInputError(field, `${field} must be a case id (32 lower-case hex digits)`);
  return id;
}

/** Validates an analyst's update; errors name the field (`update.status`, `update.analyst`, ...). */
export function checkUpdate(u: unknown): CaseUpdate {
  if (u === null || typeof u !== 'object') throw new StoreInputError('update', 'update must be an object');
  const { status, analyst, note, expectedVersion, expectedStatus } = u as Record<string, unknown>;
  if (typeof status !== 'string' || !(CASE_STATUSES as readonly string[]).includes(status)) {
    throw new StoreInputError('update.status', `update.status must be one of ${CASE_STATUSES.join(', ')}`);
  }
  if (typeof analyst !== 'string' || analyst.trim().length === 0 || analyst.length > MAX_ANALYST || !ANALYST.test(analyst)) {
    throw new StoreInputError('update.analyst', `update.analyst must be 1 to ${MAX_ANALYST} letters, digits, spaces or . _ @ ' -`);
  }
  if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE || CONTROL.test(note))) {
    throw new StoreInputError('update.note', `update.note must be text of at most ${MAX_NOTE} characters without control codes`);
  }
  if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || (expectedVersion as number) < 1)) {
    throw new StoreInputError('update.expectedVersion', 'update.expectedVersion must be a positive integer');
  }
  if (expectedStatus !== undefined && (typeof expectedStatus !== 'string' || !(CASE_STATUSES as readonly string[]).includes(expectedStatus))) {
    throw new StoreInputError('update.expectedStatus', `update.expectedStatus must be one of ${CASE_STATUSES.join(', ')}`);
  }
  return {
    status: status as CaseStatus,
    analyst: analyst.trim(),
    note: note as string | undefined,
    expectedVersion: expectedVersion as number | undefined,
    expectedStatus: expectedStatus as CaseStatus | undefined,
  };
}

/** Validates alerts before they open cases; errors name the field (`alerts[3].score`). */
export function checkAlerts(alerts: unknown): readonly CaseAlert[] {
  if (!Array.isArray(alerts)) throw new StoreInputError('alerts', 'alerts must be an array');
  alerts.forEach((a: Record<string, unknown>, i) => {
    const f = (name: string): string => `alerts[${i}].${name}`;
    if (a === null || typeof a !== 'object') throw new StoreInputError(`alerts[${i}]`, `alerts[${i}] must be an object`);
    checkCaseId(a.decisionId, f('decisionId'));
    if (typeof a.transactionId !== 'string' || a.transactionId.length === 0 || a.transactionId.length > 64) {
      throw new StoreInputError(f('transactionId'), `${f('transactionId')} must be a string of 1 to 64 characters`);
    }
    if (typeof a.cardRef !== 'string' || !HEX16.test(a.cardRef)) throw new StoreInputError(f('cardRef'), `${f('cardRef')} must be 16 lower-case hex digits`);
    if (a.decision !== 'REVIEW' && a.decision !== 'DECLINE') throw new StoreInputError(f('decision'), `${f('decision')} must be REVIEW or DECLINE`);
    if (typeof a.score !== 'number' || (!(a.score >= 0 && a.score <= 1) && !Number.isNaN(a.score))) {
      throw new StoreInputError(f('score'), `${f('score')} must be a number from 0 to 1, or NaN when not scored`);
    }
    if (!Array.isArray(a.reasons) || a.reasons.length > 16 || a.reasons.some((r) => typeof r !== 'string' || r.length === 0 || r.length > 64)) {
      throw new StoreInputError(f('reasons'), `${f('reasons')} must be at most 16 names of 1 to 64 characters`);
    }
    if (typeof a.modelVersion !== 'string' || a.modelVersion.length === 0 || a.modelVersion.length > 64) {
      throw new StoreInputError(f('modelVersion'), `${f('modelVersion')} must be a string of 1 to 64 characters`);
    }
    if (typeof a.eventTimeMs !== 'number' || !Number.isFinite(a.eventTimeMs)) throw new StoreInputError(f('eventTimeMs'), `${f('eventTimeMs')} must be a finite number`);
    if (a.detail !== undefined) checkDetail(a.detail, f('detail'));
    if (a.labelRef !== undefined) {
      const l = a.labelRef as Record<string, unknown>;
      if (l === null || typeof l !== 'object' || typeof l.sealed !== 'string' || !HEX32.test(l.sealed)) {
        throw new StoreInputError(f('labelRef.sealed'), `${f('labelRef.sealed')} must be 32 lower-case hex digits`);
      }
      if (typeof l.run !== 'string' || !HEX16.test(l.run)) throw new StoreInputError(f('labelRef.run'), `${f('labelRef.run')} must be 16 lower-case hex digits`);
      if (!Number.isSafeInteger(l.seq) || (l.seq as number) < 0) throw new StoreInputError(f('labelRef.seq'), `${f('labelRef.seq')} must be a non-negative integer`);
    }
  });
  return alerts as CaseAlert[];
}

const CHANNELS = ['POS', 'ONLINE', 'ATM'];
const nullOr = (v: unknown, ok: (x: unknown) => boolean): boolean => v === null || ok(v);

function checkDetail(d: unknown, field: string): void {
  const bad = (name: string, rule: string): never => {
    throw new StoreInputError(`${field}.${name}`, `${field}.${name} must be ${rule}`);
  };
  if (d === null || typeof d !== 'object') bad('', 'an object');
  const x = d as Record<string, unknown>;
  if (typeof x.amount !== 'number' || !Number.isFinite(x.amount) || x.amount < 0) bad('amount', 'a finite number >= 0');
  if (!nullOr(x.currency, (v) => typeof v === 'string' && /^[A-Z]{3}$/.test(v))) bad('currency', 'null or 3 upper-case letters');
  if (!nullOr(x.channel, (v) => CHANNELS.includes(v as string))) bad('channel', 'null, POS, ONLINE or ATM');
  if (!nullOr(x.mcc, (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 9999)) bad('mcc', 'null or an integer from 0 to 9999');
  if (!nullOr(x.country, (v) => typeof v === 'string' && /^[A-Z]{2}$/.test(v))) bad('country', 'null or 2 upper-case letters');
  if (!nullOr(x.cardPresent, (v) => typeof v === 'boolean')) bad('cardPresent', 'null or a boolean');
  if (typeof x.terminalRef !== 'string' || !HEX16.test(x.terminalRef)) bad('terminalRef', '16 lower-case hex digits');
}

/** A validated case query; `before` is `[seq]` (newest, oldest) or `[score, seq]` (score order, score -1 = none). */
export interface ParsedCaseQuery {
  status: CaseStatus | undefined;
  cardRef: string | undefined;
  limit: number;
  before: number[] | undefined;
  order: CaseOrder;
}

/** The `next` cursor after a case (its `seq` in the table) in `order`. */
export function caseCursor(order: CaseOrder, seq: number, score: number | null): string {
  return order === 'score' ? `${score ?? -1}_${seq}` : String(seq);
}

/** Validates a case query; errors name the field (`query.status`, ...). */
export function checkCaseQuery(q: CaseQuery = {}): ParsedCaseQuery {
  if (q === null || typeof q !== 'object') throw new StoreInputError('query', 'query must be an object');
  if (q.status !== undefined && !CASE_STATUSES.includes(q.status)) {
    throw new StoreInputError('query.status', `query.status must be one of ${CASE_STATUSES.join(', ')}`);
  }
  if (q.cardRef !== undefined && (typeof q.cardRef !== 'string' || !HEX16.test(q.cardRef))) {
    throw new StoreInputError('query.cardRef', 'query.cardRef must be 16 lower-case hex digits');
  }
  const limit = q.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new StoreInputError('query.limit', 'query.limit must be an integer from 1 to 1000');
  const order = q.order ?? 'newest';
  if (!CASE_ORDERS.includes(order)) throw new StoreInputError('query.order', `query.order must be one of ${CASE_ORDERS.join(', ')}`);
  let before: number[] | undefined;
  if (q.before !== undefined) {
    const shape = order === 'score' ? /^-?[0-9.e-]{1,32}_\d{1,15}$/ : /^\d{1,15}$/;
    const parts = typeof q.before === 'string' && shape.test(q.before) ? q.before.split('_').map(Number) : [];
    const score = parts.length === 2 ? (parts[0] as number) : 0;
    if (parts.length === 0 || !(score === -1 || (score >= 0 && score <= 1))) {
      throw new StoreInputError('query.before', 'query.before must be a cursor returned by an earlier page of the same order');
    }
    before = parts;
  }
  return { status: q.status, cardRef: q.cardRef, limit, before, order };
}

/** Checks a timestamp argument (epoch ms). */
export function checkAt(at: unknown): number {
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) throw new StoreInputError('at', 'at must be a non-negative integer epoch-ms time');
  return at;
}
