/**
 * Traces for the fake lab: the full replayed log of a violation (the real
 * thread-race counterexample of the reviewed teardown, a log built around a
 * violation's shortened trace, or a generated 100,000-step ptdump trace), and
 * the machine at any step of it — the page tables from swapper_pg_dir down,
 * the tables the trace detached, each CPU's TLB and walk cache, locks and
 * actors — worked out by replaying the log's steps through a small model
 * that reads the engine's kernel actions (a `pgd_clear(pgdp)` with the pfn it
 * held, a `pud_populate(…)` with the table it links, `free_hotplug_pgtable_page(…)`, …).
 * The model is the fake's own: the real machine state comes from the main
 * process's replay; this one only has to look and behave like it.
 */
import type { TraceStep, Violation, ViolationKind } from '../../../../core/results.ts';
import type { ActorState, CpuState, LockState, MachineState, TableEntry, TableNode, TraceInfo } from '../api.ts';
import type { KeyStep } from '../story.ts';
import { RACE_ACTORS, RACE_RUN_STEPS, RACE_VIOLATIONS, type RaceKind, raceStep } from './fakeRace.ts';

type Level = TableNode['level'];

const SHIFT: Record<Level, bigint> = { pgd: 39n, p4d: 39n, pud: 30n, pmd: 21n, pte: 12n };
const CHILD: Record<Level, Level | null> = { pgd: 'pud', p4d: 'pud', pud: 'pmd', pmd: 'pte', pte: null };
const LEVEL_WORD: Record<Level, string> = { pgd: 'PGD', p4d: 'P4D', pud: 'PUD', pmd: 'PMD', pte: 'PTE' };
const MASK64 = (1n << 64n) - 1n;

const hex16 = (v: bigint): string => (v & MASK64).toString(16).padStart(16, '0');
const hexPfn = (pfn: number): string => `0x${pfn.toString(16)}`;
const indexOf = (level: Level, va: bigint): number => Number((va >> SHIFT[level]) & 511n);
const entrySize = (level: Level): bigint => 1n << SHIFT[level];
const tableSpanStart = (level: Level, va: bigint): bigint => va & ~((1n << (SHIFT[level] + 9n)) - 1n) & MASK64;

function levelOfRole(role: string): Level | null {
  const m = /^(pgd|p4d|pud|pmd|pte) table/.exec(role);
  return m ? (m[1] as Level) : null;
}

interface Entry {
  kind: TableEntry['kind'];
  pfn: number;
  /** The target's generation when the entry was written. */
  generation: number;
}

interface Frame {
  pfn: number;
  /** Table level, or null for a data page (vmalloc page, vmemmap backing, linear page). */
  level: Level | null;
  generation: number;
  firstGeneration: number;
  state: 'live' | 'freed' | 'static';
  entries: Map<number, Entry>;
  start: bigint;
  changedAt: number;
  /** Entries the trace went through (shown even when the table is summarised). */
  path: Set<number>;
  /** Entries a step cleared: what each held and the step. */
  cleared: Map<number, { was: Entry; step: number }>;
  touched: boolean;
  /** Some entry has pointed to it (a table allocated but not yet populated is not "detached"). */
  linked: boolean;
}

interface Leaf {
  va: bigint;
  size: number;
  pfn: number;
  generation: number;
}

interface Walk {
  level: Level;
  /** First VA the cached entry covers. */
  va: bigint;
  pfn: number;
  generation: number;
}

/** The modelled machine: page tables, TLBs, pointers the actors hold, locks. */
class Machine {
  frames = new Map<number, Frame>();
  cpus = new Map<number, { leaf: Leaf[]; walk: Walk[] }>();
  pointers = new Map<string, { pfn: number; generation: number; level: Level }>();
  held = new Map<string, string[]>();
  waiting = new Map<string, string>();

  constructor(
    readonly root: number,
    cpus: number[],
  ) {
    for (const c of cpus) this.cpus.set(c, { leaf: [], walk: [] });
  }

  clone(): Machine {
    const m = new Machine(this.root, []);
    for (const [pfn, f] of this.frames) m.frames.set(pfn, { ...f, entries: new Map(f.entries), path: new Set(f.path), cleared: new Map(f.cleared) });
    for (const [c, t] of this.cpus) m.cpus.set(c, { leaf: t.leaf.map((x) => ({ ...x })), walk: t.walk.map((x) => ({ ...x })) });
    for (const [a, p] of this.pointers) m.pointers.set(a, { ...p });
    for (const [a, l] of this.held) m.held.set(a, [...l]);
    for (const [a, l] of this.waiting) m.waiting.set(a, l);
    return m;
  }

  table(pfn: number, level: Level, generation: number, start: bigint, state: Frame['state'] = 'live'): Frame {
    const f: Frame = { pfn, level, generation, firstGeneration: generation, state, entries: new Map(), start, changedAt: -1, path: new Set(), cleared: new Map(), touched: false, linked: state === 'static' };
    this.frames.set(pfn, f);
    return f;
  }

  data(pfn: number, generation: number): Frame {
    const f: Frame = { pfn, level: null, generation, firstGeneration: generation, state: 'live', entries: new Map(), start: 0n, changedAt: -1, path: new Set(), cleared: new Map(), touched: false, linked: false };
    this.frames.set(pfn, f);
    return f;
  }

  link(parent: Frame, index: number, kind: Entry['kind'], pfn: number): void {
    const target = this.frames.get(pfn);
    if (target) target.linked = true;
    parent.entries.set(index, { kind, pfn, generation: target?.generation ?? 1 });
  }

  /** True while the entry still means what it meant when written. */
  sound(e: Entry): boolean {
    const t = this.frames.get(e.pfn);
    return !t || (t.state !== 'freed' && t.generation === e.generation);
  }

