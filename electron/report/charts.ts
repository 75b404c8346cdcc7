/**
 * Charts of the HTML report, rendered to static SVG markup at export time with
 * Observable Plot on a linkedom document (no browser, no script at view time).
 *
 * One chart per metric group present:
 *   - `vmalloc`, `vfree`, `hotremove`, `hotadd`: latency p50/p90/p99/max bars per run
 *   - `lock`: `lock.<name>.wait_ns.total` per lock per run
 *   - `tlbi`: `tlbi.{page,pgtable,all}` per run
 *   - `pgtable`: `pgtable.leaked_pages` per run
 *   - `series:<name>`: one line chart per series name carried by the runs
 */
import * as Plot from '@observablehq/plot';
import { parseHTML } from 'linkedom';
import type { RunResult } from '../../core/results.ts';
import { LATENCY_OPS, LATENCY_QUANTILES, TLBI_KINDS, formatNumber, nsUnit, runLabels } from './metrics.ts';

export interface Chart {
  /** Stable group id, written to `data-group`. */
  group: string;
  /** Short title shown above the chart. */
  title: string;
  /** One or two sentences saying what is drawn. */
  caption: string;
  /** Static markup: an optional legend and one `<svg>`. */
  markup: string;
}

/** Colours per run, stable across all charts (Observable 10, readable on light and dark). */
export const RUN_PALETTE = [
  '#4269d0',
  '#efb118',
  '#ff725c',
  '#6cc5b0',
  '#3ca951',
  '#ff8ab7',
  '#a463f2',
  '#97bbf5',
  '#9c6b4e',
  '#9498a0',
];

/** Largest number of points drawn per run and series (min/max decimation). */
export const MAX_SERIES_POINTS = 1200;

const WIDTH = 720;
const LOCK_KEY = /^lock\.(.+)\.wait_ns\.total$/;

/** The part of a DOM element we read back from Plot (the project compiles without the DOM lib). */
interface RenderedElement {
  readonly tagName: string;
  readonly outerHTML: string;
  readonly innerHTML: string;
}

type PlotDocument = NonNullable<Plot.PlotOptions['document']>;

function renderPlot(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>') as unknown as {
    document: PlotDocument;
  };
  const el = Plot.plot({ ...options, document }) as unknown as RenderedElement;
  // With a legend Plot returns <figure>{legend}<svg/></figure>; keep the content only,
  // the report wraps it in its own <figure class="chart">.
  return el.tagName.toLowerCase() === 'figure' ? el.innerHTML : el.outerHTML;
}

interface BarDatum {
  run: string;
  cat: string;
  v: number;
  raw: number;
}

function colorScale(labels: string[]): Plot.ScaleOptions {
  return {
    type: 'ordinal',
    domain: labels,
    range: labels.map((_, i) => RUN_PALETTE[i % RUN_PALETTE.length]),
    legend: true,
  };
}

const compactFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Axis tick labels: 950, 1.2k, 3.4M, 5G (no "0k" at zero, no float noise). */
export function compactNumber(d: number): string {
  const a = Math.abs(d);
  if (a >= 1e9) return `${compactFmt.format(d / 1e9)}G`;
  if (a >= 1e6) return `${compactFmt.format(d / 1e6)}M`;
  if (a >= 1e3) return `${compactFmt.format(d / 1e3)}k`;
  return compactFmt.format(d);
}

/** Ratio between the largest and the smallest non-zero value above which bars use a symlog scale. */
const LOG_RATIO = 100;

/** 0, 1, 10, 100, … up to the first power of ten at or above max. */
function powerTicks(max: number): number[] {
  const ticks = [0];
  for (let t = 1; t <= Math.max(1, max) * 10 && ticks.length < 12; t *= 10) {
    ticks.push(t);
    if (t >= max) break;
  }
  return ticks;
}

/**
 * Grouped vertical bars: one facet per category, one bar per run. When values span more
 * than {@link LOG_RATIO}× the y scale is symlog (bars of very different size stay visible),
 * and the axis label says so.
 */
