/**
 * Generated history for the fake client: runs of the built-in presets and
 * strategies with the verdicts PT Lab actually gives them (thread-race breaks
 * v5 and the reviewed teardown, opt1 sleeps in atomic context, upstream and
 * opt2/opt3 stay safe, ...), metrics in the ranges a timed head-to-head run
 * reports, and kernel traces shaped like the engine's. Everything comes from
 * a seeded Prng, so the same seed gives the same library (and screenshots).
 */
import { Prng } from '../../../../core/prng.ts';
import { PRESETS } from '../../../../core/presets.ts';
import type { Series, TraceStep, Violation, ViolationKind } from '../../../../core/results.ts';
import { STRATEGIES } from '../../../../core/strategies.ts';
import type { RunRow, StoredRun } from '../api.ts';

type Counts = Partial<Record<ViolationKind, number>>;
type Mode = RunRow['mode'];

/** What a run of (scenario, strategy) finds, and how often. */
interface Outcome {
  /** Chance that one run hits it (1: every run). */
  p: number;
  /** Violation counts of a run that hits it (each kind jittered by the Prng). */
  kinds: Counts;
}

const SAFE: Outcome = { p: 0, kinds: {} };

const UNGUARDED_VMALLOC_RACE: Outcome = { p: 0.35, kinds: { 'uaf-table-write': 2, 'uaf-table-read': 4, 'lost-mapping': 4 } };

/** The verdict of each strategy on each preset, as the engine reports it. */
export function outcomeOf(scenario: string, strategy: string, mode: Mode): Outcome {
  const timed = mode === 'timed';
  // The engine's verdicts per preset and strategy (README "The verdicts"), with made-up frequencies.
  switch (scenario) {
    case 'thread-race':
      if (strategy === 'v5') return { p: 0.6, kinds: { 'uaf-table-write': 2, 'uaf-table-read': 3, 'free-before-clear': 1, 'lost-mapping': 2 } };
      if (strategy === 'v5-reviewed') return UNGUARDED_VMALLOC_RACE;
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      return SAFE;
    case 'section-tlb':
      return strategy === 'v5' ? { p: 1, kinds: { 'stale-tlb': 2, 'free-before-clear': 1 } } : SAFE;
    case 'ptdump-race':
      return strategy === 'v5' ? { p: 1, kinds: { 'free-before-clear': 1 } } : SAFE;
    case 'ptdump-check-wx':
      return { p: 0.7, kinds: { 'uaf-table-read': 2 } };
    case 'online-new-node':
      if (strategy === 'opt2') return { p: 1, kinds: { deadlock: 1 } };
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      return SAFE;
    default:
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      if (strategy === 'v5') return { p: timed ? 0.2 : 0.4, kinds: { 'uaf-table-write': 1, 'uaf-table-read': 2 } };
      if (strategy === 'v5-reviewed') return { p: 0.05, kinds: { 'uaf-table-write': 1, 'lost-mapping': 1 } };
      return SAFE;
  }
}

/** Draw one run's violation counts. */
export function drawCounts(outcome: Outcome, prng: Prng): Counts {
  if (outcome.p === 0 || prng.next() >= outcome.p) return {};
  const out: Counts = {};
  for (const [k, n] of Object.entries(outcome.kinds) as [ViolationKind, number][]) {
    const v = Math.max(1, n + prng.between(-1, 1));
    out[k] = v;
  }
  return out;
}

export const MODES_OF: Record<string, Mode[]> = {
  'thread-race': ['random', 'random', 'pct', 'explore'],
  'section-tlb': ['random'],
  'ptdump-race': ['random', 'pct'],
  'ptdump-check-wx': ['random'],
  'online-new-node': ['random', 'explore'],
  'head-to-head': ['timed'],
  scaling: ['timed'],
  large: ['timed'],
};

const TAGS = ['review', 'v5-thread', 'nightly', 'baseline', 'option-2', 'floor-ceiling', 'regression', 'lpc-slides'];

const NOTES = [
  'reproduces the race Mark described in the V5 review',
  'after the floor/ceiling change: safe, compare with the V6 run',
  'rerun on the 16K granule before replying',
  'cost of get_online_mems() over vmalloc: see p99',
];

