/**
 * Footprints: what one event (one step, or one whole critical section run as
 * one event) read, wrote or commutatively updated, as cells with modes and TLB
 * intervals, and when two footprints conflict. The machine declares every
 * access as it performs a step (core/model/access.ts); StepLog maps those
 * declarations to cells and applies the explorer's policies (reductions 2 and
 * 3 of core/explore/engine.ts: frees and allocations of unobservable frames
 * commute; a critical section run as one event reads its lock word).
 */
import {
  ACQ_EXCL,
  ACQ_NONE,
  type AccessLog,
  type AccessMode,
  type AcquireKind,
  type LockWord,
  MODE_ADD,
  MODE_READ,
  MODE_WRITE,
  TLB_ANY,
  TLB_LEAF_PFN,
  type TlbSpace,
  WORD_HOLDER,
} from '../model/access.ts';
import { FRAME_FREE } from '../model/memory.ts';
import { N_LOCKS } from '../model/locks.ts';
import type { Actor } from '../machine/actor.ts';
import type { Sim } from '../machine/sim.ts';

/** Access modes of a cell (core/model/access.ts): read, commutative add, write (anything else). */
export const M_R = MODE_READ;
export const M_A = MODE_ADD;
export const M_W = MODE_WRITE;

function conflicts(m1: number, m2: number): boolean {
  return !((m1 === M_R && m2 === M_R) || (m1 === M_A && m2 === M_A));
}

// Cell types. A cell key is type * 2^44 + a * 2^24 + b (a < 2^20, b < 2^24).
const T_ENTRY = 1; // (frame, index)
const T_STATE = 2; // (frame, generation): is that incarnation of the frame still allocated (and what as)?
const T_GEN = 3; // frame: which incarnation is current
const T_REFS = 4; // live entries pointing at a frame
const T_STACK = 5; // allocator free list (0 pages, 1 blocks)
export const T_HOLDER = 6; // lock holder
export const T_WRITER = 7; // rwsem announced writer
export const T_READERS = 8; // rwsem reader count
const T_VAWIN = 9; // a vmap VA window
const T_PURGE = 10; // vmap_purge_list + lazy page count
const T_PURGING = 11; // areas taken by the current purger
const T_SECTION = 12; // a memory section's state and generation
const T_CONTENT = 13; // a frame's table contents as a whole (zeroed when it is allocated as a table)
const P44 = 2 ** 44;
const P24 = 2 ** 24;

function cellKey(t: number, a: number, b = 0): number {
  return t * P44 + a * P24 + b;
}

export function cellType(key: number): number {
  return Math.floor(key / P44);
}

export function cellLock(key: number): number {
  return Math.floor((key % P44) / P24);
}

// TLB access records: [space, cpu, depth, lo, hi, write] (space TLB_ANY, cpu / depth -1 = any; core/model/access.ts).
const TLB_REC = 6;
/** The cell of each lock word. */
const LOCK_WORD_CELL = [T_HOLDER, T_WRITER, T_READERS] as const;

/** What one event (one step, or one whole critical section) touched. */
export interface Footprint {
  /** Sorted cell keys and their modes. */
  keys: number[];
  modes: number[];
  /** TLB access records (flattened), or null. */
  tlb: number[] | null;
  /**
   * CPU masks of those records (bit c: CPU c; every bit: any CPU, or one past 30): of the writes, and of all. Two
   * records conflict only if one writes and their CPUs can be the same, so events whose masks do not meet
   * (tlbW & other.tlbAll, both ways) cannot conflict; most pairs of events of two CPUs are ruled out so.
   */
  tlbW: number;
  tlbAll: number;
  /**
   * The intervals that hold all its TLB records of VA (leaf and walk-cache entries by VA) and all those of pfns
   * (by frame), a record of every space counting in both (empty: lo = Infinity). Two records conflict only in the
   * same space on overlapping intervals, so events whose boxes meet in neither cannot conflict: a TLBI of one
   * thread's vmalloc range and the TLB fills of another thread's are ruled out so.
   */
  vaLo: number;
  vaHi: number;
  pfnLo: number;
  pfnHi: number;
  /** Bit L: the event acquires / releases lock L (non-atomic lock operations only). */
  acq: number;
  rel: number;
  /** For a single lock-acquisition step: its lock and kind. */
  acqLock: number;
  acqKind: number;
  /** Lock of the critical section this event runs as one (Lipton), or -1. */
  macro: number;
  /** Its site (lock and function), the footprints of its steps and their locations. */
  site: string | null;
  body: Footprint[] | null;
  locs: string[] | null;
  /** Locks the actor held before the event (bit L exclusive/announced, bit 8+L read side). */
  held: number;
  /** Frame incarnations the actor learnt of: [frame, generation, ...], or null. */
  learn: number[] | null;
  /** The engine's dense ids of `keys` (set when the event is first recorded). */
  ids: number[] | null;
}


