import { HttpError } from './errors.js';

/** Longest query string the API reads, in characters. */
export const MAX_QUERY_LENGTH = 2048;

/**
 * Parses a URL query string (without `?`) whose keys must all be in `known`, each at most once; a 400 `HttpError`
 * names the first unknown, repeated or undecodable parameter.
 */
export function parseQueryString(query: string, known: readonly string[]): Map<string, string> {
  if (query.length > MAX_QUERY_LENGTH) throw new HttpError(400, 'bad_request', `the query string must be at most ${MAX_QUERY_LENGTH} characters`);
  const out = new Map<string, string>();
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw new HttpError(400, 'bad_request', 'the query string is not valid percent-encoding');
    }
    if (!known.includes(key)) {
      throw new HttpError(400, 'unknown_field', `unknown parameter ${JSON.stringify(key.slice(0, 64))}; accepted: ${known.join(', ')}`, { field: key.slice(0, 64) });
    }
    if (out.has(key)) throw new HttpError(400, 'bad_request', `parameter ${key} is given more than once`, { field: key });
    out.set(key, value);
  }
  return out;
}

/** An optional integer parameter in `min..max` (default `dflt`), or a 400 naming it. */
export function intParam(params: Map<string, string>, name: string, min: number, max: number, dflt: number): number {
  const raw = params.get(name);
  if (raw === undefined) return dflt;
  if (!/^\d{1,16}$/.test(raw)) throw new HttpError(400, 'invalid_type', `${name} must be an integer`, { field: name });
  const v = Number(raw);
  if (v < min || v > max) throw new HttpError(400, 'out_of_range', `${name} must be from ${min} to ${max}`, { field: name });
  return v;
}

/** An optional paging cursor (the `next` of an earlier page), or a 400 naming it. */
export function cursorParam(params: Map<string, string>, name: string): string | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, 'invalid_type', `${name} must be a cursor returned as next by an earlier page`, { field: name });
  return raw;
}
