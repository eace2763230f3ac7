import { parseObject } from './control-requests.js';
import { HttpError } from './errors.js';
import { MAX_GENERATOR_TPS, MIN_GENERATOR_TPS } from '@fraudstream/system';

/** The body of `POST /api/generator`. */
export interface GeneratorRequest {
  tps: number;
}

/** Parses and validates a `POST /api/generator` body, throwing a 400 `HttpError` that names the field at fault (unknown
 * fields are refused, so a typo is never silently ignored). */
export function parseGeneratorRequest(body: Buffer): GeneratorRequest {
  const record = parseObject(body, ['tps']);
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