/**
 * Every Footprint is made here, field for field in one order, so that all of them (recorded, copied from another
 * engine, unpacked from another thread) share one object shape and the engine's hot loops see one shape only.
 * The summaries of the TLB records (CPU masks, VA and pfn boxes) are derived here from the records.
 */
function makeFootprint(
  keys: number[],
  modes: number[],
  tlb: number[] | null,
  acq: number,
  rel: number,
  acqLock: number,
  acqKind: number,
  macro: number,
  site: string | null,
  body: Footprint[] | null,
  locs: string[] | null,
  held: number,
  learn: number[] | null,
): Footprint {
  let tlbW = 0;
  let tlbAll = 0;
  let vaLo = Infinity;
  let vaHi = -Infinity;
  let pfnLo = Infinity;
  let pfnHi = -Infinity;
  if (tlb !== null) {
    for (let k = 0; k < tlb.length; k += TLB_REC) {
      const cpu = tlb[k + 1];
      const bit = cpu >= 0 && cpu < 31 ? 1 << cpu : -1;
      tlbAll |= bit;
      if (tlb[k + 5] !== 0) tlbW |= bit;
      const space = tlb[k];
      const lo = tlb[k + 3];
      const hi = tlb[k + 4];
      // Spaces of VA (TLB_LEAF_VA, TLB_WALK_VA) are even, those of pfns odd; TLB_ANY is both.
      if (space === TLB_ANY || (space & 1) === 0) {
        if (lo < vaLo) vaLo = lo;
        if (hi > vaHi) vaHi = hi;
      }
      if (space === TLB_ANY || (space & 1) === 1) {
        if (lo < pfnLo) pfnLo = lo;
        if (hi > pfnHi) pfnHi = hi;
      }
    }
  }
  return { keys, modes, tlb, tlbW, tlbAll, vaLo, vaHi, pfnLo, pfnHi, acq, rel, acqLock, acqKind, macro, site, body, locs, held, learn, ids: null };
}

/** A footprint from another engine: the same fields (shared: footprints are never changed once made) without its cell ids. */
export function importFootprint(fp: Footprint): Footprint {
  return makeFootprint(fp.keys, fp.modes, fp.tlb, fp.acq, fp.rel, fp.acqLock, fp.acqKind, fp.macro, fp.site, fp.body, fp.locs, fp.held, fp.learn);
}

/**
 * Footprints as flat numbers and a string table, for a message to another thread: a structured clone of the
 * objects costs several times more on both sides, and leaves objects of other shapes than makeFootprint()'s,
 * which made the receiving engine's hot loops polymorphic (a task thread ran ~15% slower).
 */
export interface PackedFootprints {
  nums: Float64Array;
  strs: string[];
}

/** Collects footprints for one message: add() returns each one's index in the unpacked list. */
export class FootprintPacker {
  private nums = new Float64Array(4096);
  private n = 0;
  private count = 0;
  private readonly strs: string[] = [];
  private readonly strIdx = new Map<string, number>();

  add(fp: Footprint): number {
    this.put(fp);
    return this.count++;
  }

  finish(): PackedFootprints {
    return { nums: this.nums.slice(0, this.n), strs: this.strs };
  }

  private room(k: number): void {
    if (this.n + k <= this.nums.length) return;
    const a = new Float64Array(Math.max(this.nums.length * 2, this.n + k));
    a.set(this.nums.subarray(0, this.n));
    this.nums = a;
  }

  private str(x: string): number {
    let i = this.strIdx.get(x);
    if (i === undefined) {
      i = this.strs.length;
      this.strs.push(x);
      this.strIdx.set(x, i);
    }
    return i;
  }

