/**
 * SipHash-2-4 (Aumasson and Bernstein) of one 64-bit message in 32-bit halves: a keyed pseudo-random function
 * designed for short inputs, allocating nothing, where one Node HMAC call costs microseconds. Every value stays an
 * int32 (`| 0`) so V8 keeps it in a register; the carry of a 64-bit add is the top bit of
 * `(a & b) | ((a | b) & ~sum)`.
 */
export class SipHash64 {
  private readonly k0l: number;
  private readonly k0h: number;
  private readonly k1l: number;
  private readonly k1h: number;

  /** `key` is 16 bytes, read as two little-endian u64 words k0, k1. */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError('SipHash key must be 16 bytes');
    const dv = new DataView(key.buffer, key.byteOffset, 16);
    this.k0l = dv.getInt32(0, true);
    this.k0h = dv.getInt32(4, true);
    this.k1l = dv.getInt32(8, true);
    this.k1h = dv.getInt32(12, true);
  }

  /** Hashes the 8 bytes (mLo, mHi little-endian) and writes the 64-bit result to out[offset] (hi), out[offset+1] (lo). */
  hashInto(mLo: number, mHi: number, out: Uint32Array, offset: number): void {
    let v0l = this.k0l ^ 0x70736575;
    let v0h = this.k0h ^ 0x736f6d65;
    let v1l = this.k1l ^ 0x6e646f6d;
    let v1h = this.k1h ^ 0x646f7261;
    let v2l = this.k0l ^ 0x6e657261;
    let v2h = this.k0h ^ 0x6c796765;
    let v3l = this.k1l ^ 0x79746573 ^ mLo;
    let v3h = this.k1h ^ 0x74656462 ^ mHi;
    // 2 rounds on the message, 2 on the final block (the length, 8, in its top byte), 4 to finish.
    for (let r = 0; r < 8; r++) {
      if (r === 2) {
        v0l ^= mLo;
        v0h ^= mHi;
        v3h ^= 0x08000000;
      } else if (r === 4) {
        v0h ^= 0x08000000;
        v2l ^= 0xff;
      }
      let s: number;
      let t: number;
      // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
      s = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0;
      v0l = s;
      t = (v1l << 13) | (v1h >>> 19);
      v1h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
      v1l = t ^ v0l;
      t = v0l;
      v0l = v0h;
      v0h = t;
      // v2 += v3; v3 = rotl(v3, 16) ^ v2
      s = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0;
      v2l = s;
      t = (v3l << 16) | (v3h >>> 16);
      v3h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
      v3l = t ^ v2l;
      // v0 += v3; v3 = rotl(v3, 21) ^ v0
      s = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0;
      v0l = s;
      t = (v3l << 21) | (v3h >>> 11);
      v3h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
      v3l = t ^ v0l;
      // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
      s = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0;
      v2l = s;
      t = (v1l << 17) | (v1h >>> 15);
      v1h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
      v1l = t ^ v2l;
      t = v2l;
      v2l = v2h;
      v2h = t;
    }
    out[offset] = v0h ^ v1h ^ v2h ^ v3h;
    out[offset + 1] = v0l ^ v1l ^ v2l ^ v3l;
  }
}
