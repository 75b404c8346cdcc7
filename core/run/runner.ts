/**
 * Builds a simulator from a scenario and a strategy (boot page tables,
 * actors and their programs) and runs it in one mode, producing a RunResult.
 * Pure: no clock, no I/O; the same inputs give the same result.
 */
import { type Geometry, addrEnd, alignDown, alignUp, indexAt } from '../arch.ts';
import { type CostModel, defaultCostModel } from '../costs.ts';
import { leafAt } from '../kernel/mmu.ts';
import { add_memory, online_memory, remove_memory } from '../kernel/hotplug.ts';
import { kthreadd } from '../kernel/kthread.ts';
import { ptdump_check_wx, ptdump_show, type PtdumpEntry } from '../kernel/ptdump.ts';
import { type VmArea, vfree, vmalloc } from '../kernel/vmalloc.ts';
import { computeLayout, type Layout, type MemoryMap, memstartAddr, type ReachabilityReport, vmemmapRangeOf, vmemmapRaceReachability, insideLinearRegion } from '../layout.ts';
import { ENTRY_BLOCK, ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, type PhysMem, ROLE_PGTABLE, ROLE_VMEMMAP } from '../model/memory.ts';
import { buildMetrics, SeriesSampler } from '../metrics.ts';
import { scenarioNotes } from '../notes.ts';
import { Prng } from '../prng.ts';
import type { RunMode, RunResult, Series, Violation, ViolationKind } from '../results.ts';
import { resolvedActors, type Scenario, ScenarioError } from '../scenario.ts';
import { PctScheduler, RandomScheduler, ReplayScheduler, TimedScheduler } from './schedulers/index.ts';
import type { Actor } from '../machine/actor.ts';
import { type Frame, type Program, type Resume, RESUME_CALL, RESUME_RETURN, RESUME_STEP, Routine } from '../machine/routine.ts';
import { RUN_BLOCKED, RUN_VIOLATION, type Scheduler, SECTION_OFFLINE, SECTION_ONLINE, Sim, STATIC_TABLE_FRAMES } from '../machine/sim.ts';
import type { Strategy } from '../strategies.ts';
import { LocalOpSource, type OpSource, OP_RECORD, type StarvationGate, VmallocStream } from '../workload.ts';

export interface BuildOptions {
  mode: RunMode;
  seed: number;
  /** Stop at the first violation (explore, replay of a counterexample). */
  stopOnFirstViolation?: boolean;
  /** Where vmalloc threads get their operations (default: in process). */
  opSource?: OpSource;
  /**
   * The memory (boot page tables, allocator) of a machine built from the same
   * scenario and not yet run: copied instead of building the boot tables again
   * (explore builds a machine per execution).
   */
  bootImage?: PhysMem;
  /** With bootImage: the memory of a machine of this scenario nothing uses any more, reused (SimOptions.reuseMem). */
  reuseMem?: PhysMem;
}

export interface BuiltSim {
  sim: Sim;
  layout: Layout;
  memory: MemoryMap;
  reachability: ReachabilityReport;
  cost: CostModel;
}

export const VERSION = '0.2.0';

/**
 * The notes every run of `scenario` carries (reachability, what it assumes),
 * without running it: for listings such as `ptlab scenarios --layout`.
 */
export function scenarioNotesOf(scenario: Scenario): string[] {
  const layout = computeLayout(scenario.arch.layout, { pageSize: scenario.arch.pageSize, vaBits: scenario.arch.vaBits });
  const memory = memoryMapOf(scenario);
  return scenarioNotes(scenario, layout, memory, vmemmapRaceReachability(layout, memory, scenario.memory.vmemmapMapping));
}

/** Memory map of the scenario (the layout module's shape). */
export function memoryMapOf(s: Scenario): MemoryMap {
  return {
    boot: s.memory.boot,
    hotplug: s.memory.hotplug.map((h) => ({ start: h.start, size: h.size, node: h.node })),
    sectionSizeBits: s.memory.sectionSizeBits,
    kaslrLinearOffset: s.memory.kaslrLinearOffset,
  };
}

