/**
 * The search of explore mode (SPEC §2.7; the public API is core/explore/index.ts):
 * source-DPOR over a machine factory, its rounds and bounds, the random probes,
 * and what "complete" means. Footprints (what each event touched) are built in
 * core/explore/footprints.ts; counterexamples are shrunk in core/explore/shrink.ts.
 *
 * Stateless search. Actor programs are generators and cannot be cloned, so
 * every execution is re-run from a freshly built machine following a prefix
 * of recorded choices, as loom, shuttle and CHESS do. explore() builds that
 * machine with its boot page tables copied from one built once
 * (BuildOptions.bootImage: ~0.18 ms instead of ~0.32 ms at K = 12; the same
 * machine, which test/core/explore.test.ts checks), so the search explores the
 * same executions with the same counts. Pure: no clock (the caller passes
 * `now`), no I/O.
 *
 * Checkpoints. Where every actor has either finished or not taken a step yet
 * (after the hot-remove teardown, which is most of each execution's steps in
 * thread-race), no program state needs copying, so the machine can be: when
 * a replayed prefix passes such a node, the engine keeps a copy of the
 * machine (core/explore/checkpoint.ts; a few at once), and a later execution
 * whose prefix runs through that node restores the copy into its freshly
 * built machine instead of re-running the steps before it. The search is
 * depth-first, so once it backtracks above a checkpoint's node no later
 * prefix passes it, and the copy is dropped. The engine's own bookkeeping for
 * those prefix events (cells, TLB event lists, known frames, counters) is a
 * function of their footprints, so the checkpoint carries it too instead of
 * apply() rebuilding it. The restored machine is the replayed one
 * (test/core/explore-checkpoint.test.ts), so the search is the same with or
 * without checkpoints (ExploreOptions.checkpoints).
 *
 * Reductions, and why each is sound
 * ---------------------------------
 * 1. Source-DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL
 *    2014, Algorithm 1) over *dynamic footprints*. Each event records the
 *    cells it read, wrote or commutatively updated, as observed when it ran:
 *    table entries (frame, index); a frame's state and its generation; the
 *    references count of a frame (updated by entry writes, read by frees);
 *    the page allocator's free lists; each lock's holder / announced writer /
 *    reader count; each vmalloc VA window; the purge lists; each memory
 *    section; and TLB contents, as intervals of VA (by CPU, leaf or walk cache
 *    by depth) and of pfns, so a TLBI, a hardware walk that fills a TLB, and
 *    a free that checks the TLBs conflict exactly when they touch the same
 *    translations. An event's behaviour is a function of its actor's local
 *    state and the values of the cells it reads, so two adjacent events whose
 *    footprints do not conflict (read/read and add/add never conflict) commute:
 *    both orders reach the same state and each event does the same thing.
 *    The checkers' own reads (frame state and generation for use-after-free,
 *    references for free-before-clear, TLB contents for stale entries) are
 *    part of the footprints, so a violation is a function of the
 *    Mazurkiewicz trace, and exploring one execution per trace explores them
 *    all. Races are found with vector clocks; a race whose second event was
 *    enabled by the first (an unlock and the lock it lets in) is not
 *    reversible and is skipped; a lock acquisition also races with the last
 *    incompatible acquisition of that lock by another thread that does not
 *    happen before it (as Nidhugg does for mutexes), which is how the other
 *    order of two critical sections gets explored.
 *
 * 2. Frees and allocations commute up to renaming of unobservable frames.
 *    A frame is unobservable when it is free and nothing refers to it: no
 *    table entry (its reference count is 0) and no TLB or walk-cache entry.
 *    Two allocations that receive unobservable frames, two frees that leave
 *    their frames unobservable, or one of each, are independent: swapping
 *    them only swaps which frame ends up where, and kernel code only stores
 *    and compares frame numbers, so the outcomes are isomorphic (the same
 *    violations, the same future up to the renaming). Frame state is keyed
 *    by incarnation (frame, generation), so freeing incarnation g and
 *    allocating g+1 touch different cells; which incarnation is current, and
 *    the contents a frame reused as a table is zeroed to, are cells of their
 *    own that every access through a pointer reads, so a stale access is
 *    still ordered against the reuse. Freeing or allocating a frame that
 *    something still refers to (how use-after-free and stale TLB entries
 *    arise) conflicts with every other free and allocation of its size, and
 *    all those orders are explored. What no checker sees is a live actor
 *    using an old pointer without a check: freeing it again, or installing
 *    it in an entry. The explorer watches for exactly those two (a free of
 *    a freed or reused incarnation; an entry written with a frame its writer
 *    knows only by an older generation) and, if one ever happens, drops this
 *    reduction and restarts with only *pristine* frames (never handed out
 *    since boot) commuting; any other use of an old pointer is a
 *    use-after-free violation in its own right. Assumptions, true of every
 *    program in core/kernel: programs use frame numbers only by passing them
 *    to steps, and no actor reaches an allocator page through its linear-map
 *    alias.
 *
 * 2b. Frames that only stale TLB entries refer to commute too. vfree frees
 *    its pages before the lazy TLB flush (the purge), so a freed page may
 *    still be in a leaf TLB entry; by reduction 2 alone that free conflicts
 *    with every allocation of its size, and on the richer thread-race these
 *    orders are most of the search. Swapping such a free (of F) with an
 *    allocation changes which frame the allocation receives (F or G) and
 *    keeps the TLB entries filled before it, so the two outcomes are
 *    isomorphic except for which frame those leaf entries alias. Leaf
 *    entries are read in three ways: a hardware access that hits one (it
 *    reports stale-tlb whenever the entry's incarnation is dead, freed or
 *    reused, so in both orders, and returns the same pfn); the explorer's
 *    own observability queries (policy, recomputed in every execution); and
 *    the checkers' queries by pfn (a checked free of a page, memory removal).
 *    Only the last can tell the orders apart, and only when it asks about a
 *    frame whose identity depends on the order of allocations: one handed
 *    out in this execution (its incarnation is not its boot one), which is
 *    the same set of queries in every order of the class. The explorer
 *    watches for exactly that query and, if one ever happens, drops 2b and
 *    restarts the search (stats.staleLeafDropped says why); walk-cache
 *    entries still make a frame observable (a walk reads the frame's
 *    contents, not just its number).
 *
 * 3. Critical sections as single events (Lipton's reduction, checked). A
 *    section of an exclusive lock (OP_LOCK ... OP_UNLOCK: the init_mm ptl
 *    sections of __pmd_alloc and friends, vmap_purge_lock,
 *    device_hotplug_lock) runs as one event with the union of its steps'
 *    footprints. Instead of writing the lock word it reads it (it needs the
 *    lock free and leaves it free), so two sections commute when their data
 *    do, and a section still conflicts with a non-atomic holder of the lock.
 *    This is sound when every section of that code site has the shape
 *    R* N L*: the acquisition moves right, the release moves left, and at
 *    most one step in between (N) conflicts with steps other CPUs take
 *    without the lock (e.g. __pud_alloc's populate against other CPUs'
 *    unlocked pgd_none()). That is checked, not assumed: for each site (lock,
 *    function) the explorer records which body steps raced with events of
 *    actors that did not hold the lock; a second such step, a section that
 *    blocks half way or ends holding the lock, or one that takes another lock
 *    inside, marks the site non-atomic, and the search restarts with that
 *    site's sections split into single steps that write the lock word. A
 *    violation found in a reduced round is a real execution and is reported
 *    at once. (If the full system broke the condition, the first break
 *    arises after a prefix in which every earlier section is reducible; the
 *    reduced search reaches that prefix with the section and the racing
 *    event enabled together, and sees the race.)
 *
 * 4. Symmetry. Actors carry a symmetry class, but in the built-in scenarios
 *    same-class actors are not exactly interchangeable: each vmalloc thread of
 *    thread-race owns a different VA window, i.e. a different entry of the
 *    shared PUD table, and the hot-remove emptiness scan visits those entries
 *    in index order, so permuting two threads is not an automorphism of the
 *    state space. Symmetry is therefore only used on request
 *    (`symmetry: 'declared'`: trust the class declaration, start the
 *    lowest-numbered not-yet-started actor of a class before its siblings);
 *    a search that used it is never reported complete.
 *
 * What "complete" means: every Mazurkiewicz trace (under the footprint
 * independence above, with frees and allocations up to renaming (2, 2b) and
 * critical sections as single events only where checked) of the scenario
 * was explored to its end, in the last round, with no
 * bound (maxSchedules, timeLimitMs, preemptionBound, the scenario's
 * run.maxSteps) cut anything, and no heuristic was used. Then a verdict of
 * 'safe' means no interleaving of the model reaches a violation (of the kinds
 * asked for). With a preemption bound the search explores a subset of the
 * executions with at most that many preemptions and reports 'bounded-safe'
 * if the bound cut anything.
 *
 * Bug-finding order: random probes. The depth-first search reaches a deep
 * violation only after it has exhausted the subtrees it entered first, so
 * after its first 64 executions, and again at 128, 256 ... executions, it
 * stops for a batch of seeded random executions (a sixteenth as many as it
 * has explored; the scenario's random-mode scheduler, seeds derived from the
 * explore seed, so the same inputs give the same bytes). A probe steps only
 * enabled actors of a fresh machine, so whatever it reaches is an execution
 * of the model; its counterexample is shrunk and replayed like the search's.
 * Probes record nothing for the search (no races, no sleep sets) and prove
 * nothing: completeness is the search's alone, and probes are not counted in
 * `schedules` (stats.probes counts them). None run under a preemption bound.
 *
 * Parallel search (core/explore/parallel.ts): runTask() runs this search below
 * a frozen prefix handed in by the coordinator; reverse() and addBacktrack()
 * return the entries wanted at frozen nodes (`frozenTop`) instead of adding
 * them, and nextBacktrack() stops at the task's node (`floor`). The
 * sequential search leaves both hooks off.
 *
 * `schedules` counts maximal executions explored (run to the end or to the
 * violation); executions abandoned because every runnable actor was in the
 * sleep set are counted separately (`sleepBlocked`). There is no state
 * caching: `states` counts the distinct execution prefixes visited (nodes of
 * the exploration tree, i.e. events executed not counting the re-execution
 * of shared prefixes); `steps` counts every simulator step executed,
 * re-execution included (steps a checkpoint stood in for were not executed).
 */
