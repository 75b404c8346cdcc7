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
import { type Series, type TraceStep, VIOLATION_KINDS, type Violation, type ViolationKind } from '../../../../core/results.ts';
import { STRATEGIES } from '../../../../core/strategies.ts';
import type { RunRow, StoredRun } from '../api.ts';
import { RACE_MESSAGES, RACE_VIOLATIONS, raceTrace } from './fakeRace.ts';
import { RACE_STORIES, keyStepsOf, longStory, narrativeOf, raceKindOf } from './fakeTrace.ts';

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
  switch (scenario) {
    case 'thread-race':
      if (strategy === 'v5') return { p: 0.6, kinds: { 'uaf-table-write': 2, 'uaf-table-read': 3, 'lost-mapping': 2 } };
      // v6 never frees the vmemmap tables (Option 3 as posted): only the reviewed teardown races.
      if (strategy === 'v5-reviewed') return UNGUARDED_VMALLOC_RACE;
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      return SAFE;
    case 'section-tlb':
      return strategy === 'v5' ? { p: 1, kinds: { 'stale-tlb': 2, 'free-before-clear': 1 } } : SAFE;
    case 'ptdump-race':
      return strategy === 'v5' ? { p: 1, kinds: { 'free-before-clear': 1 } } : SAFE;
    case 'ptdump-check-wx':
      // No strategy of the 2019 series guards ptdump_check_wx() (fixed upstream in 2025).
      return { p: 1, kinds: { 'uaf-table-read': 1 } };
    case 'online-new-node':
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      if (strategy === 'opt2') return { p: 1, kinds: { deadlock: 1 } };
      return SAFE;
    default:
      if (strategy === 'opt1') return { p: 1, kinds: { 'sleep-in-atomic': 1 } };
      if (strategy === 'v5') return { p: timed ? 0.2 : 0.4, kinds: { 'uaf-table-write': 1, 'uaf-table-read': 2 } };
      if (strategy === 'v6' || strategy === 'v5-reviewed') return { p: 0.05, kinds: { 'uaf-table-write': 1, 'lost-mapping': 1 } };
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
  /** vmalloc CPUs of a sweep point (a scaling job's lane), when the run came from one. */
  point?: number | null;
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

/** A violation as the engine of issue 8 reports it: with its narrative and key steps. */
export type StoryViolation = Violation & { narrative: string; keySteps: ReturnType<typeof keyStepsOf> };

/** Steps of the generated ptdump-check-wx trace (the long one the benchmark opens). */
export const LONG_TRACE_STEPS = 100_000;

/**
 * The violations of a run with these counts. The reviewed teardown's
 * thread-race violations are the real counterexample (seed 3's steps), and
 * ptdump-check-wx's first read of a freed table ends the long generated
 * trace; the rest are shaped like the engine's.
 */
export function violationsOf(row: RunRow, counts: Counts): StoryViolation[] {
  const prng = new Prng(seedOf(row.id));
  const out: StoryViolation[] = [];
  for (const [kind, n] of Object.entries(counts) as [ViolationKind, number][]) {
    for (let i = 0; i < n; i++) {
      const race = i === 0 ? raceKindOf(row.scenario, row.strategy, kind) : null;
      if (race) {
        const trace = raceTrace(race);
        const last = trace[trace.length - 1];
        out.push({ kind, step: RACE_VIOLATIONS[race].step, cpu: last.cpu, actor: last.actor, function: last.function, address: last.address, message: RACE_MESSAGES[race], trace, ...RACE_STORIES[race] });
        continue;
      }
      if (i === 0 && row.scenario === 'ptdump-check-wx' && kind === 'uaf-table-read') {
        const story = longStory(LONG_TRACE_STEPS);
        const last = story.trace[story.trace.length - 1];
        const message = `ptdump in ptdump_pte_entry read an entry of a freed table page pfn 0x${last.frame!.pfn.toString(16)} (generation 1)`;
        out.push({ kind, step: last.step, cpu: last.cpu, actor: last.actor, function: last.function, address: last.address, message, trace: story.trace, narrative: story.narrative, keySteps: story.keySteps });
        continue;
      }
      const at = (row.scenario === 'thread-race' ? 1071 : 1040) + prng.below(400) + i * 3;
      const trace = traceOf(kind, at);
      const last = trace[trace.length - 1];
      const v: Violation = { kind, step: at, cpu: last.cpu, actor: last.actor, function: last.function, address: last.address, message: MESSAGES[kind], trace };
      const keySteps = keyStepsOf(v);
      out.push({ ...v, keySteps, narrative: narrativeOf(v, keySteps) });
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

/** Per strategy, a timed head-to-head second as the README's cost table has it (PT Lab 0.2, seed 1). */
const COSTS: Record<string, { ops: number; p99: number; max: number; hotremove: number; ptlWait: number; readerWait: number; drain: number; tlbiPage: number; tlbiPgtable: number; tlbiAll: number; leaked: number; grace: [number, number] }> = {
  v5: { ops: 192_987, p99: 650_400, max: 2_640_000, hotremove: 11_970_000, ptlWait: 15_110_000, readerWait: 0, drain: 0, tlbiPage: 557_056, tlbiPgtable: 1139, tlbiAll: 90, leaked: 0, grace: [33, 33] },
  'v5-reviewed': { ops: 192_950, p99: 661_500, max: 3_460_000, hotremove: 22_190_000, ptlWait: 4900, readerWait: 99_700_000, drain: 260_000, tlbiPage: 458_766, tlbiPgtable: 938, tlbiAll: 90, leaked: 0, grace: [29, 28] },
  v6: { ops: 193_204, p99: 650_200, max: 2_750_000, hotremove: 22_500_000, ptlWait: 4900, readerWait: 67_300_000, drain: 390_000, tlbiPage: 458_766, tlbiPgtable: 910, tlbiAll: 90, leaked: 2, grace: [28, 28] },
  opt1: { ops: 21_648, p99: 1_890_000, max: 13_710_000, hotremove: 23_240_000, ptlWait: 7_080_000_000, readerWait: 97_900_000, drain: 370_000, tlbiPage: 458_766, tlbiPgtable: 938, tlbiAll: 10, leaked: 0, grace: [28, 28] },
  opt2: { ops: 146_085, p99: 737_700, max: 13_290_000, hotremove: 23_350_000, ptlWait: 4900, readerWait: 1_940_000_000, drain: 25_940_000, tlbiPage: 458_766, tlbiPgtable: 938, tlbiAll: 68, leaked: 0, grace: [28, 27] },
  opt3: { ops: 193_204, p99: 650_200, max: 2_750_000, hotremove: 22_500_000, ptlWait: 4900, readerWait: 67_300_000, drain: 390_000, tlbiPage: 458_766, tlbiPgtable: 910, tlbiAll: 90, leaked: 2, grace: [28, 28] },
  upstream: { ops: 193_190, p99: 649_700, max: 2_640_000, hotremove: 22_070_000, ptlWait: 4900, readerWait: 74_400_000, drain: 260_000, tlbiPage: 458_766, tlbiPgtable: 924, tlbiAll: 90, leaked: 1, grace: [28, 28] },
};

/** vmalloc CPUs of a scaling run (the sweep's points, by seed), else the preset's. */
export function vmallocThreadsOf(row: RunRow): number {
  return row.scenario === 'scaling' ? [1, 2, 4, 8, 16, 32, 64][(row.seed - 1) % 7] : row.scenario === 'head-to-head' ? 8 : 2;
}

/** How vmalloc throughput grows with CPUs: opt1 serialises on init_mm's ptl, opt2 on get_online_mems(). */
function scaleOf(strategy: string, cpus: number): number {
  const ideal = cpus / 8;
  if (strategy === 'opt1') return Math.min(ideal, 0.9 / 8 + 0.02 * Math.log2(cpus)) / ideal;
  if (strategy === 'opt2') return 1 / (1 + 0.012 * cpus);
  return 1 / (1 + 0.002 * cpus);
}

/** Metrics with the keys of SPEC §2.10, in the ranges a timed head-to-head run gives. */
export function metricsOf(row: RunRow, counts: Counts, threads = vmallocThreadsOf(row)): Record<string, number> {
  const prng = new Prng(seedOf(row.id) ^ 0x5a5a);
  const j = (v: number): number => Math.round(v * (0.97 + prng.next() * 0.06));
  const m: Record<string, number> = {};
  const timed = row.mode === 'timed';
  const c = COSTS[row.strategy] ?? COSTS.upstream;
  if (timed) {
    const cpus = threads;
    const seconds = row.scenario === 'scaling' ? 0.1 : 1;
    const ops = j(c.ops * seconds * (cpus / 8) * scaleOf(row.strategy, cpus));
    const hr = j(c.hotremove);
    Object.assign(m, {
      'vmalloc.ops': ops,
      'vmalloc.latency_ns.p50': j(2140),
      'vmalloc.latency_ns.p90': j(c.p99 / 10.8),
      'vmalloc.latency_ns.p99': j(c.p99),
      'vmalloc.latency_ns.max': j(c.max),
      'vmalloc.latency_ns.mean': j(c.p99 / 17.6),
      'vmalloc.throughput_ops_per_s': Math.round(ops / seconds),
      'vmalloc.failed': 0,
      'vfree.ops': ops,
      'vfree.latency_ns.p50': j(992),
      'vfree.latency_ns.p90': j(9625),
      'vfree.latency_ns.p99': j(15_287),
      'vfree.latency_ns.max': j(452_053),
      'vfree.latency_ns.mean': j(2773),
      'hotremove.ops': 14,
      'hotremove.latency_ns.p50': hr,
      'hotremove.latency_ns.p90': j(hr * 1.08),
      'hotremove.latency_ns.p99': j(hr * 1.15),
      'hotremove.latency_ns.max': j(hr * 1.16),
      'hotremove.latency_ns.mean': j(hr * 1.02),
      'hotadd.ops': 14,
      'hotadd.latency_ns.p50': j(9_120_000),
      'hotadd.latency_ns.p90': j(9_410_000),
      'hotadd.latency_ns.p99': j(9_600_000),
      'hotadd.latency_ns.max': j(9_640_000),
      'hotadd.latency_ns.mean': j(9_180_000),
      'lock.init_mm.page_table_lock.wait_ns.total': j(c.ptlWait),
      'lock.init_mm.page_table_lock.wait_ns.max': j(Math.min(c.ptlWait, row.strategy === 'opt1' ? 12_900_000 : 644)),
      'lock.init_mm.page_table_lock.hold_ns.total': j(row.strategy === 'opt1' ? 7_010_000_000 : 4333),
      'lock.init_mm.page_table_lock.acquisitions': j(row.strategy === 'opt1' ? ops : 88),
      'lock.init_mm.page_table_lock.contended': j(row.strategy === 'opt1' ? ops * 0.7 : 13),
      'lock.mem_hotplug_lock.wait_ns.total': j(c.grace[0] * 8_000_000 * 0.55),
      'lock.mem_hotplug_lock.hold_ns.total': j(hr * 14 * 0.64),
      'lock.mem_hotplug_lock.grace_periods': c.grace[0],
      'lock.mem_hotplug_lock.grace_periods_skipped': c.grace[1],
      'lock.mem_hotplug_lock.drain_ns.total': j(c.drain),
      'lock.mem_hotplug_lock.reader_wait_ns.total': j(c.readerWait),
      'lock.vmap_area_lock.wait_ns.total': j(row.strategy === 'opt1' ? 0 : 152_000),
      'lock.vmap_area_lock.acquisitions': ops * 2,
      'lock.vmap_purge_lock.hold_ns.total': j(1_665_250),
      'lock.device_hotplug_lock.hold_ns.total': j(hr * 28),
      'tlbi.page': j(c.tlbiPage),
      'tlbi.pgtable': j(c.tlbiPgtable),
      'tlbi.all': c.tlbiAll,
      'pgtable.allocated_pages': j(1240),
      'pgtable.freed_pages': j(1240) - c.leaked,
      'pgtable.leaked_pages': c.leaked,
      'pgtable.leaked_bytes': c.leaked * 4096,
      'sim.steps': j(20_400_000 * seconds),
      'sim.time_ns': Math.round(1e9 * seconds),
    });
  } else {
    Object.assign(m, {
      'vmalloc.ops': 2,
      'vfree.ops': 0,
      'hotremove.ops': 1,
      'tlbi.page': row.strategy === 'v5' ? 0 : 1,
      'tlbi.pgtable': row.strategy === 'opt3' || row.strategy === 'v6' ? 1 : 2,
      'tlbi.all': 0,
      'pgtable.allocated_pages': 4,
      'pgtable.freed_pages': row.strategy === 'opt3' || row.strategy === 'v6' ? 1 : 2,
      'pgtable.leaked_pages': 0,
      'pgtable.leaked_bytes': 0,
      'sim.steps': j(1085),
      'sim.time_ns': 0,
    });
  }
  m['wall.ms'] = row.wallMs ?? 0;
  for (const k of VIOLATION_KINDS) m[`violations.${k}`] = counts[k] ?? 0;
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

/** A full stored run for the list row. `lazySeries`: the run's series are long and served by getSeries only (not sent whole). */
export function storedRunOf(g: GeneratedRun, presetDoc: unknown, lazySeries = false): StoredRun {
  const counts = countsOf(g.row);
  const threads = g.point ?? vmallocThreadsOf(g.row);
  const config = presetDoc && typeof presetDoc === 'object' ? { ...(presetDoc as Record<string, unknown>), vmallocThreads: threads } : presetDoc;
  const knobs = STRATEGIES.find((s) => s.id === g.row.strategy)?.knobs;
  return {
    ...g.row,
    experimentName: null,
    violations: violationsOf(g.row, counts),
    violationCounts: counts,
    metrics: metricsOf(g.row, counts, threads),
    series: lazySeries ? [] : seriesOf(g.row),
    schedule: [],
    strategyKnobs: g.row.strategyKnobs ?? (knobs ? { ...knobs } : null),
    config,
    version: __PTLAB_VERSION__,
    error: g.error,
    ownerPid: null,
    ownerHost: null,
    note: g.note,
  };
}