/** sizeof(struct page) on arm64 (SPEC §2.1). */
const STRUCT_PAGE_BYTES = 64;
/** Page-allocator headroom (assumed, generous): pages for anything, tables for the linear map, pages per vmalloc thread, blocks. */
const POOL_SPARE_PAGES = 2048;
const LINEAR_SPARE_TABLES = 64;
const PAGES_PER_VMALLOC_THREAD = 256;
const SPARE_BLOCKS = 8;
/** long_busy_list keeps its prefill (core/workload.ts LONG_BUSY_PREFILL) and a little more alive at once. */
const LONG_BUSY_PAGES = 15_100;
/** The ring of steps a timed run keeps for its traces. */
const TIMED_TRACE_RING = 4096;
/** An endless vmalloc loop whose allocation failed backs off this long (cond_resched()). */
const COND_RESCHED_NS = 1000;
/** PCT's bug depth when none is asked for. */
const DEFAULT_PCT_DEPTH = 2;
const SZ_4K = 4096;

function poolSize(s: Scenario, g: Geometry, vmallocThreads: number): { pages: number; blocks: number } {
  const total = [...s.memory.boot, ...s.memory.hotplug].reduce((n, r) => n + r.size, 0);
  const memmapBytes = (total / g.pageSize) * STRUCT_PAGE_BYTES;
  const pmdSize = g.pmdDepth >= 0 ? g.entrySize[g.pmdDepth] : g.pageSize;
  const basePages = s.memory.vmemmapMapping === 'base' ? Math.ceil(memmapBytes / g.pageSize) : 0;
  // Boot memory's linear map uses blocks (bootTables); page-mapped hot-pluggable memory needs a PTE table per PMD_SIZE.
  const hotplugTotal = s.memory.hotplug.reduce((n, r) => n + r.size, 0);
  const linearTables = (s.memory.linearMapping === 'page' ? Math.ceil(hotplugTotal / g.pageSize / g.PTRS_PER_PTE) : 0) + LINEAR_SPARE_TABLES;
  const busy = s.actors.some((a) => a.kind === 'vmalloc' && a.profile === 'long_busy_list') ? LONG_BUSY_PAGES : 0;
  const pages = s.memory.allocatorPages || POOL_SPARE_PAGES + basePages + linearTables + vmallocThreads * (PAGES_PER_VMALLOC_THREAD + busy) + Math.ceil(basePages / g.PTRS_PER_PTE);
  // Two blocks per hot-pluggable range: its sections' memmap may straddle a block boundary.
  const blocks = s.memory.allocatorBlocks || (s.memory.vmemmapMapping === 'pmd' ? Math.ceil(memmapBytes / pmdSize) + SPARE_BLOCKS + s.memory.hotplug.length * 2 : 0);
  return { pages, blocks };
}

/**
 * What building a machine derives from the scenario alone: its layout,
 * memory map, actors, CPUs, allocator pool, cost model and reachability,
 * with the checks that reject a scenario done once. Explore builds a machine
 * per execution from one of these (buildFromTemplate) instead of deriving
 * and checking it all again each time.
 */
export interface MachineTemplate {
  scenario: Scenario;
  strategy: Strategy;
  layout: Layout;
  memory: MemoryMap;
  actors: ReturnType<typeof resolvedActors>;
  withKthreadd: boolean;
  cpus: number;
  pool: { pages: number; blocks: number };
  cost: CostModel;
  reachability: ReachabilityReport;
}

/** Build the machine at boot, with the scenario's actors ready to run. */
export function buildSim(scenario: Scenario, strategy: Strategy, opts: BuildOptions): BuiltSim {
  return buildFromTemplate(prepareMachine(scenario, strategy), opts);
}

