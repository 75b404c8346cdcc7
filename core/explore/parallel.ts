/**
 * Parallel explore (issue 10 §4): the source-DPOR search of engine.ts split
 * into subtree tasks that run on N task runners (worker threads in
 * electron/lab/explore-worker.ts; a synchronous runner in tests), with a
 * result that does not depend on N, on thread timing or on which task ends
 * first. Owns the coordinator, its tree of frozen nodes, and the task
 * protocol (SubtreeTask, TaskResult, TaskRunner). Pure: no threads, no clock
 * of its own (the engine config's `now`), no I/O.
 *
 * How it works
 * ------------
 * The coordinator keeps the *frozen* part of the exploration tree: nodes
 * (states after a prefix of events) with, as in the sequential engine, their
 * enabled actors, sleep set, backtrack set and the footprints of the actors
 * explored there. A task is (frozen node m, a set L of actors): replay the
 * path to m, explore each actor of L at m and everything below with the
 * sequential engine (ExploreEngine.runTask), with nodes 0..m frozen: a race
 * that wants a backtrack entry at a frozen node is returned (node, initials
 * of the reversed sequence, the racing actor; or a plain set of actors for
 * disabled actors) instead of being added. After `budget` executions a task
 * stops and returns its current path down to its deepest pending entry; the
 * coordinator freezes those nodes and makes their pending entries tasks. The
 * thread-race tree is deep (~300 new events per execution) with pending
 * entries at every depth, so this splits it into many tasks whatever their
 * sizes, and keeps the runners busy.
 *
 * Determinism: tasks are numbered when created, results are merged strictly
 * in that order (a result that arrives early waits), and a task's content is
 * fixed by the coordinator's state when it is created or, for the backtrack
 * sets on its path, only used to skip entries the coordinator would skip too.
 * Every decision (the rule that picks the entry for a returned race, new
 * tasks, restarts, probes, stopping at maxSchedules, the violation reported)
 * is taken while merging, so the same inputs give the same result for any
 * number of runners >= 1 (time limits and cancel aside). The budget is a
 * count of executions, never a time.
 *
 * Why it is sound (the same fixpoint as the sequential search)
 * -------------------------------------------------------------
 * Source-DPOR's correctness (Abdulla et al. 2014, Thm. 5.1) rests on one
 * property of the finished tree: for every explored execution E and every
 * race e_j < e_i in it, the node before e_j has in its backtrack set an
 * initial of notdep(e_j).e_i, or one of them is in its sleep set; and every
 * backtrack entry of a node is explored from it, with sleep sets that only
 * hold actors whose subtrees are explored. Here:
 *  1. Every execution is explored by exactly one task, which runs the
 *     sequential engine below its node, so races whose earlier event is below
 *     the frozen nodes are handled as sequentially.
 *  2. A race whose earlier event sits at a frozen node is returned and the
 *     coordinator applies the same rule (engine.ts reverse()) with its current
 *     backtrack set, which only grows: if an initial is there, it is (or will
 *     be) explored; if not, it adds one, and every entry added to a frozen
 *     node becomes a task. Entries the task itself skipped because its copy
 *     of a frozen node's backtrack set already held an initial are covered a
 *     fortiori.
 *  3. Sleep sets: an actor may only sleep in a task's node if its own task at
 *     that node was created earlier (a sequence number per node and actor) and
 *     its footprint there is known; sibling tasks can never put each other to
 *     sleep, so no subtree is pruned on the strength of another that pruned
 *     it back. With fewer actors asleep than the sequential search would
 *     have, more is explored, never less: a smaller sleep set only weakens the
 *     "covered" test of the addition rule.
 *  4. The search ends when every task made has been merged and no merge made
 *     a new one: then the property of 1-3 holds for every node, the fixpoint
 *     of the sequential search. The Lipton mover check (engine.ts reduction 3)
 *     sums its non-mover locations over all tasks of a round (a site with two
 *     of them, in any tasks, restarts the round with the site split), and a
 *     dropped reduction (2, 2b) restarts the round, as sequentially.
 * The counts (schedules, states, races) differ from the sequential search
 * (jobs 1): sibling tasks explore without each other in their sleep sets, and
 * a race may add an entry at a frozen node that a task not yet merged would
 * have covered. The verdict and completeness do not: both searches reach the
 * fixpoint, and a violation found is a real execution (replayed by explore()).
 */