  /** The table frames a hardware walk of `va` goes through from the root, and the leaf it ends at. */
  walk(va: bigint): { tables: Frame[]; leaf: Entry | null; fault: string | null } {
    const tables: Frame[] = [];
    let f = this.frames.get(this.root);
    while (f && f.level) {
      tables.push(f);
      const i = indexOf(f.level, va);
      const e = f.entries.get(i);
      if (!e) return { tables, leaf: null, fault: `${LEVEL_WORD[f.level]} entry ${hexPfn(i)} is none` };
      if (e.kind !== 'table') return { tables, leaf: e, fault: null };
      f = this.frames.get(e.pfn);
    }
    return { tables, leaf: null, fault: 'no table' };
  }
}

/** What the fake needs to show a trace: its log, the machine before step 0, and where the kernel source is. */
export interface TraceLog {
  scenario: string;
  strategy: string;
  seed: number;
  actors: TraceInfo['actors'];
  /** Steps the viewer gets (0 .. totalSteps-1); the last is the violation's. */
  totalSteps: number;
  /** Steps in the whole run (≥ totalSteps): actors' next steps may lie past the violation. */
  runSteps: number;
  step(s: number): TraceStep;
  initial(): Machine;
  sourceBase: string;
}

const FILES: Record<string, string> = {
  alloc_vmap_area: 'mm/vmalloc.c',
  __vmalloc_area_node: 'mm/vmalloc.c',
  __vmalloc_node_range: 'mm/vmalloc.c',
  vmap_page_range: 'mm/vmalloc.c',
  vmap_pud_range: 'mm/vmalloc.c',
  vmap_pmd_range: 'mm/vmalloc.c',
  vmap_pte_range: 'mm/vmalloc.c',
  vunmap_pte_range: 'mm/vmalloc.c',
  free_vmap_area_noflush: 'mm/vmalloc.c',
  __pmd_alloc: 'mm/memory.c',
  __pud_alloc: 'mm/memory.c',
  __pte_alloc_kernel: 'mm/memory.c',
  mem_hotplug_begin: 'mm/memory_hotplug.c',
  mem_hotplug_done: 'mm/memory_hotplug.c',
  try_remove_memory: 'mm/memory_hotplug.c',
  offline_pages: 'mm/memory_hotplug.c',
  unmap_hotplug_range: 'arch/arm64/mm/mmu.c',
  unmap_hotplug_pud_range: 'arch/arm64/mm/mmu.c',
  unmap_hotplug_pmd_range: 'arch/arm64/mm/mmu.c',
  unmap_hotplug_pte_range: 'arch/arm64/mm/mmu.c',
  free_empty_tables: 'arch/arm64/mm/mmu.c',
  free_empty_pud_table: 'arch/arm64/mm/mmu.c',
  free_empty_pmd_table: 'arch/arm64/mm/mmu.c',
  free_empty_pte_table: 'arch/arm64/mm/mmu.c',
  remove_pud_table: 'arch/arm64/mm/mmu.c',
  ptdump_check_wx: 'arch/arm64/mm/ptdump.c',
  ptdump_pmd_entry: 'mm/ptdump.c',
  ptdump_pte_entry: 'mm/ptdump.c',
  walk_pmd: 'arch/arm64/mm/dump.c',
  memcpy: 'arch/arm64/lib/memcpy.S',
};

// ------------------------------------------------------------ the race of the reviewed teardown

function raceMachine(): Machine {
  const m = new Machine(0x2000000, [0, 1, 2]);
  const pgd = m.table(0x2000000, 'pgd', 0, 0xffff000000000000n, 'static');
  // PGD 0x1fb: the PUD table vmalloc's top GiBs share with vmemmap's first GiB (the v6.9 layout).
  const pud = m.table(0x200004c, 'pud', 1, 0xfffffd8000000000n);
  const pmd = m.table(0x200004d, 'pmd', 1, 0xfffffdffc0000000n);
  m.data(0x2002a88, 1);
  m.link(pmd, 0x008, 'block', 0x2002a88);
  m.link(pud, 0x1ff, 'table', 0x200004d);
  m.link(pgd, 0x1fb, 'table', 0x200004c);
  // Neighbours summarised: vmalloc below, boot memory's vmemmap (2 GiB in) above, the linear map and the kernel image.
  for (const [i, pfn, start] of [
    [0x1fa, 0x2000047, 0xfffffd0000000000n],
    [0x1fc, 0x2000048, 0xfffffe0000000000n],
    [0x000, 0x2000001, 0xffff000000000000n],
    [0x100, 0x2000002, 0xffff800000000000n],
  ] as const) {
    m.table(pfn, 'pud', 1, start);
    m.link(pgd, i, 'table', pfn);
  }
  // Hot-remove's CPU last touched the section's struct pages: its TLB and walk cache still hold them.
  m.cpus.get(0)!.leaf.push({ va: 0xfffffdffc1000000n, size: 2 << 20, pfn: 0x2002a88, generation: 1 });
  m.cpus.get(0)!.walk.push({ level: 'pud', va: 0xfffffd8000000000n, pfn: 0x200004c, generation: 1 }, { level: 'pmd', va: 0xfffffdffc0000000n, pfn: 0x200004d, generation: 1 });
  // The vmalloc CPUs touched boot memory's struct pages (alloc_page), through PGD 0x1fc.
  for (const c of [1, 2]) m.cpus.get(c)!.walk.push({ level: 'pud', va: 0xfffffe0000000000n, pfn: 0x2000048, generation: 1 });
  return m;
}

/** The full log of thread-race × v5-reviewed, seed 3, up to a violation of that run. */
export function raceLog(kind: RaceKind): TraceLog {
  return {
    scenario: 'thread-race',
    strategy: 'v5-reviewed',
    seed: 3,
    actors: RACE_ACTORS,
    totalSteps: RACE_VIOLATIONS[kind].step + 1,
    runSteps: RACE_RUN_STEPS,
    step: raceStep,
    initial: raceMachine,
    sourceBase: 'https://elixir.bootlin.com/linux/v5.7/source',
  };
}

