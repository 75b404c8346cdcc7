/**
 * Compare's verdict row (lab API part 2: safety, startSafetyCheck): each
 * strategy's safety on each safety preset (core/presets.ts marks them), in
 * words that say what backs it, from the saved runs of that preset under
 * that strategy: a violation in any run; else a complete explore (proved
 * safe); else a bounded explore; else random/PCT runs that found nothing;
 * else unknown. A run counts only if it ran the preset as it is (no `--set`,
 * no file, the same scenario document) and the strategy as asked (same id
 * and knobs; a run that recorded no knobs ran the built-in's, or the saved
 * variant's of that id). The safety check explores the unknown cells, with
 * random seeds where the search cannot complete, as one job of the Lab's
 * (the Lab's explore lanes and run batches do the work, saved as they go).
 */
import { findPreset, SAFETY_PRESETS, type Preset } from '../../core/presets.ts';
import type { ResultsDocument, RunResult, ViolationKind } from '../../core/results.ts';
import { VIOLATION_KINDS } from '../../core/results.ts';
import { parseScenario, type Scenario } from '../../core/scenario.ts';
import { STRATEGIES, type Strategy } from '../../core/strategies.ts';
import type { LabDb, RunListRow } from '../../db/index.ts';
import { summarize } from '../report/index.ts';
import type { ExploreRequest, JobInfo, JobLane, SafetyRequest, SafetyVerdict } from './api.ts';
import { defineVariant, resolveStrategyRefs } from './refs.ts';
import { InputError } from './resolve.ts';

/** Tag on the runs a safety check saves. */
export const SAFETY_TAG = 'safety-check';

export interface SafetyDeps {
  db: LabDb;
  /** A saved strategy variant's definition by id, or null. */
  savedStrategy(id: string): unknown | null;
}

/** What one saved run says about safety (read once per run: a finished run does not change). */
interface RunFacts {
  id: string;
  mode: RunListRow['mode'];
  status: RunListRow['status'];
  /** The run's scenario is the preset's document. */
  samePreset: boolean;
  kinds: Partial<Record<ViolationKind, number>>;
  firstViolation: number;
  /** explore: complete search; schedules searched; what cut it. */
  complete: boolean;
  schedules: number;
  bounds: string[];
  startedAt: string;
}

/** Key order does not matter; arrays and values do. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/** A scenario's meaning: the parsed document without its words (a description edited between versions changes no run). */
function scenarioKey(doc: unknown): string | null {
  let sc: Scenario;
  try {
    sc = parseScenario(doc);
  } catch {
    return null;
  }
  const { description: _d, assumptions: _a, ...rest } = sc as Scenario & { description?: unknown; assumptions?: unknown };
  return canonical(rest);
}