import { ADD_RACE, describeNonAtomic, type EngineConfig, type EngineResult, type ExploreEngine, type Found } from './engine.ts';
import { type Footprint, FootprintPacker, type PackedFootprints, unpackFootprints } from './footprints.ts';

/** A sleeping actor, or one explored at a node, with the footprint of its next event there. */
export interface SleepItem {
  a: number;
  fp: Footprint;
}

type CutReason = EngineResult['cutBy'][number];

/** A stretch of the search path as the engine stores it: per event (act .. fps), per node (en .. started). */
export interface PathNodes {
  act: Int32Array;
  nsteps: Int32Array;
  lidx: Int32Array;
  /** Vector clocks of the events, node x actors. */
  clk: Int32Array;
  fps: Footprint[];
  en: Int32Array;
  bt: Int32Array;
  done: Int32Array;
  sleepMask: Int32Array;
  pre: Int32Array;
  started: Int32Array;
}

/** One subtree to explore: the path to a frozen node (events 0..node-1, nodes 0..node) and the actors to take there. */
export interface SubtreeTask extends PathNodes {
  node: number;
  /**
   * `fps[i - fpsFrom]` is event i's footprint: the events before fpsFrom are not carried, because the engine that
   * runs the task holds them from its previous task (ExploreEngine.sharedPrefix(); 0 as the coordinator makes it).
   */
  fpsFrom: number;
  /** Actors to explore at `node` (a mask), in ascending order. */
  list: number;
  /** The node's sleep set, and the actors explored there before `list` that may sleep in it. */
  sleepInh: SleepItem[];
  doneFp: SleepItem[];
  nonAtomic: string[];
  nonMovers: [string, string[]][];
  reuse: boolean;
  staleLeaf: boolean;
  /** Executions before the task hands its remaining work back. */
  budget: number;
  /** Time left before the search's deadline when the task was handed out (Infinity: none). */
  timeLeftMs: number;
}

/** A task's path from its node down to its deepest pending entry (nodes node+1..last, their events node..last-1). */
export interface ExportedPath extends PathNodes {
  sleepInh: SleepItem[][];
  doneFp: SleepItem[][];
  /** Entries still to explore at nodes node..last. */
  pending: Int32Array;
}

export interface TaskResult {
  /** done: the subtree is explored; split: budget used, `path` holds the rest; restart: the round must restart. */
  outcome: 'done' | 'split' | 'found' | 'cut' | 'restart';
  found: Found | null;
  schedules: number;
  states: number;
  steps: number;
  sleepBlocked: number;
  races: number;
  backtracks: number;
  maxEvents: number;
  maxStepsSeen: number;
  cut: CutReason[];
  newNonAtomic: string[];
  nonMovers: [string, string[]][];
  reuse: boolean;
  reuseDropped: string | null;
  staleLeaf: boolean;
  staleLeafDropped: string | null;
  /** Entries wanted at frozen nodes: [kind (ADD_RACE / ADD_MASK), node, initials or actors, racing actor] ... */
  adds: number[];
  /** Footprints of the listed actors' first events at the task's node. */
  first: SleepItem[];
  path: ExportedPath | null;
}

/**
 * Runs tasks: `slots` at a time, each on an engine built like the coordinator's (same machine factory and
 * config). next() blocks until one of the submitted tasks is done, in any order.
 */
export interface TaskRunner {
  readonly slots: number;
  submit(id: number, task: SubtreeTask): void;
  next(): { id: number; result: TaskResult };
  /** No more tasks: drop what is running. */
  close(): void;
}

