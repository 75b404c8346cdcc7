/**
 * The machine at any step of a trace. A recording replays a run's schedule
 * once, keeping the simulator's full step log and, for every piece of state
 * the Trace viewer shows (table entries, frames, TLB and walk-cache slots,
 * locks, memory sections, actors finishing), the history of its values by
 * step. The state after step N is then read directly, at any N, in either
 * direction, without re-running: each value is the last one recorded at or
 * before N, or the value at boot (read from a second, unstepped machine).
 * Owns the recording, the page-table tree at a step, each CPU's TLB and walk
 * cache, locks, actors' next steps, and what a step changed.
 */
import { alignDown, formatVA, indexAt, vaOffset } from './arch.ts';
import { ENTRY_BLOCK, ENTRY_KIND_NAMES, ENTRY_NONE, ENTRY_TABLE, FRAME_FREE, FRAME_STATIC, FRAME_TABLE, ROLE_NAMES } from './model/memory.ts';
import { LOCK_NAMES, Locks, N_LOCKS } from './model/locks.ts';
import type { RunResult, TraceStep, Violation } from './results.ts';
import { buildSim, type RunOptions, startRun } from './run/runner.ts';
import type { Scenario } from './scenario.ts';
import type { Actor } from './machine/actor.ts';
import { type Scheduler, SECTION_ABSENT, SECTION_OFFLINE, SECTION_ONLINE, SECTION_REMOVED, type Sim } from './machine/sim.ts';
import { newLoggedStep } from './machine/step-log.ts';
import { OP_ACCESS, OP_ALLOC_BLOCK, OP_ALLOC_PAGE, OP_COMPLETE, OP_FREE, OP_LOCK, OP_MEM_STATE, OP_READ, OP_READ_LOCK, OP_READ_UNLOCK, OP_TLBI_ALL, OP_TLBI_PGTABLE, OP_TLBI_RANGE, OP_TRYLOCK, OP_UNLOCK, OP_WAIT_COMPLETION, OP_WRITE, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_WRITE_UNLOCK, OP_XCHG } from './machine/ops.ts';
import type { Strategy } from './strategies.ts';

// ------------------------------------------------------------------ the shapes (as the lab API's MachineState)

export type TableLevel = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';

export interface TableNode {
  pfn: number;
  generation: number;
  level: TableLevel;
  /** live: allocated and holding this generation; freed; reused: allocated again (another generation); static: in the kernel image. */
  state: 'live' | 'freed' | 'reused' | 'static';
  /** The VA span the table maps, full 64-bit hex, end inclusive. */
  start: string;
  end: string;
  /** Entries shown (those on the trace's path, cleared ones among them, and a few live ones around them). */
  entries: TableEntry[];
  /** Live entries not shown. */
  omitted: number;
  /** The step that last changed this table (or -1). */
  changedAt: number;
}

export interface TableEntry {
  index: number;
  /** First VA the entry maps. */
  va: string;
  /** 'none': an entry on the trace's path that a step cleared (see `was`). */
  kind: 'table' | 'block' | 'page' | 'none';
  pfn: number;
  /** The entry points to a freed or reused frame. */
  dangling: boolean;
  /** Expanded child table (entries of kind 'table' on the trace's path). */
  child?: TableNode;
  /** A cleared entry on the trace's path (kind 'none'): what it held before and the step that cleared it. */
  was?: { kind: 'table' | 'block' | 'page'; pfn: number };
  clearedAt?: number;
}

export interface CpuState {
  cpu: number;
  leaf: { va: string; size: number; pfn: number; generation: number; stale: boolean }[];
  walk: { level: string; va: string; pfn: number; generation: number; stale: boolean }[];
}

export interface LockState {
  name: string;
  holder: string | null;
  /** percpu rwsem: the announced writer. */
  writer: string | null;
  readers: string[];
  waiters: string[];
}

export interface ActorState {
  name: string;
  cpu: number;
  done: boolean;
  /** The step it will take next, in kernel terms. */
  next: { function: string; action: string; address: string } | null;
  /** The table or page the next step goes through, if any, and whether that pointer is stale (freed or reused since the actor read it). */
  pointer: { pfn: number; generation: number; role: string; stale: boolean } | null;
  locks: string[];
}

export interface MachineStateAt {
  step: number;
  /** swapper_pg_dir and the tables below it: tables on the trace's addresses expanded, others summarised. */
  root: TableNode;
  /** Table pages the trace touched that are no longer linked from the root (freed, reused or unlinked). */
  detached: TableNode[];
  cpus: CpuState[];
  locks: LockState[];
  actors: ActorState[];
  /** What this step changed, one line each (entry writes old → new, frees, allocations, TLB invalidations, lock changes). */
  changes: string[];
}

// ------------------------------------------------------------------ histories

/** Values of one piece of state by step: `steps` ascending, `vals[i]` holds from steps[i] on. */
class History<T> {
  readonly steps: number[] = [];
  readonly vals: T[] = [];

  push(step: number, v: T): void {
    const n = this.steps.length;
    if (n > 0 && this.steps[n - 1] === step) this.vals[n - 1] = v;
    else {
      this.steps.push(step);
      this.vals.push(v);
    }
  }

  /** The value from the last change at or before `step`, or undefined if none. */
  at(step: number): T | undefined {
    const s = this.steps;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] <= step) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.vals[found];
  }

  last(): T | undefined {
    return this.vals[this.vals.length - 1];
  }
}

