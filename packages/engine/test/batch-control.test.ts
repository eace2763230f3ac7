import { describe, expect, it } from 'vitest';
import { BatchBoard, CLAIMED, DONE, OWNER, claimNext, descriptorAt, unclaimedMark } from '../src/batch-control.js';

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
