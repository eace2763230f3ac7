#!/usr/bin/env node
// Fraudstream through a real broker, beside Kafka's own perf tools in the same run (issue 13):
//  1. decisions/s: N JSON transactions already in a topic (4 partitions), one `fraudstream start --source kafka`
//     process (the CLI as deployed) consumes, decides and produces every decision (acknowledged), timed from its
//     first decision to the N-th acknowledged one;
//  2. Kafka's ProducerPerformance and ConsumerPerformance (the jars of kafka/pom.xml) with the same payloads, same N;
//  3. produce-to-decision latency at a fixed offered rate: `fraudstream produce --tps R` while the instance runs;
//     latency = the decision record's broker timestamp - the transaction record's (both CreateTime, set by the
//     producers on this machine's clock), matched by decision id (= topic-partition-offset), read back with kcat.
// Needs the broker (scripts/kafka.sh start; started here when nothing listens) and kcat.
//
// 1b. the same with checkpoints (--data-dir) and with --exactly-once (Kafka transactions committed at each
//     checkpoint; timed to the commit of the last decision's transaction).
// Usage: node bench/kafka-e2e.mjs [--count 200000] [--rate 5000] [--seconds 10] [--workers 2] [--checkpoint-ms 1000]
// Writes bench/results/kafka-e2e.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ensureLocalBroker, ensureTopics, SimulatedFeed } from '@fraudstream/kafka';

const { values: a } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    'checkpoint-ms': { type: 'string', default: '1000' },
  },
});
const N = Number(a.count);
const RATE = Number(a.rate);
const SECONDS = Number(a.seconds);
const WORKERS = a.workers;
const PARTITIONS = 4;
const root = new URL('..', import.meta.url).pathname;
const main = `${root}apps/cli/dist/main.js`;
const kafkaSh = `${root}scripts/kafka.sh`;
const stamp = Date.now().toString(36);
const brokers = await ensureLocalBroker();
const secret = 'b2'.repeat(16);

const topics = async (...names) => {
  await ensureTopics(brokers, names.map((n) => ({ name: n, partitions: n.endsWith('-alerts') ? 1 : PARTITIONS })));
};

function cli(args) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`fraudstream ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

async function startInstance(args) {
  const child = spawn(process.execPath, [main, 'start', '--source', 'kafka', '--brokers', brokers, '--port', '0', '--workers', WORKERS, ...args], {
    env: { ...process.env, FRAUDSTREAM_CARD_REF_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
    if (m !== null) return { child, port: Number(m[1]) };
    if (child.exitCode !== null) throw new Error(`instance exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const stats = async (i) => (await fetch(`http://127.0.0.1:${i.port}/api/stats`, { headers: { connection: 'close' } })).json();
