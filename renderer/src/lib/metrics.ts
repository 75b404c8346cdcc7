/**
 * What each metric key means for a comparison (SPEC §2.10): its group, a
 * readable label, its unit, and which way is better — latencies, waits,
 * TLBIs, leaked pages and violations are lower-is-better; operations and
 * throughput higher-is-better; counts that only describe a run (steps,
 * allocations, acquisitions) have no direction and are never coloured.
 */
import { formatBytes, formatCount, formatMs, formatNs } from './format.ts';

export type Unit = 'ns' | 'ms' | 'bytes' | 'count' | 'ops/s';
export type Better = 'lower' | 'higher' | null;

export interface MetricInfo {
  key: string;
  /** Heading the metric is listed under, e.g. "vmalloc", "lock init_mm.page_table_lock", "TLBI". */
  group: string;
  /** Order of the group in the table. */
  groupOrder: number;
  label: string;
  unit: Unit;
  better: Better;
}

const OPS_GROUPS = ['vmalloc', 'vfree', 'hotremove', 'hotadd'];
const GROUP_ORDER = ['vmalloc', 'vfree', 'hotremove', 'hotadd', 'lock', 'tlbi', 'pgtable', 'violations', 'sim', 'other'];

const LOCK_FIELDS: Record<string, { label: string; unit: Unit; better: Better }> = {
  'wait_ns.total': { label: 'wait, total', unit: 'ns', better: 'lower' },
  'wait_ns.max': { label: 'wait, longest', unit: 'ns', better: 'lower' },
  'hold_ns.total': { label: 'held, total', unit: 'ns', better: 'lower' },
  'hold_ns.max': { label: 'held, longest', unit: 'ns', better: 'lower' },
  'grace_ns.total': { label: 'RCU grace periods waited, total', unit: 'ns', better: 'lower' },
  'drain_ns.total': { label: "writer's wait for readers to drain", unit: 'ns', better: 'lower' },
  'reader_wait_ns.total': { label: 'readers blocked behind the writer', unit: 'ns', better: 'lower' },
  acquisitions: { label: 'acquisitions', unit: 'count', better: null },
  contended: { label: 'contended acquisitions', unit: 'count', better: 'lower' },
  grace_periods: { label: 'grace periods waited', unit: 'count', better: 'lower' },
  grace_periods_skipped: { label: 'grace periods skipped', unit: 'count', better: 'higher' },
};

