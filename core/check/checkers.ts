/**
 * The invariant checkers (SPEC §2.6), in one place. The simulator calls these
 * hooks from `perform` as the model changes; they decide whether a step
 * broke an invariant and record the violation with its causal chain (key
 * steps and narrative, core/narrative.ts) and its trace: the key steps of
 * every actor involved, the steps that touched the same pages, and the
 * offending actor's recent steps, with runs of like steps folded.
 */
import { formatVA } from '../arch.ts';
import { ENTRY_KIND_NAMES, FRAME_FREE } from '../model/memory.ts';
import { LOCK_NAMES } from '../model/locks.ts';
import { type ExplainContext, explainViolation, SCAN_BACK } from '../narrative.ts';
import type { KeyStep, TraceStep, Violation, ViolationKind } from '../results.ts';
import { VIOLATION_KINDS } from '../results.ts';
import type { Actor } from '../machine/actor.ts';
import { opTouchesFrame } from '../machine/ops.ts';
import type { Sim } from '../machine/sim.ts';

const MAX_TRACE = 40;
const ACTOR_TAIL = 12;

/** A line's shape for folding: actor, function and action with numbers (pfns, results' targets) left out. */
function shape(t: TraceStep): string {
  return `${t.actor}|${t.function}|${t.action.replace(/0x[0-9a-f]+/g, '#')}`;
}

/** A trace line being built: the step, whether it is a key step, and its shape (computed once). */
interface Line {
  t: TraceStep;
  key: boolean;
  shape: string;
}

/** Block periods folded: a single line repeated (a 512-entry scan), or pairs and triples of lines (read, clear; read, clear, TLBI). */
const FOLD_PERIODS = [1, 2, 3];

/**
 * Append a line, then fold: when the last `k` lines repeat the `k` before
 * them line for line (and none is a key step), the earlier block merges
 * into the later one, whose lines count the repeats.
 */
function pushFolded(out: Line[], line: Line): void {
  out.push(line);
  for (const k of FOLD_PERIODS) {
    const n = out.length;
    if (n < 2 * k) continue;
    let same = true;
    for (let j = 0; j < k && same; j++) {
      const x = out[n - 2 * k + j];
      const y = out[n - k + j];
      same = !x.key && !y.key && x.shape === y.shape;
    }
    if (!same) continue;
    for (let j = 0; j < k; j++) out[n - k + j].t.repeat = (out[n - 2 * k + j].t.repeat ?? 1) + (out[n - k + j].t.repeat ?? 1);
    out.splice(n - 2 * k, k);
    return;
  }
}

/** Mark the trace lines that are key steps (same step and actor) with their role and label. */
function markKeySteps(trace: TraceStep[], keys: readonly KeyStep[]): TraceStep[] {
  for (const k of keys) {
    const t = trace.find((x) => x.step === k.step && x.actor === k.actor);
    if (t) t.key = { role: k.role, label: k.label };
  }
  return trace;
}

