/**
 * The comparison as tables, from the stored runs: a short label per run,
 * the scenario and strategy knobs side by side (flattened to paths, with
 * whether they differ), the metric rows grouped and ordered with each run's
 * delta against the baseline, and the safety verdicts arranged per strategy.
 * Pure functions: the screen and the tests share them.
 */
import type { SafetyVerdict, StoredRun } from '../lib/api.ts';
import { type Delta, type MetricInfo, deltaOf, metricInfo } from '../lib/metrics.ts';

/** Column labels that tell the runs apart with as little as needed: the strategy, then the scenario or mode where those differ, then the seed (and the id) where labels still collide. */
export function runLabels(runs: readonly Pick<StoredRun, 'id' | 'strategy' | 'seed' | 'scenario' | 'mode'>[]): string[] {
  const scenarios = new Set(runs.map((r) => r.scenario)).size > 1;
  const modes = new Set(runs.map((r) => r.mode)).size > 1;
  const collide = (labels: string[]): ((l: string) => boolean) => {
    const count = new Map<string, number>();
    for (const l of labels) count.set(l, (count.get(l) ?? 0) + 1);
    return (l) => (count.get(l) ?? 0) > 1;
  };
  let labels = runs.map((r) => [r.strategy, ...(scenarios ? [r.scenario] : []), ...(modes ? [r.mode] : [])].join(' · '));
  let clash = collide(labels);
  labels = labels.map((l, i) => (clash(l) ? `${l} · seed ${runs[i].seed}` : l));
  clash = collide(labels);
  return labels.map((l, i) => (clash(l) ? `${l} · ${runs[i].id.slice(0, 8)}` : l));
}

export interface KnobRow {
  section: 'run' | 'scenario' | 'strategy';
  path: string;
  values: string[];
  differs: boolean;
}

