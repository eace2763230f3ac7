/**
 * The shared memory through which the engine hands micro-batches to its workers without a round trip per batch.
 *
 * The engine cuts a batch, writes its descriptor at its ticket's place in a ring of descriptors and publishes it by
 * raising `PUBLISHED`. A worker claims the next ticket (see {@link claimNext}), scores the batch, writes what the
 * scorer counted into the descriptor, marks it done (or failed), raises `COMPLETED` and notifies it, then claims the
 * next ticket; when none is published it sleeps on `PUBLISHED` (`Atomics.wait`, woken by the engine's publish) for up
 * to {@link IDLE_MS} before its task ends, so at a steady load a task never returns to piscina and no batch costs a
 * task message. Claims follow ticket order, so a worker never holds a later ticket while an
 * earlier one waits unclaimed: the addon's ordering gate can always advance, whatever order piscina runs tasks in.
 * The engine watches `COMPLETED` with `Atomics.waitAsync` and accounts finished batches in ticket order.
 *
 * ```
 *  counters (BigInt64Array, 5 x 8 bytes)
 *  +----------+-----------+-----------+---------+---------+
 *  | CLAIMED  | PUBLISHED | COMPLETED | STOPPED | BUSY_NS |  CLAIMED: next ticket to claim; PUBLISHED: tickets
 *  +----------+-----------+-----------+---------+---------+  published (idle workers wait on it); COMPLETED: batches
 *                                                            finished (the engine waits on it); STOPPED: 1 once the
 *                                                            engine closes; BUSY_NS: time the workers spent in the
 *                                                            scorer call, summed (for /metrics)
 *
 *  descriptors (Int32Array, DESCRIPTOR = 8 x 4 bytes per ticket, at (ticket & mask) * DESCRIPTOR)
 *  +-------+-------+-------+-------+--------+--------+---------+-----+
 *  | START | COUNT | STATE | OWNER | SCORED | LABELS | INVALID |  -  |
 *  +-------+-------+-------+-------+--------+--------+---------+-----+
 *   first   records CUT,    task id  what the Rust scorer counted in the batch
 *   slot    handed  RUNNING, (>= 0), (status Scored / Label / Invalid), written
 *           to the  DONE,    or the  by the worker before DONE
 *           scorer  FAILED   ticket's unclaimed mark (< 0)
 * ```
 *
 * OWNER is the claim itself: a worker takes ticket t by compare-and-swap of OWNER from t's unclaimed mark to its task
 * id, so the owner of every claimed ticket is known from the moment it is taken, and a dead worker's batches can be
 * found. The unclaimed mark carries the ticket's low 30 bits, so a worker that read an old `CLAIMED` and slept while
 * the descriptor was reused for a later ticket cannot take the later ticket by mistake.
 */

/** Counters (BigInt64Array): the next ticket to claim, tickets published, batches finished. */
export const CLAIMED = 0;
export const PUBLISHED = 1;
export const COMPLETED = 2;
export const STOPPED = 3;
/** Nanoseconds the workers spent in `scoreBatch` (including the wait at the addon's ordering gate), summed. */
export const BUSY_NS = 4;
export const COUNTERS = 5;

/** How long a worker task with nothing to claim waits for the next publish before it ends, ms. */
export const IDLE_MS = 50;

/** Descriptor fields (Int32Array, `DESCRIPTOR` per ticket at `(ticket & mask) * DESCRIPTOR`). */
export const START = 0;
export const COUNT = 1;
export const STATE = 2;
/** The task that claimed the ticket, or the ticket's unclaimed mark (see {@link unclaimedMark}). */
export const OWNER = 3;
/** What the scorer counted in the batch (written by the worker from the addon's return value before DONE). */
export const SCORED = 4;
export const LABELS = 5;
export const INVALID = 6;
export const DESCRIPTOR = 8;

/** OWNER of a ticket the engine scored on its own thread: no task id (tasks count up from 0) and no unclaimed mark. */
export const INLINE_OWNER = 0x7fff_ffff;

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

/** The OWNER value of a published, unclaimed ticket: negative, and different for tickets sharing a descriptor. */
export function unclaimedMark(ticket: number): number {
  return -1 - (ticket % 0x4000_0000);
}

/**
 * Claims the next published ticket for task `taskId` (>= 0); -1 when every published ticket is taken. The claim is
 * one compare-and-swap of the ticket's OWNER; `CLAIMED` is then moved past it by whichever thread gets there first,
 * so a claimer that dies between the two steps leaves nothing stuck.
 */
export function claimNext(counters: BigInt64Array, descriptors: Int32Array, mask: number, taskId: number): number {
  for (;;) {
    const next = Atomics.load(counters, CLAIMED);
    if (next >= Atomics.load(counters, PUBLISHED)) return -1;
    const ticket = Number(next);
    const at = descriptorAt(ticket, mask);
    const won = Atomics.compareExchange(descriptors, at + OWNER, unclaimedMark(ticket), taskId) === unclaimedMark(ticket);
    Atomics.compareExchange(counters, CLAIMED, next, next + 1n);
    if (won) return ticket;
  }
}

/**
 * Claims the next published ticket like {@link claimNext}, sleeping on `PUBLISHED` for up to `idleMs` while none is;
 * -1 when none came in that time or the engine has stopped. For worker threads only (it blocks).
 */
