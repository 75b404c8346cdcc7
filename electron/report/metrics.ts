/**
 * Metric-key helpers shared by the HTML, CSV and JSON exporters:
 * grouping and ordering of the stable keys of SPEC §2.10, run labels,
 * baseline deltas and number formatting.
 */
import type { RunResult, ViolationKind } from '../../core/results.ts';

/** Metric groups in report order (first segment of the key). */
export const METRIC_GROUP_ORDER = [
  'vmalloc',
  'vfree',
  'hotremove',
  'hotadd',
  'lock',
  'tlbi',
  'pgtable',
  'sim',
  'wall',
  'violations',
] as const;

/** The operations that carry `<op>.latency_ns.*` keys. */
export const LATENCY_OPS = ['vmalloc', 'vfree', 'hotremove', 'hotadd'] as const;
export type LatencyOp = (typeof LATENCY_OPS)[number];

/** The latency quantiles drawn in latency charts, in order. */
export const LATENCY_QUANTILES = ['p50', 'p90', 'p99', 'max'] as const;

/** The TLBI kinds of `tlbi.{page,pgtable,all}`, in order. */
export const TLBI_KINDS = ['page', 'pgtable', 'all'] as const;

/** Rank of well-known key segments so that keys read naturally (p50 before p99, total before max). */
const SEGMENT_RANK: Record<string, number> = {
  ops: 0,
  latency_ns: 1,
  p50: 0,
  p90: 1,
  p99: 2,
  max: 3,
  mean: 4,
  wait_ns: 0,
  hold_ns: 1,
  total: 0,
  page: 0,
  pgtable: 1,
  all: 2,
  allocated_pages: 0,
  freed_pages: 1,
  leaked_pages: 2,
  leaked_bytes: 3,
  steps: 0,
  time_ns: 1,
};

export function metricGroup(key: string): string {
  const dot = key.indexOf('.');
  return dot < 0 ? key : key.slice(0, dot);
}

function groupRank(group: string): number {
  const i = (METRIC_GROUP_ORDER as readonly string[]).indexOf(group);
  return i < 0 ? METRIC_GROUP_ORDER.length : i;
}