function knobsEqual(a: object, b: object): boolean {
  return canonical(a) === canonical(b);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export class Safety {
  private readonly deps: SafetyDeps;
  private readonly facts = new Map<string, RunFacts>();
  private readonly presetKeys = new Map<string, string | null>();

  constructor(deps: SafetyDeps) {
    this.deps = deps;
  }

  /** The safety presets a request asks about (every safety preset by default). */
  presetsOf(req: SafetyRequest): Preset[] {
    if (!req.scenarios || req.scenarios.length === 0) return [...SAFETY_PRESETS];
    return req.scenarios.map((name, i) => {
      const p = findPreset(name);
      if (!p) throw new InputError(`scenarios[${i}]: unknown preset '${name}' (safety presets: ${SAFETY_PRESETS.map((x) => x.name).join(', ')})`);
      return p;
    });
  }

  strategiesOf(req: SafetyRequest): Strategy[] {
    return resolveStrategyRefs(req.strategies, (id) => this.deps.savedStrategy(id), 'strategies');
  }

  /** One verdict per (strategy, preset), strategies outer, in request order. */
  verdicts(req: SafetyRequest): SafetyVerdict[] {
    const presets = this.presetsOf(req);
    const strategies = this.strategiesOf(req);
    const out: SafetyVerdict[] = [];
    for (const s of strategies) for (const p of presets) out.push(this.verdict(s, p));
    return out;
  }

  /** Does a stored run's strategy (id and recorded knobs) equal `s`? */
  private sameStrategy(row: RunListRow, s: Strategy): boolean {
    if (row.strategy !== s.id) return false;
    if (row.strategyKnobs) return knobsEqual(row.strategyKnobs, s.knobs);
    const builtin = STRATEGIES.find((x) => x.id === row.strategy);
    if (builtin) return knobsEqual(builtin.knobs, s.knobs);
    // No knobs recorded and not a built-in: the saved variant of that id, if there is one, is what ran.
    const def = this.deps.savedStrategy(row.strategy);
    if (def === null) return false;
    try {
      return knobsEqual(defineVariant(def, `saved strategy '${row.strategy}'`).knobs, s.knobs);
    } catch {
      return false;
    }
  }

  private presetKey(p: Preset): string | null {
    if (!this.presetKeys.has(p.name)) this.presetKeys.set(p.name, scenarioKey(p.doc));
    return this.presetKeys.get(p.name) ?? null;
  }

  private factsOf(row: RunListRow, p: Preset): RunFacts | null {
    const cached = this.facts.get(row.id);
    if (cached) return cached;
    const run = this.deps.db.getRun(row.id);
    if (!run) return null;
    const m = run.metrics;
    const bounds: string[] = [];
    if (m['explore.bound.time_limit_s'] !== undefined) bounds.push(`${m['explore.bound.time_limit_s']} s`);
    if (m['explore.bound.max_schedules'] !== undefined) bounds.push(`${m['explore.bound.max_schedules']} schedules`);
    if (m['explore.bound.preemptions'] !== undefined) bounds.push(`${m['explore.bound.preemptions']} preemptions`);
    const kinds: Partial<Record<ViolationKind, number>> = {};
    for (const k of VIOLATION_KINDS) if ((run.violationCounts[k] ?? 0) > 0) kinds[k] = run.violationCounts[k];
    const facts: RunFacts = {
      id: run.id,
      mode: run.mode,
      status: run.status,
      samePreset: run.config !== undefined && scenarioKey(run.config) === this.presetKey(p),
      kinds,
      firstViolation: run.violations.length > 0 ? 0 : -1,
      complete: m['explore.complete'] === 1,
      schedules: m['explore.schedules'] ?? 0,
      bounds,
      startedAt: run.startedAt,
    };
    // Finished runs never change; a run still going is read again next time.
    if (run.status !== 'running') this.facts.set(run.id, facts);
    return facts;
  }

  /** The saved runs that ran preset `p` as it is under strategy `s`. */
  private runsOf(s: Strategy, p: Preset): RunFacts[] {
    const rows = this.deps.db.listRuns({ scenario: p.name, strategy: s.id });
    const out: RunFacts[] = [];
    for (const row of rows) {
      if (row.status === 'running' || row.sets.length > 0 || row.scenarioFile !== null) continue;
      if (!this.sameStrategy(row, s)) continue;
      const f = this.factsOf(row, p);
      if (f && f.samePreset) out.push(f);
    }
    return out;
  }

  verdict(s: Strategy, p: Preset): SafetyVerdict {
    const runs = this.runsOf(s, p);
    const base = { strategy: s.id, scenario: p.name };
    const violating = runs.filter((r) => Object.keys(r.kinds).length > 0);
    if (violating.length > 0) {
      const kinds: Partial<Record<ViolationKind, number>> = {};
      for (const r of violating) for (const k of Object.keys(r.kinds) as ViolationKind[]) kinds[k] = (kinds[k] ?? 0) + 1;
      // The trace to show first: an explore counterexample (the shortest), else the earliest violating run.
      const first = violating.find((r) => r.mode === 'explore' && r.firstViolation >= 0) ?? [...violating].sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1)).find((r) => r.firstViolation >= 0) ?? null;
      const words = VIOLATION_KINDS.filter((k) => kinds[k]).map((k) => `${k} ×${kinds[k]}`);
      return {
        ...base,
        verdict: 'violation',
        backing: `violation (${words.join(', ')}${violating.length > 1 ? `; ${violating.length} of ${plural(runs.length, 'run')}` : ''})`,
        kinds,
        runIds: violating.map((r) => r.id),
        trace: first ? { runId: first.id, violation: first.firstViolation } : null,
      };
    }
    const explored = runs.filter((r) => r.mode === 'explore' && r.status === 'completed');
    const sampled = runs.filter((r) => (r.mode === 'random' || r.mode === 'pct') && r.status === 'completed');
    const modes = [...new Set(sampled.map((r) => r.mode))].join(', ');
    const sampledWords = sampled.length > 0 ? `no violation in ${plural(sampled.length, 'run')} (${modes})` : '';
    const complete = explored.find((r) => r.complete);
    if (complete) {
      return { ...base, verdict: 'proved-safe', backing: `proved safe (explore, complete, on ${p.name})`, kinds: {}, runIds: [complete.id], trace: null };
    }
    if (explored.length > 0) {
      const widest = explored.reduce((a, b) => (b.schedules > a.schedules ? b : a));
      const cut = widest.bounds.length > 0 ? `within ${widest.bounds.join(', ')}` : 'not complete';
      return {
        ...base,
        verdict: 'bounded',
        backing: `bounded (explore: no violation in ${plural(widest.schedules, 'schedule')}, ${cut}, on ${p.name}${sampledWords ? `; ${sampledWords}` : ''})`,
        kinds: {},
        runIds: [...explored, ...sampled].map((r) => r.id),
        trace: null,
      };
    }
    if (sampled.length > 0) return { ...base, verdict: 'no-violation', backing: `${sampledWords} on ${p.name}`, kinds: {}, runIds: sampled.map((r) => r.id), trace: null };
    return { ...base, verdict: 'unknown', backing: `not checked on ${p.name}`, kinds: {}, runIds: [], trace: null };
  }
}