  private list(a: readonly number[] | null): void {
    if (!a) {
      this.room(1);
      this.nums[this.n++] = -1;
      return;
    }
    this.room(a.length + 1);
    const nums = this.nums;
    let n = this.n;
    nums[n++] = a.length;
    for (let k = 0; k < a.length; k++) nums[n++] = a[k];
    this.n = n;
  }

  private put(fp: Footprint): void {
    this.room(9);
    const h = this.nums;
    let n = this.n;
    h[n++] = fp.acq;
    h[n++] = fp.rel;
    h[n++] = fp.acqLock;
    h[n++] = fp.acqKind;
    h[n++] = fp.macro;
    h[n++] = fp.held;
    h[n++] = fp.site === null ? -1 : this.str(fp.site);
    h[n++] = fp.body ? fp.body.length : -1;
    h[n++] = fp.locs ? fp.locs.length : -1;
    this.n = n;
    this.list(fp.keys);
    this.list(fp.modes);
    this.list(fp.tlb);
    this.list(fp.learn);
    if (fp.locs) {
      this.room(fp.locs.length);
      for (const l of fp.locs) this.nums[this.n++] = this.str(l);
    }
    if (fp.body) for (const b of fp.body) this.put(b);
  }
}

/**
 * The footprints a FootprintPacker packed, in the order they were added, but for the first `skip` ones: those are
 * stepped over without being built (a task thread already holds the footprints of the path it shares with its
 * previous task), so the list starts with the footprint added as number `skip`.
 */
export function unpackFootprints(p: PackedFootprints, skip = 0): Footprint[] {
  const nums = p.nums;
  const strs = p.strs;
  let n = 0;
  const pass = (): void => {
    const nBody = nums[n + 7];
    const nLocs = nums[n + 8];
    n += 9;
    for (let l = 0; l < 4; l++) {
      const len = nums[n++];
      if (len > 0) n += len;
    }
    if (nLocs > 0) n += nLocs;
    for (let k = 0; k < nBody; k++) pass();
  };
  for (let k = 0; k < skip && n < nums.length; k++) pass();
  // Pushed one by one, as the builder makes its arrays, and with the elements kind the builder's have: doubles
  // for keys and TLB records, small integers for modes and frame incarnations (pushed as int32, as they come
  // from the builder's Uint8Array and int arguments). One allocation site per kind: an array literal's site
  // remembers the widest kind it has made, so one site for all four would make every list doubles, and the
  // engine's loops over `modes` would meet both kinds.
  const list = (): number[] | null => {
    const len = nums[n++];
    if (len < 0) return null;
    const a: number[] = [];
    for (let k = 0; k < len; k++) a.push(nums[n + k]);
    n += len;
    return a;
  };
  const intList = (): number[] | null => {
    const len = nums[n++];
    if (len < 0) return null;
    const a: number[] = [];
    for (let k = 0; k < len; k++) {
      const v = nums[n + k];
      a.push(v === (v | 0) ? v | 0 : v);
    }
    n += len;
    return a;
  };
  const one = (): Footprint => {
    const acq = nums[n];
    const rel = nums[n + 1];
    const acqLock = nums[n + 2];
    const acqKind = nums[n + 3];
    const macro = nums[n + 4];
    const held = nums[n + 5];
    const site = nums[n + 6];
    const nBody = nums[n + 7];
    const nLocs = nums[n + 8];
    n += 9;
    const keys = list()!;
    const modes = intList()!;
    const tlb = list();
    const learn = intList();
    let locs: string[] | null = null;
    if (nLocs >= 0) {
      locs = [];
      for (let k = 0; k < nLocs; k++) locs.push(strs[nums[n++]]);
    }
    let body: Footprint[] | null = null;
    if (nBody >= 0) {
      body = [];
      for (let k = 0; k < nBody; k++) body.push(one());
    }
    return makeFootprint(keys, modes, tlb, acq, rel, acqLock, acqKind, macro, site < 0 ? null : strs[site], body, locs, held, learn);
  };
  const out: Footprint[] = [];
  while (n < nums.length) out.push(one());
  return out;
}

export class FootprintBuilder {
  // The cells touched so far and their modes, unsorted and unique: a step touches a handful of cells, so a
  // linear scan beats a Map and allocates nothing until finish().
  private keyBuf = new Float64Array(64);
  private modeBuf = new Uint8Array(64);
  private n = 0;
  private tlbRecs: number[] = [];
  /** Frame incarnations the actor learnt of: [frame, generation, ...]. */
  learnt: number[] = [];
  acq = 0;
  rel = 0;
  acqLock = -1;
  acqKind: number = ACQ_NONE;
  macro = -1;

