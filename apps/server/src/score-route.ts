import { Limits } from '@fraudstream/schema';
import { authorizeMutation } from './auth.js';
import { HttpError } from './errors.js';
import { replyError } from './http-reply.js';
import type { RequestContext } from './request-context.js';
import type { ScoreApi } from './score-api.js';

/**
 * `POST /v1/score` without the general router: the body is read by one `onData` callback (no promise, no async
 * frames), checked like every mutating request (`authorizeMutation`, after the body as in the router), then handed to
 * {@link ScoreApi.score}. Errors become the same JSON error responses as the router's; a 413 closes the connection
 * since the rest of the body is not read. `done` is called once the request has been handed on or refused (the
 * server's request log line), with the error when an unexpected one (a 500) was answered.
 */
export function serveScore(context: RequestContext, api: ScoreApi, token: string | undefined, done: (unexpected?: unknown) => void): void {
  const limit = Limits.maxJsonBytes;
  const declared = context.headers.contentLength;
  if (declared !== '' && Number(declared) > limit) {
    // uWS expects a reader for a request with a body; the chunks are dropped.
    context.res.onData(noop);
    replyError(context, tooLarge(limit), { closeConnection: true });
    done();
    return;
  }
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let received = 0;
  let failed = false;
  context.res.onData((chunk, isLast) => {
    if (failed) return;
    received += chunk.byteLength;
    if (received > limit) {
      failed = true;
      first = undefined;
      chunks = undefined;
      replyError(context, tooLarge(limit), { closeConnection: true });
      done();
      return;
    }
    let body: Buffer;
    if (isLast && first === undefined) {
      // The whole body in one chunk (the usual case): read in place, without a copy. uWS neuters the chunk after this
      // callback, and nothing keeps it: score() reads it synchronously and keeps only the strings it decoded.
      body = Buffer.from(chunk);
    } else {
      // A body in several chunks: each is copied (neutered after its callback), then they are joined.
      const copy = Buffer.from(new Uint8Array(chunk));
      if (first === undefined) first = copy;
      else (chunks ??= [first]).push(copy);
      if (!isLast) return;
      body = chunks === undefined ? first : Buffer.concat(chunks, received);
    }
    try {
      authorizeMutation(context, token);
      api.score(context, body);
    } catch (error) {
      replyError(context, error);
      // A 503 with Retry-After is backpressure (the system holding its inputs back on purpose), not a failure.
      const backpressure = error instanceof HttpError && error.headers['Retry-After'] !== undefined;
      if (!backpressure && (!(error instanceof HttpError) || error.status >= 500)) {
        done(error);
        return;
      }
    }
    done();
  });
}

function noop(): void {}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `request body must be at most ${limit} bytes`);
}
