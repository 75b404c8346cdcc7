/**
 * Counterexamples that explain themselves: for a violation being reported,
 * the causal chain of steps that made it (the read that took a pointer, the
 * clear, the TLB invalidation, the free, the reuse, the stale use; or the
 * lock held and the waits of a deadlock) and a short paragraph telling it in
 * kernel terms. Computed from the structured step log (frames, generations,
 * what a clear removed; Sim.loggedStep) and the machine state at the
 * violation, never from the action text. Owns the key steps and narratives
 * of every violation kind; the checkers (checkers.ts) call it.
 */
import { alignDown, formatVA, indexAt } from './arch.ts';
import { ENTRY_BLOCK, ENTRY_KIND_NAMES, ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE } from './model/memory.ts';
import { LOCK_NAMES, LOCK_SPIN, LOCK_TYPES, N_LOCKS } from './model/locks.ts';
import type { KeyStep, KeyStepRole, ViolationKind } from './results.ts';
import type { Actor } from './machine/actor.ts';
import { type Sim } from './machine/sim.ts';
import { type LoggedStep, newLoggedStep } from './machine/step-log.ts';
import { OP_ACCESS, OP_ALLOC_BLOCK, OP_ALLOC_PAGE, OP_COMPLETE, OP_FREE, OP_LOCK, OP_MEM_STATE, OP_READ, OP_READ_LOCK, OP_TLBI_ALL, OP_TLBI_PGTABLE, OP_TLBI_RANGE, OP_TRYLOCK, OP_WAIT_COMPLETION, OP_WRITE, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_XCHG } from './machine/ops.ts';

/** How far back the analysis looks (the same window the trace builder scans). */
export const SCAN_BACK = 200_000;
/** A narrative tells at most this many key steps (the rest are dropped, least telling first). */
const MAX_KEY_STEPS = 6;

/** What the checker knows about the violation it is reporting. */
export interface ExplainContext {
  kind: ViolationKind;
  /** The offender (the actor whose step broke the invariant), or null. */
  actor: Actor | null;
  /** The violation's step number (the pending step's, when `pending`). */
  now: number;
  /** The offender's pending step is the violating step (not yet in the log). */
  pending: boolean;
  /** Further actors of a deadlock, in waits-for order after `actor`. */
  others: readonly Actor[];
  /** The page the violation is about (frame index), and the generation the offender held for it. */
  frame?: number;
  gen?: number;
  /** The table page was reached by a hardware walk (uaf-table-read from an access). */
  hardware?: boolean;
  /** The CPU whose TLB or walk cache is stale. */
  cpu?: number;
  /** stale-tlb: the pfn (and its generation in the TLB) accessed through a stale entry. */
  pfn?: number;
  /** stale-tlb: removed memory [pa, pa + size). */
  removed?: { pa: number; size: number };
  /** lost-mapping: the VA that is no longer reachable. */
  va?: number;
  /** sleep-in-atomic: what may sleep, in words. */
  what?: string;
  /** deadlock: the actors blocked, and whether they form a cycle. */
  cycle?: boolean;
}

export interface Explanation {
  keySteps: KeyStep[];
  narrative: string;
  /** Frames whose steps belong in the trace besides the violation's own. */
  frames: number[];
  /** Logged steps the narrative names (the key steps, and any it names beyond the six kept): the trace must show them. */
  steps: number[];
}

interface Key {
  step: number;
  actor: number;
  role: KeyStepRole;
  label: string;
}

/** Which key steps go first when a chain is longer than MAX_KEY_STEPS (lower: dropped first). */
const KEEP_PRIORITY: Record<KeyStepRole, number> = {
  invalidated: 0,
  reused: 1,
  'checked-empty': 2,
  completes: 3,
  cached: 4,
  populated: 5,
  'took-pointer': 6,
  removed: 7,
  cleared: 8,
  freed: 9,
  'holds-lock': 10,
  replaced: 11,
  faulted: 11,
  sleeps: 11,
  waits: 11,
  'stale-use': 11,
};

const hex = (n: number): string => `0x${n.toString(16)}`;

function isTlbi(op: number): boolean {
  return op === OP_TLBI_RANGE || op === OP_TLBI_PGTABLE || op === OP_TLBI_ALL;
}

function isAlloc(op: number): boolean {
  return op === OP_ALLOC_PAGE || op === OP_ALLOC_BLOCK;
}

/** The kernel function name an action calls, e.g. "__flush_tlb_kernel_pgtable" of "__flush_tlb_kernel_pgtable(start)" (labels only). */
function callName(act: string): string {
  const i = act.indexOf('(');
  return i > 0 ? act.slice(0, i) : act;
}

/** The causal analysis of one violation over the sim's step log and its state now. */
class Analysis {
  readonly sim: Sim;
  readonly ctx: ExplainContext;
  readonly first: number;
  private readonly tmp: LoggedStep = newLoggedStep();
  readonly keys: Key[] = [];
  readonly frames: number[] = [];
  /** Steps the narrative names that are not key steps (the trace shows them too). */
  readonly context: number[] = [];

  constructor(sim: Sim, ctx: ExplainContext) {
    this.sim = sim;
    this.ctx = ctx;
    this.first = Math.max(sim.firstLoggedStep(), ctx.now - SCAN_BACK);
  }

  /** Step s of the log (a fresh record). */
  at(s: number): LoggedStep {
    return this.sim.loggedStep(s, newLoggedStep());
  }

  /** The last step in [from, to) for which `pred` holds, scanning backwards; -1 if none. */
  last(pred: (r: LoggedStep, s: number) => boolean, to = this.ctx.now, from = this.first): number {
    for (let s = Math.min(to, this.sim.steps) - 1; s >= Math.max(from, this.first); s--) if (pred(this.sim.loggedStep(s, this.tmp), s)) return s;
    return -1;
  }

