/**
 * Checkpoints of a machine for explore (core/explore/engine.ts): a copy of
 * every piece of a Sim's state taken at a node of the search where each
 * actor has either finished or not yet taken a step, and restored into a
 * freshly built machine of the same scenario instead of re-running the
 * prefix that led there. Actor programs are generators and cannot be
 * copied; at such a node none needs to be: a finished actor has no program
 * left, and one that has not started is in the state the fresh machine's
 * construction left it in (its program advanced to its first step, which
 * nothing but its own steps moves on).
 *
 * The copy is driven by an explicit list of every field of each class it
 * meets (Sim, Actor, PhysMem, Tlbs, Locks, Checker, VaAllocator, Prng), each
 * either state (copied), fixed at build (the fresh machine's value stands:
 * configuration, identity, scratch buffers, callbacks) or the actor's
 * program. A field not on its class's list, or a listed field that is gone,
 * throws at the first checkpoint, so a field added to the machine can never
 * be silently left out of the copy (test/core/explore-checkpoint.test.ts
 * also checks the lists against built machines).
 *
 * Restoring writes into the fresh machine's own objects and arrays wherever
 * their shapes match rather than replacing them, since a program that has
 * not started may already hold references to them. The snapshot owns every
 * array it holds: explore hands a machine's memory arrays on to the next
 * machine it builds, so nothing here may alias a live machine.
 */
import { Checker } from '../check/checkers.ts';
import { Actor } from '../machine/actor.ts';
import { noProgram } from '../machine/routine.ts';
import { Sim } from '../machine/sim.ts';
import { VaAllocator } from '../machine/va-allocator.ts';
import { Locks } from '../model/locks.ts';
import { PhysMem } from '../model/memory.ts';
import { Tlbs } from '../model/tlb.ts';
import { Prng } from '../prng.ts';

/** Fixed when the machine is built (or scratch, or a callback): the fresh machine's value stands. */
const FIXED = 0;
/** Machine state: copied. */
const STATE = 1;
/** An actor's program (stack, cached top frame and resume method, routine cache): see restoreActor(). */
const PROGRAM = 2;
/** PhysMem table contents: only the slots in use are copied (the rest are zero in any machine). */
const SLOTS = 3;
/**
 * State in an array the Sim itself replaces (growing its step log, resetting its schedule), so nothing else
 * holds it: restored as a new copy rather than element by element in place.
 */
const OWNED = 4;

type Rules = Readonly<Record<string, number>>;

const SIM_RULES: Rules = {
  opts: FIXED,
  timed: FIXED,
  traceAll: FIXED,
  layout: FIXED,
  geometry: FIXED,
  knobs: FIXED,
  cost: FIXED,
  mem: STATE,
  tlbs: STATE,
  locks: STATE,
  checker: STATE,
  actors: STATE,
  memstart: FIXED,
  root: FIXED,
  sections: STATE,
  vaWindows: STATE,
  completions: STATE,
  kthreadQueue: STATE,
  purgeList: STATE,
  lazyPages: STATE,
  lazyMax: FIXED,
  purging: STATE,
  steps: STATE,
  now: STATE,
  jitter: STATE,
  jitterBuf: STATE,
  jitterAt: STATE,
  jitterAmp: FIXED,
  counters: STATE,
  lat: STATE,
  ops: STATE,
  removedRanges: STATE,
  leakedAtLastRemove: STATE,
  auditLeaks: STATE,
  logCap: STATE,
  logMask: FIXED,
  logNum: OWNED,
  logFn: OWNED,
  logAct: OWNED,
  schedule: OWNED,
  logging: STATE,
  violationSource: FIXED,
  recordSchedule: STATE,
  enabledBuf: FIXED,
  actorClock: STATE,
  actorMayWait: STATE,
  waitEpoch: STATE,
  access: FIXED,
  sampleAt: STATE,
  sampleEvery: STATE,
  sampleIndex: STATE,
  onSample: FIXED,
  liveAreas: STATE,
};

const ACTOR_RULES: Rules = {
  index: FIXED,
  name: FIXED,
  cpu: FIXED,
  kind: FIXED,
  symmetryClass: FIXED,
  stack: PROGRAM,
  topFrame: PROGRAM,
  topResume: PROGRAM,
  done: STATE,
  stuck: STATE,
  daemon: STATE,
  op: STATE,
  fn: STATE,
  act: STATE,
  addr: STATE,
  frame: STATE,
  gen: STATE,
  entry: STATE,
  newKind: STATE,
  newValue: STATE,
  size: STATE,
  align: STATE,
  window: STATE,
  ns: STATE,
  lock: STATE,
  completion: STATE,
  payload: STATE,
  pa: STATE,
  sectionState: STATE,
  kthreadDone: STATE,
  role: STATE,
  depth: STATE,
  checkTlb: STATE,
  maySleep: STATE,
  resultKind: STATE,
  result: STATE,
  resultFrame: STATE,
  resultGen: STATE,
  resultSize: STATE,
  locksHeld: STATE,
  spinDepth: STATE,
  readHeld: STATE,
  time: STATE,
  lockAcquiredAt: STATE,
  routineCache: PROGRAM,
};

