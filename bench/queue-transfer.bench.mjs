// Moving 64-byte records from the main thread to a worker thread: the SharedArrayBuffer ring (batch claim/publish,
// read in place) against a postMessage per record and a piscina task per record. One scenario, three peers, one run.
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Bench } from 'tinybench';
import { SharedRing } from '@fraudstream/queue';

const RECORDS = 100_000;
const BATCH = 1024;

export async function run({ time = 1500 } = {}) {
  const ring = SharedRing.create({ capacity: 1 << 16, recordSize: 64 });
  const ringWorker = new Worker(new URL('./fixtures/ring-consumer.mjs', import.meta.url), { workerData: { buffer: ring.buffer } });
  const producer = ring.producer();
  const f64 = new Float64Array(ring.buffer, ring.dataOffset);
  // The ring's slots are opaque here: the producer writes a sequence number in each slot's first 8 bytes.
  const stride = ring.recordSize / Float64Array.BYTES_PER_ELEMENT;

  const msgWorker = new Worker(new URL('./fixtures/message-consumer.mjs', import.meta.url), { workerData: { batch: RECORDS } });
  const pool = new Piscina({ filename: new URL('./fixtures/piscina-task.mjs', import.meta.url).href, minThreads: 1, maxThreads: 1 });
  const record = new Float64Array(8);
  const PISCINA_RECORDS = 10_000;

  const bench = new Bench({ time, warmupTime: 300 });
  bench.add(`SharedRing claim/publish x${BATCH}, read in place (${RECORDS} records)`, async () => {
    let sent = 0;
    while (sent < RECORDS) {
      const n = producer.claim(Math.min(BATCH, RECORDS - sent));
      if (n === 0) {
        await producer.waitForSpace(10);
        continue;
      }
      for (let i = 0; i < n; i++) f64[(producer.claimedSlot + i) * stride] = sent + i;
      producer.publish(n);
      sent += n;
    }
    while (ring.depth() > 0) await producer.waitForSpace(10);
  });
  bench.add(`postMessage per record (${RECORDS} records)`, async () => {
    const done = new Promise((resolve) => msgWorker.once('message', resolve));
    for (let i = 0; i < RECORDS; i++) {
      record[0] = i;
      msgWorker.postMessage(record);
    }
    await done;
  });
  bench.add(`piscina task per record (${PISCINA_RECORDS} records)`, async () => {
    const tasks = new Array(PISCINA_RECORDS);
    for (let i = 0; i < PISCINA_RECORDS; i++) {
      record[0] = i;
      tasks[i] = pool.run(record);
    }
    await Promise.all(tasks);
  });
  await bench.run();
  await ringWorker.terminate();
  await msgWorker.terminate();
  await pool.destroy();
  const perTask = [RECORDS, RECORDS, PISCINA_RECORDS];
  return bench.tasks.map((t, i) => {
    const meanMs = t.result.latency.mean;
    return { name: t.name, records: perTask[i], meanMs, recordsPerSecond: Math.round((perTask[i] / meanMs) * 1000), samples: t.result.latency.samplesCount };
  });
}
