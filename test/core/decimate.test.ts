/**
 * Chart decimation: a chart of 2,000 buckets over a million samples keeps
 * every extreme (a one-sample spike survives), respects the time window, and
 * an empty window gives no buckets.
 */
import { describe, expect, it } from 'vitest';
import { decimateSeries } from '../../core/decimate.ts';
import { Prng } from '../../core/prng.ts';

function series(n: number, seed: number): { name: string; unit: string; x: number[]; y: number[] } {
  console.log(`decimate: ${n} samples, seed ${seed}`);
  const rng = new Prng(seed);
  const x = Array.from({ length: n }, (_, i) => i * 1000);
  const y = Array.from({ length: n }, () => rng.below(100));
  return { name: 'vmalloc ops', unit: 'ops', x, y };
}

describe('decimateSeries', () => {
  it('keeps the global min and max and a one-sample spike among 1,000,000 samples', () => {
    const s = series(1_000_000, 7);
    s.y[654_321] = 10_000;
    s.y[123_456] = -5;
    const d = decimateSeries(s, -Infinity, Infinity, 2000);
    expect(d.total).toBe(1_000_000);
    expect(d.x).toHaveLength(2000);
    expect(d.max.reduce((a, b) => Math.max(a, b))).toBe(10_000);
    expect(d.min.reduce((a, b) => Math.min(a, b))).toBe(-5);
    // The spike is in the bucket whose first x is at or before it.
    const b = d.x.filter((x) => x <= 654_321_000).length - 1;
    expect(d.max[b]).toBe(10_000);
  });

  it('only the samples inside [from, to], fewer buckets than samples never invented', () => {
    const s = series(100, 3);
    const d = decimateSeries(s, 10_000, 19_000, 2000);
    expect(d.x).toEqual(Array.from({ length: 10 }, (_, i) => 10_000 + i * 1000));
    expect(d.min).toEqual(s.y.slice(10, 20));
    expect(d.max).toEqual(s.y.slice(10, 20));
    expect(decimateSeries(s, 200_000, 300_000).x).toEqual([]);
  });
});
