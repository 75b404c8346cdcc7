/**
 * The lab service: orchestrates runs for the CLI, the Electron main process
 * and the web host alike (it never imports electron). A run is built from
 * `core`, fed by the workload worker, stepped in slices so the event loop
 * stays responsive, reported as progress, written to SQLite as it goes
 * (interim metrics and series, then violations and the final status) and can
 * be cancelled. The same request gives the same results wherever it runs.
 * A request of several runs (seeds, strategies, sweep points) runs them on a
 * pool of simulator workers (sim-pool.ts) and reports them in the order a
 * sequential run would, with the same bytes.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ResultsDocument, RunResult, Series, Violation } from '../../core/results.ts';
import { resolvedActors, type Scenario } from '../../core/scenario.ts';
import { estimateSteps, startRun, VERSION } from '../../core/run/runner.ts';
import { PctScheduler } from '../../core/run/schedulers/index.ts';
import type { Strategy } from '../../core/strategies.ts';
import { type FinalRunStatus, LabDb, type RunFilter, type RunListRow, type StoredRun } from '../../db/index.ts';
import { renderCsv, renderHtmlReport, renderJson, summarize } from '../report/index.ts';
import { InputError, resolveScenario, resolveStrategies } from './resolve.ts';
import { interimMetrics, progressOf } from './run-progress.ts';
import { defaultPoolSize, type PooledRun, runPooled } from './sim-pool.ts';
import type { SimTask, SimWorkerProgress } from './sim-worker.ts';
import { WorkerOpSource } from './worker-source.ts';

/** A slice runs for about this long before yielding to the event loop. */
const SLICE_MS = 8;
/** Steps between clock checks inside a slice. */
const CHUNK_STEPS = 2_000;
/** Interim metrics are written at most this often. */
const CHECKPOINT_MS = 250;

export interface LabServiceOptions {
  db?: LabDb | null;
  version?: string;
  /**
   * How the service slices a run (default ~8 ms slices of 2 000-step
   * chunks) and the workload worker's batch size (default 4096). They
   * change how often the event loop gets a turn, never a result: tests
   * set them to extremes to show it.
   */
  slicing?: { sliceMs?: number; chunkSteps?: number; workerBatch?: number };
  /**
   * Simulator worker threads for a request of several runs (default: one
   * per core; 1 runs them one after another on this thread). `url` points
   * at another build of the worker (the benchmark's bundle).
   */
  pool?: { size?: number; url?: URL };
}

/**
 * The in-process request the service runs today (the CLI's shape). The app's
 * contract is `LabApi` in api.ts; this class is being adapted to it.
 */
export interface RunRequest {
  /** Preset name or path of a scenario JSON file. */
  scenario: string;
  /** `path=value` overrides (`--set`). */
  sets?: string[];
  /** "all", a comma list of ids, or strategy JSON files. */
  strategies?: string;
  mode: 'timed' | 'random' | 'pct';
  seed?: number;
  seeds?: number;
  pctDepth?: number;
  save?: boolean;
  tags?: string[];
  useWorker?: boolean;
}

/** A run request with its scenario and strategies already resolved (what the lab API hands the service). */
export interface ResolvedRunRequest {
  /** The scenario document after overrides (stored as each run's config). */
  doc: unknown;
  scenario: Scenario;
  strategies: readonly Strategy[];
  mode: 'timed' | 'random' | 'pct';
  seed?: number;
  seeds?: number;
  pctDepth?: number;
  save?: boolean;
  tags?: readonly string[];
  experimentId?: number | null;
  useWorker?: boolean;
  /** Provenance saved with each run: the `--set` overrides applied to `doc`, and the scenario file it came from (null: a preset or a document sent by the app). */
  sets?: readonly string[];
  scenarioFile?: string | null;
}

export interface RunProgress {
  runIndex: number;
  runCount: number;
  strategy: string;
  seed: number;
  /** vmallocThreads of the sweep point this run belongs to, or null without a sweep. */
  point: number | null;
  /** 0..1 of the current run. */
  fraction: number;
  steps: number;
  simTimeNs: number;
  runId: string | null;
  /** Cheap live counters of the run in flight (the interim metrics). */
  counters: Record<string, number>;
  /** The run's series so far (timed mode; shared arrays that keep growing: copy what you keep). */
  series: readonly Series[];
  /** The violations the run has recorded so far (a shared, growing list). */
  violations: readonly Violation[];
}

export interface RunHooks {
  onProgress?: (p: RunProgress) => void;
  /** Called with each finished run (and the vmallocThreads of its sweep point, or null). */
  onRun?: (r: RunResult, point: number | null) => void;
  signal?: AbortSignal;
}