  /** The first step in [from, to) for which `pred` holds; -1 if none. */
  firstOf(pred: (r: LoggedStep, s: number) => boolean, from: number, to = this.ctx.now): number {
    for (let s = Math.max(from, this.first); s < Math.min(to, this.sim.steps); s++) if (pred(this.sim.loggedStep(s, this.tmp), s)) return s;
    return -1;
  }

  key(step: number, actor: number, role: KeyStepRole, label: string): void {
    if (step < 0) return;
    if (this.keys.some((k) => k.step === step && k.actor === actor)) return;
    this.keys.push({ step, actor, role, label });
  }

  name(actor: number): string {
    return this.sim.actors[actor]?.name ?? `actor ${actor}`;
  }

  level(depth: number): string {
    return depth >= 0 ? this.sim.geometry.name[depth].toUpperCase() : 'page';
  }

  va(addr: number): string {
    return formatVA(this.sim.geometry, addr);
  }

  /** The page step s touched, in words as it was then, e.g. "PUD table pfn 0x200004c" or "vmalloc page pfn 0x200004e". */
  pageAt(s: number): string {
    const r = this.at(s);
    if (r.frame < 0) return 'page';
    const pfn = hex(this.sim.mem.pfnOf(r.frame));
    if (r.depth >= 0) return `${this.level(r.depth)} table pfn ${pfn}`;
    return `${this.sim.traceStep(s).frame?.role ?? 'page'} pfn ${pfn}`;
  }

  // ---------------------------------------------------------------- searches

  /** The clear of an entry pointing to `pfn` (pmd_clear, pte_clear, ptep_get_and_clear), last before `to`. */
  lastClear(pfn: number, to: number, from = this.first): number {
    return this.last((r) => (r.cleared || (r.op === OP_XCHG && r.valKind > ENTRY_NONE)) && r.valPfn === pfn, to, from);
  }

  lastFree(frame: number, gen: number | null, to: number, from = this.first): number {
    return this.last((r) => r.op === OP_FREE && r.frame === frame && (gen === null || r.gen === gen), to, from);
  }

  /** Actor x's step that took the pointer to `pfn`: its read of an entry holding it, or its own install of it. */
  tookPointer(x: number, pfn: number, to: number, kinds: readonly number[] = [ENTRY_TABLE], depth = -1): number {
    return this.last((r) => r.actor === x && (r.op === OP_READ || r.op === OP_WRITE) && !r.cleared && kinds.includes(r.valKind) && r.valPfn === pfn && (depth < 0 || r.depth === depth), to);
  }

  /** The TLB maintenance `x` did after step `from` and before `to` (the last one). */
  tlbiBetween(x: number, from: number, to: number): number {
    return this.last((r) => r.actor === x && isTlbi(r.op), to, from + 1);
  }

  /** The last access by a CPU-`cpu` actor to a VA in [lo, hi) before `to`. */
  lastAccess(cpu: number, lo: number, hi: number, to: number): number {
    const s = this.last((r) => r.op === OP_ACCESS && this.sim.actors[r.actor].cpu === cpu && r.addr >= lo && r.addr < hi, to);
    return s >= 0 ? s : this.last((r) => r.op === OP_ACCESS && this.sim.actors[r.actor].cpu === cpu, to);
  }

  // -------------------------------------------------------------- descriptions

  tookLabel(s: number): string {
    const r = this.at(s);
    const kind = ENTRY_KIND_NAMES[r.valKind] ?? 'an';
    if (r.op === OP_WRITE) return `installed ${kind === 'table' ? `a table` : `a ${kind} entry`} -> pfn ${hex(r.valPfn)} in the ${this.level(r.depth)} entry (${r.fn})`;
    return `read the ${this.level(r.depth)} entry -> ${kind} pfn ${hex(r.valPfn)} (${r.fn})`;
  }

  clearLabel(s: number): string {
    const r = this.at(s);
    return `cleared the ${this.level(r.depth)} entry -> pfn ${hex(r.valPfn)} (${r.fn}: ${callName(r.act)})`;
  }

  /** "invalidated the walk cache (__flush_tlb_kernel_pgtable)", "invalidated the leaf TLB only (...)", "flushed every TLB (...)". */
  tlbiWords(s: number): string {
    const r = this.at(s);
    const call = callName(r.act);
    if (r.op === OP_TLBI_PGTABLE) return `invalidated the walk cache (${call}, TLBI VAAE1IS)`;
    if (r.op === OP_TLBI_ALL) return `flushed every TLB (${call})`;
    return `invalidated the leaf TLB entries only (${call}, TLBI VAALE1IS: the walk cache keeps its entries)`;
  }

  freeLabel(s: number): string {
    const r = this.at(s);
    return `freed ${this.pageAt(s)} (generation ${r.gen}) (${r.fn})`;
  }

  reuseLabel(s: number): string {
    const r = this.at(s);
    return `allocated pfn ${hex(this.sim.mem.pfnOf(r.frame))} again as ${this.pageAt(s)} (generation ${r.gen}) (${r.fn})`;
  }