/** What a checker hook knows beyond the offender: the fields of ExplainContext a kind uses. */
type Details = Omit<ExplainContext, 'kind' | 'actor' | 'now' | 'pending' | 'others'>;

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

  private report(kind: ViolationKind, a: Actor | null, message: string, details: Details, pending = true, others: readonly Actor[] = []): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    this.total++;
    if (n > 1) return;
    // A run without its step log (a timed run) takes the report from a replica that has the log.
    const rebuilt = this.sim.rebuiltViolation(kind);
    if (rebuilt !== null) {
      this.violations.push(rebuilt);
      return;
    }
    const step = this.sim.steps;
    const why = explainViolation(this.sim, { kind, actor: a, now: step, pending, others, ...details });
    const frames = details.frame !== undefined && details.frame >= 0 ? [details.frame, ...why.frames] : why.frames;
    this.violations.push({
      kind,
      step,
      cpu: a ? a.cpu : -1,
      actor: a ? a.name : '',
      function: a ? a.fn : '',
      address: a && a.addr >= 0 ? formatVA(this.sim.geometry, a.addr) : '',
      message,
      trace: markKeySteps(this.buildTrace(a, frames, why.steps, pending, others), why.keySteps),
      narrative: why.narrative,
      keySteps: why.keySteps,
    });
  }

  /**
   * The steps that matter: the key steps the narrative names (never folded
   * away or cut), those on the same pages (by frame or by the pfn an entry
   * pointed to) and the offender's own last steps; runs of like steps (same
   * actor, function and action, e.g. an emptiness scan) fold into one line
   * with a repeat count. Past MAX_TRACE lines, the oldest lines that are not
   * key steps go first.
   */
  private buildTrace(a: Actor | null, frames: readonly number[], keySteps: readonly number[], pending: boolean, others: readonly Actor[] = []): TraceStep[] {
    const sim = this.sim;
    const now = sim.steps; // the violating step is being performed; it is logged as `now`
    const first = Math.max(sim.firstLoggedStep(), now - SCAN_BACK);
    const watched = new Set(frames.filter((f) => f >= 0));
    const pfns = new Set([...watched].map((f) => sim.mem.pfnOf(f)));
    const keys = new Set(keySteps.filter((s) => s >= first && s < now));
    const picked: number[] = [];
    // The offender's last steps, and those of every other actor the violation involves (a deadlock's cycle).
    const tail = new Map<number, number>();
    if (a) tail.set(a.index, 0);
    for (const o of others) tail.set(o.index, 0);
    for (let s = now - 1; s >= first; s--) {
      const who = sim.loggedActor(s);
      const own = tail.get(who);
      const byActor = own !== undefined && own < ACTOR_TAIL;
      const onFrame = watched.size > 0 && (watched.has(sim.loggedFrame(s)) || pfns.has(sim.loggedValPfn(s)));
      if (onFrame || byActor || keys.has(s)) {
        picked.push(s);
        if (own !== undefined) tail.set(who, own + 1);
      }
    }
    picked.reverse();
    const folded: Line[] = [];
    for (const s of picked) {
      const t = sim.traceStep(s);
      pushFolded(folded, { t, key: keys.has(s), shape: shape(t) });
    }
    const room = MAX_TRACE - (pending && a ? 1 : 0) - others.filter((o) => o !== a).length;
    // Past the room, drop the oldest lines that are not key steps.
    let excess = folded.length - room;
    const kept = excess <= 0 ? folded : folded.filter((l) => l.key || excess-- <= 0);
    const steps = kept.map((l) => l.t);
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
      address: a.addr >= 0 ? formatVA(sim.geometry, a.addr) : '',
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
    this.report('uaf-table-read', a, `${a.name} in ${a.fn} read an entry of a ${this.describeFrame(a.frame, a.gen)}`, { frame: a.frame, gen: a.gen });
  }

  uafTableWrite(a: Actor): void {
    this.report('uaf-table-write', a, `${a.name} in ${a.fn} wrote ${ENTRY_KIND_NAMES[a.newKind] ?? 'an'} entry into a ${this.describeFrame(a.frame, a.gen)}`, { frame: a.frame, gen: a.gen });
  }

  hardwareWalkUaf(a: Actor, f: number, gen: number): void {
    this.report('uaf-table-read', a, `CPU ${a.cpu}'s table walk for ${formatVA(this.sim.geometry, a.addr)} followed a pointer into a ${this.describeFrame(f, gen)}`, { frame: f, gen, hardware: true });
  }

  bbm(a: Actor, oldKind: number): void {
    this.report(
      'bbm-violation',
      a,
      `${a.name} in ${a.fn} replaced a live ${ENTRY_KIND_NAMES[oldKind]} entry with another live output without break-before-make`,
      { frame: a.frame, gen: a.gen },
    );
  }

  /** Checks before frame a.frame is returned to the allocator. */
  beforeFree(a: Actor): void {
    const sim = this.sim;
    const mem = sim.mem;
    const f = a.frame;
    const pfn = mem.pfnOf(f);
    if (mem.refs[f] > 0) {
      this.report('free-before-clear', a, `${a.fn} freed ${this.freedFrame(f)} while ${mem.refs[f]} live entr${mem.refs[f] === 1 ? 'y' : 'ies'} still pointed to it`, { frame: f, gen: a.gen });
    }
    if (!a.checkTlb) return;
    if (mem.isTable(f)) {
      const cpu = sim.tlbs.cpuWalkingTable(pfn);
      if (cpu >= 0) this.report('stale-walk-cache', a, `${a.fn} freed ${this.freedFrame(f)} while CPU ${cpu}'s walk cache still pointed to it`, { frame: f, gen: a.gen, cpu });
    } else {
      const pages = 2 ** mem.order[f];
      const cpu = sim.tlbs.cpuMappingPfn(pfn, pages);
      if (cpu >= 0) this.report('stale-tlb', a, `${a.fn} freed ${this.freedFrame(f)} while CPU ${cpu}'s TLB still translated to it`, { frame: f, gen: a.gen, cpu });
    }
  }

  /** The frame a free names in its violation (built only then: beforeFree() runs on every free, and a closure per call would be garbage). */
  private freedFrame(f: number): string {
    return `${this.sim.frameRole(f)} pfn 0x${this.sim.mem.pfnOf(f).toString(16)}`;
  }

  /** Hot-pluggable memory [pa, pa+size) is physically gone. */
  memoryRemoved(a: Actor, pa: number, size: number): void {
    const sim = this.sim;
    const pfn = pa / sim.geometry.pageSize;
    const cpu = sim.tlbs.cpuMappingPfn(pfn, size / sim.geometry.pageSize);
    if (cpu >= 0) {
      this.report('stale-tlb', a, `memory at 0x${pa.toString(16)} was removed while CPU ${cpu}'s TLB still translated to it (linear map)`, { cpu, removed: { pa, size } });
    }
  }

  /** A CPU used a TLB entry; is what it maps still there? */
  accessThroughTlb(a: Actor, pfn: number, gen: number): void {
    // Every simulated memory access comes here: the report is apart, so that this stays small enough to inline.
    if (this.sim.pfnDead(pfn, gen)) this.staleTlb(a, pfn, gen);
  }

  private staleTlb(a: Actor, pfn: number, gen: number): void {
    this.report('stale-tlb', a, `CPU ${a.cpu} accessed ${formatVA(this.sim.geometry, a.addr)} through a TLB entry for pfn 0x${pfn.toString(16)}, which was freed or removed`, { frame: this.sim.mem.frameOf(pfn), gen, pfn, cpu: a.cpu });
  }

  maySleep(a: Actor, what: string): void {
    if (a.spinDepth > 0) {
      const held = LOCK_NAMES.filter((_, l) => a.locksHeld & (1 << l)).join(', ');
      this.report('sleep-in-atomic', a, `${a.name} in ${a.fn}: ${what} while holding spinlock ${held}`, { what });
    }
  }

  selfDeadlock(a: Actor): void {
    this.report('deadlock', a, `${a.name} in ${a.fn} tried to take ${LOCK_NAMES[a.lock]}, which it already holds`, { cycle: true });
  }

  /** A cycle of waiters: each actor waits for the next (a lock it holds, a completion it will post). */
  deadlockCycle(actors: Actor[]): void {
    const desc = actors.map((x, i) => this.sim.describeWait(x, actors[(i + 1) % actors.length])).join('; ');
    this.report('deadlock', actors[0], `deadlock: ${desc}`, { cycle: true }, true, actors.slice(1));
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
    this.report('deadlock', blocked[0] ?? null, `no actor can run: ${desc}`, { cycle: false }, true, blocked.slice(1));
  }

  /** A completed vmalloc mapping is not reachable from swapper_pg_dir. */
  lostMapping(a: Actor | null, va: number, why: string): void {
    // Called after the step that showed it, from the program or at the end: no pending step to show.
    this.report('lost-mapping', a, `vmalloc mapping at ${formatVA(this.sim.geometry, va)} is not reachable from swapper_pg_dir: ${why}`, { va }, false);
  }
}
