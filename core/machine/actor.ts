/**
 * One CPU's kernel program and its pending step: the describing methods fill
 * the step's operands, Sim.perform carries it out and fills the results.
 */
import { N_LOCKS } from '../model/locks.ts';
import { type LockOp, OP_ACCESS, OP_ALLOC_BLOCK, OP_ALLOC_PAGE, OP_COMPLETE, OP_FREE, OP_MEM_STATE, OP_NONE, OP_PURGE_TAKE, OP_READ, OP_TLBI_ALL, OP_TLBI_PGTABLE, OP_TLBI_RANGE, OP_VA_ALLOC, OP_VA_LAZY_FREE, OP_VA_RELEASE, OP_WAIT_COMPLETION, OP_WORK, OP_WRITE, OP_XCHG, type Op } from './ops.ts';
import { noProgram, type Resume, Routine } from './routine.ts';

export type ActorKind = 'hotremove' | 'hotadd' | 'hotplug' | 'online' | 'vmalloc' | 'ptdump' | 'access' | 'kthreadd';

/**
 * One CPU's kernel program and its pending step. The describing methods
 * (read, write, allocPage, ...) fill the operands of the step and return its
 * op for the program to yield; `perform` fills the results.
 */
export class Actor {
  readonly index: number;
  readonly name: string;
  readonly cpu: number;
  readonly kind: ActorKind;
  /** Actors with the same symmetry class run the same program on interchangeable data. */
  readonly symmetryClass: string;
  /** The program's call stack (innermost last). */
  readonly stack: Routine<unknown>[] = [];
  /**
   * The stack's top as Sim.advance() last resumed it, and its resume method:
   * every step resumes the top, and loading `resume` from whichever routine
   * class is on top is a megamorphic load; from the actor it is one load.
   * advance() refreshes both whenever the top is another frame.
   */
  topFrame: Routine<unknown> | null = null;
  topResume: (this: Routine<unknown>, input: unknown) => Resume = noProgram;
  done = false;
  stuck = false;
  /**
   * A kernel thread that waits for work forever (kthreadd): the run may end
   * with it waiting, and that is not a deadlock. Blocked in the middle of its
   * work it still takes part in the waits-for graph.
   */
  daemon = false;
  // ---- The pending step: which op, where in the kernel, and its operands.
  op: Op = OP_NONE;
  /** Kernel function and C expression, for the trace. */
  fn = '';
  act = '';
  /** Virtual address the step concerns, or -1. */
  addr = -1;
  /** Table (entry ops) or page (free) the step uses, and the incarnation the actor knows it by. */
  frame = -1;
  gen = 0;
  /** Entry index within the table. */
  entry = 0;
  /** OP_WRITE: the entry written (kind and target pfn). */
  newKind = 0;
  newValue = 0;
  /** Bytes: the TLBI range, the VA area (OP_VA_ALLOC, OP_VA_LAZY_FREE), the memory range (OP_MEM_STATE). */
  size = 0;
  /** OP_VA_ALLOC: alignment in bytes. */
  align = 0;
  /** OP_VA_ALLOC / OP_VA_LAZY_FREE: the vmap VA window. */
  window = 0;
  /** OP_WORK: nanoseconds of local work. */
  ns = 0;
  /** Lock ops: the lock. */
  lock = -1;
  /** OP_COMPLETE / OP_WAIT_COMPLETION: the completion; OP_COMPLETE: what it posts. */
  completion = -1;
  payload = 0;
  /** OP_MEM_STATE: physical start of the range and the sections' new state. */
  pa = 0;
  sectionState = 0;
  /** This actor's create->done for kthread_run() (kthreadd completes it), or -1 when it starts no threads. */
  kthreadDone = -1;
  /** Allocation ops: role of the frame, and table depth (-1: not a table). */
  role = 0;
  depth = -1;
  /** For OP_FREE: check that no TLB still maps the page (teardown frees; lazy vfree frees do not). */
  checkTlb = true;
  /** For allocation ops: GFP_KERNEL, may sleep. */
  maySleep = false;
  // ---- Results of the last performed step.
  /** An entry read: its kind (OP_ACCESS: ACCESS_MAPPED or ACCESS_FAULT). */
  resultKind = 0;
  /**
   * The step's value: an entry's target pfn, the VA allocated (-1: none), the
   * pfn an access reached, a flag (lazy purge due, trylock taken, first memory
   * of its node), the purge range start, a completion's payload.
   */
  result = 0;
  /** The frame an entry read pointed to, or that an allocation returned (-1: none), and its incarnation. */
  resultFrame = -1;
  resultGen = 0;
  /** OP_PURGE_TAKE: length of the range to flush. */
  resultSize = 0;
  // ---- Context.
  locksHeld = 0;
  spinDepth = 0;
  readHeld = 0;
  time = 0;
  readonly lockAcquiredAt = new Float64Array(N_LOCKS);
  /**
   * Routines kept for reuse by the kernel routine that made them, by a slot
   * each module names (a vmalloc/vfree loop would otherwise build a state
   * machine and its arrays for every call).
   */
  readonly routineCache: (Routine<unknown> | undefined)[] = [];

