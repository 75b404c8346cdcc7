/**
 * The pure parts behind Compare and the Trace viewer: which way each metric
 * is better and the delta's colour, the knob rows and what differs, folding
 * of like steps (never a key step), the SVG a chart exports, and the fake
 * lab's decimation of a million-point series (min/max per bucket that
 * contain every point they stand for).
 */
import { describe, expect, it } from 'vitest';
import type { TraceStep } from '../../core/results.ts';
import { latencyChart } from '../../renderer/src/compare/charts.ts';
import { knobRows, metricGroups, runLabels } from '../../renderer/src/compare/model.ts';
import { chartSvg } from '../../renderer/src/compare/svg.ts';
import type { StoredRun } from '../../renderer/src/lib/api.ts';
import { decimateLazy, lazySeries } from '../../renderer/src/lib/client/fakeSeries.ts';
import { deltaOf, formatDelta, formatPct, formatValue, metricInfo } from '../../renderer/src/lib/metrics.ts';
import { storyOf } from '../../renderer/src/lib/story.ts';
import { buildRows, kindOf } from '../../renderer/src/trace/rows.ts';

function run(id: string, strategy: string, metrics: Record<string, number>, extra: Partial<StoredRun> = {}): StoredRun {
  return { id, strategy, scenario: 'head-to-head', mode: 'timed', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics, series: [], experimentId: null, experimentName: null, version: '0.2.0', startedAt: '', finishedAt: null, wallMs: null, error: null, ownerPid: null, ownerHost: null, tags: [], note: null, strategyKnobs: null, sets: [], scenarioFile: null, ...extra };
}

describe('metrics', () => {
  it('knows which way is better, groups locks whose names have dots, and colours by direction', () => {
    expect(metricInfo('vmalloc.latency_ns.p99')).toMatchObject({ group: 'vmalloc', unit: 'ns', better: 'lower' });
    expect(metricInfo('vmalloc.throughput_ops_per_s')).toMatchObject({ unit: 'ops/s', better: 'higher' });
    expect(metricInfo('lock.init_mm.page_table_lock.wait_ns.total')).toMatchObject({ group: 'lock init_mm.page_table_lock', unit: 'ns', better: 'lower' });
    expect(metricInfo('tlbi.pgtable')).toMatchObject({ group: 'TLBI', better: 'lower' });
    expect(metricInfo('pgtable.leaked_bytes')).toMatchObject({ unit: 'bytes', better: 'lower' });
    expect(metricInfo('sim.steps').better).toBeNull();
    expect(deltaOf(700, 650, 'lower')).toMatchObject({ diff: 50, tone: 'worse' });
    expect(deltaOf(700, 650, 'higher').tone).toBe('better');
    expect(deltaOf(1000, 995, 'lower').tone).toBe('same');
    expect(deltaOf(5, 0, 'lower')).toMatchObject({ pct: null, tone: 'worse' });
    expect(deltaOf(9, 3, null).tone).toBe('neutral');
    expect(formatDelta(-23_400, 'ns')).toBe('−23.4 µs');
    expect(formatPct(-3.44)).toBe('−3.4%');
    expect(formatPct(null)).toBe('new');
    expect(formatValue(8192, 'bytes')).toBe('8 KiB');
    expect(formatValue(1_234_567, 'count')).toBe('1,234,567');
  });

  it('builds the metric table against the baseline, in SPEC order', () => {
    const groups = metricGroups([run('a', 'v6', { 'tlbi.page': 10, 'vmalloc.latency_ns.p99': 100, 'vmalloc.ops': 5 }), run('b', 'opt1', { 'tlbi.page': 10, 'vmalloc.latency_ns.p99': 300, 'vmalloc.ops': 2 })], 1);
    expect(groups.map((g) => g.group)).toEqual(['vmalloc', 'TLBI']);
    expect(groups[0].rows.map((r) => r.info.key)).toEqual(['vmalloc.ops', 'vmalloc.latency_ns.p99']);
    const p99 = groups[0].rows[1];
    expect(p99.cells[0].delta).toMatchObject({ diff: -200, tone: 'better' });
    expect(p99.cells[1].delta).toBeNull();
    expect(groups[1].rows[0].equal).toBe(true);
  });
});

