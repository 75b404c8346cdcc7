/**
 * explore mode (SPEC §2.7), the public API: a systematic search of the
 * interleavings of a scenario's actors, with partial-order reduction, that
 * either finds a violation (and the shortest counterexample it can,
 * replayable step for step) or proves that none exists within the stated
 * bounds. The search and the reductions it relies on (each with why it is
 * sound) are in core/explore/engine.ts, footprints in footprints.ts,
 * shrinking in shrink.ts. Pure: no clock (the caller passes `now`), no I/O.
 */
import { buildFromTemplate, prepareMachine, runScenario } from '../run/runner.ts';
import { Prng } from '../prng.ts';
import type { ExploreDocument, ExploreVerdict, TraceStep, Violation, ViolationKind } from '../results.ts';
import type { Scenario } from '../scenario.ts';
import { RandomScheduler } from '../run/schedulers/index.ts';
import type { Sim } from '../machine/sim.ts';
import type { PhysMem } from '../model/memory.ts';
import type { Strategy } from '../strategies.ts';
import { DEFAULT_PROBE_AFTER, DEFAULT_PROBES, type EngineConfig, type EngineResult, ExploreEngine, type ExploreProgress, PROBE_SALT } from './engine.ts';
import { exploreParallel, type TaskRunner } from './parallel.ts';
import { shrinkSchedule } from './shrink.ts';

export type { EngineResult, ExploreProgress } from './engine.ts';
export { stateDigest } from './digest.ts';


export interface ExploreOptions {
  /** Stop after this many complete executions (bounded-safe if more remained). */
  maxSchedules?: number;
  /** Stop after this long (bounded-safe if unfinished). */
  timeLimitMs?: number;
  /** At most this many preemptions per execution; null/undefined: unbounded. */
  preemptionBound?: number | null;
  /** Clock for the time limit and elapsedMs (e.g. performance.now). */
  now: () => number;
  onProgress?: (p: ExploreProgress) => void;
  /** Seed for the scenario's workload streams (buildSim); default 1. The counterexample replays with it. */
  seed?: number;
  /** Only these violation kinds count (others are ignored and do not stop an execution); default all. */
  kinds?: readonly ViolationKind[];
  /** Try to shorten the counterexample by delta debugging (default true, 300 ms / 400 replays). */
  shrink?: boolean | { timeLimitMs?: number; maxReplays?: number };
  /** Treat exclusive-lock critical sections as single events, checked (default true). */
  lipton?: boolean;
  /** Commute frees and allocations of unobservable frames up to renaming, checked (default true; false: pristine frames only). */
  reuse?: boolean;
  /** With reuse: frames referenced only by leaf TLB entries count as unobservable, checked (default true). */
  staleLeaf?: boolean;
  /** 'declared': trust symmetry classes (a heuristic; the search is then never complete). Default 'off'. */
  symmetry?: 'off' | 'declared';
  /**
   * Random probes, seeded random executions (the scenario's random-mode scheduler, seeds derived from `seed`)
   * interleaved with the search to find violations early: when the search has explored `probeAfter` (default
   * 64), then twice, four times ... as many executions without an answer, a batch of a sixteenth of that many
   * probes runs, at most `probes` in all (default 1024; 0: none). Batches keep probing a bounded fraction
   * of the work. Probes only look for a violation and never count towards completeness; none run with a
   * preemption bound (a probe's counterexample could exceed it).
   */
  probes?: number;
  probeAfter?: number;
  /**
   * Restore a copy of the machine taken where every actor had finished or not started, instead of re-running the
   * steps before it (default true; false re-runs every prefix: the same search, for tests and measurements).
   */
  checkpoints?: boolean;
  /**
   * Parallel search (core/explore/parallel.ts): subtree tasks run by `runner` on engines built by
   * exploreTaskEngine() (or machineTaskEngine()); `budget` executions per task. The verdict and completeness are
   * those of the sequential search; the counts may differ from it but not with the runner's number of slots.
   */
  parallel?: { runner: TaskRunner; budget?: number };
}

