import { checkBundle, featureNames, featureSet, sealBundle, trainGbdtWeighted, type TrainOptions } from '@fraudstream/scorer';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CASES_FILE, openCaseStore, readFeatureBatches, readLabels, verdictLabels } from '@fraudstream/store';

const DAY_MS = 86_400_000;

/** Options of {@link trainFromLog}. */
export interface FromLogOptions {
  dataDir: string;
  /** Event-time window of the transactions trained on, epoch ms: `[sinceMs, untilMs)`. */
  sinceMs?: number;
  untilMs?: number;
  /** A transaction without a fraud label this long (event time) before the newest served one counts genuine. */
  labelDelayDays: number;
  params: TrainOptions;
  /** The live bundle's JSON text: its thresholds, rules and lists go into the new bundle (default: none, default thresholds). */
  baseBundle?: string;
  /** The new bundle's name (default `from-log`). */
  name?: string;
  /** The case store's PostgreSQL URL when it is not the data dir's SQLite file (analysts' verdicts are read from it). */
  db?: string;
}

/** The joined training rows of the served-feature log and the label log. */
export interface JoinedRows {
  rows: number;
  features: Float32Array;
  labels: Uint8Array;
  weights: Float32Array;
  eventTimeMs: Float64Array;
  frauds: number;
  /** Rows labelled by a label received, and rows counted genuine by the label delay. */
  labelled: number;
  genuineByDelay: number;
  /** Served rows left out: no label yet and within the label delay of the newest one. */
  unknown: number;
  /** Analysts' verdicts read from the case store (they win over the label log's labels). */
  verdicts: number;
  horizonMs: number;
}

/** What {@link trainFromLog} produced. */
export interface FromLogResult extends Omit<JoinedRows, 'features' | 'labels' | 'weights' | 'eventTimeMs'> {
  bundleJson: string;
  version: string;
}

/**
 * Joins the served features (the feature log) with the labels received (the label log) of a data dir. A label names
 * its transaction by id when it carries one, else by event time and card reference; the latest label received per
 * transaction wins. As in the Fraud Detection Handbook's protocol, a transaction without a fraud label more than
 * `labelDelayDays` of event time before the newest served transaction counts genuine; newer unlabelled ones are left
 * out. Each row weighs 1 (an alert: all are logged) or 1 / the sample rate its approval was logged at. `verdicts`
 * (analysts' verdicts from the case store, by transaction id) win over the label log.
 */