import { ACQ_EXCL, ACQ_READ, ACQ_WLOCK } from '../model/access.ts';
import { FRAME_FREE } from '../model/memory.ts';
import { LOCK_NAMES, N_LOCKS, READ_HELD_SHIFT } from '../model/locks.ts';
import type { ViolationKind } from '../results.ts';
import { OP_LOCK, OP_TRYLOCK } from '../machine/ops.ts';
import type { Scheduler, Sim } from '../machine/sim.ts';
import type { ExportedPath, SleepItem, SubtreeTask, TaskResult } from './parallel.ts';
import { type Checkpoint, type CheckpointBase, checkpointBase, checkpointSim, restoreSim } from './checkpoint.ts';
import { CellIds, type Footprint, FootprintBuilder, importFootprint, KnownFrames, StepLog, M_A, M_R, M_W, T_HOLDER, T_READERS, T_WRITER, cellLock, cellType, dependent, dependentExcept, tlbDependent } from './footprints.ts';

/** What explore() reports while it runs. */
export interface ExploreProgress {
  schedules: number;
  states: number;
  steps: number;
  elapsedMs: number;
  round: number;
}

export interface EngineConfig {
  maxSchedules: number;
  deadline: number;
  now: () => number;
  preemptionBound: number | null;
  maxSteps: number;
  kinds: Set<ViolationKind> | null;
  lipton: boolean;
  reuse: boolean;
  /** Reduction 2b (default true; only with reuse). */
  staleLeaf?: boolean;
  symmetry: boolean;
  /** Restore copies of the machine instead of re-running shared prefixes (core/explore/checkpoint.ts); the same search either way. */
  checkpoints: boolean;
  onProgress?: (p: ExploreProgress) => void;
  /** Called with the machine at the end of every maximal execution (after the end-of-run checks). */
  onMaximal?: (sim: Sim) => void;
  /** Random probes (see ExploreOptions.probes): how many, after how many executions, and each one's scheduler. */
  probes?: number;
  probeAfter?: number;
  probeScheduler?: (i: number) => Scheduler;
}

export interface Found {
  kind: ViolationKind;
  schedule: number[];
  /** Found by the end-of-run checks (lost mapping in finish(), deadlock). */
  atEnd: boolean;
  /** Found by a random probe rather than by the search. */
  byProbe?: boolean;
}

export interface EngineResult {
  found: Found | null;
  schedules: number;
  states: number;
  steps: number;
  sleepBlocked: number;
  rounds: number;
  nonAtomic: string[];
  maxEvents: number;
  maxStepsSeen: number;
  races: number;
  backtracks: number;
  actors: { name: string; symmetryClass: string }[];
  cutBy: ('maxSchedules' | 'timeLimit' | 'preemptionBound' | 'maxSteps' | 'symmetry')[];
  /** Frees and allocations of unobservable frames commuted (else only pristine allocations). */
  reuse: boolean;
  /** Why that was dropped (a stale use no checker reports), or null. */
  reuseDropped: string | null;
  /** Frames referenced only by leaf TLB entries commuted too (reduction 2b), and why that was dropped, or null. */
  staleLeaf: boolean;
  staleLeafDropped: string | null;
  /** Random probes run. */
  probes: number;
}



/** The engine's bookkeeping at a checkpoint's node (ExploreEngine.bookkeeping()). */
interface Bookkeeping {
  /** Per cell touched: id, last write, reader mask, adder mask; and the readers' then adders' nodes, cell by cell. */
  cells: Int32Array;
  readers: Int32Array;
  /** [actor * frames + frame, generation, ...]. */
  known: Float64Array;
  tlbEvents: Int32Array[];
  tlbLocal: Int32Array[];
  lastEv: Int32Array;
  localCount: Int32Array;
  lastAcq: Int32Array[];
}

const DEP_DATA = 1;
/** Kinds of the backtrack entries a subtree task returns for the coordinator's nodes (TaskResult.adds). */
export const ADD_RACE = 0;
export const ADD_MASK = 1;
/** Progress is reported every this many executions. */
const PROGRESS_EVERY = 64;
/** Longest execution the search keeps (events); longer ones are cut as by run.maxSteps. */
const MAX_EVENTS = 2_000_000;
/** Random probes: how many, after how many executions of the search (ExploreOptions.probes). */
export const DEFAULT_PROBES = 1024;
/** A batch of probes is this fraction of the executions the search has explored so far. */
const PROBE_BATCH_DIVISOR = 16;
export const DEFAULT_PROBE_AFTER = 64;
export const PROBE_SALT = 0x9b0be;
/** Checkpoints kept at once (each a copy of the machine, a few hundred KB). */
const MAX_CHECKPOINTS = 4;
/** A checkpoint is taken only this many simulator steps past the previous one (a restore costs about as much as that many steps). */
const CHECKPOINT_MIN_STEPS = 512;

/** The critical-section sites a search split into single steps, as EngineResult.nonAtomic reports them. */
export function describeNonAtomic(lipton: boolean, sites: Iterable<string>): string[] {
  if (!lipton) return ['(lipton off: every critical section split)'];
  return [...sites].map((x) => {
    const [l, fn] = x.split('|');
    return `${LOCK_NAMES[Number(l)] ?? l} in ${fn}`;
  });
}

function lowestBit(m: number): number {
  return 31 - Math.clz32(m & -m);
}

/** The round a task belongs to, as far as its footprints go: reductions on, sections split. */
function taskSignature(t: Pick<SubtreeTask, 'reuse' | 'staleLeaf' | 'nonAtomic'>): string {
  return `${t.reuse}|${t.staleLeaf}|${[...t.nonAtomic].sort().join(',')}`;
}

/**
 * The strings that name critical-section sites and the steps inside them (nonAtomic, nonMovers, Footprint.site and
 * .locs), made once each: an execution meets the same few thousand times, and a string made per event is garbage.
 */
class SiteNames {
  private readonly sites = new Map<string, string[]>();
  private readonly starred: string[] = [];
  private readonly locs = new Map<string, Map<string, string[]>>();

  /** A lock's site in a function: `${lock}|${fn}`. */
  site(lock: number, fn: string): string {
    let byLock = this.sites.get(fn);
    if (!byLock) {
      byLock = [];
      this.sites.set(fn, byLock);
    }
    return (byLock[lock] ??= `${lock}|${fn}`);
  }

  /** Every site of a lock: `${lock}|*`. */
  lockSites(lock: number): string {
    return (this.starred[lock] ??= `${lock}|*`);
  }