  /** The invalidate-and-free part of a teardown sentence: ", invalidated ... at step I and freed ... at step F". */
  teardownTail(clear: number, tlbi: number, free: number, freed: string): string {
    const parts: string[] = [];
    if (tlbi >= 0) parts.push(`${this.tlbiWords(tlbi)} at step ${tlbi}`);
    else if (clear >= 0 && free >= 0) parts.push('did no TLB invalidation');
    if (free >= 0) parts.push(`freed ${freed} at step ${free} (${this.at(free).fn})`);
    return parts.length === 0 ? '' : parts.length === 1 ? ` and ${parts[0]}` : `, ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  }

  // ------------------------------------------------------------------- kinds

  /**
   * An entry written into, or read from, a table page that was freed (or
   * reused) after the offender took its pointer: took-pointer, cleared,
   * invalidated, freed, reused, stale use.
   */
  tableUseAfterFree(verb: string): string {
    const { actor: a, now } = this.ctx;
    const f = this.ctx.frame ?? -1;
    if (!a || f < 0) return '';
    return sentences(this.useAfterFree(a.index, f, this.ctx.gen ?? 0, now, verb, a.fn, this.ctx.hardware ?? false));
  }

  /**
   * The chain behind actor x's use, at step `use`, of frame f through a
   * pointer of generation `held`: the clauses of its narrative (the key
   * steps are recorded as found).
   */
  useAfterFree(x: number, f: number, held: number, use: number, verb: string, fn: string, hardware: boolean): string[] {
    const sim = this.sim;
    const pfn = sim.mem.pfnOf(f);
    const name = this.name(x);
    const cpu = sim.actors[x].cpu;
    this.frames.push(f);
    const free = this.lastFree(f, held, use);
    const clear = this.lastClear(pfn, free >= 0 ? free : use);
    const freer = free >= 0 ? this.at(free).actor : clear >= 0 ? this.at(clear).actor : -1;
    const tlbi = clear >= 0 && freer >= 0 ? this.tlbiBetween(freer, clear, free >= 0 ? free : use) : -1;
    const reuse = free >= 0 ? this.firstOf((r) => isAlloc(r.op) && r.frame === f, free + 1, use) : -1;
    const took = hardware ? -1 : this.tookPointer(x, pfn, clear >= 0 ? clear : free >= 0 ? free : use);
    // A hardware walk took its pointer from the walk cache, which the CPU's last access before the clear filled.
    const cached = hardware ? this.last((r) => r.op === OP_ACCESS && sim.actors[r.actor].cpu === cpu, clear >= 0 ? clear : use) : -1;
    const depth = free >= 0 ? this.at(free).depth : clear >= 0 ? this.at(this.lastTouch(f, clear)).depth : -1;
    const table = `${depth >= 0 ? `${this.level(depth)} table` : 'table page'} pfn ${hex(pfn)}`;
    if (took >= 0) this.key(took, x, 'took-pointer', this.tookLabel(took));
    if (cached >= 0) this.key(cached, this.at(cached).actor, 'cached', `CPU ${cpu}'s walk cached the path through ${table} (${this.at(cached).fn})`);
    if (clear >= 0) this.key(clear, this.at(clear).actor, 'cleared', this.clearLabel(clear));
    if (tlbi >= 0) this.key(tlbi, freer, 'invalidated', `${callName(this.at(tlbi).act)} (${this.at(tlbi).fn})`);
    if (free >= 0) this.key(free, freer, 'freed', this.freeLabel(free));
    if (reuse >= 0) this.key(reuse, this.at(reuse).actor, 'reused', this.reuseLabel(reuse));
    const reused = reuse >= 0 || (free < 0 && sim.mem.gen[f] !== held);
    const state = reused ? 'freed and reused' : 'freed';
    this.key(use, x, 'stale-use', `${verb} the ${state} ${table} (${fn})`);

    const s: string[] = [];
    if (took >= 0) {
      const r = this.at(took);
      s.push(r.op === OP_WRITE ? `${name} installed ${table} itself at step ${took} (${r.fn})` : `${name} read the ${this.level(r.depth)} entry -> ${table} at step ${took} (${r.fn})`);
    } else if (cached >= 0) s.push(`CPU ${cpu}'s walk cache took the path through ${table} when ${this.name(this.at(cached).actor)} accessed ${this.va(this.at(cached).addr)} at step ${cached}`);
    if (clear >= 0) s.push(`${this.name(freer)} cleared the ${this.level(this.at(clear).depth)} entry that pointed to it at step ${clear} (${this.at(clear).fn})${this.teardownTail(clear, tlbi, free, 'the table')}`);
    else if (free >= 0) s.push(`${this.name(freer)} freed the table at step ${free} (${this.at(free).fn})`);
    if (reuse >= 0) s.push(`${this.name(this.at(reuse).actor)} was handed the page again as a ${this.pageAt(reuse).replace(/ pfn .*/, '')} at step ${reuse} (${this.at(reuse).fn})`);
    s.push(hardware ? `CPU ${cpu}'s table walk for ${name} (${fn}) then followed the stale pointer into the ${state} page at step ${use}` : `${name} then ${verb} the ${state} page at step ${use} (${fn})`);
    return s;
  }

  /** Where actor a's pending step goes (its address, or 0). */
  actorAddr(a: Actor): number {
    return a.addr >= 0 ? a.addr : 0;
  }

  /** The step before `to` that last touched frame f (for its depth), or `to`. */
  lastTouch(f: number, to: number): number {
    const s = this.last((r) => r.frame === f && r.depth >= 0, to + 1);
    return s >= 0 ? s : to;
  }

