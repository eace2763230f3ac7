// The case writer's worker thread: owns the case store (SQLite or PostgreSQL), turns packed alerts into cases and
// opens them in group commits, retrying a failed commit (never dropping an alert), and serves the analysts' reads
// and updates. See case-writer.ts for the engine side.
import { parentPort, workerData } from 'node:worker_threads';
import { CHANNEL_NAMES, Flag, NO_REASON, ResultStatus, testFaultFlag, unpackCountry, unpackCurrency } from '@fraudstream/schema';
import { CardRefHasher, refToHex } from './card-ref.js';
import { openCaseStore } from './case-store.js';
import type { Case, CaseAlert, CaseDetail, CaseStore } from './case-types.js';
import { labelSealKey, openLabelKeys, sealLabelKeysBatch } from './label-keys.js';
import { decisionIdOf } from './decision-id.js';
import { ALERT_FIELDS, type CaseWorkerData, type FromWorker, type ToWorker, type WireError } from './case-writer-protocol.js';

const MAX_RETRY_MS = 5000;
const data = workerData as CaseWorkerData;
if (parentPort === null) throw new Error('case-writer-worker.js must run in a worker thread');
const port = parentPort;
const post = (m: FromWorker): void => port.postMessage(m);
const hasher = new CardRefHasher(Buffer.from(data.secret));
const ref = new Uint32Array(2);
const sealKey = labelSealKey(data.secret);
const { ruleNames, featureNames } = data.names;
/**
 * Test-only fault (the engine documents FRAUDSTREAM_TEST_FAULTS): commit nothing until closed, as a case store that
 * cannot keep up, so the queue fills and the inputs are held back.
 */
const stalled = testFaultFlag('stallCaseWriter');

/** Alerts received and not yet committed, oldest first (`head` is the first uncommitted one). */
let queue: CaseAlert[] = [];
let head = 0;
let received = 0;
let committed = 0;
let committing = false;
let closeId: number | undefined;
let aborted = false;
let lastCommitMs = -Infinity;
const waiters: { upTo: number; id: number; sync: boolean }[] = [];

