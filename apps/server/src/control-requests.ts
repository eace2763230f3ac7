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
