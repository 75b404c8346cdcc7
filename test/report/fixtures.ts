/** Sample runs for the report tests: head-to-head, v6 (violating) vs opt2 vs upstream. */
import type { RunResult, TraceStep, Violation } from '../../core/results.ts';

export const UAF_ADDRESS = 'fffffdffc0200000';

function latency(op: string, p50: number, p90: number, p99: number, max: number, mean: number): Record<string, number> {
  return {
    [`${op}.latency_ns.p50`]: p50,
    [`${op}.latency_ns.p90`]: p90,
    [`${op}.latency_ns.p99`]: p99,
    [`${op}.latency_ns.max`]: max,
    [`${op}.latency_ns.mean`]: mean,
  };
}

export const UAF_TRACE: TraceStep[] = [
  {
    step: 118,
    timeNs: null,
    cpu: 1,
    actor: 'vmalloc#1',
    function: 'vmap_pmd_range',
    action: 'READ_ONCE(*pudp) = table',
    address: 'ffff800080000000',
    frame: { pfn: 0x40a31, generation: 3, role: 'pmd-table' },
    locks: [],
  },
  {
    step: 121,
    timeNs: null,
    cpu: 0,
    actor: 'hotremove',
    function: 'free_empty_pmd_table',
    action: 'pud_clear(pudp)',
    address: 'fffffdffc0000000',
    frame: { pfn: 0x40a31, generation: 3, role: 'pmd-table' },
    locks: ['mem_hotplug_lock(w)', 'init_mm.page_table_lock'],
  },
  {
    step: 122,
    timeNs: null,
    cpu: 0,
    actor: 'hotremove',
    function: '__flush_tlb_kernel_pgtable',
    action: 'TLBI VAAE1IS, fffffdffc0000000',
    address: 'fffffdffc0000000',
    frame: null,
    locks: ['mem_hotplug_lock(w)', 'init_mm.page_table_lock'],
  },
  {
    step: 123,
    timeNs: null,
    cpu: 0,
    actor: 'hotremove',
    function: 'free_hotplug_pgtable_page',
    action: 'free_pages(pmd table)',
    address: '',
    frame: { pfn: 0x40a31, generation: 4, role: 'free' },
    locks: ['mem_hotplug_lock(w)'],
  },
  {
    step: 124,
    timeNs: null,
    cpu: 1,
    actor: 'vmalloc#1',
    function: '__pte_alloc_kernel',
    action: 'pmd_populate_kernel(pmdp, pte) into freed table',
    address: UAF_ADDRESS,
    frame: { pfn: 0x40a31, generation: 4, role: 'free' },
    locks: ['init_mm.page_table_lock'],
  },
];

export const UAF: Violation = {
  kind: 'uaf-table-write',
  step: 124,
  cpu: 1,
  actor: 'vmalloc#1',
  function: '__pte_alloc_kernel',
  address: UAF_ADDRESS,
  message: 'vmalloc#1 wrote a PMD entry into pfn 0x40a31 (gen 3), which hotremove freed at step 123.',
  trace: UAF_TRACE,
};

function run(
  id: string,
  strategy: string,
  metrics: Record<string, number>,
  violations: Violation[] = [],
  extra: Partial<RunResult> = {},
): RunResult {
  const violationCounts: RunResult['violationCounts'] = {};
  for (const v of violations) violationCounts[v.kind] = (violationCounts[v.kind] ?? 0) + 1;
  return {
    id,
    scenario: 'head-to-head',
    strategy,
    mode: 'timed',
    seed: 42,
    status: 'completed',
    violations,
    violationCounts,
    metrics,
    ...extra,
  };
}

function common(scale: number): Record<string, number> {
  return {
    'vmalloc.ops': Math.round(182_400 / scale),
    ...latency('vmalloc', 1_850 * scale, 3_200 * scale, 7_900 * scale, 41_000 * scale, 2_240 * scale),
    'vfree.ops': Math.round(181_900 / scale),
    ...latency('vfree', 950, 1_700, 4_100, 18_000, 1_120),
    'hotremove.ops': 12,
    ...latency('hotremove', 3_400_000, 4_100_000, 5_900_000, 6_200_000, 3_650_000),
    'hotadd.ops': 12,
    ...latency('hotadd', 2_100_000, 2_500_000, 2_900_000, 3_000_000, 2_230_000),
    'lock.init_mm.page_table_lock.wait_ns.total': 1_200_000,
    'lock.init_mm.page_table_lock.wait_ns.max': 9_000,
    'lock.init_mm.page_table_lock.hold_ns.total': 4_400_000,
    'lock.mem_hotplug_lock.wait_ns.total': Math.round(800_000 * scale * scale),
    'lock.mem_hotplug_lock.hold_ns.total': 44_000_000,
    'tlbi.page': 96_000,
    'tlbi.pgtable': 120,
    'tlbi.all': 24,
    'pgtable.allocated_pages': 310,
    'pgtable.freed_pages': 296,
    'pgtable.leaked_pages': 0,
    'pgtable.leaked_bytes': 0,
    'sim.steps': 5_400_000,
    'sim.time_ns': 1_000_000_000,
    'wall.ms': 812.5,
  };
}

/** v6 (baseline, one uaf-table-write), opt2 (slower vmalloc, safe), upstream (leaks tables, safe). */
export function sampleRuns(): RunResult[] {
  const v6 = run('run-v6', 'v6', { ...common(1), 'violations.uaf-table-write': 1 }, [UAF]);
  const opt2 = run('run-opt2', 'opt2', { ...common(1.25), 'violations.uaf-table-write': 0 });
  const upstream = run('run-upstream', 'upstream', {
    ...common(1),
    'pgtable.freed_pages': 290,
    'pgtable.leaked_pages': 6,
    'pgtable.leaked_bytes': 6 * 4096,
    'tlbi.pgtable': 80,
    'violations.uaf-table-write': 0,
  });
  return [v6, opt2, upstream];
}

/** Same as {@link sampleRuns} but each run carries a `vmalloc.inflight` series. */
export function sampleRunsWithSeries(): RunResult[] {
  return sampleRuns().map((r, i) => {
    const n = 2_000;
    const x = Array.from({ length: n }, (_, k) => k * 500_000);
    const y = x.map((_, k) => Math.round(8 + 6 * Math.sin(k / (40 + 10 * i)) + (k % 17) / 4 + i * 2));
    return { ...r, series: [{ name: 'vmalloc.inflight', unit: 'ops', x, y }] };
  });
}