/** The per-scenario part of buildSim(): throws ScenarioError for a scenario no machine can be built from. */
export function prepareMachine(scenario: Scenario, strategy: Strategy): MachineTemplate {
  const layout = computeLayout(scenario.arch.layout, { pageSize: scenario.arch.pageSize, vaBits: scenario.arch.vaBits });
  const g = layout.geometry;
  const memory = memoryMapOf(scenario);
  const memstart = memstartAddr(layout, memory);
  for (const [i, r] of [...scenario.memory.boot, ...scenario.memory.hotplug].entries()) {
    if (!insideLinearRegion(layout, memstart, r)) {
      throw new ScenarioError(`scenario.memory: range ${i} at 0x${r.start.toString(16)} is outside the linear map (memstart_addr 0x${memstart.toString(16)}, ${layout.era} ${g.vaBits}-bit)`);
    }
  }
  const actors = resolvedActors(scenario);
  const vmallocThreads = actors.reduce((n, a) => n + (a.kind === 'vmalloc' ? a.count : 0), 0);
  // Memory in a node other than the boot node may bring that node online for the first time, which starts kernel
  // threads: kthreadd, the thread that creates them, then runs on a CPU of its own.
  const withKthreadd = scenario.memory.hotplug.some((h) => h.node !== 0);
  const cpus = actors.reduce((n, a) => n + (a.kind === 'vmalloc' ? a.count : 1), 0) + (withKthreadd ? 1 : 0);
  const pool = poolSize(scenario, g, vmallocThreads);
  const cost = { ...defaultCostModel(), ...scenario.cost };
  const boot0 = scenario.memory.boot[0];
  if (pool.pages + pool.blocks * (g.pmdDepth >= 0 ? g.entrySize[g.pmdDepth] / g.pageSize : 1) + STATIC_TABLE_FRAMES > boot0.size / g.pageSize) {
    throw new ScenarioError('scenario.memory.boot[0]: too small to hold the page allocator pool; make it larger or set memory.allocatorPages');
  }
  const reachability = vmemmapRaceReachability(layout, memory, scenario.memory.vmemmapMapping);
  return { scenario, strategy, layout, memory, actors, withKthreadd, cpus, pool, cost, reachability };
}

/**
 * A machine at boot from a prepared scenario (prepareMachine), with its actors ready to run. The template is only
 * read: any number of machines may be built from one, each with its own state.
 */
export function buildFromTemplate(t: MachineTemplate, opts: BuildOptions): BuiltSim {
  const { scenario, strategy, layout, memory, actors, withKthreadd, cpus, pool, cost, reachability } = t;
  const g = layout.geometry;
  const timed = opts.mode === 'timed';
  const boot0 = scenario.memory.boot[0];
  const sim = new Sim({
    layout,
    memory,
    knobs: strategy.knobs,
    cost,
    cpus,
    poolPages: pool.pages,
    poolBlocks: pool.blocks,
    poolBasePfn: boot0.start / g.pageSize,
    reuseMem: opts.bootImage ? opts.reuseMem : undefined,
    seed: opts.seed,
    traceAll: !timed,
    traceRing: TIMED_TRACE_RING,
    stopOnFirstViolation: opts.stopOnFirstViolation ?? false,
    timed,
    tlbEntries: scenario.tlb.entries,
    walkCacheEntries: scenario.tlb.walkCacheEntries,
    linearBlocks: scenario.memory.linearMapping === 'block',
    vmemmapPmd: scenario.memory.vmemmapMapping === 'pmd' && g.pageSize === SZ_4K,
  });
  if (opts.bootImage) bootFromImage(sim, scenario, opts.bootImage);
  else bootTables(sim, scenario);
  const source =
    opts.opSource ??
    new LocalOpSource(
      actors
        .filter((a) => a.kind === 'vmalloc')
        .flatMap((a) => (a.kind === 'vmalloc' ? Array.from({ length: a.count }, () => a) : []))
        .map((a, t) => new VmallocStream(a.kind === 'vmalloc' ? a.profile : 'fix_size', opts.seed, t, g.pageSize, a.kind === 'vmalloc' ? a.pages : 1)),
    );
  let vmallocIndex = 0;
  const sharedWindow = sim.addVaWindow(layout.VMALLOC_START, layout.VMALLOC_END);
  for (const spec of actors) {
    switch (spec.kind) {
      case 'hotremove':
      case 'hotplug': {
        const name = spec.kind;
        sim.addActor(name, sim.actors.length, spec.kind, name, (s, a) => hotplugProgram(s, a, spec.kind === 'hotplug', spec.range.start, spec.range.size, spec.cycles, spec.thinkNs, spec));
        break;
      }
      case 'vmalloc': {
        for (let t = 0; t < spec.count; t++) {
          const thread = vmallocIndex++;
          let window = sharedWindow;
          if (spec.window === 'top-gib-per-thread') {
            const gib = 2 ** 30;
            const top = alignDown(layout.VMALLOC_END, gib);
            const start = top - thread * gib;
            window = sim.addVaWindow(thread === 0 ? top : start, thread === 0 ? layout.VMALLOC_END : start + gib);
            if (start < layout.VMALLOC_START) throw new ScenarioError('scenario.vmallocThreads: too many threads for one GiB each of vmalloc space');
          }
          sim.addActor(`vmalloc#${thread + 1}`, sim.actors.length, 'vmalloc', 'vmalloc', (s, a) => new VmallocLoop(s, a, thread, window, spec, source));
        }
        break;
      }
      case 'ptdump':
        sim.addActor('ptdump', sim.actors.length, 'ptdump', 'ptdump', (s, a) => ptdumpProgram(s, a, scenario, spec.entry, spec.region, spec.repeats, spec.cadenceNs));
        break;
      case 'access':
        sim.addActor('access', sim.actors.length, 'access', 'access', (s, a) => accessProgram(s, a, scenario, spec.repeats, spec.thinkNs));
        break;
      case 'online':
        sim.addActor('online', sim.actors.length, 'online', 'online', (s, a) => online_memory(s, a, spec.range.start, spec.range.size, spec.deviceLock));
        break;
    }
  }
  if (withKthreadd) {
    sim.kthreadQueue = sim.addCompletion('kthread_create_list', -1);
    const kt = sim.addActor('kthreadd', sim.actors.length, 'kthreadd', 'kthreadd', (s, a) => kthreadd(s, a, sharedWindow));
    kt.daemon = true;
    // Each actor that may online memory waits for its threads on a create->done of its own, which kthreadd completes.
    for (const a of sim.actors) if (a.kind === 'online' || a.kind === 'hotplug' || a.kind === 'hotremove') a.kthreadDone = sim.addCompletion(`create->done of ${a.name}`, kt.index);
  }
  return { sim, layout, memory, reachability, cost };
}