/** Prose in a scenario (its description and assumptions) is not a knob. */
const PROSE = new Set(['description', 'assumptions', 'name']);

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value === null || typeof value !== 'object') {
    out.set(prefix, value === undefined ? '—' : JSON.stringify(value).replace(/^"(.*)"$/, '$1'));
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, '[]');
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) out.set(prefix, '{}');
  for (const [k, v] of entries) {
    if (!prefix && PROSE.has(k)) continue;
    flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

/**
 * Knobs of every run as rows: what ran (scenario, mode, seed, --set), the
 * scenario document's settings, the strategy's knobs (a run saved without
 * its knobs shows the built-in's, from `builtinKnobs`, marked with "*").
 */
export function knobRows(runs: readonly StoredRun[], builtinKnobs: (strategy: string) => Record<string, unknown> | null): KnobRow[] {
  const rows: KnobRow[] = [];
  const push = (section: KnobRow['section'], path: string, values: string[]): void => {
    rows.push({ section, path, values, differs: values.some((v) => v !== values[0]) });
  };
  push('run', 'scenario', runs.map((r) => r.scenario));
  push('run', 'mode', runs.map((r) => r.mode));
  push('run', 'seed', runs.map((r) => String(r.seed)));
  push('run', '--set', runs.map((r) => (r.sets.length ? r.sets.join(' ') : '—')));
  push('run', 'strategy', runs.map((r) => r.strategy));

  const configs = runs.map((r) => {
    const m = new Map<string, string>();
    flatten(r.config ?? {}, '', m);
    return m;
  });
  const configPaths = [...new Set(configs.flatMap((m) => [...m.keys()]))];
  for (const p of configPaths) push('scenario', p, configs.map((m) => m.get(p) ?? '—'));

  const knobs = runs.map((r) => {
    const recorded = r.strategyKnobs;
    const k = recorded ?? builtinKnobs(r.strategy);
    const m = new Map<string, string>();
    for (const [name, v] of Object.entries(k ?? {})) m.set(name, `${typeof v === 'string' ? v : JSON.stringify(v)}${recorded ? '' : ' *'}`);
    return m;
  });
  const knobNames = [...new Set(knobs.flatMap((m) => [...m.keys()]))];
  for (const k of knobNames) {
    const values = knobs.map((m) => m.get(k) ?? '—');
    // A value read from the built-in (marked *) equals the same value recorded.
    const plain = values.map((v) => v.replace(/ \*$/, ''));
    rows.push({ section: 'strategy', path: k, values, differs: plain.some((v) => v !== plain[0]) });
  }
  return rows;
}

export interface MetricCell {
  value: number | null;
  delta: Delta | null;
}

export interface MetricRow {
  info: MetricInfo;
  cells: MetricCell[];
  /** Every run has the same value (or none). */
  equal: boolean;
}

export interface MetricGroup {
  group: string;
  rows: MetricRow[];
}

const WITHIN = ['operations', 'throughput', 'latency p50', 'latency p90', 'latency p99', 'latency max', 'latency mean', 'failed allocations'];

function withinOrder(label: string): number {
  const i = WITHIN.indexOf(label);
  return i < 0 ? WITHIN.length : i;
}

/** The metric table: every key any run has, grouped (vmalloc, vfree, hot-remove, hot-add, locks, TLBI, tables, violations, simulation), each cell with its delta against the baseline run. */
export function metricGroups(runs: readonly Pick<StoredRun, 'metrics'>[], baselineIndex: number): MetricGroup[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k);
  const infos = [...keys].map(metricInfo).sort((a, b) => a.groupOrder - b.groupOrder || a.group.localeCompare(b.group) || withinOrder(a.label) - withinOrder(b.label) || a.label.localeCompare(b.label));
  const base = runs[baselineIndex];
  const groups: MetricGroup[] = [];
  for (const info of infos) {
    const b = base?.metrics[info.key];
    const cells = runs.map((r, i): MetricCell => {
      const v = r.metrics[info.key];
      if (v === undefined) return { value: null, delta: null };
      return { value: v, delta: i === baselineIndex || b === undefined ? null : deltaOf(v, b, info.better) };
    });
    const present = cells.filter((c) => c.value !== null).map((c) => c.value);
    const row: MetricRow = { info, cells, equal: present.every((v) => v === present[0]) };
    const last = groups[groups.length - 1];
    if (last && last.group === info.group) last.rows.push(row);
    else groups.push({ group: info.group, rows: [row] });
  }
  return groups;
}

/** Order of severity when several presets' verdicts sum up a strategy. */
const SEVERITY: Record<SafetyVerdict['verdict'], number> = { violation: 4, unknown: 3, bounded: 2, 'no-violation': 1, 'proved-safe': 0 };

export interface SafetyRow {
  strategy: string;
  /** The worst verdict over the presets (a violation anywhere makes the strategy unsafe). */
  overall: SafetyVerdict['verdict'];
  byScenario: Map<string, SafetyVerdict>;
}

/** Verdicts arranged one row per strategy (in the runs' order), one column per preset. */
export function safetyRows(strategies: readonly string[], verdicts: readonly SafetyVerdict[]): { scenarios: string[]; rows: SafetyRow[] } {
  const scenarios = [...new Set(verdicts.map((v) => v.scenario))];
  const rows = strategies.map((strategy) => {
    const byScenario = new Map(verdicts.filter((v) => v.strategy === strategy).map((v) => [v.scenario, v]));
    let overall: SafetyVerdict['verdict'] = 'proved-safe';
    for (const v of byScenario.values()) if (SEVERITY[v.verdict] > SEVERITY[overall]) overall = v.verdict;
    if (byScenario.size === 0) overall = 'unknown';
    return { strategy, overall, byScenario };
  });
  return { scenarios, rows };
}

/** Short words for a verdict badge. */
export function verdictWords(v: SafetyVerdict['verdict']): string {
  switch (v) {
    case 'proved-safe':
      return 'proved safe';
    case 'no-violation':
      return 'no violation';
    case 'violation':
      return 'VIOLATION';
    case 'bounded':
      return 'bounded';
    default:
      return 'unknown';
  }
}