  /**
   * A page freed while a CPU's TLB (leaf) or walk cache still maps it: the
   * access that cached it, the clear (or, freed before its clear, the read
   * that found the entry), the TLB maintenance done, and the free.
   */
  freedWhileCached(walk: boolean): string {
    const { actor: a, now } = this.ctx;
    const f = this.ctx.frame ?? -1;
    const cpu = this.ctx.cpu ?? -1;
    if (!a || f < 0 || cpu < 0) return '';
    const sim = this.sim;
    const g = sim.geometry;
    const pfn = sim.mem.pfnOf(f);
    this.frames.push(f);
    const slot = walk ? this.walkSlot(cpu, pfn) : this.leafSlot(cpu, pfn, 2 ** sim.mem.order[f]);
    const range = slot < 0 ? null : walk ? { lo: sim.tlbs.walkSpan[slot], hi: sim.tlbs.walkSpan[slot] + g.entrySize[sim.tlbs.walkDepth[slot] - 1] } : { lo: sim.tlbs.leafVa[slot], hi: sim.tlbs.leafVa[slot] + sim.tlbs.leafSize[slot] };
    const clear = this.lastClear(pfn, now);
    const cached = this.lastAccess(cpu, range?.lo ?? 0, range?.hi ?? 0, clear >= 0 ? clear : now);
    const tlbi = clear >= 0 ? this.tlbiBetween(a.index, clear, now) : -1;
    const took = clear < 0 ? this.tookPointer(a.index, pfn, now, [ENTRY_TABLE, ENTRY_BLOCK, ENTRY_PAGE]) : -1;
    const depth = sim.mem.depth[f];
    const what = `${sim.mem.isTable(f) && depth >= 0 ? `${this.level(depth)} table` : sim.frameRole(f)} pfn ${hex(pfn)}`;
    const page = sim.mem.isTable(f) ? 'table' : 'page';
    const cachedWhat = walk ? `its walk cache with a pointer to ${what}` : `its TLB with ${range ? `${this.va(range.lo)} -> pfn ${hex(sim.tlbs.leafPfn[slot])}` : `a translation to pfn ${hex(pfn)}`}`;
    if (cached >= 0) this.key(cached, this.at(cached).actor, 'cached', `CPU ${cpu} touched ${this.va(this.at(cached).addr)}, filling ${cachedWhat}`);
    if (took >= 0) this.key(took, a.index, 'took-pointer', this.tookLabel(took));
    if (clear >= 0) this.key(clear, this.at(clear).actor, 'cleared', this.clearLabel(clear));
    if (tlbi >= 0) this.key(tlbi, a.index, 'invalidated', `${callName(this.at(tlbi).act)} (${this.at(tlbi).fn})`);
    this.key(now, a.index, 'freed', `freed ${what} while CPU ${cpu}'s ${walk ? 'walk cache' : 'TLB'} still ${walk ? 'pointed to' : 'translated to'} it (${a.fn})`);

    const s: string[] = [];
    if (cached >= 0) s.push(`${this.name(this.at(cached).actor)} on CPU ${cpu} touched ${this.va(this.at(cached).addr)} at step ${cached}, filling ${cachedWhat}`);
    if (clear >= 0) {
      const tail = tlbi >= 0 ? `, ${this.tlbiWords(tlbi)} at step ${tlbi}` : `, with no TLB invalidation,`;
      s.push(`${a.name} cleared the ${this.level(this.at(clear).depth)} entry -> pfn ${hex(pfn)} at step ${clear} (${this.at(clear).fn})${tail} and freed the ${page} at step ${now} (${a.fn})`);
    } else if (took >= 0) {
      s.push(`${a.name} read the ${this.level(this.at(took).depth)} entry -> pfn ${hex(pfn)} at step ${took} (${this.at(took).fn}) and freed the ${page} at step ${now} (${a.fn}) before clearing that entry or invalidating the TLB`);
    } else s.push(`${a.name} freed the ${page} at step ${now} (${a.fn})`);
    s.push(`CPU ${cpu}'s ${walk ? 'walk cache still points to the freed table: its next walk there reads whatever the page holds next' : 'TLB still translates to the freed page: the CPU can still read and write it'}`);
    return sentences(s);
  }

  walkSlot(cpu: number, pfn: number): number {
    const t = this.sim.tlbs;
    for (let i = cpu * t.walkCap; i < (cpu + 1) * t.walkCap; i++) if (t.walkValid[i] && t.walkPfn[i] === pfn) return i;
    return -1;
  }

  leafSlot(cpu: number, pfn: number, pages: number): number {
    const t = this.sim.tlbs;
    for (let i = cpu * t.leafCap; i < (cpu + 1) * t.leafCap; i++) {
      if (!t.leafValid[i]) continue;
      const p = t.leafPfn[i];
      if (p < pfn + pages && p + t.leafSize[i] / t.pageSize > pfn) return i;
    }
    return -1;
  }

