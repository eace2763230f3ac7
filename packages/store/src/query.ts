import { refFromHex } from './card-ref.js';
import { StoreInputError } from './errors.js';

/** Filters and paging of {@link DecisionLog.query}. Times are event times, epoch ms: `since` <= t < `until`. */
export interface DecisionQuery {
  since?: number | undefined;
  until?: number | undefined;
  /** Keep only these decisions (default all three). */
  decisions?: readonly ('APPROVE' | 'REVIEW' | 'DECLINE')[] | undefined;
  /** Keyed card reference, 16 hex digits (hash a card id with {@link CardRefHasher.refOf} first). */
  cardRef?: string | undefined;
  /** Rows per page, 1..100000 (default 100). */
  limit?: number | undefined;
  /** The `next` cursor of the previous page: continue with older decisions. */
  before?: string | undefined;
}

/** One decision read back from the log. */
export interface StoredDecision {
  /** Index of the decision in the log (0 = first ever appended). */
  record: number;
  decisionId: string;
  transactionId: string;
  eventTimeMs: number;
  score: number;
  decision: 'APPROVE' | 'REVIEW' | 'DECLINE';
  reasons: string[];
  modelVersion: string;
  cardRef: string;
}

/** A page of decisions, newest first; `next` is the cursor for the page before, null when this one is the last. */
export interface DecisionPage {
  rows: StoredDecision[];
  next: string | null;
}

/** A validated query. */
export interface ParsedQuery {
  since: number;
  until: number;
  /** Indexed by decision code. */
  decisions: [boolean, boolean, boolean];
  card: [number, number] | undefined;
  limit: number;
  before: number;
}

const NAMES = ['APPROVE', 'REVIEW', 'DECLINE'];

/** Validates a query against a log of `records` decisions; errors name the field (`query.limit`, ...). */
export function parseQuery(q: DecisionQuery, records: number): ParsedQuery {
  if (q === null || typeof q !== 'object') throw new StoreInputError('query', 'query must be an object');
  const since = time(q.since, 'query.since', -Infinity);
  const until = time(q.until, 'query.until', Infinity);
  if (since >= until) throw new StoreInputError('query.until', 'query.until must be after query.since');
  let decisions: [boolean, boolean, boolean] = [true, true, true];
  if (q.decisions !== undefined) {
    if (!Array.isArray(q.decisions) || q.decisions.length === 0) {
      throw new StoreInputError('query.decisions', 'query.decisions must be a non-empty array of APPROVE, REVIEW, DECLINE');
    }
    decisions = [false, false, false];
    for (const d of q.decisions) {
      const code = NAMES.indexOf(d);
      if (code < 0) throw new StoreInputError('query.decisions', 'query.decisions must hold only APPROVE, REVIEW, DECLINE');
      decisions[code] = true;
    }
  }
  const card = q.cardRef === undefined ? undefined : refFromHex(q.cardRef, 'query.cardRef');
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    throw new StoreInputError('query.limit', 'query.limit must be an integer from 1 to 100000');
  }
  let before = records;
  if (q.before !== undefined) {
    before = typeof q.before === 'string' && /^\d{1,16}$/.test(q.before) ? Number(q.before) : -1;
    if (before < 0 || before > records) throw new StoreInputError('query.before', 'query.before must be a cursor returned by an earlier page');
  }
  return { since, until, decisions, card, limit, before };
}

function time(v: unknown, field: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new StoreInputError(field, `${field} must be a finite epoch-ms number`);
  return v;
}
