import { DecisionCode, DECISION_NAMES, ResultStatus, validateTransaction, type Transaction, type ValidationError } from '@fraudstream/schema';
import type { DecidedBatch } from '@fraudstream/engine';
import { LabelIndex } from '@fraudstream/kafka';
import { decodeReasons } from '@fraudstream/scorer';
import { decisionIdOf } from '@fraudstream/store';
import { DEADLINE_REASON, TransactionSchema } from './api-schemas.js';
import { HttpError, type HttpErrorCode } from './errors.js';
import { JsonStringCache, reasonsJson, replyJson200, scoreResponseJson } from './score-response.js';
import { checkSchema, parseBody, type JsonSchema } from './json-schema.js';
import { parseTransactionFast } from './transaction-fast-path.js';
import type { RequestContext } from './request-context.js';
import type { ScoringEngine } from './scoring-engine.js';
import type { ResolvedScoringOptions } from './scoring-options.js';

/** The answer of `POST /v1/score` (ScoreResponseSchema). */
export interface ScoreResponse {
  id: string;
  decisionId: string;
  score: number | null;
  decision: string;
  reasons: string[];
  modelVersion: string;
  latencyUs: number;
  outcome: 'scored' | 'invalid' | 'fallback' | 'deadline';
}

/** The scoring API's counters (`stats().api`). */
export interface ApiStats {
  score: { requests: number; answered: number; deadlineMisses: number; lateDecisions: number; batches: number; largestBatch: number; pending: number };
  /** `pauses`: times a bulk upload was paused because the ring was full (backpressure). */
  bulk: { requests: number; accepted: number; rejected: number; pauses: number };
  labels: { accepted: number; unknown: number };
}

/** One `/v1/score` request between its arrival and its engine decision. */
interface Pending {
  context: RequestContext;
  /** The transaction as validated (request schema and schema package rules). */
  tx: Transaction;
  id: string;
  startMs: number;
  /** Answered already (by the deadline fallback): the engine decision, when it comes, is only counted. */
  answered: boolean;
  /** The ingest sequence number its record was written at (-1 until then). */
  seq: number;
}

const now = (): number => performance.now();
/** Seconds a client held back by the system (its case writer is behind) is asked to wait (`Retry-After`). */
export const RETRY_AFTER_S = 1;

/** The reasons of a deadline fallback, as JSON text. */
const DEADLINE_REASONS_JSON = JSON.stringify([DEADLINE_REASON]);

/** Maps a schema-package validation error to the API's error codes. */
const CODE_OF: Readonly<Record<ValidationError['code'], HttpErrorCode>> = {
  missing: 'missing_field',
  type: 'invalid_type',
  range: 'out_of_range',
  too_long: 'out_of_range',
  unknown_value: 'out_of_range',
  format: 'invalid_format',
  malformed: 'malformed_json',
};

/** The reverse, so a body refused by the request schema is counted by the engine like any rejected input. */
const VALIDATION_CODE_OF: Partial<Record<HttpErrorCode, ValidationError['code']>> = {
  missing_field: 'missing',
  invalid_type: 'type',
  invalid_body: 'type',
  out_of_range: 'range',
  invalid_format: 'format',
  malformed_json: 'malformed',
};

/** A 400 for an invalid transaction, naming the field. */
export function transactionError(error: ValidationError): HttpError {
  return new HttpError(400, CODE_OF[error.code], error.message, error.field === '$' ? {} : { field: error.field });
}

/**
 * Checks one parsed transaction against the request schema, then the schema package's own rules (the ones the
 * engine applies to every source, e.g. that a timestamp string is a real date). Returns the error or the
 * transaction; a refusal is counted by the engine as rejected, on the field at fault.
 */
export function checkTransaction(engine: ScoringEngine, value: unknown): ValidationError | Transaction {
  const checked = checkTransactionValue(value);
  if ('code' in checked) engine.reject(checked);
  return checked;
}

/**
 * The checks of {@link checkTransaction} without the engine's count: the request schema (`schema`, TransactionSchema
 * unless a test passes another), then the schema package's rules. Returns the first error or the transaction.
 */