const MEM_RULES: Rules = {
  poolBasePfn: FIXED,
  nFrames: FIXED,
  blockPages: FIXED,
  ptrs: FIXED,
  state: STATE,
  gen: STATE,
  role: STATE,
  depth: STATE,
  order: STATE,
  refs: STATE,
  slot: STATE,
  kinds: SLOTS,
  vals: SLOTS,
  slotsUsed: STATE,
  freeStack: STATE,
  freeTop: STATE,
  blockStack: STATE,
  blockTop: STATE,
  tablesAllocated: STATE,
  tablesFreed: STATE,
  // What changed since the memory was last copied (PhysMem.copyFrom()): the memory object's own history, not the
  // machine's state; a restore reports what it writes (restoreSim()).
  image: FIXED,
  imageVersion: FIXED,
  version: FIXED,
  frameDirty: FIXED,
  dirtyFrames: FIXED,
  nDirtyFrames: FIXED,
  slotDirty: FIXED,
  dirtySlots: FIXED,
  nDirtySlots: FIXED,
};

/** PhysMem's arrays indexed by frame (the rest of its STATE arrays are its free lists, which copyFrom() copies whole). */
const MEM_FRAME_ARRAYS = new Set(['state', 'gen', 'role', 'depth', 'order', 'refs', 'slot']);

const TLB_RULES: Rules = {
  cpus: FIXED,
  leafCap: FIXED,
  walkCap: FIXED,
  leafVa: STATE,
  leafSize: STATE,
  leafPfn: STATE,
  leafGen: STATE,
  leafValid: STATE,
  leafNext: STATE,
  leafLo: STATE,
  leafHi: STATE,
  leafSizes: FIXED,
  leafScales: FIXED,
  classCount: STATE,
  buckets: STATE,
  bucketBits: FIXED,
  unfiltered: STATE,
  walkDepth: STATE,
  walkSpan: STATE,
  walkPfn: STATE,
  walkGen: STATE,
  walkValid: STATE,
  walkKey: STATE,
  walkNext: STATE,
  walkCount: STATE,
  pageSize: FIXED,
  spanOfDepth: FIXED,
  access: FIXED,
};

const LOCK_RULES: Rules = {
  holder: STATE,
  readers: STATE,
  writer: STATE,
  graceEnd: STATE,
  writerLeftAt: STATE,
  graceTotal: STATE,
  graceWaited: STATE,
  graceSkipped: STATE,
  drainTotal: STATE,
  readerWaitTotal: STATE,
  freeAt: STATE,
  waitTotal: STATE,
  waitMax: STATE,
  holdTotal: STATE,
  holdMax: STATE,
  acquisitions: STATE,
  contended: STATE,
};

const CHECKER_RULES: Rules = { sim: FIXED, violations: STATE, counts: STATE, total: STATE };
const VA_RULES: Rules = { start: FIXED, end: FIXED, free: STATE, coalesced: STATE };
const PRNG_RULES: Rules = { s: STATE };

/** The field lists, by class (exported for the test that checks them against built machines). */
export const CHECKPOINT_FIELDS: ReadonlyMap<abstract new (...args: never[]) => unknown, Rules> = new Map<abstract new (...args: never[]) => unknown, Rules>([
  [Sim, SIM_RULES],
  [Actor, ACTOR_RULES],
  [PhysMem, MEM_RULES],
  [Tlbs, TLB_RULES],
  [Locks, LOCK_RULES],
  [Checker, CHECKER_RULES],
  [VaAllocator, VA_RULES],
  [Prng, PRNG_RULES],
]);

type Obj = Record<string, unknown>;
type Typed = Uint8Array | Int8Array | Uint32Array | Int32Array | Float64Array;

/** A class instance's state fields and their copies (in its list's order), and its table contents (SLOTS). */
class Frozen {
  constructor(
    readonly cls: unknown,
    readonly keys: readonly string[],
    readonly vals: readonly unknown[],
    readonly slotKeys: readonly string[],
    readonly slots: readonly Diff[],
  ) {}
}

