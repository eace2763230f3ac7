import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { BatchBoard, CLAIMED, DONE, OWNER, claimNext, claimOrWait, descriptorAt, unclaimedMark } from '../src/batch-control.js';

describe('the batch hand-over', () => {
  it('claims tickets in order and records the owner in the claim itself', () => {
    const board = new BatchBoard(4);
    for (let t = 0; t < 3; t++) board.publish(t, t * 10, 10);
    expect(claimNext(board.counters, board.descriptors, board.mask, 7)).toBe(0);
    expect(claimNext(board.counters, board.descriptors, board.mask, 8)).toBe(1);
    expect(board.owner(0)).toBe(7);
    expect(board.owner(1)).toBe(8);
    expect(claimNext(board.counters, board.descriptors, board.mask, 7)).toBe(2);
    expect(claimNext(board.counters, board.descriptors, board.mask, 7)).toBe(-1);
    expect(board.unclaimed(3)).toBe(0);
  });

  it('a claimer that took a ticket but died before moving CLAIMED leaves nothing stuck: the next claimer moves it', () => {
    const board = new BatchBoard(4);
    board.publish(0, 0, 5);
    board.publish(1, 5, 5);
    // Task 3 wins ticket 0's OWNER and dies before advancing CLAIMED.
    const at = descriptorAt(0, board.mask);
    expect(Atomics.compareExchange(board.descriptors, at + OWNER, unclaimedMark(0), 3)).toBe(unclaimedMark(0));
    expect(Atomics.load(board.counters, CLAIMED)).toBe(0n);
    expect(claimNext(board.counters, board.descriptors, board.mask, 4)).toBe(1);
    expect(board.owner(0)).toBe(3);
  });

  it('a stale claim on a descriptor reused by a later ticket fails (the unclaimed mark carries the ticket)', () => {
    const board = new BatchBoard(2);
    board.publish(0, 0, 1);
    expect(claimNext(board.counters, board.descriptors, board.mask, 1)).toBe(0);
    Atomics.store(board.descriptors, descriptorAt(0, board.mask) + 2, DONE);
    board.publish(1, 1, 1);
    board.publish(2, 2, 1); // reuses ticket 0's descriptor
    // A worker that read CLAIMED = 0 long ago now tries to take "ticket 0": the mark it expects is gone.
    const at = descriptorAt(0, board.mask);
    expect(Atomics.compareExchange(board.descriptors, at + OWNER, unclaimedMark(0), 9)).not.toBe(unclaimedMark(0));
    expect(board.owner(2)).toBe(unclaimedMark(2));
  });
});

describe('idle worker tasks', () => {
  it('claimOrWait takes a published ticket at once, and gives up after its idle time when none comes', () => {
    const board = new BatchBoard(4);
    board.publish(0, 0, 10);
    expect(claimOrWait(board.counters, board.descriptors, board.mask, 1, 10_000)).toBe(0);
    expect(claimOrWait(board.counters, board.descriptors, board.mask, 1, 5)).toBe(-1);
  });

  it('returns -1 at once after stop(), whatever its idle time (a closing engine does not wait for idle workers)', () => {
    const board = new BatchBoard(4);
    board.stop();
    // With the stop flag ignored this would block the test for 60 s, past its timeout.
    expect(claimOrWait(board.counters, board.descriptors, board.mask, 1, 60_000)).toBe(-1);
  });

  it('a publish wakes a worker sleeping on the board (no task message needed)', async () => {
    const board = new BatchBoard(4);
    // The worker sleeps up to 60 s: only the publish's notify can end its wait within the test's timeout.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const counters = new BigInt64Array(workerData.counters);
      const descriptors = new Int32Array(workerData.descriptors);
      const PUBLISHED = 1;
      parentPort.postMessage('waiting');
      const seen = Atomics.load(counters, PUBLISHED);
      const r = Atomics.wait(counters, PUBLISHED, seen, 60000);
      parentPort.postMessage(r);
    `;
    const worker = new Worker(source, {
      eval: true,
      workerData: { counters: board.counters.buffer, descriptors: board.descriptors.buffer },
    });
    try {
      await new Promise<void>((resolve) => worker.once('message', () => resolve()));
      const woke = new Promise<string>((resolve) => worker.once('message', resolve));
      // Publish until the worker has woken (it may not be asleep yet when the first publish lands).
      let t = 0;
      let result: string | undefined;
      void woke.then((r) => (result = r));
      while (result === undefined && t < 1000) {
        board.publish(t, 0, 1);
        t++;
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await woke).toMatch(/^(ok|not-equal)$/);
    } finally {
      await worker.terminate();
    }
  }, 20_000);
});