function groupedBars(
  data: BarDatum[],
  labels: string[],
  cats: string[],
  yLabel: string,
  ariaLabel: string,
  fmtRaw: (d: BarDatum) => string,
  valueLabels = false,
): string {
  const perFacet = Math.max(1, labels.length);
  const positive = data.map((d) => d.v).filter((v) => v > 0);
  const max = positive.reduce((m, v) => (v > m ? v : m), 0);
  const min = positive.reduce((m, v) => (v < m ? v : m), max);
  const log = min > 0 && max / min > LOG_RATIO;
  const y: Plot.ScaleOptions = log
    ? { type: 'symlog', label: `${yLabel}, log scale`, grid: true, ticks: powerTicks(max), tickFormat: compactNumber, domain: [0, powerTicks(max).at(-1) ?? 1] }
    : { label: yLabel, grid: true, nice: true, tickFormat: compactNumber, zero: true };
  const marks: Plot.Markish[] = [
    Plot.barY(data, { fx: 'cat', x: 'run', y: 'v', fill: 'run', title: fmtRaw }),
    Plot.ruleY([0]),
  ];
  if (valueLabels) {
    marks.push(
      Plot.text(data, { fx: 'cat', x: 'run', y: 'v', text: (d: BarDatum) => compactNumber(d.v), dy: -7, fill: 'currentColor', fontSize: 10 }),
    );
  }
  return renderPlot({
    width: WIDTH,
    height: 300,
    marginLeft: 64,
    marginBottom: 28,
    marginTop: 30,
    ariaLabel,
    style: { fontSize: '11px' },
    color: colorScale(labels),
    fx: { domain: cats, label: null, padding: perFacet > 1 ? 0.12 : 0.3, axis: 'bottom' },
    x: { domain: labels, axis: null, paddingInner: 0.08 },
    y,
    marks,
  });
}

function latencyChart(runs: RunResult[], labels: string[], op: string): Chart | null {
  const present = LATENCY_QUANTILES.filter((q) => runs.some((r) => r.metrics[`${op}.latency_ns.${q}`] !== undefined));
  if (present.length === 0) return null;
  let max = 0;
  for (const r of runs) for (const q of present) max = Math.max(max, r.metrics[`${op}.latency_ns.${q}`] ?? 0);
  const { div, unit } = nsUnit(max);
  const data: BarDatum[] = [];
  runs.forEach((r, i) => {
    for (const q of present) {
      const raw = r.metrics[`${op}.latency_ns.${q}`];
      if (raw !== undefined && Number.isFinite(raw)) data.push({ run: labels[i], cat: q, v: raw / div, raw });
    }
  });
  return {
    group: op,
    title: `${op} latency`,
    caption: `${op} latency per run at p50, p90, p99 and max (${op}.latency_ns.*), in ${unit}. Lower is better.`,
    markup: groupedBars(data, labels, [...present], `latency (${unit})`, `${op} latency distribution`, (d) =>
      `${d.run} ${op} ${d.cat}: ${formatNumber(d.raw)} ns`,
    ),
  };
}

function lockChart(runs: RunResult[], labels: string[]): Chart | null {
  const locks: string[] = [];
  for (const r of runs) {
    for (const k of Object.keys(r.metrics)) {
      const m = LOCK_KEY.exec(k);
      if (m && !locks.includes(m[1])) locks.push(m[1]);
    }
  }
  if (locks.length === 0) return null;
  locks.sort();
  let max = 0;
  for (const r of runs) for (const l of locks) max = Math.max(max, r.metrics[`lock.${l}.wait_ns.total`] ?? 0);
  const { div, unit } = nsUnit(max);
  const data: BarDatum[] = [];
  runs.forEach((r, i) => {
    for (const l of locks) {
      const raw = r.metrics[`lock.${l}.wait_ns.total`];
      if (raw !== undefined && Number.isFinite(raw)) data.push({ run: labels[i], cat: l, v: raw / div, raw });
    }
  });
  const longest = locks.reduce((m, l) => Math.max(m, l.length), 0);
  const band = Math.max(14, Math.min(22, 120 / Math.max(1, labels.length)));
  const markup = renderPlot({
    width: WIDTH,
    height: 56 + locks.length * (labels.length * band + 18),
    marginLeft: Math.min(260, 16 + longest * 6.6),
    marginRight: 24,
    ariaLabel: 'lock wait per lock and run',
    style: { fontSize: '11px' },
    color: colorScale(labels),
    fy: { domain: locks, label: null, axis: 'left', padding: 0.15 },
    y: { domain: labels, axis: null, paddingInner: 0.1 },
    x: { label: `total wait (${unit})`, grid: true, nice: true, tickFormat: compactNumber, zero: true },
    marks: [
      Plot.barX(data, {
        fy: 'cat',
        y: 'run',
        x: 'v',
        fill: 'run',
        title: (d: BarDatum) => `${d.run} ${d.cat}: ${formatNumber(d.raw)} ns waited`,
      }),
      Plot.ruleX([0]),
    ],
  });
  return {
    group: 'lock',
    title: 'Lock wait',
    caption: `Total time spent waiting for each lock (lock.<name>.wait_ns.total), per run, in ${unit}. Lower is better.`,
    markup,
  };
}

