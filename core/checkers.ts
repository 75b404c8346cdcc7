/**
 * The invariant checkers (SPEC §2.6), in one place. The simulator calls these
 * hooks from `perform` as the model changes; they decide whether a step
 * broke an invariant and record the violation with its trace (the steps that
 * touched the same page, plus the offending actor's recent steps).
 */
import { formatVA } from './arch.ts';
import { ENTRY_KIND_NAMES, FRAME_FREE } from './model/memory.ts';
import { LOCK_NAMES } from './model/locks.ts';
import type { TraceStep, Violation, ViolationKind } from './results.ts';
import { VIOLATION_KINDS } from './results.ts';
import { type Actor, opTouchesFrame, type Sim } from './sim.ts';

const MAX_TRACE = 40;
const ACTOR_TAIL = 12;
const SCAN_BACK = 200_000;

function baseAction(action: string): string {
  const i = action.indexOf(' = ');
  return i < 0 ? action : action.slice(0, i);
}

/** Fold only steps whose results agree in kind (e.g. all "= none"). */
function sameResult(x: string, y: string): boolean {
  const i = x.indexOf(' = ');
  const j = y.indexOf(' = ');
  if (i < 0 || j < 0) return i === j;
  return x.slice(i + 3).split(' ')[0] === y.slice(j + 3).split(' ')[0];
}

export class Checker {
  private readonly sim: Sim;
  /** First violation of each kind, in the order found. */
  readonly violations: Violation[] = [];
  readonly counts = new Map<ViolationKind, number>();
  total = 0;

  constructor(sim: Sim) {
    this.sim = sim;
  }

  countOf(kind: ViolationKind): number {
    return this.counts.get(kind) ?? 0;
  }

  countsObject(): Partial<Record<ViolationKind, number>> {
    const out: Partial<Record<ViolationKind, number>> = {};
    for (const k of VIOLATION_KINDS) {
      const n = this.counts.get(k);
      if (n) out[k] = n;
    }
    return out;
  }

