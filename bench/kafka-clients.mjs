#!/usr/bin/env node
// Kafka client comparison on this machine, against the broker of scripts/kafka.sh (start it first):
// the same JSON transactions (~200 B, from the simulator) produced and then consumed in a consumer group by
// @platformatic/kafka 1.x and kafkajs 2.2.4, beside Kafka's own ProducerPerformance and ConsumerPerformance with
// the same payloads (--payload-file) in the same run. Not a `*.bench.mjs` suite: it needs the broker.
//
// Usage: node bench/kafka-clients.mjs [--count 500000] [--partitions 4] [--brokers 127.0.0.1:9092] [--rounds 1]
// Writes bench/results/kafka-clients.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Consumer, Producer } from '@platformatic/kafka';
import { ensureTopics, KafkaDecisionSink, KafkaSource, produceFeed, SimulatedFeed } from '@fraudstream/kafka';
import { SharedRing } from '@fraudstream/queue';
import { RECORD_SIZE, RecordViews } from '@fraudstream/schema';
import kafkajs from 'kafkajs';

const { values: a } = parseArgs({
  options: {
    count: { type: 'string', default: '500000' },
    partitions: { type: 'string', default: '4' },
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    rounds: { type: 'string', default: '1' },
    batch: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '8' },
  },
});
const N = Number(a.count);
const PARTITIONS = Number(a.partitions);
const BROKERS = a.brokers;
const ROUNDS = Number(a.rounds);
const BATCH = Number(a.batch);
const IN_FLIGHT = Number(a['in-flight']);
const root = new URL('..', import.meta.url).pathname;
const stamp = Date.now();