/**
 * Executions a task runs before handing the rest of its subtree back. Each task costs a prefix replay and the
 * copy of its path (~1,000 footprints at K = 12) both ways: on thread-race opt2 the CPU time of --jobs 2 over
 * --jobs 1 was +35% at 128, +12% at 512 (K = 10, 12), with 60+ tasks at K = 12 to share out.
 */
export const DEFAULT_TASK_BUDGET = 512;

/**
 * The budget of a round's first task (at most the task budget). A round starts with one task, the root's, and
 * every other runner waits until it splits: a small first budget hands out the subtrees below its path after a
 * few executions instead of hundreds. A function of the task's number only, so the search stays the same for
 * any number of runners.
 */
export const FIRST_TASK_BUDGET = 64;

interface FNode {
  parent: number;
  depth: number;
  /** The event into this node (none at the root). */
  act: number;
  nsteps: number;
  lidx: number;
  clk: Int32Array;
  fp: Footprint | null;
  en: number;
  bt: number;
  sleepMask: number;
  pre: number;
  started: number;
  /** Actors handed to a task here (or explored here by the task that froze the node). */
  scheduled: number;
  seq: Int32Array;
  nextSeq: number;
  sleepInh: SleepItem[];
  doneFp: (Footprint | undefined)[];
}

interface PendingTask {
  id: number;
  round: number;
  node: number;
  list: number;
  doneFp: SleepItem[];
}

function lowestBit(m: number): number {
  return 31 - Math.clz32(m & -m);
}

/**
 * The parallel search: `main` is the engine explore() built (its machine factory runs the probes and tells the
 * actors), `runner` runs the tasks on engines built the same way. Returns what main.run() would (counts aside).
 */
export function exploreParallel(main: ExploreEngine, cfg: EngineConfig, runner: TaskRunner, budget = DEFAULT_TASK_BUDGET): EngineResult {
  try {
    return new Coordinator(main, cfg, runner, budget).run();
  } finally {
    runner.close();
  }
}

class Coordinator {
  private readonly nodes: FNode[] = [];
  private readonly queue: PendingTask[] = [];
  private qHead = 0;
  private readonly results = new Map<number, TaskResult>();
  private readonly made = new Map<number, PendingTask>();
  private nextId = 0;
  private nextMerge = 0;
  private inflight = 0;
  private roundFirstId = 0;
  private nA = 0;
  private classes: string[] = [];

  // Per round.
  private round = 0;
  private readonly nonAtomic = new Set<string>();
  private nonMovers = new Map<string, Set<string>>();
  private reuse: boolean;
  private reuseDropped: string | null = null;
  private staleLeaf: boolean;
  private staleLeafDropped: string | null = null;
  private readonly cut = new Set<CutReason>();

  // Totals.
  private found: Found | null = null;
  private schedules = 0;
  private states = 0;
  private steps = 0;
  private sleepBlocked = 0;
  private races = 0;
  private backtracks = 0;
  private maxEvents = 0;
  private maxStepsSeen = 0;
  private probesRun = 0;
  private nextProbeAt: number;
  /** Probes a merge asked for and not run yet, and that merge's result (its end waits for them). */
  private probesDue = 0;
  private probesAfter: TaskResult | null = null;
  private lastProgress = 0;

  constructor(
    private readonly main: ExploreEngine,
    private readonly cfg: EngineConfig,
    private readonly runner: TaskRunner,
    private readonly budget: number,
  ) {
    this.reuse = cfg.reuse;
    this.staleLeaf = cfg.reuse && (cfg.staleLeaf ?? true);
    this.nextProbeAt = Math.max(1, cfg.probeAfter ?? 64);
  }