/** Everything known about a metric key (unknown keys get a group from their first segment, no direction). */
export function metricInfo(key: string): MetricInfo {
  const order = (g: string): number => {
    const i = GROUP_ORDER.indexOf(g);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  const base = (group: string, label: string, unit: Unit, better: Better, orderKey = group): MetricInfo => ({ key, group, groupOrder: order(orderKey), label, unit, better });

  const lat = /^(vmalloc|vfree|hotremove|hotadd)\.latency_ns\.(p50|p90|p99|max|mean)$/.exec(key);
  if (lat) return base(lat[1], `latency ${lat[2] === 'max' ? 'max' : lat[2] === 'mean' ? 'mean' : lat[2]}`, 'ns', 'lower');
  const ops = /^(vmalloc|vfree|hotremove|hotadd)\.ops$/.exec(key);
  // More vmallocs in the same simulated time is the design doing better; hot-plug operations are scheduled, not earned.
  if (ops) return base(ops[1], 'operations', 'count', ops[1] === 'vmalloc' || ops[1] === 'vfree' ? 'higher' : null);
  if (key === 'vmalloc.throughput_ops_per_s') return base('vmalloc', 'throughput', 'ops/s', 'higher');
  if (key === 'vmalloc.failed') return base('vmalloc', 'failed allocations', 'count', 'lower');
  const lock = /^lock\.(.+)\.(wait_ns\.total|wait_ns\.max|hold_ns\.total|hold_ns\.max|grace_ns\.total|drain_ns\.total|reader_wait_ns\.total|acquisitions|contended|grace_periods|grace_periods_skipped)$/.exec(key);
  if (lock) {
    const f = LOCK_FIELDS[lock[2]];
    return base(`lock ${lock[1]}`, f.label, f.unit, f.better, 'lock');
  }
  const tlbi = /^tlbi\.(.+)$/.exec(key);
  if (tlbi) return base('TLBI', `TLBI ${tlbi[1]}`, 'count', 'lower', 'tlbi');
  switch (key) {
    case 'pgtable.leaked_pages':
      return base('page tables', 'leaked table pages', 'count', 'lower', 'pgtable');
    case 'pgtable.leaked_bytes':
      return base('page tables', 'leaked table memory', 'bytes', 'lower', 'pgtable');
    case 'pgtable.allocated_pages':
      return base('page tables', 'table pages allocated', 'count', null, 'pgtable');
    case 'pgtable.freed_pages':
      return base('page tables', 'table pages freed', 'count', null, 'pgtable');
    case 'sim.steps':
      return base('simulation', 'steps', 'count', null, 'sim');
    case 'sim.time_ns':
      return base('simulation', 'simulated time', 'ns', null, 'sim');
    case 'wall.ms':
      return base('simulation', 'wall time', 'ms', null, 'sim');
  }
  const v = /^violations\.(.+)$/.exec(key);
  if (v) return base('violations', v[1], 'count', 'lower', 'violations');
  const group = key.split('.')[0];
  return base(OPS_GROUPS.includes(group) ? group : group || 'other', key.slice(group.length + 1) || key, key.includes('_ns') ? 'ns' : key.endsWith('bytes') ? 'bytes' : 'count', null, OPS_GROUPS.includes(group) ? group : 'other');
}

/** A value in its unit: 18304133 ns → "18.3 ms", 8192 bytes → "8 KiB", 1234567 → "1,234,567". */
export function formatValue(v: number, unit: Unit): string {
  if (!Number.isFinite(v)) return '—';
  switch (unit) {
    case 'ns':
      return formatNs(v);
    case 'ms':
      return formatMs(v);
    case 'bytes':
      return formatBytes(v);
    case 'ops/s':
      return `${formatCount(v)}/s`;
    default:
      return formatCount(v);
  }
}

/** A signed difference in its unit: "+12.1 µs", "−3", "0". */
export function formatDelta(d: number, unit: Unit): string {
  if (d === 0) return '0';
  const sign = d > 0 ? '+' : '−';
  return `${sign}${formatValue(Math.abs(d), unit)}`;
}

export type Tone = 'better' | 'worse' | 'same' | 'neutral';

export interface Delta {
  /** value − baseline */
  diff: number;
  /** Relative change in %, or null when the baseline is 0 (and the value is not). */
  pct: number | null;
  tone: Tone;
}

/** Changes smaller than this (in %) are shown but not coloured: run-to-run noise. */
export const TONE_THRESHOLD_PCT = 1;

/** The difference of a value against the baseline's, and whether it is better or worse. */
export function deltaOf(value: number, baseline: number, better: Better): Delta {
  const diff = value - baseline;
  const pct = baseline === 0 ? (diff === 0 ? 0 : null) : (diff / Math.abs(baseline)) * 100;
  if (diff === 0) return { diff, pct, tone: 'same' };
  if (!better) return { diff, pct, tone: 'neutral' };
  if (pct !== null && Math.abs(pct) < TONE_THRESHOLD_PCT) return { diff, pct, tone: 'same' };
  const up = diff > 0;
  return { diff, pct, tone: (better === 'higher') === up ? 'better' : 'worse' };
}

/** "+12.3%", "−0.4%", "new" (baseline 0). */
export function formatPct(pct: number | null): string {
  if (pct === null) return 'new';
  if (pct === 0) return '0%';
  const a = Math.abs(pct);
  const text = a >= 100 ? Math.round(a).toLocaleString('en-US') : a >= 10 ? a.toFixed(0) : a.toFixed(1);
  return `${pct > 0 ? '+' : '−'}${text}%`;
}