const stop = async (i) => {
  i.child.kill('SIGTERM');
  await new Promise((r) => i.child.on('exit', r));
};
const kcat = (topic, fmt) => {
  const r = spawnSync('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', fmt], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  return r.stdout.split('\x1e').filter((s) => s.length > 0);
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// The payloads: the simulator's JSON transactions, as `fraudstream produce` sends them.
const feed = new SimulatedFeed({ seed: 1, labels: false });
const sample = [];
while (sample.length < 20000) await feed.next(20000 - sample.length, sample, []);
const avgBytes = sample.reduce((s, m) => s + Buffer.byteLength(m.value), 0) / sample.length;
mkdirSync(`${root}data`, { recursive: true });
const payloads = `${root}data/kafka-e2e-payloads.txt`;
writeFileSync(payloads, `${sample.map((m) => m.value).join('\n')}\n`);
console.log(`${N} transactions, ~${avgBytes.toFixed(0)} B each, ${PARTITIONS} partitions, broker ${brokers}, load ${loadavg()[0].toFixed(1)}`);

// 1. Fraudstream decisions/s over a full topic.
const t1 = `bench-e2e-tx-${stamp}`;
const d1 = `bench-e2e-dec-${stamp}`;
await topics(t1, d1, `${d1}-alerts`);
const produceOut = cli(['produce', '--brokers', brokers, '--topic', t1, '--no-labels', '--tps', 'max', '--count', String(N)]).trim();
console.log(produceOut);
const load1 = loadavg()[0];
/**
 * One instance over the full topic t1 in a group of its own: decisions/s from its first decision until `done(stats)`
 * (every decision acknowledged; with --exactly-once, committed: visible to read_committed consumers).
 */
async function measure(name, extra, done) {
  const d = `${d1}-${name}`;
  await topics(d, `${d}-alerts`);
  const inst = await startInstance(['--topic', t1, '--no-labels', '--group', `bench-${name}-${stamp}`, '--decisions-topic', d, '--alerts-topic', `${d}-alerts`, ...extra]);
  const tStart = performance.now();
  let tFirst;
  let s;
  for (;;) {
    s = await stats(inst);
    if (tFirst === undefined && s.counts.decided > 0) tFirst = performance.now();
    if (done(s)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tDone = performance.now();
  await stop(inst);
  return {
    decisionsPerSec: Math.round(N / ((tDone - tFirst) / 1000)),
    withJoinPerSec: Math.round(N / ((tDone - tStart) / 1000)),
    decided: s.counts.decided,
    produced: s.kafka.produced,
    alerts: s.kafka.alerts,
    ...(s.kafka.transactions === undefined ? {} : { transactions: s.kafka.transactions.committed }),
    ...(s.kafka.checkpoints === undefined ? {} : { checkpoints: s.kafka.checkpoints.taken }),
    load: loadavg()[0],
  };
}
const fraudstream = await measure('plain', [], (s) => s.kafka.produced >= N);
console.log(`fraudstream start --source kafka: ${fraudstream.decisionsPerSec} decisions/s (first decision to N-th acknowledged), ${fraudstream.withJoinPerSec}/s incl. group join`);
// The cost of exactly-once: the same with checkpoints (at-least-once, --data-dir) and with --exactly-once (the
// decisions in Kafka transactions committed at each checkpoint; done when the last one committed).
const CK_MS = a['checkpoint-ms'];
const ckDir = (name) => `${root}data/bench-kafka-${name}-${stamp}`;
const checkpointed = await measure('ck', ['--data-dir', ckDir('ck'), '--checkpoint-interval-ms', CK_MS], (s) => s.kafka.produced >= N);
console.log(`  with checkpoints every ${CK_MS} ms (at-least-once): ${checkpointed.decisionsPerSec} decisions/s, ${checkpointed.withJoinPerSec}/s incl. join`);
const exactlyOnce = await measure('eos', ['--data-dir', ckDir('eos'), '--checkpoint-interval-ms', CK_MS, '--exactly-once'], (s) => s.kafka.committedSeq >= N);
console.log(`  --exactly-once, transactions cut every ${CK_MS} ms: ${exactlyOnce.decisionsPerSec} decisions/s committed, ${exactlyOnce.withJoinPerSec}/s incl. join (${exactlyOnce.transactions} transactions)`);

// 2. Kafka's perf tools, same payloads, same N.
const t2 = `bench-e2e-perf-${stamp}`;
await topics(t2);
const run = (args) => {
  const r = spawnSync(kafkaSh, ['class', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop() ?? '';
};
const pOut = run(['org.apache.kafka.tools.ProducerPerformance', '--topic', t2, '--num-records', String(N), '--payload-file', payloads, '--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all']);
const pm = /(\d+) records sent, ([\d.]+) records\/sec/.exec(pOut);
const cOut = run(['org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers, '--topic', t2, '--messages', String(N), '--group', `g-${t2}`]);
const cols = cOut.split(',').map((x) => x.trim());
const perf = { producePerSec: pm === null ? null : Math.round(Number(pm[2])), consumePerSec: Math.round(Number(cols[9])), consumeWithJoinPerSec: Math.round(Number(cols[5])), raw: { produce: pOut, consume: cOut } };
console.log(`ProducerPerformance ${perf.producePerSec} records/s, ConsumerPerformance ${perf.consumePerSec} msg/s (fetch), ${perf.consumeWithJoinPerSec} incl. join`);

// 3. Latency at a fixed offered rate.
const t3 = `bench-e2e-lat-tx-${stamp}`;
const d3 = `bench-e2e-lat-dec-${stamp}`;
await topics(t3, d3, `${d3}-alerts`);
const lat = await startInstance(['--topic', t3, '--no-labels', '--group', `bench-lat-${stamp}`, '--decisions-topic', d3, '--alerts-topic', `${d3}-alerts`]);
while ((await stats(lat)).kafka.partitions.length < PARTITIONS) await new Promise((r) => setTimeout(r, 100));
const load3 = loadavg()[0];
const count = RATE * SECONDS;
const latProduce = cli(['produce', '--brokers', brokers, '--topic', t3, '--no-labels', '--tps', String(RATE), '--count', String(count)]).trim();
for (;;) {
  const x = await stats(lat);
  if (x.kafka.produced >= count) break;
  await new Promise((r) => setTimeout(r, 100));
}
await stop(lat);
const inTs = new Map();
for (const rec of kcat(t3, '%p\x1f%o\x1f%T\x1e')) {
  const [p, o, ts] = rec.split('\x1f');
  inTs.set(`${t3}-${p}-${o}`, Number(ts));
}
const lats = [];
for (const rec of kcat(d3, '%T\x1f%s\x1e')) {
  const [ts, v] = rec.split('\x1f');
  const at = inTs.get(JSON.parse(v).decisionId);
  if (at !== undefined) lats.push(Number(ts) - at);
}
lats.sort((x, y) => x - y);
const latency = { offeredTps: RATE, count, matched: lats.length, p50Ms: pct(lats, 50), p99Ms: pct(lats, 99), maxMs: lats[lats.length - 1], produce: latProduce };
console.log(`produce-to-decision latency at ${RATE} tx/s: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms (${lats.length} matched)`);

const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  loadAvg: { throughput: load1, latency: load3, end: loadavg()[0] },
  count: N,
  payloadBytes: Math.round(avgBytes),
  workers: Number(WORKERS),
  produce: produceOut,
  fraudstream,
  checkpointed,
  exactlyOnce,
  checkpointIntervalMs: Number(CK_MS),
  perfTools: perf,
  ratio: { toConsumerPerf: fraudstream.decisionsPerSec / perf.consumePerSec, toProducerPerf: fraudstream.decisionsPerSec / perf.producePerSec },
  latency,
};
mkdirSync(`${root}bench/results`, { recursive: true });
writeFileSync(`${root}bench/results/kafka-e2e.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(`ratio: fraudstream decisions/s = ${(result.ratio.toConsumerPerf * 100).toFixed(0)}% of ConsumerPerformance, ${(result.ratio.toProducerPerf * 100).toFixed(0)}% of ProducerPerformance`);
