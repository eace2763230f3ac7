/**
 * The shared memory through which the engine asks its workers to score a batch a second time, in shadow, with the
 * challenger's scorer (see challenger.ts). It sits beside batch-control.ts's descriptors: one shadow descriptor per
 * ticket place, written by the engine before it publishes the batch, read by the worker that claims it.
 *
 * ```
 *  shadow descriptors (Int32Array, SHADOW_DESCRIPTOR = 8 x 4 bytes per ticket, at (ticket & mask) * SHADOW_DESCRIPTOR)
 *  +--------+--------+---------+---------+----------+---------+-----+-----+
 *  | HANDLE | TICKET | SSTATE  | SSCORED | SINVALID | SLABELS |  -  |  -  |
 *  +--------+--------+---------+---------+----------+---------+-----+-----+
 *   the      the      NONE,     what the challenger's scorer counted in
 *   challenger's      SDONE,    the batch, written by the worker before
 *   scorer   own      SFAILED   it marks the batch DONE in batch-control
 *   (0: no   gate
 *   shadow)  ticket
 * ```
 *
 * The challenger's scorer has its own ordering gate, so its tickets are its own (0, 1, 2, ... from its load): the
 * engine gives each batch cut while a challenger is live the next shadow ticket. Checkpoint barriers never take a
 * shadow ticket. Results go to a second results region (same slots as the champion's), never to the sinks.
 */
import type { Scorer } from '@fraudstream/scorer';

/** Shadow descriptor fields (Int32Array, `SHADOW_DESCRIPTOR` per ticket place). */
export const HANDLE = 0;
export const TICKET = 1;
export const SSTATE = 2;
export const SSCORED = 3;
export const SINVALID = 4;
export const SLABELS = 5;
export const SHADOW_DESCRIPTOR = 8;

/** Shadow states: not scored (yet), scored, failed (the challenger's gate ticket was given up). */
export const NONE = 0;
export const SDONE = 1;
export const SFAILED = 2;

/** Index of a ticket's shadow descriptor (the same place arithmetic as batch-control's `descriptorAt`). */
export function shadowAt(ticket: number, mask: number): number {
  return ((ticket % 0x1_0000_0000) & mask) * SHADOW_DESCRIPTOR;
}

/**
 * The worker's side: scores the batch of `ticket` with the challenger named in its shadow descriptor, if any, into
 * `results` (the shadow results region), and writes the outcome. Never throws: a failure gives up the challenger's
 * ticket (so its gate goes on) and is marked SFAILED; the champion's decision is not affected.
 */
export function scoreShadow(
  shadow: Int32Array,
  mask: number,
  ticket: number,
  attach: (handle: number) => Scorer,
  records: Uint8Array,
  results: Uint8Array,
  start: number,
  count: number,
): void {
  const at = shadowAt(ticket, mask);
  const handle = Atomics.load(shadow, at + HANDLE);
  if (handle === 0) return;
  const shadowTicket = shadow[at + TICKET] ?? 0;
  let scorer: Scorer | undefined;
  try {
    scorer = attach(handle);
    const c = scorer.scoreBatch(records, results, start, count, shadowTicket);
    shadow[at + SSCORED] = c.scored;
    shadow[at + SINVALID] = c.invalid;
    shadow[at + SLABELS] = c.labels;
    Atomics.store(shadow, at + SSTATE, SDONE);
  } catch {
    try {
      scorer?.skipTicket(shadowTicket);
    } catch {
      // The challenger was removed and freed meanwhile: nothing waits at its gate any more.
    }
    Atomics.store(shadow, at + SSTATE, SFAILED);
  }
}
