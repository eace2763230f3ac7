import { hashKeyInto, parseTimestamp } from '@fraudstream/schema';
import { LabelSchema } from './api-schemas.js';
import { HttpError } from './errors.js';
import { replyJson } from './http-reply.js';
import { parseBody } from './json-schema.js';
import type { RequestContext } from './request-context.js';
import type { ScoreApi } from './score-api.js';
import type { ScoringEngine } from './scoring-engine.js';

/** The body of `POST /v1/labels` (LabelSchema). */
interface LabelRequest {
  transactionId?: string | number;
  cardId?: string | number;
  terminalId?: string | number;
  timestamp?: string | number;
  fraud: boolean;
}

/** How long a label waits for ring space before the request is refused with a 503 (the ring stays full). */
const LABEL_SPACE_WAIT_MS = 2000;

/**
 * `POST /v1/labels`: a chargeback or an analyst verdict becomes a label record in the engine's ring, exactly like
 * the label records the sources write, so it updates card and terminal fraud state when it arrives (never before).
 * A label names its transaction by `transactionId` (found in the index of transactions this API took in) or by the
 * transaction's card, terminal and event time (its ingest sequence number is then unknown, so it updates state but
 * not the live quality figures).
 */
export class LabelApi {
  private labelsWritten = 0;
  private readonly keys = new Uint32Array(4);

  constructor(
    private readonly engine: ScoringEngine,
    private readonly scoreApi: ScoreApi,
  ) {
    // The API is a writer of label records: its own count enters the engine's ring law.
    engine.addWriter(() => ({ transactions: 0, labels: this.labelsWritten }));
  }

  /** Handles `POST /v1/labels` with its read body. */
  async label(context: RequestContext, body: Buffer): Promise<void> {
    const request = parseBody<LabelRequest>(body, LabelSchema);
    const { fraud } = request;
    const counters = this.scoreApi.counters.labels;
    let tsMs = Number.NaN;
    if (request.transactionId === undefined) {
      tsMs = parseTimestamp(request.timestamp as string | number);
      if (Number.isNaN(tsMs)) {
        throw new HttpError(400, 'invalid_format', 'timestamp is not a valid ISO 8601 date-time or epoch ms in 1970..2200', {
          field: 'timestamp',
        });
      }
    }
    const sink = this.engine.sink;
    const until = performance.now() + LABEL_SPACE_WAIT_MS;
    // A full ring is backpressure: wait for space (bounded), never drop the label.
    while (sink.free() === 0) {
      if (performance.now() >= until || context.aborted) {
        throw new HttpError(503, 'service_unavailable', 'the engine is overloaded (its ring stayed full); retry later');
      }
      await sink.waitForSpace(50);
    }
    // From here on everything is synchronous: the index is looked up and the slot claimed and written in one turn.
    const index = this.scoreApi.labelIndex;
    const id = request.transactionId === undefined ? undefined : String(request.transactionId);
    if (id !== undefined && !index.has(id)) {
      counters.unknown++;
      throw new HttpError(
        404,
        'not_found',
        `transactionId ${JSON.stringify(id)} is not among the transactions this API took in recently; label it by cardId, terminalId and timestamp`,
        { field: 'transactionId' },
      );
    }
    if (sink.claim(1) === 0) throw new HttpError(503, 'service_unavailable', 'the engine is overloaded; retry later');
    const slot = sink.claimedSlot;
    const ingestMs = performance.timeOrigin + performance.now();
    if (id !== undefined) {
      index.writeLabel(id, fraud, this.engine.records, slot, ingestMs);
    } else {
      const keys = this.keys;
      hashKeyInto(String(request.cardId), keys, 0);
      hashKeyInto(String(request.terminalId), keys, 2);
      this.engine.records.writeLabel(slot, Number.NaN, tsMs, keys[0]!, keys[1]!, keys[2]!, keys[3]!, fraud, ingestMs);
    }
    sink.publish(1);
    this.labelsWritten++;
    counters.accepted++;
    const matchedBy = id === undefined ? 'card' : 'transactionId';
    replyJson(context, 202, { accepted: true, matchedBy });
  }
}
