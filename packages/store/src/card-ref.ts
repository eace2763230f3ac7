import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashKeyInto } from '@fraudstream/schema';
import { StoreInputError } from './errors.js';
import { SipHash64 } from './siphash.js';

/** Shortest accepted deployment secret, in bytes. */
export const MIN_SECRET_BYTES = 16;
/** File in the data dir holding the generated deployment secret when none is configured (mode 0600). */
export const SECRET_FILE = 'card-ref.key';

/**
 * Keyed card references: a card appears in the decision log and the case store only as SipHash-2-4(k, cardKey),
 * 64 bits rendered as 16 hex digits, where `cardKey` is the 8 little-endian bytes of the card id's 64-bit key
 * ({@link hashKeyInto}), the only form of the card id that exists past ingest, and k is 128 bits of
 * HMAC-SHA256(secret, "fraudstream card-ref v1"). Without the deployment's secret a reference cannot be linked to a
 * card id, even by hashing candidate ids.
 *
 * Why SipHash and not one HMAC per card: SipHash is a keyed PRF (a MAC) made for short inputs; in JS it costs
 * ~0.1 us where a Node HMAC call costs ~3-5 us (bench/RESULTS.md), too much at a million decisions a second.
 * References are also cached by card key in a direct-mapped table of `cacheSlots` entries (typed arrays, no
 * allocation per decision), so a repeat card costs two compares.
 */
export class CardRefHasher {
  private readonly mask: number;
  private readonly keys: Uint32Array;
  private readonly refs: Uint32Array;
  private readonly used: Uint8Array;
  private readonly scratch = new Uint32Array(2);
  private readonly sip: SipHash64;

  constructor(
    private readonly secret: Buffer,
    cacheSlots = 1 << 16,
  ) {
    checkSecret(secret);
    this.sip = new SipHash64(createHmac('sha256', secret).update('fraudstream card-ref v1').digest().subarray(0, 16));
    if (!Number.isInteger(cacheSlots) || cacheSlots < 1 || cacheSlots > 1 << 24 || (cacheSlots & (cacheSlots - 1)) !== 0) {
      throw new StoreInputError('cacheSlots', 'cacheSlots must be a power of two from 1 to 16777216');
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
      throw new StoreInputError('cardId', 'cardId must be a string of 1 to 64 characters');
    }
    const key = new Uint32Array(2);
    hashKeyInto(cardId, key, 0);
    const out = new Uint32Array(2);
    this.refOfKeyInto(key[0] ?? 0, key[1] ?? 0, out, 0);
    return refToHex(out[0] ?? 0, out[1] ?? 0);
  }

  /** A fingerprint of the secret (not the secret): lets a reader tell that it holds the writer's secret. */
  fingerprint(): string {
    return createHmac('sha256', this.secret).update('fraudstream card-ref fingerprint v1').digest('hex').slice(0, 16);
  }
}

/** Renders a reference's two words as 16 lower-case hex digits. */
export function refToHex(hi: number, lo: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** Parses 16 hex digits into a reference's [hi, lo] words; a bad value is an error naming `field`. */
export function refFromHex(hex: string, field: string): [number, number] {
  if (typeof hex !== 'string' || !/^[0-9a-f]{16}$/.test(hex)) {
    throw new StoreInputError(field, `${field} must be 16 lower-case hex digits`);
  }
  return [Number.parseInt(hex.slice(0, 8), 16), Number.parseInt(hex.slice(8), 16)];
}

function checkSecret(secret: unknown): asserts secret is Buffer {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new StoreInputError('secret', `secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
}

/**
 * The deployment's card-reference secret for a data dir: `DIR/card-ref.key` (32 random bytes, hex, mode 0600),
 * created on first use. Configuration may supply its own secret instead; either way it must stay the same for the
 * life of the data, or old references no longer match new lookups.
 */
export function loadOrCreateSecret(dataDir: string, create = true): Buffer {
  const file = join(dataDir, SECRET_FILE);
  if (!existsSync(file)) {
    if (!create) throw new StoreInputError('dataDir', `${file} does not exist: no card-reference secret in this data dir`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{32,256}$/.test(text)) throw new StoreInputError('dataDir', `${file} must hold 32 to 256 hex digits`);
  return Buffer.from(text, 'hex');
}