  /** Memory removed (or a page freed) while a CPU's TLB still translates to it, or an access through such an entry. */
  staleTlb(): string {
    const { actor: a, now } = this.ctx;
    if (!a) return '';
    const sim = this.sim;
    const cpu = this.ctx.cpu ?? a.cpu;
    const removed = this.ctx.removed;
    const access = this.ctx.pfn !== undefined;
    let lo = 0;
    let pages = 1;
    if (removed) {
      lo = removed.pa / sim.geometry.pageSize;
      pages = removed.size / sim.geometry.pageSize;
    } else if (access) lo = this.ctx.pfn!;
    const slot = access ? this.hitSlot(cpu, a.addr) : this.leafSlot(cpu, lo, pages);
    const t = sim.tlbs;
    const leafPfn = slot >= 0 ? t.leafPfn[slot] : lo;
    const leafPages = slot >= 0 ? t.leafSize[slot] / t.pageSize : pages;
    const clear = this.last((r) => (r.cleared || (r.op === OP_XCHG && r.valKind > ENTRY_NONE)) && r.valPfn >= leafPfn && r.valPfn < leafPfn + leafPages, now);
    const clearer = clear >= 0 ? this.at(clear).actor : -1;
    const cached = this.lastAccess(cpu, slot >= 0 ? t.leafVa[slot] : 0, slot >= 0 ? t.leafVa[slot] + t.leafSize[slot] : 0, clear >= 0 ? clear : now);
    const tlbi = clear >= 0 ? this.tlbiBetween(clearer, clear, now) : -1;
    const frame = sim.mem.frameOf(leafPfn);
    const free = access && frame >= 0 ? this.lastFree(frame, null, now) : -1;
    const removal = access && frame < 0 ? this.last((r) => r.op === OP_MEM_STATE, now) : -1;
    const mapping = slot >= 0 ? `${this.va(t.leafVa[slot])} -> pfn ${hex(leafPfn)}` : `pfn ${hex(leafPfn)}`;
    if (cached >= 0) this.key(cached, this.at(cached).actor, 'cached', `CPU ${cpu} touched ${this.va(this.at(cached).addr)}, filling its TLB with ${mapping}`);
    if (clear >= 0) this.key(clear, clearer, 'cleared', this.clearLabel(clear));
    if (tlbi >= 0) this.key(tlbi, clearer, 'invalidated', `${callName(this.at(tlbi).act)} (${this.at(tlbi).fn})`);
    if (free >= 0) this.key(free, this.at(free).actor, 'freed', this.freeLabel(free));
    if (removal >= 0) this.key(removal, this.at(removal).actor, 'removed', `${this.at(removal).act} (${this.at(removal).fn})`);
    if (removed) this.key(now, a.index, 'removed', `memory ${hex(removed.pa)}..${hex(removed.pa + removed.size - 1)} removed while CPU ${cpu}'s TLB still maps it (${a.fn})`);
    else if (access) this.key(now, a.index, 'stale-use', `CPU ${a.cpu} accessed ${this.va(a.addr)} through the stale TLB entry ${mapping} (${a.fn})`);

    const s: string[] = [];
    if (cached >= 0) s.push(`${this.name(this.at(cached).actor)} on CPU ${cpu} touched ${this.va(this.at(cached).addr)} at step ${cached}, filling its TLB with ${mapping}`);
    if (clear >= 0) {
      const tail = tlbi >= 0 ? `; its TLB maintenance at step ${tlbi} (${callName(this.at(tlbi).act)}) did not reach CPU ${cpu}'s entry` : ' with no TLB invalidation';
      s.push(`${this.name(clearer)} cleared the ${this.level(this.at(clear).depth)} entry -> pfn ${hex(this.at(clear).valPfn)} at step ${clear} (${this.at(clear).fn})${tail}`);
    } else if (cached >= 0) s.push('no step cleared the entry that maps it');
    if (free >= 0) s.push(`${this.name(this.at(free).actor)} freed the page at step ${free} (${this.at(free).fn})`);
    if (removal >= 0) s.push(`${this.name(this.at(removal).actor)} removed the memory at step ${removal} (${this.at(removal).fn})`);
    if (removed) s.push(`${a.name} removed the memory at step ${now} (${a.fn}) while CPU ${cpu}'s TLB still translated to it`);
    else if (access) s.push(`CPU ${a.cpu} then accessed ${this.va(a.addr)} through that stale entry at step ${now} (${a.name}, ${a.fn})`);
    return sentences(s);
  }

  hitSlot(cpu: number, va: number): number {
    const t = this.sim.tlbs;
    for (let i = cpu * t.leafCap; i < (cpu + 1) * t.leafCap; i++) if (t.leafValid[i] && va >= t.leafVa[i] && va < t.leafVa[i] + t.leafSize[i]) return i;
    return -1;
  }

  /** A page or table freed while a live entry still points to it: who installed the entry, the read that found it, the free. */
  freeBeforeClear(): string {
    const { actor: a, now } = this.ctx;
    const f = this.ctx.frame ?? -1;
    if (!a || f < 0) return '';
    const sim = this.sim;
    const pfn = sim.mem.pfnOf(f);
    this.frames.push(f);
    const took = this.tookPointer(a.index, pfn, now, [ENTRY_TABLE, ENTRY_BLOCK, ENTRY_PAGE]);
    const installed = this.last((r) => r.op === OP_WRITE && !r.cleared && r.valKind > ENTRY_NONE && r.valPfn === pfn, took >= 0 ? took : now);
    const what = `${sim.frameRole(f)} pfn ${hex(pfn)}`;
    if (installed >= 0 && this.at(installed).actor !== a.index) this.key(installed, this.at(installed).actor, 'populated', this.tookLabel(installed));
    if (took >= 0) this.key(took, a.index, 'took-pointer', this.tookLabel(took));
    this.key(now, a.index, 'freed', `freed ${what} while a live entry still pointed to it (${a.fn})`);
    const s: string[] = [];
    if (installed >= 0 && this.at(installed).actor !== a.index) s.push(`${this.name(this.at(installed).actor)} installed the entry -> ${what} at step ${installed} (${this.at(installed).fn})`);
    if (took >= 0) {
      const r = this.at(took);
      s.push(`${a.name} read the ${this.level(r.depth)} entry -> ${what} at step ${took} (${r.fn}) and freed the page at step ${now} (${a.fn}) before clearing that entry: until the clear, the entry (and any TLB filled from it) still reaches the freed page`);
    } else s.push(`${a.name} freed ${what} at step ${now} (${a.fn}) while a live entry still pointed to it`);
    return sentences(s);
  }

