import { native } from './native.js';

/**
 * The 16-byte key of the keyed card references for a deployment secret (at least 16 bytes), derived in Rust as
 * `CardRefHasher` of @fraudstream/schema derives it; handed to {@link stageDecisionColumns}.
 */
export function cardRefKey(secret: Uint8Array): Buffer {
  if (!(secret instanceof Uint8Array) || secret.length < 16) throw new TypeError('secret must be a Uint8Array of at least 16 bytes');
  return native.cardRefKey(secret);
}

/**
 * Lays out, in Rust, the decision log's columns of the scored batch at ring slots `[start, start + count)` in the
 * columns region (`DecisionColumns` of @fraudstream/engine, `capacity` slots, viewed as bytes): its transactions
 * compacted from index `start` (time, integer id, keyed card reference, score, decision, flag, source slot) and the
 * batch's generation. Returns the number of transactions written, or -1 when more than one scorer generation decided
 * them. The staged mark is the caller's to publish (an atomic store) after this returns.
 */
export function stageDecisionColumns(
  records: Uint8Array,
  results: Uint8Array,
  columns: Uint8Array,
  capacity: number,
  start: number,
  count: number,
  key: Uint8Array,
): number {
  return native.stageDecisionColumns(records, results, columns, capacity, start, count, key);
}