/** Total order on metric keys: by group, then by known segment rank, then alphabetically. */
export function compareMetricKeys(a: string, b: string): number {
  const ga = metricGroup(a);
  const gb = metricGroup(b);
  const rg = groupRank(ga) - groupRank(gb);
  if (rg !== 0) return rg;
  if (ga !== gb) return ga < gb ? -1 : 1;
  const sa = a.split('.');
  const sb = b.split('.');
  const n = Math.min(sa.length, sb.length);
  for (let i = 1; i < n; i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === y) continue;
    const rx = SEGMENT_RANK[x];
    const ry = SEGMENT_RANK[y];
    if (rx !== undefined && ry !== undefined && rx !== ry) return rx - ry;
    if (rx !== undefined && ry === undefined) return -1;
    if (rx === undefined && ry !== undefined) return 1;
    return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** All metric keys present in any run, sorted with {@link compareMetricKeys}. */
export function allMetricKeys(runs: readonly RunResult[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k);
  return [...keys].sort(compareMetricKeys);
}

/** Metric keys grouped by their first segment, groups in report order. */
export function groupMetricKeys(keys: readonly string[]): { group: string; keys: string[] }[] {
  const out: { group: string; keys: string[] }[] = [];
  for (const k of [...keys].sort(compareMetricKeys)) {
    const g = metricGroup(k);
    const last = out[out.length - 1];
    if (last && last.group === g) last.keys.push(k);
    else out.push({ group: g, keys: [k] });
  }
  return out;
}

/**
 * Short, unique, human label for each run (same order as `runs`):
 * the strategy, plus the seed when a strategy appears more than once,
 * plus the id or position when that is still ambiguous.
 */
export function runLabels(runs: readonly RunResult[]): string[] {
  const byStrategy = new Map<string, number>();
  for (const r of runs) byStrategy.set(r.strategy, (byStrategy.get(r.strategy) ?? 0) + 1);
  const first = runs.map((r) => ((byStrategy.get(r.strategy) ?? 0) > 1 ? `${r.strategy} s${r.seed}` : r.strategy));
  const count = new Map<string, number>();
  for (const l of first) count.set(l, (count.get(l) ?? 0) + 1);
  return first.map((l, i) => {
    if ((count.get(l) ?? 0) <= 1) return l;
    const r = runs[i];
    return `${l} (${r.id ?? `#${i + 1}`})`;
  });
}

/** Index of the baseline run; throws a clear error for an unknown id. */
export function baselineIndex(runs: readonly RunResult[], baselineId?: string): number {
  if (baselineId === undefined || baselineId === '') return 0;
  const i = runs.findIndex((r) => r.id === baselineId);
  if (i < 0) throw new Error(`baseline run "${baselineId}" is not among the runs being reported`);
  return i;
}

export interface Delta {
  abs: number;
  /** Relative change in percent, or null when the baseline is 0 (or not finite). */
  pct: number | null;
}

/** value − baseline, and the same relative to the baseline; null if either side is missing. */
export function metricDelta(value: number | undefined, base: number | undefined): Delta | null {
  if (value === undefined || base === undefined || !Number.isFinite(value) || !Number.isFinite(base)) return null;
  const abs = value - base;
  const pct = base === 0 ? (abs === 0 ? 0 : null) : (abs / Math.abs(base)) * 100;
  return { abs, pct };
}

/**
 * Whether a larger value of this metric is better (+1), worse (−1), or neither (0).
 * Used only to colour deltas.
 */
export function metricDirection(key: string): -1 | 0 | 1 {
  if (key.endsWith('.ops')) return 1;
  if (/\.(latency_ns|wait_ns|hold_ns)\./.test(key)) return -1;
  if (key.startsWith('tlbi.') || key.startsWith('violations.')) return -1;
  if (key === 'pgtable.leaked_pages' || key === 'pgtable.leaked_bytes') return -1;
  return 0;
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fracFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** A metric value for people: grouped thousands, at most 3 decimals. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  return Number.isInteger(v) ? intFmt.format(v) : fracFmt.format(v);
}

function signed(s: string, v: number): string {
  if (v > 0) return `+${s}`;
  if (v < 0) return `−${s.replace(/^-/, '')}`;
  return `±${s}`;
}

/** "+1,200" / "−3.5" / "±0" */
export function formatDeltaAbs(d: number): string {
  return signed(formatNumber(Math.abs(d)), d);
}

/** "+12.5%" / "−3.0%" / "±0.0%" / "n/a" (baseline 0, value not 0). */
export function formatDeltaPct(pct: number | null): string {
  if (pct === null) return 'n/a';
  return `${signed(Math.abs(pct).toFixed(1), pct)}%`;
}

/** Violation kinds and counts of a run (from violationCounts, else counted from the list). */
export function violationKinds(run: RunResult): [ViolationKind, number][] {
  const counts = new Map<ViolationKind, number>();
  for (const [k, n] of Object.entries(run.violationCounts) as [ViolationKind, number | undefined][]) {
    if (n !== undefined && n > 0) counts.set(k, n);
  }
  for (const v of run.violations) {
    if (!counts.has(v.kind)) counts.set(v.kind, run.violations.filter((x) => x.kind === v.kind).length);
  }
  return [...counts.entries()];
}

/** Scale a nanosecond quantity to a readable unit for axes. */
export function nsUnit(maxNs: number): { div: number; unit: string } {
  if (maxNs >= 1e9) return { div: 1e9, unit: 's' };
  if (maxNs >= 1e6) return { div: 1e6, unit: 'ms' };
  if (maxNs >= 1e3) return { div: 1e3, unit: 'µs' };
  return { div: 1, unit: 'ns' };
}

const stepFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * The verdict of runs that found no violation. Only completed runs may say
 * "no violation found"; a run that stopped early (interrupted, cancelled,
 * failed, or still running) looked at part of its work only:
 * "interrupted after 1,350,000 steps: none found so far".
 */
export function noViolationVerdict(runs: readonly RunResult[]): string {
  const unfinished = runs.filter((r) => r.status !== 'completed');
  if (unfinished.length === 0) return 'no violation found';
  if (runs.length === 1) {
    const r = runs[0];
    const steps = r.metrics['sim.steps'];
    const after = steps === undefined || !Number.isFinite(steps) ? 'before its step count was saved' : `after ${stepFmt.format(steps)} step${steps === 1 ? '' : 's'}`;
    return `${r.status} ${after}: none found so far`;
  }
  const how = [...new Set(unfinished.map((r) => r.status))].join(' or ');
  return `none found so far (${unfinished.length} of ${runs.length} runs ${how} before the end)`;
}
