/**
 * Seeded pseudo-random numbers for the simulator (sfc32 seeded through
 * splitmix32). Every random choice in `core` comes from one of these, owned by
 * the scheduler or the workload generator, so a run is reproducible from its seed.
 */
export class Prng {
  /**
   * sfc32's state a, b, c, d. An Int32Array, not four fields: the simulator
   * draws on every timed step, and int32 values outside V8's small-integer
   * range would live in boxed fields.
   */
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    let z0 = seed >>> 0;
    const next = (): number => {
      z0 = (z0 + 0x9e3779b9) | 0;
      let z = z0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s[0] = next();
    this.s[1] = next();
    this.s[2] = next();
    this.s[3] = next();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const st = this.s;
    const a = st[0];
    const b = st[1];
    const c = st[2];
    const d = st[3];
    const t = (((a + b) | 0) + d) | 0;
    st[3] = (d + 1) | 0;
    st[0] = b ^ (b >>> 9);
    st[1] = (c + (c << 3)) | 0;
    const c2 = (c << 21) | (c >>> 11);
    st[2] = (c2 + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Fill `out` with the next out.length floats in [0, 1): the numbers next() would give, one after another. */
  fill(out: Float64Array): void {
    const st = this.s;
    let a = st[0];
    let b = st[1];
    let c = st[2];
    let d = st[3];
    for (let i = 0; i < out.length; i++) {
      // nextU32()'s step, with the state in locals.
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      out[i] = (t >>> 0) / 4294967296;
    }
    st[0] = a;
    st[1] = b;
    st[2] = c;
    st[3] = d;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi] inclusive (the renderer's fake lab draws with it). */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** A geometric number of failures before success with probability p (mean (1-p)/p). */
  geometric(p: number): number {
    if (p >= 1) return 0;
    const u = this.next();
    return Math.floor(Math.log(1 - u) / Math.log(1 - p));
  }

  /** Exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return exponentialOf(this.next(), mean);
  }

  /** Derive an independent stream (e.g. one per CPU) from this seed. */
  static derive(seed: number, stream: number): number {
    let z = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
    z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
    return (z ^ (z >>> 16)) >>> 0;
  }
}

/** An exponential variate of the given mean from a uniform draw u in [0, 1) (Prng.exponential, and callers that draw u in batches). */
export function exponentialOf(u: number, mean: number): number {
  return -Math.log(1 - u) * mean;
}