export interface ExploreCounterexample {
  kind: ViolationKind;
  message: string;
  schedule: number[];
  trace: TraceStep[];
  /** The violation's causal chain in words, and its key steps (core/narrative.ts). */
  narrative?: string;
  keySteps?: Violation['keySteps'];
  /** Step of the violation (schedule.length - 1 unless found by the end-of-run checks). */
  step: number;
  actor: string;
  function: string;
  /** Length of the schedule as first found, before shrinking. */
  foundLength: number;
}

export interface ExploreStats {
  /** Simulator steps executed, re-execution of prefixes included (not the steps a restored checkpoint stood in for). */
  steps: number;
  /** Executions abandoned because every runnable actor was asleep (covered elsewhere). */
  sleepBlocked: number;
  /** Search rounds (a round restarts when a lock turns out not to be atomic). */
  rounds: number;
  /** Critical sections that had to be split into steps (Lipton check failed). */
  nonAtomicSections: string[];
  /** Whether frees/allocations of unobservable frames commuted, and why that was dropped if it was. */
  reuse: boolean;
  reuseDropped: string | null;
  /** Whether frames referenced only by leaf TLB entries commuted too (reduction 2b), and why that was dropped if it was. */
  staleLeaf: boolean;
  staleLeafDropped: string | null;
  /** Longest execution, in events and in steps. */
  maxEvents: number;
  maxSteps: number;
  /** Races found (reversible) and backtrack points added. */
  races: number;
  backtracks: number;
  /** Actors and their symmetry classes. */
  actors: { name: string; symmetryClass: string }[];
  /** What bound cut the search, if any. */
  cutBy: ('maxSchedules' | 'timeLimit' | 'preemptionBound' | 'maxSteps' | 'symmetry')[];
  /** Random probes run (not counted in `schedules`), and whether the counterexample came from one. */
  probes: number;
  foundBy: 'search' | 'probe' | null;
  /** Replays spent shrinking the counterexample. */
  shrinkReplays: number;
  shrinkMs: number;
}

export interface ExploreResult extends ExploreDocument {
  counterexample: ExploreCounterexample | null;
  seed: number;
  /** What `states` counts. */
  statesMeaning: 'execution-prefixes';
  stats: ExploreStats;
}

/** Systematically explore `scenario` under `strategy` (SPEC §2.7 explore mode). */
export function explore(scenario: Scenario, strategy: Strategy, opts: ExploreOptions): ExploreResult {
  const seed = opts.seed ?? 1;
  const t0 = opts.now();
  // Every execution starts from a fresh machine; its boot page tables are copied from one that never runs (the
  // same bytes: bootFromImage() in core/run/runner.ts) rather than built again, about half of building a machine.
  // The engine, its probes and the shrinker are done with a machine when they ask for the next one, so each new
  // machine takes over the previous one's memory arrays (overwritten by that copy) instead of allocating its own.
  const make = machineFactory(scenario, strategy, seed);
  const eng = new ExploreEngine(make, engineConfig(scenario, strategy, opts, t0));
  const r = opts.parallel ? exploreParallel(eng, eng.config, opts.parallel.runner, opts.parallel.budget) : eng.run();
  return report(scenario, strategy, opts, seed, t0, make, eng, r);
}

/**
 * An engine for the subtree tasks of a parallel explore (core/explore/parallel.ts): the machine and config of
 * explore()'s own, without probes (the coordinator runs them) or progress.
 */
export function exploreTaskEngine(scenario: Scenario, strategy: Strategy, opts: ExploreOptions): ExploreEngine {
  const cfg = engineConfig(scenario, strategy, opts, opts.now());
  return new ExploreEngine(machineFactory(scenario, strategy, opts.seed ?? 1), { ...cfg, maxSchedules: Infinity, deadline: Infinity, onProgress: undefined, probes: 0 });
}