export function checkTransactionValue(value: unknown, schema: JsonSchema = TransactionSchema): ValidationError | Transaction {
  const violation = checkSchema(schema, value);
  if (violation !== undefined) {
    return { code: VALIDATION_CODE_OF[violation.code] ?? 'type', field: violation.field === '' ? '$' : violation.field, message: violation.message };
  }
  const v = validateTransaction(value);
  return v.ok ? v.value : v.error;
}

/**
 * `POST /v1/score`: each valid transaction waits in a micro-batch (up to `maxBatch` requests, or `lingerUs` after the
 * first), which is written into the engine's ring through `Engine.submit` (the path of every other source, so card
 * and terminal state evolve exactly as for streamed records) and cut at once (`Engine.flush`). The decision comes
 * back through the engine's batch listener, by ingest sequence number. A request whose deadline passes first is
 * answered with the fallback REVIEW / DEADLINE and counted as a deadline miss; its transaction still goes through the
 * engine, which decides and counts it exactly once.
 */
export class ScoreApi {
  /** Transactions of this API by id, so a label can name one by `transactionId`. */
  readonly labelIndex: LabelIndex;
  readonly counters: ApiStats;
  private readonly queue: Pending[] = [];
  /**
   * Requests written into the ring, waiting for their decision, by ring slot (`seq & (capacity - 1)`: at most
   * `capacity` records are in the ring, so two waiting requests never share a slot); each keeps its `seq`, so a stale
   * entry (a record the engine lost) is told apart and replaced. An array instead of a Map: no hashing per request.
   */
  private readonly bySlot: (Pending | undefined)[];
  private pendingCount = 0;
  private armed = false;
  private firstQueuedMs = 0;
  private waitingForSpace = false;
  private readonly unsubscribe: () => void;
  /**
   * Requests in arrival order, watched by ONE timer for the oldest's deadline (all share `deadlineMs`, so arrival
   * order is deadline order); answered ones are skipped when the timer fires. Replaces a setTimeout/clearTimeout
   * pair per request. `deadlineHead` is the first unexamined entry.
   */
  private readonly deadlines: Pending[] = [];
  private deadlineHead = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly versionJson = new JsonStringCache();
  /** Transactions this API wrote into the ring (its writer count in the engine's ring law). */
  private written = 0;

  constructor(
    private readonly engine: ScoringEngine,
    private readonly options: ResolvedScoringOptions,
    /** Why inputs must hold back now (the system's case writer is behind), or undefined; see {@link holdBack}. */
    private readonly holdingBack: () => string | undefined = () => undefined,
  ) {
    this.labelIndex = new LabelIndex(options.labelIndexSize);
    this.bySlot = new Array<Pending | undefined>(engine.options.capacity).fill(undefined);
    this.counters = {
      score: { requests: 0, answered: 0, deadlineMisses: 0, lateDecisions: 0, batches: 0, largestBatch: 0, pending: 0 },
      bulk: { requests: 0, accepted: 0, rejected: 0, pauses: 0 },
      labels: { accepted: 0, unknown: 0 },
    };
    this.unsubscribe = engine.onBatch(this.onBatch);
    engine.setInlineMaxBatch(options.inlineMaxBatch);
    // The API writes its micro-batches into the ring as a source does: its own count enters the ring law.
    const removeWriter = engine.addWriter(() => ({ transactions: this.written, labels: 0 }));
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = () => {
      unsubscribe();
      removeWriter();
    };
  }

  /** A copy of the counters. */
  stats(): ApiStats {
    const c = this.counters;
    return { score: { ...c.score, pending: this.pendingCount + this.queue.length }, bulk: { ...c.bulk }, labels: { ...c.labels } };
  }

  /** Stops listening to the engine (the server is closing). */
  close(): void {
    this.unsubscribe();
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlines.length = 0;
    this.deadlineHead = 0;
  }

  /**
   * Throws a 503 with `Retry-After` when the system holds its inputs back (the case writer's queue is full): the
   * request is refused whole, before anything is written, so the client retries it and nothing is dropped.
   */
  holdBack(): void {
    const reason = this.holdingBack();
    if (reason !== undefined) {
      throw new HttpError(503, 'service_unavailable', `${reason}: retry in ${RETRY_AFTER_S} s`, { headers: { 'Retry-After': String(RETRY_AFTER_S) } });
    }
  }