describe('knobs and labels', () => {
  it('marks the knobs that differ, and reads unrecorded knobs from the built-in (starred)', () => {
    const a = run('a1', 'v6', {}, { strategyKnobs: { freeTables: 'never-vmemmap', teardown: 'two-pass' }, config: { vmallocThreads: 8, description: 'prose', memory: { sectionSizeBits: 27 } } });
    const b = run('b1', 'upstream', {}, { config: { vmallocThreads: 8, description: 'other prose', memory: { sectionSizeBits: 30 } } });
    const rows = knobRows([a, b], () => ({ freeTables: 'floor-ceiling', teardown: 'two-pass' }));
    const by = (p: string) => rows.find((r) => r.path === p)!;
    expect(by('freeTables')).toMatchObject({ values: ['never-vmemmap', 'floor-ceiling *'], differs: true });
    expect(by('teardown').differs).toBe(false);
    expect(by('memory.sectionSizeBits')).toMatchObject({ values: ['27', '30'], differs: true });
    expect(by('vmallocThreads').differs).toBe(false);
    expect(rows.some((r) => r.path === 'description')).toBe(false);
  });

  it('labels runs by what tells them apart', () => {
    expect(runLabels([run('1', 'v6', {}), run('2', 'opt2', {})])).toEqual(['v6', 'opt2']);
    expect(runLabels([run('1', 'v6', {}, { seed: 1 }), run('2', 'v6', {}, { seed: 2 })])).toEqual(['v6 · seed 1', 'v6 · seed 2']);
    expect(runLabels([run('1', 'v6', {}, { scenario: 'scaling' }), run('2', 'v6', {}, { seed: 2 })])).toEqual(['v6 · scaling', 'v6 · head-to-head']);
  });
});

function step(n: number, actor: string, fn: string, action: string): TraceStep {
  return { step: n, timeNs: null, cpu: actor === 'hotremove' ? 0 : 1, actor, function: fn, action, address: '', frame: null, locks: [] };
}

describe('trace rows', () => {
  const steps: TraceStep[] = [
    step(0, 'vmalloc#1', 'vmap_page_range', 'pud_offset(pgdp, addr) = table pfn 0x200004c'),
    ...Array.from({ length: 6 }, (_, i) => step(1 + i, 'hotremove', 'free_empty_pud_table', 'READ_ONCE(pudp[i]) = none')),
    step(7, 'hotremove', 'free_empty_pud_table', 'pgd_clear(pgdp) /* was pfn 0x200004c */'),
    step(8, 'hotremove', 'free_empty_pud_table', 'free_hotplug_pgtable_page(virt_to_page(table))'),
    step(9, 'vmalloc#1', '__pmd_alloc', 'pud_populate(&init_mm, pudp, new) /* table pfn 0x2000050 */'),
  ];
  const base = { hiddenActors: new Set<string>(), fn: '', kinds: new Set<never>(), expanded: new Set<number>(), unfold: false };
  const lane = (a: string) => (a === 'hotremove' ? 0 : 1);

  it('folds a run of like steps into one row, expands it on demand, and never folds a key step', () => {
    const rows = buildRows(steps, base, new Map(), lane);
    expect(rows.map((r) => [r.from, r.to, r.count])).toEqual([[0, 0, 1], [1, 6, 6], [7, 7, 1], [8, 8, 1], [9, 9, 1]]);
    expect(buildRows(steps, { ...base, expanded: new Set([1]) }, new Map(), lane)).toHaveLength(10);
    // A key step in the middle of the scan splits it: the step keeps its own row.
    const keyed = buildRows(steps, base, new Map([[4, { step: 4, actor: 'hotremove', role: 'took-pointer', label: 'x' }]]), lane);
    // (the two reads after it are too few to fold)
    expect(keyed.map((r) => [r.from, r.to])).toEqual([[0, 0], [1, 3], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9]]);
  });

  it('filters by lane, function and kind of step', () => {
    expect(buildRows(steps, { ...base, hiddenActors: new Set(['hotremove']) }, new Map(), lane).map((r) => r.from)).toEqual([0, 9]);
    expect(buildRows(steps, { ...base, fn: 'PMD_ALLOC' }, new Map(), lane).map((r) => r.from)).toEqual([9]);
    expect(buildRows(steps, { ...base, kinds: new Set(['free', 'clear'] as never[]) }, new Map(), lane).map((r) => r.from)).toEqual([7, 8]);
    expect([kindOf('pgd_clear(pgdp)'), kindOf('__flush_tlb_kernel_pgtable(start)'), kindOf('pud_populate(&init_mm, pudp, new)'), kindOf('spin_lock(&init_mm.page_table_lock)'), kindOf('pmd_alloc_one(&init_mm, addr)')]).toEqual(['clear', 'tlbi', 'write', 'lock', 'alloc']);
  });

  it('reads a violation story defensively (an older engine sends none)', () => {
    const v = { kind: 'uaf-table-write', step: 9, cpu: 1, actor: 'vmalloc#1', function: '__pmd_alloc', address: '', message: 'm', trace: [] } as const;
    expect(storyOf({ ...v, trace: [] })).toEqual({ narrative: null, keySteps: [] });
    const told = { ...v, trace: [], narrative: ' it broke ', keySteps: [{ step: 9, actor: 'vmalloc#1', role: 'stale-use', label: 'w' }, { step: 'x' }, { step: 0, actor: 'vmalloc#1', role: 'took-pointer', label: 'r' }] };
    expect(storyOf(told as unknown as Parameters<typeof storyOf>[0])).toEqual({ narrative: 'it broke', keySteps: [{ step: 0, actor: 'vmalloc#1', role: 'took-pointer', label: 'r' }, { step: 9, actor: 'vmalloc#1', role: 'stale-use', label: 'w' }] });
  });
});

