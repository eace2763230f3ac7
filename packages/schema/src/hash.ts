/**
 * 64-bit key of an id string (card, terminal), as two independent 32-bit multiply-xorshift hashes over the
 * UTF-16 code units. Keys only address per-card and per-terminal state (they are never model features), so they
 * must be stable within a process and spread well; 64 bits keep collisions negligible at 10^9 distinct ids.
 *
 * Writes the low word to `out[offset]` and the high word to `out[offset + 1]`, allocating nothing.
 */
export function hashKeyInto(id: string, out: Uint32Array, offset: number): void {
  let h1 = 0x9e3779b9 ^ id.length;
  let h2 = 0x85ebca6b ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  h2 = Math.imul(h2 ^ (h2 >>> 12), 0x297a2d39);
  h2 ^= h2 >>> 15;
  out[offset] = h1 >>> 0;
  out[offset + 1] = h2 >>> 0;
}

const scratch = new Uint32Array(2);

/** The 64-bit key of an id as a bigint (for tests, logs and tools; hot paths use {@link hashKeyInto}). */
export function hashKey(id: string): bigint {
  hashKeyInto(id, scratch, 0);
  return (BigInt(scratch[1] ?? 0) << 32n) | BigInt(scratch[0] ?? 0);
}

/**
 * Masks a card id for display and logs: keeps the last 4 characters, replaces the rest with '*'
 * (at most 4 stars, so the length of the id does not leak either).
 */
export function maskCardId(cardId: string): string {
  if (cardId.length <= 4) return '****';
  return `****${cardId.slice(-4)}`;
}