export class LabService {
  readonly db: LabDb | null;
  readonly version: string;
  private readonly sliceMs: number;
  private readonly chunkSteps: number;
  private readonly workerBatch: number | undefined;
  private readonly poolSize: number;
  private readonly poolUrl: URL | undefined;

  constructor(opts: LabServiceOptions = {}) {
    this.db = opts.db ?? null;
    this.version = opts.version ?? VERSION;
    this.sliceMs = opts.slicing?.sliceMs ?? SLICE_MS;
    this.chunkSteps = Math.max(1, Math.floor(opts.slicing?.chunkSteps ?? CHUNK_STEPS));
    this.workerBatch = opts.slicing?.workerBatch;
    this.poolSize = Math.max(1, Math.floor(opts.pool?.size ?? defaultPoolSize()));
    this.poolUrl = opts.pool?.url;
  }

  async run(req: RunRequest, hooks: RunHooks = {}): Promise<ResultsDocument> {
    const { doc, scenario } = resolveScenario(req.scenario, req.sets ?? []);
    const strategies = resolveStrategies(req.strategies);
    return this.runResolved({ ...req, doc, scenario, strategies, sets: req.sets ?? [] }, hooks);
  }

  /** The runs of every strategy (× sweep point) × seed, one after another; saved as they go when saving. */
  async runResolved(req: ResolvedRunRequest, hooks: RunHooks = {}): Promise<ResultsDocument> {
    const { doc, scenario, strategies } = req;
    const first = req.seed ?? 1;
    const count = req.seeds ?? 1;
    if (!Number.isInteger(first) || first < 0) throw new InputError('--seed: expected a non-negative integer');
    if (!Number.isInteger(count) || count < 1) throw new InputError('--seeds: expected a positive integer');
    const points = scenario.sweep ? scenario.sweep.vmallocThreads : [scenario.vmallocThreads ?? null];
    const save = (req.save ?? true) && this.db !== null;
    let runs: RunResult[] = [];
    const total = strategies.length * count * points.length;
    let index = 0;
    if (total > 1 && this.poolSize > 1) runs = await this.runPooled(req, points, first, count, save, hooks);
    else for (const point of points) {
      const sc = point === null ? scenario : { ...scenario, vmallocThreads: point };
      const config = point === null ? doc : { ...(doc as object), vmallocThreads: point };
      for (const strategy of strategies) {
        for (let seed = first; seed < first + count; seed++) {
          if (hooks.signal?.aborted) break;
          const sweepPoint = scenario.sweep ? point : null;
          const r = await this.runOne(sc, config, strategy, req, seed, save, index, total, sweepPoint, hooks);
          runs.push(r);
          hooks.onRun?.(r, sweepPoint);
          index++;
        }
      }
    }
    const summary = summarize(runs);
    if (req.mode === 'pct') {
      const depth = req.pctDepth ?? 2;
      summary.pct = strategies.map((strategy) => {
        const k = estimateSteps(scenario, strategy);
        const actors = resolvedActors(scenario).reduce((n, a) => n + (a.kind === 'vmalloc' ? a.count : 1), 0);
        const p = PctScheduler.probabilityBound(actors, k, depth);
        const n = runs.filter((r) => r.strategy === strategy.id).length;
        return { depth, actors, k, runs: n, perRunBound: p, boundOverRuns: 1 - (1 - p) ** n };
      });
    }
    return { schema: 'ptlab.results/1', version: this.version, runs, summary };
  }