  run(): EngineResult {
    const info = this.main.prepare();
    this.nA = info.nA;
    this.classes = info.classes;
    let stop = false;
    this.startRound(info.en0);
    while (!stop) {
      while (this.inflight < this.runner.slots && this.qHead < this.queue.length) this.dispatch(this.queue[this.qHead++]);
      // Probes a merge asked for run here, once the tasks that merge made are on their way, so the task threads
      // do not wait for them; nothing is merged in between, so they run at the same point of the merge order.
      if (this.probesDue > 0) {
        stop = this.runDueProbes() || this.afterProbes(this.probesAfter!);
        this.probesAfter = null;
        if (!stop) stop = this.mergeReady(info.en0);
        continue;
      }
      if (this.inflight === 0) break;
      const { id, result } = this.runner.next();
      this.inflight--;
      if (id < this.roundFirstId) continue;
      this.results.set(id, result);
      stop = this.mergeReady(info.en0);
    }
    const rest = this.qHead < this.queue.length || this.inflight > 0;
    if (!this.found && rest && this.cut.size === 0) this.cut.add('timeLimit');
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
      actors: info.actors,
      cutBy: [...this.cut],
      reuse: this.reuse,
      reuseDropped: this.reuseDropped,
      staleLeaf: this.reuse && this.staleLeaf,
      staleLeafDropped: this.staleLeafDropped,
      probes: this.probesRun,
    };
  }

  /** Merge the results that are next in task order, until one stops the search or asks for probes. */
  private mergeReady(en0: number): boolean {
    while (this.probesDue === 0 && this.results.has(this.nextMerge)) {
      const r = this.results.get(this.nextMerge)!;
      this.results.delete(this.nextMerge);
      const t = this.made.get(this.nextMerge)!;
      this.made.delete(this.nextMerge);
      this.nextMerge++;
      if (this.merge(t, r, en0)) return true;
    }
    return false;
  }

  private startRound(en0: number): void {
    this.round++;
    this.cut.clear();
    this.nonMovers = new Map();
    this.nodes.length = 0;
    this.queue.length = 0;
    this.qHead = 0;
    this.results.clear();
    this.made.clear();
    this.roundFirstId = this.nextId;
    this.nextMerge = this.nextId;
    const root = this.newNode(-1, 0);
    root.en = en0;
    // The sequential search's first choice at the root: the lowest enabled actor.
    if (en0 !== 0) this.createTask(0, 1 << lowestBit(en0), false);
  }

  private newNode(parent: number, depth: number): FNode {
    const n: FNode = {
      parent,
      depth,
      act: -1,
      nsteps: 0,
      lidx: 0,
      clk: new Int32Array(0),
      fp: null,
      en: 0,
      bt: 0,
      sleepMask: 0,
      pre: 0,
      started: 0,
      scheduled: 0,
      seq: new Int32Array(this.nA),
      nextSeq: 0,
      sleepInh: [],
      doneFp: [],
    };
    this.nodes.push(n);
    return n;
  }

  /** A task for `list` at node `id`; its sleep candidates are fixed now (actors scheduled there earlier, footprint known). */
  private createTask(id: number, list: number, keepSeq: boolean): void {
    const n = this.nodes[id];
    if (!keepSeq) {
      for (let m = list; m; m &= m - 1) n.seq[lowestBit(m)] = n.nextSeq++;
      n.scheduled |= list;
      n.bt |= list;
    }
    const firstSeq = n.seq[lowestBit(list)];
    const doneFp: SleepItem[] = [];
    for (let q = 0; q < this.nA; q++) {
      const f = n.doneFp[q];
      if (f && !(list & (1 << q)) && n.scheduled & (1 << q) && n.seq[q] < firstSeq) doneFp.push({ a: q, fp: f });
    }
    const t: PendingTask = { id: this.nextId++, round: this.round, node: id, list, doneFp };
    this.made.set(t.id, t);
    this.queue.push(t);
  }

  private dispatch(t: PendingTask): void {
    const path: FNode[] = [];
    for (let k = t.node; k >= 0; k = this.nodes[k].parent) path.push(this.nodes[k]);
    path.reverse();
    const m = path.length - 1;
    const nA = this.nA;
    const task: SubtreeTask = {
      node: m,
      fpsFrom: 0,
      list: t.list,
      act: new Int32Array(m),
      nsteps: new Int32Array(m),
      lidx: new Int32Array(m),
      clk: new Int32Array(m * nA),
      fps: new Array<Footprint>(m),
      en: new Int32Array(m + 1),
      bt: new Int32Array(m + 1),
      done: new Int32Array(m + 1),
      sleepMask: new Int32Array(m + 1),
      pre: new Int32Array(m + 1),
      started: new Int32Array(m + 1),
      sleepInh: path[m].sleepInh,
      doneFp: t.doneFp,
      nonAtomic: [...this.nonAtomic],
      nonMovers: [],
      reuse: this.reuse,
      staleLeaf: this.staleLeaf,
      budget: t.id === this.roundFirstId ? Math.min(this.budget, FIRST_TASK_BUDGET) : this.budget,
      timeLeftMs: this.cfg.deadline - this.cfg.now(),
    };
    for (let i = 0; i <= m; i++) {
      const n = path[i];
      if (i > 0) {
        task.act[i - 1] = n.act;
        task.nsteps[i - 1] = n.nsteps;
        task.lidx[i - 1] = n.lidx;
        task.clk.set(n.clk, (i - 1) * nA);
        task.fps[i - 1] = n.fp!;
      }
      task.en[i] = n.en;
      // Nothing is pending at a frozen node for the task (done = bt): it only reads them to skip covered races.
      task.bt[i] = n.bt;
      task.done[i] = n.bt;
      task.sleepMask[i] = n.sleepMask;
      task.pre[i] = n.pre;
      task.started[i] = n.started;
    }
    this.inflight++;
    this.runner.submit(t.id, task);
  }

  /** Merge one result, in task order; true when the search stops. */
  private merge(t: PendingTask, r: TaskResult, en0: number): boolean {
    this.schedules += r.schedules;
    this.states += r.states;
    this.steps += r.steps;
    this.sleepBlocked += r.sleepBlocked;
    this.races += r.races;
    this.backtracks += r.backtracks;
    if (r.maxEvents > this.maxEvents) this.maxEvents = r.maxEvents;
    if (r.maxStepsSeen > this.maxStepsSeen) this.maxStepsSeen = r.maxStepsSeen;
    if (r.outcome === 'found') {
      this.found = r.found;
      return true;
    }
    for (const c of r.cut) this.cut.add(c);
    // Restarts: a reduction dropped, a critical section seen non-atomic in this task or across the round's tasks.
    const split = new Set(r.newNonAtomic);
    for (const [site, locs] of r.nonMovers) {
      let set = this.nonMovers.get(site);
      if (!set) {
        set = new Set();
        this.nonMovers.set(site, set);
      }
      for (const l of locs) set.add(l);
      if (set.size > 1) split.add(site);
    }
    for (const s of [...split]) if (this.nonAtomic.has(s)) split.delete(s);
    const dropReuse = this.reuse && !r.reuse;
    const dropLeaf = this.staleLeaf && !r.staleLeaf;
    if (split.size > 0 || dropReuse || dropLeaf) {
      for (const s of split) this.nonAtomic.add(s);
      if (dropReuse) {
        this.reuse = false;
        this.reuseDropped = r.reuseDropped;
      }
      if (dropLeaf) {
        this.staleLeaf = false;
        this.staleLeafDropped = r.staleLeafDropped;
      }
      this.startRound(en0);
      return false;
    }
    const base = this.nodes[t.node];
    for (const e of r.first) base.doneFp[e.a] = e.fp;
    // The entries the task left: its remaining actors here, then its path's pending entries, deepest first.
    if (r.path) {
      const p = r.path;
      const ids: number[] = [t.node];
      let parent = t.node;
      for (let e = 0; e < p.act.length; e++) {
        const n = this.newNode(parent, base.depth + e + 1);
        n.act = p.act[e];
        n.nsteps = p.nsteps[e];
        n.lidx = p.lidx[e];
        n.clk = p.clk.slice(e * this.nA, (e + 1) * this.nA);
        n.fp = p.fps[e];
        n.en = p.en[e];
        n.bt = p.bt[e];
        n.sleepMask = p.sleepMask[e];
        n.pre = p.pre[e];
        n.started = p.started[e];
        n.sleepInh = p.sleepInh[e];
        n.scheduled = p.done[e];
        for (const d of p.doneFp[e]) n.doneFp[d.a] = d.fp;
        for (let m = n.scheduled; m; m &= m - 1) n.seq[lowestBit(m)] = n.nextSeq++;
        parent = this.nodes.length - 1;
        ids.push(parent);
      }
      const rest = p.pending[0] & t.list;
      if (rest) this.createTask(t.node, rest, true);
      for (let e = ids.length - 1; e >= 1; e--) this.schedule(ids[e]);
    }
    // Entries wanted at frozen nodes, in the task's order.
    const path: number[] = [];
    for (let k = t.node; k >= 0; k = this.nodes[k].parent) path.push(k);
    path.reverse();
    const touched: number[] = [];
    const a = r.adds;
    for (let k = 0; k < a.length; k += 4) {
      const id = path[a[k + 1]];
      const before = this.nodes[id].bt;
      if (a[k] === ADD_RACE) this.addRace(id, a[k + 2], a[k + 3]);
      else this.addMask(id, a[k + 2]);
      if (this.nodes[id].bt !== before && !touched.includes(id)) touched.push(id);
    }
    for (const id of touched) this.schedule(id);
    // Bug-finding order: probes at the same thresholds of executions as the sequential search. They run once the
    // tasks this merge made are handed out (run()); the rest of this merge waits for them.
    const probes = this.cfg.probes ?? 0;
    if (this.probesRun < probes && this.schedules >= this.nextProbeAt && this.more()) {
      this.probesDue = Math.min(probes - this.probesRun, Math.max(1, Math.floor(this.nextProbeAt / 16)));
      this.nextProbeAt *= 2;
      this.probesAfter = r;
      return false;
    }
    return this.afterProbes(r);
  }

  /** Tasks made and not merged yet. */
  private more(): boolean {
    return this.qHead < this.queue.length || this.nextMerge < this.nextId;
  }

  /** The probes a merge asked for; true if one found a violation. */
  private runDueProbes(): boolean {
    const pr = this.main.probeBatch(this.probesDue);
    this.probesDue = 0;
    this.probesRun += pr.probes;
    this.steps += pr.steps;
    if (pr.found) {
      this.found = pr.found;
      return true;
    }
    return false;
  }

  /** The end of a merge (after its probes, if it asked for any): progress, and whether the search stops. */
  private afterProbes(r: TaskResult): boolean {
    if (this.cfg.onProgress && this.schedules - this.lastProgress >= 64) {
      this.lastProgress = this.schedules;
      this.cfg.onProgress({ schedules: this.schedules, states: this.states, steps: this.steps, elapsedMs: 0, round: this.round });
    }
    if (r.outcome === 'cut' || this.cfg.now() > this.cfg.deadline) {
      if (this.more()) this.cut.add('timeLimit');
      return true;
    }
    if (this.schedules >= this.cfg.maxSchedules) {
      if (this.more()) this.cut.add('maxSchedules');
      return true;
    }
    return false;
  }

  /** New tasks for a node's unscheduled entries (the sequential nextBacktrack()'s filters). */
  private schedule(id: number): void {
    const n = this.nodes[id];
    let cand = n.bt & ~n.scheduled & ~n.sleepMask;
    const dis = cand & ~n.en;
    n.scheduled |= dis;
    cand &= n.en;
    const bound = this.cfg.preemptionBound;
    if (bound !== null) {
      for (let m = cand; m; m &= m - 1) {
        const q = lowestBit(m);
        if (this.isPreemption(n, q) && n.pre + 1 > bound) {
          n.scheduled |= 1 << q;
          cand &= ~(1 << q);
          this.cut.add('preemptionBound');
        }
      }
    }
    if (cand) this.createTask(id, cand, false);
  }

  private isPreemption(n: FNode, q: number): boolean {
    if (n.depth === 0) return false;
    return n.act !== q && (n.en & (1 << n.act)) !== 0;
  }

  private addMask(id: number, mask: number): void {
    const n = this.nodes[id];
    const add = mask & ~n.bt;
    if (!add) return;
    n.bt |= add;
    this.backtracks++;
  }

  /** The rest of engine.ts reverse() at a frozen node: make sure some initial is explored there. */
  private addRace(id: number, initials: number, p: number): void {
    const n = this.nodes[id];
    if (initials & (n.bt | n.sleepMask)) return;
    initials &= n.en;
    if (initials === 0) {
      this.addMask(id, n.en & ~n.bt);
      return;
    }
    let q = initials & (1 << p) ? p : lowestBit(initials);
    const bound = this.cfg.preemptionBound;
    if (bound !== null && this.isPreemption(n, q) && n.pre + 1 > bound) {
      q = -1;
      for (let m = initials; m; m &= m - 1) {
        const c = lowestBit(m);
        if (!this.isPreemption(n, c)) {
          q = c;
          break;
        }
      }
      if (q < 0) {
        this.cut.add('preemptionBound');
        return;
      }
    }
    if (this.cfg.symmetry) q = this.symmetric(n, q);
    if (q < 0) return;
    this.addMask(id, 1 << q);
  }

  private symmetric(n: FNode, q: number): number {
    if (n.started & (1 << q)) return q;
    for (let r = 0; r < q; r++) {
      if (this.classes[r] !== this.classes[q] || n.started & (1 << r) || !(n.en & (1 << r))) continue;
      if ((n.bt | n.sleepMask) & (1 << r)) return -1;
      return r;
    }
    return q;
  }
}

