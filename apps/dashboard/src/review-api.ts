import type { LoggedDecision } from './alert-history';
import { authHeaders } from './connection';

/** Where an analyst's review of a case stands. */
export type CaseStatus = 'open' | 'confirmed_fraud' | 'legitimate';
/** Queue orders the server offers: oldest opened first, or highest score first. */
export type ReviewOrder = 'oldest' | 'score';

/** The transaction fields a case keeps (never a card id; the terminal as a keyed reference). */
export interface CaseDetail {
  amount: number;
  currency: string | null;
  channel: 'POS' | 'ONLINE' | 'ATM' | null;
  mcc: number | null;
  country: string | null;
  cardPresent: boolean | null;
  terminalRef: string;
}

/** A case as `GET /api/cases` returns it. */
export interface ReviewCase {
  id: string;
  transactionId: string;
  cardRef: string;
  decision: 'REVIEW' | 'DECLINE';
  score: number | null;
  reasons: string[];
  modelVersion: string;
  eventTimeMs: number;
  status: CaseStatus;
  openedAt: number;
  updatedAt: number;
  updatedBy: string;
  note: string | null;
  version: number;
  detail: CaseDetail | null;
}

/** One audit-trail entry of a case. */
export interface CaseEvent {
  seq: number;
  at: number;
  actor: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus;
  note: string | null;
}

/** Longest analyst name and note the server accepts (its schema's bounds). */
export const MAX_ANALYST = 64;
export const MAX_NOTE = 2000;
/** Cases per page of the review queue. */
export const QUEUE_PAGE = 15;

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers ?? {}) } });
  const body = (await response.json()) as T | { error?: { message?: string; field?: string } };
  if (!response.ok) {
    const e = (body as { error?: { message?: string; field?: string } }).error;
    throw new Error(e?.message ?? `HTTP ${response.status}`);
  }
  return body as T;
}

/** A page of open cases in `order`, after `before` (the previous page's `next`). */
export function fetchQueue(order: ReviewOrder, before: string | undefined): Promise<{ cases: ReviewCase[]; next: string | null }> {
  const cursor = before === undefined ? '' : `&before=${encodeURIComponent(before)}`;
  return call(`/api/cases?status=open&order=${order}&limit=${QUEUE_PAGE}${cursor}`);
}

/** One case with its audit trail. */
export function fetchCase(id: string): Promise<{ case: ReviewCase; history: CaseEvent[] }> {
  return call(`/api/cases/${encodeURIComponent(id)}`);
}

/** The card's recent decisions from the decision log, by its keyed reference. */
export function fetchCardHistory(cardRef: string, limit = 20): Promise<{ decisions: LoggedDecision[]; next: string | null }> {
  return call(`/api/decisions?cardRef=${encodeURIComponent(cardRef)}&limit=${limit}`);
}

/** What the server did with a verdict's label record. */
export interface LabelOutcome {
  state: 'written' | 'queued' | 'none';
  quality: boolean;
  reason?: string;
}

/** Records a verdict (final) on an open case; the server writes it into the engine as one label. */
export function postVerdict(
  id: string,
  body: { status: 'confirmed_fraud' | 'legitimate'; analyst: string; note?: string; expectedVersion: number },
): Promise<{ case: ReviewCase; history: CaseEvent[]; label: LabelOutcome }> {
  return call(`/api/cases/${encodeURIComponent(id)}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}
