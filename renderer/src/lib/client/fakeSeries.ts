/**
 * Long series for the fake lab, never held in memory: a series of any
 * length (1,000,000 points for the benchmark) is a function of its index,
 * a smooth trend per cell of 256 points plus bounded per-point noise, so
 * `getSeries` decimates any window to min/max per bucket the way the lab
 * service does — exactly up to two cells per bucket, and from the bounds of
 * the cells a wider bucket touches above that (a little wider than the true
 * min/max, never narrower), which keeps a request over a million points to
 * a few thousand cell visits.
 */
import type { SeriesSlice } from '../api.ts';

const CELL = 256;

export interface LazySeries {
  name: string;
  unit: string;
  /** Points in the series. */
  total: number;
  /** Simulated ns between points. */
  dtNs: number;
  /** The value at point i. */
  at(i: number): number;
  /** Bounds of the values in cell c (points c*256 .. c*256+255). */
  cellBounds(c: number): [number, number];
}

/** A hash of (seed, i) in [0, 1): deterministic noise with no state. */
function noise(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

interface Shape {
  name: string;
  unit: string;
  /** The trend at fraction f of the run (0..1). */
  trend: (f: number) => number;
  /** Noise amplitude (±). */
  jitter: number;
  integer: boolean;
}

/** What each strategy's run looks like over time (the same shapes the fake's short series and live charts use). */
function shapes(strategy: string, phase: number): Shape[] {
  const opsRate = ({ opt1: 0.52, opt2: 0.86, v5: 0.97 } as Record<string, number>)[strategy] ?? 1;
  const dropped = strategy === 'opt3' || strategy === 'v6' ? 0 : strategy === 'upstream' ? 9 : 14;
  return [
    { name: 'vmalloc.ops', unit: 'ops', trend: (f) => f * 193_000 * opsRate + Math.sin(f * 40 + phase) * 300 * f, jitter: 40, integer: true },
    { name: 'hotremove.ops', unit: 'ops', trend: (f) => Math.floor(f * 28), jitter: 0, integer: true },
    { name: 'tlbi.total', unit: 'TLBIs', trend: (f) => f * 459_000 + Math.floor(f * 28) * (strategy === 'opt3' || strategy === 'v6' ? 32 : 36), jitter: 8, integer: true },
    { name: 'pgtable.live_tables', unit: 'pages', trend: (f) => 72 + Math.sin(f * 25 + phase) * 3 + f * 6 - (Math.floor(f * 28) % 2 === 1 ? dropped : 0), jitter: 1.4, integer: true },
  ];
}

export function lazySeries(strategy: string, seed: number, total: number, durationNs = 1e9): LazySeries[] {
  const dtNs = durationNs / total;
  const phase = (seed % 17) * 0.37;
  return shapes(strategy, phase).map((shape, k) => {
    const s = seed * 31 + k;
    const at = (i: number): number => {
      const v = Math.max(0, shape.trend(i / total) + (noise(s, i) * 2 - 1) * shape.jitter);
      return shape.integer ? Math.round(v) : v;
    };
    const cellBounds = (c: number): [number, number] => {
      const a = shape.trend((c * CELL) / total);
      const b = shape.trend(Math.min(total - 1, c * CELL + CELL - 1) / total);
      const lo = Math.max(0, Math.min(a, b) - shape.jitter);
      const hi = Math.max(a, b) + shape.jitter;
      return shape.integer ? [Math.round(lo), Math.round(hi)] : [lo, hi];
    };
    return { name: shape.name, unit: shape.unit, total, dtNs, at, cellBounds };
  });
}

/** Min/max per bucket over [from, to] ns, at most `points` buckets (the lab service's decimation, PROTOCOL's getSeries). */
export function decimateLazy(series: LazySeries, from = -Infinity, to = Infinity, points = 2000): SeriesSlice {
  const out: SeriesSlice = { name: series.name, unit: series.unit, total: series.total, x: [], min: [], max: [] };
  // Point i is at x = (i + 1) * dt: the first sample comes after one interval, as the engine samples.
  const first = Number.isFinite(from) ? Math.max(0, Math.ceil(from / series.dtNs) - 1) : 0;
  const last = Number.isFinite(to) ? Math.min(series.total - 1, Math.floor(to / series.dtNs) - 1) : series.total - 1;
  const n = last - first + 1;
  if (n <= 0) return out;
  const buckets = Math.max(1, Math.min(points, n));
  for (let b = 0; b < buckets; b++) {
    const s = first + Math.floor((b * n) / buckets);
    const e = first + Math.floor(((b + 1) * n) / buckets);
    if (e <= s) continue;
    let mn = Infinity;
    let mx = -Infinity;
    if (e - s <= 2 * CELL) {
      for (let i = s; i < e; i++) {
        const v = series.at(i);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    } else if (e - s > 2 * CELL) {
      // Wide buckets: the bounds of every cell they touch (a little wider than exact at the ends, never narrower).
      for (let c = Math.floor(s / CELL); c <= Math.floor((e - 1) / CELL); c++) {
        const [a, z] = series.cellBounds(c);
        if (a < mn) mn = a;
        if (z > mx) mx = z;
      }
    } else {
      // Exact at the ragged ends, per-cell bounds in between.
      const c0 = Math.ceil(s / CELL);
      const c1 = Math.floor(e / CELL);
      for (let i = s; i < c0 * CELL; i++) {
        const v = series.at(i);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
      for (let c = c0; c < c1; c++) {
        const [a, z] = series.cellBounds(c);
        if (a < mn) mn = a;
        if (z > mx) mx = z;
      }
      for (let i = c1 * CELL; i < e; i++) {
        const v = series.at(i);
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
    out.x.push((s + 1) * series.dtNs);
    out.min.push(mn);
    out.max.push(mx);
  }
  return out;
}