  /** A step in a critical section: `${op}|${fn}|${act}`. */
  location(op: number, fn: string, act: string): string {
    let byAct = this.locs.get(fn);
    if (!byAct) {
      byAct = new Map();
      this.locs.set(fn, byAct);
    }
    let byOp = byAct.get(act);
    if (!byOp) {
      byOp = [];
      byAct.set(act, byOp);
    }
    return (byOp[op] ??= `${op}|${fn}|${act}`);
  }
}

/**
 * The DPOR engine over any simulator factory (`make` must build the same
 * machine every time); exploreMachine() drives it for hand-written programs.
 */
export class ExploreEngine {
  readonly kinds: Set<ViolationKind> | null;
  private readonly make: () => Sim;
  private readonly cfg: EngineConfig;
  private nA = 0;
  private bootFree: Uint8Array = new Uint8Array(0);
  private bootGen: Uint32Array = new Uint32Array(0);
  private classes: string[] = [];
  private actorInfo: { name: string; symmetryClass: string }[] = [];
  // Critical-section sites (lock and function) split into single steps, and the
  // body locations of each atomic site seen to conflict with unlocked events.
  private readonly nonAtomic = new Set<string>();
  private newNonAtomic = new Set<string>();
  private nonMovers = new Map<string, Set<string>>();
  private abortRound = false;
  // Allocation/free commutation for unobservable frames (else pristine frames only), and why it was dropped.
  private reuse = true;
  private reuseDropped: string | null = null;
  // Reduction 2b (frames referenced only by leaf TLB entries commute too), and why it was dropped.
  private staleLeaf = true;
  private staleLeafDropped: string | null = null;
  private readonly known = new KnownFrames();
  private readonly names = new SiteNames();

  // Nodes (index i = the state before event i, and event i itself).
  private cap = 0;
  private act = new Int32Array(0);
  private nsteps = new Int32Array(0);
  private lidx = new Int32Array(0);
  private clk = new Int32Array(0);
  private fps: Footprint[] = [];
  private bt = new Int32Array(0);
  private done = new Int32Array(0);
  // Per node and actor (index node * nA + actor): the footprint of the actor's event explored there, and the
  // footprint of each actor in the node's sleep set (those whose bit is set in sleepMask). Flat arrays written
  // in place: no array or entry object per node.
  private doneFp: (Footprint | undefined)[] = [];
  private sleepFp: (Footprint | undefined)[] = [];
  private sleepMask = new Int32Array(0);
  private en = new Int32Array(0);
  private pre = new Int32Array(0);
  private started = new Int32Array(0);
  private lastNode = 0;

  // Cells, by dense id (stable across executions): the last write, and the latest read / add since that write of
  // each thread (node indices, valid where the thread's bit is set in the mask). An epoch stamp resets them all
  // at the start of every execution without touching them.
  private readonly cellIds = new CellIds();
  private cellCap = 0;
  private cellFlag = new Int32Array(0);
  private cellEpoch = new Int32Array(0);
  private cellW = new Int32Array(0);
  private cellRMask = new Int32Array(0);
  private cellAMask = new Int32Array(0);
  private cellR = new Int32Array(0);
  private cellA = new Int32Array(0);
  private epoch = 0;

  // Per execution.
  /**
   * Per thread, its events with TLB records, in order: those whose records are all of one CPU (a walk, a fill:
   * `tlbLocal`, and the union of their CPUs in `localCpus`), and the others (a TLBI, a query of every CPU's TLB).
   * Two events of different CPUs conflict only through the second kind, so a new event scans a thread's first
   * list only if it touches one of that list's CPUs.
   */
  private tlbEvents: number[][] = [];
  private tlbLocal: number[][] = [];
  private localCpus = new Int32Array(0);
  private lastEv = new Int32Array(0);
  private localCount = new Int32Array(0);
  private lastAcq: Int32Array[] = [];
  // The events the new event depends on directly, and through what (DEP_DATA, lock bits): typed arrays and a
  // count, not arrays emptied by setting their length (a runtime call, on every event).
  private depNode = new Int32Array(64);
  private depFlag = new Int32Array(64);
  private nDeps = 0;
  private first = new Int32Array(0);
  private fb: StepLog | null = null;
  private readonly acc = new FootprintBuilder();
  /** Copies of the machine at nodes of the current path, shallowest first (core/explore/checkpoint.ts). */
  private readonly checkpoints: { node: number; steps: number; cp: Checkpoint; eng: Bookkeeping }[] = [];
  /** A fresh machine, frozen: checkpoints hold only where a machine differs from it. */
  private cpBase: CheckpointBase | null = null;

  // Totals.
  private schedules = 0;
  private states = 0;
  private steps = 0;
  private sleepBlocked = 0;
  private races = 0;
  private backtracks = 0;
  private maxEvents = 0;
  private maxStepsSeen = 0;
  private readonly cut = new Set<'maxSchedules' | 'timeLimit' | 'preemptionBound' | 'maxSteps' | 'symmetry'>();
  private found: Found | null = null;
  private round = 0;
  private lastProgress = 0;
  private nextProbeAt = 0;
  private probesRun = 0;

  // Parallel search (core/explore/parallel.ts). In a subtree task, nodes 0..frozenTop belong to the coordinator:
  // backtrack entries wanted there are returned in `adds` (ADD_RACE: node, initials, racing actor; ADD_MASK: node,
  // actors), and the search never backtracks below `floor`. The sequential search has floor 0 and frozenTop -1.
  private floor = 0;
  private frozenTop = -1;
  private adds: number[] = [];
  private inited = false;
  /** The previous task's round (reductions, split sections) and path length; checkpoints kept from it (runTask()). */
  private taskSig = '';
  private taskPathLen = 0;
  private inheritedCps = false;

  constructor(make: () => Sim, cfg: EngineConfig) {
    this.make = make;
    this.cfg = cfg;
    this.kinds = cfg.kinds;
  }

  /** The config this engine runs with (the parallel coordinator reads its bounds, clock and probes). */
  get config(): EngineConfig {
    return this.cfg;
  }

  run(): EngineResult {
    this.init();
    for (;;) {
      this.round++;
      this.cut.clear();
      this.newNonAtomic = new Set();
      this.nonMovers = new Map();
      this.abortRound = false;
      const reuseBefore = this.reuse;
      const staleLeafBefore = this.staleLeaf;
      const outcome = this.runRound();
      if (outcome === 'found' || outcome === 'cut') break;
      if (this.newNonAtomic.size === 0 && this.reuse === reuseBefore && this.staleLeaf === staleLeafBefore) break;
      for (const x of this.newNonAtomic) this.nonAtomic.add(x);
    }
    return this.result();
  }

  /** What every search needs before its first execution: the actors, the boot frames, the per-actor arrays. */
  private init(): void {
    if (this.inited) return;
    this.inited = true;
    const sim0 = this.make();
    if (this.cfg.checkpoints) this.cpBase = checkpointBase(sim0);
    this.nA = sim0.actors.length;
    if (this.nA > 30) throw new Error(`explore: ${this.nA} actors; at most 30 are supported`);
    const mem = sim0.mem;
    this.bootFree = new Uint8Array(mem.nFrames);
    for (let f = 0; f < mem.nFrames; f++) this.bootFree[f] = mem.state[f] === FRAME_FREE ? 1 : 0;
    this.bootGen = Uint32Array.from(mem.gen);
    this.classes = sim0.actors.map((a) => a.symmetryClass);
    this.actorInfo = sim0.actors.map((a) => ({ name: a.name, symmetryClass: a.symmetryClass }));
    this.lastEv = new Int32Array(this.nA);
    this.localCount = new Int32Array(this.nA);
    this.first = new Int32Array(this.nA);
    this.lastAcq = Array.from({ length: N_LOCKS }, () => new Int32Array(this.nA));
    this.reuse = this.cfg.reuse;
    this.staleLeaf = this.cfg.reuse && (this.cfg.staleLeaf ?? true);
    this.nextProbeAt = Math.max(1, this.cfg.probeAfter ?? DEFAULT_PROBE_AFTER);
    this.fb = new StepLog(this.bootFree, this.bootGen, this.known, this.stale, this.leafQuery);
    this.grow(1024);
  }

  private result(): EngineResult {
    if (this.cfg.symmetry) this.cut.add('symmetry');
    return {
      found: this.found,
      schedules: this.schedules,
      states: this.states,
      steps: this.steps,
      sleepBlocked: this.sleepBlocked,
      rounds: this.round,
      nonAtomic: describeNonAtomic(this.cfg.lipton, this.nonAtomic),
      maxEvents: this.maxEvents,
      maxStepsSeen: this.maxStepsSeen,
      races: this.races,
      backtracks: this.backtracks,
      actors: this.actorInfo,
      cutBy: [...this.cut],
      reuse: this.reuse,
      reuseDropped: this.reuseDropped,
      staleLeaf: this.reuse && this.staleLeaf,
      staleLeafDropped: this.staleLeafDropped,
      probes: this.probesRun,
    };
  }

