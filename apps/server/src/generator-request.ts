import { GeneratorRequestSchema } from './api-schemas.js';
import { parseBody } from './json-schema.js';

/** The body of `POST /api/generator`. */
export interface GeneratorRequest {
  tps: number;
}

/** Parses and validates a `POST /api/generator` body against its schema, throwing a 400 `HttpError` that names the
 * field at fault (unknown fields are refused, so a typo is never silently ignored). */
export function parseGeneratorRequest(body: Buffer): GeneratorRequest {
  const { tps } = parseBody<GeneratorRequest>(body, GeneratorRequestSchema);
  return { tps };
}
