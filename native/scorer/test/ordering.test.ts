import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createScorer, destroyScorer, extractFeatures, featureNames, loadModel, scoreBatch, trainGbdt } from '../index.js';
import { DECISION_OFFSET, RESULT_SIZE, encode, randomStream } from './helpers.js';

const N = 6000;
const stream = randomStream(N, 7);
const records = encode(stream, true);

function model(): string {
  const nf = featureNames().length;
  const rows = new Float32Array(N * nf);
  const n = extractFeatures({}, records, N, rows);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = rows[i * nf]! > 300 || rows[i * nf + 18]! > 0.45 ? 1 : 0;
  return trainGbdt(rows.subarray(0, n * nf), labels, n, { trees: 20, maxDepth: 4 });
}
const MODEL = model();

function fresh(): number {
  const h = createScorer({ thresholds: { review: 0.3, decline: 0.7 } });
  loadModel(h, MODEL);
  return h;
}

function batches(sizes: number[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let start = 0, k = 0; start < N; k++) {
    const count = Math.min(sizes[k % sizes.length]!, N - start);
    out.push([start, count, k]);
    start += count;
  }
  return out;
}

function scoreOnMainThread(sizes: number[]): Uint8Array {
  const h = fresh();
  const results = new Uint8Array(N * RESULT_SIZE);
  for (const [start, count, ticket] of batches(sizes)) scoreBatch(h, records, results, start, count, ticket).scored;
  destroyScorer(h);
  return results;
}

function runWorker(data: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(new URL('./fixtures/score-worker.cjs', import.meta.url)), { workerData: data });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('ordering', () => {
  it('gives bit-identical results for 1 batch, many batches and 2 worker threads', async () => {
    const one = scoreOnMainThread([N]);
    const many = scoreOnMainThread([1, 13, 250, 64]);
    expect(Buffer.from(many).equals(Buffer.from(one))).toBe(true);

    const h = fresh();
    const results = new Uint8Array(new SharedArrayBuffer(N * RESULT_SIZE));
    const all = batches([37, 200, 5, 120]);
    // Each worker owns every other ticket, so the gate makes them interleave in dispatch order.
    const scored = await Promise.all(
      [0, 1].map((w) => runWorker({ handle: h, records: records.buffer, results: results.buffer, batches: all.filter((_, i) => i % 2 === w) })),
    );
    destroyScorer(h);
    expect(scored.reduce((a, b) => a + b, 0)).toBe(stream.filter((r) => !r.label).length);
    expect(Buffer.from(results).equals(Buffer.from(one))).toBe(true);
    // The stream is not trivial: some alerts with reasons.
    const decisions = new Set<number>();
    for (let i = 0; i < N; i++) decisions.add(one[i * RESULT_SIZE + DECISION_OFFSET]!);
    expect(decisions.has(0) && (decisions.has(1) || decisions.has(2))).toBe(true);
  });
});
