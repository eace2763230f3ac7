/** Past this many read items at its front, a head-indexed queue is copied without them. */
const COMPACT_AFTER = 65_536;

/**
 * A queue kept as an array read from index `head` onwards, with its read front dropped when that is worth it: a new
 * empty array once everything was read, a copy of the unread items once more than 65,536 were read, else `queue`
 * itself. A caller that gets a different array back starts its head at 0 again.
 */
export function compactQueue<T>(queue: T[], head: number): T[] {
  if (head === queue.length) return [];
  return head > COMPACT_AFTER ? queue.slice(head) : queue;
}
