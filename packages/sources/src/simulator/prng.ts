/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state) with the three distributions the
 * simulator needs. Seeded through splitmix32 so that nearby seeds and stream numbers give unrelated sequences.
 * Same seed and stream -> the same sequence on every platform (only 32-bit integer ops and IEEE doubles).
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  /** `seed` is any safe integer; `stream` separates independent sequences derived from one seed. */
  constructor(seed: number, stream = 0) {
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x85ebca6b) ^ Math.imul(stream + 1, 0x9e3779b1);
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Number of float64 values in {@link saveInto}'s output. */
  static readonly STATE_VALUES = 6;

  /** Writes the generator's whole state (sfc32 words and the Box-Muller spare) into out[at .. at + 6). */
  saveInto(out: Float64Array, at: number): void {
    out[at] = this.a;
    out[at + 1] = this.b;
    out[at + 2] = this.c;
    out[at + 3] = this.d;
    out[at + 4] = this.spare;
    out[at + 5] = this.hasSpare ? 1 : 0;
  }

  /** Restores a state written by {@link saveInto}: the same draws follow as after the save. */
  restoreFrom(src: Float64Array, at: number): void {
    this.a = src[at]! | 0;
    this.b = src[at + 1]! | 0;
    this.c = src[at + 2]! | 0;
    this.d = src[at + 3]! | 0;
    this.spare = src[at + 4]!;
    this.hasSpare = src[at + 5] === 1;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on [0, 1) with 32 bits of resolution. */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform on [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^32 (multiply-shift; bias below 2^-32 * n, irrelevant here). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Normal(mean, std) by the Box-Muller transform (the second variate is kept for the next call). */
  normal(mean: number, std: number): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return mean + std * this.spare;
    }
    // 1 - u is in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.random();
    const u2 = this.random();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return mean + std * r * Math.cos(theta);
  }

  /** Poisson(lambda) by Knuth's multiplication method. Note: O(lambda) draws; meant for lambda <= ~30. */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.random();
    while (p > limit) {
      k++;
      p *= this.random();
    }
    return k;
  }
}
