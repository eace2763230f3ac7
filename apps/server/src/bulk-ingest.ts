import { Limits } from '@fraudstream/schema';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';
import type { RequestContext } from './request-context.js';
import { checkTransaction, type ScoreApi } from './score-api.js';
import type { ScoringEngine } from './scoring-engine.js';
import type { ResolvedScoringOptions } from './scoring-options.js';

/** Most per-line errors listed in a summary; the rest are counted in `errorsOmitted`. */
export const MAX_LISTED_ERRORS = 100;

/** The answer of `POST /v1/transactions` (BulkSummarySchema). */
export interface BulkSummary {
  accepted: number;
  rejected: number;
  errors: { line: number; field: string; message: string }[];
  errorsOmitted: number;
}

const NEWLINE = 0x0a;

/**
 * `POST /v1/transactions`: NDJSON, one transaction per line, read as it streams in (the body is never held whole:
 * only the current chunk and one partial line, itself bounded by the 4 KiB line limit). Each line is parsed, checked
 * against the transaction schema and the schema package's rules, and written into the engine's ring through
 * `Engine.submit`. A full ring pauses the socket until the engine frees slots (backpressure; nothing is dropped), and
 * so does a system holding its inputs back mid-upload (its case writer is behind); an upload that starts while it
 * holds back is refused with 503 and `Retry-After`.
 * Blank lines are skipped but counted in line numbers. Past `maxBulkBytes` or `maxBulkLines` the request ends with a
 * 413 (lines before the limit stay accepted: the message says how many).
 */
export function ingestNdjson(context: RequestContext, engine: ScoringEngine, api: ScoreApi, options: ResolvedScoringOptions): Promise<void> {
  const summary: BulkSummary = { accepted: 0, rejected: 0, errors: [], errorsOmitted: 0 };
  api.counters.bulk.requests++;
  const maxLine = Limits.maxJsonBytes;
  const chunks: Buffer[] = [];
  let lastSeen = false;
  let running = false;
  let failed = false;
  let received = 0;
  let line = 0;
  // The partial line carried from one chunk to the next; `overlong` once it passed `maxLine` (then it is skipped).
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let overlong = false;

  return new Promise((resolve, reject) => {
    const fail = (error: HttpError): void => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      reject(error);
    };
    // The system holds its inputs back (the case writer is behind): refuse the upload whole with a Retry-After.
    try {
      api.holdBack();
    } catch (error) {
      context.res.onData(() => {});
      fail(error as HttpError);
      return;
    }
    const declared = context.headers.contentLength;
    if (declared !== '' && Number(declared) > options.maxBulkBytes) {
      context.res.onData(() => {});
      fail(new HttpError(413, 'payload_too_large', `request body must be at most ${options.maxBulkBytes} bytes`));
      return;
    }

    const error = (field: string, message: string): void => {
      summary.rejected++;
      api.counters.bulk.rejected++;
      if (summary.errors.length < MAX_LISTED_ERRORS) summary.errors.push({ line, field, message });
      else summary.errorsOmitted++;
    };

    /** Handles one complete line; false when the ring is full (the caller waits and retries the same line). */
    const handleLine = (bytes: Buffer): boolean => {
      let text = bytes.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() === '') return true;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        engine.reject({ code: 'malformed', field: '$', message: 'the line is not valid JSON' });
        error('$', 'the line is not valid JSON');
        return true;
      }
      const tx = checkTransaction(engine, value);
      if ('code' in tx) {
        error(tx.field, tx.message);
        return true;
      }
      // Held back mid-upload: pause like a full ring and retry the same line (nothing accepted so far is lost).
      if (api.held()) return false;
      const r = engine.submit(value);
      if (r.state === 'full') {
        // Not counted anywhere yet; `submit` will see it again once there is space. The validation above counted
        // nothing either (it counts refusals only).
        return false;
      }
      if (r.state === 'rejected') {
        error(r.error.field, r.error.message);
        return true;
      }
      api.remember(tx.id, r.seq);
      summary.accepted++;
      api.counters.bulk.accepted++;
      return true;
    };

    const nextLine = (): boolean => {
      line++;
      if (line > options.maxBulkLines) {
        fail(new HttpError(413, 'payload_too_large', `at most ${options.maxBulkLines} lines per request; the first ${summary.accepted} valid lines were accepted`));
        return false;
      }
      return true;
    };

    const waitForSpace = async (): Promise<void> => {
      api.counters.bulk.pauses++;
      context.res.pause();
      while ((engine.sink.free() === 0 || api.held()) && !context.aborted) {
        if (engine.sink.free() === 0) await engine.sink.waitForSpace(50);
        else await new Promise((r) => setTimeout(r, 20));
      }
      if (!context.aborted) context.res.resume();
    };

    const run = async (): Promise<void> => {
      running = true;
      while (chunks.length > 0 && !failed && !context.aborted) {
        const chunk = chunks.shift() as Buffer;
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(NEWLINE, start);
          if (nl === -1) {
            const rest = chunk.length - start;
            if (!overlong && carryBytes + rest > maxLine) {
              overlong = true;
              carry = [];
            }
            if (!overlong && rest > 0) carry.push(chunk.subarray(start));
            carryBytes += rest;
            break;
          }
          if (!nextLine()) return;
          const piece = chunk.subarray(start, nl);
          if (overlong || carryBytes + piece.length > maxLine) {
            error('$', `the line is longer than ${maxLine} bytes`);
            engine.reject({ code: 'too_long', field: '$', message: `a transaction line must be at most ${maxLine} bytes` });
          } else {
            const bytes = carry.length === 0 ? piece : Buffer.concat([...carry, piece]);
            while (!handleLine(bytes)) {
              await waitForSpace();
              if (context.aborted) return;
            }
          }
          carry = [];
          carryBytes = 0;
          overlong = false;
          start = nl + 1;
        }
      }
      running = false;
      if (lastSeen && chunks.length === 0 && !failed && !context.aborted) {
        if (carryBytes > 0) {
          if (!nextLine()) return;
          if (overlong) {
            error('$', `the line is longer than ${maxLine} bytes`);
            engine.reject({ code: 'too_long', field: '$', message: `a transaction line must be at most ${maxLine} bytes` });
          } else {
            const bytes = Buffer.concat(carry);
            while (!handleLine(bytes)) {
              await waitForSpace();
              if (context.aborted) return;
            }
          }
        }
        replyJson(context, 200, summary);
        resolve();
      }
    };

    context.res.onData((data, isLast) => {
      if (failed) return;
      received += data.byteLength;
      if (received > options.maxBulkBytes) {
        fail(new HttpError(413, 'payload_too_large', `request body must be at most ${options.maxBulkBytes} bytes; the first ${summary.accepted} valid lines were accepted`));
        return;
      }
      // uWS neuters the chunk after this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(data)));
      if (isLast) lastSeen = true;
      if (!running) run().catch((e: unknown) => fail(HttpError.from(e)));
    });
  });
}