/** Populate the boot page tables directly (no steps): fixmap, boot memory, present hot-pluggable memory. */
function bootTables(sim: Sim, scenario: Scenario): void {
  const layout = sim.layout;
  const g = sim.geometry;
  const mem = sim.mem;
  // The fixmap's tables are static (bm_pud/bm_pmd/bm_pte in the kernel image), one per level below the root.
  let f = sim.root;
  let nextStatic = 1;
  for (let d = 0; d < g.levels - 1; d++) {
    const i = indexAt(g, d, layout.FIXADDR_START);
    if (mem.kind(f, i) !== ENTRY_TABLE) {
      const t = nextStatic++;
      mem.makeStaticTable(t, d + 1);
      mem.setEntry(f, i, ENTRY_TABLE, mem.pfnOf(t));
    }
    f = mem.frameOf(mem.val(f, i));
  }
  const sec = 2 ** scenario.memory.sectionSizeBits;
  const vmemmapDepth = sim.opts.vmemmapPmd && g.pmdDepth >= 0 ? g.pmdDepth : g.levels - 1;
  const ranges = [...scenario.memory.boot.map((r) => ({ ...r, initial: 'online' as const, boot: true })), ...scenario.memory.hotplug.map((r) => ({ ...r, boot: false }))];
  for (const r of ranges) {
    if (r.initial === 'absent') continue;
    // Boot memory is never removed: how its own linear map is granular changes no table hot-pluggable memory
    // shares with it (a shared PMD or PUD table holds live entries either way), so it is mapped with blocks
    // wherever they fit, which keeps building the machine cheap. Hot-pluggable memory follows the scenario.
    const lin = sim.linear(r.start);
    bootMap(sim, sim.root, 0, lin, lin + r.size, r.start - lin, r.boot || sim.opts.linearBlocks, -1);
    const start = alignDown(r.start, sec);
    const v = vmemmapRangeOf(layout, sim.memstart, { start, size: alignUp(r.start + r.size, sec) - start });
    bootMap(sim, sim.root, 0, v.start, v.end, Number.NaN, sim.opts.vmemmapPmd, vmemmapDepth);
  }
  for (const s of sim.sections) {
    const h = scenario.memory.hotplug.find((r) => s.start >= r.start && s.start < r.start + r.size);
    s.state = !h || h.initial === 'absent' ? 0 : h.initial === 'online' ? SECTION_ONLINE : SECTION_OFFLINE;
  }
  sim.resetAfterBoot();
}

/** bootTables() with the memory copied from a machine that booted the same scenario. */
function bootFromImage(sim: Sim, scenario: Scenario, image: PhysMem): void {
  sim.mem.copyFrom(image);
  for (const s of sim.sections) {
    const h = scenario.memory.hotplug.find((r) => s.start >= r.start && s.start < r.start + r.size);
    s.state = !h || h.initial === 'absent' ? 0 : h.initial === 'online' ? SECTION_ONLINE : SECTION_OFFLINE;
  }
  sim.resetAfterBoot();
}

