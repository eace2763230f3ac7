import type { HttpRequest, HttpResponse } from './uws.js';

/**
 * What a handler needs from a request, copied out of uWS's stack-allocated `HttpRequest` before the first await,
 * plus the abort flag every asynchronous reply checks.
 */
export interface RequestContext {
  res: HttpResponse;
  /** Lower-case method, e.g. `get`. */
  method: string;
  /** The raw path as sent, without the query string; not percent-decoded. */
  url: string;
  /** The raw query string without `?` (empty when none); not percent-decoded. */
  query: string;
  headers: {
    host: string;
    origin: string;
    authorization: string;
    contentLength: string;
    upgrade: string;
  };
  /** Set once the client went away; the response must not be touched after that. */
  aborted: boolean;
  /** Set once a response has been written; a response is written at most once. */
  responded: boolean;
}

/** Copies the request fields out and registers `onAborted` first, so the handler may await freely afterwards. */
export function createRequestContext(res: HttpResponse, req: HttpRequest): RequestContext {
  const context: RequestContext = {
    res,
    method: req.getMethod(),
    url: req.getUrl(),
    query: req.getQuery() ?? '',
    headers: {
      host: req.getHeader('host'),
      origin: req.getHeader('origin'),
      authorization: req.getHeader('authorization'),
      contentLength: req.getHeader('content-length'),
      upgrade: req.getHeader('upgrade'),
    },
    aborted: false,
    responded: false,
  };
  res.onAborted(() => {
    context.aborted = true;
  });
  return context;
}