/**
 * A runner without threads, for tests and jobs = 1 through the coordinator: tasks run when next() is called, the
 * oldest first, or (with `pick`) in an order the caller chooses, to show the result does not depend on it. With
 * `wire`, tasks and results go through packTask() / packResult() and back, as between threads.
 */
export function inProcessRunner(newEngine: () => ExploreEngine, slots: number, pick?: (n: number) => number, wire = false): TaskRunner {
  const engines: ExploreEngine[] = [];
  const pending: { id: number; task: SubtreeTask }[] = [];
  return {
    slots,
    submit(id, task) {
      pending.push({ id, task });
    },
    next() {
      const k = pick ? pick(pending.length) : 0;
      const [{ id, task }] = pending.splice(k, 1);
      // One engine per slot, reused, as a worker thread reuses its engine.
      const e = engines[id % slots] ?? (engines[id % slots] = newEngine());
      if (!wire) return { id, result: e.runTask(task) };
      const w = packTask(task);
      return { id, result: unpackResult(packResult(e.runTask(unpackTask(w, e.sharedPrefix(w))))) };
    },
    close() {
      pending.length = 0;
    },
  };
}

/** SleepItems on the wire: actors and their footprints' indices in the message's packed footprints. */
interface WireItems {
  a: Int32Array;
  fp: Int32Array;
}