function wireError(err: unknown): WireError {
  if (err instanceof Error) {
    const field = (err as { field?: unknown }).field;
    return { name: err.name, message: err.message, ...(typeof field === 'string' ? { field } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/** The reasons of a packed alert, named like the decision log's (rules that fired, then up to 3 top features). */
function reasonsOf(a: Float64Array, o: number): string[] {
  const status = a[o + 4] as number;
  if (status === ResultStatus.Fallback) return ['SCORER_ERROR'];
  if (status === ResultStatus.Invalid) return ['INVALID_RECORD'];
  const names: string[] = [];
  const fired = a[o + 5] as number;
  for (let bit = 0; bit < ruleNames.length && bit < 32; bit++) if ((fired & (1 << bit)) !== 0) names.push(ruleNames[bit] as string);
  for (let k = 6; k < 9; k++) {
    const f = a[o + k] as number;
    if (f !== NO_REASON && f < featureNames.length) names.push(featureNames[f] as string);
  }
  return names;
}

function decode(alerts: Float64Array, ids: [number, string][], modelVersion: string): void {
  const stringIds = new Map(ids);
  const n = alerts.length / ALERT_FIELDS;
  const words = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const o = i * ALERT_FIELDS;
    words[i * 4] = alerts[o + 9] as number;
    words[i * 4 + 1] = alerts[o + 10] as number;
    words[i * 4 + 2] = alerts[o + 13] as number;
    words[i * 4 + 3] = alerts[o + 14] as number;
  }
  const sealed = sealLabelKeysBatch(sealKey, words);
  for (let i = 0; i < n; i++) {
    const o = i * ALERT_FIELDS;
    const txNum = alerts[o] as number;
    const transactionId = Number.isNaN(txNum) ? (stringIds.get(i) ?? '') : String(txNum);
    const status = alerts[o + 4] as number;
    const score = status === ResultStatus.Scored ? (alerts[o + 2] as number) : Number.NaN;
    hasher.refOfKeyInto(alerts[o + 9] as number, alerts[o + 10] as number, ref, 0);
    const cardRef = refToHex(ref[0] ?? 0, ref[1] ?? 0);
    const termLo = alerts[o + 13] as number;
    const termHi = alerts[o + 14] as number;
    hasher.refOfKeyInto(termLo, termHi, ref, 0);
    const word = alerts[o + 15] as number;
    const channel = (word >>> 16) & 0xff;
    const flags = (word >>> 24) & 0xff;
    const detail: CaseDetail = {
      amount: alerts[o + 12] as number,
      currency: unpackCurrency(alerts[o + 17] as number) ?? null,
      channel: CHANNEL_NAMES[channel - 1] ?? null,
      mcc: (word & 0xffff) === 0 ? null : word & 0xffff,
      country: unpackCountry(alerts[o + 16] as number) ?? null,
      cardPresent: (flags & Flag.CardPresentKnown) === 0 ? null : (flags & Flag.CardPresent) !== 0,
      terminalRef: refToHex(ref[0] ?? 0, ref[1] ?? 0),
    };
    const seq = alerts[o + 11] as number;
    queue.push({
      decisionId: decisionIdOf(transactionId),
      transactionId,
      cardRef,
      decision: alerts[o + 3] === 2 ? 'DECLINE' : 'REVIEW',
      score,
      reasons: reasonsOf(alerts, o),
      modelVersion,
      eventTimeMs: alerts[o + 1] as number,
      detail,
      ...(Number.isSafeInteger(seq) && seq >= 0
        ? { labelRef: { sealed: sealed[i] as string, run: data.run, seq } }
        : {}),
    });
  }
  received += n;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function answerWaiters(store: CaseStore): Promise<void> {
  // Take the waiters that are due synchronously, so that two concurrent calls never answer one twice.
  const due = waiters.filter((w) => w.upTo <= committed);
  if (due.length === 0) return;
  for (const w of due) waiters.splice(waiters.indexOf(w), 1);
  for (const w of due) {
    try {
      if (w.sync) await store.sync();
      post({ t: 'reply', id: w.id, ok: true, value: committed });
    } catch (err) {
      post({ t: 'reply', id: w.id, ok: false, error: wireError(err) });
    }
  }
}

/** Commits queued alerts until none is left; a failed commit is retried with backoff, the alerts kept in order. */
async function commitLoop(store: CaseStore): Promise<void> {
  if (stalled && closeId === undefined) return;
  committing = true;
  let retryMs = data.retryMs;
  while (head < queue.length && !aborted) {
    // Group commit: one transaction per linger period rather than one per engine batch (~10 alerts), unless a
    // full group is waiting or someone waits for a flush or the close.
    const wait = lastCommitMs + data.lingerMs - performance.now();
    if (wait > 0 && queue.length - head < data.commitMax && waiters.length === 0 && closeId === undefined) {
      await sleep(wait);
      continue;
    }
    lastCommitMs = performance.now();
    const batch = queue.slice(head, head + data.commitMax);
    try {
      const opened = await store.openCases(batch);
      head += batch.length;
      committed += batch.length;
      retryMs = data.retryMs;
      if (head > 65536 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      post({ t: 'committed', alerts: batch.length, opened });
      await answerWaiters(store);
    } catch (err) {
      post({ t: 'commit-error', error: wireError(err), retryMs });
      if (aborted) break;
      await sleep(retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  }
  committing = false;
  await answerWaiters(store);
  if (closeId !== undefined) {
    const id = closeId;
    closeId = undefined;
    try {
      await store.close();
      const left = queue.length - head;
      if (left > 0) post({ t: 'reply', id, ok: false, error: { name: 'Error', message: `${left} alerts not committed` } });
      else post({ t: 'reply', id, ok: true, value: committed });
    } catch (err) {
      post({ t: 'reply', id, ok: false, error: wireError(err) });
    }
    port.close();
  }
}

/** The case with the label record its verdict writes (keys opened, seq kept only for a case of this run). */
function withVerdictLabel(c: Case): Case {
  const { labelRef, ...rest } = c;
  if (labelRef === undefined) return rest;
  const seq = labelRef.run === data.run ? labelRef.seq : Number.NaN;
  return { ...rest, verdictLabel: { keys: openLabelKeys(sealKey, labelRef.sealed), eventTimeMs: c.eventTimeMs, seq } };
}

async function call(store: CaseStore, method: 'get' | 'list' | 'update' | 'history', args: unknown[]): Promise<unknown> {
  switch (method) {
    case 'get':
      return store.get(args[0] as string);
    case 'list':
      return store.list(args[0] as Parameters<CaseStore['list']>[0]);
    case 'update':
      return withVerdictLabel(await store.update(args[0] as string, args[1] as Parameters<CaseStore['update']>[1]));
    case 'history':
      return store.history(args[0] as string);
  }
}

async function main(): Promise<void> {
  let store: CaseStore;
  try {
    store = await openCaseStore({ dataDir: data.dataDir, db: data.db, schema: data.schema });
  } catch (err) {
    post({ t: 'failed', error: wireError(err) });
    port.close();
    return;
  }
  const kick = (): void => {
    if (!committing) void commitLoop(store);
  };
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'batch':
        decode(m.alerts, m.ids, m.modelVersion);
        kick();
        return;
      case 'call':
        call(store, m.method, m.args).then(
          (value) => post({ t: 'reply', id: m.id, ok: true, value }),
          (err: unknown) => post({ t: 'reply', id: m.id, ok: false, error: wireError(err) }),
        );
        return;
      case 'flush':
        waiters.push({ upTo: received, id: m.id, sync: m.sync });
        if (!committing) void answerWaiters(store);
        return;
      case 'close':
        closeId = m.id;
        kick();
        return;
      case 'abort':
        aborted = true;
        return;
    }
  });
  post({ t: 'ready', kind: store.kind });
}

void main();
