import type { CaseDesk, FraudSystem } from '@fraudstream/system';
import {
  CASE_STATUSES,
  CaseConflictError,
  CaseNotFoundError,
  checkUpdate,
  StoreInputError,
  type Case,
  type CaseEvent,
  type CaseStatus,
  type StoredDecision,
} from '@fraudstream/store';
import type { Route } from './api-routes.js';
import { parseObject } from './control-requests.js';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';
import { cursorParam, intParam, parseQueryString } from './query-string.js';
import type { RequestContext } from './request-context.js';

/** Most cases or decisions one page of `GET /api/cases` or `GET /api/decisions` returns. */
export const MAX_PAGE = 500;
const DECISIONS = ['APPROVE', 'REVIEW', 'DECLINE'] as const;
const CASE_PREFIX = '/api/cases/';

/** A case as the API returns it: the keyed card reference only (no card id exists past ingest), score null if none. */
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

/** Parses and validates a `POST /api/cases/:id` body: `{ status, analyst, note?, expectedVersion? }`. */
export function parseCaseUpdate(body: Buffer): { status: CaseStatus; analyst: string; note?: string | undefined; expectedVersion?: number | undefined } {
  const record = parseObject(body, ['status', 'analyst', 'note', 'expectedVersion']);
  for (const field of ['status', 'analyst'] as const) {
    if (record[field] === undefined) throw new HttpError(400, 'missing_field', `${field} is required`, { field });
  }
  try {
    return checkUpdate(record);
  } catch (error) {
    throw storeError(error);
  }
}

/**
 * The case and decision-log routes: `GET /api/cases` (paged, newest opened first), `GET /api/cases/:id` (with its
 * audit trail), `POST /api/cases/:id` (an analyst's verdict; the router applies the mutation auth rules), and
 * `GET /api/decisions` (pages back through the decision log).
 */
export function caseRoutes(system: FraudSystem): [string, Route][] {
  return [
    [
      '/api/cases',
      {
        get: async (context) => {
          const params = parseQueryString(context.query, ['status', 'cardRef', 'before', 'limit']);
          const status = params.get('status');
          if (status !== undefined && !(CASE_STATUSES as readonly string[]).includes(status)) {
            throw new HttpError(400, 'out_of_range', `status must be one of ${CASE_STATUSES.join(', ')}`, { field: 'status' });
          }
          const cardRef = params.get('cardRef');
          if (cardRef !== undefined && !/^[0-9a-f]{16}$/.test(cardRef)) {
            throw new HttpError(400, 'invalid_type', 'cardRef must be 16 lower-case hex digits (a keyed card reference)', { field: 'cardRef' });
          }
          const limit = intParam(params, 'limit', 1, MAX_PAGE, 50);
          const before = cursorParam(params, 'before');
          const page = await desk(system)
            .list({ status: status as CaseStatus | undefined, cardRef, limit, before })
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
          const updated = await cases.update(id, update).catch((e: unknown) => Promise.reject(storeError(e)));
          replyJson(context, 200, { case: caseJson(updated), history: (await cases.history(id)).map(eventJson) });
        },
      },
    ],
    [
      '/api/decisions',
      {
        get: (context) => {
          const params = parseQueryString(context.query, ['decision', 'before', 'limit', 'since', 'until']);
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
            page = system.queryDecisions({ decisions, limit, before, since: time('since'), until: time('until') });
          } catch (error) {
            throw storeError(error);
          }
          replyJson(context, 200, { decisions: page.rows.map(decisionJson), next: page.next });
        },
      },
    ],
  ];
}