  // ---------------------------------------------------------------- parallel search (core/explore/parallel.ts)

  /** The coordinator's view of the search before its first task: actors, symmetry classes, who is enabled at the root. */
  prepare(): { nA: number; classes: string[]; actors: { name: string; symmetryClass: string }[]; en0: number } {
    this.init();
    const sim = this.make();
    let en0 = 0;
    for (let k = 0; k < sim.actors.length; k++) if (sim.enabled(sim.actors[k])) en0 |= 1 << k;
    return { nA: this.nA, classes: this.classes, actors: this.actorInfo, en0 };
  }

  /** A batch of random probes for the coordinator: the violation one found, or null; and the steps they took. */
  probeBatch(n: number): { found: Found | null; steps: number; probes: number } {
    this.init();
    const steps0 = this.steps;
    const probes0 = this.probesRun;
    this.found = null;
    const hit = this.runProbes(n);
    return { found: hit ? this.found : null, steps: this.steps - steps0, probes: this.probesRun - probes0 };
  }

  /**
   * One subtree task (parallel.ts): take the task's path as this engine's nodes 0..node (frozen), explore the
   * listed actors at `node` and everything below them as the sequential search would, return the entries wanted
   * at frozen nodes instead of adding them, and after `budget` executions hand what is left back as a path.
   */
  runTask(t: SubtreeTask): TaskResult {
    this.init();
    const nA = this.nA;
    const m = t.node;
    this.schedules = this.states = this.steps = this.sleepBlocked = this.races = this.backtracks = 0;
    this.maxEvents = this.maxStepsSeen = 0;
    this.cut.clear();
    this.found = null;
    this.adds = [];
    this.nonAtomic.clear();
    for (const x of t.nonAtomic) this.nonAtomic.add(x);
    this.newNonAtomic = new Set();
    this.nonMovers = new Map(t.nonMovers.map(([site, locs]) => [site, new Set(locs)]));
    this.abortRound = false;
    this.reuse = t.reuse;
    this.reuseDropped = null;
    this.staleLeaf = t.staleLeaf;
    this.staleLeafDropped = null;
    this.cfg.deadline = this.cfg.now() + t.timeLeftMs;
    this.grow(m + 2);
    const common = this.sharedPrefix(t);
    if (common < t.fpsFrom) throw new Error(`explore: a task carries footprints from event ${t.fpsFrom}, but this engine shares only ${common}`);
    this.taskSig = taskSignature(t);
    for (let i = common; i < m; i++) {
      this.act[i] = t.act[i];
      this.nsteps[i] = t.nsteps[i];
      this.fps[i] = importFootprint(t.fps[i - t.fpsFrom]);
      this.idsOf(this.fps[i]);
    }
    for (let i = 0; i < m; i++) this.lidx[i] = t.lidx[i];
    this.clk.set(t.clk.subarray(0, m * nA));
    for (let i = 0; i <= m; i++) {
      this.en[i] = t.en[i];
      this.bt[i] = t.bt[i];
      this.done[i] = t.done[i];
      this.sleepMask[i] = t.sleepMask[i];
      this.pre[i] = t.pre[i];
      this.started[i] = t.started[i];
    }
    this.bt[m] |= t.list;
    this.done[m] &= ~t.list;
    for (let q = m * nA; q < m * nA + nA; q++) {
      this.doneFp[q] = undefined;
      this.sleepFp[q] = undefined;
    }
    for (const e of t.sleepInh) this.sleepFp[m * nA + e.a] = importFootprint(e.fp);
    for (const e of t.doneFp) this.doneFp[m * nA + e.a] = importFootprint(e.fp);
    // Checkpoints belong to the path they were taken on: those on the common stretch stay (strictly above the task's
    // node, so the first execution replays at least one event, as with none kept). They are the ones this task
    // would take itself on that stretch (a checkpoint's node depends only on the events before it), so the search
    // goes on as if the task had replayed from the root, and its first execution counts the steps a kept
    // checkpoint stands in for as executed: `steps` stays a function of the task, not of which thread ran which task.
    const cps = this.checkpoints;
    while (cps.length > 0 && cps[cps.length - 1].node >= common) cps.pop();
    this.inheritedCps = cps.length > 0;
    this.floor = m;
    this.frozenTop = m;
    this.lastNode = m;
    let outcome: TaskResult['outcome'] = 'done';
    for (;;) {
      const nb = this.nextBacktrack();
      if (nb === null) break;
      if (this.schedules >= t.budget) {
        outcome = 'split';
        break;
      }
      if (this.cfg.now() > this.cfg.deadline) {
        this.cut.add('timeLimit');
        outcome = 'cut';
        break;
      }
      const o = this.execute(nb[0], nb[1], false);
      this.inheritedCps = false;
      if (o === 'found') {
        outcome = 'found';
        break;
      }
      if (this.abortRound) {
        outcome = 'restart';
        break;
      }
      if (o === 'cut' && this.cut.has('timeLimit')) {
        outcome = 'cut';
        break;
      }
    }
    const first: SleepItem[] = [];
    for (let q = 0; q < nA; q++) {
      const f = this.doneFp[m * nA + q];
      if (t.list & (1 << q) && this.done[m] & (1 << q) && f) first.push({ a: q, fp: f });
    }
    const res: TaskResult = {
      outcome,
      found: this.found,
      schedules: this.schedules,
      states: this.states,
      steps: this.steps,
      sleepBlocked: this.sleepBlocked,
      races: this.races,
      backtracks: this.backtracks,
      maxEvents: this.maxEvents,
      maxStepsSeen: this.maxStepsSeen,
      cut: [...this.cut],
      newNonAtomic: [...this.newNonAtomic],
      nonMovers: [...this.nonMovers].map(([site, locs]) => [site, [...locs]]),
      reuse: this.reuse,
      reuseDropped: this.reuseDropped,
      staleLeaf: this.staleLeaf,
      staleLeafDropped: this.staleLeafDropped,
      adds: this.adds,
      first,
      path: outcome === 'split' ? this.exportPath(m) : null,
    };
    this.floor = 0;
    this.frozenTop = -1;
    this.adds = [];
    this.inheritedCps = false;
    this.taskPathLen = this.lastNode;
    return res;
  }

  /**
   * How far a task's path runs along the previous task's on this engine (all tasks start with the hot-remove
   * teardown): the same events in the same round (same reductions, same split sections) are the same footprints
   * and pass through the same machines, so runTask() keeps that stretch's footprints and checkpoints, and the
   * task need not carry those footprints (SubtreeTask.fpsFrom).
   */
  sharedPrefix(t: Pick<SubtreeTask, 'node' | 'act' | 'nsteps' | 'reuse' | 'staleLeaf' | 'nonAtomic'>): number {
    if (taskSignature(t) !== this.taskSig) return 0;
    const lim = Math.min(t.node, this.taskPathLen);
    let common = 0;
    while (common < lim && this.act[common] === t.act[common] && this.nsteps[common] === t.nsteps[common]) common++;
    return common;
  }

  /** What a task that ran out of budget leaves: the current path below its node, up to the deepest pending entry. */
  private exportPath(m: number): ExportedPath {
    const nA = this.nA;
    let last = m;
    for (let j = this.lastNode; j > m; j--) {
      if (this.bt[j] & ~this.done[j] & ~this.sleepMask[j]) {
        last = j;
        break;
      }
    }
    const n = last - m;
    const path: ExportedPath = {
      act: this.act.slice(m, last),
      nsteps: this.nsteps.slice(m, last),
      lidx: this.lidx.slice(m, last),
      clk: this.clk.slice(m * nA, last * nA),
      fps: this.fps.slice(m, last),
      en: this.en.slice(m + 1, last + 1),
      bt: this.bt.slice(m + 1, last + 1),
      done: this.done.slice(m + 1, last + 1),
      sleepMask: this.sleepMask.slice(m + 1, last + 1),
      pre: this.pre.slice(m + 1, last + 1),
      started: this.started.slice(m + 1, last + 1),
      sleepInh: [],
      doneFp: [],
      pending: new Int32Array(n + 1),
    };
    for (let j = m; j <= last; j++) {
      path.pending[j - m] = this.bt[j] & ~this.done[j] & ~this.sleepMask[j];
      if (j === m) continue;
      const sl: SleepItem[] = [];
      for (let q = 0; q < nA; q++) {
        const f = this.sleepFp[j * nA + q];
        if (f && this.sleepMask[j] & (1 << q)) sl.push({ a: q, fp: f });
      }
      path.sleepInh.push(sl);
      const df: SleepItem[] = [];
      for (let q = 0; q < nA; q++) {
        const f = this.doneFp[j * nA + q];
        if (f && this.done[j] & (1 << q)) df.push({ a: q, fp: f });
      }
      path.doneFp.push(df);
    }
    return path;
  }

