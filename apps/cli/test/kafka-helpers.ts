import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ensureLocalBroker } from '@fraudstream/kafka';
import { afterEach, beforeEach } from 'vitest';

/** The built CLI. */
export const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** A fixed card-reference secret shared by the instances of a test (as a deployment shares one). */
export const SECRET = 'a1'.repeat(16);

/** A name no other test run uses. */
export function unique(prefix: string): string {
  return `test-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

import { kcatProduce, kcatRead } from '@fraudstream/kafka/kcat';

export { kcatProduce, kcatRead, type KcatMessage } from '@fraudstream/kafka/kcat';

/** A decision as read back from the decisions topic. */
export interface ReadDecision {
  key: string;
  partition: number;
  id: string;
  decisionId: string;
  decision: string;
  score: number;
}

/** The decisions topic, read back by kcat (read_committed, librdkafka's default, unless `isolation` says otherwise). */
export function readDecisions(brokers: string, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): ReadDecision[] {
  return kcatRead(brokers, topic, isolation).map((m) => {
    const v = JSON.parse(m.value) as { id: string; decisionId: string; decision: string; score: number };
    return { key: m.key, partition: m.partition, id: v.id, decisionId: v.decisionId, decision: v.decision, score: v.score };
  });
}

/** A running `fraudstream start --source kafka` process. */
export interface Instance {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `fraudstream start --source kafka` with `args` on a free port; resolves once it serves. */
export async function startInstance(args: string[], env: Record<string, string> = {}): Promise<Instance> {
  const child = spawn(process.execPath, [MAIN, 'start', '--source', 'kafka', '--port', '0', '--workers', '1', ...args], {
    env: { ...process.env, FRAUDSTREAM_CARD_REF_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      out += `\n[exited: code ${code}, signal ${signal}]`;
      resolve(code);
    }),
  );
  const t0 = Date.now();
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m !== null) return { child, port: Number(m[1]), output: () => out, exited };
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the instance exited (${child.exitCode ?? child.signalCode}): ${out}`);
    if (Date.now() - t0 > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`the instance did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The instance's `GET /api/stats` (only the fields these tests read). */
export async function stats(i: Instance): Promise<{
  counts: { decided: number; written: number; labels: { applied: number } };
  laws: { ok: boolean };
  kafka: { transactions?: { committed: number; aborted: number; error?: string }; produced: number; unknownLabels: number; sourceRestarts: number; sendRetries: number; rebalances: number; redeliveredSkipped: number; replays: number; replayed: number; replayedLabels: number; deadLettered: number; ackedSeq: number; committedSeq: number; checkpoints?: { taken: number; durableSeq: number; restored?: { id: number; messages: number }; lastError?: string }; terminalTable?: { published: number; received: number; merged: number; settled: boolean; lastError?: string }; partitions: { topic: string; partition: number; lag: number; endOffset: number; committed: number }[]; lag: number };
}> {
  // A fresh connection each time: a pooled keep-alive socket the server has closed while the test was blocked
  // (spawnSync of the broker script) fails with "other side closed".
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const r = await fetch(`http://127.0.0.1:${i.port}/api/stats`, { headers: { connection: 'close' } });
      return (await r.json()) as never;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`GET /api/stats failed (${String(last)}); the instance's output: ${i.output().slice(-3000)}`);
}

/** True while the process runs (a process killed by a signal has a `signalCode` and no `exitCode`). */
export function alive(i: Instance): boolean {
  return i.child.exitCode === null && i.child.signalCode === null;
}

/** Stops an instance with SIGTERM and waits for it to exit. */
export async function stopInstance(i: Instance): Promise<void> {
  if (!alive(i)) return;
  i.child.kill('SIGTERM');
  await i.exited;
}

/** Polls `check` every 100 ms until it resolves true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Partitions of the scenario topics (card i goes to partition i mod 4). */
export const PARTITIONS = 4;
const DAY = 86_400_000;

/** A generated transaction, its partition, its JSON and its label. */
export interface GenTx {
  id: string;
  card: number;
  partition: number;
  day: number;
  json: string;
  fraud: boolean;
}

/**
 * Deterministic transactions over 20 days of event time, card i in partition i mod 4, with labels (a few terminals
 * are compromised: 40% fraud there, 2% elsewhere). With `localTerminals` every terminal is used by the cards of one
 * partition only, so all the state a decision reads (card and terminal windows, terminal risk from labels) lives in
 * that partition, and any split of the partitions over instances must decide exactly as one instance does.
 */
export function transactions(n: number, localTerminals: boolean): GenTx[] {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const t0 = Date.UTC(2018, 3, 1);
  const out: GenTx[] = [];
  for (let k = 0; k < n; k++) {
    const card = Math.floor(rnd() * 240);
    const partition = card % PARTITIONS;
    const term = Math.floor(rnd() * 30);
    const terminalId = localTerminals ? `t${partition}-${term}` : `t${term}`;
    const fraud = rnd() < (term % 7 === 0 ? 0.4 : 0.02);
    const amount = Math.round((5 + rnd() * (fraud ? 900 : 150)) * 100) / 100;
    const offset = Math.floor((k * 20 * DAY) / n);
    const ts = new Date(t0 + offset).toISOString();
    const id = `tx-${k}`;
    out.push({ id, card, partition, day: Math.floor(offset / DAY), fraud, json: JSON.stringify({ id, cardId: `card-${card}`, terminalId, amount, currency: 'EUR', timestamp: ts }) });
  }
  return out;
}