/**
 * A typed array as the elements where it differs from the fresh machine's (every fresh machine of a scenario
 * is the same: test/core/explore.test.ts): most of memory is as boot left it, so a restore writes only those.
 */
class Diff {
  constructor(
    readonly length: number,
    readonly idx: Int32Array,
    readonly val: Typed,
  ) {}
}

/** A typed array of another length than the fresh machine's (the step log grows): its length and its elements up to the last non-zero one. */
class Head {
  constructor(
    readonly length: number,
    readonly head: Typed,
  ) {}
}

/** An array whose elements are all numbers, strings, booleans or null (the step log's strings, the schedule). */
class Flat {
  constructor(readonly vals: readonly unknown[]) {}
}

/** A Flat of an OWNED field: restored as a new array. */
class Owned {
  constructor(readonly vals: readonly unknown[]) {}
}

/** A copy of a machine at a node of the search; restore it with restoreSim(). */
export interface Checkpoint {
  readonly sim: Frozen;
  readonly actors: number;
  /** Actors that had not started (bit k: actor k); every other actor had finished. */
  readonly unstarted: number;
}

/** A freshly built machine, frozen: what checkpoints of that machine's scenario are taken relative to. */
export interface CheckpointBase {
  readonly sim: Frozen;
}

function rulesOf(x: object): Rules | undefined {
  return CHECKPOINT_FIELDS.get(x.constructor as abstract new (...args: never[]) => unknown);
}

/** Every own field of `x` is on its class's list and every listed field is there, or this throws. */
function checkFields(x: object, rules: Rules): void {
  const keys = Object.keys(x);
  for (const k of keys) {
    if (!(k in rules)) throw new Error(`checkpoint: ${x.constructor.name} has a field '${k}' the checkpoint does not know (list it in core/explore/checkpoint.ts)`);
  }
  if (keys.length !== Object.keys(rules).length) {
    const missing = Object.keys(rules).filter((k) => !keys.includes(k));
    throw new Error(`checkpoint: ${x.constructor.name} no longer has field(s) ${missing.join(', ')} (update core/explore/checkpoint.ts)`);
  }
}

function isPlain(x: object): boolean {
  const p = Object.getPrototypeOf(x) as unknown;
  return p === Object.prototype || p === null;
}

/** Elements [0, n) of `a` where it differs from `base` (missing elements of `base` read as 0; -0 is not 0). */
function diff(a: Typed, base: Typed, n: number): Diff {
  const idx: number[] = [];
  const bn = base.length;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const b = i < bn ? base[i] : 0;
    if (x !== b || (x === 0 && 1 / x !== 1 / b)) idx.push(i);
  }
  const val = new (a.constructor as new (n: number) => Typed)(idx.length);
  for (let j = 0; j < idx.length; j++) val[j] = a[idx[j]];
  return new Diff(a.length, Int32Array.from(idx), val);
}

function freezeTyped(a: Typed, base: unknown): Diff | Head {
  if (base instanceof Diff && base.length === a.length) return diff(a, base.val, a.length);
  let n = a.length;
  while (n > 0 && Object.is(a[n - 1], 0)) n--;
  return new Head(a.length, a.slice(0, n));
}

/**
 * A deep copy of a state value that shares nothing mutable with it. `base` is
 * the same value frozen from a fresh machine (or undefined where there is
 * none); `isBase`: this is that freezing, whose typed arrays are kept whole
 * (as Diffs against nothing, never restored).
 */
