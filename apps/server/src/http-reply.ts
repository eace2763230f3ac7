import { STATUS_CODES } from 'node:http';
import { HttpError } from './errors.js';
import type { RequestContext } from './request-context.js';

/** Headers on every API response: JSON, not cached, not sniffed. */
const JSON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** Options of `reply`. */
export interface ReplyOptions {
  headers?: Readonly<Record<string, string>>;
  /** Close the connection after the response, e.g. when the request body was not read to its end. */
  closeConnection?: boolean;
}

/**
 * Writes a complete response inside `res.cork` (one syscall for status, headers and body), unless the client has
 * gone away. For HEAD requests uWS sends the headers and the length of `body` without the body itself.
 */
export function reply(
  context: RequestContext,
  status: number,
  body: string | Uint8Array,
  options: ReplyOptions = {},
): void {
  // A response is written once; later writers (e.g. a body that keeps streaming after a 413) are ignored.
  if (context.aborted || context.responded) return;
  context.responded = true;
  context.status = status;
  context.res.cork(() => {
    context.res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`);
    context.res.writeHeader('X-Request-Id', context.requestId);
    for (const [name, value] of Object.entries(options.headers ?? {})) context.res.writeHeader(name, value);
    context.res.end(body, options.closeConnection ?? false);
  });
}

/** Writes `value` as a JSON response. */
export function replyJson(context: RequestContext, status: number, value: unknown, options: ReplyOptions = {}): void {
  reply(context, status, JSON.stringify(value), { ...options, headers: { ...JSON_HEADERS, ...options.headers } });
}

/** Writes an error as its JSON body; anything that is not an `HttpError` becomes a generic 500. */
export function replyError(context: RequestContext, error: unknown, options: ReplyOptions = {}): void {
  const httpError = HttpError.from(error);
  replyJson(context, httpError.status, httpError, { ...options, headers: { ...httpError.headers, ...options.headers } });
}