// ------------------------------------------------------------------ the safety check job

/** What the safety check needs of the Lab's job machinery, for a job of type J. */
export interface SafetyJobDeps<J> {
  /** PT Lab version, for the job's results document. */
  version: string;
  newJob(title: string, lanes: JobLane[]): J;
  info(job: J): JobInfo;
  aborted(job: J): boolean;
  track(job: J, work: () => Promise<ResultsDocument | null>): void;
  /** One explore lane (the Lab's explore of one strategy on one scenario, saved). */
  explore(job: J, lane: string, scenario: Scenario, config: unknown, strategy: Strategy, req: ExploreRequest): Promise<RunResult | null>;
  /** Random seeds of one strategy into a lane (the Lab's run batch, saved). */
  random(job: J, lane: string, doc: unknown, scenario: Scenario, strategy: Strategy, seeds: number): Promise<RunResult[]>;
  /** The lane's live state, to extend it when random seeds follow an explore. */
  lane(job: J, lane: string): JobLane;
  /** Record on a saved run the knobs it ran with (so the verdict finds it whatever its id names). */
  recordKnobs(runId: string, strategy: Strategy): void;
}

export function laneKeyOf(strategy: string, preset: string): string {
  return `${strategy} on ${preset}`;
}

/**
 * The safety check: for every (strategy, safety preset) cell whose verdict
 * is unknown, explore the preset with its time limit; where that search
 * neither completes nor finds a violation, run its random seeds. One job,
 * one lane per cell; returns the job as started.
 */
export function startSafetyJob<J>(safety: Safety, req: SafetyRequest, deps: SafetyJobDeps<J>): JobInfo {
  const presets = safety.presetsOf(req);
  const strategies = safety.strategiesOf(req);
  const cells: { strategy: Strategy; preset: Preset }[] = [];
  for (const s of strategies) for (const p of presets) if (safety.verdict(s, p).verdict === 'unknown') cells.push({ strategy: s, preset: p });
  const lanes: JobLane[] = cells.map(({ strategy, preset }) => ({
    key: laneKeyOf(strategy.id, preset.name),
    strategy: strategy.id,
    point: null,
    runs: 1,
    done: 0,
    fraction: 0,
    etaMs: null,
    counters: {},
    kinds: {},
    runIds: [],
    explore: { schedules: 0, states: 0, steps: 0, elapsedMs: 0, rate: 0, round: 0 },
  }));
  const title =
    cells.length === 0
      ? 'safety check: every verdict is already known'
      : `safety check: ${plural(cells.length, 'unknown cell')} (${[...new Set(cells.map((c) => c.preset.name))].join(', ')} × ${[...new Set(cells.map((c) => c.strategy.id))].join(', ')})`;
  const job = deps.newJob(title, lanes);
  deps.track(job, async () => {
    const runs: RunResult[] = [];
    for (const { strategy, preset } of cells) {
      if (deps.aborted(job)) break;
      const key = laneKeyOf(strategy.id, preset.name);
      const plan = preset.safety ?? { timeLimitS: 60, randomSeeds: 0 };
      const scenario = parseScenario(preset.doc);
      const explored = await deps.explore(job, key, scenario, preset.doc, strategy, { scenario: { preset: preset.name }, timeLimitS: plan.timeLimitS, seed: 1, tags: [SAFETY_TAG] });
      if (explored) {
        runs.push(explored);
        if (explored.id) deps.recordKnobs(explored.id, strategy);
      }
      const searched = explored !== null && explored.status === 'completed';
      const settled = searched && (explored.violations.length > 0 || explored.metrics['explore.complete'] === 1);
      if (settled || deps.aborted(job) || plan.randomSeeds <= 0) continue;
      // The search could not complete in its time: random seeds too.
      const lane = deps.lane(job, key);
      lane.runs += plan.randomSeeds;
      lane.fraction = lane.done / lane.runs;
      const sampled = await deps.random(job, key, preset.doc, scenario, strategy, plan.randomSeeds);
      for (const r of sampled) if (r.id) deps.recordKnobs(r.id, strategy);
      for (const r of sampled) runs.push(r);
    }
    return { schema: 'ptlab.results/1', version: deps.version, runs, summary: summarize(runs) };
  });
  return deps.info(job);
}

