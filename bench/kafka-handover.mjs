#!/usr/bin/env node
// The cost of a partition hand-over by replay (issue 13): N simulated transactions in a 4-partition topic are decided
// and committed by instance A, which then stops (SIGTERM); instance B joins the same group and gets every partition,
// then M more transactions arrive: before deciding them, B replays each partition's last 32 days below the committed
// offset (all N here). Reported: replayed transactions/s (from the extra messages' produce to B's last replayed
// record, i.e. with the replay consumers' group joins), and beside it B's decisions/s of the extra ones.
// Needs the broker (scripts/kafka.sh start; started here when nothing listens).
//
// Usage: node bench/kafka-handover.mjs [--count 100000] [--extra 2000] [--workers 2]
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureLocalBroker, ensureTopics } from '@fraudstream/kafka';

const { values: a } = parseArgs({
  options: { count: { type: 'string', default: '100000' }, extra: { type: 'string', default: '2000' }, workers: { type: 'string', default: '2' } },
});
const N = Number(a.count);
const M = Number(a.extra);
const root = new URL('..', import.meta.url).pathname;
const main = `${root}apps/cli/dist/main.js`;
const stamp = Date.now().toString(36);
const brokers = await ensureLocalBroker();
const secret = 'c3'.repeat(16);
const tx = `bench-ho-tx-${stamp}`;
const out = `bench-ho-dec-${stamp}`;
await ensureTopics(brokers, [
  { name: tx, partitions: 4 },
  { name: out, partitions: 4 },
  { name: `${out}-alerts`, partitions: 1 },
]);

function produce(count, seed) {
  const r = spawnSync(process.execPath, [main, 'produce', '--brokers', brokers, '--topic', tx, '--no-labels', '--tps', 'max', '--count', String(count), '--seed', String(seed)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fraudstream produce failed: ${r.stderr}`);
}
async function startInstance() {
  const child = spawn(process.execPath, [main, 'start', '--source', 'kafka', '--brokers', brokers, '--port', '0', '--workers', a.workers, '--topic', tx, '--no-labels', '--group', `bench-ho-${stamp}`, '--decisions-topic', out, '--alerts-topic', `${out}-alerts`], {
    env: { ...process.env, FRAUDSTREAM_CARD_REF_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
    if (m !== null) return { child, port: Number(m[1]) };
    if (child.exitCode !== null) throw new Error(`instance exited: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const stats = async (i) => (await fetch(`http://127.0.0.1:${i.port}/api/stats`, { headers: { connection: 'close' } })).json();
const until = async (f) => {
  for (;;) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
};

produce(N, 1);
const A = await startInstance();
await until(async () => {
  const s = await stats(A);
  return s.kafka.produced >= N && s.kafka.committedSeq >= s.kafka.ackedSeq && s.kafka.ackedSeq >= N;
});
A.child.kill('SIGTERM');
await new Promise((r) => A.child.on('exit', r));
const B = await startInstance();
await until(async () => (await stats(B)).kafka.partitions.filter((p) => p.topic === tx).length === 4);
const t0 = performance.now();
produce(M, 2);
let tReplayed;
const s = await until(async () => {
  const x = await stats(B);
  if (tReplayed === undefined && x.kafka.replayed >= N) tReplayed = performance.now();
  return x.kafka.produced >= M ? x : undefined;
});
const tDone = performance.now();
B.child.kill('SIGTERM');
await new Promise((r) => B.child.on('exit', r));
console.log(
  `hand-over by replay: ${s.kafka.replayed} of ${N} transactions replayed in ${((tReplayed - t0) / 1000).toFixed(1)} s ` +
    `(${Math.round(s.kafka.replayed / ((tReplayed - t0) / 1000))}/s, ${s.kafka.replays} replays), then ${M} decided; all in ${((tDone - t0) / 1000).toFixed(1)} s; ` +
    `${cpus().length} cores, load ${loadavg()[0].toFixed(1)}, ${new Date().toISOString()}`,
);