/** The machines explore() runs, all the same: see explore(). */
function machineFactory(scenario: Scenario, strategy: Strategy, seed: number): () => Sim {
  // What a machine derives from the scenario alone (layout, actors, pool, reachability) is derived and checked once.
  const template = prepareMachine(scenario, strategy);
  let bootImage: PhysMem | undefined;
  let previous: Sim | undefined;
  return (): Sim => {
    bootImage ??= buildFromTemplate(template, { mode: 'random', seed, stopOnFirstViolation: true }).sim.mem;
    const reuseMem = previous?.mem;
    const sim = buildFromTemplate(template, { mode: 'random', seed, stopOnFirstViolation: true, bootImage, reuseMem }).sim;
    previous = sim;
    // The leaked-table audit at the end of each hot-remove (a metric of runs: a walk of every table, about a tenth
    // of an execution's time) is read by no checker and by nothing explore reports; the counterexample's replay
    // below runs with it.
    sim.auditLeaks = false;
    // Nor is the step log: the search, its probes and the shrinker read only which kind of violation an execution
    // reached and at which step, and report() replays the counterexample on a machine that keeps its log. Keeping
    // one per execution (and copying it in and out of every checkpoint) was about a tenth of the search's time.
    sim.rebuildLogWith(countedViolation);
    return sim;
  };
}

/** A violation of an explore machine, which keeps no step log: its kind and step only (see machineFactory()). */
function countedViolation(kind: ViolationKind, step: number): Violation {
  return { kind, step, cpu: -1, actor: '', function: '', address: '', message: `${kind} at step ${step} (explore keeps no step log; the report replays the schedule)`, trace: [] };
}

function engineConfig(scenario: Scenario, strategy: Strategy, opts: ExploreOptions, t0: number): EngineConfig {
  const seed = opts.seed ?? 1;
  return {
    maxSchedules: opts.maxSchedules ?? Infinity,
    deadline: opts.timeLimitMs !== undefined ? t0 + opts.timeLimitMs : Infinity,
    now: opts.now,
    preemptionBound: opts.preemptionBound ?? null,
    maxSteps: scenario.run.maxSteps,
    kinds: opts.kinds ? new Set(opts.kinds) : null,
    lipton: opts.lipton ?? true,
    reuse: opts.reuse ?? true,
    staleLeaf: opts.staleLeaf ?? true,
    symmetry: opts.symmetry === 'declared',
    checkpoints: opts.checkpoints ?? true,
    onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, elapsedMs: opts.now() - t0 }) : undefined,
    probes: opts.preemptionBound != null ? 0 : (opts.probes ?? DEFAULT_PROBES),
    probeAfter: opts.probeAfter ?? DEFAULT_PROBE_AFTER,
    probeScheduler: (i) => new RandomScheduler(Prng.derive(Prng.derive(seed, PROBE_SALT), i), scenario.run.burst, scenario.run.sleepProbability, scenario.run.sleepSteps),
  };
}