  /**
   * A completed vmalloc mapping no longer reachable from swapper_pg_dir:
   * the table the owner mapped through was unlinked (and freed) by another
   * actor, typically after that actor's emptiness scan had read the owner's
   * entry as none and before the owner populated it.
   */
  lostMapping(): string {
    const { actor: a, now } = this.ctx;
    const va = this.ctx.va ?? -1;
    if (!a || va < 0) return '';
    const sim = this.sim;
    const g = sim.geometry;
    const mem = sim.mem;
    // The tables the owner went through for va, per depth: its last read or write of the entry covering va.
    const path: { step: number; frame: number; gen: number }[] = [];
    for (let d = 0; d < g.levels; d++) {
      const lo = alignDown(va, g.entrySize[d]);
      const hi = lo + g.entrySize[d];
      const s = this.last((r) => r.actor === a.index && (r.op === OP_READ || r.op === OP_WRITE) && r.depth === d && r.addr >= lo && r.addr < hi, now);
      if (s < 0) break;
      const r = this.at(s);
      path.push({ step: s, frame: r.frame, gen: r.gen });
    }
    // Today's walk from the root: the first table of the owner's path it no longer reaches.
    let live = sim.root;
    let lost = -1;
    for (let d = 0; d < path.length; d++) {
      const p = path[d];
      if (live !== p.frame || !mem.isTable(p.frame) || mem.gen[p.frame] !== p.gen) {
        lost = d;
        break;
      }
      const i = indexAt(g, d, va);
      live = mem.kind(live, i) === ENTRY_TABLE ? mem.frameOf(mem.val(live, i)) : -1;
    }
    // Found by the owner's own step just before (its access faulted, or it read back an entry that is not a table), or at the end of the run.
    const seen = !this.ctx.pending && now > 0 && now <= sim.steps && this.at(now - 1).actor === a.index ? now - 1 : -1;
    const faulted = seen >= 0 && (this.at(seen).op === OP_ACCESS || this.at(seen).op === OP_READ) ? seen : -1;
    const s: string[] = [];
    if (lost < 0) {
      // Every table is still linked: the leaf itself changed.
      const leaf = path[path.length - 1];
      const clear = leaf ? this.last((r) => (r.cleared || (r.op === OP_XCHG && r.valKind > ENTRY_NONE)) && r.frame === leaf.frame && r.addr >= alignDown(va, g.pageSize) && r.addr < alignDown(va, g.pageSize) + g.pageSize, now) : -1;
      if (leaf) this.key(this.last((r) => r.actor === a.index && r.op === OP_WRITE && r.frame === leaf.frame, now), a.index, 'populated', `mapped ${this.va(va)} (${this.at(leaf.step).fn})`);
      if (clear >= 0) this.key(clear, this.at(clear).actor, 'cleared', this.clearLabel(clear));
      if (faulted >= 0) this.key(faulted, a.index, 'faulted', `the access to ${this.va(va)} found no mapping of its page (${this.at(faulted).fn})`);
      s.push(`${a.name}'s mapping of ${this.va(va)} changed under it${clear >= 0 ? `: ${this.name(this.at(clear).actor)} cleared its entry at step ${clear} (${this.at(clear).fn})` : ''}`);
      return sentences(s);
    }
    const t = path[lost];
    const pfn = mem.pfnOf(t.frame);
    const table = `${this.level(lost)} table pfn ${hex(pfn)}`;
    this.frames.push(t.frame);
    const took = lost > 0 ? this.tookPointer(a.index, pfn, path[lost].step + 1, [ENTRY_TABLE], lost - 1) : -1;
    const clear = this.lastClear(pfn, now, took >= 0 ? took : this.first);
    const unlinker = clear >= 0 ? this.at(clear).actor : -1;
    const free = clear >= 0 ? this.firstOf((r) => r.op === OP_FREE && r.frame === t.frame && r.gen === t.gen, clear + 1) : -1;
    const tlbi = clear >= 0 ? this.tlbiBetween(unlinker, clear, free >= 0 ? free : now) : -1;
    const lo = alignDown(va, g.entrySize[lost]);
    const hi = lo + g.entrySize[lost];
    const populate = this.last((r) => r.actor === a.index && r.op === OP_WRITE && !r.cleared && r.frame === t.frame && r.gen === t.gen && r.addr >= lo && r.addr < hi, now);
    const checked =
      populate >= 0 && unlinker >= 0 && clear > populate
        ? this.last((r) => r.actor === unlinker && r.op === OP_READ && r.frame === t.frame && r.gen === t.gen && r.addr >= lo && r.addr < hi && r.valKind === ENTRY_NONE, populate)
        : -1;
    const idx = indexAt(g, lost, va);
    if (took >= 0) this.key(took, a.index, 'took-pointer', this.tookLabel(took));
    if (checked >= 0) this.key(checked, unlinker, 'checked-empty', `read entry ${hex(idx)} of ${table} as none, so found the table empty (${this.at(checked).fn})`);
    if (populate >= 0) this.key(populate, a.index, clear >= 0 && populate > (free >= 0 ? free : clear) ? 'stale-use' : 'populated', `wrote entry ${hex(idx)} of ${table} (${this.at(populate).fn}: ${callName(this.at(populate).act)})`);
    if (clear >= 0) this.key(clear, unlinker, 'cleared', this.clearLabel(clear));
    if (tlbi >= 0) this.key(tlbi, unlinker, 'invalidated', `${callName(this.at(tlbi).act)} (${this.at(tlbi).fn})`);
    if (free >= 0) this.key(free, unlinker, 'freed', this.freeLabel(free));
    const readBack = faulted >= 0 && this.at(faulted).op === OP_READ;
    if (faulted >= 0) {
      this.key(
        faulted,
        a.index,
        'faulted',
        readBack ? `read the ${this.level(this.at(faulted).depth)} entry back: not a table (${this.at(faulted).fn})` : `the CPU's access to ${this.va(va)} found no mapping (${this.at(faulted).fn})`,
      );
    }

    // Clauses in step order: who did what, when.
    const c: [number, string][] = [];
    if (took >= 0) c.push([took, `${a.name} read the ${this.level(lost - 1)} entry -> ${table} at step ${took} (${this.at(took).fn})`]);
    if (checked >= 0) c.push([checked, `${this.name(unlinker)} scanned ${table} for ${this.at(checked).fn} and read entry ${hex(idx)} as none at step ${checked}`]);
    if (populate >= 0) {
      const afterFree = free >= 0 && populate > free;
      c.push([populate, `${a.name} ${checked >= 0 ? 'then ' : ''}populated entry ${hex(idx)} for ${this.va(va)} at step ${populate} (${this.at(populate).fn})${afterFree ? ', in the freed table' : ''}`]);
    }
    if (clear >= 0) {
      const found = checked >= 0 ? ', having found the table empty,' : '';
      c.push([clear, `${this.name(unlinker)}${found} cleared the ${this.level(this.at(clear).depth)} entry -> ${table} at step ${clear} (${this.at(clear).fn})${this.teardownTail(clear, tlbi, free, 'the table')}`]);
    }
    c.sort((p, q) => p[0] - q[0]);
    s.push(...c.map((x) => x[1]));
    const end = readBack
      ? `so when ${a.name} read its ${this.level(this.at(faulted).depth)} entry back at step ${faulted} (${this.at(faulted).fn}) it found no table there: its mapping of ${this.va(va)} is not reachable from swapper_pg_dir`
      : faulted >= 0
        ? `so when ${a.name}'s CPU touched ${this.va(va)} at step ${faulted} the access ${sim.softwareWalk(va) < 0 ? 'faulted' : 'reached another page'}`
        : `so ${a.name}'s completed mapping of ${this.va(va)} is no longer reachable from swapper_pg_dir (${sim.softwareWalk(va) < 0 ? 'the walk finds no entry' : 'the walk reaches another page'})`;
    s.push(end);
    return sentences(s);
  }