export const RACE_STORIES: Record<RaceKind, { narrative: string; keySteps: KeyStep[] }> = (() => {
  const took: KeyStep = { step: 11, actor: 'vmalloc#2', role: 'took-pointer', label: 'pud_offset() took PUD table pfn 0x200004c from PGD entry 0x1fb' };
  const cleared: KeyStep = { step: 1050, actor: 'hotremove', role: 'cleared', label: 'pgd_clear(): PGD entry 0x1fb no longer points to pfn 0x200004c' };
  const invalidated: KeyStep = { step: 1051, actor: 'hotremove', role: 'invalidated', label: '__flush_tlb_kernel_pgtable(): walk caches invalidated' };
  const freed: KeyStep = { step: 1052, actor: 'hotremove', role: 'freed', label: 'free_hotplug_pgtable_page(): PUD table pfn 0x200004c freed' };
  const head =
    'vmalloc#2 took PUD table pfn 0x200004c from PGD entry 0x1fb at step 11 (vmap_page_range). hotremove, emptying the vmemmap tables of the removed section, cleared that PGD entry at step 1050, invalidated the walk caches at 1051 and freed the page at 1052 (free_empty_pud_table).';
  return {
    'uaf-table-read': {
      narrative: `${head} vmalloc#2, still holding pudp into it, read an entry of the freed page at step 1056 (__pmd_alloc's re-check under init_mm.page_table_lock).`,
      keySteps: [took, cleared, invalidated, freed, { step: 1056, actor: 'vmalloc#2', role: 'stale-use', label: 'pud_none(*pudp) reads the freed page' }],
    },
    'uaf-table-write': {
      narrative: `${head} vmalloc#2, still holding pudp into it, populated an entry of the freed page at step 1057 (pud_populate in __pmd_alloc).`,
      keySteps: [took, cleared, invalidated, freed, { step: 1057, actor: 'vmalloc#2', role: 'stale-use', label: 'pud_populate() writes into the freed page' }],
    },
    'lost-mapping': {
      narrative: `${head} vmalloc#2 populated the freed page at 1057, the page came back as its own PTE table at 1061, and the access at 1069 faulted: nothing links its mapping to swapper_pg_dir.`,
      keySteps: [
        took,
        cleared,
        freed,
        { step: 1057, actor: 'vmalloc#2', role: 'stale-use', label: 'pud_populate() writes into the freed page' },
        { step: 1061, actor: 'vmalloc#2', role: 'reused', label: 'pte_alloc_one_kernel() gets pfn 0x200004c back as a PTE table' },
        { step: 1069, actor: 'vmalloc#2', role: 'completes', label: 'the access faults: PGD entry 0x1fb is none' },
      ],
    },
  };
})();

// ------------------------------------------------------------ a log around any violation's trace

