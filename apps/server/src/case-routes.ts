import type { CaseDesk, FraudSystem } from '@fraudstream/system';
import {
  CASE_ORDERS,
  CASE_STATUSES,
  CaseConflictError,
  CaseNotFoundError,
  checkUpdate,
  StoreInputError,
  type Case,
  type CaseEvent,
  type CaseOrder,
  type CaseStatus,
  type StoredDecision,
} from '@fraudstream/store';
import type { Route } from './api-routes.js';
import { CaseUpdateRequestSchema } from './api-schemas.js';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';
import { parseBody } from './json-schema.js';
import { cursorParam, intParam, parseQueryString } from './query-string.js';
import type { RequestContext } from './request-context.js';
import type { VerdictLabelOutcome, VerdictLabels } from './verdict-labels.js';

/** Most cases or decisions one page of `GET /api/cases` or `GET /api/decisions` returns. */
export const MAX_PAGE = 500;
const DECISIONS = ['APPROVE', 'REVIEW', 'DECLINE'] as const;
const CASE_PREFIX = '/api/cases/';

/**
 * A case as the API returns it: the keyed card and terminal references only (no card id exists past ingest), score
 * null if none, `detail` null for a case opened before cases kept it. The sealed label keys are never returned.
 */
export function caseJson(c: Case): Record<string, unknown> {
  return {
    id: c.id,
    transactionId: c.transactionId,
    cardRef: c.cardRef,
    decision: c.decision,
    score: Number.isFinite(c.score) ? c.score : null,
    reasons: c.reasons,
    modelVersion: c.modelVersion,
    eventTimeMs: c.eventTimeMs,
    status: c.status,
    openedAt: c.openedAt,
    updatedAt: c.updatedAt,
    updatedBy: c.updatedBy,
    note: c.note,
    version: c.version,
    detail: c.detail ?? null,
  };
}

/** An audit-trail entry as the API returns it. */
function eventJson(e: CaseEvent): Record<string, unknown> {
  return { seq: e.seq, at: e.at, actor: e.actor, fromStatus: e.fromStatus, toStatus: e.toStatus, note: e.note };
}

/** A logged decision as the API returns it. */
export function decisionJson(d: StoredDecision): Record<string, unknown> {
  return {
    id: d.decisionId,
    transactionId: d.transactionId,
    cardRef: d.cardRef,
    decision: d.decision,
    score: Number.isFinite(d.score) ? d.score : null,
    reasons: d.reasons,
    modelVersion: d.modelVersion,
    eventTimeMs: d.eventTimeMs,
  };
}

function desk(system: FraudSystem): CaseDesk {
  if (system.cases === undefined) throw new HttpError(409, 'conflict', 'the case store is off: it lives in the data dir (start without --ephemeral and --no-cases)');
  return system.cases;
}

/** The case id of a `/api/cases/:id` path, or a 400/404 naming it. */
function caseIdOf(context: RequestContext): string {
  let id: string;
  try {
    id = decodeURIComponent(context.url.slice(CASE_PREFIX.length));
  } catch {
    throw new HttpError(400, 'bad_request', 'the case id is not valid percent-encoding', { field: 'id' });
  }
  if (!/^[0-9a-f]{32}$/.test(id)) throw new HttpError(404, 'not_found', 'a case id is 32 lower-case hex digits (the decision id)', { field: 'id' });
  return id;
}

/** Maps the store's errors to HTTP: bad input 400 naming the request's field, unknown case 404, lost update 409. */
function storeError(error: unknown): unknown {
  if (error instanceof StoreInputError) {
    const field = error.field.replace(/^(update|query)\./, '');
    return new HttpError(400, 'invalid_body', error.message.replace(/^(update|query)\./, ''), { field });
  }
  if (error instanceof CaseNotFoundError) return new HttpError(404, 'not_found', 'no such case');
  if (error instanceof CaseConflictError) return new HttpError(409, 'conflict', error.message);
  return error;
}

/**
 * Parses and validates a `POST /api/cases/:id` body, `{ status, analyst, note?, expectedVersion? }`, against its JSON
 * schema (the one in the OpenAPI document: the first violation is a 400 naming the field), then the store's rules.
 */
export function parseCaseUpdate(body: Buffer): { status: CaseStatus; analyst: string; note?: string | undefined; expectedVersion?: number | undefined } {
  const record = parseBody<Record<string, unknown>>(body, CaseUpdateRequestSchema);
  try {
    return checkUpdate(record);
  } catch (error) {
    throw storeError(error);
  }
}

/**
 * The case and decision-log routes: `GET /api/cases` (paged: newest or oldest opened first, or highest score first),
 * `GET /api/cases/:id` (with its audit trail), `POST /api/cases/:id` (an analyst's verdict; the router applies the
 * mutation auth rules), and `GET /api/decisions` (pages back through the decision log, also by card reference).
 *
 * A verdict (`confirmed_fraud` or `legitimate`) is accepted on an open case only and is final: a second one is a
 * 409, decided atomically in the store, so each case sends exactly one label record into the engine (`verdicts`,
 * absent when the system exposes no engine). `status: "open"` on an open case records a note without a verdict.
 */
