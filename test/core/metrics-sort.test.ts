import { describe, expect, it } from 'vitest';
import { Prng } from '../../core/prng.ts';
import { sortedCopy } from '../../core/metrics.ts';

// A timed run's latency percentiles and mean are read from the sorted latencies (the mean sums them in sorted
// order): the radix sort must give the built-in sort's array bit for bit, or a run's metrics would change.
/** The first index where the two arrays' bit patterns differ, or -1 (a plain loop: toEqual on big arrays is slow). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i >> 1;
  return -1;
}

describe('sortedCopy', () => {
  const draws: [string, (p: Prng) => number][] = [
    ['small integers (many equal)', (p) => p.below(1000)],
    ['latencies (exponential, fractional ns)', (p) => p.exponential(200_000)],
    ['wide range', (p) => p.next() * 2 ** (p.below(60))],
    ['one value', () => 42.5],
    ['zeros and tiny values', (p) => (p.below(3) === 0 ? 0 : p.next() * 1e-300)],
  ];
  for (const seed of [1, 2, 3]) {
    for (const [name, draw] of draws) {
      for (const n of [0, 3, 4095, 4096, 50_000]) {
        it(`orders ${n} ${name} as Float64Array.sort() does (seed ${seed})`, () => {
          const p = new Prng(seed);
          const xs = new Float64Array(n);
          for (let i = 0; i < n; i++) xs[i] = draw(p);
          const before = xs.slice();
          const want = xs.slice().sort();
          const got = sortedCopy(xs);
          expect(firstDifference(got, want)).toBe(-1);
          // A copy: the simulator's own latency log is left as it was.
          expect(firstDifference(xs, before)).toBe(-1);
        });
      }
    }
  }
  it('keeps the built-in order for values the radix order does not cover (-0, negatives, NaN)', () => {
    const p = new Prng(9);
    const xs = new Float64Array(10_000);
    for (let i = 0; i < xs.length; i++) xs[i] = p.next() * 1000 - 10;
    xs[5] = -0;
    xs[6] = 0;
    xs[7] = Number.NaN;
    const want = xs.slice().sort();
    expect(firstDifference(sortedCopy(xs), want)).toBe(-1);
  });
});