/** A SubtreeTask as a thread message (packTask()): footprints packed, everything else as is. */
export interface WireTask extends Omit<SubtreeTask, 'fps' | 'sleepInh' | 'doneFp'> {
  packed: PackedFootprints;
  sleepInh: WireItems;
  doneFp: WireItems;
}

/** A TaskResult as a thread message (packResult()). */
export interface WireResult extends Omit<TaskResult, 'first' | 'path'> {
  packed: PackedFootprints;
  first: WireItems;
  path: (Omit<ExportedPath, 'fps' | 'sleepInh' | 'doneFp'> & { sleepInh: WireItems[]; doneFp: WireItems[] }) | null;
}

function packItems(pk: FootprintPacker, items: readonly SleepItem[]): WireItems {
  const a = new Int32Array(items.length);
  const fp = new Int32Array(items.length);
  for (let k = 0; k < items.length; k++) {
    a[k] = items[k].a;
    fp[k] = pk.add(items[k].fp);
  }
  return { a, fp };
}

/** Items whose footprints are at indices `shift` lower in `fps` than packed (the list starts after skipped ones). */
function unpackItems(fps: readonly Footprint[], w: WireItems, shift = 0): SleepItem[] {
  const out: SleepItem[] = [];
  for (let k = 0; k < w.a.length; k++) out.push({ a: w.a[k], fp: fps[w.fp[k] - shift] });
  return out;
}

