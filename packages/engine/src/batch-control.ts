/**
 * The shared memory through which the engine hands micro-batches to its workers without a round trip per batch.
 *
 * The engine cuts a batch, writes its descriptor (first slot, record count) at its ticket's place in a ring of
 * descriptors and publishes it by raising `PUBLISHED`. A worker claims the next ticket with a compare-and-swap on
 * `CLAIMED`, scores the batch, marks the descriptor done (or failed), raises `COMPLETED` and notifies it, then claims
 * the next ticket, until none is published. Claims follow ticket order, so a worker never holds a later ticket while
 * an earlier one waits unclaimed: the addon's ordering gate can always advance, whatever order piscina runs tasks
 * in. The engine watches `COMPLETED` with `Atomics.waitAsync` and accounts finished batches in ticket order.
 */

/** Counters (BigInt64Array): the next ticket to claim, tickets published, batches finished. */
export const CLAIMED = 0;
export const PUBLISHED = 1;
export const COMPLETED = 2;
export const COUNTERS = 3;

/** Descriptor fields (Int32Array, `DESCRIPTOR` per ticket at `(ticket & mask) * DESCRIPTOR`). */
export const START = 0;
export const COUNT = 1;
export const STATE = 2;
/** The task that claimed the ticket (to fail its batches if that task's worker dies). */
export const OWNER = 3;
export const DESCRIPTOR = 4;

/** Descriptor states. */
export const CUT = 0;
export const RUNNING = 1;
export const DONE = 2;
export const FAILED = 3;

/** Ring size for `maxInFlight` batches: a power of two, so a ticket's place is `ticket & (size - 1)`. */
export function descriptorRingSize(maxInFlight: number): number {
  let size = 1;
  while (size < maxInFlight) size *= 2;
  return size;
}

/** Index of a ticket's descriptor in the Int32Array. */
export function descriptorAt(ticket: number, mask: number): number {
  // `ticket % 2^32` keeps the low bits exactly for any safe integer; the mask then picks the place.
  return ((ticket % 0x1_0000_0000) & mask) * DESCRIPTOR;
}