function tlbiChart(runs: RunResult[], labels: string[]): Chart | null {
  const present = TLBI_KINDS.filter((k) => runs.some((r) => r.metrics[`tlbi.${k}`] !== undefined));
  if (present.length === 0) return null;
  const data: BarDatum[] = [];
  runs.forEach((r, i) => {
    for (const k of present) {
      const raw = r.metrics[`tlbi.${k}`];
      if (raw !== undefined && Number.isFinite(raw)) data.push({ run: labels[i], cat: `tlbi.${k}`, v: raw, raw });
    }
  });
  return {
    group: 'tlbi',
    title: 'TLB invalidations',
    caption:
      'TLBI instructions issued per run: per-page (tlbi.page), page-table walk-cache (tlbi.pgtable) and full flushes (tlbi.all). Lower is cheaper.',
    markup: groupedBars(data, labels, present.map((k) => `tlbi.${k}`), 'count', 'TLBI counts', (d) =>
      `${d.run} ${d.cat}: ${formatNumber(d.raw)}`, true,
    ),
  };
}

function leakedChart(runs: RunResult[], labels: string[]): Chart | null {
  if (!runs.some((r) => r.metrics['pgtable.leaked_pages'] !== undefined)) return null;
  const data: BarDatum[] = [];
  runs.forEach((r, i) => {
    const raw = r.metrics['pgtable.leaked_pages'];
    if (raw !== undefined && Number.isFinite(raw)) data.push({ run: labels[i], cat: 'leaked', v: raw, raw });
  });
  const longest = labels.reduce((m, l) => Math.max(m, l.length), 0);
  const rotate = labels.length * longest * 6.5 > WIDTH - 80;
  const markup = renderPlot({
    width: WIDTH,
    height: rotate ? 320 : 280,
    marginLeft: 64,
    marginBottom: rotate ? 90 : 36,
    ariaLabel: 'leaked page-table pages per run',
    style: { fontSize: '11px' },
    color: colorScale(labels),
    x: { domain: labels, label: null, paddingInner: 0.3, tickRotate: rotate ? -30 : 0 },
    y: { label: 'leaked page-table pages', grid: true, nice: true, tickFormat: compactNumber, zero: true },
    marks: [
      Plot.barY(data, {
        x: 'run',
        y: 'v',
        fill: 'run',
        title: (d: BarDatum) => `${d.run}: ${formatNumber(d.raw)} leaked page${d.raw === 1 ? '' : 's'}`,
      }),
      Plot.text(data, { x: 'run', y: 'v', text: (d: BarDatum) => formatNumber(d.raw), dy: -7, fill: 'currentColor' }),
      Plot.ruleY([0]),
    ],
  });
  return {
    group: 'pgtable',
    title: 'Leaked page tables',
    caption: 'Page-table pages left allocated but unreachable after hot-remove (pgtable.leaked_pages), per run. Lower is better.',
    markup,
  };
}

interface SeriesPoint {
  run: string;
  t: number;
  v: number;
}