  constructor(index: number, name: string, cpu: number, kind: ActorKind, symmetryClass: string) {
    this.index = index;
    this.name = name;
    this.cpu = cpu;
    this.kind = kind;
    this.symmetryClass = symmetryClass;
    // The fields that come to hold doubles (addresses above 2^31, clocks) hold one from the start: a field that
    // first holds a small integer changes representation at its first double, which throws away the optimized
    // code of every function that read an actor (once per field, early in each new process).
    this.addr = this.newValue = this.size = this.align = this.ns = this.pa = this.result = this.resultSize = this.time = 0.5;
    this.addr = -1;
    this.newValue = this.size = this.align = this.ns = this.pa = this.result = this.resultSize = this.time = 0;
  }

  private at<O extends Op>(op: O, fn: string, act: string, addr: number): O {
    this.op = op;
    this.fn = fn;
    this.act = act;
    this.addr = addr;
    this.maySleep = false;
    return op;
  }

  /** READ_ONCE of entry `entry` of table (frame, gen). */
  read(fn: string, act: string, frame: number, gen: number, entry: number, addr: number): number {
    this.frame = frame;
    this.gen = gen;
    this.entry = entry;
    return this.at(OP_READ, fn, act, addr);
  }

  /** WRITE_ONCE / set_p?d / p?d_clear of entry `entry` of table (frame, gen). */
  write(fn: string, act: string, frame: number, gen: number, entry: number, addr: number, kind: number, value: number): number {
    this.frame = frame;
    this.gen = gen;
    this.entry = entry;
    this.newKind = kind;
    this.newValue = value;
    return this.at(OP_WRITE, fn, act, addr);
  }

  /** ptep_get_and_clear(). */
  getAndClear(fn: string, act: string, frame: number, gen: number, entry: number, addr: number): number {
    this.frame = frame;
    this.gen = gen;
    this.entry = entry;
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

  free(fn: string, act: string, frame: number, gen: number, addr: number, checkTlb: boolean): number {
    this.frame = frame;
    this.gen = gen;
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

  lockOp(op: LockOp, fn: string, act: string, lock: number): number {
    this.lock = lock;
    return this.at(op, fn, act, -1);
  }

  access(fn: string, act: string, va: number): number {
    return this.at(OP_ACCESS, fn, act, va);
  }

  work(fn: string, act: string, ns: number): number {
    this.ns = ns;
    return this.at(OP_WORK, fn, act, -1);
  }

  vaAlloc(fn: string, act: string, size: number, align: number, window: number): number {
    this.size = size;
    this.align = align;
    this.window = window;
    return this.at(OP_VA_ALLOC, fn, act, -1);
  }

  vaLazyFree(fn: string, act: string, va: number, size: number, window: number): number {
    this.size = size;
    this.window = window;
    return this.at(OP_VA_LAZY_FREE, fn, act, va);
  }

  purgeTake(fn: string, act: string): number {
    return this.at(OP_PURGE_TAKE, fn, act, -1);
  }

  vaRelease(fn: string, act: string): number {
    return this.at(OP_VA_RELEASE, fn, act, -1);
  }

  /** complete(&x), posting `payload` (kthreadd's queue carries the requester's own completion). */
  complete(fn: string, act: string, completion: number, payload: number): number {
    this.completion = completion;
    this.payload = payload;
    return this.at(OP_COMPLETE, fn, act, -1);
  }

  /** wait_for_completion(&x); the payload taken arrives in `result`. */
  waitForCompletion(fn: string, act: string, completion: number): number {
    this.completion = completion;
    return this.at(OP_WAIT_COMPLETION, fn, act, -1);
  }

  memState(fn: string, act: string, pa: number, size: number, state: number): number {
    this.pa = pa;
    this.size = size;
    this.sectionState = state;
    return this.at(OP_MEM_STATE, fn, act, -1);
  }
}
