/**
 * The simulator: the machine state (frames, page tables, TLBs, locks), the
 * actors (one kernel program per CPU, written as generators that describe
 * each shared access before yielding), and `perform`, which carries out one
 * described access atomically, feeds the checkers and charges its cost.
 * The simulator never decides who runs: a Scheduler does (schedulers.ts).
 */
import { type Geometry, alignDown, entriesAt, formatVA, indexAt, indexOfEntries } from '../arch.ts';
import { type CostModel, lazyMaxPages } from '../costs.ts';
import { Checker } from '../check/checkers.ts';
import { type Layout, type MemoryMap, linearOffset, memstartAddr } from '../layout.ts';
import { ENTRY_KIND_NAMES, ENTRY_NONE, ENTRY_TABLE, FRAME_FREE, PhysMem, ROLE_NAMES, ROLE_NONE, ROLE_STATIC_TABLE } from '../model/memory.ts';
import { ACQ_EXCL, ACQ_READ, ACQ_WLOCK, type AccessLog, MODE_ADD, MODE_READ, MODE_WRITE, WORD_HOLDER, WORD_READERS, WORD_WRITER } from '../model/access.ts';
import { LOCK_NAMES, LOCK_SPIN, LOCK_TYPES, LOCK_VMAP_AREA, Locks, N_LOCKS, READ_HELD_SHIFT } from '../model/locks.ts';
import { Tlbs } from '../model/tlb.ts';
import { exponentialOf, Prng } from '../prng.ts';
import type { TraceStep, Violation, ViolationKind } from '../results.ts';
import type { StrategyKnobs } from '../strategies.ts';
import { ACCESS_FAULT, ACCESS_MAPPED, OP_ACCESS, OP_ALLOC_BLOCK, OP_ALLOC_PAGE, OP_COMPLETE, OP_DONE, OP_FREE, OP_LOCK, OP_MAY_WAIT, OP_MAY_WAKE, OP_MEM_STATE, OP_NONE, OP_PURGE_TAKE, OP_READ, OP_READ_LOCK, OP_READ_UNLOCK, OP_TLBI_ALL, OP_TLBI_PGTABLE, OP_TLBI_RANGE, OP_TOUCHES_FRAME, OP_TRYLOCK, OP_UNLOCK, OP_VA_ALLOC, OP_VA_LAZY_FREE, OP_VA_RELEASE, OP_WAIT_COMPLETION, OP_WORK, OP_WRITE, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_WRITE_UNLOCK, OP_XCHG } from './ops.ts';
import { type Frame, RESUME_CALL, RESUME_STEP, frameOf } from './routine.ts';
import { Actor, type ActorKind } from './actor.ts';
import { VaAllocator } from './va-allocator.ts';
import { type LoggedStep, newLoggedStep } from './step-log.ts';

/** Static frames at the bottom of the pool: swapper_pg_dir and the fixmap's bm_pud/bm_pmd/bm_pte (kernel image tables, never freed). */
export const STATIC_TABLE_FRAMES = 8;

/** The purge list holds [va, size, window] per lazily freed area. */
const PURGE_RECORD = 3;

/** Roles fit below this: LOG_ROLE packs a frame's depth and role as (depth + 1) * ROLE_CODES + role. */
const ROLE_CODES = 16;

/**
 * A logged frame's role code: its table depth if it is a table, else -1 - role
 * (the step writes depth and role as they are, without this branch, and the readers decode).
 */
function roleOfLogged(packed: number): number {
  const role = packed % ROLE_CODES;
  const depth = (packed - role) / ROLE_CODES - 1;
  return depth >= 0 && role !== ROLE_NONE ? depth : -1 - role;
}

/** Step-log marker: a write cleared an entry that pointed to the logged pfn. */
const LOG_CLEARED = -3;

// A logged step's numeric fields, at these offsets of its LOG_STRIDE slots in Sim.logNum.
const LOG_ACTOR = 0;
const LOG_OP = 1;
const LOG_ADDR = 2;
/** Frame the step touched (table read/written, page freed or allocated), or -1. */
const LOG_FRAME = 3;
/** The frame's table depth and role when the step happened, as logRoleCode() packs them (decoded by roleOfLogged()). */
const LOG_ROLE = 4;
const LOG_GEN = 5;
/** Locks held after the step: exclusive bits, read bits shifted by READ_HELD_SHIFT. */
const LOG_LOCKS = 6;
const LOG_TIME = 7;
/** Entry kind read or written (LOG_CLEARED for a clear of a live entry), or -1. */
const LOG_VAL_KIND = 8;
const LOG_VAL_PFN = 9;
const LOG_STRIDE = 10;

/** Memory section states (hot-pluggable memory). */
export const SECTION_ABSENT = 0;
export const SECTION_ONLINE = 1;
export const SECTION_OFFLINE = 2;
export const SECTION_REMOVED = 3;

/** Latency classes. */
export const LAT_VMALLOC = 0;
export const LAT_VFREE = 1;
export const LAT_HOTREMOVE = 2;
export const LAT_HOTADD = 3;
export const LAT_NAMES = ['vmalloc', 'vfree', 'hotremove', 'hotadd'] as const;




export interface PhysSection {
  start: number;
  size: number;
  state: number;
  gen: number;
  /** NUMA node of the memory (0: the boot node). */
  node: number;
}

/** A completion (include/linux/completion.h), with the FIFO of what each complete() posted. */
export interface Completion {
  name: string;
  /** Posts not yet taken by a waiter. */
  payloads: number[];
  /** Simulated time of the latest complete(). */
  completedAt: number;
  /** The actor whose progress completes it (for the waits-for graph), or -1 if anyone may. */
  owner: number;
}

export interface SimOptions {
  layout: Layout;
  memory: MemoryMap;
  knobs: StrategyKnobs;
  cost: CostModel;
  cpus: number;
  poolPages: number;
  poolBlocks: number;
  seed: number;
  /** Keep every step (small runs) or a ring of the last N (long timed runs). */
  traceAll: boolean;
  traceRing: number;
  stopOnFirstViolation: boolean;
  timed: boolean;
  tlbEntries: number;
  walkCacheEntries: number;
  /** Linear map with block entries (false: pages, as with rodata_full). */
  linearBlocks: boolean;
  /** vmemmap with PMD blocks (false: base pages). */
  vmemmapPmd: boolean;
  /** First pfn of the page allocator's pool (inside boot memory). */
  poolBasePfn: number;
  /**
   * Memory of a machine of the same scenario that nothing uses any more, taken
   * over instead of allocating new arrays (explore builds a machine per
   * execution); its contents are overwritten at boot (PhysMem.copyFrom).
   */
  reuseMem?: PhysMem;
}

/** Interface the schedulers use. */
export interface Scheduler {
  /** Index of the actor to step next among `enabled[0..n)`, or -1 to stop. */
  pick(sim: Sim, enabled: Int32Array, n: number): number;
  /**
   * Optional fast path: pick without a precomputed enabled list (the timed
   * scheduler's hot loop). Returns an actor index, -1 to stop, or NONE_ENABLED.
   */
  pickAll?(sim: Sim): number;
}

/** pickAll(): no actor can take a step. */
export const NONE_ENABLED = -2;

/** Why Sim.run returned: the step limit, the scheduler said stop, no actor can step, or a violation stopped the run. */
export const RUN_LIMIT = 0;
export const RUN_STOPPED = 1;
export const RUN_BLOCKED = 2;
export const RUN_VIOLATION = 3;
export type RunStop = typeof RUN_LIMIT | typeof RUN_STOPPED | typeof RUN_BLOCKED | typeof RUN_VIOLATION;

/** The waits-for graph is also searched every 1024 steps (a cycle among some actors while others run on). */
const WAIT_CHECK_MASK = 1023;

/** Jitter draws made at a time (timed mode): a refill keeps the generator's state in registers, a draw is one load. */
const JITTER_BATCH = 256;

interface LatencyLog {
  data: Float64Array;
  n: number;
}