/** Min/max decimation: keeps the first, the last and each bucket's extremes, in x order. */
export function decimate(x: readonly number[], y: readonly number[], maxPoints: number): [number, number][] {
  const n = Math.min(x.length, y.length);
  const pts: [number, number][] = [];
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) pts.push([x[i], y[i]]);
    return pts;
  }
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const size = (n - 2) / buckets;
  pts.push([x[0], y[0]]);
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * size);
    const hi = Math.min(n - 1, 1 + Math.floor((b + 1) * size));
    if (hi <= lo) continue;
    let iMin = lo;
    let iMax = lo;
    for (let i = lo; i < hi; i++) {
      if (y[i] < y[iMin]) iMin = i;
      if (y[i] > y[iMax]) iMax = i;
    }
    const a = Math.min(iMin, iMax);
    const c = Math.max(iMin, iMax);
    pts.push([x[a], y[a]]);
    if (c !== a) pts.push([x[c], y[c]]);
  }
  pts.push([x[n - 1], y[n - 1]]);
  return pts;
}

function seriesCharts(runs: RunResult[], labels: string[]): Chart[] {
  const names: string[] = [];
  for (const r of runs) for (const s of r.series ?? []) if (!names.includes(s.name)) names.push(s.name);
  const charts: Chart[] = [];
  for (const name of names) {
    let maxT = 0;
    let unit = '';
    for (const r of runs) {
      for (const s of r.series ?? []) {
        if (s.name !== name) continue;
        unit ||= s.unit;
        for (const t of s.x) if (Number.isFinite(t)) maxT = Math.max(maxT, t);
      }
    }
    const { div, unit: tUnit } = nsUnit(maxT);
    const data: SeriesPoint[] = [];
    let decimated = false;
    runs.forEach((r, i) => {
      for (const s of r.series ?? []) {
        if (s.name !== name) continue;
        const pts = decimate(s.x, s.y, MAX_SERIES_POINTS);
        if (pts.length < Math.min(s.x.length, s.y.length)) decimated = true;
        for (const [t, v] of pts) if (Number.isFinite(t) && Number.isFinite(v)) data.push({ run: labels[i], t: t / div, v });
      }
    });
    const markup = renderPlot({
      width: WIDTH,
      height: 300,
      marginLeft: 64,
      marginRight: 24,
      ariaLabel: `${name} over simulated time`,
      style: { fontSize: '11px' },
      color: colorScale(labels),
      x: { label: `simulated time (${tUnit})`, grid: true, nice: true },
      y: { label: unit ? `${name} (${unit})` : name, grid: true, nice: true, tickFormat: compactNumber },
      marks: [Plot.lineY(data, { x: 't', y: 'v', stroke: 'run', strokeWidth: 1.5 }), Plot.ruleY([0], { strokeOpacity: 0.3 })],
    });
    charts.push({
      group: `series:${name}`,
      title: name,
      caption: `${name}${unit ? ` (${unit})` : ''} over simulated time, per run${
        decimated ? `; long series reduced to at most ${MAX_SERIES_POINTS} points per run (min/max kept)` : ''
      }.`,
      markup,
    });
  }
  return charts;
}

/** All charts for these runs, in report order. */
export function buildCharts(runs: RunResult[], labels: string[] = runLabels(runs)): Chart[] {
  const charts: Chart[] = [];
  for (const op of LATENCY_OPS) {
    const c = latencyChart(runs, labels, op);
    if (c) charts.push(c);
  }
  for (const c of [lockChart(runs, labels), tlbiChart(runs, labels), leakedChart(runs, labels)]) if (c) charts.push(c);
  return [...charts, ...seriesCharts(runs, labels)];
}

/**
 * The chart groups that {@link buildCharts} draws for these runs, without rendering:
 * latency ops present, `lock`, `tlbi`, `pgtable`, then `series:<name>`.
 */
export function chartGroups(runs: readonly RunResult[]): string[] {
  const has = (pred: (k: string) => boolean): boolean => runs.some((r) => Object.keys(r.metrics).some(pred));
  const groups: string[] = [];
  for (const op of LATENCY_OPS) {
    if (has((k) => LATENCY_QUANTILES.some((q) => k === `${op}.latency_ns.${q}`))) groups.push(op);
  }
  if (has((k) => LOCK_KEY.test(k))) groups.push('lock');
  if (has((k) => TLBI_KINDS.some((t) => k === `tlbi.${t}`))) groups.push('tlbi');
  if (has((k) => k === 'pgtable.leaked_pages')) groups.push('pgtable');
  const names: string[] = [];
  for (const r of runs) for (const s of r.series ?? []) if (!names.includes(s.name)) names.push(s.name);
  for (const n of names) groups.push(`series:${n}`);
  return groups;
}