  /** Something that may sleep under a spinlock: the step that took the lock, and the sleep. */
  sleepInAtomic(): string {
    const { actor: a, now } = this.ctx;
    if (!a) return '';
    let lock = -1;
    for (let l = 0; l < N_LOCKS; l++) if (LOCK_TYPES[l] === LOCK_SPIN && a.locksHeld & (1 << l)) lock = l;
    const took = lock >= 0 ? this.acquisition(a.index, 1 << lock, now) : -1;
    if (took >= 0) this.key(took, a.index, 'holds-lock', `took ${LOCK_NAMES[lock]} (${this.at(took).fn}: ${callName(this.at(took).act)})`);
    this.key(now, a.index, 'sleeps', `${this.ctx.what ?? 'may sleep'} (${a.fn})`);
    const s: string[] = [];
    if (took >= 0) s.push(`${a.name} took ${LOCK_NAMES[lock]} at step ${took} (${this.at(took).fn}: ${this.at(took).act}), which makes its context atomic`);
    s.push(`still holding it, ${a.name} called ${a.act} at step ${now} (${a.fn}): ${this.ctx.what ?? 'it may sleep'}`);
    return sentences(s);
  }

  /** The step at which actor x took a lock whose bits are in `mask` and kept it until `to` (the first of the run of steps holding it). */
  acquisition(x: number, mask: number, to: number): number {
    let taken = -1;
    for (let s = Math.min(to, this.sim.steps) - 1; s >= this.first; s--) {
      const r = this.sim.loggedStep(s, this.tmp);
      if (r.actor !== x) continue;
      if (!(r.locks & mask)) break;
      taken = s;
    }
    return taken;
  }

  /** A cycle of waiters (or every actor blocked): the locks held, the requests posted and taken, and each wait. */
  deadlock(): string {
    const { actor: a, now } = this.ctx;
    if (!a) return '';
    const sim = this.sim;
    const blocked = [a, ...this.ctx.others];
    const c: [number, string][] = [];
    blocked.forEach((x, i) => {
      const next = this.ctx.cycle ? blocked[(i + 1) % blocked.length] : null;
      const held = this.heldStepFor(x, next);
      if (held && !c.some(([s]) => s === held.step)) {
        this.key(held.step, held.actor, 'holds-lock', held.label);
        c.push([held.step, held.sentence]);
      }
      if (x.op === OP_WAIT_COMPLETION) {
        // The request the waiter posted for the actor that is to complete it, and that actor taking it.
        const posted = this.last((r) => r.actor === x.index && r.op === OP_COMPLETE, now);
        if (posted >= 0) {
          this.key(posted, x.index, 'completes', `${callName(this.at(posted).act)} (${this.at(posted).fn})`);
          c.push([posted, `${x.name} posted a request${next ? ` for ${next.name}` : ''} at step ${posted} (${this.at(posted).fn}: ${this.at(posted).act}) and waits for it to be done`]);
          const taken = next ? this.firstOf((r) => r.actor === next.index && r.op === OP_WAIT_COMPLETION, posted + 1) : -1;
          if (taken >= 0 && next) {
            this.context.push(taken);
            c.push([taken, `${next.name} took the request at step ${taken} (${this.at(taken).fn})`]);
          }
        }
      }
    });
    for (const x of blocked) this.key(now, x.index, 'waits', `${x.act} (${x.fn})`);
    c.sort((p, q) => p[0] - q[0]);
    const waits = blocked.map((x, i) => sim.describeWait(x, this.ctx.cycle ? blocked[(i + 1) % blocked.length] : null));
    return sentences([...c.map((x) => x[1]), `at step ${now}, ${waits.join('; ')}${this.ctx.cycle ? ': none of them can go on' : ''}`]);
  }