/** The typed arrays of a wire message, to transfer rather than copy (the sender drops the message). */
export function wireTransfers(w: WireTask | WireResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [w.packed.nums.buffer as ArrayBuffer];
  const path = 'list' in w ? w : w.path;
  if (path) for (const k of ['act', 'nsteps', 'lidx', 'clk', 'en', 'bt', 'done', 'sleepMask', 'pre', 'started'] as const) out.push(path[k].buffer as ArrayBuffer);
  return out;
}

export function packTask(t: SubtreeTask): WireTask {
  const pk = new FootprintPacker();
  for (const fp of t.fps) pk.add(fp);
  const sleepInh = packItems(pk, t.sleepInh);
  const doneFp = packItems(pk, t.doneFp);
  const { fps: _fps, sleepInh: _s, doneFp: _d, ...rest } = t;
  return { ...rest, packed: pk.finish(), sleepInh, doneFp };
}

/**
 * A task off the wire, for an engine that already holds the footprints of the first `from` events of its path
 * (ExploreEngine.sharedPrefix()): those are stepped over, not built; most of a task's path is the stretch it
 * shares with the thread's previous task, so this saves building (and collecting) most of its footprints.
 */
export function unpackTask(w: WireTask, from = 0): SubtreeTask {
  const skip = Math.max(w.fpsFrom, Math.min(from, w.node));
  const fps = unpackFootprints(w.packed, skip - w.fpsFrom);
  const { packed: _p, sleepInh, doneFp, ...rest } = w;
  const shift = skip - w.fpsFrom;
  return { ...rest, fpsFrom: skip, fps: fps.slice(0, w.node - skip), sleepInh: unpackItems(fps, sleepInh, shift), doneFp: unpackItems(fps, doneFp, shift) };
}

export function packResult(r: TaskResult): WireResult {
  const pk = new FootprintPacker();
  const first = packItems(pk, r.first);
  let path: WireResult['path'] = null;
  if (r.path) {
    const { fps, sleepInh, doneFp, ...rest } = r.path;
    for (const fp of fps) pk.add(fp);
    path = { ...rest, sleepInh: sleepInh.map((l) => packItems(pk, l)), doneFp: doneFp.map((l) => packItems(pk, l)) };
  }
  return { ...r, packed: pk.finish(), first, path };
}

export function unpackResult(w: WireResult): TaskResult {
  const fps = unpackFootprints(w.packed);
  const { packed: _p, first, path, ...rest } = w;
  let out: ExportedPath | null = null;
  if (path) {
    const n = path.act.length;
    out = { ...path, fps: fps.slice(first.a.length, first.a.length + n), sleepInh: path.sleepInh.map((l) => unpackItems(fps, l)), doneFp: path.doneFp.map((l) => unpackItems(fps, l)) };
  }
  return { ...rest, first: unpackItems(fps, first), path: out };
}