  /**
   * The random probes: seeded random executions on fresh machines, stepping
   * only enabled actors, so each is an execution of the model and a violation
   * it reaches is real (explore() replays it before reporting it). They
   * record nothing for the search and prove nothing.
   */
  private runProbes(n: number): boolean {
    const mk = this.cfg.probeScheduler;
    if (!mk) return false;
    let buf = new Int32Array(0);
    for (let q = 0; q < n; q++) {
      const p = this.probesRun;
      if (this.cfg.now() > this.cfg.deadline) return false;
      const sim = this.make();
      if (buf.length < sim.actors.length) buf = new Int32Array(sim.actors.length);
      const sched = mk(p);
      this.probesRun++;
      const before = this.vcount(sim);
      let violated = false;
      while (sim.steps < this.cfg.maxSteps) {
        const k = sim.collectEnabled(buf);
        if (k === 0) {
          if (!sim.allDone()) sim.checker.deadlockAllBlocked();
          sim.finish();
          if (this.vcount(sim) > before) {
            this.found = { kind: this.firstKind(sim), schedule: sim.schedule.slice(), atEnd: true, byProbe: true };
            return true;
          }
          break;
        }
        const c = sched.pick(sim, buf, k);
        if (c < 0) break;
        sim.step(c);
        this.steps++;
        if (this.vcount(sim) > before) {
          violated = true;
          break;
        }
      }
      if (violated) {
        this.found = { kind: this.firstKind(sim), schedule: sim.schedule.slice(), atEnd: false, byProbe: true };
        return true;
      }
    }
    return false;
  }

  private leafQuery = (why: string): void => {
    if (!this.staleLeaf) return;
    this.staleLeaf = false;
    this.staleLeafDropped = why;
    this.abortRound = true;
  };

  private stale = (why: string): void => {
    if (!this.reuse) return;
    this.reuse = false;
    this.reuseDropped = why;
    this.abortRound = true;
  };

  private atomicSite(site: string, lock: number): boolean {
    // (fidelity, issue 9) `${lock}|*` marks every site of a lock that some actor trylocks (see the trylock check below).
    return this.cfg.lipton && !this.nonAtomic.has(site) && !this.nonAtomic.has(this.names.lockSites(lock));
  }