  /**
   * The runs of runResolved on the simulator pool. Hooks and the database
   * see them as a sequential run shows them: run i's progress only once runs
   * before it are finished (until then its latest state is kept), its row
   * created when it becomes the current run, and its results written and
   * reported in order. A cancelled request reports the runs up to the first
   * one cancelled.
   */
  private async runPooled(req: ResolvedRunRequest, points: readonly (number | null)[], first: number, count: number, save: boolean, hooks: RunHooks): Promise<RunResult[]> {
    const { doc, scenario, strategies } = req;
    const db = save ? this.db : null;
    interface Slot {
      task: SimTask;
      config: unknown;
      point: number | null;
      seed: number;
      strategy: Strategy;
      runId: string | null;
      series: Series[];
      violations: Violation[];
      last: SimWorkerProgress | null;
      done: PooledRun | null;
    }
    const slots: Slot[] = [];
    for (const point of points) {
      const sc = point === null ? scenario : { ...scenario, vmallocThreads: point };
      const config = point === null ? doc : { ...(doc as object), vmallocThreads: point };
      for (const strategy of strategies) {
        for (let seed = first; seed < first + count; seed++) {
          slots.push({ task: { scenario: sc, strategy, mode: req.mode, seed, pctDepth: req.pctDepth }, config, point: scenario.sweep ? point : null, seed, strategy, runId: null, series: [], violations: [], last: null, done: null });
        }
      }
    }
    const runs: RunResult[] = [];
    let head = 0;
    let stopped = false;
    const t0 = performance.now();
    let lastCheckpoint = -Infinity;
    // The current run's interim metrics, as a sequential run writes them (what a killed process leaves behind).
    const checkpoint = (s: Slot): void => {
      if (!db || !s.runId || !s.last || performance.now() - lastCheckpoint <= CHECKPOINT_MS) return;
      db.appendMetrics(s.runId, { ...s.last.counters, 'wall.ms': Math.round(performance.now() - t0) });
      lastCheckpoint = performance.now();
    };
    const progress = (i: number, fraction: number): RunProgress => {
      const s = slots[i];
      return {
        runIndex: i,
        runCount: slots.length,
        strategy: s.strategy.id,
        seed: s.seed,
        point: s.point,
        fraction,
        steps: s.last?.steps ?? 0,
        simTimeNs: s.last?.simTimeNs ?? 0,
        runId: s.runId,
        counters: s.last?.counters ?? {},
        series: s.series,
        violations: s.violations,
      };
    };
    const promote = (i: number): void => {
      const s = slots[i];
      if (db) {
        s.runId = db.createRun({ scenario: s.task.scenario.name, strategy: s.strategy.id, mode: req.mode, seed: s.seed, version: this.version, config: s.config, experimentId: req.experimentId ?? null, strategyKnobs: s.strategy.knobs, sets: req.sets ?? [], scenarioFile: req.scenarioFile ?? null });
        if (req.tags?.length) db.batch(() => req.tags!.forEach((t) => db.addTag(s.runId!, t)));
      }
      if (s.last) {
        checkpoint(s);
        hooks.onProgress?.(progress(i, s.last.fraction));
      }
    };
    // Report finished runs from the head on, in order.
    const drain = (): void => {
      while (!stopped && head < slots.length && slots[head].done) {
        const s = slots[head];
        const out = s.done!;
        const status: RunResult['status'] = out.cancelled ? 'cancelled' : 'completed';
        hooks.onProgress?.(progress(head, 1));
        const result = out.result;
        result.metrics['wall.ms'] = Math.round(out.wallMs);
        result.config = s.config;
        if (db && s.runId) saveFinishedRun(db, s.runId, result, status);
        runs.push(result);
        hooks.onRun?.(result, s.point);
        head++;
        if (out.cancelled) stopped = true;
        else if (head < slots.length) promote(head);
      }
    };
    promote(0);
    try {
      await runPooled(
        slots.map((s) => s.task),
        {
          size: this.poolSize,
          chunkSteps: this.chunkSteps,
          progressMs: hooks.onProgress || db ? 100 : 0,
          url: this.poolUrl,
          signal: hooks.signal,
          onProgress: (i, p) => {
            const s = slots[i];
            p.series.forEach((d, k) => {
              const ser = (s.series[k] ??= { name: d.name, unit: d.unit, x: [], y: [] });
              for (let j = 0; j < d.x.length; j++) {
                ser.x.push(d.x[j]);
                ser.y.push(d.y[j]);
              }
            });
            for (const v of p.violations) s.violations.push(v);
            s.last = p;
            if (i !== head) return;
            checkpoint(s);
            hooks.onProgress?.(progress(i, p.fraction));
          },
          onDone: (i, out) => {
            slots[i].done = out;
            drain();
          },
        },
      );
    } catch (e) {
      const s = slots[head];
      if (db && s?.runId) db.finishRun(s.runId, { status: 'failed', wallMs: 0, error: (e as Error).message });
      throw e;
    }
    // Cancelled before the current run started: a sequential run would not have created its row.
    if (!stopped && head < slots.length && slots[head].runId && db) db.deleteRuns([slots[head].runId!]);
    return runs;
  }

