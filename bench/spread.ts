/**
 * Figures measured more than once (bench/engine.ts): each is judged on its
 * median, with its range printed beside it.
 */

/** One figure over repeated runs: the median, the range, and every sample in run order. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function spreadOf(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('spreadOf: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples: [...samples] };
}

/** What a printed median adds when it has company: ` (median of N; min–max unit)`, or nothing for one sample. */
export function spreadNote(s: Spread, digits: number, unit = ''): string {
  return s.samples.length === 1 ? '' : ` (median of ${s.samples.length}; ${s.min.toFixed(digits)}–${s.max.toFixed(digits)}${unit})`;
}

/** The element whose figure is the median (the lower middle one of an even count). */
export function medianOf<T>(xs: readonly T[], figure: (x: T) => number): T {
  const sorted = [...xs].sort((a, b) => figure(a) - figure(b));
  return sorted[(sorted.length - 1) >> 1];
}