describe('chart export', () => {
  it('writes a standalone SVG of what the chart shows: the series, their labels, axes in units', () => {
    const runs = [run('a', 'v5-reviewed', { 'vmalloc.latency_ns.p50': 2140, 'vmalloc.latency_ns.p90': 61_000, 'vmalloc.latency_ns.p99': 661_500, 'vmalloc.latency_ns.max': 3_460_000 }), run('b', 'up<stream>', { 'vmalloc.latency_ns.p50': 2100, 'vmalloc.latency_ns.p99': 649_700 })];
    const spec = latencyChart(runs, [{ label: 'v5-reviewed', color: '#c00' }, { label: 'up<stream>', color: '#00c' }], 'vmalloc')!;
    expect(spec.series[1].values.filter((v) => v !== null)).toHaveLength(2);
    const svg = chartSvg(spec, { xMin: 1000, xMax: 1e7, yMin: 0, yMax: 3.2 }, 640, 360, { background: '#fff', text: '#111', muted: '#666', grid: '#ddd' });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360"');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('stroke="#c00"');
    expect(svg).toContain('up&lt;stream&gt;');
    expect(svg).not.toContain('up<stream>');
    for (const t of ['p50', 'p99', 'max', '10.0 µs', '1.00 ms']) expect(svg).toContain(`>${t}<`);
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('the fake lab\u2019s long series', () => {
  it('decimates a million points to at most the buckets asked, each bucket bounding every point in it', () => {
    const [ops] = lazySeries('v6', 3, 1_000_000);
    const whole = decimateLazy(ops, undefined, undefined, 1500);
    expect(whole.total).toBe(1_000_000);
    expect(whole.x.length).toBe(1500);
    // A narrow window at full resolution: exact values.
    const narrow = decimateLazy(ops, 500_000 * ops.dtNs, 500_100 * ops.dtNs, 1000);
    for (let b = 0; b < narrow.x.length; b++) {
      const i = Math.round(narrow.x[b] / ops.dtNs) - 1;
      expect(narrow.min[b]).toBe(ops.at(i));
      expect(narrow.max[b]).toBe(ops.at(i));
    }
    // Each wide bucket bounds the points it stands for (sampled).
    for (const b of [0, 700, 1499]) {
      const from = Math.round(whole.x[b] / ops.dtNs) - 1;
      for (let i = from; i < from + 600 && i < 1_000_000; i += 37) {
        expect(ops.at(i)).toBeGreaterThanOrEqual(whole.min[b]);
        if (i < from + 666) expect(ops.at(i)).toBeLessThanOrEqual(whole.max[b] + 1);
      }
    }
  });
});