export function joinServedRows(
  o: Pick<FromLogOptions, 'dataDir' | 'sinceMs' | 'untilMs' | 'labelDelayDays'>,
  verdicts: ReadonlyMap<string, boolean> = new Map(),
): JoinedRows {
  const byId = new Map<string, boolean>();
  const byKey = new Map<string, boolean>();
  for (const l of readLabels(o.dataDir)) {
    if (l.transactionId !== undefined) byId.set(l.transactionId, l.fraud);
    if (l.cardRef !== undefined && !Number.isNaN(l.eventTimeMs)) byKey.set(`${l.eventTimeMs}|${l.cardRef}`, l.fraud);
  }
  // An analyst's verdict is the last word on its transaction.
  for (const [id, fraud] of verdicts) byId.set(id, fraud);
  const width = featureNames.length;
  const since = o.sinceMs ?? Number.NEGATIVE_INFINITY;
  const until = o.untilMs ?? Number.POSITIVE_INFINITY;
  // Two passes over the log: the horizon first (the newest served transaction), then the rows.
  let horizonMs = Number.NEGATIVE_INFINITY;
  for (const b of readFeatureBatches(o.dataDir)) {
    if (b.width !== width) throw new Error(`the feature log of ${o.dataDir} has ${b.width} features per row, this scorer ${width}: it was written by another feature set`);
    for (let i = 0; i < b.count; i++) horizonMs = Math.max(horizonMs, b.eventTimeMs[i]!);
  }
  const genuineBefore = horizonMs - o.labelDelayDays * DAY_MS;
  const feats: Float32Array[] = [];
  const labels: number[] = [];
  const weights: number[] = [];
  const times: number[] = [];
  let labelled = 0;
  let genuineByDelay = 0;
  let unknown = 0;
  const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
  for (const b of readFeatureBatches(o.dataDir)) {
    for (let i = 0; i < b.count; i++) {
      const ts = b.eventTimeMs[i]!;
      if (ts < since || ts >= until) continue;
      const id = b.ids.get(i) ?? String(b.txNum[i]);
      let fraud = byId.get(id) ?? byKey.get(`${ts}|${hex8(b.refs[2 * i]!)}${hex8(b.refs[2 * i + 1]!)}`);
      if (fraud === undefined) {
        if (ts > genuineBefore) {
          unknown++;
          continue;
        }
        fraud = false;
        genuineByDelay++;
      } else {
        labelled++;
      }
      feats.push(b.features.subarray(i * width, (i + 1) * width));
      labels.push(fraud ? 1 : 0);
      weights.push(b.decision[i]! >= 1 || b.rate <= 0 ? 1 : 1 / b.rate);
      times.push(ts);
    }
  }
  const rows = labels.length;
  const features = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) features.set(feats[r]!, r * width);
  let frauds = 0;
  for (const l of labels) frauds += l;
  return {
    rows,
    features,
    labels: Uint8Array.from(labels),
    weights: Float32Array.from(weights),
    eventTimeMs: Float64Array.from(times),
    frauds,
    labelled,
    genuineByDelay,
    unknown,
    verdicts: verdicts.size,
    horizonMs,
  };
}

/** The analysts' verdicts of the data dir's case store (or of `db`), by transaction id; none without a case store. */
export async function readVerdicts(dataDir: string, db?: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  if (db === undefined && !existsSync(join(dataDir, CASES_FILE))) return out;
  const store = await openCaseStore({ dataDir, ...(db === undefined ? {} : { db }) });
  try {
    for await (const v of verdictLabels(store)) out.set(v.transactionId, v.fraud);
  } finally {
    await store.close();
  }
  return out;
}

/**
 * Trains a new model from a data dir's served features and labels with the Rust trainer (the parameters of
 * `train`), and wraps it in a sealed decision bundle with the live bundle's thresholds, rules and lists, loadable by
 * `start --bundle`.
 */
export async function trainFromLog(o: FromLogOptions): Promise<FromLogResult> {
  const j = joinServedRows(o, await readVerdicts(o.dataDir, o.db));
  if (j.rows < 100) throw new Error(`${o.dataDir}: ${j.rows} labelled served transactions in the window; at least 100 are needed (is the data dir one of 'start'?)`);
  if (j.frauds === 0) throw new Error(`${o.dataDir}: no fraud label among the ${j.rows} served transactions in the window`);
  const modelJson = trainGbdtWeighted(j.features, j.labels, j.weights, j.rows, o.params);
  const base = o.baseBundle === undefined ? {} : (JSON.parse(o.baseBundle) as Record<string, unknown>);
  if (o.baseBundle !== undefined) checkBundle(o.baseBundle);
  const doc: Record<string, unknown> = {
    format: 'fraudstream-bundle/1',
    name: o.name ?? 'from-log',
    featureSet,
    model: { format: 'xgboost-json', text: modelJson },
    ...(base.thresholds === undefined ? {} : { thresholds: base.thresholds }),
    ...(base.rules === undefined ? {} : { rules: base.rules }),
    ...(base.lists === undefined ? {} : { lists: base.lists }),
  };
  const bundleJson = sealBundle(JSON.stringify(doc));
  const info = checkBundle(bundleJson);
  const { features: _f, labels: _l, weights: _w, eventTimeMs: _t, ...counts } = j;
  return { ...counts, bundleJson, version: info.version };
}