export class Sim {
  readonly opts: SimOptions;
  /** opts.timed and opts.traceAll, read on every step (a field of the simulator, not of its options). */
  private readonly timed: boolean;
  private readonly traceAll: boolean;
  readonly layout: Layout;
  readonly geometry: Geometry;
  readonly knobs: StrategyKnobs;
  readonly cost: CostModel;
  readonly mem: PhysMem;
  readonly tlbs: Tlbs;
  readonly locks = new Locks();
  readonly checker: Checker;
  readonly actors: Actor[] = [];
  readonly memstart: number;
  /** Root table: swapper_pg_dir (static frame 0). */
  readonly root = 0;
  readonly sections: PhysSection[] = [];
  readonly vaWindows: VaAllocator[] = [];
  /** Completions, by id (Actor.compl). */
  readonly completions: Completion[] = [];
  /** kthreadd's work queue (kthread_create_list): a completion whose posts are the requesters' own completions; -1 without kthreadd. */
  kthreadQueue = -1;
  /** Lazily freed vmap areas waiting for a purge: [va, size, window] triples. */
  readonly purgeList: number[] = [];
  lazyPages = 0;
  readonly lazyMax: number;
  /** Areas taken by the current purger. */
  purging: number[] = [];
  steps = 0;
  /** Simulated time of the latest step (timed mode). */
  now = 0;
  readonly jitter: Prng;
  /**
   * The jitter stream's next draws, taken from `jitter` JITTER_BATCH at a
   * time (timed mode; empty otherwise: only timed steps draw), and the index
   * of the next unused one. Every draw of a timed step comes from here, in
   * order, so the numbers are those one jitter.next() per draw would give.
   */
  private readonly jitterBuf: Float64Array;
  private jitterAt: number;
  /** cost.jitter, read on every charged step. */
  private readonly jitterAmp: number;
  readonly counters = { tlbiPage: 0, tlbiPgtable: 0, tlbiAll: 0, accessFaults: 0, vmallocFailed: 0 };
  private readonly lat: LatencyLog[] = LAT_NAMES.map(() => ({ data: new Float64Array(16), n: 0 }));
  readonly ops = new Float64Array(LAT_NAMES.length);
  /** Ranges hot-removed during the run: [start, end) offsets, for the leak metric. */
  readonly removedRanges: number[] = [];
  /**
   * Leaked table pages as they stood when the last hot-remove completed, or
   * -1 before any did. A run that ends in the middle of a teardown (a timed
   * run's clock runs out) would otherwise count the tables that teardown had
   * emptied and not yet reached as leaked.
   */
  leakedAtLastRemove = -1;
  /**
   * Audit the table pages each hot-remove leaves behind (a walk of every table: a metric of runs). The
   * explorer turns it off: no checker reads it, and it is about a tenth of an execution's time.
   */
  auditLeaks = true;
  // Step log: per step, the numeric fields side by side in one array (LOG_* offsets, LOG_STRIDE per step: a step
  // writes one or two cache lines, not one line in each of a dozen arrays), and the function and action strings.
  private logCap: number;
  /** logCap - 1 when logCap is a power of two (the timed ring), else 0. */
  private readonly logMask: number;
  private logNum: Float64Array;
  private logFn: string[];
  private logAct: string[];
  /**
   * Whether step() writes the step log. Off in a timed run that can rebuild
   * what the log is read for (rebuildLogWith): the log is a fifth of a
   * timed step's cost, and only the first violation of each kind reads it.
   */
  private logging = true;
  /** With the log off: the report of the first violation of a kind at a step, as a run with the log would make it. */
  private violationSource: ((kind: ViolationKind, step: number) => Violation) | null = null;
  /** Choices made (actor index per step), for replay. */
  schedule: number[] = [];
  recordSchedule = true;
  private enabledBuf: Int32Array;
  /**
   * Per actor, for the timed scheduler's scan (TimedScheduler.pickAll): its
   * clock, or Infinity once it is done, and whether its pending op can wait
   * (then enabled() decides). Kept by step(), addActor() and findWaitCycle(),
   * the only places an actor's clock, op or done flag change.
   */
  actorClock = new Float64Array(16);
  actorMayWait = new Uint8Array(16);
  /**
   * Moves whenever an actor may have become able to step that could not
   * before: a lock or completion op was performed, an actor was added, a
   * deadlock took actors out. Between moves only the stepping actor's own
   * clock and op change (what TimedScheduler.pickAll relies on).
   */
  waitEpoch = 0;
  /** Where each step declares what it touches (explore's footprints), or null. */
  private access: AccessLog | null = null;
  /**
   * Series sampling (timed mode): the simulated time of the next sample
   * point (Infinity without a sampler), its spacing, and the callback that
   * records the machine's state there. Sampling happens inside the
   * simulation, as the run's frontier (the latest start time of any step
   * performed) first reaches each point, so where a caller slices the run,
   * and how fast its workload arrives, cannot change what is recorded.
   */
  private sampleAt = Infinity;
  private sampleEvery = 0;
  private sampleIndex = 0;
  private onSample: ((x: number) => void) | null = null;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.timed = opts.timed;
    this.traceAll = opts.traceAll;
    this.layout = opts.layout;
    this.geometry = opts.layout.geometry;
    this.knobs = opts.knobs;
    this.cost = opts.cost;
    this.memstart = memstartAddr(opts.layout, opts.memory);
    const g = this.geometry;
    this.mem = opts.reuseMem ?? new PhysMem({
      poolBasePfn: opts.poolBasePfn,
      staticFrames: STATIC_TABLE_FRAMES,
      pages: opts.poolPages,
      blocks: opts.poolBlocks,
      blockPages: g.pmdDepth >= 0 ? g.entrySize[g.pmdDepth] / g.pageSize : 1,
      ptrsPerTable: g.PTRS_PER_PTE,
    });
    this.mem.makeStaticTable(this.root, 0);
    // A walk-cache entry for a table of depth d covers the VA of one entry of the level above.
    this.tlbs = new Tlbs(opts.cpus, g.pageSize, [0, ...g.entrySize], opts.tlbEntries, opts.walkCacheEntries);
    this.checker = new Checker(this);
    this.jitter = new Prng(Prng.derive(opts.seed, 0x7177));
    this.jitterBuf = new Float64Array(opts.timed ? JITTER_BATCH : 0);
    this.jitterAt = this.jitterBuf.length;
    this.jitterAmp = opts.cost.jitter;
    this.lazyMax = lazyMaxPages(opts.cpus, g.pageSize);
    // A full log starts small and doubles as it fills: explore builds a machine per execution, most a few hundred steps.
    this.logCap = opts.traceAll ? 16 : opts.traceRing;
    this.logMask = !opts.traceAll && this.logCap > 0 && (this.logCap & (this.logCap - 1)) === 0 ? this.logCap - 1 : 0;
    this.logNum = new Float64Array(this.logCap * LOG_STRIDE);
    this.logFn = new Array<string>(this.logCap).fill('');
    this.logAct = new Array<string>(this.logCap).fill('');
    this.enabledBuf = new Int32Array(256);
    for (const r of opts.memory.hotplug) {
      this.sections.push(...splitSections(r.start, r.size, 2 ** opts.memory.sectionSizeBits, r.node ?? 0));
    }
  }

  // ---------------------------------------------------------------- actors

  addActor(name: string, cpu: number, kind: ActorKind, symmetryClass: string, make: (sim: Sim, a: Actor) => Frame): Actor {
    const a = new Actor(this.actors.length, name, cpu, kind, symmetryClass);
    this.actors.push(a);
    const program = frameOf(make(this, a));
    a.stack.push(program);
    this.advance(a);
    if (a.index >= this.actorClock.length) {
      const clock = new Float64Array(this.actorClock.length * 2);
      clock.set(this.actorClock);
      this.actorClock = clock;
      const mayWait = new Uint8Array(this.actorMayWait.length * 2);
      mayWait.set(this.actorMayWait);
      this.actorMayWait = mayWait;
    }
    this.syncActor(a);
    this.waitEpoch++;
    return a;
  }

  /** Refresh actor a's entries of actorClock and actorMayWait. */
  private syncActor(a: Actor): void {
    // Two stores, not `a.done ? Infinity : a.time`: a value that is either a constant or a field's double is
    // boxed (a heap number allocated) on every step.
    if (a.done) this.actorClock[a.index] = Infinity;
    else this.actorClock[a.index] = a.time;
    this.actorMayWait[a.index] = OP_MAY_WAIT[a.op];
  }

  /** A new completion; `owner` is the actor whose progress completes it (-1: anyone). */
  addCompletion(name: string, owner: number): number {
    this.completions.push({ name, payloads: [], completedAt: 0, owner });
    return this.completions.length - 1;
  }

  addVaWindow(start: number, end: number): number {
    this.vaWindows.push(new VaAllocator(start, end));
    return this.vaWindows.length - 1;
  }

  /**
   * Run without the step log. The log is read only to report the first
   * violation of each kind (its trace and narrative), so `source` makes that
   * report instead: core/run/runner.ts gives a replica of this run, from the
   * same inputs, that keeps its log and is advanced to the violation's step
   * (a run is deterministic, so it reports the same violation with the
   * trace this run's log would have given).
   */
  rebuildLogWith(source: (kind: ViolationKind, step: number) => Violation): void {
    this.logging = false;
    this.violationSource = source;
  }

  /**
   * Turn the step log off or on (a replica skips the steps whose log entries
   * the ring would overwrite before anything reads them). The ring's slot is
   * the step number, so a log on for the last `logRing` steps holds exactly
   * what a log on all along would.
   */
  setLogging(on: boolean): void {
    this.logging = on;
  }

  /** Steps the ring keeps (timed runs), or Infinity when every step is kept. */
  get logRing(): number {
    return this.traceAll ? Infinity : this.logCap;
  }

  /** The first violation of `kind`, reported at the current step, from the rebuilt log; null when this run keeps its own log. */
  rebuiltViolation(kind: ViolationKind): Violation | null {
    return this.violationSource === null ? null : this.violationSource(kind, this.steps);
  }

  /** Declare what each step touches to `log` (explore), or stop declaring (null). */
  setAccessLog(log: AccessLog | null): void {
    this.access = log;
    this.tlbs.access = log;
  }

  /** Can actor a take its pending step now? */
  enabled(a: Actor): boolean {
    if (a.done) return false;
    switch (a.op) {
      case OP_LOCK:
        return this.locks.holder[a.lock] === a.index || this.locks.canLock(a.lock);
      case OP_READ_LOCK:
        // Until the writer's grace period has elapsed (timed mode), readers still see rcu_sync idle.
        return this.locks.canReadLock(a.lock) || (this.timed && this.locks.holder[a.lock] === -1 && a.time < this.locks.graceEnd[a.lock]);
      case OP_WRITE_ENTER:
        return this.locks.canWriteEnter(a.lock);
      case OP_WRITE_LOCK:
        return this.locks.canWriteLock(a.lock, a.index);
      case OP_WAIT_COMPLETION:
        return this.completions[a.completion].payloads.length > 0;
      // Never blocks (an unlock, a trylock and a complete() never wait; the memory ops hold no lock of their own).
      case OP_READ:
      case OP_WRITE:
      case OP_XCHG:
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK:
      case OP_FREE:
      case OP_TLBI_RANGE:
      case OP_TLBI_PGTABLE:
      case OP_TLBI_ALL:
      case OP_UNLOCK:
      case OP_READ_UNLOCK:
      case OP_WRITE_UNLOCK:
      case OP_TRYLOCK:
      case OP_ACCESS:
      case OP_WORK:
      case OP_VA_ALLOC:
      case OP_VA_LAZY_FREE:
      case OP_PURGE_TAKE:
      case OP_VA_RELEASE:
      case OP_MEM_STATE:
      case OP_COMPLETE:
        return true;
      // Done, or nothing described (an actor not set up): nothing to step.
      case OP_NONE:
      case OP_DONE:
        return false;
    }
  }

  /** Fill `out` with the enabled actors; returns how many. */
  collectEnabled(out: Int32Array): number {
    let n = 0;
    for (let i = 0; i < this.actors.length; i++) if (this.enabled(this.actors[i])) out[n++] = i;
    return n;
  }

  /** Every actor has finished (a daemon may still be waiting for work). */
  allDone(): boolean {
    for (const a of this.actors) if (!a.done && !a.daemon) return false;
    return true;
  }

  /**
   * Run under a scheduler until it stops, no actor can step, a violation
   * stops the run (stopOnFirstViolation), or `maxSteps` steps in all. Says
   * which: a caller that slices a run calls this again after RUN_LIMIT only,
   * so the run does the same wherever the slices end.
   */
  run(sched: Scheduler, maxSteps: number): RunStop {
    if (this.enabledBuf.length < this.actors.length) this.enabledBuf = new Int32Array(this.actors.length);
    const buf = this.enabledBuf;
    const stopOnViolation = this.opts.stopOnFirstViolation;
    const checker = this.checker;
    if (sched.pickAll) {
      while (this.steps < maxSteps) {
        if ((this.steps & WAIT_CHECK_MASK) === 0) this.findWaitCycle();
        const i = sched.pickAll(this);
        if (i === NONE_ENABLED) {
          if (this.findWaitCycle()) continue;
          if (!this.allDone()) checker.deadlockAllBlocked();
          return RUN_BLOCKED;
        }
        if (i < 0) return RUN_STOPPED;
        this.step(i);
        if (stopOnViolation && checker.total > 0) return RUN_VIOLATION;
      }
      return RUN_LIMIT;
    }
    while (this.steps < maxSteps) {
      const n = this.collectEnabled(buf);
      if (n < this.actors.length && (n === 0 || (this.steps & WAIT_CHECK_MASK) === 0) && this.findWaitCycle()) continue;
      if (n === 0) {
        if (!this.allDone()) this.checker.deadlockAllBlocked();
        return RUN_BLOCKED;
      }
      const i = sched.pick(this, buf, n);
      if (i < 0) return RUN_STOPPED;
      this.step(i);
      if (this.opts.stopOnFirstViolation && this.checker.total > 0) return RUN_VIOLATION;
    }
    return RUN_LIMIT;
  }

  /** The actors a blocked actor waits for (holder, announced writer, or readers of its lock). */
  waitsFor(a: Actor): number[] {
    const l = a.lock;
    const locks = this.locks;
    const out: number[] = [];
    const holderOrWriter = (): void => {
      if (locks.holder[l] >= 0 && locks.holder[l] !== a.index) out.push(locks.holder[l]);
      if (locks.writer[l] >= 0 && locks.writer[l] !== a.index && locks.writer[l] !== locks.holder[l]) out.push(locks.writer[l]);
    };
    const readers = (): void => {
      for (const x of this.actors) if (x !== a && x.readHeld & (1 << l)) out.push(x.index);
    };
    switch (a.op) {
      case OP_LOCK:
        holderOrWriter();
        readers();
        break;
      case OP_READ_LOCK:
      case OP_WRITE_ENTER:
        holderOrWriter();
        break;
      case OP_WRITE_LOCK:
        readers();
        break;
      case OP_WAIT_COMPLETION: {
        // wait_for_completion(): whoever will call complete() (kthreadd, for a kthread being created).
        const owner = this.completions[a.completion].owner;
        if (owner >= 0 && owner !== a.index) out.push(owner);
        break;
      }
      // Steps that never wait wait for nobody.
      case OP_READ:
      case OP_WRITE:
      case OP_XCHG:
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK:
      case OP_FREE:
      case OP_TLBI_RANGE:
      case OP_TLBI_PGTABLE:
      case OP_TLBI_ALL:
      case OP_UNLOCK:
      case OP_READ_UNLOCK:
      case OP_WRITE_UNLOCK:
      case OP_TRYLOCK:
      case OP_ACCESS:
      case OP_WORK:
      case OP_VA_ALLOC:
      case OP_VA_LAZY_FREE:
      case OP_PURGE_TAKE:
      case OP_VA_RELEASE:
      case OP_MEM_STATE:
      case OP_COMPLETE:
      case OP_NONE:
      case OP_DONE:
        break;
    }
    return out;
  }

  /** What a blocked actor waits for, in kernel terms, for deadlock reports; `next` is the actor it waits on. */
  describeWait(a: Actor, next: Actor | null): string {
    const who = next ? next.name : 'another CPU';
    switch (a.op) {
      case OP_WAIT_COMPLETION:
        return `${a.name} in ${a.fn} waits for completion ${this.completions[a.completion].name}, which ${who} completes`;
      case OP_READ_LOCK:
        return `${a.name} in ${a.fn} waits to take ${LOCK_NAMES[a.lock]} for read, held for write by ${who}`;
      case OP_WRITE_LOCK:
        return `${a.name} in ${a.fn} waits for the readers of ${LOCK_NAMES[a.lock]} to leave, ${who} among them`;
      case OP_LOCK:
      case OP_WRITE_ENTER:
        return `${a.name} in ${a.fn} waits for ${LOCK_NAMES[a.lock]}, held by ${who}`;
      case OP_READ:
      case OP_WRITE:
      case OP_XCHG:
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK:
      case OP_FREE:
      case OP_TLBI_RANGE:
      case OP_TLBI_PGTABLE:
      case OP_TLBI_ALL:
      case OP_UNLOCK:
      case OP_READ_UNLOCK:
      case OP_WRITE_UNLOCK:
      case OP_TRYLOCK:
      case OP_ACCESS:
      case OP_WORK:
      case OP_VA_ALLOC:
      case OP_VA_LAZY_FREE:
      case OP_PURGE_TAKE:
      case OP_VA_RELEASE:
      case OP_MEM_STATE:
      case OP_COMPLETE:
      case OP_NONE:
      case OP_DONE:
        return `${a.name} in ${a.fn} cannot go on`;
    }
  }

  /**
   * The waits-for graph among blocked actors: a cycle is a deadlock. Its
   * actors are reported and taken out of the run (stuck), so the others go on.
   * Returns true if a cycle was found.
   */
  findWaitCycle(): boolean {
    const cycle = this.waitCycle();
    if (!cycle) return false;
    this.checker.deadlockCycle(cycle);
    for (const a of cycle) {
      a.done = true;
      a.stuck = true;
      this.syncActor(a);
    }
    this.waitEpoch++;
    return true;
  }

  /** A cycle in the waits-for graph among blocked actors, or null. Changes nothing. */
  waitCycle(): Actor[] | null {
    const n = this.actors.length;
    // The periodic check mostly finds no actor blocked: then there is no cycle, and no search to set up.
    let anyBlocked = false;
    for (let i = 0; i < n && !anyBlocked; i++) anyBlocked = !this.actors[i].done && !this.enabled(this.actors[i]);
    if (!anyBlocked) return null;
    const state = new Uint8Array(n); // 0 unvisited, 1 on the path, 2 done
    const path: number[] = [];
    const blocked = (i: number): boolean => !this.actors[i].done && !this.enabled(this.actors[i]);
    const visit = (i: number): number[] | null => {
      state[i] = 1;
      path.push(i);
      for (const j of this.waitsFor(this.actors[i])) {
        if (!blocked(j)) continue;
        if (state[j] === 1) return path.slice(path.indexOf(j));
        if (state[j] === 0) {
          const c = visit(j);
          if (c) return c;
        }
      }
      path.pop();
      state[i] = 2;
      return null;
    };
    for (let i = 0; i < n; i++) {
      if (state[i] !== 0 || !blocked(i)) continue;
      const cycle = visit(i);
      if (cycle) return cycle.map((k) => this.actors[k]);
    }
    return null;
  }

  /**
   * Call `onSample(x)` for x = every, 2 * every, ... as the run's frontier
   * reaches each x, before the step that reaches it is performed: the
   * state recorded at x is that of every step that started before x.
   */
  setSampler(every: number, onSample: (x: number) => void): void {
    if (!(every > 0)) throw new Error('setSampler: the spacing must be positive');
    this.sampleEvery = every;
    this.sampleIndex = 1;
    this.sampleAt = every;
    this.onSample = onSample;
  }

  /** Record every sample point up to `t` (inclusive) with the state as it stands. */
  sampleThrough(t: number): void {
    const cb = this.onSample;
    if (cb === null) return;
    while (t >= this.sampleAt) {
      cb(this.sampleAt);
      this.sampleIndex++;
      // k * every, not a running sum: the points stay exact however many there are.
      this.sampleAt = this.sampleIndex * this.sampleEvery;
    }
  }

  /** Perform actor i's pending step and advance its program to the next one. */
  step(i: number): void {
    const a = this.actors[i];
    if (a.time >= this.sampleAt) this.sampleThrough(a.time);
    if (this.recordSchedule) this.schedule.push(i);
    const op = a.op;
    this.perform(a);
    if (OP_MAY_WAKE[op] !== 0) this.waitEpoch++;
    if (this.logging) this.log(a);
    this.steps++;
    if (!a.done) this.advance(a);
    this.syncActor(a);
  }

  /** Run actor a's program to its next step description, calling and returning through its stack. */
  private advance(a: Actor): void {
    const stack = a.stack;
    let input: unknown = undefined;
    for (;;) {
      const top = stack[stack.length - 1];
      // The top's resume method, as the actor keeps it: `top.resume` would be a load from whichever routine class
      // is on top, megamorphic on every step. Refreshed whenever the top is another frame (a call, a return, or a
      // stack replaced from outside), so it is always the top's own.
      if (top !== a.topFrame) {
        a.topFrame = top;
        a.topResume = top.resume;
      }
      const k = a.topResume.call(top, input);
      if (k === RESUME_STEP) return;
      if (k === RESUME_CALL) {
        const callee = frameOf(top.callee!);
        stack.push(callee);
        top.callee = null;
        input = undefined;
        continue;
      }
      stack.pop();
      if (stack.length === 0) {
        this.ended(a);
        return;
      }
      input = top.value;
    }
  }

  /** Actor a's program has returned. */
  private ended(a: Actor): void {
    a.done = true;
    a.op = OP_DONE;
    a.fn = '';
  }

  // ------------------------------------------------------------ the steps

  private charge(a: Actor, ns: number): void {
    if (!this.timed) return;
    const j = this.jitterAmp;
    // The factor is 1 without jitter (ns * 1 is ns exactly). Choosing between `ns` (as passed) and a computed
    // double instead would box the cost in a heap number on every step.
    const f = j > 0 ? 1 + j * (2 * this.draw() - 1) : 1;
    const t = a.time + ns * f;
    a.time = t;
    if (t > this.now) this.now = t;
  }

  /** The jitter stream's next number in [0, 1) (timed mode), as jitter.next() would give it. */
  private draw(): number {
    if (this.jitterAt === JITTER_BATCH) this.refillJitter();
    return this.jitterBuf[this.jitterAt++];
  }

  private refillJitter(): void {
    this.jitter.fill(this.jitterBuf);
    this.jitterAt = 0;
  }

  /**
   * Carry out actor a's pending step. This is the one definition of what a
   * step does: each case changes the machine, feeds the checkers, charges
   * the cost, and declares to the attached AccessLog (explore) every shared
   * cell it reads or writes, the checkers' reads included, as it touches it.
   */
  private perform(a: Actor): void {
    const mem = this.mem;
    const c = this.cost;
    const log = this.access;
    const op = a.op;
    switch (op) {
      case OP_READ: {
        if (log !== null) {
          log.entry(a.frame, a.entry, a.gen, MODE_READ);
          log.learn(a.frame, a.gen);
        }
        if (!mem.isTable(a.frame) || mem.gen[a.frame] !== a.gen) this.checker.uafTableRead(a);
        this.readEntryInto(a);
        this.charge(a, c.entryRead);
        break;
      }
      case OP_WRITE: {
        const f = a.frame;
        const i = a.entry;
        if (log !== null) {
          log.entry(f, i, a.gen, MODE_WRITE);
          log.learn(f, a.gen);
        }
        if (!mem.isTable(f) || mem.gen[f] !== a.gen) this.checker.uafTableWrite(a);
        const e = mem.entryIndex(f, i);
        const old = mem.kindAt(e);
        // Remember what a clear removed, for the trace.
        a.resultKind = old;
        a.result = old === ENTRY_NONE ? 0 : mem.valAt(e);
        if (log !== null) {
          if (old !== ENTRY_NONE) this.declareRefChange(log, a.result);
          if (a.newKind !== ENTRY_NONE) {
            const t = mem.frameOf(a.newValue);
            if (t >= 0) {
              log.refs(t, MODE_ADD);
              log.installed(t);
            }
          }
        }
        if (old !== ENTRY_NONE && a.newKind !== ENTRY_NONE && (old !== a.newKind || a.result !== a.newValue)) this.checker.bbm(a, old);
        mem.setEntry(f, i, a.newKind, a.newValue);
        this.charge(a, c.entryWrite);
        break;
      }
      case OP_XCHG: {
        if (log !== null) {
          log.entry(a.frame, a.entry, a.gen, MODE_WRITE);
          log.learn(a.frame, a.gen);
        }
        if (!mem.isTable(a.frame) || mem.gen[a.frame] !== a.gen) this.checker.uafTableWrite(a);
        this.readEntryInto(a);
        if (log !== null && a.resultKind !== ENTRY_NONE) this.declareRefChange(log, a.result);
        mem.setEntry(a.frame, a.entry, ENTRY_NONE, 0);
        this.charge(a, c.entryWrite);
        break;
      }
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK: {
        if (a.maySleep) this.checker.maySleep(a, 'alloc_pages(GFP_KERNEL) may sleep');
        const block = op === OP_ALLOC_BLOCK;
        const f = block ? mem.allocBlock(a.role) : mem.allocPage(a.role);
        if (f >= 0 && a.depth >= 0) mem.makeTable(f, a.depth);
        a.resultFrame = f;
        a.resultGen = f >= 0 ? mem.gen[f] : 0;
        log?.allocated(f, block);
        let ns = block ? c.blockAlloc : c.pageAlloc;
        // The draws exponential() would make, from the same stream.
        if (a.maySleep && this.timed && this.draw() < c.allocSleepProbability) ns += exponentialOf(this.draw(), c.allocSleepMean);
        this.charge(a, ns);
        break;
      }
      case OP_FREE: {
        const f = a.frame;
        log?.freeing(f, a.gen);
        if (mem.state[f] !== FRAME_FREE) {
          // The checks read the references to the frame (and, for a teardown's free, the TLBs: Tlbs declares those).
          log?.refs(f, MODE_READ);
          this.checker.beforeFree(a);
          mem.free(f);
        }
        this.charge(a, c.pageFree);
        break;
      }
      // TLB maintenance, locks, completions, the lazy purge and memory state: a few steps in a thousand of a timed
      // run, performed by performRare(), so that this function's optimized code stays small and is not thrown away
      // (and compiled again) when one of them first runs.
      case OP_TLBI_RANGE:
      case OP_TLBI_PGTABLE:
      case OP_TLBI_ALL:
      case OP_LOCK:
      case OP_UNLOCK:
      case OP_READ_LOCK:
      case OP_READ_UNLOCK:
      case OP_WRITE_ENTER:
      case OP_WRITE_LOCK:
      case OP_WRITE_UNLOCK:
      case OP_TRYLOCK:
      case OP_PURGE_TAKE:
      case OP_VA_RELEASE:
      case OP_COMPLETE:
      case OP_WAIT_COMPLETION:
      case OP_MEM_STATE:
        this.performRare(a);
        break;
      case OP_ACCESS:
        this.hardwareAccess(a);
        if (log !== null && a.resultKind === ACCESS_MAPPED) {
          const t = mem.frameOf(a.result);
          if (t >= 0) log.learn(t, mem.gen[t]);
        }
        break;
      case OP_WORK:
        // Local: touches nothing shared.
        this.charge(a, a.ns * c.work);
        break;
      case OP_VA_ALLOC: {
        log?.vaWindow(a.window);
        a.result = this.vaWindows[a.window].alloc(a.size, a.align);
        this.locks.recordWait(LOCK_VMAP_AREA, 0);
        this.charge(a, c.vmapAreaAlloc);
        break;
      }
      case OP_VA_LAZY_FREE:
        log?.purgeList();
        this.purgeList.push(a.addr, a.size, a.window);
        this.lazyPages += a.size / this.geometry.pageSize;
        a.result = this.lazyPages > this.lazyMax ? 1 : 0;
        this.charge(a, c.vmapAreaFree);
        break;
      case OP_NONE:
      case OP_DONE:
        throw new Error(`${a.name}: no step to perform (${op === OP_DONE ? 'its program has ended' : 'its program has not described one'})`);
    }
  }

  /** The steps perform() hands over (see there): the same one definition of what each does. */
  private performRare(a: Actor): void {
    const c = this.cost;
    const log = this.access;
    const op = a.op;
    switch (op) {
      case OP_TLBI_RANGE: {
        const ps = this.geometry.pageSize;
        if (a.size > this.geometry.PTRS_PER_PTE * ps) {
          // Above MAX_TLBI_OPS pages, flush_tlb_kernel_range() flushes everything.
          this.tlbs.invalidateAll();
          this.counters.tlbiAll++;
          this.charge(a, c.tlbiAll + c.tlbiBarrier);
        } else {
          const n = Math.ceil(a.size / ps);
          this.tlbs.invalidateLeafPages(a.addr, n);
          this.counters.tlbiPage += n;
          this.charge(a, n * c.tlbiPage + c.tlbiBarrier);
        }
        break;
      }
      case OP_TLBI_PGTABLE:
        this.tlbs.invalidateVa(a.addr);
        this.counters.tlbiPgtable++;
        this.charge(a, c.tlbiPgtable);
        break;
      case OP_TLBI_ALL:
        this.tlbs.invalidateAll();
        this.counters.tlbiAll++;
        this.charge(a, c.tlbiAll + c.tlbiBarrier);
        break;
      case OP_LOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_HOLDER, l, MODE_WRITE);
          log.lockWord(WORD_WRITER, l, MODE_READ);
          log.lockWord(WORD_READERS, l, MODE_READ);
          log.acquired(l, ACQ_EXCL);
        }
        if (this.locks.holder[l] === a.index) {
          this.checker.selfDeadlock(a);
          a.done = true;
          a.stuck = true;
          break;
        }
        if (LOCK_TYPES[l] !== LOCK_SPIN) this.checker.maySleep(a, `mutex_lock(&${LOCK_NAMES[l]}) may sleep`);
        this.acquire(a, l, LOCK_TYPES[l] === LOCK_SPIN ? c.spinLock : c.mutexLock);
        this.locks.holder[l] = a.index;
        if (LOCK_TYPES[l] === LOCK_SPIN) a.spinDepth++;
        break;
      }
      case OP_UNLOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_HOLDER, l, MODE_WRITE);
          log.released(l);
        }
        this.release(a, l, c.spinLock);
        this.locks.holder[l] = -1;
        if (LOCK_TYPES[l] === LOCK_SPIN) a.spinDepth--;
        break;
      }
      case OP_READ_LOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_WRITER, l, MODE_READ);
          log.lockWord(WORD_HOLDER, l, MODE_READ);
          log.lockWord(WORD_READERS, l, MODE_ADD);
          log.acquired(l, ACQ_READ);
        }
        this.checker.maySleep(a, 'percpu_down_read() may sleep');
        // A reader that was blocked waited for the writer to leave (acquire() moves its clock there).
        if (this.timed) this.locks.readerWaitTotal[l] += Math.max(0, this.locks.freeAt[l] - a.time);
        this.acquire(a, l, c.percpuReadFast);
        this.locks.readers[l]++;
        a.readHeld |= 1 << l;
        break;
      }
      case OP_READ_UNLOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_READERS, l, MODE_ADD);
          log.released(l);
        }
        this.locks.readers[l]--;
        a.readHeld &= ~(1 << l);
        this.release(a, l, c.percpuReadFast);
        break;
      }
      case OP_WRITE_ENTER: {
        const locks = this.locks;
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_WRITER, l, MODE_WRITE);
          log.lockWord(WORD_HOLDER, l, MODE_READ);
          log.acquired(l, ACQ_EXCL);
        }
        this.checker.maySleep(a, 'percpu_down_write() may sleep');
        locks.writer[l] = a.index;
        a.lockAcquiredAt[l] = a.time;
        // rcu_sync_enter() (kernel/rcu/sync.c): from GP_IDLE it waits one grace period, after which every reader
        // takes the slow path; if the previous writer left less than a grace period ago, rcu_sync is still past
        // GP_PASSED and the readers never went back to the fast path: no grace period to wait for.
        if (this.timed) {
          if (a.time - locks.writerLeftAt[l] < c.rcuGracePeriod) locks.graceSkipped[l]++;
          else {
            const t0 = a.time;
            this.charge(a, c.rcuGracePeriod);
            locks.graceWaited[l]++;
            locks.graceTotal[l] += a.time - t0;
          }
        }
        locks.graceEnd[l] = a.time;
        break;
      }
      case OP_WRITE_LOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_WRITER, l, MODE_READ);
          log.lockWord(WORD_READERS, l, MODE_READ);
          log.lockWord(WORD_HOLDER, l, MODE_WRITE);
          log.acquired(l, ACQ_WLOCK);
        }
        const waited = Math.max(0, this.locks.freeAt[l] - a.time);
        if (this.timed && waited > 0) {
          // The wait for in-flight readers to drain.
          a.time += waited;
          this.locks.drainTotal[l] += waited;
          if (a.time > this.now) this.now = a.time;
        }
        // The writer's wait includes its grace period.
        this.locks.recordWait(l, a.time - a.lockAcquiredAt[l]);
        this.locks.holder[l] = a.index;
        a.locksHeld |= 1 << l;
        a.lockAcquiredAt[l] = a.time;
        this.charge(a, c.mutexLock);
        break;
      }
      case OP_WRITE_UNLOCK: {
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_HOLDER, l, MODE_WRITE);
          log.lockWord(WORD_WRITER, l, MODE_WRITE);
          log.released(l);
        }
        this.release(a, l, c.mutexLock);
        this.locks.holder[l] = -1;
        this.locks.writer[l] = -1;
        this.locks.graceEnd[l] = Infinity;
        // rcu_sync_exit(): the readers' fast path comes back one grace period from now.
        this.locks.writerLeftAt[l] = a.time;
        break;
      }
      case OP_TRYLOCK: {
        // mutex_trylock(): never waits, never sleeps. Always enabled, so its order against an unlock matters
        // (before it, the trylock fails): no enabling acquisition, so that race is reversed.
        const l = a.lock;
        if (log !== null) {
          log.lockWord(WORD_HOLDER, l, MODE_WRITE);
          log.lockWord(WORD_WRITER, l, MODE_READ);
          log.lockWord(WORD_READERS, l, MODE_READ);
        }
        if (this.locks.canLock(l)) {
          this.locks.recordWait(l, 0);
          this.locks.holder[l] = a.index;
          a.locksHeld |= 1 << l;
          a.lockAcquiredAt[l] = a.time;
          a.result = 1;
          log?.tryAcquired(l);
        } else a.result = 0;
        this.charge(a, c.mutexLock);
        break;
      }
      case OP_PURGE_TAKE: {
        // __purge_vmap_area_lazy(): take the list, compute the flush range.
        if (log !== null) {
          log.purgeList();
          log.purging();
        }
        this.purging = this.purgeList.splice(0);
        this.lazyPages = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < this.purging.length; i += PURGE_RECORD) {
          lo = Math.min(lo, this.purging[i]);
          hi = Math.max(hi, this.purging[i] + this.purging[i + 1]);
        }
        a.result = this.purging.length === 0 ? -1 : lo;
        a.resultSize = this.purging.length === 0 ? 0 : hi - lo;
        this.charge(a, c.spinLock);
        break;
      }
      case OP_VA_RELEASE: {
        log?.purging();
        const byWindow = new Map<number, number[]>();
        for (let i = 0; i < this.purging.length; i += PURGE_RECORD) {
          const w = this.purging[i + 2];
          log?.vaWindow(w);
          let list = byWindow.get(w);
          if (!list) byWindow.set(w, (list = []));
          list.push(this.purging[i], this.purging[i + 1]);
        }
        for (const [w, list] of byWindow) this.vaWindows[w].releaseAll(list);
        this.charge(a, c.vmapAreaFree * (this.purging.length / PURGE_RECORD));
        this.purging = [];
        break;
      }
      case OP_COMPLETE: {
        log?.completionPosted(a.completion);
        const x = this.completions[a.completion];
        x.payloads.push(a.payload);
        if (a.time > x.completedAt) x.completedAt = a.time;
        this.charge(a, c.spinLock);
        break;
      }
      case OP_WAIT_COMPLETION: {
        log?.completionTaken(a.completion);
        const x = this.completions[a.completion];
        a.result = x.payloads.shift() ?? -1;
        if (this.timed && x.completedAt > a.time) {
          // Woken by the complete(): its clock joins the completer's.
          a.time = x.completedAt + c.lockHandoff;
          if (a.time > this.now) this.now = a.time;
        }
        this.charge(a, c.spinLock);
        break;
      }
      case OP_MEM_STATE: {
        const lo = a.pa;
        const hi = a.pa + a.size;
        const secs = this.sections;
        // Going online: does the range's node get its first online memory (node_states_check_changes_online()'s
        // status_change_nid)? The boot node (0) always has some; else the node's other sections are read.
        let firstOfNode = false;
        if (a.sectionState === SECTION_ONLINE) {
          let node = 0;
          for (const s of secs) if (s.start >= lo && s.start + s.size <= hi) node = s.node;
          if (node !== 0) {
            firstOfNode = true;
            for (let k = 0; k < secs.length; k++) {
              const s = secs[k];
              if (s.node !== node || (s.start >= lo && s.start + s.size <= hi)) continue;
              log?.section(k, MODE_READ);
              if (s.state === SECTION_ONLINE) firstOfNode = false;
            }
          }
        }
        a.result = firstOfNode ? 1 : 0;
        for (let k = 0; k < secs.length; k++) {
          const s = secs[k];
          if (s.start >= lo && s.start + s.size <= hi) {
            log?.section(k, MODE_WRITE);
            s.state = a.sectionState;
            s.gen++;
          }
        }
        if (a.sectionState === SECTION_REMOVED) this.checker.memoryRemoved(a, a.pa, a.size);
        this.charge(a, 1);
        break;
      }
      case OP_READ:
      case OP_WRITE:
      case OP_XCHG:
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK:
      case OP_FREE:
      case OP_ACCESS:
      case OP_WORK:
      case OP_VA_ALLOC:
      case OP_VA_LAZY_FREE:
      case OP_NONE:
      case OP_DONE:
        throw new Error(`performRare: op ${op} is performed by perform()`);
    }
  }

  /** An entry that pointed at `pfn` changes (cleared or replaced): that frame's reference count changes. */
  private declareRefChange(log: AccessLog, pfn: number): void {
    const t = this.mem.frameOf(pfn);
    if (t >= 0) log.refs(t, MODE_ADD);
  }

  private readEntryInto(a: Actor): void {
    const mem = this.mem;
    const e = mem.entryIndex(a.frame, a.entry);
    const k = mem.kindAt(e);
    const v = mem.valAt(e);
    a.resultKind = k;
    a.result = v;
    const t = k === ENTRY_NONE ? -1 : mem.frameOf(v);
    a.resultFrame = t;
    a.resultGen = t >= 0 ? mem.gen[t] : 0;
    const log = this.access;
    if (log !== null && t >= 0) {
      log.currentGen(t);
      log.learn(t, a.resultGen);
    }
  }

  private acquire(a: Actor, l: number, ns: number): void {
    let waited = 0;
    if (this.timed) {
      waited = Math.max(0, this.locks.freeAt[l] - a.time);
      if (waited > 0) {
        a.time += waited + this.cost.lockHandoff;
        if (a.time > this.now) this.now = a.time;
      }
    }
    this.locks.recordWait(l, waited);
    a.locksHeld |= 1 << l;
    a.lockAcquiredAt[l] = a.time;
    this.charge(a, ns);
  }

  private release(a: Actor, l: number, ns: number): void {
    this.charge(a, ns);
    a.locksHeld &= ~(1 << l);
    this.locks.recordHold(l, a.time - a.lockAcquiredAt[l]);
    if (a.time > this.locks.freeAt[l]) this.locks.freeAt[l] = a.time;
  }

  /**
   * A CPU load/store at a.addr: TLB hit, or a hardware walk from
   * swapper_pg_dir using the walk cache, filling both. Result: a.result =
   * pfn (resultKind ACCESS_MAPPED) or -1 (ACCESS_FAULT). The TLB model
   * declares its lookups and fills; the walk declares the entries it reads.
   */
  private hardwareAccess(a: Actor): void {
    const g = this.geometry;
    const mem = this.mem;
    const t = this.tlbs;
    const log = this.access;
    const va = a.addr;
    const cpu = a.cpu;
    const hit = t.lookupLeaf(cpu, va);
    if (hit >= 0) {
      // Page offsets by the exact reciprocal of the page size (a power of two), as below: no division on an access.
      const pfn = t.leafPfn[hit] + Math.floor((va - t.leafVa[hit]) * g.entryScale[g.levels - 1]);
      this.checker.accessThroughTlb(a, t.leafPfn[hit], t.leafGen[hit]);
      a.result = pfn;
      a.resultKind = ACCESS_MAPPED;
      this.charge(a, this.cost.memAccess);
      return;
    }
    let f = this.root;
    let fg = mem.gen[f];
    let cost = this.cost.memAccess;
    const walkLevel = this.cost.walkLevel;
    const levels = g.levels;
    // The span of the table the walk is in: the VA aligned down to the entry size of the level above (filled into the
    // walk cache by that level, and looked up by this one).
    let span = 0;
    for (let d = 0; d < levels; d++) {
      if (d > 0) {
        const w = t.lookupWalk(cpu, d, span);
        if (w >= 0) {
          f = t.walkPfn[w] - mem.poolBasePfn;
          fg = t.walkGen[w];
        }
      }
      cost += walkLevel;
      // The VA in entries of this level, and so its index here and its entry's span.
      const q = entriesAt(g, d, va);
      const i = indexOfEntries(g, d, q);
      log?.entry(f, i, fg, MODE_READ);
      if (!mem.isTable(f) || mem.gen[f] !== fg) {
        // The walker follows a pointer (from an entry or its walk cache) into a freed or reused page.
        this.checker.hardwareWalkUaf(a, f, fg);
      }
      const e = mem.entryIndex(f, i);
      const k = mem.kindAt(e);
      if (k === ENTRY_NONE) {
        a.result = -1;
        a.resultKind = ACCESS_FAULT;
        this.counters.accessFaults++;
        this.charge(a, cost);
        return;
      }
      const v = mem.valAt(e);
      if (k === ENTRY_TABLE) {
        const child = mem.frameOf(v);
        const childGen = mem.gen[child];
        if (child >= 0) log?.currentGen(child);
        span = q * g.entrySize[d];
        if (d + 1 < levels) t.fillWalk(cpu, d + 1, span, v, childGen);
        f = child;
        fg = childGen;
        continue;
      }
      // Leaf (block or page).
      const size = g.entrySize[d];
      const start = q * size;
      const gen = this.genOfPfn(v);
      t.fillLeaf(cpu, start, size, v, gen);
      this.checker.accessThroughTlb(a, v, gen);
      a.result = v + Math.floor((va - start) * g.entryScale[levels - 1]);
      a.resultKind = ACCESS_MAPPED;
      this.charge(a, cost);
      return;
    }
  }

  /** Generation of whatever backs a pfn: an allocator frame, or a hot-pluggable section. */
  genOfPfn(pfn: number): number {
    const f = this.mem.frameOf(pfn);
    return f >= 0 ? this.mem.gen[f] : this.sectionGenOfPfn(pfn);
  }

  /** Is the memory behind a pfn gone (a freed frame or a removed section)? Declared as a read of that incarnation or section. */
  pfnDead(pfn: number, gen: number): boolean {
    // Every simulated memory access asks this: the sections' part is apart, so that the frames' part stays small
    // enough for the optimizing compiler to inline into the hardware walk.
    const f = this.mem.frameOf(pfn);
    if (f < 0) return this.sectionDead(pfn, gen);
    this.access?.incarnation(f, gen, MODE_READ);
    return this.mem.state[f] === FRAME_FREE || this.mem.gen[f] !== gen;
  }

  /** genOfPfn() of a pfn outside the allocator's frames: a hot-pluggable section's generation, or 0. */
  private sectionGenOfPfn(pfn: number): number {
    const s = this.sectionIndexOfPfn(pfn);
    return s >= 0 ? this.sections[s].gen : 0;
  }

  /** pfnDead() of a pfn outside the allocator's frames. */
  private sectionDead(pfn: number, gen: number): boolean {
    const k = this.sectionIndexOfPfn(pfn);
    if (k < 0) return false;
    this.access?.section(k, MODE_READ);
    const s = this.sections[k];
    return s.state === SECTION_REMOVED || s.gen !== gen;
  }

  private sectionIndexOfPfn(pfn: number): number {
    const pa = pfn * this.geometry.pageSize;
    const secs = this.sections;
    for (let k = 0; k < secs.length; k++) if (pa >= secs[k].start && pa < secs[k].start + secs[k].size) return k;
    return -1;
  }

  // ------------------------------------------- state programs read between steps
  // (What programs write between steps — latencies, liveAreas, removedRanges, leakedAtLastRemove, counters — is
  // bookkeeping that only the metrics and the end-of-run checks read: no step depends on it.)

  /**
   * Is any section of [pa, pa + size) present (added, not removed)? A read a
   * program makes between its steps: it belongs to the step just performed
   * (nothing runs between a step and its actor's advance), and is declared
   * with it.
   */
  sectionsPresent(pa: number, size: number): boolean {
    let present = false;
    const secs = this.sections;
    for (let k = 0; k < secs.length; k++) {
      const s = secs[k];
      if (s.start >= pa && s.start < pa + size) {
        this.access?.section(k, MODE_READ);
        if (s.state !== SECTION_ABSENT && s.state !== SECTION_REMOVED) present = true;
      }
    }
    return present;
  }

  /** Is the section that starts at `pa` online? (Read between steps, like sectionsPresent.) */
  sectionOnline(pa: number): boolean {
    let online = false;
    const secs = this.sections;
    for (let k = 0; k < secs.length; k++) {
      const s = secs[k];
      if (s.start === pa) {
        this.access?.section(k, MODE_READ);
        if (s.state === SECTION_ONLINE) online = true;
      }
    }
    return online;
  }

  // ------------------------------------------------------ run boundaries

  /** Forget the boot phase: steps, schedule, counters and log start from zero. */
  resetAfterBoot(): void {
    this.steps = 0;
    this.schedule = [];
    this.now = 0;
    this.counters.tlbiPage = 0;
    this.counters.tlbiPgtable = 0;
    this.counters.tlbiAll = 0;
    this.counters.accessFaults = 0;
    this.mem.tablesAllocated = 0;
    this.mem.tablesFreed = 0;
    for (const l of this.lat) l.n = 0;
    this.ops.fill(0);
    this.tlbs.invalidateAll();
    this.removedRanges.length = 0;
    this.leakedAtLastRemove = -1;
  }

  /** vmalloc areas mapped and not yet freed, by VA: their pages' frames (pfnOf() gives the pfns) and owner. */
  readonly liveAreas = new Map<number, { frames: readonly number[]; actor: number }>();

  /** End-of-run checks: every live vmalloc mapping must still be reachable from swapper_pg_dir. */
  finish(): void {
    const g = this.geometry;
    for (const [va, area] of this.liveAreas) {
      for (let i = 0; i < area.frames.length; i++) {
        const at = va + i * g.pageSize;
        const got = this.softwareWalk(at);
        if (got !== this.mem.pfnOf(area.frames[i])) {
          this.checker.lostMapping(this.actors[area.actor] ?? null, at, got < 0 ? 'the walk from the root finds no entry' : 'the walk reaches another page');
          break;
        }
      }
    }
  }

  /** Translate a VA by walking the live tables from the root (no TLB, no step); pfn or -1. */
  softwareWalk(va: number): number {
    const g = this.geometry;
    const mem = this.mem;
    let f = this.root;
    for (let d = 0; d < g.levels; d++) {
      const i = indexAt(g, d, va);
      const k = mem.kind(f, i);
      const v = mem.val(f, i);
      if (k === ENTRY_NONE) return -1;
      if (k === ENTRY_TABLE) {
        f = mem.frameOf(v);
        if (f < 0) return -1;
        continue;
      }
      return v + Math.floor((va - alignDown(va, g.entrySize[d])) / g.pageSize);
    }
    return -1;
  }

  // ------------------------------------------------------------- metrics

  recordLatency(cls: number, ns: number): void {
    const l = this.lat[cls];
    if (l.n === l.data.length) {
      const d = new Float64Array(l.data.length * 2);
      d.set(l.data);
      l.data = d;
    }
    l.data[l.n++] = ns;
    this.ops[cls]++;
  }

  latencies(cls: number): Float64Array {
    const l = this.lat[cls];
    return l.data.subarray(0, l.n);
  }

  /**
   * Table pages left behind by hot-remove: linked tables whose span touches
   * a hot-removed range and whose whole subtree maps nothing (no leaf).
   */
  leakedTables(): number {
    const g = this.geometry;
    const mem = this.mem;
    let leaked = 0;
    // Returns true if the subtree of table f (depth d) maps at least one leaf.
    const visit = (f: number, d: number, base: number): boolean => {
      let mapsLeaf = false;
      const n = g.ptrs[d];
      for (let i = 0; i < n; i++) {
        const k = mem.kind(f, i);
        if (k === ENTRY_NONE) continue;
        if (k !== ENTRY_TABLE || d === g.levels - 1) {
          mapsLeaf = true;
          continue;
        }
        const start = base + i * g.entrySize[d];
        const child = mem.frameOf(mem.val(f, i));
        if (child < 0 || !mem.isTable(child)) continue;
        const inRemoved = this.touchesRemoved(start, start + g.entrySize[d]);
        const childMaps = visit(child, d + 1, start);
        if (childMaps) mapsLeaf = true;
        else if (inRemoved && mem.role[child] !== ROLE_STATIC_TABLE) leaked++;
      }
      return mapsLeaf;
    };
    visit(this.root, 0, 0);
    return leaked;
  }

  private touchesRemoved(start: number, end: number): boolean {
    const r = this.removedRanges;
    for (let i = 0; i < r.length; i += 2) if (r[i] < end && r[i + 1] > start) return true;
    return false;
  }

  // --------------------------------------------------------- the step log

  private log(a: Actor): void {
    let i = this.steps;
    if (this.traceAll) {
      if (i >= this.logCap) this.growLog();
    } else {
      // The ring's slot: a mask when its size is a power of two (an integer division costs more than the rest).
      i = this.logMask !== 0 && i <= 0x7fffffff ? i & this.logMask : i % this.logCap;
    }
    const op = a.op;
    this.logFn[i] = a.fn;
    this.logAct[i] = a.act;
    const L = this.logNum;
    const o = i * LOG_STRIDE;
    const usesFrame = OP_TOUCHES_FRAME[op] !== 0;
    const isAlloc = op === OP_ALLOC_PAGE || op === OP_ALLOC_BLOCK;
    const lf = usesFrame ? a.frame : isAlloc ? a.resultFrame : -1;
    const mem = this.mem;
    L[o + LOG_ACTOR] = a.index;
    L[o + LOG_OP] = op;
    L[o + LOG_ADDR] = a.addr;
    L[o + LOG_FRAME] = lf;
    L[o + LOG_ROLE] = lf < 0 ? 0 : (mem.depth[lf] + 1) * ROLE_CODES + mem.role[lf];
    L[o + LOG_GEN] = usesFrame ? a.gen : isAlloc ? a.resultGen : 0;
    L[o + LOG_LOCKS] = a.locksHeld | (a.readHeld << READ_HELD_SHIFT);
    L[o + LOG_TIME] = a.time;
    if (op === OP_WRITE) {
      if (a.newKind === ENTRY_NONE && a.resultKind !== ENTRY_NONE) {
        L[o + LOG_VAL_KIND] = LOG_CLEARED;
        L[o + LOG_VAL_PFN] = a.result;
      } else {
        L[o + LOG_VAL_KIND] = a.newKind;
        L[o + LOG_VAL_PFN] = a.newValue;
      }
    } else if (op === OP_READ || op === OP_XCHG) {
      L[o + LOG_VAL_KIND] = a.resultKind;
      L[o + LOG_VAL_PFN] = a.result;
    } else {
      L[o + LOG_VAL_KIND] = -1;
      L[o + LOG_VAL_PFN] = 0;
    }
  }

  private growLog(): void {
    const n = this.logCap * 2;
    const num = new Float64Array(n * LOG_STRIDE);
    num.set(this.logNum);
    this.logNum = num;
    this.logFn.length = n;
    this.logAct.length = n;
    this.logFn.fill('', this.logCap);
    this.logAct.fill('', this.logCap);
    this.logCap = n;
  }

  /** Where logged step s's numeric fields start in logNum. */
  private logAt(s: number): number {
    return (this.traceAll ? s : s % this.logCap) * LOG_STRIDE;
  }

  /** Oldest step still in the log. */
  firstLoggedStep(): number {
    return this.traceAll ? 0 : Math.max(0, this.steps - this.logCap);
  }

  /** Frame index touched by logged step s (or -1). */
  loggedFrame(s: number): number {
    return this.logNum[this.logAt(s) + LOG_FRAME];
  }

  loggedActor(s: number): number {
    return this.logNum[this.logAt(s) + LOG_ACTOR];
  }

  loggedValPfn(s: number): number {
    const o = this.logAt(s);
    const vk = this.logNum[o + LOG_VAL_KIND];
    return vk > 0 || vk === LOG_CLEARED ? this.logNum[o + LOG_VAL_PFN] : -1;
  }

  loggedFn(s: number): string {
    return this.logFn[this.traceAll ? s : s % this.logCap];
  }

  /** Logged step s with its structured fields (core/narrative.ts's causal analysis reads these, not the action text). */
  loggedStep(s: number, out: LoggedStep = newLoggedStep()): LoggedStep {
    const i = this.traceAll ? s : s % this.logCap;
    const L = this.logNum;
    const o = i * LOG_STRIDE;
    const vk = L[o + LOG_VAL_KIND];
    const role = roleOfLogged(L[o + LOG_ROLE]);
    out.actor = L[o + LOG_ACTOR];
    out.op = L[o + LOG_OP];
    out.frame = L[o + LOG_FRAME];
    out.gen = L[o + LOG_GEN];
    out.depth = out.frame >= 0 && role >= 0 ? role : -1;
    out.addr = L[o + LOG_ADDR];
    out.cleared = vk === LOG_CLEARED;
    out.valKind = out.cleared ? ENTRY_NONE : vk;
    out.valPfn = L[o + LOG_VAL_PFN];
    out.locks = L[o + LOG_LOCKS];
    out.fn = this.logFn[i];
    out.act = this.logAct[i];
    return out;
  }

  /** Render logged step s in kernel terms. */
  traceStep(s: number): TraceStep {
    const i = this.traceAll ? s : s % this.logCap;
    const L = this.logNum;
    const o = i * LOG_STRIDE;
    const a = this.actors[L[o + LOG_ACTOR]];
    const f = L[o + LOG_FRAME];
    const vk = L[o + LOG_VAL_KIND];
    let action = this.logAct[i];
    if (vk === LOG_CLEARED) action += ` /* was pfn 0x${L[o + LOG_VAL_PFN].toString(16)} */`;
    else if (vk >= 0) {
      const pfn = L[o + LOG_VAL_PFN];
      if (L[o + LOG_OP] !== OP_WRITE) action += vk === ENTRY_NONE ? ' = none' : ` = ${ENTRY_KIND_NAMES[vk]} pfn 0x${pfn.toString(16)}`;
      else if (vk !== ENTRY_NONE) action += ` /* ${ENTRY_KIND_NAMES[vk]} pfn 0x${pfn.toString(16)} */`;
    }
    const locks: string[] = [];
    const mask = L[o + LOG_LOCKS];
    for (let l = 0; l < N_LOCKS; l++) {
      if (mask & (1 << l)) locks.push(LOCK_NAMES[l]);
      if (mask & (1 << (l + READ_HELD_SHIFT))) locks.push(`${LOCK_NAMES[l]} (read)`);
    }
    const addr = L[o + LOG_ADDR];
    return {
      step: s,
      timeNs: this.timed ? Math.round(L[o + LOG_TIME]) : null,
      cpu: a.cpu,
      actor: a.name,
      function: this.logFn[i],
      action,
      address: addr >= 0 ? formatVA(this.geometry, addr) : '',
      frame: f >= 0 ? { pfn: this.mem.pfnOf(f), generation: L[o + LOG_GEN], role: this.roleName(roleOfLogged(L[o + LOG_ROLE]), f) } : null,
      locks,
    };
  }

  private roleName(code: number, f: number): string {
    if (code >= 0) return `${this.geometry.name[code]} table${this.mem.role[f] === ROLE_STATIC_TABLE ? ' (static)' : ''}`;
    return ROLE_NAMES[-1 - code] ?? 'page';
  }

  frameRole(f: number): string {
    const d = this.mem.depth[f];
    if (d >= 0 && this.mem.role[f] !== ROLE_NONE) return `${this.geometry.name[d]} table${this.mem.role[f] === ROLE_STATIC_TABLE ? ' (static)' : ''}`;
    return ROLE_NAMES[this.mem.role[f]] ?? 'page';
  }

  /** Linear-map offset of a physical address. */
  linear(pa: number): number {
    return linearOffset(this.layout, this.memstart, pa);
  }
}

function splitSections(start: number, size: number, sectionSize: number, node: number): PhysSection[] {
  const out: PhysSection[] = [];
  for (let s = start; s < start + size; s += sectionSize) out.push({ start: s, size: Math.min(sectionSize, start + size - s), state: SECTION_ABSENT, gen: 0, node });
  return out;
}
