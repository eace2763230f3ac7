import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { layout, type RecordViews, type ResultViews } from '@fraudstream/schema';
import type { Case, CaseEvent, CasePage, CaseQuery, CaseUpdate } from './case-types.js';
import { ALERT_FIELDS, type CaseWorkerData, type FromWorker, type ReasonNames, type ToWorker, type WireError } from './case-writer-protocol.js';
import { CaseConflictError, CaseNotFoundError, StoreInputError } from './errors.js';

export { ALERT_FIELDS, type ReasonNames } from './case-writer-protocol.js';

/** Options of {@link CaseWriter.open}. */
export interface CaseWriterOptions {
  /** The data dir: the SQLite case store is `DATA_DIR/cases.sqlite` unless `db` is given. */
  dataDir: string;
  /** A `postgres://` URL: the case store is in that PostgreSQL database instead. */
  db?: string | undefined;
  /** PostgreSQL schema (default public). */
  schema?: string | undefined;
  /** The card-reference secret (`loadOrCreateSecret(dataDir)`, >= 16 bytes): the same as the decision log's. */
  secret: Uint8Array;
  /** The scorer's rule and feature names, to name each alert's reasons. */
  names: ReasonNames;
  /** Alerts queued (handed over, not yet committed) at which {@link CaseWriter.full} turns true: 1..2^24, default 65,536. */
  maxQueued?: number;
  /** Alerts per database transaction at most: 1..100,000, default 8,192. */
  commitMax?: number;
  /** First retry delay after a failed commit, ms (doubling up to 5 s): 1..5,000, default 100. */
  retryMs?: number;
  /**
   * Least time between commits while less than a full group waits, ms: 0..1,000, default 250 (cases appear within
   * it; a flush or sync commits at once). Bigger groups cost less per case: SQLite rewrites each touched index page
   * once per commit, and the id and card indexes are keyed by random values (~14 us of CPU per case at 200 cases a
   * commit, ~9 us at 1,000: bench/RESULTS.md).
   */
  lingerMs?: number;
}

/** The case writer's counters, as the stats report them under `cases`. */
export interface CaseWriterStats {
  backend: 'sqlite' | 'postgres';
  /** Cases opened by this process (alerts whose decision id had no case yet). */
  opened: number;
  /** Alerts committed that already had a case (a replay after a restart): opened nothing, by design. */
  existing: number;
  /** Alerts handed to the worker and not yet committed. */
  queue: number;
  /** The queue length at which the writer reports itself full (the engine's source is then held back). */
  maxQueued: number;
  /** Highest queue length seen. */
  queuePeak: number;
  /** True while the queue is at or above `maxQueued`, or the worker failed. */
  full: boolean;
  /** Times the queue became full. */
  fullEvents: number;
  /** Failed commits so far (each retried). */
  commitErrors: number;
  /** The last commit error while it is unresolved, or why the worker stopped. */
  error?: string;
}

const checkInt = (name: string, v: unknown, min: number, max: number, dflt: number): number => {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StoreInputError(name, `${name} must be an integer from ${min} to ${max}`);
  }
  return v;
};

/** Alerts gathered on the engine's thread before they are posted at once (fewer messages, fewer worker wake-ups). */
const COALESCE_ALERTS = 256;
/** Longest time gathered alerts wait for more before they are posted anyway, ms. */
const COALESCE_MS = 20;

const R = layout.record;
const RECORD_BYTES = R.size;

