/**
 * The Compare screen's charts as data (what to draw, not how): latency
 * distributions, throughput against CPUs, lock wait, TLBI counts, leaked
 * tables and the recorded series. The same spec feeds the canvas chart
 * (uPlot) and the SVG export, so what is saved is what is shown.
 */
import type { StoredRun } from '../lib/api.ts';
import { formatBytes, formatCount, formatMs, formatNs, formatShort } from '../lib/format.ts';

export type AxisUnit = 'ns' | 'ms' | 'bytes' | 'count' | 'ops/s' | 'cpus' | 'percentile' | 'category';

export interface ChartSeries {
  label: string;
  color: string;
  /** Canvas line dash (runs past the palette's size are told apart by dashes). */
  dash?: number[];
  values: (number | null)[];
}

export interface ChartSpec {
  id: string;
  title: string;
  /** What the axes count and where the numbers come from, in words. */
  caption: string;
  kind: 'line' | 'bars';
  x: number[];
  /** Bars: a label per x (x is 0..n-1). */
  categories?: string[];
  xLog?: 2 | 10;
  yLog?: boolean;
  xUnit: AxisUnit;
  yUnit: AxisUnit;
  /** Fixed ticks for an axis whose positions are not its values (the percentile axis). */
  yTicks?: { value: number; label: string }[];
  series: ChartSeries[];
  /** Draw a marker at each point (few points, e.g. percentiles). */
  points?: boolean;
  /** The full x extent (what "reset zoom" returns to); default the data's. */
  xRange?: [number, number];
  /** A line said over the chart, e.g. that the distribution is drawn from percentiles. */
  note?: string;
}

/** Axis value formatting by unit. */
export function formatAxis(unit: AxisUnit, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '';
  switch (unit) {
    case 'ns':
      return formatNs(v);
    case 'ms':
      return formatMs(v);
    case 'bytes':
      return formatBytes(v);
    case 'ops/s':
      return `${formatShort(v)}/s`;
    case 'cpus':
      return String(v);
    default:
      return Math.abs(v) >= 1e4 ? formatShort(v) : formatCount(v);
  }
}

/** Log-axis ticks worth a label: powers of the base (the rest are grid lines). */
export function logLabel(unit: AxisUnit, v: number | null, base: number): string {
  if (v === null || !(v > 0)) return '';
  const e = Math.log(v) / Math.log(base);
  return Math.abs(e - Math.round(e)) < 1e-6 ? formatAxis(unit, v) : '';
}

export interface RunStyle {
  label: string;
  color: string;
  dash?: number[];
}

/** The percentile axis of a latency distribution: p50, p90, p99 and max spread as -log10(1 - q). */
const QUANTILES: { key: string; q: number; label: string }[] = [
  { key: 'p50', q: 0.5, label: 'p50' },
  { key: 'p90', q: 0.9, label: 'p90' },
  { key: 'p99', q: 0.99, label: 'p99' },
  { key: 'max', q: 0.999, label: 'max' },
];
const tail = (q: number): number => -Math.log10(1 - q);

/**
 * The latency distribution of one operation (vmalloc, hotremove) per run:
 * x the latency (log), y the share of operations at or below it. Runs keep
 * percentiles, not samples, so the curve goes through p50, p90, p99 and the
 * maximum — the chart says so.
 */
export function latencyChart(runs: readonly StoredRun[], styles: readonly RunStyle[], op: 'vmalloc' | 'hotremove'): ChartSpec | null {
  const xs = new Set<number>();
  const per = runs.map((r) => QUANTILES.map((q) => r.metrics[`${op}.latency_ns.${q.key}`]));
  per.forEach((vals) => vals.forEach((v) => v !== undefined && v > 0 && xs.add(v)));
  if (xs.size === 0) return null;
  const x = [...xs].sort((a, b) => a - b);
  const series = runs.map((r, i) => {
    const values: (number | null)[] = new Array(x.length).fill(null);
    per[i].forEach((v, k) => {
      if (v === undefined || v <= 0) return;
      const at = x.indexOf(v);
      // Two percentiles with the same latency: the higher one is what the curve reaches there.
      values[at] = Math.max(values[at] ?? 0, tail(QUANTILES[k].q));
    });
    return { label: styles[i].label, color: styles[i].color, dash: styles[i].dash, values };
  });
  const ops = runs.map((r) => r.metrics[`${op}.ops`]).filter((v): v is number => v !== undefined);
  const few = op === 'hotremove' && ops.length > 0 && ops.every((n) => n < 50) ? ` Each run did ${ops.length && ops.every((n) => n === ops[0]) ? formatCount(ops[0]) : 'few'} hot-remove${ops[0] === 1 ? '' : 's'}, so the steps are coarse.` : '';
  return {
    id: `latency-${op}`,
    title: `${op === 'vmalloc' ? 'vmalloc' : 'hot-remove'} latency distribution`,
    caption: `x: latency (log); y: share of operations at or below it.${few}`,
    note: 'Drawn through p50, p90, p99 and max: runs keep percentiles, not every sample.',
    kind: 'line',
    x,
    xLog: 10,
    xUnit: 'ns',
    yUnit: 'percentile',
    yTicks: QUANTILES.map((q) => ({ value: tail(q.q), label: q.label })),
    series,
    points: true,
  };
}