  reset(): void {
    this.n = 0;
    if (this.tlbRecs.length) this.tlbRecs = [];
    if (this.learnt.length) this.learnt = [];
    this.acq = 0;
    this.rel = 0;
    this.acqLock = -1;
    this.acqKind = ACQ_NONE;
    this.macro = -1;
  }

  add(key: number, mode: number): void {
    const kb = this.keyBuf;
    const n = this.n;
    for (let k = 0; k < n; k++) {
      if (kb[k] === key) {
        if (this.modeBuf[k] !== mode) this.modeBuf[k] = M_W;
        return;
      }
    }
    if (n === kb.length) {
      const k2 = new Float64Array(n * 2);
      k2.set(kb);
      this.keyBuf = k2;
      const m2 = new Uint8Array(n * 2);
      m2.set(this.modeBuf);
      this.modeBuf = m2;
    }
    this.keyBuf[n] = key;
    this.modeBuf[n] = mode;
    this.n = n + 1;
  }

  /** Union with a finished footprint (the steps of a critical section). */
  merge(fp: Footprint): void {
    for (let k = 0; k < fp.keys.length; k++) this.add(fp.keys[k], fp.modes[k]);
    if (fp.tlb) for (let k = 0; k < fp.tlb.length; k++) this.tlbRecs.push(fp.tlb[k]);
    if (fp.learn) for (let k = 0; k < fp.learn.length; k++) this.learnt.push(fp.learn[k]);
    this.acq |= fp.acq;
    this.rel |= fp.rel;
  }

  tlbAcc(space: number, cpu: number, depth: number, lo: number, hi: number, write: boolean): void {
    this.tlbRecs.push(space, cpu, depth, lo, hi, write ? 1 : 0);
  }

  finish(): Footprint {
    const n = this.n;
    const kb = this.keyBuf;
    const mb = this.modeBuf;
    // Insertion sort by key in the builder's buffers (n is small), then plain arrays: a young-generation
    // allocation each, where a typed array is an ArrayBuffer and a view.
    for (let j = 1; j < n; j++) {
      const key = kb[j];
      const mode = mb[j];
      let i = j - 1;
      while (i >= 0 && kb[i] > key) {
        kb[i + 1] = kb[i];
        mb[i + 1] = mb[i];
        i--;
      }
      kb[i + 1] = key;
      mb[i + 1] = mode;
    }
    const keys: number[] = [];
    const modes: number[] = [];
    for (let j = 0; j < n; j++) {
      keys.push(kb[j]);
      modes.push(mb[j]);
    }
    const recs = this.tlbRecs;
    return makeFootprint(keys, modes, recs.length ? recs : null, this.acq, this.rel, this.acqLock, this.acqKind, this.macro, null, null, null, 0, this.learnt.length ? this.learnt : null);
  }
}

/**
 * The footprint of one step, from what the machine declares as it performs
 * it (Sim.perform, the TLB model and the checks they call report every cell
 * they touch: core/model/access.ts). There is no description here of what
 * an operation does; this class only maps the machine's declarations to
 * cells and modes, and applies the explorer's two policies: allocations and
 * frees of unobservable frames commute (an add on the allocator list), and
 * a critical section run as one event (`macro`) reads its lock word instead
 * of writing it. It also watches for the two stale uses of a frame that no
 * checker reports (a stale free, a stale pointer installed), which make the
 * first policy unsafe.
 */
export class StepLog extends FootprintBuilder implements AccessLog {
  private sim: Sim | null = null;
  private actor: Actor | null = null;
  /** Lock of the critical section being run as one event, or -1. */
  private sectionLock = -1;
  /** Allocations and frees of unobservable (not only pristine) frames commute, this execution. */
  reuse = true;
  /** With reuse: a frame referenced only by leaf TLB entries counts as unobservable too (reduction 2b). */
  staleLeaf = true;
  /** Inside the explorer's own TLB queries (unobservable()), which are policy, not observations. */
  private ownQuery = false;

