/**
 * Min/max decimation of a series for charts: per bucket of a time window the
 * smallest and largest value, so a chart of any width draws the same extremes
 * as the full series (a spike one sample wide is never averaged away). Used by
 * the lab service's getSeries and by the renderer's fake lab alike.
 */
import type { Series } from './results.ts';

export interface DecimatedSeries {
  name: string;
  unit: string;
  /** Samples in the whole series. */
  total: number;
  /** Per bucket: the first sample's x, and the bucket's min and max y. */
  x: number[];
  min: number[];
  max: number[];
}

/** At most `points` buckets over the samples with from <= x <= to (simulated ns). */
export function decimateSeries(series: Series, from = -Infinity, to = Infinity, points = 2000): DecimatedSeries {
  const { x, y } = series;
  const out: DecimatedSeries = { name: series.name, unit: series.unit, total: x.length, x: [], min: [], max: [] };
  let lo = 0;
  while (lo < x.length && x[lo] < from) lo++;
  let hi = lo;
  while (hi < x.length && x[hi] <= to) hi++;
  const n = hi - lo;
  if (n === 0) return out;
  const buckets = Math.max(1, Math.min(points, n));
  for (let b = 0; b < buckets; b++) {
    const s = lo + Math.floor((b * n) / buckets);
    const e = lo + Math.floor(((b + 1) * n) / buckets);
    if (e <= s) continue;
    let mn = y[s];
    let mx = y[s];
    for (let i = s + 1; i < e; i++) {
      if (y[i] < mn) mn = y[i];
      if (y[i] > mx) mx = y[i];
    }
    out.x.push(x[s]);
    out.min.push(mn);
    out.max.push(mx);
  }
  return out;
}