  private async runOne(
    scenario: Scenario,
    config: unknown,
    strategy: Strategy,
    req: ResolvedRunRequest,
    seed: number,
    save: boolean,
    runIndex: number,
    runCount: number,
    point: number | null,
    hooks: RunHooks,
  ): Promise<RunResult> {
    const t0 = performance.now();
    const useWorker = (req.useWorker ?? req.mode === 'timed') && scenario.actors.some((a) => a.kind === 'vmalloc');
    let source: WorkerOpSource | null = null;
    if (useWorker) {
      const threads = resolvedActors(scenario).flatMap((a) => (a.kind === 'vmalloc' ? Array.from({ length: a.count }, () => ({ profile: a.profile, fixPages: a.pages })) : []));
      source = new WorkerOpSource({ seed, pageSize: scenario.arch.pageSize, threads, batch: this.workerBatch });
      await source.refill();
    }
    const handle = startRun(scenario, strategy, { mode: req.mode, seed, pctDepth: req.pctDepth, opSource: source ?? undefined, series: req.mode === 'timed' });
    const sim = handle.sim;
    const db = save ? this.db : null;
    const runId = db
      ? db.createRun({ scenario: scenario.name, strategy: strategy.id, mode: req.mode, seed, version: this.version, config, experimentId: req.experimentId ?? null, strategyKnobs: strategy.knobs, sets: req.sets ?? [], scenarioFile: req.scenarioFile ?? null })
      : null;
    if (db && runId && req.tags?.length) db.batch(() => req.tags!.forEach((t) => db.addTag(runId, t)));
    const progress = (fraction: number): RunProgress => ({
      runIndex,
      runCount,
      strategy: strategy.id,
      seed,
      point,
      fraction,
      steps: sim.steps,
      simTimeNs: sim.now,
      runId,
      counters: interimMetrics(sim),
      series: handle.series,
      violations: sim.checker.violations,
    });
    let lastCheckpoint = performance.now();
    let status: RunResult['status'] = 'completed';
    try {
      for (;;) {
        const sliceEnd = performance.now() + this.sliceMs;
        let done = false;
        do {
          done = handle.advance(sim.steps + this.chunkSteps);
        } while (!done && performance.now() < sliceEnd && !(source && source.starved()));
        if (done) break;
        if (source && source.starved()) await source.refill();
        else source?.prefetch();
        if (db && runId && performance.now() - lastCheckpoint > CHECKPOINT_MS) {
          db.appendMetrics(runId, { ...interimMetrics(sim), 'wall.ms': Math.round(performance.now() - t0) });
          lastCheckpoint = performance.now();
        }
        hooks.onProgress?.(progress(progressOf(sim.now, sim.steps, scenario, req.mode)));
        await yieldToLoop();
        if (hooks.signal?.aborted) {
          status = 'cancelled';
          break;
        }
      }
    } catch (e) {
      if (db && runId) db.finishRun(runId, { status: 'failed', wallMs: Math.round(performance.now() - t0), error: (e as Error).message });
      throw e;
    } finally {
      await source?.close();
    }
    hooks.onProgress?.(progress(1));
    const result = handle.result(status);
    result.metrics['wall.ms'] = Math.round(performance.now() - t0);
    result.config = config;
    if (db && runId) saveFinishedRun(db, runId, result, status);
    return result;
  }

  listRuns(filter: RunFilter): RunListRow[] {
    return this.requireDb().listRuns(filter);
  }

  getRun(id: string): StoredRun {
    const db = this.requireDb();
    const full = db.resolveRunId(id);
    const r = db.getRun(full);
    if (!r) throw new InputError(`no run ${id}`);
    return r;
  }

  deleteRuns(ids: string[]): number {
    const db = this.requireDb();
    return db.deleteRuns(ids.map((id) => db.resolveRunId(id)));
  }

  importResults(doc: unknown): string[] {
    return this.requireDb().importResults(doc);
  }

  exportRuns(ids: string[], format: 'html' | 'csv' | 'json', opts: { baselineId?: string; title?: string } = {}): string {
    const runs = ids.map((id) => this.getRun(id));
    if (format === 'csv') return renderCsv(runs);
    if (format === 'json') return renderJson(runs, this.version);
    const baselineId = opts.baselineId ? this.requireDb().resolveRunId(opts.baselineId) : undefined;
    return renderHtmlReport(runs, { title: opts.title, baselineId, version: this.version });
  }

  private requireDb(): LabDb {
    if (!this.db) throw new InputError('no database is open (this command needs one; see --db)');
    return this.db;
  }
}

/** What a finished run adds to its row (started as the run began) in one transaction: metrics, violations, series, the final status. */
function saveFinishedRun(db: LabDb, runId: string, result: RunResult, status: FinalRunStatus): void {
  db.batch(() => {
    db.appendMetrics(runId, result.metrics);
    db.addViolations(runId, result.violations);
    db.setViolationCounts(runId, result.violationCounts);
    for (const series of result.series ?? []) db.appendSeries(runId, series);
    db.finishRun(runId, { status, wallMs: result.metrics['wall.ms'], schedule: result.schedule });
  });
  result.id = runId;
}