/**
 * The tables __create_pgd_mapping() (physDelta: VA -> PA offset) or
 * vmemmap_populate() (physDelta NaN: backing allocated here) would build for
 * [addr, end), written straight into memory: at boot nothing runs
 * concurrently, so no step, lock or check is needed. Allocation order and
 * leaf placement are the map builders' (core/kernel/mmu.ts CreateLevels,
 * leafAt()).
 */
function bootMap(sim: Sim, tf: number, d: number, addr: number, end: number, physDelta: number, blocks: boolean, blockDepth: number): void {
  const g = sim.geometry;
  const mem = sim.mem;
  const vmemmap = Number.isNaN(physDelta);
  const leaf = g.levels - 1;
  if (d === leaf && !vmemmap) {
    // A run of page entries within one table: set_pte() for each, in one pass.
    mem.fillNone(tf, indexAt(g, d, addr), (end - addr) / g.pageSize, ENTRY_PAGE, (addr + physDelta) / g.pageSize, 1);
    return;
  }
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    const k = mem.kind(tf, idx);
    if (leafAt(g, d, addr, next, blocks, vmemmap, blockDepth)) {
      if (k !== ENTRY_NONE) continue;
      let pfn: number;
      if (vmemmap) {
        const b = d === leaf ? mem.allocPage(ROLE_VMEMMAP) : mem.allocBlock(ROLE_VMEMMAP);
        if (b < 0) throw new ScenarioError('scenario.memory: the page allocator pool is too small for the boot vmemmap; set memory.allocatorPages/allocatorBlocks');
        pfn = mem.pfnOf(b);
      } else {
        pfn = (addr + physDelta) / g.pageSize;
      }
      mem.setEntry(tf, idx, d === leaf ? ENTRY_PAGE : ENTRY_BLOCK, pfn);
      continue;
    }
    let child: number;
    if (k === ENTRY_NONE) {
      child = mem.allocPage(ROLE_PGTABLE);
      if (child < 0) throw new ScenarioError('scenario.memory: the page allocator pool is too small for the boot page tables; set memory.allocatorPages');
      mem.makeTable(child, d + 1);
      mem.setEntry(tf, idx, ENTRY_TABLE, mem.pfnOf(child));
    } else if (k === ENTRY_TABLE) {
      child = mem.frameOf(mem.val(tf, idx));
    } else {
      continue; // a block already covers it
    }
    bootMap(sim, child, d + 1, addr, next, physDelta, blocks, blockDepth);
  } while ((addr = next) < end);
}

function* hotplugProgram(
  s: Sim,
  a: Actor,
  cycling: boolean,
  pa: number,
  size: number,
  cycles: number,
  thinkNs: number,
  parts: { linear: boolean; offline: boolean; deviceLock: boolean },
): Program {
  // Whether the memory is there decides what the actor does next: a read of shared state between steps, which the
  // simulator declares with the step just performed (Sim.sectionsPresent()).
  const present = (): boolean => s.sectionsPresent(pa, size);
  if (!cycling) {
    for (let c = 0; c < Math.max(1, cycles); c++) {
      if (c > 0 || !present()) {
        yield add_memory(s, a, pa, size, parts);
        if (thinkNs > 0) yield a.work('hotplug_thread', 'msleep()', thinkNs);
      }
      yield remove_memory(s, a, pa, size, { ...parts, offline: parts.offline && (c > 0 || s.sectionOnline(pa)) });
      if (c + 1 < cycles && thinkNs > 0) yield a.work('hotplug_thread', 'msleep()', thinkNs);
    }
    return;
  }
  for (let c = 0; cycles === 0 || c < cycles; c++) {
    if (present()) yield remove_memory(s, a, pa, size, { ...parts, offline: parts.offline && s.sectionOnline(pa) });
    else yield add_memory(s, a, pa, size, parts);
    yield a.work('hotplug_thread', 'msleep()', Math.max(1, thinkNs));
  }
}


// VmallocLoop's program counter.
const LOOP_NEXT = 0;
const LOOP_ALLOCATED = 1;
const LOOP_THINK = 2;
const LOOP_RETURNED = 3;

/**
 * A vmalloc CPU's program, lib/test_vmalloc.c's test_func() loop, as a
 * state machine (it runs between every area's steps, so a generator's
 * resumes and result objects were a measurable share of a timed run):
 *   for (n = 0; ops === 0 || n < ops; n++) {
 *     next op from the source; area = vmalloc(pages, align);
 *     if (area) { hold it (long_busy_list's prefill, or no vfree) or vfree(area) }
 *     think time, or cond_resched() after a failure in an endless loop
 *   }
 */