/** A UUID-shaped id from the Prng (the database uses crypto.randomUUID()). */
export function fakeId(prng: Prng): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => prng.below(16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + prng.below(4)).toString(16)}${hex(3)}-${hex(12)}`;
}

/** Runs are grouped under this many saved experiments (ids 1..n). */
export const EXPERIMENT_COUNT = 4;

export interface GeneratedRun {
  row: RunRow;
  note: string | null;
  error: string | null;
}

/**
 * `n` runs in batches (one scenario, a set of strategies, consecutive seeds),
 * newest first from `newest` backwards, as a user's history would look.
 */
export function generateHistory(n: number, seed: number, newest: Date): GeneratedRun[] {
  const prng = new Prng(seed);
  const out: GeneratedRun[] = [];
  const scenarios = PRESETS.map((p) => p.name);
  const strategies = STRATEGIES.map((s) => s.id);
  let t = newest.getTime();
  for (let batchNo = 0; out.length < n; batchNo++) {
    // The newest batch is the seed race over every design, as a user would start with.
    const showcase = batchNo === 0;
    const scenario = showcase ? 'thread-race' : scenarios[prng.below(scenarios.length)];
    const modes = MODES_OF[scenario] ?? ['random'];
    const mode = showcase ? 'random' : modes[prng.below(modes.length)];
    const timed = mode === 'timed';
    const seeds = showcase ? 4 : timed ? prng.between(1, 3) : mode === 'explore' ? 1 : [3, 5, 10, 20, 50][prng.below(5)];
    const picked = showcase || prng.next() < 0.6 ? strategies : strategies.filter(() => prng.next() < 0.5);
    const batch = picked.length ? picked : ['v6', 'upstream'];
    const tag = showcase ? ['review'] : prng.next() < 0.3 ? [TAGS[prng.below(TAGS.length)]] : [];
    const experimentId = showcase ? 1 : prng.next() < 0.3 ? 1 + prng.below(EXPERIMENT_COUNT) : null;
    t -= prng.between(5, 600) * 60_000;
    const seedNo = 1 + prng.below(5) * 100;
    for (const strategy of batch) {
      for (let s = 0; s < seeds && out.length < n; s++) {
        const wallMs = timed ? prng.between(350, 9000) : mode === 'explore' ? prng.between(200, 40_000) : prng.between(20, 400);
        const r = prng.next();
        const status: RunRow['status'] = r < 0.955 ? 'completed' : r < 0.975 ? 'interrupted' : r < 0.993 ? 'cancelled' : 'failed';
        const counts = status === 'completed' || status === 'cancelled' ? drawCounts(outcomeOf(scenario, strategy, mode), prng) : {};
        const kinds = (Object.keys(counts) as ViolationKind[]).sort();
        const startedAt = new Date(t).toISOString();
        t -= wallMs + prng.between(1, 30) * 1000;
        out.push({
          row: {
            id: fakeId(prng),
            experimentId,
            scenario,
            strategy,
            mode,
            seed: seedNo + s,
            status,
            startedAt,
            finishedAt: status === 'interrupted' ? null : new Date(Date.parse(startedAt) + wallMs).toISOString(),
            wallMs: status === 'interrupted' ? null : wallMs,
            violationCount: Object.values(counts).reduce((a, b) => a + (b ?? 0), 0),
            kinds,
            tags: [...tag],
            strategyKnobs: null,
            sets: [],
            scenarioFile: null,
          },
          note: prng.next() < 0.01 ? NOTES[prng.below(NOTES.length)] : null,
          error: status === 'failed' ? 'worker exited with code 1: out of memory for the simulated allocator (memory.allocatorPages)' : null,
        });
      }
    }
  }
  return out;
}

// ------------------------------------------------------------ details

/** A stable seed from a run id. */
function seedOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const PUD_TABLE = { pfn: 0x200000d, generation: 1, role: 'pud table' };
const PGD_STATIC = { pfn: 0x2000000, generation: 0, role: 'pgd table (static)' };

function step(step: number, cpu: number, actor: string, fn: string, action: string, address: string, frame: TraceStep['frame'], locks: string[] = [], repeat?: number): TraceStep {
  return { step, timeNs: null, cpu, actor, function: fn, action, address, frame, locks, ...(repeat ? { repeat } : {}) };
}

/** The steps that lead to a violation of `kind`, in the engine's kernel terms. */
export function traceOf(kind: ViolationKind, at: number): TraceStep[] {
  const hp = ['mem_hotplug_lock'];
  switch (kind) {
    case 'uaf-table-write':
    case 'uaf-table-read':
    case 'lost-mapping':
      return [
        step(1, 2, 'vmalloc#2', 'alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', '', null),
        step(9, 2, 'vmalloc#2', 'vmap_page_range', 'pgd_none(*pgdp) /* pud_alloc */ = table pfn 0x200000d', 'fffffdff40000000', PGD_STATIC),
        step(12, 2, 'vmalloc#2', 'vmap_pud_range', 'pud_none(*pudp) /* pmd_alloc */ = none', 'fffffdff40000000', PUD_TABLE),
        step(13, 2, 'vmalloc#2', '__pmd_alloc', 'pmd_alloc_one(&init_mm, addr)', '', { pfn: 0x2000010, generation: 1, role: 'pmd table' }),
        step(20, 0, 'hotremove', 'free_empty_tables', 'READ_ONCE(*pgdp) = table pfn 0x200000d', 'fffffdffc1000000', PGD_STATIC, hp),
        step(at - 8, 0, 'hotremove', 'free_empty_pud_table', 'READ_ONCE(pudp[i]) = none', 'fffffdffc0000000', PUD_TABLE, hp, 512),
        step(at - 7, 0, 'hotremove', 'free_empty_pud_table', 'pgd_clear(pgdp) /* was pfn 0x200000d */', 'fffffdffc1000000', PGD_STATIC, hp),
        step(at - 6, 0, 'hotremove', 'free_empty_pud_table', '__flush_tlb_kernel_pgtable(start)', 'fffffdffc0000000', null, hp),
        step(at - 5, 0, 'hotremove', 'free_empty_pud_table', 'free_hotplug_pgtable_page(virt_to_page(table))', 'fffffdffc1000000', PUD_TABLE, hp),
        step(at - 1, 2, 'vmalloc#2', '__pmd_alloc', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']),
        step(at, 2, 'vmalloc#2', '__pmd_alloc', kind === 'uaf-table-read' ? 'pud_none(*pudp) /* re-check under the lock */' : 'pud_populate(&init_mm, pudp, new)', 'fffffdff40000000', PUD_TABLE, ['init_mm.page_table_lock']),
      ];
    case 'stale-tlb':
    case 'free-before-clear':
    case 'bbm-violation':
      return [
        step(3, 1, 'access', 'memcpy', 'ldr x0, [addr] /* TLB fill: PUD block */', 'ffff000080000000', null),
        step(5, 1, 'access', 'memcpy', 'ldr x0, [addr] /* TLB fill: PMD block */', 'fffffdffc0400000', null),
        step(at - 3, 0, 'hotremove', 'remove_pud_table', 'free_hotplug_page_range(page, PUD_SIZE)', 'ffff000080000000', { pfn: 0x80000, generation: 0, role: 'linear block' }, ['init_mm.page_table_lock']),
        step(at - 2, 0, 'hotremove', 'remove_pud_table', 'pud_clear(pudp)', 'ffff000080000000', { pfn: 0x2000003, generation: 0, role: 'pud table' }, ['init_mm.page_table_lock']),
        step(at, 1, 'access', 'memcpy', 'ldr x0, [addr] /* hits the stale TLB entry */', 'ffff000080000000', { pfn: 0x80000, generation: 1, role: 'freed page' }),
      ];
    case 'stale-walk-cache':
      return [
        step(4, 1, 'ptdump', 'walk_pmd', 'READ_ONCE(*pmdp) = table pfn 0x2000011', 'ffff000140000000', { pfn: 0x2000011, generation: 1, role: 'pmd table' }, hp),
        step(at - 2, 0, 'hotremove', 'free_empty_pmd_table', 'pud_clear(pudp) /* was pfn 0x2000011 */', 'ffff000140000000', { pfn: 0x2000004, generation: 0, role: 'pud table' }, hp),
        step(at, 0, 'hotremove', 'free_empty_pmd_table', 'free_hotplug_pgtable_page(virt_to_page(table)) /* no walk-cache TLBI */', 'ffff000140000000', { pfn: 0x2000011, generation: 1, role: 'pmd table' }, hp),
      ];
    case 'sleep-in-atomic':
      return [
        step(2, 1, 'vmalloc#1', '__vmalloc_node_range', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']),
        step(at, 1, 'vmalloc#1', '__vmalloc_area_node', 'alloc_page(GFP_KERNEL) /* may sleep */', '', { pfn: 0x200000e, generation: 1, role: 'vmalloc page' }, ['init_mm.page_table_lock']),
      ];
    case 'deadlock':
      return [
        step(at - 1, 0, 'hotremove', 'offline_pages', 'percpu_down_write(&mem_hotplug_lock)', '', null, ['device_hotplug_lock']),
        step(at, 1, 'vmalloc#1', '__vmalloc_node_range', 'percpu_down_read(&mem_hotplug_lock)', '', null, ['init_mm.page_table_lock']),
      ];
  }
}

const MESSAGES: Record<ViolationKind, string> = {
  'uaf-table-write': 'vmalloc#2 in __pmd_alloc wrote an entry into a freed table page pfn 0x200000d (generation 1)',
  'uaf-table-read': 'vmalloc#2 in __pmd_alloc read an entry of a freed table page pfn 0x200000d (generation 1)',
  'lost-mapping': 'vmalloc mapping at fffffdff40000000 is not reachable from swapper_pg_dir: the PUD table it was populated in was freed',
  'stale-tlb': 'CPU 1 accessed ffff000080000000 through a TLB entry for a freed block (pfn 0x80000)',
  'stale-walk-cache': 'PMD table pfn 0x2000011 was freed while CPU 1 walk cache still pointed to it',
  'free-before-clear': 'block pfn 0x80000 was freed while PUD entry ffff000080000000 still mapped it',
  'sleep-in-atomic': 'vmalloc#1 in __vmalloc_area_node may sleep (alloc_page(GFP_KERNEL)) under init_mm.page_table_lock',
  deadlock: 'hotremove waits for mem_hotplug_lock held by vmalloc#1, which waits for device_hotplug_lock held by hotremove',
  'bbm-violation': 'PUD entry ffff000080000000 changed from one block to another without break-before-make',
};

/** The violations of a run with these counts (the first of each kind carries the trace). */
export function violationsOf(row: RunRow, counts: Counts): Violation[] {
  const prng = new Prng(seedOf(row.id));
  const out: Violation[] = [];
  for (const [kind, n] of Object.entries(counts) as [ViolationKind, number][]) {
    for (let i = 0; i < n; i++) {
      const at = 1040 + prng.below(400) + i * 3;
      const trace = traceOf(kind, at);
      const last = trace[trace.length - 1];
      out.push({ kind, step: at, cpu: last.cpu, actor: last.actor, function: last.function, address: last.address, message: MESSAGES[kind], trace });
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Counts of a row, spread over its kinds (the list only keeps the total and the kinds). */
export function countsOf(row: RunRow): Counts {
  const out: Counts = {};
  const k = row.kinds.length;
  row.kinds.forEach((kind, i) => {
    out[kind] = Math.floor(row.violationCount / k) + (i < row.violationCount % k ? 1 : 0);
  });
  return out;
}

const BASE_P99: Record<string, number> = { v5: 610_000, v6: 644_732, 'v5-reviewed': 644_732, opt1: 2_950_000, opt2: 705_389, opt3: 640_100, upstream: 655_540 };

/** Metrics with the keys of SPEC §2.10, in the ranges a timed head-to-head run gives. */
export function metricsOf(row: RunRow, counts: Counts): Record<string, number> {
  const prng = new Prng(seedOf(row.id) ^ 0x5a5a);
  const j = (v: number): number => Math.round(v * (0.9 + prng.next() * 0.2));
  const m: Record<string, number> = {};
  const timed = row.mode === 'timed';
  const ops = j(row.strategy === 'opt1' ? 2100 : row.strategy === 'opt2' ? 3440 : 3950);
  m['vmalloc.ops'] = timed ? ops : 2;
  m['vfree.ops'] = timed ? ops : 0;
  m['hotremove.ops'] = 1;
  if (timed) {
    const p99 = j(BASE_P99[row.strategy] ?? 650_000);
    Object.assign(m, {
      'vmalloc.latency_ns.p50': j(2140),
      'vmalloc.latency_ns.p90': j(p99 / 11),
      'vmalloc.latency_ns.p99': p99,
      'vmalloc.latency_ns.max': j(p99 * 2.8),
      'vmalloc.latency_ns.mean': j(p99 / 18),
      'vfree.latency_ns.p50': j(991),
      'vfree.latency_ns.p99': j(15_300),
      'hotremove.latency_ns.p50': j(18_300_000),
      'hotremove.latency_ns.max': j(18_300_000),
      'vmalloc.throughput_ops_per_s': j(ops * 25),
      'lock.mem_hotplug_lock.wait_ns.total': j(row.strategy === 'opt2' ? 36_874_047 : 16_160_449),
      'lock.init_mm.page_table_lock.wait_ns.total': j(row.strategy === 'opt1' ? 95_000_000 : 8155),
    });
  }
  const freed = row.strategy === 'opt3' || row.strategy === 'upstream' ? 14 : 18;
  Object.assign(m, {
    'tlbi.page': j(65),
    'tlbi.pgtable': row.strategy === 'opt3' ? 0 : 3,
    'tlbi.all': 1,
    'pgtable.allocated_pages': 90,
    'pgtable.freed_pages': freed,
    'pgtable.leaked_pages': 18 - freed,
    'pgtable.leaked_bytes': (18 - freed) * 4096,
    'sim.steps': timed ? j(400_000) : j(1500),
    'sim.time_ns': timed ? j(40_000_000) : 0,
    'wall.ms': row.wallMs ?? 0,
  });
  for (const [k, v] of Object.entries(counts)) m[`violations.${k}`] = v ?? 0;
  return m;
}

/** The four series the service samples in timed mode (200 points over the run). */
export function seriesOf(row: RunRow): Series[] {
  if (row.mode !== 'timed') return [];
  const prng = new Prng(seedOf(row.id) ^ 0x1234);
  const n = 200;
  const dt = 100_000;
  const x = Array.from({ length: n }, (_, i) => (i + 1) * dt);
  let ops = 0;
  let live = 72;
  const opsY: number[] = [];
  const liveY: number[] = [];
  const tlbiY: number[] = [];
  const hrY: number[] = [];
  for (let i = 0; i < n; i++) {
    ops += 15 + prng.below(10);
    live = Math.max(64, live + prng.between(-1, 1));
    opsY.push(ops);
    liveY.push(i > 150 ? live - 14 : live);
    tlbiY.push(Math.floor(i / 3));
    hrY.push(i > 150 ? 1 : 0);
  }
  return [
    { name: 'vmalloc.ops', unit: 'ops', x, y: opsY },
    { name: 'hotremove.ops', unit: 'ops', x, y: hrY },
    { name: 'tlbi.total', unit: 'TLBIs', x, y: tlbiY },
    { name: 'pgtable.live_tables', unit: 'pages', x, y: liveY },
  ];
}

/** A full stored run for the list row. */
export function storedRunOf(g: GeneratedRun, presetDoc: unknown): StoredRun {
  const counts = countsOf(g.row);
  return {
    ...g.row,
    experimentName: null,
    violations: violationsOf(g.row, counts),
    violationCounts: counts,
    metrics: metricsOf(g.row, counts),
    series: seriesOf(g.row),
    schedule: [],
    config: presetDoc,
    version: '0.1.0',
    error: g.error,
    ownerPid: null,
    ownerHost: null,
    note: g.note,
  };
}