  constructor(
    /** Boot state of the frames, for "pristine" allocations. */
    private readonly bootFree: Uint8Array,
    private readonly bootGen: Uint32Array,
    /** Per actor: frame -> the generation it knows the frame by. */
    private readonly known: KnownFrames,
    /** Called when a frame reference is used stale in a way no checker sees (reuse commutation unsafe). */
    private readonly onStale: (why: string) => void,
    /** Called when a checker asks the leaf TLBs about a frame handed out in this execution (reduction 2b unsafe). */
    private readonly onLeafQuery: (why: string) => void,
  ) {
    super();
  }

  /** Start recording actor `actor`'s next step on `sim`; `macro` is the lock of the section run as one event, or -1. */
  begin(sim: Sim, actor: Actor, macro: number): void {
    this.reset();
    this.sim = sim;
    this.actor = actor;
    this.sectionLock = macro;
  }

  private get machine(): Sim {
    return this.sim!;
  }

  entry(frame: number, index: number, gen: number, mode: AccessMode): void {
    if (frame < 0) return;
    this.add(cellKey(T_ENTRY, frame, index), mode);
    // The use-after-free check reads whether that incarnation is still a table.
    this.add(cellKey(T_STATE, frame, gen), M_R);
    // A stale access and the zeroing of the frame reused as a table are ordered.
    this.add(cellKey(T_CONTENT, frame), M_R);
  }

  currentGen(frame: number): void {
    this.add(cellKey(T_GEN, frame), M_R);
  }

  incarnation(frame: number, gen: number, mode: AccessMode): void {
    this.add(cellKey(T_STATE, frame, gen), mode);
  }

  refs(frame: number, mode: AccessMode): void {
    this.add(cellKey(T_REFS, frame), mode);
  }

  learn(frame: number, gen: number): void {
    if (frame < 0) return;
    this.known.set(this.actor!.index, frame, gen);
    this.learnt.push(frame, gen);
  }

  installed(frame: number): void {
    const mem = this.machine.mem;
    const a = this.actor!;
    // Installing a pointer to a frame the writer knows only by an older incarnation.
    if (this.reuse && (mem.state[frame] === FRAME_FREE || this.known.get(a.index, frame) !== mem.gen[frame])) this.onStale(`${a.name} installed a stale pointer in ${a.fn}`);
  }

  allocated(frame: number, block: boolean): void {
    const list = block ? 1 : 0;
    if (frame < 0) {
      this.add(cellKey(T_STACK, list), M_W);
      return;
    }
    const mem = this.machine.mem;
    const gen = mem.gen[frame];
    this.add(cellKey(T_STATE, frame, gen), M_W);
    this.add(cellKey(T_GEN, frame), M_W);
    if (mem.isTable(frame)) this.add(cellKey(T_CONTENT, frame), M_W);
    this.learn(frame, gen);
    const pristine = this.bootFree[frame] === 1 && gen === this.bootGen[frame] + 1;
    const free = this.unobservable(frame);
    this.add(cellKey(T_STACK, list), free && (pristine || this.reuse) ? M_A : M_W);
  }

  freeing(frame: number, gen: number): void {
    const mem = this.machine.mem;
    const a = this.actor!;
    this.learn(frame, gen);
    this.add(cellKey(T_STATE, frame, gen), M_R);
    if (mem.state[frame] === FRAME_FREE || mem.gen[frame] !== gen) {
      // A double free, or a free through a stale pointer: no checker reports it.
      if (this.reuse) this.onStale(`${a.name} freed a stale frame in ${a.fn}`);
      this.add(cellKey(T_STATE, frame, mem.gen[frame]), M_W);
      this.add(cellKey(T_STACK, mem.order[frame] > 0 ? 1 : 0), M_W);
      return;
    }
    this.add(cellKey(T_STATE, frame, gen), M_W);
    this.add(cellKey(T_REFS, frame), M_R);
    // Freed and unobservable (the free changes neither references nor TLBs): it commutes with allocations of
    // other unobservable frames.
    this.add(cellKey(T_STACK, mem.order[frame] > 0 ? 1 : 0), this.reuse && this.unobservable(frame) ? M_A : M_W);
  }