/** vmalloc throughput of a run (ops per simulated second). */
export function throughputOf(r: StoredRun): number | null {
  const t = r.metrics['vmalloc.throughput_ops_per_s'];
  if (t !== undefined) return t;
  const ops = r.metrics['vmalloc.ops'];
  const ns = r.metrics['sim.time_ns'];
  return ops !== undefined && ns ? (ops / ns) * 1e9 : null;
}

/** vmalloc CPUs of a run, from its scenario document (a sweep point's runs carry their point there). */
export function cpusOf(r: StoredRun): number | null {
  const c = r.config as { vmallocThreads?: unknown } | null | undefined;
  return c && typeof c.vmallocThreads === 'number' ? c.vmallocThreads : null;
}

/** Throughput against vmalloc CPUs, one line per strategy (the mean over its runs at each point): only when the runs span two or more CPU counts. */
export function scalingChart(runs: readonly StoredRun[], colorOf: (strategy: string, i: number) => string): ChartSpec | null {
  const points = new Set<number>();
  const acc = new Map<string, Map<number, number[]>>();
  for (const r of runs) {
    const cpus = cpusOf(r);
    const t = throughputOf(r);
    if (cpus === null || t === null || r.mode !== 'timed') continue;
    points.add(cpus);
    const byCpu = acc.get(r.strategy) ?? new Map<number, number[]>();
    acc.set(r.strategy, byCpu);
    byCpu.set(cpus, [...(byCpu.get(cpus) ?? []), t]);
  }
  if (points.size < 2) return null;
  const x = [...points].sort((a, b) => a - b);
  const series = [...acc].map(([strategy, byCpu], i) => ({
    label: strategy,
    color: colorOf(strategy, i),
    values: x.map((c) => {
      const v = byCpu.get(c);
      return v ? v.reduce((a, b) => a + b, 0) / v.length : null;
    }),
  }));
  return { id: 'scaling', title: 'vmalloc throughput against CPUs', caption: 'x: vmalloc CPUs (log 2); y: vmalloc operations per simulated second, mean over the runs at each point.', kind: 'line', x, xLog: 2, xUnit: 'cpus', yUnit: 'ops/s', series, points: true };
}

function barChart(id: string, title: string, caption: string, categories: string[], runs: readonly StoredRun[], styles: readonly RunStyle[], value: (r: StoredRun, category: string) => number | undefined, yUnit: AxisUnit, yLog: boolean): ChartSpec | null {
  if (categories.length === 0) return null;
  const series = runs.map((r, i) => ({ label: styles[i].label, color: styles[i].color, dash: styles[i].dash, values: categories.map((c) => value(r, c) ?? null) }));
  if (series.every((s) => s.values.every((v) => v === null))) return null;
  return { id, title, caption, kind: 'bars', x: categories.map((_, i) => i), categories, xUnit: 'category', yUnit, yLog, series };
}

/** Total wait per lock, one bar per run (locks nobody waited for are left out). */
export function lockWaitChart(runs: readonly StoredRun[], styles: readonly RunStyle[]): ChartSpec | null {
  const locks = new Set<string>();
  for (const r of runs) {
    for (const [k, v] of Object.entries(r.metrics)) {
      const m = /^lock\.(.+)\.wait_ns\.total$/.exec(k);
      if (m && v > 0) locks.add(m[1]);
    }
  }
  const names = [...locks].sort();
  return barChart('lock-wait', 'Lock wait by lock', 'Total time CPUs waited for each lock, per run (log scale).', names, runs, styles, (r, l) => r.metrics[`lock.${l}.wait_ns.total`], 'ns', true);
}

/** TLB invalidations by kind (page, pgtable, all), one bar per run. */
export function tlbiChart(runs: readonly StoredRun[], styles: readonly RunStyle[]): ChartSpec | null {
  const kinds = ['page', 'pgtable', 'all'].filter((k) => runs.some((r) => r.metrics[`tlbi.${k}`] !== undefined));
  return barChart('tlbi', 'TLBI counts by kind', 'TLB invalidations per run: page (leaf), pgtable (walk cache), all (log scale).', kinds, runs, styles, (r, k) => r.metrics[`tlbi.${k}`], 'count', true);
}

/** Table pages left allocated after the last hot-remove, one bar per run. */
export function leakedChart(runs: readonly StoredRun[], styles: readonly RunStyle[]): ChartSpec | null {
  if (!runs.some((r) => r.metrics['pgtable.leaked_pages'] !== undefined)) return null;
  return barChart('leaked', 'Leaked table pages', 'Page-table pages still allocated after the last completed hot-remove.', ['leaked table pages'], runs, styles, (r) => r.metrics['pgtable.leaked_pages'], 'count', false);
}