function fromWire(e: WireError): Error {
  if (e.name === 'StoreInputError') return new StoreInputError(e.field ?? '', e.message);
  if (e.name === 'CaseNotFoundError') return new CaseNotFoundError(e.message);
  if (e.name === 'CaseConflictError') return new CaseConflictError(e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * Opens a case for every REVIEW and DECLINE decision off the engine's thread: {@link queueBatch} packs a decided
 * batch's alerts (numbers only: 11 per alert) and posts them to a worker thread that owns the case store, names the
 * reasons, derives the decision id and card reference, and opens the cases in group commits (idempotent by decision
 * id, so a replay after a restart opens each case once). Nothing is dropped: a failed commit is retried with backoff
 * and its alerts kept; while the alerts handed over and not committed number `maxQueued` or more, {@link full} is
 * true and the engine's source must hold back (the system gates its sink on it). The analysts' reads and updates
 * go to the same worker.
 */
export class CaseWriter {
  private scratch = new Float64Array(1024 * ALERT_FIELDS);
  /** Alerts gathered in `scratch` and not yet posted, their string ids and model version. */
  private pending = 0;
  private pendingIds: [number, string][] = [];
  private pendingModel = '';
  private pendingTimer: NodeJS.Timeout | undefined;
  private messages = 0;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextCall = 1;
  private queued = 0;
  private peak = 0;
  private opened = 0;
  private existing = 0;
  private fullEvents = 0;
  private commitErrors = 0;
  private wasFull = false;
  private error: string | undefined;
  private failed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly backend: 'sqlite' | 'postgres',
    readonly maxQueued: number,
  ) {
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.fail(`the case writer's worker failed: ${err.message}`));
    worker.on('exit', () => {
      if (this.closing === undefined) this.fail("the case writer's worker exited");
    });
  }

  /** Starts the worker and opens the case store in it; rejects with the store's error (bad URL, unreachable server). */
  static async open(options: CaseWriterOptions): Promise<CaseWriter> {
    if (typeof options !== 'object' || options === null) throw new StoreInputError('options', 'options must be an object');
    if (typeof options.dataDir !== 'string' || options.dataDir === '') throw new StoreInputError('options.dataDir', 'options.dataDir must be a non-empty path');
    if (!(options.secret instanceof Uint8Array) || options.secret.length < 16) {
      throw new StoreInputError('options.secret', 'options.secret must be at least 16 bytes');
    }
    const { names } = options;
    if (typeof names !== 'object' || names === null || !Array.isArray(names.ruleNames) || !Array.isArray(names.featureNames)) {
      throw new StoreInputError('options.names', 'options.names must hold ruleNames and featureNames arrays');
    }
    const maxQueued = checkInt('options.maxQueued', options.maxQueued, 1, 1 << 24, 65536);
    const data: CaseWorkerData = {
      dataDir: options.dataDir,
      db: options.db,
      schema: options.schema,
      secret: Uint8Array.from(options.secret),
      names: { ruleNames: [...names.ruleNames], featureNames: [...names.featureNames] },
      commitMax: checkInt('options.commitMax', options.commitMax, 1, 100_000, 8192),
      retryMs: checkInt('options.retryMs', options.retryMs, 1, 5000, 100),
      lingerMs: checkInt('options.lingerMs', options.lingerMs, 0, 1000, 250),
      run: randomBytes(8).toString('hex'),
    };
    const worker = new Worker(new URL('../dist/case-writer-worker.js', import.meta.url), { workerData: data });
    const kind = await new Promise<'sqlite' | 'postgres'>((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (m.t === 'ready') resolve(m.kind);
        else if (m.t === 'failed') reject(fromWire(m.error));
        else reject(new Error(`the case writer's worker sent ${m.t} before ready`));
      };
      worker.on('message', onMessage);
      worker.on('error', reject);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new CaseWriter(worker, kind, maxQueued);
  }

  /**
   * Queues the alerts of one decided engine batch (slots `slot` .. `slot + count - 1` of the shared record and result
   * regions, in ingest order). The alerts are gathered and posted to the worker in one message once 256 are waiting,
   * 20 ms after the first of them, at a model version change, or before a flush, sync, read or close, whichever
   * comes first (they count as handed over, for {@link full}, at once). Label records and APPROVE are
   * skipped. `stringId(slot)` gives the id of a record whose integer id is NaN. `seq` is the ingest sequence number
   * of the batch's first record (the engine's `DecidedBatch.seq`): with it, an analyst's verdict on the case also
   * counts in the engine's live quality figures (without it, the verdict's label updates card and terminal state
   * only). Returns the alerts queued.
   * Note: never refuses (the engine has already decided them); back-pressure is {@link full}, checked by the source.
   */
  queueBatch(
    records: RecordViews,
    results: ResultViews,
    slot: number,
    count: number,
    modelVersion: string,
    stringId: (slot: number) => string | undefined,
    seq = Number.NaN,
  ): number {
    if (this.closing !== undefined) throw new StoreInputError('caseWriter', 'the case writer is closed');
    if (this.pending > 0 && modelVersion !== this.pendingModel) this.postPending();
    this.pendingModel = modelVersion;
    const first = this.pending;
    let n = first;
    for (let s = slot; s < slot + count; s++) {
      if (records.isLabel(s)) continue;
      const code = results.decisionCode(s);
      if (code === 0) continue;
      let a = this.scratch;
      if ((n + 1) * ALERT_FIELDS > a.length) {
        a = new Float64Array(a.length * 2);
        a.set(this.scratch);
        this.scratch = a;
      }
      const o = n * ALERT_FIELDS;
      const txNum = records.txNum(s);
      a[o] = txNum;
      a[o + 1] = records.timestampMs(s);
      a[o + 2] = results.score(s);
      a[o + 3] = code;
      a[o + 4] = results.status(s);
      a[o + 5] = results.rules(s);
      a[o + 6] = results.reason(s, 0);
      a[o + 7] = results.reason(s, 1);
      a[o + 8] = results.reason(s, 2);
      a[o + 9] = records.cardKeyLo(s);
      a[o + 10] = records.cardKeyHi(s);
      a[o + 11] = seq + (s - slot);
      a[o + 12] = records.amount(s);
      a[o + 13] = records.termKeyLo(s);
      a[o + 14] = records.termKeyHi(s);
      a[o + 15] = records.u32[(s * RECORD_BYTES + R.mcc) / 4] ?? 0;
      a[o + 16] = records.u16[(s * RECORD_BYTES + R.country) / 2] ?? 0;
      a[o + 17] = records.u16[(s * RECORD_BYTES + R.currency) / 2] ?? 0;
      if (Number.isNaN(txNum)) this.pendingIds.push([n, stringId(s) ?? '']);
      n++;
    }
    const added = n - first;
    if (added > 0) {
      this.pending = n;
      this.queued += added;
      if (this.queued > this.peak) this.peak = this.queued;
      this.noteFull();
      if (n >= COALESCE_ALERTS) this.postPending();
      else this.pendingTimer ??= setTimeout(() => this.postPending(), COALESCE_MS).unref();
    }
    return added;
  }

  /** Messages of alerts posted to the worker so far (each carries one or more batches' alerts); for tests. */
  get batchMessages(): number {
    return this.messages;
  }

  /** Posts the gathered alerts to the worker (one message), if any. */
  private postPending(): void {
    clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    const n = this.pending;
    if (n === 0) return;
    const alerts = this.scratch.slice(0, n * ALERT_FIELDS);
    const ids = this.pendingIds;
    this.pending = 0;
    this.pendingIds = [];
    this.messages++;
    this.post({ t: 'batch', alerts, ids, modelVersion: this.pendingModel }, [alerts.buffer]);
  }

  /** True while `maxQueued` or more alerts wait to be committed, or after the worker failed: hold the source back. */
  get full(): boolean {
    return this.failed || this.queued >= this.maxQueued;
  }

  /** The counters for the stats (`cases`). */
  stats(): CaseWriterStats {
    return {
      backend: this.backend,
      opened: this.opened,
      existing: this.existing,
      queue: this.queued,
      maxQueued: this.maxQueued,
      queuePeak: this.peak,
      full: this.full,
      fullEvents: this.fullEvents,
      commitErrors: this.commitErrors,
      ...(this.error === undefined ? {} : { error: this.error }),
    };
  }

  /** Resolves once every alert queued before the call is committed (cases visible to readers). */
  async flush(): Promise<void> {
    await this.call({ t: 'flush', id: 0, sync: false });
  }

  /**
   * Resolves once every alert queued before the call is committed and durable against a power loss too: call it at a
   * checkpoint barrier, after the batches before the barrier were queued (the store's `sync()`).
   */
  async sync(): Promise<void> {
    await this.call({ t: 'flush', id: 0, sync: true });
  }

  /** The case with this id, or undefined. */
  get(id: string): Promise<Case | undefined> {
    return this.call({ t: 'call', id: 0, method: 'get', args: [id] }) as Promise<Case | undefined>;
  }

  /** A page of cases, newest opened first (the store's `list`). */
  list(query: CaseQuery = {}): Promise<CasePage> {
    return this.call({ t: 'call', id: 0, method: 'list', args: [query] }) as Promise<CasePage>;
  }

  /** An analyst's update, appended to the audit trail (the store's `update`, validated there). */
  update(id: string, update: CaseUpdate): Promise<Case> {
    return this.call({ t: 'call', id: 0, method: 'update', args: [id, update] }) as Promise<Case>;
  }

  /** A case's audit trail, oldest first. */
  history(id: string): Promise<CaseEvent[]> {
    return this.call({ t: 'call', id: 0, method: 'history', args: [id] }) as Promise<CaseEvent[]>;
  }

  /**
   * Commits every queued alert, closes the store and stops the worker. Idempotent. When the store still refuses the
   * commits after `timeoutMs` (default 30 s: PostgreSQL down, a full disk), the worker is told to give up after its
   * current attempt, and close rejects saying how many alerts have no case: their decisions come again from the last
   * checkpoint at the next start. (The worker is never terminated inside a database call: better-sqlite3 aborts the
   * process when a thread is torn down under it.)
   */
  close(timeoutMs = 30_000): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        if (!this.failed) {
          const done = this.callNow({ t: 'close', id: 0 });
          timer = setTimeout(() => this.post({ t: 'abort' }), timeoutMs);
          await done.catch((err: unknown) => {
            throw new Error(`closing the case store: ${err instanceof Error ? err.message : String(err)} (${this.error ?? 'no error reported'})`);
          });
        }
      } finally {
        clearTimeout(timer);
        clearTimeout(this.pendingTimer);
        await this.worker.terminate();
        for (const c of this.calls.values()) c.reject(new Error('the case writer is closed'));
        this.calls.clear();
      }
    })();
    return this.closing;
  }

  private call(message: ToWorker): Promise<unknown> {
    if (this.closing !== undefined) return Promise.reject(new StoreInputError('caseWriter', 'the case writer is closed'));
    return this.callNow(message);
  }

  private callNow(message: ToWorker): Promise<unknown> {
    if (this.failed) return Promise.reject(new Error(this.error ?? "the case writer's worker failed"));
    this.postPending(); // the worker sees every alert queued before the call (a flush waits for them)
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.post({ ...message, id } as ToWorker);
    });
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private noteFull(): void {
    const full = this.full;
    if (full && !this.wasFull) this.fullEvents++;
    this.wasFull = full;
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.error = reason;
    this.noteFull();
    for (const c of this.calls.values()) c.reject(new Error(reason));
    this.calls.clear();
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'committed':
        this.queued -= m.alerts;
        this.opened += m.opened;
        this.existing += m.alerts - m.opened;
        this.error = undefined;
        this.noteFull();
        return;
      case 'commit-error':
        this.commitErrors++;
        this.error = `opening cases failed (retrying in ${m.retryMs} ms): ${m.error.message}`;
        return;
      case 'reply': {
        const c = this.calls.get(m.id);
        if (c === undefined) return;
        this.calls.delete(m.id);
        if (m.ok) c.resolve(m.value);
        else c.reject(fromWire(m.error));
        return;
      }
      default:
        return;
    }
  }
}