  /** Nothing refers to frame f (no entry, no TLB entry): reads those, returns whether it holds. */
  private unobservable(f: number): boolean {
    const sim = this.machine;
    const mem = sim.mem;
    const pfn = mem.pfnOf(f);
    this.add(cellKey(T_REFS, f), M_R);
    // Both TLB queries declare their reads (Tlbs): ask both.
    this.ownQuery = true;
    const mapped = sim.tlbs.cpuMappingPfn(pfn, 2 ** mem.order[f]);
    const walked = sim.tlbs.cpuWalkingTable(pfn);
    this.ownQuery = false;
    // Reduction 2b: leaf TLB entries alone do not make a frame observable (engine.ts header).
    return mem.refs[f] === 0 && (mapped < 0 || (this.reuse && this.staleLeaf)) && walked < 0;
  }

  tlb(space: TlbSpace, cpu: number, depth: number, lo: number, hi: number, write: boolean): void {
    this.tlbAcc(space, cpu, depth, lo, hi, write);
    // A checker asking which CPUs' TLBs translate to a frame whose identity depends on the order of allocations
    // (one handed out in this execution) could tell apart orders that reduction 2b treats as one.
    if (space === TLB_LEAF_PFN && !write && !this.ownQuery && this.reuse && this.staleLeaf && this.handedOutIn(lo, hi)) {
      const a = this.actor!;
      this.onLeafQuery(`${a.name} checked the TLBs for a frame handed out in this run in ${a.fn}`);
    }
  }

  /** Does pfn range [lo, hi) hold a frame whose current incarnation was allocated after boot? */
  private handedOutIn(lo: number, hi: number): boolean {
    const mem = this.machine.mem;
    const f0 = Math.max(0, mem.frameOf(Math.max(lo, mem.poolBasePfn)));
    const f1 = Math.min(mem.nFrames, hi - mem.poolBasePfn);
    for (let f = f0; f < f1; f++) if (mem.gen[f] !== this.bootGen[f]) return true;
    return false;
  }

  lockWord(word: LockWord, lock: number, mode: AccessMode): void {
    // A section run as one event needs its lock free and leaves it free: it reads the holder word.
    const m = word === WORD_HOLDER && lock === this.sectionLock && mode === M_W ? M_R : mode;
    this.add(cellKey(LOCK_WORD_CELL[word], lock), m);
  }

  acquired(lock: number, kind: AcquireKind): void {
    this.acq |= 1 << lock;
    this.acqLock = lock;
    this.acqKind = kind;
  }

  tryAcquired(lock: number): void {
    // No acquire bit: a trylock is always enabled, so no release enabled it.
    this.acqLock = lock;
    this.acqKind = ACQ_EXCL;
  }

  released(lock: number): void {
    if (lock !== this.sectionLock) this.rel |= 1 << lock;
  }

  // (fidelity, issue 9) A completion is a lock word of its own, index N_LOCKS + id: complete() writes it and
  // releases, wait_for_completion() writes it and acquires, so a wait that a complete() let through is not
  // reversed (it was not enabled before; and a wait takes the oldest post, so a later post before or after it
  // changes nothing it does). Two complete()s on one completion do not commute (FIFO of posts).
  completionPosted(id: number): void {
    const w = N_LOCKS + id;
    this.add(cellKey(T_HOLDER, w), M_W);
    this.rel |= 1 << w;
  }

  completionTaken(id: number): void {
    const w = N_LOCKS + id;
    this.add(cellKey(T_HOLDER, w), M_W);
    this.acq |= 1 << w;
  }

  vaWindow(window: number): void {
    this.add(cellKey(T_VAWIN, window), M_W);
  }

  purgeList(): void {
    this.add(cellKey(T_PURGE, 0), M_W);
  }

  purging(): void {
    this.add(cellKey(T_PURGING, 0), M_W);
  }

  section(index: number, mode: AccessMode): void {
    this.add(cellKey(T_SECTION, index), mode);
  }
}

/** Do two events' TLB records conflict (the masks first, then record by record)? */
export function tlbDependent(x: Footprint, y: Footprint): boolean {
  if (x.tlb === null || y.tlb === null || ((x.tlbW & y.tlbAll) | (x.tlbAll & y.tlbW)) === 0) return false;
  if (!(x.vaLo < y.vaHi && y.vaLo < x.vaHi) && !(x.pfnLo < y.pfnHi && y.pfnLo < x.pfnHi)) return false;
  return tlbConflict(x.tlb, y.tlb);
}