  private report(kind: ViolationKind, a: Actor | null, message: string, frame: number, pending = true, others: readonly Actor[] = []): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    this.total++;
    if (n > 1) return;
    const step = this.sim.steps;
    this.violations.push({
      kind,
      step,
      cpu: a ? a.cpu : -1,
      actor: a ? a.name : '',
      function: a ? a.fn : '',
      address: a && a.addr >= 0 ? formatVA(this.sim.g, a.addr) : '',
      message,
      trace: this.buildTrace(a, frame, pending, others),
    });
  }

  /**
   * The steps that matter: those on the same page (by frame or by the pfn an
   * entry pointed to) and the offender's own last steps; runs of like steps
   * (same actor, function and action, e.g. an emptiness scan) fold into one
   * line with a repeat count.
   */
  private buildTrace(a: Actor | null, frame: number, pending: boolean, others: readonly Actor[] = []): TraceStep[] {
    const sim = this.sim;
    const now = sim.steps; // the violating step is being performed; it is logged as `now`
    const first = Math.max(sim.firstLoggedStep(), now - SCAN_BACK);
    const pfn = frame >= 0 ? sim.mem.pfnOf(frame) : -1;
    const picked: number[] = [];
    // The offender's last steps, and those of every other actor the violation involves (a deadlock's cycle).
    const tail = new Map<number, number>();
    if (a) tail.set(a.index, 0);
    for (const o of others) tail.set(o.index, 0);
    for (let s = now - 1; s >= first; s--) {
      const who = sim.loggedActor(s);
      const own = tail.get(who);
      const byActor = own !== undefined && own < ACTOR_TAIL;
      const onFrame = frame >= 0 && (sim.loggedFrame(s) === frame || sim.loggedValPfn(s) === pfn);
      if (onFrame || byActor) {
        picked.push(s);
        if (own !== undefined) tail.set(who, own + 1);
      }
    }
    picked.reverse();
    const folded: TraceStep[] = [];
    for (const s of picked) {
      const t = sim.traceStep(s);
      const prev = folded[folded.length - 1];
      if (prev && prev.actor === t.actor && prev.function === t.function && baseAction(prev.action) === baseAction(t.action) && sameResult(prev.action, t.action)) {
        t.repeat = (prev.repeat ?? 1) + 1;
        folded[folded.length - 1] = t;
      } else folded.push(t);
    }
    const steps = folded.slice(-(MAX_TRACE - 1 - others.length));
    if (a && pending) steps.push(this.pendingStep(a, now));
    // Each other actor's pending step: where it is stuck.
    for (const o of others) if (o !== a) steps.push(this.pendingStep(o, now));
    return steps;
  }

  /** The violating step itself, rendered from the actor's pending description. */
  private pendingStep(a: Actor, step: number): TraceStep {
    const sim = this.sim;
    const locks: string[] = [];
    for (let l = 0; l < LOCK_NAMES.length; l++) {
      if (a.locksHeld & (1 << l)) locks.push(LOCK_NAMES[l]);
      if (a.readHeld & (1 << l)) locks.push(`${LOCK_NAMES[l]} (read)`);
    }
    const f = a.frame;
    const usesFrame = f >= 0 && opTouchesFrame(a.op);
    return {
      step,
      timeNs: sim.opts.timed ? Math.round(a.time) : null,
      cpu: a.cpu,
      actor: a.name,
      function: a.fn,
      action: a.act,
      address: a.addr >= 0 ? formatVA(sim.g, a.addr) : '',
      frame: usesFrame ? { pfn: sim.mem.pfnOf(f), generation: a.gen, role: sim.frameRole(f) } : null,
      locks,
    };
  }

  private describeFrame(f: number, heldGen: number): string {
    const mem = this.sim.mem;
    const pfn = `pfn 0x${mem.pfnOf(f).toString(16)}`;
    if (mem.state[f] === FRAME_FREE) return `freed table page ${pfn} (generation ${heldGen})`;
    if (mem.gen[f] !== heldGen) return `table page ${pfn} freed and reused as ${this.sim.frameRole(f)} (generation ${heldGen} -> ${mem.gen[f]})`;
    return `page ${pfn} that is not a table`;
  }

  uafTableRead(a: Actor): void {
    this.report('uaf-table-read', a, `${a.name} in ${a.fn} read an entry of a ${this.describeFrame(a.frame, a.gen)}`, a.frame);
  }

  uafTableWrite(a: Actor): void {
    this.report('uaf-table-write', a, `${a.name} in ${a.fn} wrote ${ENTRY_KIND_NAMES[a.newKind] ?? 'an'} entry into a ${this.describeFrame(a.frame, a.gen)}`, a.frame);
  }

  hardwareWalkUaf(a: Actor, f: number, gen: number): void {
    this.report('uaf-table-read', a, `CPU ${a.cpu}'s table walk for ${formatVA(this.sim.g, a.addr)} followed a pointer into a ${this.describeFrame(f, gen)}`, f);
  }

  bbm(a: Actor, oldKind: number): void {
    this.report(
      'bbm-violation',
      a,
      `${a.name} in ${a.fn} replaced a live ${ENTRY_KIND_NAMES[oldKind]} entry with another live output without break-before-make`,
      a.frame,
    );
  }

  /** Checks before frame a.f is returned to the allocator. */
  beforeFree(a: Actor): void {
    const sim = this.sim;
    const mem = sim.mem;
    const f = a.frame;
    const pfn = mem.pfnOf(f);
    const what = mem.isTable(f) ? `${sim.frameRole(f)} pfn 0x${pfn.toString(16)}` : `${sim.frameRole(f)} pfn 0x${pfn.toString(16)}`;
    if (mem.refs[f] > 0) {
      this.report('free-before-clear', a, `${a.fn} freed ${what} while ${mem.refs[f]} live entr${mem.refs[f] === 1 ? 'y' : 'ies'} still pointed to it`, f);
    }
    if (!a.checkTlb) return;
    if (mem.isTable(f)) {
      const cpu = sim.tlbs.cpuWalkingTable(pfn);
      if (cpu >= 0) this.report('stale-walk-cache', a, `${a.fn} freed ${what} while CPU ${cpu}'s walk cache still pointed to it`, f);
    } else {
      const pages = 2 ** mem.order[f];
      const cpu = sim.tlbs.cpuMappingPfn(pfn, pages);
      if (cpu >= 0) this.report('stale-tlb', a, `${a.fn} freed ${what} while CPU ${cpu}'s TLB still translated to it`, f);
    }
  }

  /** Hot-pluggable memory [pa, pa+size) is physically gone. */
  memoryRemoved(a: Actor, pa: number, size: number): void {
    const sim = this.sim;
    const pfn = pa / sim.g.pageSize;
    const cpu = sim.tlbs.cpuMappingPfn(pfn, size / sim.g.pageSize);
    if (cpu >= 0) {
      this.report('stale-tlb', a, `memory at 0x${pa.toString(16)} was removed while CPU ${cpu}'s TLB still translated to it (linear map)`, -1);
    }
  }

  /** A CPU used a TLB entry; is what it maps still there? */
  accessThroughTlb(a: Actor, pfn: number, gen: number): void {
    if (this.sim.pfnDead(pfn, gen)) {
      this.report('stale-tlb', a, `CPU ${a.cpu} accessed ${formatVA(this.sim.g, a.addr)} through a TLB entry for pfn 0x${pfn.toString(16)}, which was freed or removed`, this.sim.mem.frameOf(pfn));
    }
  }

  maySleep(a: Actor, what: string): void {
    if (a.spinDepth > 0) {
      const held = LOCK_NAMES.filter((_, l) => a.locksHeld & (1 << l)).join(', ');
      this.report('sleep-in-atomic', a, `${a.name} in ${a.fn}: ${what} while holding spinlock ${held}`, -1);
    }
  }

  selfDeadlock(a: Actor): void {
    this.report('deadlock', a, `${a.name} in ${a.fn} tried to take ${LOCK_NAMES[a.lock]}, which it already holds`, -1);
  }

  /** A cycle of waiters: each actor waits for the next (a lock it holds, a completion it will post). */
  deadlockCycle(actors: Actor[]): void {
    const desc = actors.map((x, i) => this.sim.describeWait(x, actors[(i + 1) % actors.length])).join('; ');
    this.report('deadlock', actors[0], `deadlock: ${desc}`, -1, true, actors.slice(1));
  }

  /** Nothing can run and some actor is not finished: report the waits-for cycle if there is one, else every wait. */
  deadlockAllBlocked(): void {
    const cycle = this.sim.waitCycle();
    if (cycle) {
      this.deadlockCycle(cycle);
      return;
    }
    const blocked = this.sim.actors.filter((x) => !x.done && !x.daemon);
    const desc = blocked.map((x) => this.sim.describeWait(x, null)).join('; ');
    this.report('deadlock', blocked[0] ?? null, `no actor can run: ${desc}`, -1, true, blocked.slice(1));
  }

  /** A completed vmalloc mapping is not reachable from swapper_pg_dir. */
  lostMapping(a: Actor | null, va: number, why: string): void {
    // Called after the step that showed it, from the program or at the end: no pending step to show.
    this.report('lost-mapping', a, `vmalloc mapping at ${formatVA(this.sim.g, va)} is not reachable from swapper_pg_dir: ${why}`, -1, false);
  }
}