export function claimOrWait(counters: BigInt64Array, descriptors: Int32Array, mask: number, taskId: number, idleMs: number): number {
  for (;;) {
    // Read PUBLISHED before trying to claim: a publish after this read changes it, so the wait below returns at once.
    const seen = Atomics.load(counters, PUBLISHED);
    const ticket = claimNext(counters, descriptors, mask, taskId);
    if (ticket >= 0) return ticket;
    if (Atomics.load(counters, STOPPED) !== 0n) return -1;
    if (Atomics.wait(counters, PUBLISHED, seen, idleMs) === 'timed-out') return claimNext(counters, descriptors, mask, taskId);
  }
}

/** What the scorer counted in a finished batch, as its worker wrote it into the descriptor. */
export interface BatchReport {
  scored: number;
  labels: number;
  invalid: number;
}

/** The engine's side of the hand-over: the shared counters and descriptors, and the operations on them. */
export class BatchBoard {
  readonly counters = new BigInt64Array(new SharedArrayBuffer(COUNTERS * BigInt64Array.BYTES_PER_ELEMENT));
  readonly descriptors: Int32Array;
  readonly mask: number;

  constructor(maxInFlight: number) {
    const size = descriptorRingSize(maxInFlight);
    this.descriptors = new Int32Array(new SharedArrayBuffer(size * DESCRIPTOR * 4));
    this.mask = size - 1;
  }

  /** Writes ticket's descriptor (records `[slot, slot + count)`) and publishes it for the workers to claim. */
  publish(ticket: number, slot: number, count: number): void {
    const at = descriptorAt(ticket, this.mask);
    const d = this.descriptors;
    d[at + START] = slot;
    d[at + COUNT] = count;
    d[at + SCORED] = 0;
    d[at + LABELS] = 0;
    d[at + INVALID] = 0;
    Atomics.store(d, at + OWNER, unclaimedMark(ticket));
    Atomics.store(d, at + STATE, CUT);
    Atomics.store(this.counters, PUBLISHED, BigInt(ticket + 1));
    // Wakes one idle worker task, if any is waiting (see waitForPublish).
    Atomics.notify(this.counters, PUBLISHED, 1);
  }

  /**
   * Settles `ticket` without publishing it (the engine scored it on its own thread): writes its descriptor as a
   * worker would, DONE with the scorer's counts or FAILED without them. Workers never claim it (it is not published:
   * the claim CAS on OWNER fails and CLAIMED moves past it, as for a barrier's ticket).
   */
  settleInline(ticket: number, slot: number, count: number, report: BatchReport | undefined): void {
    const at = descriptorAt(ticket, this.mask);
    const d = this.descriptors;
    d[at + START] = slot;
    d[at + COUNT] = count;
    d[at + SCORED] = report?.scored ?? 0;
    d[at + LABELS] = report?.labels ?? 0;
    d[at + INVALID] = report?.invalid ?? 0;
    Atomics.store(d, at + OWNER, INLINE_OWNER);
    Atomics.store(d, at + STATE, report === undefined ? FAILED : DONE);
  }

  /** Tickets published and not yet claimed. */
  unclaimed(published: number): number {
    return published - Number(Atomics.load(this.counters, CLAIMED));
  }

  state(ticket: number): number {
    return Atomics.load(this.descriptors, descriptorAt(ticket, this.mask) + STATE);
  }

  owner(ticket: number): number {
    return Atomics.load(this.descriptors, descriptorAt(ticket, this.mask) + OWNER);
  }

  /** The scorer's counts of a DONE batch. */
  report(ticket: number): BatchReport {
    const at = descriptorAt(ticket, this.mask);
    const d = this.descriptors;
    return { scored: d[at + SCORED] ?? 0, labels: d[at + LABELS] ?? 0, invalid: d[at + INVALID] ?? 0 };
  }

  /** Hands a claimed, unstarted ticket to another task (a retry after its worker died). */
  reassign(ticket: number, taskId: number): void {
    const at = descriptorAt(ticket, this.mask);
    Atomics.store(this.descriptors, at + OWNER, taskId);
    Atomics.store(this.descriptors, at + STATE, CUT);
  }

  /** Marks a ticket failed (its batch is decided by the fallback). */
  fail(ticket: number): void {
    Atomics.store(this.descriptors, descriptorAt(ticket, this.mask) + STATE, FAILED);
  }

  /** Calls `onChange` each time a worker raises COMPLETED (and once at once), until `stopped()`. */
  watch(onChange: () => void, stopped: () => boolean): void {
    const loop = (): void => {
      if (stopped()) return;
      const seen = Atomics.load(this.counters, COMPLETED);
      onChange();
      const wait = Atomics.waitAsync(this.counters, COMPLETED, seen);
      if (wait.async) void wait.value.then(loop);
      else setImmediate(loop);
    };
    loop();
  }

  /** Wakes a pending watch and every idle worker task, which then end (on close). */
  stop(): void {
    Atomics.store(this.counters, STOPPED, 1n);
    Atomics.notify(this.counters, PUBLISHED);
    Atomics.notify(this.counters, COMPLETED);
  }
}