function tlbConflict(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i += TLB_REC) {
    const lo = a[i + 3];
    const hi = a[i + 4];
    for (let j = 0; j < b.length; j += TLB_REC) {
      // The intervals first: pairs of records that got past the boxes of tlbDependent() nearly always fail here
      // (a walk's dozen records against a frame's two, on thread-race), and VA and pfn values never meet.
      if (!(lo < b[j + 4] && b[j + 3] < hi)) continue;
      if (a[i + 5] === 0 && b[j + 5] === 0) continue;
      if (a[i] !== TLB_ANY && b[j] !== TLB_ANY && a[i] !== b[j]) continue;
      if (a[i + 1] !== -1 && b[j + 1] !== -1 && a[i + 1] !== b[j + 1]) continue;
      if (a[i + 2] !== -1 && b[j + 2] !== -1 && a[i + 2] !== b[j + 2]) continue;
      return true;
    }
  }
  return false;
}

/** Do two events' footprints conflict? */
export function dependent(x: Footprint, y: Footprint): boolean {
  const a = x.keys;
  const b = y.keys;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else {
      if (conflicts(x.modes[i], y.modes[j])) return true;
      i++;
      j++;
    }
  }
  return tlbDependent(x, y);
}

/** Do two footprints conflict on anything but lock `l`'s own words? */
export function dependentExcept(x: Footprint, y: Footprint, l: number): boolean {
  const a = x.keys;
  const b = y.keys;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else {
      const t = cellType(a[i]);
      const lockWord = (t === T_HOLDER || t === T_WRITER || t === T_READERS) && cellLock(a[i]) === l;
      if (!lockWord && conflicts(x.modes[i], y.modes[j])) return true;
      i++;
      j++;
    }
  }
  return tlbDependent(x, y);
}

/**
 * Dense ids of cell keys (the engine's per-cell arrays are indexed by them):
 * an open-addressing table over the keys themselves. Keys are integers up to
 * 2^48, which a Map<number, …> hashes as heap numbers; interning every key of
 * every new event went through that, the search's single largest line.
 */
export class CellIds {
  private keys = new Float64Array(1024).fill(-1);
  private ids = new Int32Array(1024);
  private mask = 1023;
  size = 0;

  private static slot(key: number, mask: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & mask;
  }

  /** The id of `key`, or -1. */
  get(key: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let s = CellIds.slot(key, mask); ; s = (s + 1) & mask) {
      const k = keys[s];
      if (k === key) return this.ids[s];
      if (k === -1) return -1;
    }
  }

  /** Give `key` (not yet present) the next id, and return it. */
  add(key: number): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const id = this.size++;
    this.put(key, id);
    return id;
  }

  private put(key: number, id: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let s = CellIds.slot(key, mask);
    while (keys[s] !== -1) s = (s + 1) & mask;
    keys[s] = key;
    this.ids[s] = id;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIds = this.ids;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(-1);
    this.ids = new Int32Array(cap);
    this.mask = cap - 1;
    for (let s = 0; s < oldKeys.length; s++) if (oldKeys[s] !== -1) this.put(oldKeys[s], oldIds[s]);
  }
}

/**
 * Per actor, the generation it knows each frame by (what it learnt from the
 * steps it took: allocations, frees, entries read), for the stale-pointer
 * watch of reduction 2. Typed arrays with a stamp per entry, so forgetting
 * everything at the start of an execution is one increment.
 */
export class KnownFrames {
  private gens = new Uint32Array(0);
  private stamps = new Int32Array(0);
  private stamp = 1;
  private frames = 0;

  /** Forget everything; size for `actors` actors and `frames` frames. */
  reset(actors: number, frames: number): void {
    if (this.frames !== frames || this.gens.length !== actors * frames) {
      this.gens = new Uint32Array(actors * frames);
      this.stamps = new Int32Array(actors * frames);
      this.frames = frames;
      this.stamp = 1;
    } else this.stamp++;
  }

  set(actor: number, frame: number, gen: number): void {
    const k = actor * this.frames + frame;
    this.gens[k] = gen;
    this.stamps[k] = this.stamp;
  }

  /** The generation `actor` knows `frame` by, or -1 if it knows none. */
  get(actor: number, frame: number): number {
    const k = actor * this.frames + frame;
    return this.stamps[k] === this.stamp ? this.gens[k] : -1;
  }
}
