import { HttpError } from './errors.js';
import { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from './fraud-system.js';

/** The body of `POST /api/generator`. */
export interface GeneratorRequest {
  tps: number;
}

/** Fields `POST /api/generator` accepts; anything else is refused so a typo is never silently ignored. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['tps']);

/** Parses and validates a `POST /api/generator` body, throwing a 400 `HttpError` that names the field at fault. */
export function parseGeneratorRequest(body: Buffer): GeneratorRequest {
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
    if (!KNOWN_FIELDS.has(key)) {
      throw new HttpError(400, 'unknown_field', `unknown field ${JSON.stringify(key)}; accepted: tps`, { field: key });
    }
  }
  const { tps } = record;
  if (tps === undefined) throw new HttpError(400, 'missing_field', 'tps is required', { field: 'tps' });
  if (typeof tps !== 'number' || !Number.isFinite(tps)) {
    throw new HttpError(400, 'invalid_type', 'tps must be a number', { field: 'tps' });
  }
  if (tps < MIN_GENERATOR_TPS || tps > MAX_GENERATOR_TPS) {
    throw new HttpError(400, 'out_of_range', `tps must be between ${MIN_GENERATOR_TPS} and ${MAX_GENERATOR_TPS}`, {
      field: 'tps',
    });
  }
  return { tps };
}