/** Key steps of a shortened trace, found by the kernel actions that make a race (the fake's stand-in for the engine's). */
export function keyStepsOf(v: Violation): KeyStep[] {
  const t = v.trace;
  const out: KeyStep[] = [];
  const last = t[t.length - 1];
  const victim = last?.frame?.pfn ?? null;
  const clear = t.find((s) => /_clear\(/.test(s.action));
  if (victim !== null) {
    const took = t.find((s) => s.actor === v.actor && s.action.includes(`= table pfn ${hexPfn(victim)}`));
    if (took) out.push({ step: took.step, actor: took.actor, role: 'took-pointer', label: `${took.function}() took table pfn ${hexPfn(victim)}` });
  }
  const lock = t.find((s) => s.actor === v.actor && /^(spin_lock|percpu_down_read|percpu_down_write)\(/.test(s.action));
  if (lock && (v.kind === 'sleep-in-atomic' || v.kind === 'deadlock')) out.push({ step: lock.step, actor: lock.actor, role: 'holds-lock', label: lock.action });
  if (clear) out.push({ step: clear.step, actor: clear.actor, role: 'cleared', label: `${clear.action.replace(/ \/\*.*$/, '')} in ${clear.function}()` });
  const flush = t.find((s) => /flush_tlb/.test(s.action) && (!clear || s.step > clear.step));
  if (flush) out.push({ step: flush.step, actor: flush.actor, role: 'invalidated', label: `${flush.action.replace(/\(.*$/, '()')}` });
  const free = t.find((s) => /^free_hotplug_(pgtable_page|page_range)/.test(s.action) && s.step !== last.step);
  if (free) out.push({ step: free.step, actor: free.actor, role: 'freed', label: `${free.action.replace(/\(.*$/, '()')}: pfn ${free.frame ? hexPfn(free.frame.pfn) : '?'} freed` });
  if (last) {
    const role = v.kind === 'sleep-in-atomic' || v.kind === 'deadlock' ? 'waits' : 'stale-use';
    out.push({ step: v.step, actor: v.actor, role, label: `${last.action} in ${last.function}()` });
  }
  const seen = new Set<number>();
  return out.filter((k) => !seen.has(k.step) && (seen.add(k.step), true)).sort((a, b) => a.step - b.step);
}

/** The narrative of key steps, in kernel terms. */
export function narrativeOf(v: Violation, keys: KeyStep[]): string {
  if (keys.length === 0) return v.message;
  const parts = keys.map((k) => `${k.actor} ${k.label} at step ${k.step.toLocaleString('en-US')}`);
  return `${parts.join('; ')}. ${v.message}.`;
}

/**
 * A full log around a shortened trace: the trace's steps where they were,
 * and between them what the actor of the next listed step was doing (an
 * emptiness scan, as hot-remove's are, or the actor's own loop).
 */
export function logAround(v: Violation, scenario: string, strategy: string, seed: number): TraceLog {
  const listed = new Map(v.trace.map((s) => [s.step, s]));
  const steps = [...listed.keys()].sort((a, b) => a - b);
  const actors = new Map<string, number>();
  for (const s of v.trace) actors.set(s.actor, s.cpu);
  const actorList = [...actors].map(([name, cpu]) => ({ name, cpu, kind: name.replace(/#\d+$/, '') })).sort((a, b) => a.cpu - b.cpu);
  const nextListed = (s: number): TraceStep | undefined => {
    let lo = 0;
    let hi = steps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    return listed.get(steps[Math.min(lo, steps.length - 1)]);
  };
  const step = (s: number): TraceStep => {
    const hit = listed.get(s);
    if (hit) return { ...hit, repeat: undefined };
    const next = nextListed(s) ?? v.trace[v.trace.length - 1];
    const base = next.frame && levelOfRole(next.frame.role) ? next : v.trace.find((x) => x.frame && levelOfRole(x.frame.role)) ?? next;
    const level = base.frame ? levelOfRole(base.frame.role) : null;
    if (!level || !base.address) return { step: s, timeNs: null, cpu: next.cpu, actor: next.actor, function: next.function, action: 'cpu_relax()', address: '', frame: null, locks: [...next.locks] };
    const va = tableSpanStart(level, BigInt(`0x${base.address}`)) + BigInt(s % 512) * entrySize(level);
    return { step: s, timeNs: null, cpu: base.cpu, actor: base.actor, function: base.function, action: `READ_ONCE(${level}p[i]) = none`, address: hex16(va), frame: base.frame ? { ...base.frame } : null, locks: [...base.locks] };
  };
  return {
    scenario,
    strategy,
    seed,
    actors: actorList,
    totalSteps: v.step + 1,
    runSteps: v.step + 1,
    step,
    initial: () => machineFor(v.trace),
    sourceBase: 'https://elixir.bootlin.com/linux/v5.7/source',
  };
}

/** A starting machine with every table the trace mentions linked where its addresses say. */
function machineFor(trace: TraceStep[]): Machine {
  const cpus = [...new Set(trace.map((s) => s.cpu))];
  const m = new Machine(0x2000000, cpus);
  m.table(0x2000000, 'pgd', 0, 0xffff000000000000n, 'static');
  const byLevel: Record<string, { pfn: number; va: bigint; generation: number }[]> = {};
  for (const s of trace) {
    const level = s.frame ? levelOfRole(s.frame.role) : null;
    if (!s.frame || !level || !s.address || s.frame.pfn === 0x2000000) continue;
    (byLevel[level] ??= []).push({ pfn: s.frame.pfn, va: BigInt(`0x${s.address}`), generation: s.frame.generation });
  }
  for (const level of ['pud', 'pmd', 'pte'] as Level[]) {
    for (const t of byLevel[level] ?? []) {
      if (m.frames.has(t.pfn)) continue;
      m.table(t.pfn, level, t.generation, tableSpanStart(level, t.va));
    }
  }
  // Link each table into the one above it on its address (creating the missing middle tables).
  let next = 0x2000400;
  const ensure = (level: Level, va: bigint): Frame => {
    if (level === 'pgd') return m.frames.get(0x2000000)!;
    const parentLevel: Level = level === 'pud' ? 'pgd' : level === 'pmd' ? 'pud' : 'pmd';
    const parent = ensure(parentLevel, va);
    const i = indexOf(parentLevel, va);
    const e = parent.entries.get(i);
    if (e && e.kind === 'table') return m.frames.get(e.pfn)!;
    const f = [...m.frames.values()].find((x) => x.level === level && x.start === tableSpanStart(level, va)) ?? m.table(next++, level, 1, tableSpanStart(level, va));
    m.link(parent, i, 'table', f.pfn);
    return f;
  };
  for (const f of [...m.frames.values()]) if (f.level && f.level !== 'pgd') ensure(f.level, f.start);
  return m;
}

// ------------------------------------------------------------ a long generated trace

/** Steps per block of the generated trace: ptdump 48, hot-remove 15 (5 PTEs × read, clear, flush), one more ptdump. */
const BLOCK = 64;
const LINEAR = 0xffff000040000000n;
const PTE0 = 0x2000100;

/**
 * A ptdump_check_wx() walk of the linear map while hot-remove clears the
 * page-mapped section under it, `total` steps long (100,000 for the
 * benchmark), ending in ptdump reading a PTE table that hot-remove freed.
 */
export function longLog(total: number, strategy = 'upstream'): TraceLog {
  const end = total - 1;
  const took = Math.max(0, end - 999);
  const victim = PTE0 + 14;
  const victimVa = LINEAR + 14n * 512n * 4096n;
  const special = new Map<number, TraceStep>();
  const at = (s: TraceStep): void => void special.set(s.step, s);
  const hp = ['mem_hotplug_lock'];
  at({ step: took, timeNs: null, cpu: 1, actor: 'ptdump', function: 'ptdump_pmd_entry', action: `READ_ONCE(*pmdp) = table pfn ${hexPfn(victim)}`, address: hex16(victimVa), frame: { role: 'pmd table', pfn: 0x20000f0, generation: 1 }, locks: [] });
  at({ step: end - 9, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pte_table', action: `pmd_clear(pmdp) /* was pfn ${hexPfn(victim)} */`, address: hex16(victimVa), frame: { role: 'pmd table', pfn: 0x20000f0, generation: 1 }, locks: hp });
  at({ step: end - 8, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pte_table', action: '__flush_tlb_kernel_pgtable(start)', address: hex16(victimVa), frame: null, locks: hp });
  at({ step: end - 7, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pte_table', action: 'free_hotplug_pgtable_page(virt_to_page(table))', address: hex16(victimVa), frame: { role: 'pte table', pfn: victim, generation: 1 }, locks: hp });
  at({ step: end, timeNs: null, cpu: 1, actor: 'ptdump', function: 'ptdump_pte_entry', action: 'READ_ONCE(*ptep)', address: hex16(victimVa + 0x3000n), frame: { role: 'pte table', pfn: victim, generation: 1 }, locks: [] });

  const step = (s: number): TraceStep => {
    const hit = special.get(s);
    if (hit) return { ...hit, frame: hit.frame ? { ...hit.frame } : null, locks: [...hit.locks] };
    const b = Math.floor(s / BLOCK);
    const i = s % BLOCK;
    if (b % 25 === 7 && i >= 56) {
      const va = 0xffff800010000000n + BigInt(b) * 0x2000n;
      const actions: [string, string, TraceStep['frame']][] = [
        ['alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', null],
        ['__vmalloc_area_node', 'alloc_page(GFP_KERNEL)', { role: 'vmalloc page', pfn: 0x2080000 + b, generation: 1 }],
        ['vmap_pte_range', 'pte_none(*pte) /* WARN_ON(!pte_none) */ = none', { role: 'pte table', pfn: 0x2000200, generation: 1 }],
        ['vmap_pte_range', `set_pte_at(&init_mm, addr, pte, mk_pte(page, prot)) /* page pfn ${hexPfn(0x2080000 + b)} */`, { role: 'pte table', pfn: 0x2000200, generation: 1 }],
        ['__vmalloc_node_range', '*(u8 *)addr = 0 /* the CPU touches the page */', null],
        ['vunmap_pte_range', `ptep_get_and_clear(&init_mm, addr, pte) /* was pfn ${hexPfn(0x2080000 + b)} */`, { role: 'pte table', pfn: 0x2000200, generation: 1 }],
        ['free_vmap_area_noflush', 'free_vmap_area_noflush(va)', null],
        ['__vunmap', '__free_pages(page, 0)', { role: 'vmalloc page', pfn: 0x2080000 + b, generation: 1 }],
      ];
      const [fn, action, frame] = actions[i - 56];
      return { step: s, timeNs: null, cpu: 2, actor: 'vmalloc#1', function: fn, action, address: frame || fn === '__vmalloc_node_range' ? hex16(va) : '', frame, locks: [] };
    }
    if (i >= 48 && i < 63) {
      const j = b * 5 + Math.floor((i - 48) / 3);
      const va = LINEAR + BigInt(j % 32768) * 4096n;
      const table = PTE0 + Math.floor((j % 32768) / 512);
      const pfn = 0x40000 + (j % 32768);
      const frame = { role: 'pte table', pfn: table, generation: 1 };
      const sub = (i - 48) % 3;
      const action = sub === 0 ? `READ_ONCE(*ptep) = page pfn ${hexPfn(pfn)}` : sub === 1 ? `pte_clear(&init_mm, addr, ptep) /* was pfn ${hexPfn(pfn)} */` : 'flush_tlb_kernel_range(addr, addr + PAGE_SIZE)';
      return { step: s, timeNs: null, cpu: 0, actor: 'hotremove', function: 'unmap_hotplug_pte_range', action, address: hex16(va), frame: sub === 2 ? null : frame, locks: [...hp] };
    }
    // ptdump: after it took the victim table it walks that table's (cleared) entries; before, the linear map in order.
    const q = s > took ? 14 * 512 + ((s - took) % 512) : (b * 49 + (i < 48 ? i : 48)) % 32768;
    const cleared = s > took || q < b * 5;
    const va = LINEAR + BigInt(q) * 4096n;
    return {
      step: s,
      timeNs: null,
      cpu: 1,
      actor: 'ptdump',
      function: 'ptdump_pte_entry',
      action: cleared ? 'READ_ONCE(*ptep) = none' : `READ_ONCE(*ptep) = page pfn ${hexPfn(0x40000 + q)}`,
      address: hex16(va),
      frame: { role: 'pte table', pfn: PTE0 + Math.floor(q / 512), generation: 1 },
      locks: [],
    };
  };

  const initial = (): Machine => {
    const m = new Machine(0x2000000, [0, 1, 2]);
    const pgd = m.table(0x2000000, 'pgd', 0, 0xffff000000000000n, 'static');
    const pud = m.table(0x20000e0, 'pud', 1, 0xffff000000000000n);
    const pmd = m.table(0x20000f0, 'pmd', 1, 0xffff000040000000n);
    m.link(pgd, 0, 'table', 0x20000e0);
    m.link(pud, 1, 'table', 0x20000f0);
    for (let t = 0; t < 64; t++) {
      const pte = m.table(PTE0 + t, 'pte', 1, LINEAR + BigInt(t) * 512n * 4096n);
      m.link(pmd, t, 'table', pte.pfn);
      for (let e = 0; e < 512; e++) pte.entries.set(e, { kind: 'page', pfn: 0x40000 + t * 512 + e, generation: 1 });
    }
    const vpud = m.table(0x2000190, 'pud', 1, 0xffff800000000000n);
    const vpmd = m.table(0x20001a0, 'pmd', 1, 0xffff800000000000n);
    const vpte = m.table(0x2000200, 'pte', 1, 0xffff800010000000n);
    m.link(pgd, 0x100, 'table', vpud.pfn);
    m.link(vpud, 0, 'table', vpmd.pfn);
    m.link(vpmd, 0x80, 'table', vpte.pfn);
    m.cpus.get(1)!.walk.push({ level: 'pmd', va: 0xffff000040000000n, pfn: 0x20000f0, generation: 1 });
    return m;
  };

  return {
    scenario: 'ptdump-check-wx',
    strategy,
    seed: 1,
    actors: [
      { name: 'hotremove', cpu: 0, kind: 'hotremove' },
      { name: 'ptdump', cpu: 1, kind: 'ptdump' },
      { name: 'vmalloc#1', cpu: 2, kind: 'vmalloc' },
    ],
    totalSteps: total,
    runSteps: total,
    step,
    initial,
    sourceBase: 'https://elixir.bootlin.com/linux/v5.7/source',
  };
}

export function longStory(total: number): { narrative: string; keySteps: KeyStep[]; trace: TraceStep[] } {
  const log = longLog(total);
  const end = total - 1;
  const took = Math.max(0, end - 999);
  const victim = hexPfn(PTE0 + 14);
  const keySteps: KeyStep[] = [
    { step: took, actor: 'ptdump', role: 'took-pointer', label: `ptdump_pmd_entry() took PTE table pfn ${victim}` },
    { step: end - 9, actor: 'hotremove', role: 'cleared', label: `pmd_clear(): the PMD entry no longer points to pfn ${victim}` },
    { step: end - 8, actor: 'hotremove', role: 'invalidated', label: '__flush_tlb_kernel_pgtable(): walk caches invalidated' },
    { step: end - 7, actor: 'hotremove', role: 'freed', label: `free_hotplug_pgtable_page(): PTE table pfn ${victim} freed` },
    { step: end, actor: 'ptdump', role: 'stale-use', label: 'READ_ONCE(*ptep) reads the freed page' },
  ];
  const n = (k: number): string => k.toLocaleString('en-US');
  const narrative = `ptdump (ptdump_check_wx, walking the linear map without get_online_mems()) took PTE table pfn ${victim} at step ${n(took)}. hotremove cleared the PMD entry at ${n(end - 9)}, invalidated the walk caches at ${n(end - 8)} and freed the table at ${n(end - 7)} (free_empty_pte_table). ptdump then read an entry of the freed page at step ${n(end)}.`;
  const trace = [took, end - 9, end - 8, end - 7, end].map((s) => log.step(s));
  return { narrative, keySteps, trace };
}

// ------------------------------------------------------------ replaying a log into machine states

/** What one step changes, applied to `m`; returns the lines of the per-step diff. */
function apply(m: Machine, t: TraceStep, s: number, describe = true): string[] {
  const out: string[] = [];
  const a = t.action;
  // Plain reads of an entry change nothing but what the trace touched: the fast path for long scans.
  if (!describe && a.startsWith('READ_ONCE(') && !a.includes('= table pfn')) {
    if (t.frame && t.address) {
      const f = m.frames.get(t.frame.pfn);
      if (f?.level) {
        f.touched = true;
        f.path.add(indexOf(f.level, BigInt(`0x${t.address}`)));
      }
    }
    return out;
  }
  const va = t.address ? BigInt(`0x${t.address}`) : null;
  const level = t.frame ? levelOfRole(t.frame.role) : null;
  const frame = t.frame ? m.frames.get(t.frame.pfn) : undefined;
  if (frame && level && va !== null) {
    frame.touched = true;
    frame.path.add(indexOf(level, va));
  }
  const where = (f: Frame, i: number): string => `${LEVEL_WORD[f.level!]} entry ${hexPfn(i)} of pfn ${hexPfn(f.pfn)}`;
  let x: RegExpExecArray | null;
  if ((x = /^(pgd|pud|pmd|pte)_clear\(.*\/\* was pfn 0x([0-9a-f]+) \*\//.exec(a)) || (x = /^(ptep)_get_and_clear\(.*\/\* was pfn 0x([0-9a-f]+) \*\//.exec(a))) {
    if (frame?.level && va !== null) {
      const i = indexOf(frame.level, va);
      const was = frame.entries.get(i);
      frame.entries.delete(i);
      if (was && was.kind !== 'none') frame.cleared.set(i, { was, step: s });
      frame.changedAt = s;
      const target = was ? m.frames.get(was.pfn) : undefined;
      if (target?.level) target.touched = true;
      out.push(`${where(frame, i)}: ${was ? `${was.kind} pfn ${hexPfn(was.pfn)}` : 'none'} → none`);
    }
  } else if ((x = /_populate(?:_kernel)?\(.*\/\* table pfn 0x([0-9a-f]+) \*\//.exec(a)) || (x = /^set_pte_at\(.*\/\* page pfn 0x([0-9a-f]+) \*\//.exec(a))) {
    if (frame?.level && va !== null) {
      const i = indexOf(frame.level, va);
      const pfn = parseInt(x[1], 16);
      const kind: Entry['kind'] = a.startsWith('set_pte_at') ? 'page' : 'table';
      const before = frame.entries.get(i);
      frame.entries.set(i, { kind, pfn, generation: m.frames.get(pfn)?.generation ?? 1 });
      frame.cleared.delete(i);
      frame.changedAt = s;
      const target = m.frames.get(pfn);
      if (target?.level) {
        target.touched = true;
        target.linked = true;
        // A table allocated during the trace learns which span it maps when it is linked.
        target.start = frame.start + BigInt(i) * entrySize(frame.level);
      }
      const stale = frame.state === 'freed' || (t.frame && t.frame.generation !== frame.generation);
      out.push(`${where(frame, i)}: ${before ? `${before.kind} pfn ${hexPfn(before.pfn)}` : 'none'} → ${kind} pfn ${hexPfn(pfn)}${stale ? ` — written into ${frame.state === 'freed' ? 'a freed page' : `generation ${frame.generation} of the page (the writer held generation ${t.frame!.generation})`}` : ''}`);
    }
  } else if (/^free_hotplug_pgtable_page|^free_hotplug_page_range|^__free_pages/.test(a) && t.frame) {
    const f = frame ?? m.data(t.frame.pfn, t.frame.generation);
    f.state = 'freed';
    f.changedAt = s;
    for (const [actor, p] of m.pointers) if (actor === t.actor && p.pfn === f.pfn) m.pointers.delete(actor);
    out.push(`pfn ${hexPfn(f.pfn)} freed (${f.level ? `${LEVEL_WORD[f.level]} table` : t.frame.role}, generation ${f.generation})`);
  } else if (/(?:pud|pmd)_alloc_one|pte_alloc_one_kernel|^alloc_page\(/.test(a) && t.frame) {
    const newLevel = levelOfRole(t.frame.role);
    const old = m.frames.get(t.frame.pfn);
    const was = old ? `${old.level ? `${LEVEL_WORD[old.level]} table` : 'page'}, generation ${old.generation}` : null;
    const f = old ?? (newLevel ? m.table(t.frame.pfn, newLevel, t.frame.generation, 0n) : m.data(t.frame.pfn, t.frame.generation));
    if (old) {
      f.level = newLevel;
      f.generation = t.frame.generation;
      f.state = 'live';
      f.entries = new Map();
      f.path = new Set();
    }
    f.changedAt = s;
    if (newLevel) f.touched = true;
    out.push(`pfn ${hexPfn(f.pfn)} allocated as ${newLevel ? `a ${LEVEL_WORD[newLevel]} table` : t.frame.role} (generation ${f.generation}${was ? `; it was a ${was}` : ''})`);
  } else if (/^flush_tlb_kernel_range|^__flush_tlb_kernel_pgtable/.test(a) && va !== null) {
    const walkToo = a.startsWith('__flush_tlb_kernel_pgtable');
    let leaves = 0;
    let walks = 0;
    for (const c of m.cpus.values()) {
      const l0 = c.leaf.length;
      c.leaf = c.leaf.filter((e) => !(va >= e.va && va < e.va + BigInt(e.size)));
      leaves += l0 - c.leaf.length;
      if (walkToo) {
        const w0 = c.walk.length;
        c.walk = c.walk.filter((e) => !(va >= e.va && va < e.va + (entrySize(e.level) << 9n)));
        walks += w0 - c.walk.length;
      }
    }
    out.push(`TLBI ${walkToo ? 'VAAE1IS (leaf and walk cache)' : 'VAALE1IS (leaf)'} for ${t.address} on every CPU: ${leaves} TLB ${leaves === 1 ? 'entry' : 'entries'}${walkToo ? `, ${walks} walk-cache ${walks === 1 ? 'entry' : 'entries'}` : ''} dropped`);
  } else if ((x = / = table pfn 0x([0-9a-f]+)$/.exec(a)) && level) {
    const pfn = parseInt(x[1], 16);
    const child = CHILD[level] ?? 'pte';
    const target = m.frames.get(pfn);
    if (target) target.touched = true;
    m.pointers.set(t.actor, { pfn, generation: target?.generation ?? 1, level: child });
    out.push(`${t.actor} now holds a pointer to ${LEVEL_WORD[child]} table pfn ${hexPfn(pfn)} (generation ${target?.generation ?? 1})`);
  } else if (/^\*\(u8 \*\)addr/.test(a) && va !== null) {
    const w = m.walk(va);
    const tlb = m.cpus.get(t.cpu);
    if (w.leaf && tlb) {
      tlb.leaf.push({ va: va & ~4095n, size: 4096, pfn: w.leaf.pfn, generation: w.leaf.generation });
      for (const f of w.tables.slice(1)) tlb.walk.push({ level: f.level!, va: f.start, pfn: f.pfn, generation: f.generation });
      out.push(`CPU ${t.cpu} walked ${t.address} and cached it: page pfn ${hexPfn(w.leaf.pfn)}`);
    } else out.push(`CPU ${t.cpu} walked ${t.address} from swapper_pg_dir: ${w.fault} → translation fault`);
  } else if (frame?.level && va !== null && / = (none|block pfn|page pfn)/.test(a)) {
    const i = indexOf(frame.level, va);
    out.push(`${t.actor} read ${where(frame, i)}: ${a.slice(a.lastIndexOf(' = ') + 3)}${frame.state === 'freed' ? ' — from a freed page' : ''}`);
  } else if (frame?.level && va !== null && frame.state === 'freed') {
    out.push(`${t.actor} read ${where(frame, indexOf(frame.level, va))} — from a freed page`);
  }

  // Locks: what the actor holds after the step, against what it held before.
  const before = m.held.get(t.actor) ?? [];
  for (const l of t.locks) if (!before.includes(l)) out.push(`${t.actor} took ${l}`);
  for (const l of before) if (!t.locks.includes(l)) out.push(`${t.actor} released ${l}`);
  m.held.set(t.actor, [...t.locks]);
  const want = /^(?:spin_lock|percpu_down_write|percpu_down_read|mutex_lock)\(&([\w.]+)\)/.exec(a);
  if (want && !t.locks.some((l) => l.startsWith(want[1]))) {
    m.waiting.set(t.actor, want[1]);
    out.push(`${t.actor} waits for ${want[1]}`);
  } else m.waiting.delete(t.actor);
  return out;
}

const CHECKPOINT = 16_384;

/** Machine states of one log, with snapshots every 16,384 steps so any step costs at most that many to reach. */
export class TraceReplay {
  private readonly checkpoints: Machine[] = [];
  private lockNames: string[] | null = null;

  constructor(readonly log: TraceLog) {}

  private machineBefore(s: number): Machine {
    // checkpoints[k]: the machine before step k × CHECKPOINT.
    if (this.checkpoints.length === 0) this.checkpoints.push(this.log.initial());
    const k = Math.min(Math.floor(Math.max(0, s) / CHECKPOINT), Math.floor(this.log.totalSteps / CHECKPOINT));
    if (this.checkpoints.length <= k) {
      // One running machine, snapshotted at each boundary (a clone per checkpoint, not per step).
      const m = this.checkpoints[this.checkpoints.length - 1].clone();
      for (let i = (this.checkpoints.length - 1) * CHECKPOINT; this.checkpoints.length <= k; i++) {
        apply(m, this.log.step(i), i, false);
        if ((i + 1) % CHECKPOINT === 0) this.checkpoints.push(m.clone());
      }
    }
    const m = this.checkpoints[k].clone();
    for (let i = k * CHECKPOINT; i < s; i++) apply(m, this.log.step(i), i, false);
    return m;
  }

  private locksSeen(): string[] {
    if (this.lockNames) return this.lockNames;
    const names = new Set<string>();
    const n = Math.min(this.log.runSteps, 20_000);
    for (let i = 0; i < n; i++) for (const l of this.log.step(i).locks) names.add(l.replace(/ \(read\)$/, ''));
    this.lockNames = [...names].sort();
    return this.lockNames;
  }

  /** The machine after step `s` (-1: before the first step). */
  stateAt(s: number): MachineState {
    if (!Number.isInteger(s) || s < -1 || s >= this.log.totalSteps) throw new Error(`traceState: args[1]: step ${s} is outside the trace (-1 .. ${this.log.totalSteps - 1})`);
    const m = this.machineBefore(s);
    const changes = s >= 0 ? apply(m, this.log.step(s), s) : [];
    return { step: s, root: this.node(m, m.root, new Set()), detached: this.detached(m), cpus: this.cpus(m), locks: this.locks(m), actors: this.actors(m, s), changes };
  }

  private stateOf(f: Frame): TableNode['state'] {
    if (f.state === 'static') return 'static';
    if (f.state === 'freed') return 'freed';
    return f.generation > f.firstGeneration ? 'reused' : 'live';
  }

  private node(m: Machine, pfn: number, seen: Set<number>): TableNode {
    const f = m.frames.get(pfn)!;
    seen.add(pfn);
    const level = f.level ?? 'pte';
    const all = [...f.entries.keys()].sort((a, b) => a - b);
    const keep = new Set<number>();
    all.forEach((i, k) => {
      const e = f.entries.get(i)!;
      const interesting = f.path.has(i) || (e.kind === 'table' && m.frames.get(e.pfn)?.touched) || !m.sound(e);
      if (interesting) for (const j of [k - 1, k, k + 1]) if (j >= 0 && j < all.length) keep.add(all[j]);
    });
    // Where the trace went through an entry that is gone now, keep the entries on either side of it.
    for (const p of f.path) {
      if (f.entries.has(p)) continue;
      const above = all.findIndex((i) => i > p);
      for (const j of [above - 1, above < 0 ? all.length - 1 : above]) if (j >= 0 && j < all.length) keep.add(all[j]);
    }
    if (keep.size === 0) for (const i of all.slice(0, 3)) keep.add(i);
    const shown = [...all.filter((i) => keep.has(i)).slice(0, 24), ...[...f.cleared.keys()].filter((i) => f.path.has(i))].sort((a, b) => a - b);
    const entries: TableEntry[] = shown.map((i) => {
      const c = f.cleared.get(i);
      if (c && !f.entries.has(i) && c.was.kind !== 'none') return { index: i, va: hex16(f.start + BigInt(i) * entrySize(level)), kind: 'none', pfn: 0, dangling: false, was: { kind: c.was.kind, pfn: c.was.pfn }, clearedAt: c.step };
      const e = f.entries.get(i)!;
      const target = m.frames.get(e.pfn);
      const dangling = !m.sound(e);
      const out: TableEntry = { index: i, va: hex16(f.start + BigInt(i) * entrySize(level)), kind: e.kind, pfn: e.pfn, dangling };
      if (e.kind === 'table' && !dangling && target?.level && target.touched && !seen.has(e.pfn)) out.child = this.node(m, e.pfn, seen);
      return out;
    });
    return { pfn, generation: f.generation, level, state: this.stateOf(f), start: hex16(f.start), end: hex16(f.start + (entrySize(level) << 9n) - 1n), entries, omitted: all.length - entries.filter((e) => e.kind !== 'none').length, changedAt: f.changedAt };
  }

  private detached(m: Machine): TableNode[] {
    const linked = new Set<number>();
    const visit = (pfn: number): void => {
      if (linked.has(pfn)) return;
      linked.add(pfn);
      for (const e of m.frames.get(pfn)?.entries.values() ?? []) if (e.kind === 'table' && m.sound(e) && m.frames.get(e.pfn)?.level) visit(e.pfn);
    };
    visit(m.root);
    const out: TableNode[] = [];
    const seen = new Set<number>(linked);
    const loose = [...m.frames.values()].filter((f) => f.level && f.touched && f.linked && !linked.has(f.pfn)).sort((a, b) => b.changedAt - a.changedAt);
    for (const f of loose) if (!seen.has(f.pfn)) out.push(this.node(m, f.pfn, seen));
    return out;
  }

  private staleTarget(m: Machine, pfn: number, generation: number): boolean {
    const f = m.frames.get(pfn);
    return !!f && (f.state === 'freed' || f.generation !== generation);
  }

  private cpus(m: Machine): CpuState[] {
    return [...m.cpus].map(([cpu, t]) => ({
      cpu,
      leaf: t.leaf.map((e) => {
        const w = m.walk(e.va);
        return { va: hex16(e.va), size: e.size, pfn: e.pfn, generation: e.generation, stale: this.staleTarget(m, e.pfn, e.generation) || !w.leaf || w.leaf.pfn !== e.pfn };
      }),
      walk: t.walk.map((e) => {
        const w = m.walk(e.va);
        return { level: e.level, va: hex16(e.va), pfn: e.pfn, generation: e.generation, stale: this.staleTarget(m, e.pfn, e.generation) || !w.tables.some((f) => f.pfn === e.pfn) };
      }),
    }));
  }

  private locks(m: Machine): LockState[] {
    return this.locksSeen().map((name) => {
      let holder: string | null = null;
      const readers: string[] = [];
      const waiters: string[] = [];
      for (const [actor, held] of m.held) {
        if (held.includes(name)) holder = actor;
        if (held.includes(`${name} (read)`)) readers.push(actor);
      }
      for (const [actor, lock] of m.waiting) if (lock === name) waiters.push(actor);
      const writer = name === 'mem_hotplug_lock' ? (holder ?? waiters[0] ?? null) : null;
      return { name, holder, writer, readers, waiters };
    });
  }

  private actors(m: Machine, s: number): ActorState[] {
    const next = new Map<string, TraceStep>();
    const names = this.log.actors.map((a) => a.name);
    const limit = Math.min(this.log.runSteps, s + 1 + 20_000);
    for (let i = s + 1; i < limit && next.size < names.length; i++) {
      const t = this.log.step(i);
      if (!next.has(t.actor)) next.set(t.actor, t);
    }
    return this.log.actors.map((a) => {
      const n = next.get(a.name);
      const p = m.pointers.get(a.name);
      return {
        name: a.name,
        cpu: a.cpu,
        done: !n && limit >= this.log.runSteps,
        next: n ? { function: n.function, action: n.action, address: n.address } : null,
        pointer: p ? { pfn: p.pfn, generation: p.generation, role: `${LEVEL_WORD[p.level]} table`, stale: this.staleTarget(m, p.pfn, p.generation) } : null,
        locks: [...(m.held.get(a.name) ?? [])],
      };
    });
  }
}

/** The race kinds that have the real log (thread-race, the reviewed teardown). */
export function raceKindOf(scenario: string, strategy: string, kind: ViolationKind): RaceKind | null {
  return scenario === 'thread-race' && strategy === 'v5-reviewed' && kind in RACE_VIOLATIONS ? (kind as RaceKind) : null;
}

export function functionFilesOf(log: TraceLog, sample: number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sample) {
    const fn = log.step(s).function;
    if (FILES[fn]) out[fn] = FILES[fn];
  }
  return out;
}

export { FILES as KERNEL_FILES };
