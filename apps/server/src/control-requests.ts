import { ScenarioRequestSchema, ThresholdsRequestSchema } from './api-schemas.js';
import { HttpError } from './errors.js';
import { parseBody } from './json-schema.js';
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

/** Scenario kinds `POST /api/scenario` accepts (the enum of its schema). */
export const SCENARIO_KINDS: readonly ScenarioKind[] = ScenarioRequestSchema.properties?.['kind']?.enum as readonly ScenarioKind[];

/**
 * Parses a JSON object body whose keys are all in `known`, or throws a 400 naming the problem (the case routes'
 * bodies; the control and scoring routes are checked against their JSON Schemas instead).
 */
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

/** Parses and validates a `POST /api/thresholds` body: `{ review, decline }`, `0 <= review <= decline <= 1`. */
export function parseThresholdsRequest(body: Buffer): ThresholdsRequest {
  const { review, decline } = parseBody<ThresholdsRequest>(body, ThresholdsRequestSchema);
  if (review > decline) {
    throw new HttpError(400, 'out_of_range', 'review must not be above decline', { field: 'review' });
  }
  return { review, decline };
}

/** Parses and validates a `POST /api/scenario` body: `{ kind }`, one of `SCENARIO_KINDS`. */
export function parseScenarioRequest(body: Buffer): ScenarioRequest {
  const { kind } = parseBody<ScenarioRequest>(body, ScenarioRequestSchema);
  return { kind };
}