export function caseRoutes(system: FraudSystem, verdicts?: VerdictLabels): [string, Route][] {
  return [
    [
      '/api/cases',
      {
        get: async (context) => {
          const params = parseQueryString(context.query, ['status', 'cardRef', 'before', 'limit', 'order']);
          const status = params.get('status');
          if (status !== undefined && !(CASE_STATUSES as readonly string[]).includes(status)) {
            throw new HttpError(400, 'out_of_range', `status must be one of ${CASE_STATUSES.join(', ')}`, { field: 'status' });
          }
          const cardRef = params.get('cardRef');
          if (cardRef !== undefined && !/^[0-9a-f]{16}$/.test(cardRef)) {
            throw new HttpError(400, 'invalid_type', 'cardRef must be 16 lower-case hex digits (a keyed card reference)', { field: 'cardRef' });
          }
          const order = params.get('order');
          if (order !== undefined && !(CASE_ORDERS as readonly string[]).includes(order)) {
            throw new HttpError(400, 'out_of_range', `order must be one of ${CASE_ORDERS.join(', ')}`, { field: 'order' });
          }
          const limit = intParam(params, 'limit', 1, MAX_PAGE, 50);
          const before = params.get('before');
          if (before !== undefined && (before.length === 0 || before.length > 64)) {
            throw new HttpError(400, 'invalid_type', 'before must be the next cursor of an earlier page', { field: 'before' });
          }
          const page = await desk(system)
            .list({ status: status as CaseStatus | undefined, cardRef, limit, before, order: order as CaseOrder | undefined })
            .catch((e: unknown) => Promise.reject(storeError(e)));
          replyJson(context, 200, { cases: page.cases.map(caseJson), next: page.next });
        },
      },
    ],
    [
      '/api/cases/:id',
      {
        get: async (context) => {
          const id = caseIdOf(context);
          const cases = desk(system);
          const found = await cases.get(id);
          if (found === undefined) throw new HttpError(404, 'not_found', 'no such case');
          replyJson(context, 200, { case: caseJson(found), history: (await cases.history(id)).map(eventJson) });
        },
        post: async (context, body) => {
          const id = caseIdOf(context);
          const update = parseCaseUpdate(body);
          const cases = desk(system);
          const verdict = update.status !== 'open';
          // Room for the label first, so that a committed verdict's label is written at once (never dropped).
          if (verdict && verdicts !== undefined && !(await verdicts.ready(() => context.aborted))) {
            throw new HttpError(503, 'service_unavailable', 'the engine is overloaded (its ring stayed full); the verdict was not recorded, retry later');
          }
          const updated = await cases.update(id, { ...update, expectedStatus: 'open' }).catch((e: unknown) => Promise.reject(storeError(e)));
          let label: VerdictLabelOutcome = { state: 'none', quality: false, reason: 'not a verdict' };
          if (verdict) {
            if (updated.verdictLabel === undefined) label = { state: 'none', quality: false, reason: 'the case was opened before cases kept their label reference' };
            else if (verdicts === undefined) label = { state: 'none', quality: false, reason: 'this system exposes no engine' };
            else label = verdicts.write(updated.verdictLabel, update.status === 'confirmed_fraud');
          }
          replyJson(context, 200, { case: caseJson(updated), history: (await cases.history(id)).map(eventJson), label });
        },
      },
    ],
    [
      '/api/decisions',
      {
        get: (context) => {
          const params = parseQueryString(context.query, ['decision', 'before', 'limit', 'since', 'until', 'cardRef']);
          const cardRef = params.get('cardRef');
          if (cardRef !== undefined && !/^[0-9a-f]{16}$/.test(cardRef)) {
            throw new HttpError(400, 'invalid_type', 'cardRef must be 16 lower-case hex digits (a keyed card reference)', { field: 'cardRef' });
          }
          const names = params.get('decision')?.split(',');
          const decisions = names?.map((n) => {
            const found = DECISIONS.find((d) => d === n);
            if (found === undefined) throw new HttpError(400, 'out_of_range', `decision must be a comma-separated list of ${DECISIONS.join(', ')}`, { field: 'decision' });
            return found;
          });
          const limit = intParam(params, 'limit', 1, MAX_PAGE, 50);
          const before = cursorParam(params, 'before');
          const time = (name: string): number | undefined => {
            const raw = params.get(name);
            if (raw === undefined) return undefined;
            const t = /^\d{1,15}$/.test(raw) ? Number(raw) : Date.parse(raw);
            if (!Number.isFinite(t)) throw new HttpError(400, 'invalid_type', `${name} must be epoch milliseconds or an ISO 8601 time`, { field: name });
            return t;
          };
          if (system.queryDecisions === undefined) throw new HttpError(409, 'conflict', 'the decision log is off: it lives in the data dir (start without --ephemeral and --no-cases)');
          let page;
          try {
            page = system.queryDecisions({ decisions, cardRef, limit, before, since: time('since'), until: time('until') });
          } catch (error) {
            throw storeError(error);
          }
          replyJson(context, 200, { decisions: page.rows.map(decisionJson), next: page.next });
        },
      },
    ],
  ];
}
