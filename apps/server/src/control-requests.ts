import { HttpError } from './errors.js';
import type { ScenarioKind } from '@fraudstream/system';

/** The body of `POST /api/thresholds`. */
export interface ThresholdsRequest {
  review: number;
  decline: number;
}

/** The body of `POST /api/scenario`. */
export interface ScenarioRequest {
  kind: ScenarioKind;
}

/** Scenario kinds `POST /api/scenario` accepts. */
export const SCENARIO_KINDS: readonly ScenarioKind[] = ['card-testing', 'compromised-terminal'];

/** Parses a JSON object body whose keys are all in `known`, or throws a 400 naming the problem. */
export function parseObject(body: Buffer, known: readonly string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_json', 'request body must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'invalid_body', 'request body must be a JSON object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!known.includes(key)) {
      throw new HttpError(400, 'unknown_field', `unknown field ${JSON.stringify(key)}; accepted: ${known.join(', ')}`, {
        field: key,
      });
    }
  }
  return record;
}

/** A required number field in 0..1. */
function scoreField(record: Record<string, unknown>, field: string): number {
  const v = record[field];
  if (v === undefined) throw new HttpError(400, 'missing_field', `${field} is required`, { field });
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new HttpError(400, 'invalid_type', `${field} must be a number`, { field });
  }
  if (v < 0 || v > 1) throw new HttpError(400, 'out_of_range', `${field} must be between 0 and 1`, { field });
  return v;
}

/** Parses and validates a `POST /api/thresholds` body: `{ review, decline }`, `0 <= review <= decline <= 1`. */
export function parseThresholdsRequest(body: Buffer): ThresholdsRequest {
  const record = parseObject(body, ['review', 'decline']);
  const review = scoreField(record, 'review');
  const decline = scoreField(record, 'decline');
  if (review > decline) {
    throw new HttpError(400, 'out_of_range', 'review must not be above decline', { field: 'review' });
  }
  return { review, decline };
}

/** Parses and validates a `POST /api/scenario` body: `{ kind }`, one of `SCENARIO_KINDS`. */
export function parseScenarioRequest(body: Buffer): ScenarioRequest {
  const record = parseObject(body, ['kind']);
  const { kind } = record;
  if (kind === undefined) throw new HttpError(400, 'missing_field', 'kind is required', { field: 'kind' });
  if (typeof kind !== 'string') throw new HttpError(400, 'invalid_type', 'kind must be a string', { field: 'kind' });
  const found = SCENARIO_KINDS.find((k) => k === kind);
  if (found === undefined) {
    throw new HttpError(400, 'out_of_range', `kind must be one of ${SCENARIO_KINDS.join(', ')}`, { field: 'kind' });
  }
  return { kind: found };
}
