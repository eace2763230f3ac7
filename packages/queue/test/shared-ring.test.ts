import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RingOptionsError, SharedRing } from '../src/index.js';

function run<T>(file: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(`./fixtures/${file}`, import.meta.url), { workerData });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${file} exited with ${code}`));
    });
  });
}

describe('SharedRing', () => {
  it('rejects invalid options with a message naming the option', () => {
    expect(() => SharedRing.create({ capacity: 100, recordSize: 64 })).toThrow(RingOptionsError);
    expect(() => SharedRing.create({ capacity: 100, recordSize: 64 })).toThrow(/options\.capacity/);
    expect(() => SharedRing.create({ capacity: 64, recordSize: 12 })).toThrow(/options\.recordSize/);
  });

  it('applies backpressure when full: claim returns 0 and nothing is overwritten', () => {
    const ring = SharedRing.create({ capacity: 8, recordSize: 16 });
    const p = ring.producer();
    const c = ring.consumer();
    const f64 = new Float64Array(ring.buffer, ring.dataOffset);
    let written = 0;
    for (;;) {
      const n = p.claim(3);
      if (n === 0) break;
      for (let i = 0; i < n; i++) f64[(p.claimedSlot + i) * 2] = written + i;
      p.publish(n);
      written += n;
    }
    expect(written).toBe(8);
    expect(p.free()).toBe(0);
    expect(ring.depth()).toBe(8);
    expect(p.pushBatch(new Uint8Array(16), 1)).toBe(0);
    const out = new Uint8Array(8 * 16);
    expect(c.popBatch(out, 8)).toBe(8);
    expect(Array.from(new Float64Array(out.buffer)).filter((_, i) => i % 2 === 0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(p.free()).toBe(8);
  });

  it('claims stop at the end of the buffer so every claim is contiguous', () => {
    const ring = SharedRing.create({ capacity: 8, recordSize: 8 });
    const p = ring.producer();
    const c = ring.consumer();
    expect(p.claim(6)).toBe(6);
    p.publish(6);
    c.release(c.published() - c.released);
    expect(p.claim(6)).toBe(2);
    expect(p.claimedSlot).toBe(6);
    expect(p.claimedSeq).toBe(6);
    p.publish(2);
    expect(p.claim(6)).toBe(6);
    expect(p.claimedSlot).toBe(0);
    expect(p.claimedSeq).toBe(8);
  });

  it('refuses to publish more than was claimed or release more than was published', () => {
    const ring = SharedRing.create({ capacity: 8, recordSize: 8 });
    const p = ring.producer();
    const c = ring.consumer();
    expect(p.claim(2)).toBe(2);
    expect(() => p.publish(3)).toThrow(RangeError);
    p.publish(2);
    c.published();
    expect(() => c.release(3)).toThrow(RangeError);
  });

  it('waitForData resolves when the producer publishes', async () => {
    const ring = SharedRing.create({ capacity: 8, recordSize: 8 });
    const p = ring.producer();
    const c = ring.consumer();
    const waiting = c.waitForData(5000);
    setTimeout(() => {
      p.claim(1);
      p.publish(1);
    }, 5);
    expect(await waiting).toBe(true);
    expect(await c.waitForData(1)).toBe(true);
    c.release(c.published() - c.released);
    expect(await c.waitForData(1)).toBe(false);
  });

  for (const useCopy of [false, true]) {
    it(`moves 1,000,000 records between two worker threads with no loss, no duplicate and order kept across wrap-around (${useCopy ? 'pushBatch/popBatch' : 'claim/publish zero-copy'})`, async () => {
      const ring = SharedRing.create({ capacity: 256, recordSize: 16 });
      const total = 1_000_000;
      const data = { buffer: ring.buffer, total, maxBatch: 100, useCopy };
      const [prod, cons] = await Promise.all([
        run<{ produced: number; fullWaits: number }>('producer.mjs', data),
        run<{ consumed: number; error: string | null }>('consumer.mjs', data),
      ]);
      expect(cons.error).toBeNull();
      expect(prod.produced).toBe(total);
      expect(cons.consumed).toBe(total);
      expect(ring.depth()).toBe(0);
    }, 60_000);
  }
});