/** Produces `txs` with kcat, each to its partition; `poison` goes in the middle of partition 1 (which must go on past it). */
export function produceTxs(brokers: string, topic: string, txs: GenTx[], poison: string[] = []): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const lines = txs.filter((t) => t.partition === p).map((t) => `card-${t.card}\t${t.json}`);
    if (p === 1) lines.splice(Math.floor(lines.length / 2), 0, ...poison.map((v) => `card-poison\t${v}`));
    kcatProduce(brokers, topic, lines, p);
  }
}

/** Produces the labels of `txs` (`{id, fraud}`) with kcat, keyed by card id, each to its transaction's partition. */
export function produceLabels(brokers: string, topic: string, txs: GenTx[]): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const lines = txs.filter((t) => t.partition === p).map((t) => `card-${t.card}\t${JSON.stringify({ id: t.id, fraud: t.fraud })}`);
    kcatProduce(brokers, topic, lines, p);
  }
}

/** Decisions by transaction id; throws if one transaction got two decisions with different ids. */
export function byTx(decisions: ReadDecision[]): Map<string, ReadDecision> {
  const m = new Map<string, ReadDecision>();
  for (const d of decisions) {
    const prev = m.get(d.id);
    if (prev !== undefined && prev.decisionId !== d.decisionId) {
      throw new Error(`transaction ${d.id} has two decision ids: ${prev.decisionId} and ${d.decisionId}`);
    }
    m.set(d.id, d);
  }
  return m;
}

/** Waits until the decisions topic (read by kcat) holds a decision for every id in `ids`; returns them by id. */
export async function waitDecided(brokers: string, instances: Instance[], topic: string, ids: string[]): Promise<Map<string, ReadDecision>> {
  let got = new Map<string, ReadDecision>();
  await waitUntil(
    async () => {
      const live = instances.filter(alive);
      const s = await Promise.all(live.map(stats));
      // Until the live instances have produced as many decisions as there are transactions, kcat need not look (a
      // killed instance's decisions are on the topic but no longer in any stats: then look every time).
      if (live.length === instances.length && s.reduce((a, x) => a + x.kafka.produced, 0) < ids.length) return false;
      got = byTx(readDecisions(brokers, topic));
      return ids.every((id) => got.has(id));
    },
    () => `every transaction decided (${got.size} of ${ids.length}); output: ${instances.map((i) => i.output().slice(-500)).join(' | ')}`,
  );
  return got;
}

/** The broker of a test file and the instances its tests started (see {@link kafkaTestBed}). */
export interface KafkaTestBed {
  /** Bootstrap address of the broker (a test may point it elsewhere for a while, e.g. at a broker of its own). */
  brokers: string;
  /** Instances to SIGKILL after each test (if still alive). */
  readonly running: Instance[];
}

/**
 * Registers, for the calling test file, the start of scripts/kafka.sh's broker (awaited in `beforeEach`, so a broker
 * that cannot start fails every test instead of skipping them) and the SIGKILL of every instance left in `running`
 * after each test.
 */
export function kafkaTestBed(): KafkaTestBed {
  let started: Promise<string> | undefined;
  const bed: KafkaTestBed = { brokers: '', running: [] };
  beforeEach(async () => {
    started ??= ensureLocalBroker();
    bed.brokers = await started;
  }, 300_000);
  afterEach(async () => {
    for (const i of bed.running.splice(0)) {
      if (alive(i)) i.child.kill('SIGKILL');
      await i.exited;
    }
  });
  return bed;
}

/**
 * Produces `txs` to their partitions over time: `perTick` per partition every `tickMs`, one kcat -P per partition.
 * With `until`, stops early once it returns true (checked every tick), so a test can keep the stream going until
 * something has happened mid-stream whatever the machine's speed. Returns the transactions produced.
 */
export async function streamTxs(brokers: string, topic: string, txs: GenTx[], tickMs: number, perTick: number, until?: () => boolean): Promise<GenTx[]> {
  const sent = await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      const mine = txs.filter((t) => t.partition === p);
      const child = spawn('kcat', ['-P', '-b', brokers, '-t', topic, '-p', String(p), '-K', '\t', '-X', 'linger.ms=5'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let k = 0;
      while (k < mine.length && until?.() !== true) {
        child.stdin.write(mine.slice(k, k + perTick).map((t) => `card-${t.card}\t${t.json}\n`).join(''));
        k += perTick;
        await new Promise((r) => setTimeout(r, tickMs));
      }
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`kcat -P failed (exit ${code}): ${err}`);
      return mine.slice(0, k);
    }),
  );
  return sent.flat();
}

/**
 * Streams `txs` at ~5,000/s (see {@link streamTxs}) until a second after `instance()` first reports a rebalance in
 * its stats, however long the member whose join causes it takes to start. Returns the transactions produced.
 */
export function streamAcrossRebalance(brokers: string, topic: string, txs: GenTx[], instance: () => Instance | undefined): Promise<GenTx[]> {
  let rebalancedAt: number | undefined;
  const watch = setInterval(() => {
    const i = instance();
    if (i === undefined) return;
    stats(i)
      .then((s) => {
        if (s.kafka.rebalances > 0) rebalancedAt ??= Date.now();
      })
      .catch(() => undefined);
  }, 100);
  return streamTxs(brokers, topic, txs, 20, 25, () => rebalancedAt !== undefined && Date.now() - rebalancedAt > 1000).finally(() => clearInterval(watch));
}