  private grow(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2);
    const nA = this.nA;
    const gi = (x: Int32Array, m = 1): Int32Array<ArrayBuffer> => {
      const y = new Int32Array(cap * m);
      y.set(x);
      return y;
    };
    this.act = gi(this.act);
    this.nsteps = gi(this.nsteps);
    this.lidx = gi(this.lidx);
    this.clk = gi(this.clk, nA);
    this.bt = gi(this.bt);
    this.done = gi(this.done);
    this.sleepMask = gi(this.sleepMask);
    this.en = gi(this.en);
    this.pre = gi(this.pre);
    this.started = gi(this.started);
    // Dense (no holes), so writes by node and actor stay fast element stores.
    for (let q = this.doneFp.length; q < cap * nA; q++) {
      this.doneFp.push(undefined);
      this.sleepFp.push(undefined);
    }
    this.cap = cap;
  }

  /** One round of DPOR; 'complete', 'found' or 'cut'. */
  private runRound(): 'complete' | 'found' | 'cut' | 'restart' {
    let start = 0;
    let choice = -1;
    let fresh = true;
    for (;;) {
      const outcome = this.execute(start, choice, fresh);
      fresh = false;
      if (outcome === 'found') return 'found';
      if (this.abortRound) return 'restart';
      // Bug-finding order: after a first stretch of the search, random probes (which may find a deep violation
      // the depth-first search would reach only much later), then the search goes on where it was.
      const probes = this.cfg.probes ?? 0;
      if (this.probesRun < probes && this.schedules >= this.nextProbeAt && this.nextBacktrack() !== null) {
        const batch = Math.min(probes - this.probesRun, Math.max(1, Math.floor(this.nextProbeAt / PROBE_BATCH_DIVISOR)));
        this.nextProbeAt *= 2;
        if (this.runProbes(batch)) return 'found';
      }
      if (this.cfg.onProgress && this.schedules - this.lastProgress >= PROGRESS_EVERY) {
        this.lastProgress = this.schedules;
        this.cfg.onProgress({ schedules: this.schedules, states: this.states, steps: this.steps, elapsedMs: 0, round: this.round });
      }
      if (this.schedules >= this.cfg.maxSchedules) {
        if (this.nextBacktrack() !== null) this.cut.add('maxSchedules');
        return this.cut.size ? 'cut' : 'complete';
      }
      if (this.cfg.now() > this.cfg.deadline) {
        if (this.nextBacktrack() !== null) this.cut.add('timeLimit');
        return this.cut.size ? 'cut' : 'complete';
      }
      const nb = this.nextBacktrack();
      if (nb === null) return this.cut.size ? 'cut' : 'complete';
      [start, choice] = nb;
    }
  }

  /** Deepest node with a backtrack entry still to explore: [node, actor]. */
  private nextBacktrack(): [number, number] | null {
    for (let j = this.lastNode; j >= this.floor; j--) {
      let cand = this.bt[j] & ~this.done[j] & ~this.sleepMask[j];
      const dis = cand & ~this.en[j];
      if (dis) {
        // Not enabled there (cannot happen for a source set; be safe).
        this.done[j] |= dis;
        cand &= this.en[j];
      }
      const bound = this.cfg.preemptionBound;
      while (cand) {
        const q = lowestBit(cand);
        cand &= cand - 1;
        if (bound !== null && this.isPreemption(j, q) && this.pre[j] + 1 > bound) {
          this.done[j] |= 1 << q;
          this.cut.add('preemptionBound');
          continue;
        }
        return [j, q];
      }
    }
    return null;
  }

  private vcount(sim: Sim): number {
    if (!this.kinds) return sim.checker.total;
    let n = 0;
    for (const k of this.kinds) n += sim.checker.countOf(k);
    return n;
  }

  private firstKind(sim: Sim): ViolationKind {
    for (const v of sim.checker.violations) if (!this.kinds || this.kinds.has(v.kind)) return v.kind;
    throw new Error('explore: no violation recorded');
  }

  /**
   * Node i's enabled actors and empty sets. After an event of actor `stepped` (node i - 1 to i), only that actor's
   * pending op and done flag changed, so another actor whose op never waits keeps its bit, and one whose op may
   * wait (a lock, a completion: Sim.actorMayWait) can change only if the event moved Sim.waitEpoch (`woke`).
   */
  private initNode(i: number, sim: Sim, stepped = -1, woke = true): void {
    this.grow(i + 2);
    const actors = sim.actors;
    let m = 0;
    if (stepped < 0) {
      for (let k = 0; k < actors.length; k++) if (sim.enabled(actors[k])) m |= 1 << k;
    } else {
      m = this.en[i - 1] & ~(1 << stepped);
      if (sim.enabled(actors[stepped])) m |= 1 << stepped;
      if (woke) {
        const mayWait = sim.actorMayWait;
        for (let k = 0; k < actors.length; k++) {
          if (k === stepped || mayWait[k] === 0) continue;
          if (sim.enabled(actors[k])) m |= 1 << k;
          else m &= ~(1 << k);
        }
      }
    }
    this.en[i] = m;
    this.bt[i] = 0;
    this.done[i] = 0;
    const nA = this.nA;
    for (let q = i * nA; q < i * nA + nA; q++) this.doneFp[q] = undefined;
  }

  private isPreemption(i: number, q: number): boolean {
    if (i === 0) return false;
    const prev = this.act[i - 1];
    return prev !== q && (this.en[i] & (1 << prev)) !== 0;
  }

  /** Re-run the prefix [0, start) on a fresh machine, then explore onwards from node `start`. */
  private execute(start: number, firstChoice: number, fresh: boolean): 'maximal' | 'blocked' | 'found' | 'cut' | 'abort' {
    const sim = this.make();
    this.known.reset(this.nA, sim.mem.nFrames);
    const sfb = this.fb!;
    sfb.reuse = this.reuse;
    sfb.staleLeaf = this.staleLeaf;
    this.epoch++;
    if (this.tlbEvents.length !== this.nA) {
      this.tlbEvents = Array.from({ length: this.nA }, () => []);
      this.tlbLocal = Array.from({ length: this.nA }, () => []);
      this.localCpus = new Int32Array(this.nA);
    }
    for (const l of this.tlbEvents) l.length = 0;
    for (const l of this.tlbLocal) l.length = 0;
    this.localCpus.fill(0);
    this.lastEv.fill(-1);
    this.localCount.fill(0);
    for (const la of this.lastAcq) la.fill(-1);
    if (fresh) this.checkpoints.length = 0;
    // The deepest checkpoint on this execution's prefix (those below a node the search has backtracked above are
    // on no future prefix: the search is depth-first) stands for the steps before its node.
    const cps = this.checkpoints;
    while (cps.length > 0 && cps[cps.length - 1].node > start) cps.pop();
    let from = 0;
    if (cps.length > 0) {
      const cp = cps[cps.length - 1];
      restoreSim(cp.cp, sim);
      this.restoreBookkeeping(cp.eng);
      from = cp.node;
      if (this.inheritedCps) for (let i = 0; i < from; i++) this.steps += this.nsteps[i];
    }
    for (let i = from; i < start; i++) {
      this.checkpointAt(i, sim);
      const a = this.act[i];
      for (let k = 0; k < this.nsteps[i]; k++) sim.step(a);
      this.steps += this.nsteps[i];
      this.apply(i);
    }
    if (fresh) {
      this.initNode(0, sim);
      this.sleepMask[0] = 0;
      this.pre[0] = 0;
      this.started[0] = 0;
    }
    let i = start;
    let choice = firstChoice;
    const bound = this.cfg.preemptionBound;
    for (;;) {
      if (choice < 0) {
        const cand = this.en[i] & ~this.sleepMask[i] & ~this.done[i];
        if (this.en[i] === 0) {
          this.lastNode = i;
          return this.endMaximal(sim, i);
        }
        if (cand === 0) {
          this.lastNode = i;
          this.sleepBlocked++;
          return 'blocked';
        }
        const prev = i > 0 ? this.act[i - 1] : -1;
        choice = prev >= 0 && cand & (1 << prev) ? prev : lowestBit(cand);
        if (bound !== null && this.isPreemption(i, choice) && this.pre[i] + 1 > bound) {
          this.cut.add('preemptionBound');
          this.lastNode = i;
          return 'cut';
        }
        this.bt[i] |= 1 << choice;
      }
      this.done[i] |= 1 << choice;
      // Run the event: one step, or a whole critical section of an atomic site.
      const a = sim.actors[choice];
      const held = a.locksHeld | (a.readHeld << READ_HELD_SHIFT);
      const site = a.op === OP_LOCK ? this.names.site(a.lock, a.fn) : null;
      // (fidelity, issue 9) mutex_trylock() observes whether its lock is held, which a critical section run as one
      // event would hide (the lock word is not counted by the mover check): every site of that lock is split from
      // the next round on.
      if (a.op === OP_TRYLOCK && this.cfg.lipton && !this.nonAtomic.has(this.names.lockSites(a.lock)) && !this.newNonAtomic.has(this.names.lockSites(a.lock))) {
        this.newNonAtomic.add(this.names.lockSites(a.lock));
        this.abortRound = true;
      }
      const macro = site !== null && this.atomicSite(site, a.lock) ? a.lock : -1;
      const before = this.vcount(sim);
      const wake0 = sim.waitEpoch;
      let violated = false;
      let fp: Footprint;
      if (macro < 0) {
        sfb.begin(sim, a, -1);
        sim.setAccessLog(sfb);
        sim.step(choice);
        sim.setAccessLog(null);
        violated = this.vcount(sim) > before;
        fp = sfb.finish();
      } else {
        const acc = this.acc;
        acc.reset();
        const body: Footprint[] = [];
        const locs: string[] = [];
        for (;;) {
          const loc = this.names.location(a.op, a.fn, a.act);
          sfb.begin(sim, a, macro);
          sim.setAccessLog(sfb);
          sim.step(choice);
          sim.setAccessLog(null);
          const sf = sfb.finish();
          body.push(sf);
          locs.push(loc);
          acc.merge(sf);
          if (this.vcount(sim) > before) {
            violated = true;
            break;
          }
          if ((a.locksHeld & (1 << macro)) === 0) break;
          if (a.done || !sim.enabled(a) || sim.steps >= this.cfg.maxSteps) {
            // The section blocked half way (or ended holding the lock): not atomic.
            this.newNonAtomic.add(site!);
            this.abortRound = true;
            break;
          }
        }
        acc.acqLock = macro;
        acc.acqKind = ACQ_EXCL;
        acc.macro = macro;
        fp = acc.finish();
        fp.site = site;
        fp.body = body;
        fp.locs = locs;
        // A section that takes other locks inside is split next round.
        if ((fp.acq & ~(1 << macro)) !== 0) {
          this.newNonAtomic.add(site!);
          this.abortRound = true;
        }
      }
      fp.held = held;
      const nst = fp.body ? fp.body.length : 1;
      this.steps += nst;
      this.states++;
      if (violated) {
        this.found = { kind: this.firstKind(sim), schedule: sim.schedule.slice(), atEnd: false };
        this.schedules++;
        this.lastNode = i;
        return 'found';
      }
      this.act[i] = choice;
      this.nsteps[i] = nst;
      this.fps[i] = fp;
      this.doneFp[i * this.nA + choice] = fp;
      this.detect(i, choice, fp);
      if (this.abortRound) {
        this.lastNode = i;
        return 'abort';
      }
      // The next node.
      const nA = this.nA;
      const row = i * nA;
      const childRow = row + nA;
      const sleepFp = this.sleepFp;
      let cmask = 0;
      for (let bits = this.sleepMask[i]; bits; bits &= bits - 1) {
        const q = lowestBit(bits);
        const qf = sleepFp[row + q]!;
        if (q !== choice && !dependent(qf, fp)) {
          sleepFp[childRow + q] = qf;
          cmask |= 1 << q;
        }
      }
      const df = this.doneFp;
      const doneMask = this.done[i];
      for (let q = 0; q < nA; q++) {
        if (q === choice || !(doneMask & (1 << q))) continue;
        const qf = df[row + q];
        if (qf && !dependent(qf, fp)) {
          sleepFp[childRow + q] = qf;
          cmask |= 1 << q;
        }
      }
      const preempted = this.isPreemption(i, choice) ? 1 : 0;
      this.initNode(i + 1, sim, choice, sim.waitEpoch !== wake0);
      // An event that disables another actor's pending step (a wait_for_completion() that takes the only post,
      // a lock taken and never released) conflicts with it, but that step may never run in this execution, so
      // no race with it would ever be seen: explore the disabled actor first here too (unless that order is
      // covered already: the actor is asleep).
      const disabled = this.en[i] & ~this.en[i + 1] & ~(1 << choice) & ~this.sleepMask[i];
      if (disabled) this.addBacktrack(i, disabled);
      this.sleepMask[i + 1] = cmask;
      this.pre[i + 1] = this.pre[i] + preempted;
      this.started[i + 1] = this.started[i] | (1 << choice);
      i++;
      choice = -1;
      if (i > this.maxEvents) this.maxEvents = i;
      if (sim.steps > this.maxStepsSeen) this.maxStepsSeen = sim.steps;
      if (sim.steps >= this.cfg.maxSteps || i >= MAX_EVENTS) {
        this.cut.add('maxSteps');
        this.lastNode = i;
        return 'cut';
      }
      // A single long execution (programs that loop until the run ends) must not outlive the time limit.
      if ((i & 4095) === 0 && this.cfg.now() > this.cfg.deadline) {
        this.cut.add('timeLimit');
        this.lastNode = i;
        return 'cut';
      }
    }
  }

  /**
   * Keep a copy of the machine at node i if every actor has finished or not
   * started there (nothing of a program to copy), it is deeper than the last
   * copy by enough steps to pay for itself, and there is room.
   */
  private checkpointAt(i: number, sim: Sim): void {
    if (!this.cfg.checkpoints || i === 0) return;
    const cps = this.checkpoints;
    const last = cps.length > 0 ? cps[cps.length - 1] : null;
    if (cps.length >= MAX_CHECKPOINTS || sim.steps - (last ? last.steps : 0) < CHECKPOINT_MIN_STEPS || (last && last.node >= i)) return;
    const started = this.started[i];
    const actors = sim.actors;
    for (let bits = started; bits; bits &= bits - 1) if (!actors[lowestBit(bits)].done) return;
    cps.push({ node: i, steps: sim.steps, cp: checkpointSim(sim, ~started & ((1 << this.nA) - 1), this.cpBase!), eng: this.bookkeeping(i) });
  }

  /**
   * The engine's per-execution bookkeeping after apply() of events [0, i)
   * (what those events leave in the cells, the known frames, the TLB event
   * lists and the per-actor counters): a function of those events alone, so a
   * checkpoint at node i carries it and a restore need not apply them again.
   */
  private bookkeeping(i: number): Bookkeeping {
    const nA = this.nA;
    const cells: number[] = [];
    const readers: number[] = [];
    for (let id = 0; id < this.cellIds.size; id++) {
      if (this.cellEpoch[id] !== this.epoch) continue;
      cells.push(id, this.cellW[id], this.cellRMask[id], this.cellAMask[id]);
      for (let bits = this.cellRMask[id]; bits; bits &= bits - 1) readers.push(this.cellR[id * nA + lowestBit(bits)]);
      for (let bits = this.cellAMask[id]; bits; bits &= bits - 1) readers.push(this.cellA[id * nA + lowestBit(bits)]);
    }
    // What each actor knows of each frame, latest first wins: the events' own lessons in order.
    const known = new Map<number, number>();
    for (let j = 0; j < i; j++) {
      const learn = this.fps[j].learn;
      if (learn) for (let k = 0; k < learn.length; k += 2) known.set(this.act[j] * this.bootGen.length + learn[k], learn[k + 1]);
    }
    return {
      cells: Int32Array.from(cells),
      readers: Int32Array.from(readers),
      known: Float64Array.from([...known].flat()),
      tlbEvents: this.tlbEvents.map((l) => Int32Array.from(l)),
      tlbLocal: this.tlbLocal.map((l) => Int32Array.from(l)),
      lastEv: this.lastEv.slice(),
      localCount: this.localCount.slice(),
      lastAcq: this.lastAcq.map((l) => l.slice()),
    };
  }

  /** Make the bookkeeping of a fresh execution (a new epoch, nothing applied) that of a checkpoint's. */
  private restoreBookkeeping(b: Bookkeeping): void {
    const nA = this.nA;
    const cells = b.cells;
    const readers = b.readers;
    let r = 0;
    for (let k = 0; k < cells.length; k += 4) {
      const id = cells[k];
      const rm = cells[k + 2];
      const am = cells[k + 3];
      this.cellEpoch[id] = this.epoch;
      this.cellW[id] = cells[k + 1];
      this.cellRMask[id] = rm;
      this.cellAMask[id] = am;
      for (let bits = rm; bits; bits &= bits - 1) this.cellR[id * nA + lowestBit(bits)] = readers[r++];
      for (let bits = am; bits; bits &= bits - 1) this.cellA[id * nA + lowestBit(bits)] = readers[r++];
    }
    const frames = this.bootGen.length;
    const known = b.known;
    for (let k = 0; k < known.length; k += 2) {
      const key = known[k];
      const actor = Math.floor(key / frames);
      this.known.set(actor, key - actor * frames, known[k + 1]);
    }
    for (let q = 0; q < nA; q++) {
      const list = this.tlbEvents[q];
      const from = b.tlbEvents[q];
      for (let k = 0; k < from.length; k++) list.push(from[k]);
      const local = this.tlbLocal[q];
      const fromLocal = b.tlbLocal[q];
      for (let k = 0; k < fromLocal.length; k++) {
        local.push(fromLocal[k]);
        this.localCpus[q] |= this.fps[fromLocal[k]].tlbAll;
      }
    }
    this.lastEv.set(b.lastEv);
    this.localCount.set(b.localCount);
    for (let l = 0; l < this.lastAcq.length; l++) this.lastAcq[l].set(b.lastAcq[l]);
  }

  /** A maximal execution: end-of-run checks (deadlock, lost mappings). */
  private endMaximal(sim: Sim, i: number): 'maximal' | 'found' {
    this.schedules++;
    if (i > this.maxEvents) this.maxEvents = i;
    const before = this.vcount(sim);
    if (!sim.allDone()) sim.checker.deadlockAllBlocked();
    sim.finish();
    this.cfg.onMaximal?.(sim);
    if (this.vcount(sim) > before) {
      this.found = { kind: this.firstKind(sim), schedule: sim.schedule.slice(), atEnd: true };
      return 'found';
    }
    return 'maximal';
  }

  /** Replay bookkeeping for prefix event i (no race detection). */
  private apply(i: number): void {
    const p = this.act[i];
    const fp = this.fps[i];
    this.localCount[p] = this.lidx[i];
    const ids = fp.ids!;
    for (let k = 0; k < ids.length; k++) this.touch(ids[k], fp.modes[k], i, p);
    if (fp.tlb) this.recordTlbEvent(p, i, fp);
    const learn = fp.learn;
    if (learn) for (let k = 0; k < learn.length; k += 2) this.known.set(p, learn[k], learn[k + 1]);
    if (fp.acqLock >= 0 && fp.acqKind !== ACQ_WLOCK && fp.macro < 0) this.lastAcq[fp.acqLock][p] = i;
    this.lastEv[p] = i;
  }

  /** The dense ids of a footprint's cells (interned on first sight). */
  private idsOf(fp: Footprint): number[] {
    if (fp.ids) return fp.ids;
    const keys = fp.keys;
    const ids: number[] = [];
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      let id = this.cellIds.get(key);
      if (id < 0) {
        id = this.cellIds.add(key);
        if (id >= this.cellCap) this.growCells(id + 1);
        const t = cellType(key);
        this.cellFlag[id] = t === T_HOLDER || t === T_WRITER || t === T_READERS ? 2 << cellLock(key) : DEP_DATA;
        this.cellEpoch[id] = 0;
      }
      ids.push(id);
    }
    fp.ids = ids;
    return ids;
  }

  private growCells(n: number): void {
    const cap = Math.max(n, this.cellCap * 2, 256);
    const nA = this.nA;
    const g = (x: Int32Array, m = 1): Int32Array<ArrayBuffer> => {
      const y = new Int32Array(cap * m);
      y.set(x);
      return y;
    };
    this.cellFlag = g(this.cellFlag);
    this.cellEpoch = g(this.cellEpoch);
    this.cellW = g(this.cellW);
    this.cellRMask = g(this.cellRMask);
    this.cellAMask = g(this.cellAMask);
    this.cellR = g(this.cellR, nA);
    this.cellA = g(this.cellA, nA);
    this.cellCap = cap;
  }

  private touch(id: number, mode: number, i: number, p: number): void {
    if (this.cellEpoch[id] !== this.epoch) {
      this.cellEpoch[id] = this.epoch;
      this.cellW[id] = -1;
      this.cellRMask[id] = 0;
      this.cellAMask[id] = 0;
    }
    if (mode === M_W) {
      this.cellW[id] = i;
      this.cellRMask[id] = 0;
      this.cellAMask[id] = 0;
    } else if (mode === M_R) {
      this.cellR[id * this.nA + p] = i;
      this.cellRMask[id] |= 1 << p;
    } else {
      this.cellA[id * this.nA + p] = i;
      this.cellAMask[id] |= 1 << p;
    }
  }

  private addDep(d: number, flag: number): void {
    const dn = this.depNode;
    const n = this.nDeps;
    for (let k = 0; k < n; k++) {
      if (dn[k] === d) {
        this.depFlag[k] |= flag;
        return;
      }
    }
    if (n === dn.length) {
      const node = new Int32Array(n * 2);
      node.set(dn);
      this.depNode = node;
      const flags = new Int32Array(n * 2);
      flags.set(this.depFlag);
      this.depFlag = flags;
    }
    this.depNode[n] = d;
    this.depFlag[n] = flag;
    this.nDeps = n + 1;
  }

  /** Event i of thread p has TLB records: into the list of its kind (see tlbEvents). */
  private recordTlbEvent(p: number, i: number, fp: Footprint): void {
    const cpus = fp.tlbAll;
    if (cpus > 0 && (cpus & (cpus - 1)) === 0) {
      this.tlbLocal[p].push(i);
      this.localCpus[p] |= cpus;
    } else {
      this.tlbEvents[p].push(i);
    }
  }

  /** The latest event of `list` not known to happen before (local index above `seen`) whose TLB records conflict with fp's, or -1. */
  private latestTlbDependent(list: number[], seen: number, fp: Footprint): number {
    for (let k = list.length - 1; k >= 0; k--) {
      const t = list[k];
      if (this.lidx[t] <= seen) return -1;
      if (tlbDependent(fp, this.fps[t])) return t;
    }
    return -1;
  }

  /** Race detection for the new event i of actor p: vector clock, races, backtrack points. */
  private detect(i: number, p: number, fp: Footprint): void {
    const nA = this.nA;
    const act = this.act;
    this.nDeps = 0;
    const ids = this.idsOf(fp);
    const others = ~(1 << p);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const m = fp.modes[k];
      if (this.cellEpoch[id] === this.epoch) {
        const flag = this.cellFlag[id];
        const w = this.cellW[id];
        if (w >= 0 && act[w] !== p) this.addDep(w, flag);
        if (m !== M_R) {
          for (let bits = this.cellRMask[id] & others; bits; bits &= bits - 1) this.addDep(this.cellR[id * nA + lowestBit(bits)], flag);
        }
        if (m !== M_A) {
          for (let bits = this.cellAMask[id] & others; bits; bits &= bits - 1) this.addDep(this.cellA[id * nA + lowestBit(bits)], flag);
        }
      }
      this.touch(id, m, i, p);
    }
    const clk = this.clk;
    const base = this.lastEv[p];
    if (fp.tlb) {
      // Only the latest conflicting event of each other thread matters: its earlier events happen before it. And
      // once an event of that thread happens before p's previous event, so do all its earlier ones (the clock has
      // them already, and none can race), so the scan stops there.
      // The latest of each list is the latest of the thread: both are in event order.
      for (let q = 0; q < nA; q++) {
        if (q === p) continue;
        const seen = base >= 0 ? clk[base * nA + q] : 0;
        let t = this.latestTlbDependent(this.tlbEvents[q], seen, fp);
        if ((fp.tlbAll & this.localCpus[q]) !== 0) {
          const u = this.latestTlbDependent(this.tlbLocal[q], seen, fp);
          if (u > t) t = u;
        }
        if (t >= 0) this.addDep(t, DEP_DATA);
      }
      this.recordTlbEvent(p, i, fp);
    }
    // Vector clock.
    const row = i * nA;
    // (Element by element: copyWithin() and fill() are calls into the runtime, dear for nA numbers.)
    if (base >= 0) for (let t = 0, br = base * nA; t < nA; t++) clk[row + t] = clk[br + t];
    else for (let t = 0; t < nA; t++) clk[row + t] = 0;
    const deps = this.depNode;
    const nDeps = this.nDeps;
    for (let k = 0; k < nDeps; k++) {
      const dr = deps[k] * nA;
      for (let t = 0; t < nA; t++) if (clk[dr + t] > clk[row + t]) clk[row + t] = clk[dr + t];
    }
    const li = ++this.localCount[p];
    this.lidx[i] = li;
    clk[row + p] = li;
    // Races with the events it depends on directly.
    for (let k = 0; k < nDeps; k++) {
      const d = deps[k];
      const td = act[d];
      const ld = this.lidx[d];
      if (base >= 0 && clk[base * nA + td] >= ld) continue;
      let immediate = true;
      for (let k2 = 0; k2 < nDeps; k2++) {
        if (k2 !== k && clk[deps[k2] * nA + td] >= ld) {
          immediate = false;
          break;
        }
      }
      if (!immediate) continue;
      const fd = this.fps[d];
      // Lipton check: which steps of a critical section race with events that do not hold its lock.
      if (fd.macro >= 0) this.checkMover(fd, fp);
      if (fp.macro >= 0) this.checkMover(fp, fd);
      const flag = this.depFlag[k];
      if ((flag & DEP_DATA) === 0) {
        // Only through lock words: an unlock that let this acquisition in is not reversible.
        const locks = flag >> 1;
        if ((locks & fd.rel & fp.acq) === locks) continue;
      }
      this.reverse(d, i);
    }
    // Lock races: the last incompatible acquisition of the same lock by another thread.
    // (Atomic sections are not recorded as candidates: two of them commute unless their data conflict.)
    if (fp.acqLock >= 0 && fp.acqKind !== ACQ_WLOCK) {
      const l = fp.acqLock;
      const la = this.lastAcq[l];
      for (let t = 0; t < nA; t++) {
        const j = la[t];
        if (t === p || j < 0) continue;
        const kj = this.fps[j].acqKind;
        if (kj === ACQ_READ && fp.acqKind === ACQ_READ) continue;
        if (base >= 0 && clk[base * nA + t] >= this.lidx[j]) continue;
        this.reverse(j, i);
      }
      if (fp.macro < 0) la[p] = i;
    }
    this.lastEv[p] = i;
  }

  /**
   * Lipton's condition for critical section `m` against an event `y` of
   * another actor that does not hold m's lock: the steps of m that conflict
   * with y are non-movers. A site may have one non-mover location (its
   * sections are then R* N L*, still reducible); a second one splits it.
   */
  private checkMover(m: Footprint, y: Footprint): void {
    const l = m.macro;
    if (y.macro === l || y.held & (1 << l) || !m.body || !m.locs || !m.site) return;
    let set = this.nonMovers.get(m.site);
    for (let k = 0; k < m.body.length; k++) {
      if (!dependentExcept(m.body[k], y, l)) continue;
      if (!set) {
        set = new Set();
        this.nonMovers.set(m.site, set);
      }
      set.add(m.locs[k]);
    }
    if (set && set.size > 1 && !this.newNonAtomic.has(m.site)) {
      this.newNonAtomic.add(m.site);
      this.abortRound = true;
    }
  }

  /** Source-DPOR: make sure some initial of notdep(e_j).e_i is explored at node j. */
  private reverse(j: number, i: number): void {
    this.races++;
    const nA = this.nA;
    const act = this.act;
    const clk = this.clk;
    const te = act[j];
    const le = this.lidx[j];
    const first = this.first;
    first.fill(0);
    const covered = this.bt[j] | this.sleepMask[j];
    let initials = 0;
    for (let f = j + 1; f <= i; f++) {
      const row = f * nA;
      if (f < i && clk[row + te] >= le) continue;
      const tf = act[f];
      if (first[tf] !== 0) continue;
      let init = true;
      for (let t = 0; t < nA; t++) {
        if (t !== tf && first[t] !== 0 && clk[row + t] >= first[t]) {
          init = false;
          break;
        }
      }
      first[tf] = this.lidx[f];
      if (init) {
        initials |= 1 << tf;
        if (covered & (1 << tf)) return;
      }
    }
    if (initials === 0) return;
    if (j <= this.frozenTop) {
      // The coordinator's node: it applies the rest of this rule there (parallel.ts).
      this.adds.push(ADD_RACE, j, initials, act[i]);
      return;
    }
    initials &= this.en[j] | 0;
    if (initials === 0) {
      // Should not happen; fall back to every enabled actor there.
      this.addBacktrack(j, this.en[j] & ~this.bt[j]);
      return;
    }
    const p = act[i];
    let q = initials & (1 << p) ? p : lowestBit(initials);
    const bound = this.cfg.preemptionBound;
    if (bound !== null && this.isPreemption(j, q) && this.pre[j] + 1 > bound) {
      let m = initials;
      q = -1;
      while (m) {
        const c = lowestBit(m);
        m &= m - 1;
        if (!this.isPreemption(j, c)) {
          q = c;
          break;
        }
      }
      if (q < 0) {
        this.cut.add('preemptionBound');
        return;
      }
    }
    if (this.cfg.symmetry) q = this.symmetric(j, q);
    if (q < 0) return;
    this.addBacktrack(j, 1 << q);
  }

  /** 'declared' symmetry: start the lowest not-yet-started actor of q's class instead of q. */
  private symmetric(j: number, q: number): number {
    const startedMask = this.started[j];
    if (startedMask & (1 << q)) return q;
    for (let r = 0; r < q; r++) {
      if (this.classes[r] !== this.classes[q] || startedMask & (1 << r) || !(this.en[j] & (1 << r))) continue;
      if ((this.bt[j] | this.sleepMask[j]) & (1 << r)) return -1;
      return r;
    }
    return q;
  }

  private addBacktrack(j: number, mask: number): void {
    if (j <= this.frozenTop) {
      this.adds.push(ADD_MASK, j, mask, -1);
      return;
    }
    const add = mask & ~this.bt[j];
    if (!add) return;
    this.bt[j] |= add;
    this.backtracks++;
  }
}
