/**
 * The simulator: the machine state (frames, page tables, TLBs, locks), the
 * actors (one kernel program per CPU, written as generators that describe
 * each shared access before yielding), and `perform`, which carries out one
 * described access atomically, feeds the checkers and charges its cost.
 * The simulator never decides who runs: a Scheduler does (schedulers.ts).
 */
import { type Geometry, alignDown, formatVA, indexAt } from './arch.ts';
import { type CostModel, lazyMaxPages } from './costs.ts';
import { Checker } from './checkers.ts';
import { type Layout, type MemoryMap, linearOffset, memstartAddr } from './layout.ts';
import {
  ENTRY_KIND_NAMES,
  ENTRY_NONE,
  ENTRY_TABLE,
  FRAME_FREE,
  PhysMem,
  ROLE_NAMES,
} from './model/memory.ts';
import { LOCK_NAMES, LOCK_SPIN, LOCK_TYPES, Locks, N_LOCKS } from './model/locks.ts';
import { Tlbs } from './model/tlb.ts';
import { Prng } from './prng.ts';
import type { TraceStep } from './results.ts';
import type { StrategyKnobs } from './strategies.ts';

// Operations an actor can describe. Each is one atomic step.
export const OP_NONE = 0;
export const OP_READ = 1;
export const OP_WRITE = 2;
export const OP_XCHG = 3;
export const OP_ALLOC_PAGE = 4;
export const OP_ALLOC_BLOCK = 5;
export const OP_FREE = 6;
export const OP_TLBI_RANGE = 7;
export const OP_TLBI_PGTABLE = 8;
export const OP_TLBI_ALL = 9;
export const OP_LOCK = 10;
export const OP_UNLOCK = 11;
export const OP_READ_LOCK = 12;
export const OP_READ_UNLOCK = 13;
export const OP_WRITE_ENTER = 14;
export const OP_WRITE_LOCK = 15;
export const OP_WRITE_UNLOCK = 16;
export const OP_ACCESS = 17;
export const OP_WORK = 18;
export const OP_VA_ALLOC = 19;
export const OP_VA_LAZY_FREE = 20;
export const OP_PURGE_TAKE = 21;
export const OP_VA_RELEASE = 22;
export const OP_MEM_STATE = 23;
export const OP_DONE = 24;
/** complete(&x): post completion x (a counting semaphore with a FIFO of payloads), e.g. a kthread create request. */
export const OP_COMPLETE = 25;
/** wait_for_completion(&x): enabled once x has been completed; takes the oldest payload into rv. */
export const OP_WAIT_COMPLETION = 26;
/** mutex_trylock(): takes the lock if it is free (rv = 1), else goes on without it (rv = 0); never waits. */
export const OP_TRYLOCK = 27;

/** Step-log marker: a write cleared an entry that pointed to the logged pfn. */
const LOG_CLEARED = -3;

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

export type ActorKind = 'hotremove' | 'hotadd' | 'hotplug' | 'online' | 'vmalloc' | 'ptdump' | 'access' | 'kthreadd';
/**
 * An actor's program: a generator that yields a step code after describing
 * its next shared access, or yields another Program to call it (the
 * simulator keeps the call stack, so resuming an actor costs the same at
 * any depth) and receives that callee's return value.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- allowed because a type alias cannot refer to itself; the interface is what makes Program recursive
export interface Program<R = void> extends Generator<number | Program<unknown>, R, unknown> {}

/** One CPU's kernel program and its pending step. */
export class Actor {
  readonly index: number;
  readonly name: string;
  readonly cpu: number;
  readonly kind: ActorKind;
  /** Actors with the same symmetry class run the same program on interchangeable data. */
  readonly symmetryClass: string;
  /** The program's call stack (innermost last). */
  readonly stack: Program<unknown>[] = [];
  done = false;
  stuck = false;
  /**
   * A kernel thread that waits for work forever (kthreadd): the run may end
   * with it waiting, and that is not a deadlock. Blocked in the middle of its
   * work it still takes part in the waits-for graph.
   */
  daemon = false;
  // The pending step.
  op = OP_NONE;
  fn = '';
  act = '';
  addr = -1;
  f = -1;
  g = 0;
  idx = 0;
  k = 0;
  v = 0;
  size = 0;
  lock = -1;
  /** For OP_COMPLETE / OP_WAIT_COMPLETION: the completion. */
  compl = -1;
  /** This actor's create->done for kthread_run() (kthreadd completes it), or -1 when it starts no threads. */
  kthreadDone = -1;
  role = 0;
  depth = -1;
  /** For OP_FREE: check that no TLB still maps the page (teardown frees; lazy vfree frees do not). */
  checkTlb = true;
  /** For allocation ops: GFP_KERNEL, may sleep. */
  maySleep = false;
  // Results of the last performed step.
  rk = 0;
  rv = 0;
  rf = -1;
  rg = 0;
  // Context.
  locksHeld = 0;
  spinDepth = 0;
  readHeld = 0;
  time = 0;
  readonly lockAcquiredAt = new Float64Array(N_LOCKS);
  /** Random mode: steps this actor stays asleep. */
  sleepSteps = 0;
  /** Workload cursor (owned by the actor's program). */
  opsDone = 0;