  /** The step at which `holder` took what `x` waits for (a lock), with words for it. */
  heldStepFor(x: Actor, holder: Actor | null): { step: number; actor: number; label: string; sentence: string } | null {
    const isLockWait = x.op === OP_LOCK || x.op === OP_READ_LOCK || x.op === OP_WRITE_ENTER || x.op === OP_WRITE_LOCK || x.op === OP_TRYLOCK;
    if (!isLockWait || x.lock < 0) return null;
    const l = x.lock;
    const locks = this.sim.locks;
    const candidates = holder ? [holder] : this.sim.actors.filter((y) => y !== x && (locks.holder[l] === y.index || locks.writer[l] === y.index || y.readHeld & (1 << l)));
    for (const h of candidates) {
      let step = this.acquisition(h.index, (1 << l) | (1 << (l + 8)), this.ctx.now);
      // A writer that has announced itself (percpu_down_write's rcu_sync_enter) but holds nothing yet.
      if (step < 0 && locks.writer[l] === h.index) step = this.last((r) => r.actor === h.index && r.op === OP_WRITE_ENTER, this.ctx.now);
      if (step < 0) continue;
      const r = this.at(step);
      const mode = h.readHeld & (1 << l) ? ' for read' : locks.writer[l] === h.index ? ' for write' : '';
      return {
        step,
        actor: h.index,
        label: `took ${LOCK_NAMES[l]}${mode} (${r.fn}: ${callName(r.act)})`,
        sentence: `${h.name} took ${LOCK_NAMES[l]}${mode} at step ${step} (${r.fn}: ${r.act})`,
      };
    }
    return null;
  }

  /**
   * A live entry replaced by another live output: who installed the live
   * entry (through a stale pointer into the reused page, when that is how it
   * got there), and the write that replaced it.
   */
  bbm(): string {
    const { actor: a, now } = this.ctx;
    const f = this.ctx.frame ?? -1;
    if (!a || f < 0) return '';
    const mem = this.sim.mem;
    this.frames.push(f);
    // The live entry is identified by what it holds: the last write of that output into this page.
    const kind = mem.kind(f, a.entry);
    const val = mem.val(f, a.entry);
    const installed = this.last((r) => r.op === OP_WRITE && !r.cleared && r.frame === f && r.valKind === kind && r.valPfn === val, now);
    const old = `${ENTRY_KIND_NAMES[kind]} entry -> pfn ${hex(val)}`;
    const s: string[] = [];
    if (installed >= 0) {
      const r = this.at(installed);
      if (r.gen !== mem.gen[f]) {
        // Written through a pointer to the page's previous life: that use after free is how the entry got there.
        s.push(...this.useAfterFree(r.actor, f, r.gen, installed, `wrote the ${old} into`, r.fn, false));
      } else {
        this.key(installed, r.actor, 'populated', `installed the ${old} (${r.fn})`);
        s.push(`${this.name(r.actor)} installed the live ${old} at step ${installed} (${r.fn})`);
      }
    }
    if (a.gen !== mem.gen[f] || !mem.isTable(f)) s.push(...this.useAfterFree(a.index, f, a.gen, now, 'wrote into', a.fn, false));
    this.keys.splice(
      this.keys.findIndex((k) => k.step === now && k.actor === a.index),
      this.keys.some((k) => k.step === now && k.actor === a.index) ? 1 : 0,
    );
    this.key(now, a.index, 'replaced', `overwrote the live ${old} with a ${ENTRY_KIND_NAMES[a.newKind]} entry -> pfn ${hex(a.newValue)} without clearing it first (${a.fn})`);
    s.push(`${a.name} then overwrote that live entry at step ${now} (${a.fn}: ${callName(a.act)}) with a ${ENTRY_KIND_NAMES[a.newKind]} entry -> pfn ${hex(a.newValue)}, without break-before-make: a CPU walking there may use either output`);
    return sentences(s);
  }
}

/** Clauses joined as the kernel list writes a race: "a did X at step 1; b did Y at step 2; a then did Z at step 3." */
function sentences(parts: readonly string[]): string {
  const body = parts
    .map((p) => p.trim().replace(/\.$/, ''))
    .filter((p) => p.length > 0)
    .join('; ');
  return body.length > 0 ? `${body}.` : '';
}

/** The key steps and narrative of a violation being reported. */
export function explainViolation(sim: Sim, ctx: ExplainContext): Explanation {
  const x = new Analysis(sim, ctx);
  let narrative = '';
  switch (ctx.kind) {
    case 'uaf-table-write':
      narrative = x.tableUseAfterFree('wrote an entry into');
      break;
    case 'uaf-table-read':
      narrative = x.tableUseAfterFree('read an entry of');
      break;
    case 'stale-walk-cache':
      narrative = x.freedWhileCached(true);
      break;
    case 'stale-tlb':
      narrative = ctx.frame !== undefined && ctx.frame >= 0 && ctx.pfn === undefined ? x.freedWhileCached(false) : x.staleTlb();
      break;
    case 'free-before-clear':
      narrative = x.freeBeforeClear();
      break;
    case 'lost-mapping':
      narrative = x.lostMapping();
      break;
    case 'sleep-in-atomic':
      narrative = x.sleepInAtomic();
      break;
    case 'deadlock':
      narrative = x.deadlock();
      break;
    case 'bbm-violation':
      narrative = x.bbm();
      break;
  }
  let keys = x.keys.slice().sort((p, q) => p.step - q.step || p.actor - q.actor);
  const named = [...keys.filter((k) => k.step < ctx.now).map((k) => k.step), ...x.context];
  if (keys.length > MAX_KEY_STEPS) {
    // Drop the least telling steps first, keeping step order.
    const ranked = keys.map((k, i) => ({ k, i })).sort((p, q) => KEEP_PRIORITY[p.k.role] - KEEP_PRIORITY[q.k.role] || p.i - q.i);
    const drop = new Set(ranked.slice(0, keys.length - MAX_KEY_STEPS).map((r) => r.i));
    keys = keys.filter((_, i) => !drop.has(i));
  }
  return {
    keySteps: keys.map((k) => ({ step: k.step, actor: sim.actors[k.actor]?.name ?? '', cpu: sim.actors[k.actor]?.cpu ?? -1, role: k.role, label: k.label })),
    narrative,
    frames: x.frames,
    steps: named,
  };
}