class VmallocLoop extends Routine<void> {
  override callee: Frame | null = null;
  override value: void | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private readonly thread: number;
  private readonly window: number;
  private readonly ops: number;
  private readonly vfree: boolean;
  private readonly touch: boolean;
  private readonly thinkNs: number;
  private readonly source: OpSource;
  private readonly rec = new Float64Array(OP_RECORD);
  /** Areas kept for the whole run (never freed). */
  private readonly held: VmArea[] = [];
  private pc = LOOP_NEXT;
  private n = 0;
  private area: VmArea | null = null;

  constructor(s: Sim, a: Actor, thread: number, window: number, spec: { ops: number; vfree: boolean; touch: boolean; thinkNs: number }, source: OpSource) {
    super();
    this.s = s;
    this.a = a;
    this.thread = thread;
    this.window = window;
    this.ops = spec.ops;
    this.vfree = spec.vfree;
    this.touch = spec.touch;
    this.thinkNs = spec.thinkNs;
    this.source = source;
  }

  resume(input: unknown): Resume {
    for (;;) {
      switch (this.pc) {
        case LOOP_NEXT:
          if (this.ops !== 0 && this.n >= this.ops) {
            this.pc = LOOP_RETURNED;
            return RESUME_RETURN;
          }
          this.source.next(this.thread, this.rec);
          this.callee = vmalloc(this.s, this.a, this.rec[0], this.rec[1], this.window, this.touch);
          this.pc = LOOP_ALLOCATED;
          return RESUME_CALL;
        case LOOP_ALLOCATED: {
          const area = input as VmArea | null;
          this.area = area;
          this.pc = LOOP_THINK;
          if (area) {
            if (this.rec[2] === 1 || !this.vfree) this.held.push(area);
            else {
              this.callee = vfree(this.s, this.a, area);
              return RESUME_CALL;
            }
          }
          continue;
        }
        case LOOP_THINK:
          this.pc = LOOP_NEXT;
          this.n++;
          if (this.thinkNs > 0) {
            this.a.work('test_func', 'cond_resched() / think time', this.thinkNs);
            return RESUME_STEP;
          }
          if (this.ops === 0 && !this.area) {
            this.a.work('test_func', 'cond_resched()', COND_RESCHED_NS);
            return RESUME_STEP;
          }
          continue;
        default:
          throw new Error(`test_func: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

function ptdumpRanges(s: Sim, scenario: Scenario, region: string): [number, number][] {
  const l = s.layout;
  if (region === 'all') return [[0, s.geometry.vaSpan]];
  // The whole [VMEMMAP_START, VMEMMAP_END): the struct pages of every section, and the tables vmemmap shares.
  if (region === 'vmemmap-region') return [[l.VMEMMAP_START, l.VMEMMAP_END]];
  const out: [number, number][] = [];
  for (const r of scenario.memory.hotplug) {
    if (region === 'hotplug' || region === 'linear') out.push([s.linear(r.start), s.linear(r.start + r.size)]);
    if (region === 'hotplug' || region === 'vmemmap') {
      const v = vmemmapRangeOf(l, s.memstart, r);
      out.push([alignDown(v.start, s.geometry.pageSize), alignUp(v.end, s.geometry.pageSize)]);
    }
  }
  if (region === 'vmemmap' && out.length === 0) out.push([l.VMEMMAP_START, l.VMEMMAP_END]);
  return out;
}

function* ptdumpProgram(s: Sim, a: Actor, scenario: Scenario, entry: PtdumpEntry, region: string, repeats: number, cadenceNs: number): Program {
  const ranges = ptdumpRanges(s, scenario, region);
  const file = entry === 'ptdump_show' ? 'kernel_page_tables' : 'check_wx_pages';
  for (let n = 0; repeats === 0 || n < repeats; n++) {
    if (cadenceNs > 0) yield a.work('ptdump', `wait for the next read of ${file}`, cadenceNs);
    yield entry === 'ptdump_show' ? ptdump_show(s, a, ranges) : ptdump_check_wx(s, a, ranges);
  }
}

function* accessProgram(s: Sim, a: Actor, scenario: Scenario, repeats: number, thinkNs: number): Program {
  for (let n = 0; repeats === 0 || n < repeats; n++) {
    for (const r of scenario.memory.hotplug) {
      yield a.access('memory access', 'READ_ONCE(*(u64 *)__va(phys))', s.linear(r.start));
      const v = vmemmapRangeOf(s.layout, s.memstart, r);
      yield a.access('memory access', 'page_count(pfn_to_page(pfn))', v.start);
    }
    if (thinkNs > 0) yield a.work('memory access', 'other work', thinkNs);
  }
}

export interface RunOptions {
  mode: Exclude<RunMode, 'explore'>;
  seed: number;
  schedule?: readonly number[];
  /** PCT bug depth. */
  pctDepth?: number;
  stopOnFirstViolation?: boolean;
  opSource?: OpSource;
  /** Record the schedule in the result (random/pct/replay; default true for those). */
  keepSchedule?: boolean;
  /** Record the time series (timed mode only; sampled inside the simulation at fixed simulated times). */
  series?: boolean;
  /**
   * Keep the step log as the run goes (timed mode; the other modes always
   * do). Without it a timed run takes its violations' traces from a replica
   * (logReplica): same results, faster steps. For callers that read the log
   * of a timed run themselves.
   */
  stepLog?: boolean;
}

export interface RunOutcome {
  result: RunResult;
  sim: Sim;
  reachability: ReachabilityReport;
  /** For replay: did the recorded schedule stop fitting? */
  diverged: boolean;
}

/** A run in progress: advance it in slices, then take its result. */
export interface RunHandle {
  sim: Sim;
  reachability: ReachabilityReport;
  /** Step until `maxSteps` total steps, the scheduler stops, or everything is done; true when the run is over. */
  advance(maxSteps: number): boolean;
  /** The result (call once the run is over, or to snapshot a partial run). */
  result(status?: RunResult['status']): RunResult;
  /** For replay: did the recorded schedule stop fitting? */
  readonly diverged: boolean;
  /** The run's time series so far (timed mode with `series`; they grow as it runs), else empty. */
  readonly series: readonly Series[];
}

/** The op source's starvation check, when it has one (a source fed by another thread). */
function gateOf(source: OpSource | undefined): StarvationGate | null {
  return source?.starved ? (source as StarvationGate) : null;
}

/** Start a run of a scenario under a strategy; `advance` does the work. */
export function startRun(scenario: Scenario, strategy: Strategy, opts: RunOptions, wrap?: (s: Scheduler) => Scheduler): RunHandle {
  const built = buildSim(scenario, strategy, { mode: opts.mode, seed: opts.seed, stopOnFirstViolation: opts.stopOnFirstViolation, opSource: opts.opSource });
  const { sim } = built;
  const r = scenario.run;
  let replay: ReplayScheduler | null = null;
  let sched: Scheduler;
  switch (opts.mode) {
    case 'timed':
      sim.recordSchedule = false;
      sched = new TimedScheduler(r.durationNs, gateOf(opts.opSource));
      break;
    case 'random':
      sched = new RandomScheduler(Prng.derive(opts.seed, 0x5c4e), r.burst, r.sleepProbability, r.sleepSteps);
      break;
    case 'pct':
      sched = new PctScheduler(Prng.derive(opts.seed, 0x9c7), opts.pctDepth ?? DEFAULT_PCT_DEPTH, estimateSteps(scenario, strategy));
      break;
    case 'replay':
      if (!opts.schedule) throw new Error('replay needs a schedule');
      replay = new ReplayScheduler(opts.schedule);
      sched = replay;
      break;
  }
  const inner = sched;
  let stoppedByScheduler = false;
  // The timed scheduler says itself that it stopped, and pauses itself while the op source is starved (it picks
  // every step: no wrapper in between); the others are watched for a stop, and paused here.
  const gate = gateOf(opts.opSource);
  const outer: Scheduler =
    inner instanceof TimedScheduler
      ? inner
      : {
          pick(s, enabled, n) {
            if (gate && gate.starved()) return -1;
            const i = inner.pick(s, enabled, n);
            if (i < 0) stoppedByScheduler = true;
            return i;
          },
        };
  const driver = wrap ? wrap(outer) : outer;
  const sampler = opts.series && opts.mode === 'timed' ? new SeriesSampler(sim, r.durationNs) : null;
  const replica = opts.mode === 'timed' && !opts.stepLog ? logReplica(scenario, strategy, opts) : null;
  if (replica) sim.rebuildLogWith(replica.violation);
  let over = false;
  let finished = false;
  const keep = opts.keepSchedule ?? opts.mode !== 'timed';
  return {
    sim,
    reachability: built.reachability,
    get diverged() {
      return replay?.diverged ?? false;
    },
    series: sampler ? sampler.series : [],
    advance(maxSteps: number): boolean {
      if (over) return true;
      const limit = Math.min(maxSteps, r.maxSteps);
      const why = sim.run(driver, limit);
      // A starved op source (the service's workload worker) pauses the run without ending it.
      if (inner instanceof TimedScheduler && inner.stopped) stoppedByScheduler = true;
      if (why === RUN_BLOCKED || why === RUN_VIOLATION || stoppedByScheduler || sim.steps >= r.maxSteps) over = true;
      if (over && !finished) {
        finished = true;
        sampler?.finish();
        sim.finish();
        // Every report is made: the replica's machine can go.
        replica?.release();
      }
      return over;
    },
    result(status: RunResult['status'] = 'completed'): RunResult {
      return {
        id: null,
        scenario: scenario.name,
        strategy: strategy.id,
        mode: opts.mode,
        seed: opts.seed,
        status,
        violations: sim.checker.violations.slice(),
        violationCounts: sim.checker.countsObject(),
        metrics: buildMetrics(sim),
        ...(keep ? { schedule: sim.schedule.slice() } : {}),
        notes: scenarioNotes(scenario, built.layout, built.memory, built.reachability),
        ...(sampler ? { series: sampler.nonEmpty() } : {}),
      };
    },
  };
}

/**
 * The step log of a timed run that runs without one, rebuilt where it is
 * read: at the first violation of each kind (Checker's report). A replica of
 * the run (same scenario, strategy, seed and options; vmalloc ops from the
 * in-process streams, the same ones the service's workload worker sends) is
 * started on the first request and advanced to the violation's step: without
 * its log up to the last ring's worth of steps before it, then with the log.
 * A run is deterministic whatever its slices, so the replica reports the same
 * violation at the same step, with the trace and narrative this run's own
 * log would have given. Requests come in step order, so one replica serves
 * them all, and costs at most one run without the log up to the last first
 * violation.
 */
function logReplica(scenario: Scenario, strategy: Strategy, opts: RunOptions): { violation: (kind: ViolationKind, step: number) => Violation; release: () => void } {
  let h: RunHandle | null = null;
  return {
    violation(kind, step) {
      h ??= startRun(scenario, strategy, { mode: opts.mode, seed: opts.seed, stopOnFirstViolation: opts.stopOnFirstViolation, stepLog: true });
      const sim = h.sim;
      const found = (): Violation | undefined => sim.checker.violations.find((v) => v.kind === kind);
      if (!found() && sim.steps < step - sim.logRing) {
        sim.setLogging(false);
        h.advance(step - sim.logRing);
        sim.setLogging(true);
      }
      // Up to the step, then the step itself (or the end of the run, when the violation is found there).
      if (!found()) h.advance(step);
      if (!found()) h.advance(step + 1);
      const v = found();
      if (!v || v.step !== step) throw new Error(`timed run: the replica that rebuilds the step log found ${kind} ${v ? `at step ${v.step}` : 'nowhere'}, not at step ${step}`);
      return v;
    },
    release() {
      h = null;
    },
  };
}

/** Run a scenario under a strategy once, to the end. */
export function runScenario(scenario: Scenario, strategy: Strategy, opts: RunOptions): RunOutcome {
  const h = startRun(scenario, strategy, opts);
  h.advance(Infinity);
  return { result: h.result(), sim: h.sim, reachability: h.reachability, diverged: h.diverged };
}

const stepEstimates = new Map<string, number>();

/** PCT's k: the number of steps of a run, estimated by one random run (cached per scenario+strategy). */
export function estimateSteps(scenario: Scenario, strategy: Strategy): number {
  const key = `${JSON.stringify(scenario)}|${strategy.id}|${JSON.stringify(strategy.knobs)}`;
  const hit = stepEstimates.get(key);
  if (hit) return hit;
  const built = buildSim(scenario, strategy, { mode: 'random', seed: 1 });
  built.sim.recordSchedule = false;
  built.sim.run(new RandomScheduler(1, 0, 0, 0), scenario.run.maxSteps);
  const k = Math.max(1, built.sim.steps);
  stepEstimates.set(key, k);
  return k;
}