  constructor(index: number, name: string, cpu: number, kind: ActorKind, symmetryClass: string) {
    this.index = index;
    this.name = name;
    this.cpu = cpu;
    this.kind = kind;
    this.symmetryClass = symmetryClass;
  }

  private at(op: number, fn: string, act: string, addr: number): number {
    this.op = op;
    this.fn = fn;
    this.act = act;
    this.addr = addr;
    this.maySleep = false;
    return op;
  }

  /** READ_ONCE of entry `idx` of table (f, g). */
  read(fn: string, act: string, f: number, g: number, idx: number, addr: number): number {
    this.f = f;
    this.g = g;
    this.idx = idx;
    return this.at(OP_READ, fn, act, addr);
  }

  /** WRITE_ONCE / set_p?d / p?d_clear of entry `idx` of table (f, g). */
  write(fn: string, act: string, f: number, g: number, idx: number, addr: number, kind: number, val: number): number {
    this.f = f;
    this.g = g;
    this.idx = idx;
    this.k = kind;
    this.v = val;
    return this.at(OP_WRITE, fn, act, addr);
  }

  /** ptep_get_and_clear(). */
  getAndClear(fn: string, act: string, f: number, g: number, idx: number, addr: number): number {
    this.f = f;
    this.g = g;
    this.idx = idx;
    return this.at(OP_XCHG, fn, act, addr);
  }

  allocPage(fn: string, act: string, role: number, depth: number, maySleep: boolean): number {
    this.role = role;
    this.depth = depth;
    this.at(OP_ALLOC_PAGE, fn, act, -1);
    this.maySleep = maySleep;
    return OP_ALLOC_PAGE;
  }

  allocBlock(fn: string, act: string, role: number): number {
    this.role = role;
    this.depth = -1;
    this.at(OP_ALLOC_BLOCK, fn, act, -1);
    this.maySleep = true;
    return OP_ALLOC_BLOCK;
  }

  free(fn: string, act: string, f: number, g: number, addr: number, checkTlb: boolean): number {
    this.f = f;
    this.g = g;
    this.checkTlb = checkTlb;
    return this.at(OP_FREE, fn, act, addr);
  }

  tlbiRange(fn: string, act: string, start: number, end: number): number {
    this.size = end - start;
    return this.at(OP_TLBI_RANGE, fn, act, start);
  }

  tlbiPgtable(fn: string, act: string, addr: number): number {
    return this.at(OP_TLBI_PGTABLE, fn, act, addr);
  }

  tlbiAll(fn: string, act: string): number {
    return this.at(OP_TLBI_ALL, fn, act, -1);
  }

  lockOp(op: number, fn: string, act: string, lock: number): number {
    this.lock = lock;
    return this.at(op, fn, act, -1);
  }

  access(fn: string, act: string, va: number): number {
    return this.at(OP_ACCESS, fn, act, va);
  }

  work(fn: string, act: string, ns: number): number {
    this.size = ns;
    return this.at(OP_WORK, fn, act, -1);
  }

  vaAlloc(fn: string, act: string, size: number, align: number, window: number): number {
    this.size = size;
    this.v = align;
    this.idx = window;
    return this.at(OP_VA_ALLOC, fn, act, -1);
  }

  vaLazyFree(fn: string, act: string, va: number, size: number, window: number): number {
    this.size = size;
    this.idx = window;
    return this.at(OP_VA_LAZY_FREE, fn, act, va);
  }

  purgeTake(fn: string, act: string): number {
    return this.at(OP_PURGE_TAKE, fn, act, -1);
  }

  vaRelease(fn: string, act: string): number {
    return this.at(OP_VA_RELEASE, fn, act, -1);
  }

  /** complete(&x), posting `payload` (kthreadd's queue carries the requester's own completion). */
  complete(fn: string, act: string, compl: number, payload: number): number {
    this.compl = compl;
    this.v = payload;
    return this.at(OP_COMPLETE, fn, act, -1);
  }

  /** wait_for_completion(&x); the payload taken arrives in rv. */
  waitForCompletion(fn: string, act: string, compl: number): number {
    this.compl = compl;
    return this.at(OP_WAIT_COMPLETION, fn, act, -1);
  }

  memState(fn: string, act: string, pa: number, size: number, state: number): number {
    this.v = pa;
    this.size = size;
    this.k = state;
    return this.at(OP_MEM_STATE, fn, act, -1);
  }
}

