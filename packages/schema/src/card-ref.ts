import { createHmac } from 'node:crypto';
import { hashKeyInto } from './hash.js';
import { SipHash64 } from './siphash.js';

/** Shortest accepted deployment secret, in bytes. */
export const MIN_SECRET_BYTES = 16;
/**
 * Keyed card references, the one owner of `cardRef` (the decision log, the case store, the live feed, the alerts and
 * the webhook all show a card through it): a card appears in the decision log and the case store only as SipHash-2-4(k, cardKey),
 * 64 bits rendered as 16 hex digits, where `cardKey` is the 8 little-endian bytes of the card id's 64-bit key
 * ({@link hashKeyInto}), the only form of the card id that exists past ingest, and k is 128 bits of
 * HMAC-SHA256(secret, "fraudstream card-ref v1"). Without the deployment's secret a reference cannot be linked to a
 * card id, even by hashing candidate ids.
 *
 * Why SipHash and not one HMAC per card: SipHash is a keyed PRF (a MAC) made for short inputs; in JS it costs
 * ~0.1 us where a Node HMAC call costs ~3-5 us (measured in the store package's README), too much at a million decisions a second.
 * References are also cached by card key in a direct-mapped table of `cacheSlots` entries (typed arrays, no
 * allocation per decision), so a repeat card costs two compares.
 */
export class CardRefHasher {
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly refs: Uint32Array;
  private readonly used: Uint8Array;
  private readonly scratch = new Uint32Array(2);
  private readonly shortScratch = new Uint32Array(2);
  private readonly sip: SipHash64;

  constructor(
    private readonly secret: Buffer,
    cacheSlots = 1 << 16,
  ) {
    checkSecret(secret);
    this.sip = new SipHash64(createHmac('sha256', secret).update('fraudstream card-ref v1').digest().subarray(0, 16));
    if (!Number.isInteger(cacheSlots) || cacheSlots < 1 || cacheSlots > 1 << 24 || (cacheSlots & (cacheSlots - 1)) !== 0) {
      throw new RangeError('cacheSlots must be a power of two from 1 to 16777216');
    }
    this.mask = cacheSlots - 1;
    this.keys = new Uint32Array(cacheSlots * 2);
    this.refs = new Uint32Array(cacheSlots * 2);
    this.used = new Uint8Array(cacheSlots);
  }

  /** Writes the reference of the card whose 64-bit key is (lo, hi) into out[offset] (high word) and out[offset+1]. */
  refOfKeyInto(lo: number, hi: number, out: Uint32Array, offset: number): void {
    lo >>>= 0;
    hi >>>= 0;
    const slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    const k = slot * 2;
    if (this.used[slot] === 1 && this.keys[k] === lo && this.keys[k + 1] === hi) {
      out[offset] = this.refs[k] ?? 0;
      out[offset + 1] = this.refs[k + 1] ?? 0;
      return;
    }
    this.sip.hashInto(lo, hi, this.scratch, 0);
    const rHi = this.scratch[0] as number;
    const rLo = this.scratch[1] as number;
    this.used[slot] = 1;
    this.keys[k] = lo;
    this.keys[k + 1] = hi;
    this.refs[k] = rHi;
    this.refs[k + 1] = rLo;
    out[offset] = rHi;
    out[offset + 1] = rLo;
  }

  /** The reference of a card id as 16 hex digits (for tools and tests; the engine uses {@link refOfKeyInto}). */
  refOf(cardId: string): string {
    if (typeof cardId !== 'string' || cardId.length === 0 || cardId.length > 64) {
      throw new TypeError('cardId must be a string of 1 to 64 characters');
    }
    const key = new Uint32Array(2);
    hashKeyInto(cardId, key, 0);
    const out = new Uint32Array(2);
    this.refOfKeyInto(key[0] ?? 0, key[1] ?? 0, out, 0);
    return hex8(out[0] ?? 0) + hex8(out[1] ?? 0);
  }

  /**
   * The short form shown in the live feed, the alerts and webhook messages: `…` and the last 6 hex digits of the
   * reference (so it matches the end of the full reference in the decision log). Allocates one short string.
   */
  shortRefOfKey(lo: number, hi: number): string {
    this.refOfKeyInto(lo, hi, this.shortScratch, 0);
    return `…${((this.shortScratch[1] ?? 0) & 0xffffff).toString(16).padStart(6, '0')}`;
  }

  /** A fingerprint of the secret (not the secret): lets a reader tell that it holds the writer's secret. */
  fingerprint(): string {
    return createHmac('sha256', this.secret).update('fraudstream card-ref fingerprint v1').digest('hex').slice(0, 16);
  }
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

function checkSecret(secret: unknown): asserts secret is Buffer {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
}
