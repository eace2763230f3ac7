import { HttpError } from './errors.js';
import type { RequestContext } from './request-context.js';

/** Largest request body the API accepts, in bytes. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads the whole request body, copying each chunk (uWS neuters them after the callback).
 * Rejects with a 413 `HttpError` as soon as the declared or received length passes `limit`, without buffering more.
 * Never settles when the client aborts; the caller's abort flag covers that case.
 */
export function readBody(context: RequestContext, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): HttpError =>
      new HttpError(413, 'payload_too_large', `request body must be at most ${limit} bytes`);
    const declared = context.headers.contentLength;
    if (declared !== '' && Number(declared) > limit) {
      reject(tooLarge());
      // Still register onData: uWS expects a reader for a request with a body, and the chunks are dropped.
      context.res.onData(() => {});
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    context.res.onData((chunk, isLast) => {
      if (failed) return;
      received += chunk.byteLength;
      if (received > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      if (isLast) resolve(Buffer.concat(chunks, received));
    });
  });
}