/** A first-fit allocator of kernel VA within one window (alloc_vmap_area's job). */
export class VaAllocator {
  readonly start: number;
  readonly end: number;
  /** Sorted free intervals [s0, e0, s1, e1, ...]. */
  private free: number[];

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    this.free = [start, end];
  }

  alloc(size: number, align: number): number {
    const f = this.free;
    for (let i = 0; i < f.length; i += 2) {
      const s = Math.ceil(f[i] / align) * align;
      if (s + size <= f[i + 1]) {
        const e = f[i + 1];
        const parts: number[] = [];
        if (s > f[i]) parts.push(f[i], s);
        if (s + size < e) parts.push(s + size, e);
        f.splice(i, 2, ...parts);
        return s;
      }
    }
    return -1;
  }

  release(va: number, size: number): void {
    const f = this.free;
    let i = 0;
    while (i < f.length && f[i] < va) i += 2;
    f.splice(i, 0, va, va + size);
    // Coalesce neighbours.
    for (let j = Math.max(0, i - 2); j + 2 < f.length && j <= i + 2; ) {
      if (f[j + 1] === f[j + 2]) f.splice(j + 1, 2);
      else j += 2;
    }
  }
}

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

interface LatencyLog {
  data: Float64Array;
  n: number;
}

export class Sim {
  readonly opts: SimOptions;
  readonly layout: Layout;
  readonly g: Geometry;
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
  readonly counters = { tlbiPage: 0, tlbiPgtable: 0, tlbiAll: 0, accessFaults: 0, vmallocFailed: 0 };
  private readonly lat: LatencyLog[] = LAT_NAMES.map(() => ({ data: new Float64Array(1024), n: 0 }));
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
  // Step log.
  private logCap: number;
  private logActor: Int16Array;
  private logFn: string[];
  private logAct: string[];
  private logAddr: Float64Array;
  private logFrame: Int32Array;
  private logGen: Uint32Array;
  private logLocks: Int32Array;
  private logTime: Float64Array;
  private logValKind: Int8Array;
  private logValPfn: Float64Array;
  private logOp: Uint8Array;
  /** Role of the frame when the step happened: table depth, or -1 - role for other pages. */
  private logRole: Int8Array;
  /** Choices made (actor index per step), for replay. */
  schedule: number[] = [];
  recordSchedule = true;
  private enabledBuf: Int32Array;
  private readonly spanSize: (depth: number) => number;
  /**
   * Exploration probe (core/explore.ts), null otherwise: a hardware access
   * appends what it read, as records of 4 numbers: [0, frame, index,
   * generation expected] per table entry read, [1, pfn, generation, 0] per
   * leaf whose memory it checks, [2, frame, 0, 0] per child table whose
   * generation it reads. No effect on the run.
   */
  walkProbe: number[] | null = null;
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
    this.layout = opts.layout;
    this.g = opts.layout.geometry;
    this.knobs = opts.knobs;
    this.cost = opts.cost;
    this.memstart = memstartAddr(opts.layout, opts.memory);
    const g = this.g;
    this.mem = new PhysMem({
      poolBasePfn: opts.poolBasePfn,
      staticFrames: 8,
      pages: opts.poolPages,
      blocks: opts.poolBlocks,
      blockPages: g.pmdDepth >= 0 ? g.entrySize[g.pmdDepth] / g.pageSize : 1,
      ptrsPerTable: g.PTRS_PER_PTE,
    });
    this.mem.makeStaticTable(this.root, 0);
    this.tlbs = new Tlbs(opts.cpus, g.pageSize, opts.tlbEntries, opts.walkCacheEntries);
    this.checker = new Checker(this);
    this.jitter = new Prng(Prng.derive(opts.seed, 0x7177));
    this.lazyMax = lazyMaxPages(opts.cpus, g.pageSize);
    this.logCap = opts.traceAll ? 1024 : opts.traceRing;
    this.logActor = new Int16Array(this.logCap);
    this.logFn = new Array<string>(this.logCap).fill('');
    this.logAct = new Array<string>(this.logCap).fill('');
    this.logAddr = new Float64Array(this.logCap);
    this.logFrame = new Int32Array(this.logCap);
    this.logGen = new Uint32Array(this.logCap);
    this.logLocks = new Int32Array(this.logCap);
    this.logTime = new Float64Array(this.logCap);
    this.logValKind = new Int8Array(this.logCap);
    this.logValPfn = new Float64Array(this.logCap);
    this.logOp = new Uint8Array(this.logCap);
    this.logRole = new Int8Array(this.logCap);
    this.enabledBuf = new Int32Array(256);
    // Span of the VA a walk-cache entry for a table of depth d covers.
    this.spanSize = (d: number) => g.entrySize[d - 1];
    for (const r of opts.memory.hotplug) {
      this.sections.push(...splitSections(r.start, r.size, 2 ** opts.memory.sectionSizeBits, r.node ?? 0));
    }
  }

  // ---------------------------------------------------------------- actors

  addActor(name: string, cpu: number, kind: ActorKind, symmetryClass: string, make: (sim: Sim, a: Actor) => Program): Actor {
    const a = new Actor(this.actors.length, name, cpu, kind, symmetryClass);
    this.actors.push(a);
    a.stack.push(make(this, a));
    this.advance(a);
    return a;
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

  /** Can actor a take its pending step now? */
  enabled(a: Actor): boolean {
    if (a.done) return false;
    switch (a.op) {
      case OP_LOCK:
        return this.locks.holder[a.lock] === a.index || this.locks.canLock(a.lock);
      case OP_READ_LOCK:
        // Until the writer's grace period has elapsed (timed mode), readers still see rcu_sync idle.
        return this.locks.canReadLock(a.lock) || (this.opts.timed && this.locks.holder[a.lock] === -1 && a.time < this.locks.graceEnd[a.lock]);
      case OP_WRITE_ENTER:
        return this.locks.canWriteEnter(a.lock);
      case OP_WRITE_LOCK:
        return this.locks.canWriteLock(a.lock, a.index);
      case OP_WAIT_COMPLETION:
        return this.completions[a.compl].payloads.length > 0;
      default:
        return true;
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
    if (sched.pickAll) {
      while (this.steps < maxSteps) {
        if ((this.steps & WAIT_CHECK_MASK) === 0) this.findWaitCycle();
        const i = sched.pickAll(this);
        if (i === NONE_ENABLED) {
          if (this.findWaitCycle()) continue;
          if (!this.allDone()) this.checker.deadlockAllBlocked();
          return RUN_BLOCKED;
        }
        if (i < 0) return RUN_STOPPED;
        this.step(i);
        if (this.opts.stopOnFirstViolation && this.checker.total > 0) return RUN_VIOLATION;
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
        const owner = this.completions[a.compl].owner;
        if (owner >= 0 && owner !== a.index) out.push(owner);
        break;
      }
    }
    return out;
  }

  /** What a blocked actor waits for, in kernel terms, for deadlock reports; `next` is the actor it waits on. */
  describeWait(a: Actor, next: Actor | null): string {
    const who = next ? next.name : 'another CPU';
    switch (a.op) {
      case OP_WAIT_COMPLETION:
        return `${a.name} in ${a.fn} waits for completion ${this.completions[a.compl].name}, which ${who} completes`;
      case OP_READ_LOCK:
        return `${a.name} in ${a.fn} waits to take ${LOCK_NAMES[a.lock]} for read, held for write by ${who}`;
      case OP_WRITE_LOCK:
        return `${a.name} in ${a.fn} waits for the readers of ${LOCK_NAMES[a.lock]} to leave, ${who} among them`;
      case OP_LOCK:
      case OP_WRITE_ENTER:
        return `${a.name} in ${a.fn} waits for ${LOCK_NAMES[a.lock]}, held by ${who}`;
      default:
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
    }
    return true;
  }

  /** A cycle in the waits-for graph among blocked actors, or null. Changes nothing. */
  waitCycle(): Actor[] | null {
    const n = this.actors.length;
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
    this.perform(a);
    this.log(a);
    this.steps++;
    if (a.done) return;
    this.advance(a);
  }

  /** Run actor a's program to its next step description, calling and returning through its stack. */
  private advance(a: Actor): void {
    const stack = a.stack;
    let input: unknown = undefined;
    for (;;) {
      const r = stack[stack.length - 1].next(input);
      if (r.done) {
        stack.pop();
        if (stack.length === 0) {
          a.done = true;
          a.op = OP_DONE;
          a.fn = '';
          return;
        }
        input = r.value;
        continue;
      }
      const v = r.value;
      if (typeof v === 'number') return;
      stack.push(v);
      input = undefined;
    }
  }

  // ------------------------------------------------------------ the steps

  private charge(a: Actor, ns: number): void {
    if (!this.opts.timed) return;
    const j = this.cost.jitter;
    const t = j > 0 ? ns * (1 + j * (2 * this.jitter.next() - 1)) : ns;
    a.time += t;
    if (a.time > this.now) this.now = a.time;
  }

  private perform(a: Actor): void {
    const mem = this.mem;
    const c = this.cost;
    switch (a.op) {
      case OP_READ: {
        if (!mem.isTable(a.f) || mem.gen[a.f] !== a.g) this.checker.uafTableRead(a);
        this.readEntryInto(a);
        this.charge(a, c.entryRead);
        break;
      }
      case OP_WRITE: {
        if (!mem.isTable(a.f) || mem.gen[a.f] !== a.g) this.checker.uafTableWrite(a);
        const ok = mem.kind(a.f, a.idx);
        // Remember what a clear removed, for the trace.
        a.rk = ok;
        a.rv = ok === ENTRY_NONE ? 0 : mem.val(a.f, a.idx);
        if (ok !== ENTRY_NONE && a.k !== ENTRY_NONE && (ok !== a.k || mem.val(a.f, a.idx) !== a.v)) this.checker.bbm(a, ok);
        mem.setEntry(a.f, a.idx, a.k, a.v);
        this.charge(a, c.entryWrite);
        break;
      }
      case OP_XCHG: {
        if (!mem.isTable(a.f) || mem.gen[a.f] !== a.g) this.checker.uafTableWrite(a);
        this.readEntryInto(a);
        mem.setEntry(a.f, a.idx, ENTRY_NONE, 0);
        this.charge(a, c.entryWrite);
        break;
      }
      case OP_ALLOC_PAGE:
      case OP_ALLOC_BLOCK: {
        if (a.maySleep) this.checker.maySleep(a, 'alloc_pages(GFP_KERNEL) may sleep');
        const block = a.op === OP_ALLOC_BLOCK;
        const f = block ? mem.allocBlock(a.role) : mem.allocPage(a.role);
        if (f >= 0 && a.depth >= 0) mem.makeTable(f, a.depth);
        a.rf = f;
        a.rg = f >= 0 ? mem.gen[f] : 0;
        let ns = block ? c.blockAlloc : c.pageAlloc;
        if (a.maySleep && this.opts.timed && this.jitter.next() < c.allocSleepProbability) ns += this.jitter.exponential(c.allocSleepMean);
        this.charge(a, ns);
        break;
      }
      case OP_FREE: {
        if (mem.state[a.f] !== FRAME_FREE) {
          this.checker.beforeFree(a);
          mem.free(a.f);
        }
        this.charge(a, c.pageFree);
        break;
      }
      case OP_TLBI_RANGE: {
        const ps = this.g.pageSize;
        if (a.size > this.g.PTRS_PER_PTE * ps) {
          this.tlbs.invalidateAll();
          this.counters.tlbiAll++;
          this.charge(a, c.tlbiAll + c.tlbiBarrier);
        } else {
          const n = Math.ceil(a.size / ps);
          for (let p = 0; p < n; p++) this.tlbs.invalidateLeafVa(a.addr + p * ps);
          this.counters.tlbiPage += n;
          this.charge(a, n * c.tlbiPage + c.tlbiBarrier);
        }
        break;
      }
      case OP_TLBI_PGTABLE:
        this.tlbs.invalidateVa(a.addr, this.spanSize);
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
        this.release(a, l, c.spinLock);
        this.locks.holder[l] = -1;
        if (LOCK_TYPES[l] === LOCK_SPIN) a.spinDepth--;
        break;
      }
      case OP_READ_LOCK: {
        this.checker.maySleep(a, 'percpu_down_read() may sleep');
        // A reader that was blocked waited for the writer to leave (acquire() moves its clock there).
        if (this.opts.timed) this.locks.readerWaitTotal[a.lock] += Math.max(0, this.locks.freeAt[a.lock] - a.time);
        this.acquire(a, a.lock, c.percpuReadFast);
        this.locks.readers[a.lock]++;
        a.readHeld |= 1 << a.lock;
        break;
      }
      case OP_READ_UNLOCK:
        this.locks.readers[a.lock]--;
        a.readHeld &= ~(1 << a.lock);
        this.release(a, a.lock, c.percpuReadFast);
        break;
      case OP_WRITE_ENTER: {
        this.checker.maySleep(a, 'percpu_down_write() may sleep');
        const locks = this.locks;
        const l = a.lock;
        locks.writer[l] = a.index;
        a.lockAcquiredAt[l] = a.time;
        // rcu_sync_enter() (kernel/rcu/sync.c): from GP_IDLE it waits one grace period, after which every reader
        // takes the slow path; if the previous writer left less than a grace period ago, rcu_sync is still past
        // GP_PASSED and the readers never went back to the fast path: no grace period to wait for.
        if (this.opts.timed) {
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
        const waited = Math.max(0, this.locks.freeAt[a.lock] - a.time);
        if (this.opts.timed && waited > 0) {
          // The wait for in-flight readers to drain.
          a.time += waited;
          this.locks.drainTotal[a.lock] += waited;
          if (a.time > this.now) this.now = a.time;
        }
        // The writer's wait includes its grace period.
        this.locks.recordWait(a.lock, a.time - a.lockAcquiredAt[a.lock]);
        this.locks.holder[a.lock] = a.index;
        a.locksHeld |= 1 << a.lock;
        a.lockAcquiredAt[a.lock] = a.time;
        this.charge(a, c.mutexLock);
        break;
      }
      case OP_WRITE_UNLOCK:
        this.release(a, a.lock, c.mutexLock);
        this.locks.holder[a.lock] = -1;
        this.locks.writer[a.lock] = -1;
        this.locks.graceEnd[a.lock] = Infinity;
        // rcu_sync_exit(): the readers' fast path comes back one grace period from now.
        this.locks.writerLeftAt[a.lock] = a.time;
        break;
      case OP_ACCESS:
        this.hardwareAccess(a);
        break;
      case OP_WORK:
        this.charge(a, a.size * c.work);
        break;
      case OP_VA_ALLOC: {
        const w = this.vaWindows[a.idx];
        a.rv = w.alloc(a.size, a.v);
        this.locks.recordWait(2, 0);
        this.charge(a, c.vmapAreaAlloc);
        break;
      }
      case OP_VA_LAZY_FREE:
        this.purgeList.push(a.addr, a.size, a.idx);
        this.lazyPages += a.size / this.g.pageSize;
        a.rv = this.lazyPages > this.lazyMax ? 1 : 0;
        this.charge(a, c.vmapAreaFree);
        break;
      case OP_PURGE_TAKE: {
        // __purge_vmap_area_lazy(): take the list, compute the flush range.
        this.purging = this.purgeList.splice(0);
        this.lazyPages = 0;
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < this.purging.length; i += 3) {
          lo = Math.min(lo, this.purging[i]);
          hi = Math.max(hi, this.purging[i] + this.purging[i + 1]);
        }
        a.rv = this.purging.length === 0 ? -1 : lo;
        a.size = this.purging.length === 0 ? 0 : hi - lo;
        this.charge(a, c.spinLock);
        break;
      }
      case OP_VA_RELEASE: {
        for (let i = 0; i < this.purging.length; i += 3) this.vaWindows[this.purging[i + 2]].release(this.purging[i], this.purging[i + 1]);
        this.charge(a, c.vmapAreaFree * (this.purging.length / 3));
        this.purging = [];
        break;
      }
      case OP_TRYLOCK: {
        // mutex_trylock(): never waits, never sleeps.
        const l = a.lock;
        if (this.locks.canLock(l)) {
          this.locks.recordWait(l, 0);
          this.locks.holder[l] = a.index;
          a.locksHeld |= 1 << l;
          a.lockAcquiredAt[l] = a.time;
          a.rv = 1;
        } else a.rv = 0;
        this.charge(a, c.mutexLock);
        break;
      }
      case OP_COMPLETE: {
        const x = this.completions[a.compl];
        x.payloads.push(a.v);
        if (a.time > x.completedAt) x.completedAt = a.time;
        this.charge(a, c.spinLock);
        break;
      }
      case OP_WAIT_COMPLETION: {
        const x = this.completions[a.compl];
        a.rv = x.payloads.shift() ?? -1;
        if (this.opts.timed && x.completedAt > a.time) {
          // Woken by the complete(): its clock joins the completer's.
          a.time = x.completedAt + c.lockHandoff;
          if (a.time > this.now) this.now = a.time;
        }
        this.charge(a, c.spinLock);
        break;
      }
      case OP_MEM_STATE: {
        // Going online: does the range's node get its first online memory (node_states_check_changes_online()'s
        // status_change_nid)? The boot node (0) always has some.
        let firstOfNode = a.k === SECTION_ONLINE;
        let node = 0;
        for (const s of this.sections) {
          if (s.start >= a.v && s.start + s.size <= a.v + a.size) node = s.node;
        }
        if (node === 0) firstOfNode = false;
        for (const s of this.sections) {
          if (s.node === node && s.state === SECTION_ONLINE && !(s.start >= a.v && s.start + s.size <= a.v + a.size)) firstOfNode = false;
        }
        a.rv = firstOfNode ? 1 : 0;
        for (const s of this.sections) {
          if (s.start >= a.v && s.start + s.size <= a.v + a.size) {
            s.state = a.k;
            s.gen++;
          }
        }
        if (a.k === SECTION_REMOVED) this.checker.memoryRemoved(a, a.v, a.size);
        this.charge(a, 1);
        break;
      }
      default:
        break;
    }
  }

  private readEntryInto(a: Actor): void {
    const mem = this.mem;
    a.rk = mem.kind(a.f, a.idx);
    a.rv = mem.val(a.f, a.idx);
    const t = a.rk === ENTRY_NONE ? -1 : mem.frameOf(a.rv);
    a.rf = t;
    a.rg = t >= 0 ? mem.gen[t] : 0;
  }

  private acquire(a: Actor, l: number, ns: number): void {
    let waited = 0;
    if (this.opts.timed) {
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
   * swapper_pg_dir using the walk cache, filling both. Result: a.rv = pfn or -1.
   */
  private hardwareAccess(a: Actor): void {
    const g = this.g;
    const mem = this.mem;
    const t = this.tlbs;
    const va = a.addr;
    const cpu = a.cpu;
    const hit = t.lookupLeaf(cpu, va);
    if (hit >= 0) {
      const pfn = t.leafPfn[hit] + Math.floor((va - t.leafVa[hit]) / g.pageSize);
      if (this.walkProbe) this.walkProbe.push(1, t.leafPfn[hit], t.leafGen[hit], 0);
      this.checker.accessThroughTlb(a, t.leafPfn[hit], t.leafGen[hit]);
      a.rv = pfn;
      a.rk = 1;
      this.charge(a, this.cost.memAccess);
      return;
    }
    let f = this.root;
    let fg = mem.gen[f];
    let cost = this.cost.memAccess;
    for (let d = 0; d < g.levels; d++) {
      if (d > 0) {
        const span = alignDown(va, g.entrySize[d - 1]);
        const w = t.lookupWalk(cpu, d, span);
        if (w >= 0) {
          f = t.walkPfn[w] - mem.poolBasePfn;
          fg = t.walkGen[w];
        }
      }
      cost += this.cost.walkLevel;
      if (!mem.isTable(f) || mem.gen[f] !== fg) {
        // The walker follows a pointer (from an entry or its walk cache) into a freed or reused page.
        this.checker.hardwareWalkUaf(a, f, fg);
      }
      const i = indexAt(g, d, va);
      if (this.walkProbe) this.walkProbe.push(0, f, i, fg);
      const k = mem.kind(f, i);
      const v = mem.val(f, i);
      if (k === ENTRY_NONE) {
        a.rv = -1;
        a.rk = 0;
        this.counters.accessFaults++;
        this.charge(a, cost);
        return;
      }
      if (k === ENTRY_TABLE) {
        const child = mem.frameOf(v);
        if (this.walkProbe) this.walkProbe.push(2, child, 0, 0);
        if (d + 1 < g.levels) t.fillWalk(cpu, d + 1, alignDown(va, g.entrySize[d]), v, mem.gen[child]);
        f = child;
        fg = mem.gen[child];
        continue;
      }
      // Leaf (block or page).
      const size = g.entrySize[d];
      const start = alignDown(va, size);
      if (this.walkProbe) this.walkProbe.push(1, v, this.genOfPfn(v), 0);
      t.fillLeaf(cpu, start, size, v, this.genOfPfn(v));
      this.checker.accessThroughTlb(a, v, this.genOfPfn(v));
      a.rv = v + Math.floor((va - start) / g.pageSize);
      a.rk = 1;
      this.charge(a, cost);
      return;
    }
  }

  /** Generation of whatever backs a pfn: an allocator frame, or a hot-pluggable section. */
  genOfPfn(pfn: number): number {
    const f = this.mem.frameOf(pfn);
    if (f >= 0) return this.mem.gen[f];
    const s = this.sectionOfPfn(pfn);
    return s ? s.gen : 0;
  }

  /** Is the memory behind a pfn gone (a freed frame or a removed section)? */
  pfnDead(pfn: number, gen: number): boolean {
    const f = this.mem.frameOf(pfn);
    if (f >= 0) return this.mem.state[f] === FRAME_FREE || this.mem.gen[f] !== gen;
    const s = this.sectionOfPfn(pfn);
    return s !== null && (s.state === SECTION_REMOVED || s.gen !== gen);
  }

  sectionOfPfn(pfn: number): PhysSection | null {
    const pa = pfn * this.g.pageSize;
    for (const s of this.sections) if (pa >= s.start && pa < s.start + s.size) return s;
    return null;
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

  /** vmalloc areas mapped and not yet freed: [va, pages, firstPfn...] kept per area. */
  readonly liveAreas = new Map<number, { pfns: number[]; actor: number }>();

  /** End-of-run checks: every live vmalloc mapping must still be reachable from swapper_pg_dir. */
  finish(): void {
    const g = this.g;
    for (const [va, area] of this.liveAreas) {
      for (let i = 0; i < area.pfns.length; i++) {
        const at = va + i * g.pageSize;
        const got = this.softwareWalk(at);
        if (got !== area.pfns[i]) {
          this.checker.lostMapping(this.actors[area.actor] ?? null, at, got < 0 ? 'the walk from the root finds no entry' : 'the walk reaches another page');
          break;
        }
      }
    }
  }

  /** Translate a VA by walking the live tables from the root (no TLB, no step); pfn or -1. */
  softwareWalk(va: number): number {
    const g = this.g;
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
    const g = this.g;
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
        else if (inRemoved && mem.role[child] !== 4) leaked++;
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
    if (this.opts.traceAll) {
      if (i >= this.logCap) this.growLog();
    } else {
      i = i % this.logCap;
    }
    this.logActor[i] = a.index;
    this.logFn[i] = a.fn;
    this.logAct[i] = a.act;
    this.logAddr[i] = a.addr;
    const usesFrame = a.op === OP_READ || a.op === OP_WRITE || a.op === OP_XCHG || a.op === OP_FREE;
    const isAlloc = a.op === OP_ALLOC_PAGE || a.op === OP_ALLOC_BLOCK;
    const lf = usesFrame ? a.f : isAlloc ? a.rf : -1;
    this.logFrame[i] = lf;
    this.logOp[i] = a.op;
    this.logRole[i] = lf < 0 ? 0 : this.mem.depth[lf] >= 0 && this.mem.role[lf] !== 0 ? this.mem.depth[lf] : -1 - this.mem.role[lf];
    this.logGen[i] = usesFrame ? a.g : isAlloc ? a.rg : 0;
    this.logLocks[i] = a.locksHeld | (a.readHeld << 8);
    this.logTime[i] = a.time;
    if (a.op === OP_WRITE && a.k === ENTRY_NONE && a.rk !== ENTRY_NONE) {
      this.logValKind[i] = LOG_CLEARED;
      this.logValPfn[i] = a.rv;
    } else {
      this.logValKind[i] = a.op === OP_READ || a.op === OP_XCHG ? a.rk : a.op === OP_WRITE ? a.k : -1;
      this.logValPfn[i] = a.op === OP_READ || a.op === OP_XCHG ? a.rv : a.op === OP_WRITE ? a.v : 0;
    }
  }

  private growLog(): void {
    const n = this.logCap * 2;
    const grow = <T extends Int16Array | Int32Array | Uint32Array | Float64Array | Int8Array>(x: T, make: (n: number) => T): T => {
      const y = make(n);
      y.set(x as never);
      return y;
    };
    this.logActor = grow(this.logActor, (k) => new Int16Array(k));
    this.logAddr = grow(this.logAddr, (k) => new Float64Array(k));
    this.logFrame = grow(this.logFrame, (k) => new Int32Array(k));
    this.logGen = grow(this.logGen, (k) => new Uint32Array(k));
    this.logLocks = grow(this.logLocks, (k) => new Int32Array(k));
    this.logTime = grow(this.logTime, (k) => new Float64Array(k));
    this.logValKind = grow(this.logValKind, (k) => new Int8Array(k));
    this.logValPfn = grow(this.logValPfn, (k) => new Float64Array(k));
    this.logOp = grow(this.logOp as unknown as Int8Array, (k) => new Int8Array(k)) as unknown as Uint8Array;
    this.logRole = grow(this.logRole, (k) => new Int8Array(k));
    this.logFn.length = n;
    this.logAct.length = n;
    this.logFn.fill('', this.logCap);
    this.logAct.fill('', this.logCap);
    this.logCap = n;
  }

  /** Oldest step still in the log. */
  firstLoggedStep(): number {
    return this.opts.traceAll ? 0 : Math.max(0, this.steps - this.logCap);
  }

  /** Frame index touched by logged step s (or -1). */
  loggedFrame(s: number): number {
    return this.logFrame[this.opts.traceAll ? s : s % this.logCap];
  }

  loggedActor(s: number): number {
    return this.logActor[this.opts.traceAll ? s : s % this.logCap];
  }

  loggedValPfn(s: number): number {
    const i = this.opts.traceAll ? s : s % this.logCap;
    return this.logValKind[i] > 0 || this.logValKind[i] === LOG_CLEARED ? this.logValPfn[i] : -1;
  }

  loggedFn(s: number): string {
    return this.logFn[this.opts.traceAll ? s : s % this.logCap];
  }

  /** Render logged step s in kernel terms. */
  traceStep(s: number): TraceStep {
    const i = this.opts.traceAll ? s : s % this.logCap;
    const a = this.actors[this.logActor[i]];
    const f = this.logFrame[i];
    const vk = this.logValKind[i];
    let action = this.logAct[i];
    if (vk === LOG_CLEARED) action += ` /* was pfn 0x${this.logValPfn[i].toString(16)} */`;
    else if (vk >= 0) {
      const pfn = this.logValPfn[i];
      if (this.logOp[i] !== OP_WRITE) action += vk === ENTRY_NONE ? ' = none' : ` = ${ENTRY_KIND_NAMES[vk]} pfn 0x${pfn.toString(16)}`;
      else if (vk !== ENTRY_NONE) action += ` /* ${ENTRY_KIND_NAMES[vk]} pfn 0x${pfn.toString(16)} */`;
    }
    const locks: string[] = [];
    const mask = this.logLocks[i];
    for (let l = 0; l < N_LOCKS; l++) {
      if (mask & (1 << l)) locks.push(LOCK_NAMES[l]);
      if (mask & (1 << (l + 8))) locks.push(`${LOCK_NAMES[l]} (read)`);
    }
    const addr = this.logAddr[i];
    return {
      step: s,
      timeNs: this.opts.timed ? Math.round(this.logTime[i]) : null,
      cpu: a.cpu,
      actor: a.name,
      function: this.logFn[i],
      action,
      address: addr >= 0 ? formatVA(this.g, addr) : '',
      frame: f >= 0 ? { pfn: this.mem.pfnOf(f), generation: this.logGen[i], role: this.roleName(this.logRole[i], f) } : null,
      locks,
    };
  }

  private roleName(code: number, f: number): string {
    if (code >= 0) return `${this.g.name[code]} table${this.mem.role[f] === 4 ? ' (static)' : ''}`;
    return ROLE_NAMES[-1 - code] ?? 'page';
  }

  frameRole(f: number): string {
    const d = this.mem.depth[f];
    if (d >= 0 && this.mem.role[f] !== 0) return `${this.g.name[d]} table${this.mem.role[f] === 4 ? ' (static)' : ''}`;
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