function freeze(v: unknown, base: unknown, isBase: boolean): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (ArrayBuffer.isView(v)) {
    const a = v as unknown as Typed;
    return isBase ? new Diff(a.length, new Int32Array(0), a.slice()) : freezeTyped(a, base);
  }
  if (Array.isArray(v)) {
    if (!isBase && v.every((x) => typeof x !== 'object' || x === null)) return new Flat(v.slice());
    const b = base instanceof Flat ? base.vals : Array.isArray(base) ? (base as unknown[]) : undefined;
    return v.map((x, i) => freeze(x, b?.[i], isBase));
  }
  if (v instanceof Map) return new Map([...(v as Map<unknown, unknown>)].map(([k, x]) => [k, freeze(x, undefined, isBase)]));
  if (isPlain(v)) {
    const o: Obj = {};
    const b = base !== null && typeof base === 'object' && isPlain(base) ? (base as Obj) : undefined;
    for (const k of Object.keys(v)) o[k] = freeze((v as Obj)[k], b?.[k], isBase);
    return o;
  }
  const rules = rulesOf(v);
  if (!rules) throw new Error(`checkpoint: cannot copy a ${v.constructor.name} (no field list for it in core/explore/checkpoint.ts)`);
  checkFields(v, rules);
  const src = v as Obj;
  const b = base instanceof Frozen && base.cls === v.constructor ? base : undefined;
  const keys: string[] = [];
  const vals: unknown[] = [];
  const slotKeys: string[] = [];
  const slots: Diff[] = [];
  for (const k of Object.keys(rules)) {
    const r = rules[k];
    if (r === STATE || r === OWNED) {
      // What is as in the fresh machine is left out (restoreSim() writes into a fresh machine), so a restore
      // writes only what the prefix changed.
      const bv = b ? b.vals[b.keys.indexOf(k)] : undefined;
      const x = freeze(src[k], bv, isBase);
      if (!isBase && b && unchanged(x, bv)) continue;
      keys.push(k);
      vals.push(r === OWNED && x instanceof Flat ? new Owned(x.vals) : x);
    } else if (r === SLOTS) {
      const a = src[k] as Typed;
      const used = (src.slotsUsed as number) * (src.ptrs as number);
      slotKeys.push(k);
      if (isBase) slots.push(new Diff(a.length, new Int32Array(0), a.slice(0, used)));
      else slots.push(diff(a, b ? b.slots[slotKeys.length - 1].val : new Uint8Array(0), used));
    }
  }
  return new Frozen(v.constructor, keys, vals, slotKeys, slots);
}

/** Is frozen value `x` the base's `bv` (so restoring it into a fresh machine would change nothing)? */
function unchanged(x: unknown, bv: unknown): boolean {
  if (typeof x !== 'object' || x === null) return Object.is(x, bv);
  if (x instanceof Diff) return x.idx.length === 0;
  if (x instanceof Frozen) return x.keys.length === 0 && x.slots.every((d) => d.idx.length === 0);
  if (x instanceof Flat) {
    const b = bv instanceof Flat ? bv.vals : Array.isArray(bv) ? (bv as unknown[]) : null;
    return b !== null && b.length === x.vals.length && x.vals.every((y, i) => Object.is(y, b[i]));
  }
  return false;
}

/** A fresh copy of a frozen value (for a destination that cannot be written in place). */
function thaw(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Head) {
    const a = new (v.head.constructor as new (n: number) => Typed)(v.length);
    a.set(v.head);
    return a;
  }
  if (v instanceof Flat) return v.vals.slice();
  if (Array.isArray(v)) return v.map(thaw);
  if (v instanceof Map) return new Map([...(v as Map<unknown, unknown>)].map(([k, x]) => [k, thaw(x)]));
  if (isPlain(v)) {
    const o: Obj = {};
    for (const k of Object.keys(v)) o[k] = thaw((v as Obj)[k]);
    return o;
  }
  throw new Error(`checkpoint: the fresh machine has no ${v.constructor.name} where the copy has one`);
}

/** Write frozen value `v` into `dst[key]`, in place where the shapes match. */
function assign(dst: Obj | unknown[], key: string | number, v: unknown): void {
  const d = (dst as Obj)[key as string];
  if (typeof v !== 'object' || v === null) {
    (dst as Obj)[key as string] = v;
    return;
  }
  if (v instanceof Diff) {
    if (!ArrayBuffer.isView(d) || d.constructor !== v.val.constructor || (d as unknown as Typed).length !== v.length) throw new Error(`checkpoint: '${String(key)}' of the fresh machine is not as in the machine checkpoints are taken against`);
    const a = d as unknown as Typed;
    const idx = v.idx;
    const val = v.val;
    for (let j = 0; j < idx.length; j++) a[idx[j]] = val[j];
    return;
  }
  if (v instanceof Owned) {
    (dst as Obj)[key as string] = v.vals.slice();
    return;
  }
  if (v instanceof Flat) {
    if (!Array.isArray(d)) {
      (dst as Obj)[key as string] = v.vals.slice();
      return;
    }
    const vals = v.vals;
    d.length = vals.length;
    for (let i = 0; i < vals.length; i++) d[i] = vals[i];
    return;
  }
  if (v instanceof Head) {
    if (ArrayBuffer.isView(d) && d.constructor === v.head.constructor && (d as unknown as Typed).length === v.length) {
      const a = d as unknown as Typed;
      a.set(v.head);
      a.fill(0, v.head.length);
    } else (dst as Obj)[key as string] = thaw(v);
    return;
  }
  if (Array.isArray(v)) {
    if (!Array.isArray(d)) {
      (dst as Obj)[key as string] = thaw(v);
      return;
    }
    d.length = v.length;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'object' || x === null) d[i] = x;
      else assign(d, i, x);
    }
    return;
  }
  if (v instanceof Map) {
    if (!(d instanceof Map)) {
      (dst as Obj)[key as string] = thaw(v);
      return;
    }
    d.clear();
    for (const [k, x] of v as Map<unknown, unknown>) d.set(k, thaw(x));
    return;
  }
  if (v instanceof Frozen) {
    if (typeof d !== 'object' || d === null || d.constructor !== v.cls) throw new Error(`checkpoint: the fresh machine has no ${String((v.cls as { name?: string }).name)} at '${String(key)}'`);
    restoreInto(d as Obj, v);
    return;
  }
  // A plain object: field by field in place (a program may hold it), dropping fields the copy does not have.
  if (typeof d !== 'object' || d === null || !isPlain(d)) {
    (dst as Obj)[key as string] = thaw(v);
    return;
  }
  const o = d as Obj;
  for (const k of Object.keys(o)) if (!(k in v)) delete o[k];
  for (const k of Object.keys(v)) assign(o, k, (v as Obj)[k]);
}