  /** True while the system holds its inputs back (a bulk upload then pauses, as for a full ring). */
  held(): boolean {
    return this.holdingBack() !== undefined;
  }

  /** Handles `POST /v1/score` with its read body. */
  score(context: RequestContext, body: Buffer): void {
    const startMs = now();
    this.holdBack();
    // One pass over the bytes for a well-formed body; anything else (and every refusal) takes the general path.
    const tx = parseTransactionFast(body) ?? this.parseGeneral(body);
    this.counters.score.requests++;
    const p: Pending = { context, tx, id: tx.id, startMs, answered: false, seq: -1 };
    if (this.options.deadlineMs === 0) this.missDeadline(p);
    else {
      this.deadlines.push(p);
      if (this.deadlineTimer === undefined) this.armDeadline();
    }
    this.queue.push(p);
    if (this.queue.length >= this.options.maxBatch) this.flush();
    else this.arm();
  }

  /**
   * The general reading of a body (`JSON.parse`, the request schema, the schema package's rules): the refusals, with
   * their 400 naming the field, counted by the engine as rejected inputs.
   */
  private parseGeneral(body: Buffer): Transaction {
    let input: unknown;
    try {
      input = parseBody<unknown>(body, { type: 'object' });
    } catch (error) {
      this.engine.reject({ code: 'malformed', field: '$', message: 'the body is not a JSON object' });
      throw error;
    }
    const tx = checkTransaction(this.engine, input);
    if ('code' in tx) throw transactionError(tx);
    return tx;
  }

  /** Arms the one deadline timer for the oldest request not yet answered, or leaves it unarmed when none is left. */
  private armDeadline(): void {
    const d = this.deadlines;
    while (this.deadlineHead < d.length && (d[this.deadlineHead] as Pending).answered) this.deadlineHead++;
    if (this.deadlineHead === d.length) {
      d.length = 0;
      this.deadlineHead = 0;
      this.deadlineTimer = undefined;
      return;
    }
    // Drop the examined prefix once it is most of the array (amortised O(1) per request).
    if (this.deadlineHead > 1024 && this.deadlineHead * 2 > d.length) {
      d.splice(0, this.deadlineHead);
      this.deadlineHead = 0;
    }
    const due = (d[this.deadlineHead] as Pending).startMs + this.options.deadlineMs;
    this.deadlineTimer = setTimeout(this.onDeadline, Math.max(1, due - now()));
  }

  private readonly onDeadline = (): void => {
    this.deadlineTimer = undefined;
    const t = now();
    const d = this.deadlines;
    const { deadlineMs } = this.options;
    while (this.deadlineHead < d.length) {
      const p = d[this.deadlineHead] as Pending;
      if (!p.answered && p.startMs + deadlineMs > t) break;
      this.deadlineHead++;
      if (!p.answered) this.missDeadline(p);
    }
    this.armDeadline();
  };

  private arm(): void {
    if (this.armed || this.waitingForSpace) return;
    this.armed = true;
    this.firstQueuedMs = now();
    const lingerMs = this.options.lingerUs / 1000;
    // Node's timers have millisecond granularity: a sub-millisecond linger re-checks at the end of each event-loop
    // turn (which lets the requests read in that turn join), a longer one sleeps on a timer.
    if (lingerMs >= 1) setTimeout(this.onLinger, lingerMs);
    else setImmediate(this.onLinger);
  }

  private readonly onLinger = (): void => {
    this.armed = false;
    if (this.queue.length === 0 || this.waitingForSpace) return;
    const left = this.options.lingerUs / 1000 - (now() - this.firstQueuedMs);
    if (left > 0) {
      this.armed = true;
      if (left >= 1) setTimeout(this.onLinger, left);
      else setImmediate(this.onLinger);
      return;
    }
    this.flush();
  };