// The messages: N simulated transactions as JSON, key = card id; one array shared by every client.
const feed = new SimulatedFeed({ seed: 1, labels: false });
const messages = [];
while (messages.length < N) await feed.next(Math.min(65536, N - messages.length), messages, []);
const keys = messages.map((m) => Buffer.from(m.key));
const values = messages.map((m) => Buffer.from(m.value));
const avgBytes = values.reduce((s, v) => s + v.length, 0) / N;
console.log(`${N} JSON transactions, ${avgBytes.toFixed(1)} bytes on average (value), ${PARTITIONS} partitions`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `send(from, to)` over the messages in batches, `IN_FLIGHT` at a time; returns wall and CPU figures. */
async function produceAll(send) {
  const t0 = performance.now();
  const c0 = cpuMs();
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const from = next;
      next = Math.min(N, next + BATCH);
      await send(from, next);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const s = (performance.now() - t0) / 1000;
  return { msgPerSec: Math.round(N / s), seconds: s, clientCpuUsPerMsg: ((cpuMs() - c0) * 1000) / N };
}

/** Measures a consume: from subscribing (group join included) and from the first message to the N-th. */
function consumeTimer() {
  const t0 = performance.now();
  const c0 = cpuMs();
  let first = 0;
  let n = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  return {
    finished,
    add(k) {
      if (n === 0) first = performance.now();
      n += k;
      if (n >= N) {
        const t = performance.now();
        done({
          msgPerSec: Math.round(N / ((t - first) / 1000)),
          withJoinMsgPerSec: Math.round(N / ((t - t0) / 1000)),
          seconds: (t - first) / 1000,
          joinMs: Math.round(first - t0),
          clientCpuUsPerMsg: ((cpuMs() - c0) * 1000) / N,
          received: n,
        });
      }
    },
  };
}

async function platformatic(round) {
  const topic = `bench-platformatic-${stamp}-${round}`;
  await ensureTopics(BROKERS, [{ name: topic, partitions: PARTITIONS }]);
  const producer = new Producer({ clientId: 'bench-plt', bootstrapBrokers: [BROKERS], acks: -1 });
  const batch = (from, to) => {
    const out = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = { topic, key: keys[i], value: values[i] };
    return out;
  };
  const produce = await produceAll((from, to) => producer.send({ messages: batch(from, to), acks: -1 }));
  await producer.close();
  const consumer = new Consumer({ clientId: 'bench-plt', groupId: `g-${topic}`, bootstrapBrokers: [BROKERS], autocommit: false, maxWaitTime: 500 });
  const timer = consumeTimer();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  stream.on('data', () => timer.add(1));
  const consume = await timer.finished;
  await stream.close();
  await consumer.close();
  return { client: '@platformatic/kafka 1.35.0', topic, produce, consume };
}

async function kafkaJs(round) {
  const topic = `bench-kafkajs-${stamp}-${round}`;
  await ensureTopics(BROKERS, [{ name: topic, partitions: PARTITIONS }]);
  const kafka = new kafkajs.Kafka({ clientId: 'bench-kafkajs', brokers: [BROKERS], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const produce = await produceAll((from, to) => {
    const out = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = { key: keys[i], value: values[i] };
    return producer.send({ topic, acks: -1, messages: out });
  });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${topic}` });
  const timer = consumeTimer();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: async ({ batch }) => timer.add(batch.messages.length) });
  const consume = await timer.finished;
  await consumer.disconnect();
  return { client: 'kafkajs 2.2.4', topic, produce, consume };
}

/**
 * Fraudstream's own paths: `fraudstream produce` (produceFeed: simulator -> JSON -> idempotent producer, one request
 * in flight) to a fresh topic, then KafkaSource (consumer group -> JSON validation -> records in a SharedRing that
 * this thread drains at once, as an always-keeping-up engine would).
 */
async function fraudstream(round) {
  const topic = `bench-fraudstream-${stamp}-${round}`;
  const dlq = `${topic}-dlq`;
  await ensureTopics(BROKERS, [{ name: topic, partitions: PARTITIONS }, { name: dlq, partitions: 1 }]);
  const c0 = cpuMs();
  const p = await produceFeed({
    brokers: BROKERS, topic, labelsTopic: null, tps: 'max', count: N, batch: BATCH,
    feed: new SimulatedFeed({ seed: 1, labels: false }),
  });
  const produce = { msgPerSec: Math.round(p.transactions / p.seconds), seconds: p.seconds, clientCpuUsPerMsg: ((cpuMs() - c0) * 1000) / N };
  const ring = SharedRing.create({ capacity: 65536, recordSize: RECORD_SIZE });
  const producer = ring.producer();
  const consumer = ring.consumer();
  const sink = {
    views: new RecordViews(ring.buffer, ring.dataOffset, ring.capacity),
    claim: (n) => producer.claim(n),
    get claimedSlot() { return producer.claimedSlot; },
    get claimedSeq() { return producer.claimedSeq; },
    publish: (n) => producer.publish(n),
    setId: () => {},
    reject: () => {},
  };
  const source = new KafkaSource({ sink, brokers: BROKERS, topic, labelsTopic: null, deadLetterTopic: dlq, group: `g-${topic}` });
  const timer = consumeTimer();
  await source.start();
  const drain = setInterval(() => {
    const n = consumer.published() - consumer.released;
    if (n > 0) {
      consumer.release(n);
      timer.add(n);
    }
  }, 1);
  const consume = await timer.finished;
  clearInterval(drain);
  await source.close();
  // KafkaDecisionSink: one decision per transaction (a third of them alerts), in batches of BATCH, IN_FLIGHT sends
  // at a time as an engine completing batches would make them.
  const decisionsTopic = `${topic}-decisions`;
  const alertsTopic = `${topic}-alerts`;
  await ensureTopics(BROKERS, [{ name: decisionsTopic, partitions: PARTITIONS }, { name: alertsTopic, partitions: 1 }]);
  const out = new KafkaDecisionSink({ brokers: BROKERS, decisionsTopic, alertsTopic });
  const names = ['APPROVE', 'APPROVE', 'REVIEW'];
  const decided = await produceAll((from, to) => {
    const batch = new Array(to - from);
    for (let i = from; i < to; i++) {
      batch[i - from] = { txId: String(i), decisionId: `${topic}-0-${i}`, cardId: messages[i].key, decision: names[i % 3], score: (i % 1000) / 1000, reasons: ['amount_gt_220'], latencyUs: 900 };
    }
    return out.send(batch);
  });
  await out.close();
  return { client: 'fraudstream: produce -> KafkaSource into a SharedRing; KafkaDecisionSink', topic, produce, consume, decisions: decided };
}

/** Kafka's own perf tools with the same payloads (one JSON document per line, picked at random). */
function perfTools(round) {
  const topic = `bench-perftools-${stamp}-${round}`;
  const payloads = `${root}data/kafka-bench-payloads.txt`;
  mkdirSync(`${root}data`, { recursive: true });
  writeFileSync(payloads, `${messages.slice(0, 20000).map((m) => m.value).join('\n')}\n`);
  const kafkaSh = `${root}scripts/kafka.sh`;
  const run = (args) => {
    const r = spawnSync(kafkaSh, ['class', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
  spawnSync(kafkaSh, ['topic', topic, String(PARTITIONS)], { stdio: 'inherit' });
  const pOut = run([
    'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(N), '--payload-file', payloads,
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${BROKERS}`, 'acks=all',
  ]);
  // "500000 records sent, 98000.0 records/sec (18.7 MB/sec), 120.3 ms avg latency, ..."
  const pm = /(\d+) records sent, ([\d.]+) records\/sec/.exec(pOut.trim().split('\n').pop() ?? '');
  const cOut = run([
    'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', BROKERS, '--topic', topic, '--messages', String(N),
    '--group', `g-${topic}`,
  ]);
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
  // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const cols = cOut.trim().split('\n').pop()?.split(',').map((s) => s.trim()) ?? [];
  return {
    client: 'Kafka perf tools 4.1.1 (Java)',
    topic,
    produce: { msgPerSec: pm === null ? null : Math.round(Number(pm[2])), raw: pOut.trim().split('\n').pop() },
    consume: { msgPerSec: Math.round(Number(cols[9])), withJoinMsgPerSec: Math.round(Number(cols[5])), raw: cols.join(', ') },
  };
}

const load = loadavg()[0];
const results = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const run of [platformatic, kafkaJs, fraudstream]) {
    const res = await run(r);
    console.log(JSON.stringify(res));
    results.push(res);
  }
  const perf = perfTools(r);
  console.log(JSON.stringify(perf));
  results.push(perf);
}
const out = {
  suite: 'kafka-clients',
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  loadAverage1mStart: load,
  loadAverage1mEnd: loadavg()[0],
  command: `node bench/kafka-clients.mjs --count ${N} --partitions ${PARTITIONS} --rounds ${ROUNDS} --batch ${BATCH} --in-flight ${IN_FLIGHT}`,
  messages: N,
  avgValueBytes: avgBytes,
  partitions: PARTITIONS,
  results,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/kafka-clients.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.table(
  results.map((r) => ({
    client: r.client,
    'produce msg/s': r.produce.msgPerSec,
    'consume msg/s': r.consume.msgPerSec,
    'consume incl. join msg/s': r.consume.withJoinMsgPerSec,
    'decisions/s (KafkaDecisionSink)': r.decisions?.msgPerSec ?? '-',
    'client CPU us/msg (p/c)': r.produce.clientCpuUsPerMsg === undefined ? '-' : `${r.produce.clientCpuUsPerMsg.toFixed(2)}/${r.consume.clientCpuUsPerMsg.toFixed(2)}`,
  })),
);
console.log(`load average (1 min) at start ${load.toFixed(1)}, at end ${loadavg()[0].toFixed(1)}`);