function restoreInto(dst: Obj, f: Frozen): void {
  // (The fields were checked against the lists when the copy was taken; the fresh machine is of the same classes.)
  // Table contents in use before the restore (SLOTS, PhysMem only), read before the slot count is overwritten.
  const inUse = f.slotKeys.length > 0 ? (dst.slotsUsed as number) * (dst.ptrs as number) : 0;
  const keys = f.keys;
  const vals = f.vals;
  for (let j = 0; j < keys.length; j++) assign(dst, keys[j], vals[j]);
  for (let j = 0; j < f.slotKeys.length; j++) {
    const k = f.slotKeys[j];
    const sd = f.slots[j];
    let cur = dst[k] as Typed;
    if (cur.length < sd.length) {
      const a = new (cur.constructor as new (n: number) => Typed)(sd.length);
      a.set(cur);
      dst[k] = a;
      cur = a;
    }
    // In the fresh machine the slots past its in-use ones read as zero; so must those past the copy's.
    const used = ((dst.slotsUsed as number) * (dst.ptrs as number));
    if (inUse > used) cur.fill(0, used, inUse);
    const idx = sd.idx;
    const val = sd.val;
    for (let q = 0; q < idx.length; q++) cur[idx[q]] = val[q];
  }
}

/** Freeze a freshly built machine (not yet stepped): the base of checkpointSim() for machines of its scenario. */
export function checkpointBase(fresh: Sim): CheckpointBase {
  if (fresh.steps !== 0) throw new Error('checkpoint: the base must be a freshly built machine');
  return { sim: freeze(fresh, undefined, true) as Frozen };
}

/**
 * A checkpoint of `sim`: every actor must have finished or, if its bit is set
 * in `unstarted`, not yet have taken a step (this checks the former; the
 * caller vouches for the latter).
 */
export function checkpointSim(sim: Sim, unstarted: number, base: CheckpointBase): Checkpoint {
  for (const a of sim.actors) {
    if (!a.done && (unstarted & (1 << a.index)) === 0) throw new Error(`checkpoint: ${a.name} is in the middle of its program`);
  }
  return { sim: freeze(sim, base.sim, false) as Frozen, actors: sim.actors.length, unstarted };
}

/**
 * Make `fresh` (a machine just built by the same factory, not yet stepped)
 * the machine the checkpoint was taken of. The checkpoint can be restored
 * any number of times.
 */
export function restoreSim(cp: Checkpoint, fresh: Sim): void {
  if (fresh.steps !== 0 || fresh.actors.length !== cp.actors) throw new Error('checkpoint: restore into a machine that is not freshly built from the same scenario');
  // The programs first: the generic copy below leaves them alone.
  for (const a of fresh.actors) {
    if (cp.unstarted & (1 << a.index)) continue;
    // Finished: no program left (as Sim.advance() leaves it).
    a.stack.length = 0;
    a.topFrame = null;
    a.topResume = noProgram;
    a.routineCache.length = 0;
  }
  restoreInto(fresh as unknown as Obj, cp.sim);
  // The memory is copied from the boot image again for the next machine (core/explore/index.ts), and only where it
  // was written since: what the restore wrote counts.
  const at = cp.sim.keys.indexOf('mem');
  const mem = at >= 0 ? cp.sim.vals[at] : undefined;
  if (mem instanceof Frozen) {
    for (let j = 0; j < mem.keys.length; j++) {
      const v = mem.vals[j];
      if (v instanceof Diff && MEM_FRAME_ARRAYS.has(mem.keys[j])) fresh.mem.touched(v.idx, []);
    }
    for (const d of mem.slots) fresh.mem.touched([], d.idx);
  }
}