  /**
   * Writes the queued requests into the ring (as many as fit) and asks the engine to cut them now. They are written
   * as a source writes: contiguous slots claimed at once, one record per validated transaction (the same
   * `writeTransaction` as `Engine.submit`, ingest time as due time, the string id kept for a non-numeric id), and ONE
   * publish per claim, so the engine's publish handler runs once per micro-batch rather than once per request.
   */
  private flush(): void {
    let written = 0;
    const { engine } = this;
    const { sink } = engine;
    const views = sink.views;
    const mask = engine.options.capacity - 1;
    const limit = Math.min(this.queue.length, this.options.maxBatch);
    while (written < limit) {
      // A claim stops at the ring's end: a batch that wraps takes two claims.
      const got = sink.claim(limit - written);
      if (got === 0) break;
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const t = performance.timeOrigin + now();
      for (let i = 0; i < got; i++) {
        const p = this.queue[written + i] as Pending;
        const slot = slot0 + i;
        views.writeTransaction(slot, p.tx, t);
        sink.dueMs[slot] = t;
        if (Number.isNaN(views.txNum(slot))) sink.setId(slot, p.tx.id);
        p.seq = seq0 + i;
        const at = p.seq & mask;
        // A request still in this slot is one whose record the engine lost (it had its deadline answer): replaced.
        if (this.bySlot[at] === undefined) this.pendingCount++;
        this.bySlot[at] = p;
        this.remember(p.id, seq0 + i);
      }
      this.written += got;
      written += got;
      sink.publish(got);
    }
    this.queue.splice(0, written);
    if (written > 0) {
      engine.flush();
      const s = this.counters.score;
      s.batches++;
      if (written > s.largestBatch) s.largestBatch = written;
    }
    if (this.queue.length === 0) return;
    if (written < this.options.maxBatch && !this.waitingForSpace) {
      // The ring is full: backpressure. Wait for the engine to release slots, then write the rest (never dropped).
      this.waitingForSpace = true;
      void engine.sink.waitForSpace(50).then(() => {
        this.waitingForSpace = false;
        this.flush();
      });
    } else if (!this.waitingForSpace) {
      this.arm();
    }
  }

  /** Remembers a transaction just written at `seq`, so a later label can name it by id. */
  remember(id: string, seq: number): void {
    const slot = seq & (this.engine.options.capacity - 1);
    const records = this.engine.records;
    this.labelIndex.remember(id, seq, records.timestampMs(slot), records, slot);
  }

  private missDeadline(p: Pending): void {
    if (p.answered) return;
    p.answered = true;
    this.counters.score.deadlineMisses++;
    const body = scoreResponseJson(
      JSON.stringify(p.id),
      decisionIdOf(p.id),
      null,
      DECISION_NAMES[DecisionCode.Review],
      DEADLINE_REASONS_JSON,
      this.versionJson.of(this.engine.currentModelVersion),
      Math.round((now() - p.startMs) * 1000),
      'deadline',
    );
    replyJson200(p.context, body);
  }

  private readonly onBatch = (batch: DecidedBatch): void => {
    if (this.pendingCount === 0) return;
    const { results } = batch;
    const mask = this.engine.options.capacity - 1;
    for (let i = 0; i < batch.count; i++) {
      const seq = batch.seq + i;
      const p = this.bySlot[seq & mask];
      if (p === undefined || p.seq !== seq) continue;
      this.bySlot[seq & mask] = undefined;
      this.pendingCount--;
      if (p.answered) {
        this.counters.score.lateDecisions++;
        continue;
      }
      p.answered = true;
      const slot = batch.slot + i;
      const status = results.status(slot);
      const score = results.score(slot);
      // The version and rule names of the configuration that decided (a bundle or rules swap may have happened since).
      const generation = this.engine.generationInfo(results.generation(slot));
      const body = scoreResponseJson(
        JSON.stringify(p.id),
        decisionIdOf(p.id),
        Number.isNaN(score) ? null : score,
        results.decision(slot),
        reasonsJson(decodeReasons(results.u8, slot, generation.rules)),
        this.versionJson.of(generation.version),
        Math.round((now() - p.startMs) * 1000),
        status === ResultStatus.Scored ? 'scored' : status === ResultStatus.Invalid ? 'invalid' : 'fallback',
      );
      this.counters.score.answered++;
      replyJson200(p.context, body);
    }
  };
}