/** The document explore() returns for the engine's result: the counterexample shrunk and replayed. */
function report(scenario: Scenario, strategy: Strategy, opts: ExploreOptions, seed: number, t0: number, make: () => Sim, eng: ExploreEngine, r: EngineResult): ExploreResult {
  let counterexample: ExploreCounterexample | null = null;
  let shrinkReplays = 0;
  let shrinkMs = 0;
  if (r.found) {
    let schedule = r.found.schedule;
    const shrinkOpt = opts.shrink ?? true;
    if (shrinkOpt !== false && !r.found.atEnd) {
      const s0 = opts.now();
      const lim = typeof shrinkOpt === 'object' ? shrinkOpt : {};
      const sh = shrinkSchedule(make, schedule, r.found.kind, eng.kinds, {
        deadline: Math.min(s0 + (lim.timeLimitMs ?? 300), opts.timeLimitMs !== undefined ? t0 + opts.timeLimitMs : Infinity),
        maxReplays: lim.maxReplays ?? 400,
        now: opts.now,
      });
      schedule = sh.schedule;
      shrinkReplays = sh.replays;
      shrinkMs = opts.now() - s0;
    }
    const out = runScenario(scenario, strategy, { mode: 'replay', seed, schedule });
    const v = out.result.violations.find((x) => x.kind === r.found!.kind);
    if (!v) throw new Error(`explore: the counterexample did not replay to ${r.found.kind}`);
    counterexample = {
      kind: v.kind,
      message: v.message,
      schedule,
      trace: v.trace,
      ...(v.narrative !== undefined ? { narrative: v.narrative } : {}),
      ...(v.keySteps !== undefined ? { keySteps: v.keySteps } : {}),
      step: v.step,
      actor: v.actor,
      function: v.function,
      foundLength: r.found.schedule.length,
    };
  }
  const complete = !r.found && r.cutBy.length === 0;
  const verdict: ExploreVerdict = r.found ? 'violation' : complete ? 'safe' : 'bounded-safe';
  return {
    schema: 'ptlab.explore/1',
    scenario: scenario.name,
    strategy: strategy.id,
    verdict,
    complete,
    schedules: r.schedules,
    states: r.states,
    elapsedMs: Math.round((opts.now() - t0) * 1000) / 1000,
    bounds: {
      maxSchedules: opts.maxSchedules ?? null,
      timeLimitS: opts.timeLimitMs !== undefined ? opts.timeLimitMs / 1000 : null,
      preemptionBound: opts.preemptionBound ?? null,
    },
    counterexample,
    seed,
    statesMeaning: 'execution-prefixes',
    stats: {
      steps: r.steps,
      sleepBlocked: r.sleepBlocked,
      rounds: r.rounds,
      nonAtomicSections: r.nonAtomic,
      reuse: r.reuse,
      reuseDropped: r.reuseDropped,
      staleLeaf: r.staleLeaf,
      staleLeafDropped: r.staleLeafDropped,
      maxEvents: r.maxEvents,
      maxSteps: r.maxStepsSeen,
      races: r.races,
      backtracks: r.backtracks,
      actors: r.actors,
      cutBy: r.cutBy,
      probes: r.probes,
      foundBy: r.found ? (r.found.byProbe ? 'probe' : 'search') : null,
      shrinkReplays,
      shrinkMs: Math.round(shrinkMs * 1000) / 1000,
    },
  };
}

/**
 * The search itself over any machine factory (`make` must build the same
 * machine, actors included, every time): no counterexample shrinking or
 * replay. For tests and tools that drive hand-written programs.
 */
export function exploreMachine(make: () => Sim, opts: MachineExploreOptions): EngineResult {
  const eng = new ExploreEngine(make, machineConfig(opts));
  return opts.parallel ? exploreParallel(eng, eng.config, opts.parallel.runner, opts.parallel.budget) : eng.run();
}

export type MachineExploreOptions = Omit<ExploreOptions, 'shrink' | 'seed'> & { maxSteps?: number; onMaximal?: (sim: Sim) => void };

/** exploreTaskEngine() for exploreMachine(): its machine and config, no progress, no limits of its own. */
export function machineTaskEngine(make: () => Sim, opts: MachineExploreOptions): ExploreEngine {
  return new ExploreEngine(make, { ...machineConfig(opts), maxSchedules: Infinity, deadline: Infinity, onProgress: undefined });
}

function machineConfig(opts: MachineExploreOptions): EngineConfig {
  const t0 = opts.now();
  return {
    maxSchedules: opts.maxSchedules ?? Infinity,
    deadline: opts.timeLimitMs !== undefined ? t0 + opts.timeLimitMs : Infinity,
    now: opts.now,
    preemptionBound: opts.preemptionBound ?? null,
    maxSteps: opts.maxSteps ?? 1_000_000,
    kinds: opts.kinds ? new Set(opts.kinds) : null,
    lipton: opts.lipton ?? true,
    reuse: opts.reuse ?? true,
    staleLeaf: opts.staleLeaf ?? true,
    symmetry: opts.symmetry === 'declared',
    checkpoints: opts.checkpoints ?? true,
    onProgress: opts.onProgress,
    onMaximal: opts.onMaximal,
  };
}