/** The index of the last element <= x in an ascending array, or -1. */
function lastAtOrBefore(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

interface Entry {
  kind: number;
  val: number;
}
interface FrameVal {
  state: number;
  gen: number;
  role: number;
  depth: number;
}
interface Slot {
  valid: number;
  va: number;
  size: number;
  pfn: number;
  gen: number;
  /** Walk cache: the table depth. */
  depth: number;
}
interface LockVal {
  holder: number;
  writer: number;
  readers: number;
}
interface SectionVal {
  state: number;
  gen: number;
}

/** How many of an actor's next steps are searched for the pointer it is about to go through. */
const POINTER_LOOKAHEAD = 16;

/** A lock as every run starts: free, no writer, no reader. */
const BOOT_LOCK: LockVal = { holder: -1, writer: -1, readers: 0 };

const CH_ENTRY = 0;
const CH_FRAME = 1;
const CH_LEAF = 2;
const CH_WALK = 3;
const CH_LOCK = 4;
const CH_SECTION = 5;
const CH_DONE = 6;

/** The pending step of an actor about to run: what the recording needs of it. */
interface Pending {
  op: number;
  f: number;
  idx: number;
  lock: number;
  addr: number;
  size: number;
  cpu: number;
}

// ------------------------------------------------------------------ the recording

export interface RecordOptions {
  scenario: Scenario;
  strategy: Strategy;
  seed: number;
  schedule: readonly number[];
  /** Keep the machine's history only for steps before this one (the trace's end); the replay itself runs the whole schedule. */
  recordUntil?: number;
}

/**
 * A replayed run with its full step log and the history of the machine's
 * state. `result` is the replay's result (as `ptlab replay` would get it).
 */
export class TraceRecording {
  readonly sim: Sim;
  /** The machine at boot, never stepped: every value the histories do not cover. */
  private readonly boot: Sim;
  readonly result: RunResult;
  readonly diverged: boolean;
  private readonly ptrs: number;
  private readonly cells = new Map<number, History<Entry>>();
  /** Per frame: the entry indices that have a history. */
  private readonly cellsOfFrame = new Map<number, number[]>();
  private readonly frames = new Map<number, History<FrameVal>>();
  /** Per frame: the steps that changed it or one of its entries, ascending. */
  private readonly frameChanges = new Map<number, number[]>();
  private readonly leaf = new Map<number, History<Slot>>();
  private readonly walk = new Map<number, History<Slot>>();
  private readonly lockHist: History<LockVal>[] = [];
  private readonly sectionHist: History<SectionVal>[] = [];
  private readonly doneHist: History<boolean>[] = [];
  /** Per step: its changes as (kind, key) pairs, from changeStart[s] to changeStart[s + 1]. */
  private changeStart: Int32Array;
  private readonly changeKind: number[] = [];
  private readonly changeKey: number[] = [];
  /** Per step: the op, its lock, its entry index and TLBI size, as the actor described it. */
  private stepOp: Uint8Array;
  private stepLock: Int8Array;
  private stepIdx: Int16Array;
  private stepSize: Float64Array;
  /** Per actor: the steps it took, ascending. */
  readonly actorSteps: Int32Array[];
  /** Current (latest recorded) shadow of the TLB slots, to diff against. */
  private readonly curLeaf: Slot[] = [];
  private readonly curWalk: Slot[] = [];

  private constructor(o: RecordOptions) {
    const built = buildSim(o.scenario, o.strategy, { mode: 'replay', seed: o.seed });
    this.boot = built.sim;
    const n = o.schedule.length;
    this.stepOp = new Uint8Array(n);
    this.stepLock = new Int8Array(n);
    this.stepIdx = new Int16Array(n);
    this.stepSize = new Float64Array(n);
    this.changeStart = new Int32Array(n + 1);
    // One pending record, reused: the wrapper runs once per step of runs of 100,000 steps and more.
    const pending: Pending = { op: 0, f: -1, idx: 0, lock: -1, addr: -1, size: 0, cpu: 0 };
    let pendingStep = -1;
    let sim: Sim | null = null;
    const finish = (): void => {
      if (sim && pendingStep >= 0) this.afterStep(sim, pendingStep, pending);
      pendingStep = -1;
    };
    const until = o.recordUntil ?? n;
    const wrap = (inner: Scheduler): Scheduler => ({
      pick: (s, enabled, k) => {
        sim = s;
        finish();
        const i = inner.pick(s, enabled, k);
        if (i >= 0 && s.steps >= until) {
          // Past the trace's end only what each step was (op, lock) is kept: the actors' next steps are read from there.
          const a = s.actors[i];
          this.stepOp[s.steps] = a.op;
          this.stepLock[s.steps] = a.lock;
        } else if (i >= 0) {
          const a = s.actors[i];
          pendingStep = s.steps;
          pending.op = a.op;
          pending.f = a.frame;
          pending.idx = a.entry;
          pending.lock = a.lock;
          pending.addr = a.addr;
          pending.size = a.size;
          pending.cpu = a.cpu;
          this.beforeStep(s, pendingStep, pending);
        }
        return i;
      },
    });
    const opts: RunOptions = { mode: 'replay', seed: o.seed, schedule: o.schedule };
    const h = startRun(o.scenario, o.strategy, opts, wrap);
    this.sim = h.sim;
    sim = h.sim;
    this.ptrs = h.sim.mem.ptrs;
    for (let l = 0; l < N_LOCKS; l++) this.lockHist.push(new History());
    for (let i = 0; i < h.sim.sections.length; i++) this.sectionHist.push(new History());
    for (let i = 0; i < h.sim.actors.length; i++) this.doneHist.push(new History());
    const t = h.sim.tlbs;
    for (let i = 0; i < t.leafValid.length; i++) this.curLeaf.push(slotOf(t, i, false));
    for (let i = 0; i < t.walkValid.length; i++) this.curWalk.push(slotOf(t, i, true));
    h.advance(Infinity);
    finish();
    const steps = h.sim.steps;
    for (let s = this.lastClosed + 1; s <= steps; s++) this.changeStart[s] = this.changeKind.length;
    this.result = h.result();
    this.diverged = h.diverged;
    const per: number[][] = h.sim.actors.map(() => []);
    const rec = newLoggedStep();
    for (let s = 0; s < steps; s++) per[h.sim.loggedStep(s, rec).actor]?.push(s);
    this.actorSteps = per.map((xs) => Int32Array.from(xs));
  }

  /** Replay `schedule` and record it. */
  static record(o: RecordOptions): TraceRecording {
    return new TraceRecording(o);
  }

  /** Steps in the replayed log. */
  get steps(): number {
    return this.sim.steps;
  }

  // ---------------------------------------------------------------- recording

  /** The last step whose changes were closed (changeStart filled up to it). */
  private lastClosed = -1;

  private beforeStep(_sim: Sim, step: number, p: Pending): void {
    if (step < this.stepOp.length) {
      this.stepOp[step] = p.op;
      this.stepLock[step] = p.lock;
      this.stepIdx[step] = p.idx;
      this.stepSize[step] = p.size;
    }
  }

  private change(kind: number, key: number): void {
    this.changeKind.push(kind);
    this.changeKey.push(key);
  }

  private afterStep(sim: Sim, step: number, p: Pending): void {
    for (let s = this.lastClosed + 1; s <= step; s++) this.changeStart[s] = this.changeKind.length;
    this.lastClosed = step;
    const mem = sim.mem;
    const a = sim.actors;
    if (p.op === OP_WRITE || p.op === OP_XCHG) this.recordCell(step, p.f, p.idx, { kind: mem.kind(p.f, p.idx), val: mem.val(p.f, p.idx) });
    if (p.op === OP_ALLOC_PAGE || p.op === OP_ALLOC_BLOCK || p.op === OP_FREE) {
      // The frame allocated is the step's result (as logged); the frame freed its operand.
      const f = p.op === OP_FREE ? p.f : sim.loggedFrame(step);
      if (f >= 0) this.recordFrame(sim, step, f);
    }
    if (p.op === OP_ACCESS) this.diffTlb(sim, step, p.cpu);
    if (p.op === OP_TLBI_RANGE || p.op === OP_TLBI_PGTABLE || p.op === OP_TLBI_ALL) this.diffTlb(sim, step, -1);
    if (p.op === OP_MEM_STATE) {
      sim.sections.forEach((sec, i) => {
        const cur = this.sectionAtLatest(i);
        if (cur.state !== sec.state || cur.gen !== sec.gen) {
          this.sectionHist[i].push(step, { state: sec.state, gen: sec.gen });
          this.change(CH_SECTION, i);
        }
      });
    }
    const locks = sim.locks;
    for (let l = 0; l < N_LOCKS; l++) {
      const h = this.lockHist[l];
      const cur = h.steps.length > 0 ? h.vals[h.vals.length - 1] : BOOT_LOCK;
      if (cur.holder !== locks.holder[l] || cur.writer !== locks.writer[l] || cur.readers !== locks.readers[l]) {
        this.lockHist[l].push(step, { holder: locks.holder[l], writer: locks.writer[l], readers: locks.readers[l] });
        this.change(CH_LOCK, l);
      }
    }
    for (let i = 0; i < a.length; i++) {
      const h = this.doneHist[i];
      // A deadlocked actor is taken out of the run (done and stuck): it is not finished, it waits.
      const done = a[i].done && !a[i].stuck;
      const cur = h.steps.length > 0 ? h.vals[h.vals.length - 1] : this.boot.actors[i].done;
      if (cur !== done) {
        h.push(step, done);
        this.change(CH_DONE, i);
      }
    }
  }

  private cellKey(f: number, i: number): number {
    return f * this.ptrs + i;
  }

  private recordCell(step: number, f: number, i: number, v: Entry): void {
    const key = this.cellKey(f, i);
    let h = this.cells.get(key);
    if (!h) {
      h = new History();
      this.cells.set(key, h);
      const list = this.cellsOfFrame.get(f);
      if (list) list.push(i);
      else this.cellsOfFrame.set(f, [i]);
    }
    const cur = h.last() ?? this.bootEntry(f, i);
    if (cur.kind === v.kind && cur.val === v.val) return;
    h.push(step, v);
    this.change(CH_ENTRY, key);
    this.touch(f, step);
  }

  private touch(f: number, step: number): void {
    const list = this.frameChanges.get(f);
    if (!list) this.frameChanges.set(f, [step]);
    else if (list[list.length - 1] !== step) list.push(step);
  }

  private recordFrame(sim: Sim, step: number, f: number): void {
    const mem = sim.mem;
    const now: FrameVal = { state: mem.state[f], gen: mem.gen[f], role: mem.role[f], depth: mem.depth[f] };
    let h = this.frames.get(f);
    if (!h) {
      h = new History();
      this.frames.set(f, h);
    }
    const cur = h.last() ?? this.bootFrame(f);
    if (cur.state === now.state && cur.gen === now.gen && cur.role === now.role && cur.depth === now.depth) return;
    h.push(step, now);
    this.change(CH_FRAME, f);
    this.touch(f, step);
    // A page that becomes a table is zeroed: every entry it held in an earlier life goes.
    if (now.state === FRAME_TABLE && now.gen !== cur.gen) {
      const known = new Set(this.cellsOfFrame.get(f) ?? []);
      for (let i = 0; i < this.ptrs; i++) {
        const old = known.has(i) ? (this.cells.get(this.cellKey(f, i))!.last() ?? this.bootEntry(f, i)) : this.bootEntry(f, i);
        if (old.kind !== ENTRY_NONE) this.recordCell(step, f, i, { kind: mem.kind(f, i), val: mem.val(f, i) });
      }
    }
  }

  private diffTlb(sim: Sim, step: number, cpu: number): void {
    const t = sim.tlbs;
    const scan = (walk: boolean): void => {
      const cap = walk ? t.walkCap : t.leafCap;
      const n = walk ? t.walkValid.length : t.leafValid.length;
      const from = cpu < 0 ? 0 : cpu * cap;
      const to = cpu < 0 ? n : (cpu + 1) * cap;
      const cur = walk ? this.curWalk : this.curLeaf;
      const hist = walk ? this.walk : this.leaf;
      const valid = walk ? t.walkValid : t.leafValid;
      const va = walk ? t.walkSpan : t.leafVa;
      const pfn = walk ? t.walkPfn : t.leafPfn;
      const gen = walk ? t.walkGen : t.leafGen;
      for (let i = from; i < to; i++) {
        // Compared in place: a TLBI over a long teardown visits every slot thousands of times.
        const was = cur[i];
        if (valid[i] === was.valid && (valid[i] === 0 || (va[i] === was.va && pfn[i] === was.pfn && gen[i] === was.gen))) continue;
        const now = slotOf(t, i, walk);
        cur[i] = now;
        let h = hist.get(i);
        if (!h) {
          h = new History();
          hist.set(i, h);
        }
        h.push(step, now);
        this.change(walk ? CH_WALK : CH_LEAF, i);
      }
    };
    scan(false);
    scan(true);
  }

  // ---------------------------------------------------------------- reading the state at a step

  private bootEntry(f: number, i: number): Entry {
    return { kind: this.boot.mem.kind(f, i), val: this.boot.mem.val(f, i) };
  }

  private bootFrame(f: number): FrameVal {
    const m = this.boot.mem;
    return { state: m.state[f], gen: m.gen[f], role: m.role[f], depth: m.depth[f] };
  }

  /** Entry i of frame f after step n (n = -1: at boot). */
  entryAt(f: number, i: number, n: number): Entry {
    return this.cells.get(this.cellKey(f, i))?.at(n) ?? this.bootEntry(f, i);
  }

  frameAt(f: number, n: number): FrameVal {
    return this.frames.get(f)?.at(n) ?? this.bootFrame(f);
  }

  private sectionAtLatest(i: number): SectionVal {
    return this.sectionHist[i].last() ?? { state: this.boot.sections[i].state, gen: this.boot.sections[i].gen };
  }

  sectionAt(i: number, n: number): SectionVal {
    return this.sectionHist[i].at(n) ?? { state: this.boot.sections[i].state, gen: this.boot.sections[i].gen };
  }

  lockAt(l: number, n: number): LockVal {
    return this.lockHist[l].at(n) ?? { holder: this.boot.locks.holder[l], writer: this.boot.locks.writer[l], readers: this.boot.locks.readers[l] };
  }

  doneAt(actor: number, n: number): boolean {
    return this.doneHist[actor].at(n) ?? this.boot.actors[actor].done;
  }

  private slotAt(walk: boolean, i: number, n: number): Slot {
    return (walk ? this.walk : this.leaf).get(i)?.at(n) ?? slotOf(this.boot.tlbs, i, walk);
  }

  private isTableAt(f: number, n: number): boolean {
    const fr = this.frameAt(f, n);
    return fr.state === FRAME_TABLE || (fr.state === FRAME_STATIC && fr.depth >= 0);
  }

  /** Is the memory behind `pfn` (of generation `gen`) gone after step n: a freed or reallocated frame, or removed memory? */
  private pfnDeadAt(pfn: number, gen: number, n: number): boolean {
    const mem = this.sim.mem;
    const f = mem.frameOf(pfn);
    if (f >= 0) {
      const fr = this.frameAt(f, n);
      return fr.state === FRAME_FREE || fr.gen !== gen;
    }
    const sec = this.sectionIndexOf(pfn);
    if (sec < 0) return false;
    const s = this.sectionAt(sec, n);
    return s.state === SECTION_REMOVED || s.gen !== gen;
  }

  private sectionIndexOf(pfn: number): number {
    const pa = pfn * this.sim.geometry.pageSize;
    return this.sim.sections.findIndex((s) => pa >= s.start && pa < s.start + s.size);
  }

  // ---------------------------------------------------------------- the page-table tree

  private levelName(depth: number): TableLevel {
    return this.sim.geometry.name[depth];
  }

  /** The state of a table frame as a node holding generation `gen`. */
  private nodeState(f: number, gen: number, n: number): TableNode['state'] {
    const fr = this.frameAt(f, n);
    if (fr.state === FRAME_STATIC) return 'static';
    if (fr.state === FRAME_FREE) return 'freed';
    return fr.gen === gen ? 'live' : 'reused';
  }

  private changedAt(f: number, n: number): number {
    const list = this.frameChanges.get(f);
    if (!list) return -1;
    const i = lastAtOrBefore(list, n);
    return i < 0 ? -1 : list[i];
  }

  /**
   * Table frame f (depth d, spanning from `start`) as a node after step n:
   * entries on the path of a focus VA are shown (tables among them
   * expanded), with a couple of live neighbours each; the rest are counted.
   */
  private node(f: number, gen: number, d: number, start: number, n: number, focus: readonly number[], seen: Set<number>): TableNode {
    const g = this.sim.geometry;
    const span = d === 0 ? g.vaSpan : g.entrySize[d - 1];
    const live: number[] = [];
    for (let i = 0; i < g.ptrs[d]; i++) if (this.entryAt(f, i, n).kind !== ENTRY_NONE) live.push(i);
    const onPath = new Set<number>();
    for (const va of focus) if (va >= start && va < start + span) onPath.add(indexAt(g, d, va));
    // Each on-path entry (if it is not none) and the two live entries on either side of its index.
    const shown = new Set<number>();
    for (const i of onPath) {
      const k = lastAtOrBefore(live, i);
      for (let j = Math.max(0, k - 1); j <= Math.min(live.length - 1, k + 2); j++) if (live[j] !== i || onPath.has(i)) shown.add(live[j]);
      // An on-path entry the trace cleared is shown as none, with what it held: the step a reader of the tree looks for.
      if (this.clearing(f, i, n)) shown.add(i);
    }
    seen.add(f);
    const entries: TableEntry[] = [];
    for (const i of [...shown].sort((x, y) => x - y)) {
      const e = this.entryAt(f, i, n);
      const va = start + i * g.entrySize[d];
      const cleared = e.kind === ENTRY_NONE ? this.clearing(f, i, n) : null;
      if (cleared) {
        entries.push({ index: i, va: formatVA(g, va), kind: 'none', pfn: 0, dangling: false, was: { kind: this.entryKindName(cleared.was, d), pfn: cleared.was.val }, clearedAt: cleared.step });
        continue;
      }
      const kind = this.entryKindName(e, d);
      const child = this.sim.mem.frameOf(e.val);
      let dangling = false;
      if (kind === 'table') dangling = child < 0 || !this.isTableAt(child, n);
      else if (child >= 0) dangling = this.frameAt(child, n).state === FRAME_FREE;
      else {
        const sec = this.sectionIndexOf(e.val);
        dangling = sec >= 0 && this.sectionAt(sec, n).state === SECTION_REMOVED;
      }
      const entry: TableEntry = { index: i, va: formatVA(g, va), kind, pfn: e.val, dangling };
      if (kind === 'table' && onPath.has(i) && child >= 0 && !seen.has(child)) {
        entry.child = this.node(child, this.frameAt(child, n).gen, d + 1, va, n, focus, seen);
      }
      entries.push(entry);
    }
    return {
      pfn: this.sim.mem.pfnOf(f),
      generation: gen,
      level: this.levelName(d),
      state: this.nodeState(f, gen, n),
      start: formatVA(g, start),
      end: formatVA(g, start + span - 1),
      entries,
      omitted: live.length - entries.filter((e) => e.kind !== 'none').length,
      changedAt: this.changedAt(f, n),
    };
  }

  private entryKindName(e: Entry, d: number): 'table' | 'block' | 'page' {
    const g = this.sim.geometry;
    return e.kind === ENTRY_TABLE && d < g.levels - 1 ? 'table' : e.kind === ENTRY_BLOCK ? 'block' : e.kind === ENTRY_TABLE ? 'table' : 'page';
  }

  /** If entry i of frame f is none after step n because a step cleared it: that step and what the entry held before. */
  private clearing(f: number, i: number, n: number): { step: number; was: Entry } | null {
    const h = this.cells.get(this.cellKey(f, i));
    if (!h) return null;
    const k = lastAtOrBefore(h.steps, n);
    if (k < 0 || h.vals[k].kind !== ENTRY_NONE) return null;
    const was = k > 0 ? h.vals[k - 1] : this.bootEntry(f, i);
    return was.kind === ENTRY_NONE ? null : { step: h.steps[k], was };
  }

  /** Is table frame f (depth d, covering `start`) linked from the root after step n? */
  private linked(f: number, d: number, start: number, n: number): boolean {
    const g = this.sim.geometry;
    let t = this.sim.root;
    for (let k = 0; k < d; k++) {
      const e = this.entryAt(t, indexAt(g, k, start), n);
      if (e.kind !== ENTRY_TABLE) return false;
      t = this.sim.mem.frameOf(e.val);
      if (t < 0) return false;
    }
    return t === f;
  }

  // ---------------------------------------------------------------- the state at a step

  /**
   * The machine after step n (n = -1: at boot). `focus` is what the viewer
   * follows: VAs whose tables are expanded, and table pages (frame and the
   * generation the trace knew) listed as detached once they are no longer
   * linked.
   */
  stateAt(n: number, focus: Focus): MachineStateAt {
    const sim = this.sim;
    const g = sim.geometry;
    const last = Math.min(n, this.steps - 1);
    // The step's own address and the addresses the actors go through next are followed too.
    const vas = new Set(focus.vas);
    const rec = newLoggedStep();
    if (last >= 0) {
      const r = sim.loggedStep(last, rec);
      if (r.addr >= 0) vas.add(r.addr);
    }
    const nextOf = sim.actors.map((_, i) => this.nextStepOf(i, last));
    for (const s of nextOf) if (s >= 0 && sim.loggedStep(s, rec).addr >= 0) vas.add(rec.addr);
    const seen = new Set<number>();
    const root = this.node(sim.root, this.frameAt(sim.root, last).gen, 0, 0, last, [...vas], seen);

    // Detached: table pages the trace touched, allocated as the generation it knew by now, and not linked.
    const candidates = new Map<number, { gen: number; depth: number; addr: number }>();
    const add = (f: number, gen: number, depth: number, addr: number): void => {
      if (f < 0 || depth < 0 || addr < 0 || candidates.has(f)) return;
      candidates.set(f, { gen, depth, addr });
    };
    for (const c of focus.tables) add(c.frame, c.gen, c.depth, c.addr);
    if (last >= 0) {
      const r = sim.loggedStep(last, rec);
      if (r.depth >= 0 && isTableAccess(r.op)) add(r.frame, r.gen, r.depth, r.addr);
    }
    const pointers = sim.actors.map((_, i) => this.pointerStepOf(i, last));
    for (const s of pointers) {
      if (s < 0) continue;
      const r = sim.loggedStep(s, rec);
      if (r.depth >= 0) add(r.frame, r.gen, r.depth, r.addr);
    }
    const detached: TableNode[] = [];
    for (const [f, c] of candidates) {
      if (seen.has(f)) continue;
      if (!this.existedBy(f, c.gen, last)) continue;
      const start = c.depth === 0 ? 0 : alignDown(c.addr, g.entrySize[c.depth - 1]);
      if (this.frameAt(f, last).gen === c.gen && this.isTableAt(f, last) && this.linked(f, c.depth, start, last)) continue;
      detached.push(this.node(f, c.gen, c.depth, start, last, [...vas], seen));
    }

    const cpus: CpuState[] = [];
    const t = sim.tlbs;
    for (let cpu = 0; cpu < t.cpus; cpu++) {
      const leaf: CpuState['leaf'] = [];
      for (let i = cpu * t.leafCap; i < (cpu + 1) * t.leafCap; i++) {
        const s = this.slotAt(false, i, last);
        if (s.valid) leaf.push({ va: formatVA(g, s.va), size: s.size, pfn: s.pfn, generation: s.gen, stale: this.pfnDeadAt(s.pfn, s.gen, last) });
      }
      const walk: CpuState['walk'] = [];
      for (let i = cpu * t.walkCap; i < (cpu + 1) * t.walkCap; i++) {
        const s = this.slotAt(true, i, last);
        if (!s.valid) continue;
        const f = sim.mem.frameOf(s.pfn);
        const stale = f < 0 || !this.isTableAt(f, last) || this.frameAt(f, last).gen !== s.gen;
        walk.push({ level: g.name[s.depth] ?? `level ${s.depth}`, va: formatVA(g, s.va), pfn: s.pfn, generation: s.gen, stale });
      }
      cpus.push({ cpu, leaf, walk });
    }

    const actors = sim.actors.map((a, i) => this.actorState(a, i, last, nextOf[i], pointers[i]));
    const locks: LockState[] = [];
    const probe = new Locks();
    for (let l = 0; l < N_LOCKS; l++) {
      const v = this.lockAt(l, last);
      probe.holder[l] = v.holder;
      probe.writer[l] = v.writer;
      probe.readers[l] = v.readers;
    }
    for (let l = 0; l < N_LOCKS; l++) {
      const v = this.lockAt(l, last);
      const readers = sim.actors.filter((_, i) => this.locksOf(i, last) & (1 << (l + 8))).map((a) => a.name);
      const waiters = sim.actors
        .filter((a, i) => {
          const s = nextOf[i];
          if (this.doneAt(i, last)) return false;
          // Its next step: in the log, or (it never steps again) what it was left pending on.
          if (s < 0 && a.done && !a.stuck) return false;
          const op = s >= 0 ? this.stepOp[s] : a.op;
          if ((s >= 0 ? this.stepLock[s] : a.lock) !== l) return false;
          if (op === OP_LOCK) return !(probe.holder[l] === i || probe.canLock(l));
          if (op === OP_READ_LOCK) return !probe.canReadLock(l);
          if (op === OP_WRITE_ENTER) return !probe.canWriteEnter(l);
          if (op === OP_WRITE_LOCK) return !probe.canWriteLock(l, i);
          return false;
        })
        .map((a) => a.name);
      const name = (x: number): string | null => (x >= 0 ? (sim.actors[x]?.name ?? null) : null);
      if (v.holder < 0 && v.writer < 0 && readers.length === 0 && waiters.length === 0 && v.readers === 0) {
        locks.push({ name: LOCK_NAMES[l], holder: null, writer: null, readers: [], waiters: [] });
        continue;
      }
      locks.push({ name: LOCK_NAMES[l], holder: name(v.holder), writer: name(v.writer), readers, waiters });
    }
    return { step: n, root, detached, cpus, locks, actors, changes: this.changesAt(n) };
  }

  /** Was frame f allocated as generation `gen` at or before step n (or at boot)? */
  private existedBy(f: number, gen: number, n: number): boolean {
    const boot = this.bootFrame(f);
    if (boot.gen === gen && boot.state !== FRAME_FREE) return true;
    const h = this.frames.get(f);
    if (!h) return false;
    for (let i = 0; i < h.steps.length && h.steps[i] <= n; i++) if (h.vals[i].gen === gen && h.vals[i].state !== FRAME_FREE) return true;
    return false;
  }

  /** The first step after n taken by actor i, or -1. */
  nextStepOf(i: number, n: number): number {
    const xs = this.actorSteps[i];
    const k = lastAtOrBefore(xs, n) + 1;
    return k < xs.length ? xs[k] : -1;
  }

  /** Locks actor i held after step n (exclusive bits, read bits shifted by 8). */
  private locksOf(i: number, n: number): number {
    const xs = this.actorSteps[i];
    const k = lastAtOrBefore(xs, n);
    return k < 0 ? 0 : this.sim.loggedStep(xs[k], newLoggedStep()).locks;
  }

  /**
   * The actor's next step after n that goes through a table or page (a read,
   * write, exchange or free), within its next few steps: the pointer it
   * holds now and is about to use (a lock or allocation step in between
   * does not drop it). -1 if none is near.
   */
  pointerStepOf(i: number, n: number): number {
    const xs = this.actorSteps[i];
    const k0 = lastAtOrBefore(xs, n) + 1;
    for (let k = k0; k < Math.min(xs.length, k0 + POINTER_LOOKAHEAD); k++) if (isTableAccess(this.stepOp[xs[k]])) return xs[k];
    return -1;
  }

  private actorState(a: Actor, i: number, n: number, next: number, pointerStep: number): ActorState {
    const sim = this.sim;
    const mask = this.locksOf(i, n);
    const locks: string[] = [];
    for (let l = 0; l < N_LOCKS; l++) {
      if (mask & (1 << l)) locks.push(LOCK_NAMES[l]);
      if (mask & (1 << (l + 8))) locks.push(`${LOCK_NAMES[l]} (read)`);
    }
    const done = this.doneAt(i, n);
    if (next < 0) {
      // It takes no further step in the log: what it was left waiting on at the end, if anything.
      if (a.done && !a.stuck) return { name: a.name, cpu: a.cpu, done: true, next: null, pointer: null, locks };
      return { name: a.name, cpu: a.cpu, done, next: { function: a.fn, action: a.act, address: a.addr >= 0 ? formatVA(sim.geometry, a.addr) : '' }, pointer: this.pointer(a.op, a.frame, a.gen, n), locks };
    }
    const r = sim.loggedStep(next, newLoggedStep());
    const p = pointerStep >= 0 ? sim.loggedStep(pointerStep, newLoggedStep()) : null;
    return {
      name: a.name,
      cpu: a.cpu,
      done,
      next: { function: r.fn, action: r.act, address: r.addr >= 0 ? formatVA(sim.geometry, r.addr) : '' },
      pointer: p ? this.pointer(p.op, p.frame, p.gen, n) : null,
      locks,
    };
  }

  /** The table or page an op goes through, with the generation the actor holds, stale if that is no longer what the frame is. */
  private pointer(op: number, f: number, gen: number, n: number): ActorState['pointer'] {
    if (f < 0 || !(op === OP_READ || op === OP_WRITE || op === OP_XCHG || op === OP_FREE)) return null;
    const fr = this.frameAt(f, n);
    const stale = op === OP_FREE ? fr.state === FRAME_FREE || fr.gen !== gen : !this.isTableAt(f, n) || fr.gen !== gen;
    // What the page was in the generation the actor holds, then what it is now if that changed.
    const held = this.generationValue(f, gen);
    const was = held ? this.roleWords(held) : 'page';
    const role = !stale ? was : fr.state === FRAME_FREE ? `${was}, freed` : `${was}, now ${this.roleWords(fr)} (generation ${fr.gen})`;
    return { pfn: this.sim.mem.pfnOf(f), generation: gen, role, stale };
  }

  /** Frame f's value while it held generation `gen` (allocated), or null. */
  private generationValue(f: number, gen: number): FrameVal | null {
    const boot = this.bootFrame(f);
    if (boot.gen === gen && boot.state !== FRAME_FREE) return boot;
    const h = this.frames.get(f);
    if (!h) return null;
    for (let i = 0; i < h.vals.length; i++) if (h.vals[i].gen === gen && h.vals[i].state !== FRAME_FREE) return h.vals[i];
    return null;
  }

  private roleWords(fr: FrameVal): string {
    if (fr.state === FRAME_FREE) return 'free';
    if (fr.depth >= 0 && (fr.state === FRAME_TABLE || fr.state === FRAME_STATIC)) return `${this.sim.geometry.name[fr.depth].toUpperCase()} table${fr.state === FRAME_STATIC ? ' (static)' : ''}`;
    return ROLE_NAMES[fr.role] ?? 'page';
  }

  // ---------------------------------------------------------------- what a step changed

  /** What step n changed, one line each (n = -1: nothing). */
  changesAt(n: number): string[] {
    if (n < 0 || n >= this.steps) return [];
    const sim = this.sim;
    const g = sim.geometry;
    const out: string[] = [];
    const r = sim.loggedStep(n, newLoggedStep());
    const op = this.stepOp[n];
    const from = this.changeStart[n];
    const to = n + 1 < this.changeStart.length ? this.changeStart[n + 1] : this.changeKind.length;
    const zeroed = new Map<number, number>();
    const tlb = new Map<number, { filled: string[]; dropped: number; droppedWalk: number }>();
    const cpuOf = (walk: boolean, slot: number): number => Math.floor(slot / (walk ? sim.tlbs.walkCap : sim.tlbs.leafCap));
    for (let c = from; c < to; c++) {
      const kind = this.changeKind[c];
      const key = this.changeKey[c];
      switch (kind) {
        case CH_ENTRY: {
          const f = Math.floor(key / this.ptrs);
          const i = key % this.ptrs;
          const was = this.entryAt(f, i, n - 1);
          const now = this.entryAt(f, i, n);
          const fr = this.frameAt(f, n);
          const table = `${fr.depth >= 0 ? `${g.name[fr.depth].toUpperCase()} table` : 'page'} pfn 0x${sim.mem.pfnOf(f).toString(16)}`;
          if (op === OP_ALLOC_PAGE || op === OP_ALLOC_BLOCK) {
            zeroed.set(f, (zeroed.get(f) ?? 0) + 1);
            break;
          }
          const where = r.addr >= 0 ? ` (${formatVA(g, r.addr)})` : '';
          out.push(`${table} [0x${i.toString(16)}]${where}: ${entryWords(was)} -> ${entryWords(now)}`);
          break;
        }
        case CH_FRAME: {
          const was = this.frameAt(key, n - 1);
          const now = this.frameAt(key, n);
          const pfn = `pfn 0x${sim.mem.pfnOf(key).toString(16)}`;
          if (now.state === FRAME_FREE) out.push(`freed ${this.roleWords(was)} ${pfn} (generation ${was.gen})`);
          else out.push(`allocated ${pfn} as ${this.roleWords(now)} (generation ${now.gen}${was.gen > 0 ? `; it was ${was.state === FRAME_FREE ? 'free' : this.roleWords(was)}, generation ${was.gen}` : ''})`);
          break;
        }
        case CH_LEAF:
        case CH_WALK: {
          const walk = kind === CH_WALK;
          const cpu = cpuOf(walk, key);
          const e = tlb.get(cpu) ?? { filled: [], dropped: 0, droppedWalk: 0 };
          tlb.set(cpu, e);
          const now = this.slotAt(walk, key, n);
          if (now.valid) {
            e.filled.push(walk ? `walk cache ${g.name[now.depth]} table pfn 0x${now.pfn.toString(16)} for ${formatVA(g, now.va)}` : `TLB ${formatVA(g, now.va)} (${now.size / 1024} KiB) -> pfn 0x${now.pfn.toString(16)}`);
          } else if (walk) e.droppedWalk++;
          else e.dropped++;
          break;
        }
        case CH_LOCK: {
          const was = this.lockAt(key, n - 1);
          const now = this.lockAt(key, n);
          const who = (x: number): string => (x >= 0 ? sim.actors[x].name : 'nobody');
          const parts: string[] = [];
          if (was.holder !== now.holder) parts.push(now.holder >= 0 ? `taken by ${who(now.holder)}` : `released by ${who(was.holder)}`);
          if (was.writer !== now.writer) parts.push(now.writer >= 0 ? `${who(now.writer)} announced itself as writer` : 'no writer announced any more');
          if (was.readers !== now.readers) parts.push(`readers ${was.readers} -> ${now.readers}`);
          out.push(`${LOCK_NAMES[key]}: ${parts.join(', ')}`);
          break;
        }
        case CH_SECTION: {
          const was = this.sectionAt(key, n - 1);
          const now = this.sectionAt(key, n);
          const s = sim.sections[key];
          out.push(`memory section 0x${s.start.toString(16)}: ${SECTION_WORDS[was.state]} -> ${SECTION_WORDS[now.state]}`);
          break;
        }
        case CH_DONE:
          out.push(`${sim.actors[key].name} ${this.doneAt(key, n) ? 'finished' : 'runs again'}`);
          break;
      }
    }
    for (const [f, count] of zeroed) out.push(`the new table page pfn 0x${sim.mem.pfnOf(f).toString(16)} is zeroed: ${count} entr${count === 1 ? 'y' : 'ies'} of its previous life gone`);
    if (op === OP_TLBI_RANGE || op === OP_TLBI_PGTABLE || op === OP_TLBI_ALL) {
      const what = op === OP_TLBI_PGTABLE ? 'TLBI VAAE1IS (leaf and walk cache)' : op === OP_TLBI_ALL ? 'TLBI VMALLE1IS (everything)' : 'TLBI VAALE1IS (last level only)';
      const range = op === OP_TLBI_RANGE && this.stepSize[n] > 0 ? ` ${formatVA(g, r.addr)}..${formatVA(g, r.addr + this.stepSize[n] - 1)}` : r.addr >= 0 ? ` ${formatVA(g, r.addr)}` : '';
      const dropped = [...tlb.entries()].filter(([, e]) => e.dropped + e.droppedWalk > 0).map(([cpu, e]) => `CPU ${cpu}: ${e.dropped} TLB, ${e.droppedWalk} walk-cache`);
      out.push(`${what}${range}: ${dropped.length > 0 ? `dropped ${dropped.join('; ')}` : 'no CPU had an entry there'}`);
    } else {
      for (const [cpu, e] of tlb) for (const x of e.filled) out.push(`CPU ${cpu} cached ${x}`);
    }
    if (op === OP_ACCESS && tlb.size === 0) out.push(`CPU ${sim.actors[r.actor].cpu} accessed ${formatVA(g, r.addr)} through its TLB (hit)`);
    if (op === OP_COMPLETE) out.push(`complete(): ${r.act}`);
    if (op === OP_WAIT_COMPLETION) out.push(`wait_for_completion() returned: ${r.act}`);
    if ((op === OP_UNLOCK || op === OP_READ_UNLOCK || op === OP_WRITE_UNLOCK || op === OP_TRYLOCK) && !out.some((l) => l.startsWith(LOCK_NAMES[this.stepLock[n]] ?? '#'))) {
      out.push(`${LOCK_NAMES[this.stepLock[n]] ?? 'lock'}: ${op === OP_TRYLOCK ? 'trylock failed, goes on without it' : 'released'}`);
    }
    return out;
  }
}

const SECTION_WORDS: Record<number, string> = { [SECTION_ABSENT]: 'absent', [SECTION_ONLINE]: 'online', [SECTION_OFFLINE]: 'offline', [SECTION_REMOVED]: 'removed' };

/** Steps that go through a table page (not an allocation, which only names the page it got). */
function isTableAccess(op: number): boolean {
  return op === OP_READ || op === OP_WRITE || op === OP_XCHG || op === OP_FREE;
}

function entryWords(e: Entry): string {
  return e.kind === ENTRY_NONE ? 'none' : `${ENTRY_KIND_NAMES[e.kind]} pfn 0x${e.val.toString(16)}`;
}

function slotOf(t: Sim['tlbs'], i: number, walk: boolean): Slot {
  if (walk) return { valid: t.walkValid[i], va: t.walkSpan[i], size: 0, pfn: t.walkPfn[i], gen: t.walkGen[i], depth: t.walkDepth[i] };
  return { valid: t.leafValid[i], va: t.leafVa[i], size: t.leafSize[i], pfn: t.leafPfn[i], gen: t.leafGen[i], depth: -1 };
}

// ------------------------------------------------------------------ focus

/** What the viewer follows: VAs (offsets) and the table pages the trace touched. */
export interface Focus {
  vas: number[];
  tables: { frame: number; gen: number; depth: number; addr: number }[];
}

/**
 * The focus of a violation: the addresses of its trace and the table pages
 * its trace and key steps went through (frame, the generation then, depth
 * and an address in the table's span), looked up in the recording's log.
 */
export function focusOf(rec: TraceRecording, v: Violation | null): Focus {
  const sim = rec.sim;
  const vas = new Set<number>();
  const tables: Focus['tables'] = [];
  const seen = new Set<string>();
  if (v) {
    for (const t of v.trace) {
      if (t.address) {
        try {
          vas.add(vaOffset(sim.geometry, t.address));
        } catch {
          // An address outside the kernel half (a malformed document) is not followed.
        }
      }
    }
    const r = newLoggedStep();
    const steps = new Set<number>([...v.trace.map((t: TraceStep) => t.step), ...(v.keySteps ?? []).map((k) => k.step)]);
    for (const s of steps) {
      if (s < 0 || s >= rec.steps) continue;
      sim.loggedStep(s, r);
      if (r.depth < 0 || r.frame < 0 || r.addr < 0 || !isTableAccess(r.op)) continue;
      const key = `${r.frame}/${r.gen}`;
      if (seen.has(key)) continue;
      seen.add(key);
      tables.push({ frame: r.frame, gen: r.gen, depth: r.depth, addr: r.addr >= 0 ? r.addr : 0 });
    }
  }
  return { vas: [...vas], tables };
}
