/**
 * `Lab`: the lab API (api.ts) over the lab service and the database — the one
 * object the desktop app, web mode and (later) the CLI drive. It owns the
 * jobs of this session (run batches and explores: their lanes, progress,
 * ETA, cancel) and the events they report, the session's undo tokens for
 * deletes, and the mapping of API requests onto core, the service and LabDb.
 *
 * Events: `job-progress` at most every 100 ms per job (with the live series
 * points gathered since the last one), violations as soon as the run in
 * flight records them, `job-run` per finished run, `job-explore` per finished
 * search, then `job-finished` (after `job-failed` when the job failed).
 * It never imports electron; transports check arguments (args.ts) first.
 */
import { decimateSeries } from '../../core/decimate.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ExploreResult } from '../../core/explore/index.ts';
import { PRESETS } from '../../core/presets.ts';
import type { ResultsDocument, RunResult, Series, TraceStep, Violation, ViolationKind } from '../../core/results.ts';
import { runScenario, scenarioNotesOf } from '../../core/run/runner.ts';
import { parseScenario, SCENARIO_SCHEMA, ScenarioError, type Scenario } from '../../core/scenario.ts';
import { checkValue, firstIssue, SchemaError } from '../../core/schema/check.ts';
import { ExperimentDocSchema } from '../../core/schema/experiment.ts';
import { toJsonSchema } from '../../core/schema/index.ts';
import { ResultsDocumentSchema } from '../../core/schema/results.ts';
import { StrategyDefSchema } from '../../core/schema/strategy.ts';
import { TraceDocumentSchema } from '../../core/schema/trace.ts';
import { defineStrategy, knobChoices, type Strategy, STRATEGIES } from '../../core/strategies.ts';
import { VERSION } from '../../core/run/runner.ts';
import { DbError, type LabDb, type StoredRun } from '../../db/index.ts';
import { csvChunks, htmlReportChunks, renderCsv, renderHtmlReport, renderJson, summarize, writeResultsJson } from '../report/index.ts';
import type {
  AppInfo,
  ExperimentDoc,
  ExportedFile,
  ExportFormat,
  ExportRequest,
  GetRunOptions,
  ExploreRequest,
  FieldError,
  JobInfo,
  JobKind,
  JobLane,
  LabClient,
  LabEvent,
  LayoutMap,
  ListRequest,
  MachineState,
  PresetInfo,
  ReplayRequest,
  ReplayResult,
  RunPage,
  RunRequest,
  RunSummary,
  SafetyRequest,
  SafetyVerdict,
  SaveFileRequest,
  SavedExperiment,
  ScenarioRef,
  Schemas,
  SeriesRequest,
  SeriesSlice,
  StrategyCatalog,
  StrategyInfo,
  TraceInfo,
  TraceSource,
  Validation,
} from './api.ts';
import { runExploreInWorker } from './explore-runner.ts';
import { layoutMapOf } from './layout-map.ts';
import { defineVariant, isBuiltinStrategy, resolveScenarioRef, resolveStrategyRefs, strategyFromRecord } from './refs.ts';
import { asInputError, InputError } from './resolve.ts';
import { type PdfPrinter, printWithChromium } from './pdf.ts';
import { LabService, type RunProgress } from './service.ts';
import { Safety, SAFETY_TAG, startSafetyJob } from './safety.ts';
import { traceFile } from './trace-export.ts';
import { TraceStore } from './traces.ts';

/** Progress events per job are at most this often. */
const PROGRESS_EVERY_MS = 100;
/** Finished jobs kept for `jobs()`. */
const KEEP_FINISHED_JOBS = 50;
/** Saved experiment documents live among the saved scenarios under this prefix and the experiment's id. */
const EXPERIMENT_DOC_PREFIX = 'ptlab.experiment/';
const BASELINE_SETTING = 'baseline';

export interface LabOptions {
  db: LabDb | null;
  transport: AppInfo['transport'];
  version?: string;
  /** Keep deleted runs in memory for undoDelete (default true; the CLI, which cannot undo, saves the copies). */
  undo?: boolean;
  /** Prints the HTML report to PDF (default: a headless Chromium; the desktop app passes Electron's printToPDF). */
  pdf?: PdfPrinter;
  /** Hands an exported file to the user: the desktop app's save dialog (returns the path, or null when cancelled). Web mode has none: the browser downloads. */
  saveFile?: (file: ExportedFile) => Promise<string | null>;
}

/**
 * What only an in-process caller (the CLI) adds to a run or explore request:
 * where its scenario document came from, saved as the runs' provenance. A
 * transport never carries it (its arguments are only the API's).
 */
export interface LocalRequestOptions {
  scenarioFile?: string | null;
}

/** How a job ended, for an in-process caller that waits for it (Lab.finished). */
export interface JobOutcome {
  job: JobInfo;
  results: ResultsDocument | null;
}

interface LaneState {
  lane: JobLane;
  /** Wall time (ms) spent in finished runs of this lane. */
  doneMs: number;
  /** When the run in flight started (performance.now), or null. */
  runStartedAt: number | null;
  runFraction: number;
  /** The run in flight: its key, and what of its series and violations was already sent. */
  runKey: string | null;
  seriesSent: number[];
  violationsSent: number;
}

interface Job {
  info: JobInfo;
  abort: AbortController;
  lanes: Map<string, LaneState>;
  lastProgressAt: number;
  timer: NodeJS.Timeout | null;
  pendingSeries: Extract<LabEvent, { type: 'job-series' }>[];
  /** Explore lanes: recent (time, schedules) samples for the rate. */
  rateSamples: Map<string, { t: number; schedules: number }[]>;
  /** Settles when the job has finished: its outcome, or the error that failed it (as thrown, for the CLI's exit codes). */
  outcome: Promise<JobOutcome> | null;
}

function laneKey(strategy: string, point: number | null): string {
  return point === null ? strategy : `${strategy}@${point}`;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function runSummary(r: RunResult): RunSummary {
  return { id: r.id, scenario: r.scenario, strategy: r.strategy, mode: r.mode, seed: r.seed, status: r.status, violationCounts: { ...r.violationCounts }, metrics: { ...r.metrics } };
}

function copyLane(l: JobLane): JobLane {
  return {
    ...l,
    counters: { ...l.counters },
    kinds: { ...l.kinds },
    runIds: [...l.runIds],
    ...(l.explore ? { explore: { ...l.explore } } : {}),
  };
}

function copyJob(j: JobInfo): JobInfo {
  return { ...j, lanes: j.lanes.map(copyLane) };
}

function fieldErrors(e: unknown): FieldError[] {
  if (e instanceof SchemaError) return [{ path: e.path, message: e.detail }];
  const message = e instanceof Error ? e.message : String(e);
  const i = message.indexOf(': ');
  return i > 0 && !message.slice(0, i).includes(' ') ? [{ path: message.slice(0, i), message: message.slice(i + 2) }] : [{ path: '', message }];
}

export class Lab implements LabClient {
  readonly version: string;
  readonly transport: AppInfo['transport'];
  private readonly db: LabDb | null;
  private readonly service: LabService;
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly jobMap = new Map<string, Job>();
  private readonly undo = new Map<string, StoredRun[]>();
  /** Jobs in flight, so that close() can wait for them to save what they have. */
  private readonly running = new Set<Promise<unknown>>();

  private readonly keepUndo: boolean;
  private readonly pdf: PdfPrinter;
  private readonly saver: LabOptions['saveFile'];

  constructor(opts: LabOptions) {
    this.db = opts.db;
    this.transport = opts.transport;
    this.version = opts.version ?? VERSION;
    this.service = new LabService({ db: opts.db, version: this.version });
    this.keepUndo = opts.undo ?? true;
    this.pdf = opts.pdf ?? ((html) => printWithChromium(html));
    this.saver = opts.saveFile;
  }

  // ---- events ----------------------------------------------------------------------------

  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(e: LabEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A transport's failure to deliver must not stop the job or the other listeners.
      }
    }
  }

  /** Cancels every job and waits until each has saved what it has. */
  async close(): Promise<void> {
    for (const job of this.jobMap.values()) if (job.info.state === 'running') job.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  // ---- catalog ---------------------------------------------------------------------------

  async appInfo(): Promise<AppInfo> {
    return { version: this.version, dbPath: this.db ? this.db.file : null, transport: this.transport };
  }

  async presets(): Promise<PresetInfo[]> {
    return PRESETS.map((p) => ({ name: p.name, summary: p.summary, description: typeof p.doc.description === 'string' ? p.doc.description : '', doc: structuredClone(p.doc) }));
  }

  async strategies(): Promise<StrategyCatalog> {
    const builtin: StrategyInfo[] = STRATEGIES.map((s) => ({ id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs }, builtin: true }));
    const saved: StrategyInfo[] = [];
    for (const d of this.db?.listStrategies() ?? []) {
      try {
        const s = defineVariant(d.json, `saved strategy '${d.name}'`);
        saved.push({ id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs }, builtin: false });
      } catch {
        // A saved variant that no longer validates (a knob was removed) is left out rather than breaking the catalog.
      }
    }
    return { strategies: [...builtin, ...saved], knobs: knobChoices() };
  }

  async schemas(): Promise<Schemas> {
    return {
      scenario: structuredClone(SCENARIO_SCHEMA) as unknown as Record<string, unknown>,
      strategy: toJsonSchema(StrategyDefSchema),
      results: toJsonSchema(ResultsDocumentSchema),
      trace: toJsonSchema(TraceDocumentSchema),
      experiment: toJsonSchema(ExperimentDocSchema),
    };
  }

  async validateScenario(doc: unknown): Promise<Validation> {
    try {
      parseScenario(doc);
      return { ok: true, errors: [] };
    } catch (e) {
      if (e instanceof ScenarioError) return { ok: false, errors: fieldErrors(e) };
      throw e;
    }
  }

  async validateStrategy(def: unknown): Promise<Validation> {
    const issue = firstIssue(StrategyDefSchema, def);
    if (issue) return { ok: false, errors: [{ path: issue.path === '' ? 'strategy' : `strategy.${issue.path}`, message: issue.message }] };
    try {
      defineVariant(def, 'strategy');
      return { ok: true, errors: [] };
    } catch (e) {
      if (e instanceof InputError) return { ok: false, errors: fieldErrors(e) };
      throw e;
    }
  }

  async layoutMap(scenario: ScenarioRef, sets: string[] = []): Promise<LayoutMap> {
    const sc = resolveScenarioRef(scenario, sets).scenario;
    return { ...layoutMapOf(sc), scenario: sc.name, notes: scenarioNotesOf(sc) };
  }

  // ---- jobs ------------------------------------------------------------------------------

  async jobs(): Promise<JobInfo[]> {
    return [...this.jobMap.values()].map((j) => copyJob(j.info));
  }

  async cancelJob(jobId: string): Promise<boolean> {
    const job = this.jobMap.get(jobId);
    if (!job) throw new InputError(`no job ${jobId} in this session`);
    if (job.info.state !== 'running') return false;
    job.abort.abort();
    return true;
  }

  private savedStrategy = (id: string): unknown | null => this.db?.getStrategy(id)?.json ?? null;

  /** The session's open traces (part 2). */
  private readonly traces = new TraceStore({ getRun: (id) => this.getRun(id), savedStrategy: this.savedStrategy });

  private checkExperiment(id: number | undefined): void {
    if (id === undefined) return;
    const db = this.requireDb();
    if (!db.listExperiments().some((e) => e.id === id)) throw new InputError(`experimentId: no experiment ${id}`);
  }

  private newJob(kind: JobKind, title: string, lanes: JobLane[]): Job {
    const info: JobInfo = { jobId: randomUUID(), kind, state: 'running', title, startedAt: new Date().toISOString(), lanes };
    const job: Job = {
      info,
      abort: new AbortController(),
      lanes: new Map(lanes.map((lane) => [lane.key, { lane, doneMs: 0, runStartedAt: null, runFraction: 0, runKey: null, seriesSent: [], violationsSent: 0 }])),
      lastProgressAt: -Infinity,
      timer: null,
      pendingSeries: [],
      rateSamples: new Map(),
      outcome: null,
    };
    this.jobMap.set(info.jobId, job);
    const finished = [...this.jobMap.values()].filter((j) => j.info.state !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED_JOBS))) this.jobMap.delete(j.info.jobId);
    return job;
  }

  private track(job: Job, work: () => Promise<ResultsDocument | null>): void {
    this.emit({ type: 'job-started', jobId: job.info.jobId, job: copyJob(job.info) });
    let failure: { error: unknown } | null = null;
    const p = (async () => {
      let results: ResultsDocument | null = null;
      try {
        results = await work();
        job.info.state = job.abort.signal.aborted ? 'cancelled' : 'completed';
      } catch (e) {
        failure = { error: e };
        job.info.state = 'failed';
        this.flushProgress(job);
        this.emit({ type: 'job-failed', jobId: job.info.jobId, message: oneLine(e instanceof Error ? e.message : String(e)) });
      }
      this.flushProgress(job);
      this.emit({ type: 'job-finished', jobId: job.info.jobId, job: copyJob(job.info), results });
      return results;
    })();
    job.outcome = p.then((results) => {
      if (failure) throw failure.error;
      return { job: copyJob(job.info), results };
    });
    // Nobody may wait for the outcome (the app listens to events instead): a failure is reported there, not unhandled.
    job.outcome.catch(() => {});
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /**
   * In process only (the CLI): waits until a job of this session has
   * finished and returns its outcome; a job that failed rejects with the
   * error that failed it, as thrown (so bad input stays bad input).
   */
  async finished(jobId: string): Promise<JobOutcome> {
    const job = this.jobMap.get(jobId);
    if (!job || !job.outcome) throw new InputError(`no job ${jobId} in this session`);
    return job.outcome;
  }

  /** Sends progress now if the last was ≥100 ms ago, else once that time has passed. */
  private progress(job: Job): void {
    const wait = job.lastProgressAt + PROGRESS_EVERY_MS - performance.now();
    if (wait <= 0) this.flushProgress(job);
    else job.timer ??= setTimeout(() => this.flushProgress(job), wait);
  }

  private flushProgress(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = null;
    job.lastProgressAt = performance.now();
    const series = job.pendingSeries;
    job.pendingSeries = [];
    for (const e of series) this.emit(e);
    for (const s of job.lanes.values()) s.lane.etaMs = this.eta(job, s);
    this.emit({ type: 'job-progress', jobId: job.info.jobId, lanes: job.info.lanes.map(copyLane) });
  }

  /** ETA of a lane from its own pace, or before it has one from the other lanes' mean time per run. */
  private eta(job: Job, s: LaneState): number | null {
    const l = s.lane;
    if (l.done >= l.runs) return 0;
    if (job.info.state !== 'running') return null;
    const inFlight = s.runStartedAt === null ? 0 : performance.now() - s.runStartedAt;
    const progressRuns = l.done + s.runFraction;
    if (progressRuns > 0.02 && s.doneMs + inFlight > 0) return Math.round(((s.doneMs + inFlight) / progressRuns) * (l.runs - progressRuns));
    let ms = 0;
    let runs = 0;
    for (const o of job.lanes.values()) {
      ms += o.doneMs;
      runs += o.lane.done;
    }
    return runs > 0 ? Math.round((ms / runs) * (l.runs - progressRuns)) : null;
  }

  async startRun(req: RunRequest, local: LocalRequestOptions = {}): Promise<JobInfo> {
    const { doc, scenario } = resolveScenarioRef(req.scenario, req.sets ?? []);
    const strategies = resolveStrategyRefs(req.strategies, this.savedStrategy, 'strategies');
    this.checkExperiment(req.experimentId);
    const save = (req.save ?? true) && this.db !== null;
    if (req.save && !this.db) throw new InputError('save: no database is open');
    const seed = req.seed ?? 1;
    const seeds = req.seeds ?? 1;
    const points = scenario.sweep ? scenario.sweep.vmallocThreads : [null];
    const lanes: JobLane[] = points.flatMap((point) =>
      strategies.map((s) => ({ key: laneKey(s.id, point), strategy: s.id, point, runs: seeds, done: 0, fraction: 0, etaMs: null, counters: {}, kinds: {}, runIds: [] })),
    );
    const title = `${scenario.name}: ${strategies.map((s) => s.id).join(', ')} · ${req.mode} · ${seeds === 1 ? `seed ${seed}` : `seeds ${seed}..${seed + seeds - 1}`}${scenario.sweep ? ` · ${points.length} sweep points` : ''}`;
    const job = this.newJob('run', title, lanes);
    this.track(job, () =>
      this.service.runResolved(
        {
          doc,
          scenario,
          strategies,
          mode: req.mode,
          seed,
          seeds,
          pctDepth: req.pctDepth,
          save,
          tags: req.tags,
          experimentId: req.experimentId ?? null,
          useWorker: req.useWorker,
          sets: req.sets ?? [],
          scenarioFile: local.scenarioFile ?? null,
        },
        {
          signal: job.abort.signal,
          onProgress: (p) => this.onRunProgress(job, p),
          onRun: (r, point) => this.onRunFinished(job, r, point),
        },
      ),
    );
    return copyJob(job.info);
  }

  private onRunProgress(job: Job, p: RunProgress, lane: string = laneKey(p.strategy, p.point)): void {
    const s = job.lanes.get(lane);
    if (!s) return;
    const runKey = `${p.seed}`;
    if (s.runKey !== runKey) {
      s.runKey = runKey;
      s.runStartedAt = performance.now();
      s.seriesSent = p.series.map(() => 0);
      s.violationsSent = 0;
    }
    s.runFraction = p.fraction;
    s.lane.fraction = Math.min(1, (s.lane.done + p.fraction) / s.lane.runs);
    s.lane.counters = { ...p.counters, seed: p.seed };
    this.sendViolations(job, s, p.violations, p.runId, p.seed);
    p.series.forEach((ser: Series, i) => {
      const from = s.seriesSent[i] ?? 0;
      if (ser.x.length <= from) return;
      job.pendingSeries.push({ type: 'job-series', jobId: job.info.jobId, lane: s.lane.key, runId: p.runId, name: ser.name, unit: ser.unit, x: ser.x.slice(from), y: ser.y.slice(from) });
      s.seriesSent[i] = ser.x.length;
    });
    this.progress(job);
  }

  private sendViolations(job: Job, s: LaneState, violations: readonly Violation[], runId: string | null, seed: number): void {
    for (; s.violationsSent < violations.length; s.violationsSent++) {
      this.emit({ type: 'job-violation', jobId: job.info.jobId, lane: s.lane.key, runId, seed, violation: violations[s.violationsSent] });
    }
  }

  private onRunFinished(job: Job, r: RunResult, point: number | null, lane: string = laneKey(r.strategy, point)): void {
    const s = job.lanes.get(lane);
    if (!s) return;
    if (s.runKey !== `${r.seed}`) {
      s.runKey = `${r.seed}`;
      s.violationsSent = 0;
    }
    this.sendViolations(job, s, r.violations, r.id, r.seed);
    s.doneMs += r.metrics['wall.ms'] ?? (s.runStartedAt === null ? 0 : performance.now() - s.runStartedAt);
    s.runStartedAt = null;
    s.runFraction = 0;
    s.runKey = null;
    s.lane.done++;
    s.lane.fraction = s.lane.done / s.lane.runs;
    if (r.id) s.lane.runIds.push(r.id);
    for (const [k, n] of Object.entries(r.violationCounts)) if (n && n > 0) s.lane.kinds[k as ViolationKind] = (s.lane.kinds[k as ViolationKind] ?? 0) + 1;
    this.emit({ type: 'job-run', jobId: job.info.jobId, lane: s.lane.key, run: runSummary(r) });
    this.progress(job);
  }

  async startExplore(req: ExploreRequest, local: LocalRequestOptions = {}): Promise<JobInfo> {
    const { doc, scenario } = resolveScenarioRef(req.scenario, req.sets ?? []);
    const strategies = resolveStrategyRefs(req.strategies, this.savedStrategy, 'strategies');
    this.checkExperiment(req.experimentId);
    const save = (req.save ?? true) && this.db !== null;
    if (req.save && !this.db) throw new InputError('save: no database is open');
    const points = scenario.sweep ? scenario.sweep.vmallocThreads : [null];
    const lanes: JobLane[] = points.flatMap((point) =>
      strategies.map((s) => ({
        key: laneKey(s.id, point),
        strategy: s.id,
        point,
        runs: 1,
        done: 0,
        fraction: 0,
        etaMs: null,
        counters: {},
        kinds: {},
        runIds: [],
        explore: { schedules: 0, states: 0, steps: 0, elapsedMs: 0, rate: 0, round: 0 },
      })),
    );
    const bounds = [req.maxSchedules !== undefined ? `≤ ${req.maxSchedules} schedules` : '', req.timeLimitS !== undefined ? `≤ ${req.timeLimitS} s` : '', req.preemptionBound != null ? `≤ ${req.preemptionBound} preemptions` : '']
      .filter(Boolean)
      .join(', ');
    const job = this.newJob('explore', `explore ${scenario.name}: ${strategies.map((s) => s.id).join(', ')}${bounds ? ` (${bounds})` : ''}`, lanes);
    this.track(job, async () => {
      const runs: RunResult[] = [];
      for (const point of points) {
        const sc: Scenario = point === null ? scenario : { ...scenario, vmallocThreads: point };
        const config = point === null ? doc : { ...(doc as object), vmallocThreads: point };
        for (const strategy of strategies) {
          if (job.abort.signal.aborted) break;
          const r = await this.exploreLane(job, job.lanes.get(laneKey(strategy.id, point))!, sc, config, strategy, req, save, local.scenarioFile ?? null);
          if (r) runs.push(r);
        }
      }
      return { schema: 'ptlab.results/1', version: this.version, runs, summary: summarize(runs) };
    });
    return copyJob(job.info);
  }

  private async exploreLane(
    job: Job,
    s: LaneState,
    scenario: Scenario,
    config: unknown,
    strategy: Strategy,
    req: ExploreRequest,
    save: boolean,
    scenarioFile: string | null,
  ): Promise<RunResult | null> {
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    s.runStartedAt = t0;
    const samples: { t: number; schedules: number }[] = [];
    job.rateSamples.set(s.lane.key, samples);
    const seed = req.seed ?? 1;
    const outcome = await runExploreInWorker(
      {
        scenarioDoc: config,
        strategy,
        maxSchedules: req.maxSchedules,
        timeLimitMs: req.timeLimitS === undefined ? undefined : req.timeLimitS * 1000,
        preemptionBound: req.preemptionBound ?? null,
        seed,
        kinds: req.kinds,
        jobs: req.jobs,
      },
      {
        signal: job.abort.signal,
        onProgress: (p) => {
          const t = performance.now();
          samples.push({ t, schedules: p.schedules });
          while (samples.length > 2 && t - samples[0].t > 1000) samples.shift();
          const first = samples[0];
          const rate = t > first.t ? ((p.schedules - first.schedules) * 1000) / (t - first.t) : 0;
          s.lane.explore = { schedules: p.schedules, states: p.states, steps: p.steps, elapsedMs: Math.round(p.elapsedMs), rate: Math.round(rate), round: p.round };
          s.lane.counters = { schedules: p.schedules, states: p.states, steps: p.steps };
          if (req.maxSchedules !== undefined) s.runFraction = Math.min(1, p.schedules / req.maxSchedules);
          if (req.timeLimitS !== undefined) s.runFraction = Math.max(s.runFraction, Math.min(1, p.elapsedMs / (req.timeLimitS * 1000)));
          s.lane.fraction = s.runFraction;
          this.progress(job);
        },
      },
    );
    const wallMs = Math.round(performance.now() - t0);
    const result = outcome.result;
    const run = this.exploreRun(scenario, strategy, seed, config, result, outcome.cancelled, wallMs);
    if (save && this.db) {
      run.id = this.db.saveRunResult(run, {
        version: this.version,
        experimentId: req.experimentId ?? null,
        startedAt,
        wallMs,
        tags: req.tags,
        strategyKnobs: strategy.knobs,
        sets: req.sets ?? [],
        scenarioFile,
      });
    }
    s.doneMs += wallMs;
    s.runStartedAt = null;
    s.lane.done = 1;
    s.lane.fraction = 1;
    if (result) {
      s.lane.verdict = result.verdict;
      s.lane.explore = { ...(s.lane.explore ?? { rate: 0 }), schedules: result.schedules, states: result.states, steps: result.stats.steps, elapsedMs: Math.round(result.elapsedMs), round: result.stats.rounds, rate: s.lane.explore?.rate ?? 0 };
      s.lane.counters = { schedules: result.schedules, states: result.states, steps: result.stats.steps };
    }
    if (run.id) s.lane.runIds.push(run.id);
    for (const v of run.violations) {
      s.lane.kinds[v.kind] = 1;
      this.emit({ type: 'job-violation', jobId: job.info.jobId, lane: s.lane.key, runId: run.id, seed, violation: v });
    }
    // The document carries the scenario it searched (as `ptlab explore --json` does), so a client can replay it.
    if (result) {
      const withConfig: ExploreResult & { config: unknown } = { ...result, config };
      this.emit({ type: 'job-explore', jobId: job.info.jobId, lane: s.lane.key, result: withConfig, runId: run.id });
    }
    this.emit({ type: 'job-run', jobId: job.info.jobId, lane: s.lane.key, run: runSummary(run) });
    this.progress(job);
    return run;
  }

  /** An explore outcome as a run of mode 'explore': the counterexample is its violation, with trace and schedule. */
  private exploreRun(scenario: Scenario, strategy: Strategy, seed: number, config: unknown, r: ExploreResult | null, cancelled: boolean, wallMs: number): RunResult {
    const violations: Violation[] = [];
    if (r?.counterexample) {
      const cx = r.counterexample;
      const at = cx.trace.find((t) => t.step === cx.step) ?? cx.trace[cx.trace.length - 1];
      violations.push({ kind: cx.kind, step: cx.step, cpu: at?.cpu ?? 0, actor: cx.actor, function: cx.function, address: at?.address ?? '', message: cx.message, trace: cx.trace });
    }
    const metrics: Record<string, number> = { 'wall.ms': wallMs };
    if (r) {
      Object.assign(metrics, {
        'explore.schedules': r.schedules,
        'explore.states': r.states,
        'explore.steps': r.stats.steps,
        'explore.elapsed_ms': r.elapsedMs,
        'explore.complete': r.complete ? 1 : 0,
        'explore.safe': r.verdict === 'safe' ? 1 : 0,
        'explore.sleep_blocked': r.stats.sleepBlocked,
        'explore.rounds': r.stats.rounds,
        'explore.races': r.stats.races,
        'explore.max_events': r.stats.maxEvents,
      });
      if (r.bounds.maxSchedules !== null) metrics['explore.bound.max_schedules'] = r.bounds.maxSchedules;
      if (r.bounds.timeLimitS !== null) metrics['explore.bound.time_limit_s'] = r.bounds.timeLimitS;
      if (r.bounds.preemptionBound !== null) metrics['explore.bound.preemptions'] = r.bounds.preemptionBound;
    }
    const notes: string[] = [];
    if (r) notes.push(`explore verdict: ${r.verdict}${r.complete ? ' (complete)' : r.stats.cutBy.length ? ` (bounded by ${r.stats.cutBy.join(', ')})` : ''}`);
    if (cancelled) notes.push('cancelled before the search finished');
    return {
      id: null,
      scenario: scenario.name,
      strategy: strategy.id,
      mode: 'explore',
      seed,
      status: cancelled ? 'cancelled' : 'completed',
      violations,
      violationCounts: violations.length ? { [violations[0].kind]: 1 } : {},
      metrics,
      ...(r?.counterexample ? { schedule: r.counterexample.schedule } : {}),
      config,
      notes,
    };
  }

  async replay(req: ReplayRequest): Promise<ReplayResult> {
    let scenario: Scenario;
    let strategy: Strategy;
    let seed: number;
    let schedule: number[];
    let expect: ReplayResult['expect'];
    if ('runId' in req) {
      const run = await this.getRun(req.runId);
      if (!run.schedule || run.schedule.length === 0) {
        throw new InputError(`run ${req.runId} has no recorded schedule (timed runs replay from their seed: run it again with seed ${run.seed})`);
      }
      if (run.config === undefined) throw new InputError(`run ${req.runId} has no stored scenario document`);
      try {
        scenario = parseScenario(run.config);
      } catch (e) {
        throw new InputError(`run ${req.runId}: its stored scenario no longer validates: ${(e as Error).message}`);
      }
      // The knobs the run recorded (a variant from a file is neither built in nor saved).
      strategy = strategyFromRecord(run.strategy, run.strategyKnobs, this.savedStrategy);
      const i = req.violation ?? 0;
      if (req.violation !== undefined && i >= run.violations.length) throw new InputError(`violation: run ${req.runId} has ${run.violations.length} recorded violation(s)`);
      const v = run.violations[i];
      expect = v ? { kind: v.kind, step: v.step } : null;
      seed = run.seed;
      schedule = run.schedule;
    } else {
      const t = checkTrace(req.trace);
      try {
        scenario = parseScenario(t.scenario);
      } catch (e) {
        if (e instanceof ScenarioError) throw new InputError(`trace.${e.message}`);
        throw e;
      }
      strategy = traceStrategy(t.strategy, this.savedStrategy);
      seed = t.seed;
      schedule = t.schedule;
      expect = t.expect;
    }
    const o = runScenario(scenario, strategy, { mode: 'replay', seed, schedule });
    const r = o.result;
    const v = expect ? r.violations.find((x) => x.kind === expect.kind) : undefined;
    const reproduced = expect ? v !== undefined && v.step === expect.step && !o.diverged : r.violations.length === 0 && !o.diverged;
    let summary: string;
    if (reproduced) summary = expect ? `reproduced: ${expect.kind} at step ${expect.step}` : 'reproduced: no violation, as recorded';
    else if (o.diverged) summary = `diverged: the recorded schedule (${schedule.length} choices) no longer fits the model`;
    else if (expect) summary = `not reproduced: expected ${expect.kind} at step ${expect.step}, got ${v ? `it at step ${v.step}` : r.violations.map((x) => `${x.kind}@${x.step}`).join(', ') || 'no violation'}`;
    else summary = `not reproduced: expected no violation, got ${r.violations.map((x) => x.kind).join(', ')}`;
    return { schema: 'ptlab.replay/1', reproduced, diverged: o.diverged, expect, summary, run: r };
  }

  // ---- history ---------------------------------------------------------------------------

  private requireDb(): LabDb {
    if (!this.db) throw new InputError('no database is open');
    return this.db;
  }

  private fullId(id: string): string {
    try {
      return this.requireDb().resolveRunId(id);
    } catch (e) {
      if (e instanceof DbError && e.code === 'not-found') throw new InputError(`no run ${id}`);
      throw e;
    }
  }

  async listRuns(req: ListRequest): Promise<RunPage> {
    const db = this.requireDb();
    const { sort = 'startedAt', descending = true, limit, offset = 0, ...filter } = req;
    return { rows: db.listRuns({ ...filter, limit, offset }, { sort, descending }), total: db.countRuns(filter) };
  }

  async getRun(id: string, opts: GetRunOptions = {}): Promise<StoredRun> {
    const db = this.requireDb();
    const run = db.getRun(this.fullId(id), opts);
    if (!run) throw new InputError(`no run ${id}`);
    return run;
  }

  async deleteRuns(ids: string[]): Promise<{ deleted: number; undoToken: string }> {
    const db = this.requireDb();
    const full = [...new Set(ids.map((id) => this.fullId(id)))];
    // Kept in the order they were saved, so an undo re-inserts them in it and the Library lists them as before.
    const runs = this.keepUndo ? db.inSavedOrder(full).map((id) => db.getRun(id)).filter((r): r is StoredRun => r !== null) : [];
    const deleted = db.deleteRuns(full);
    const undoToken = randomUUID();
    if (this.keepUndo) this.undo.set(undoToken, runs);
    return { deleted, undoToken };
  }

  async undoDelete(undoToken: string): Promise<{ restored: number }> {
    const runs = this.undo.get(undoToken);
    if (!runs) throw new InputError('unknown or already used undo token (undo lasts for this session)');
    const restored = this.requireDb().restoreRuns(runs);
    this.undo.delete(undoToken);
    return { restored };
  }

  async importResults(doc: unknown): Promise<{ ids: string[] }> {
    const db = this.requireDb();
    try {
      checkValue(ResultsDocumentSchema, doc);
    } catch (e) {
      if (e instanceof SchemaError) throw new InputError(`import: ${e.message}`);
      throw e;
    }
    return { ids: db.importResults(doc) };
  }

  async exportRuns(req: ExportRequest): Promise<ExportedFile> {
    if (req.trace) {
      if (req.ids.length !== 1) throw new InputError(`trace: the export of one trace takes exactly one run id (got ${req.ids.length})`);
      if (req.baselineId !== undefined) throw new InputError('baselineId: the export of one trace has no baseline');
      const run = await this.getRun(req.ids[0], { series: false });
      const file = traceFile({ run, violation: req.trace.violation ?? 0, format: req.format, title: req.title, version: this.version });
      if (!('printHtml' in file)) return file;
      return { filename: file.filename, mime: 'application/pdf', encoding: 'base64', data: (await this.pdf(file.printHtml)).toString('base64') };
    }
    const runs = await Promise.all(req.ids.map((id) => this.getRun(id)));
    const baselineId = req.baselineId ? this.fullId(req.baselineId) : undefined;
    if (baselineId && !runs.some((r) => r.id === baselineId)) throw new InputError(`baselineId: run ${req.baselineId} is not among the exported runs`);
    const title = req.title ?? `${[...new Set(runs.map((r) => r.scenario))].join(', ')}: ${[...new Set(runs.map((r) => r.strategy))].join(', ')}`;
    return this.reportFile(runs, { format: req.format, title, baselineId });
  }

  /**
   * A file of runs in `format`: CSV, JSON, the HTML report, or that report
   * printed to PDF (base64). In process (the CLI) it also takes runs that
   * were never saved (`ptlab run --no-save --report`).
   */
  async reportFile(runs: RunResult[], opts: { format: ExportFormat; title?: string; baselineId?: string }): Promise<ExportedFile> {
    const scenarios = [...new Set(runs.map((r) => r.scenario))];
    const stem = `ptlab-${(scenarios.length === 1 ? scenarios[0] : 'runs').replace(/[^A-Za-z0-9._-]+/g, '-')}-${new Date().toISOString().slice(0, 10)}`;
    if (opts.format === 'csv') return { filename: `${stem}.csv`, mime: 'text/csv', encoding: 'utf8', data: renderCsv(runs) };
    if (opts.format === 'json') return { filename: `${stem}.json`, mime: 'application/json', encoding: 'utf8', data: renderJson(runs, this.version) };
    const html = renderHtmlReport(runs, { title: opts.title, baselineId: opts.baselineId, version: this.version });
    if (opts.format === 'html') return { filename: `${stem}.html`, mime: 'text/html', encoding: 'utf8', data: html };
    const pdf = await this.pdf(html);
    return { filename: `${stem}.pdf`, mime: 'application/pdf', encoding: 'base64', data: pdf.toString('base64') };
  }

  /**
   * In process only (the CLI): writes saved runs in `format` piece by piece
   * through `write`, reading one run at a time for JSON and CSV, so an
   * export of any size fits in memory. HTML and PDF need every run at once
   * (the charts). No default title: the report's own applies.
   */
  async exportTo(req: ExportRequest, write: (chunk: string | Buffer) => void): Promise<void> {
    const db = this.requireDb();
    const full = req.ids.map((id) => this.fullId(id));
    const baselineId = req.baselineId ? this.fullId(req.baselineId) : undefined;
    function* runs(): Generator<StoredRun> {
      for (const id of full) {
        const r = db.getRun(id);
        if (!r) throw new InputError(`no run ${id}`);
        yield r;
      }
    }
    if (req.format === 'json') return writeResultsJson(write, runs(), this.version);
    if (req.format === 'csv') {
      for (const chunk of csvChunks(runs())) write(chunk);
      return;
    }
    const all = [...runs()];
    if (baselineId && !all.some((r) => r.id === baselineId)) throw new InputError(`baselineId: run ${req.baselineId} is not among the exported runs`);
    if (req.format === 'html') {
      for (const chunk of htmlReportChunks(all, { title: req.title, baselineId, version: this.version })) write(chunk);
      return;
    }
    write(await this.pdf(renderHtmlReport(all, { title: req.title, baselineId, version: this.version })));
  }

  /** In process only: keeps a copy of a report in the database (its reports table); returns its id, or null when the database is read-only. */
  keepReport(report: { format: 'html' | 'pdf' | 'csv' | 'json'; title: string; body: string | Buffer; runIds: string[] }): number | null {
    const db = this.requireDb();
    if (db.readonly) return null;
    return db.saveReport({ format: report.format, title: report.title, body: report.body, runIds: report.runIds });
  }

  /** In process only: imports a ptlab.results/1 file read one run at a time (files up to MAX_IMPORT_BYTES); all or nothing. */
  async importResultsFile(file: string): Promise<{ ids: string[] }> {
    return { ids: this.requireDb().importResultsFile(file) };
  }

  async addTags(ids: string[], tags: string[]): Promise<void> {
    const db = this.requireDb();
    const full = ids.map((id) => this.fullId(id));
    db.batch(() => {
      for (const id of full) for (const t of tags) db.addTag(id, t);
    });
  }

  async removeTag(id: string, tag: string): Promise<void> {
    this.requireDb().removeTag(this.fullId(id), tag);
  }

  async setNote(id: string, note: string | null): Promise<void> {
    this.requireDb().setNote(this.fullId(id), note);
  }

  async getBaseline(): Promise<string | null> {
    const db = this.requireDb();
    const id = db.getSetting(BASELINE_SETTING);
    // A pinned run that was deleted since is no baseline.
    return id !== null && db.getRun(id) !== null ? id : null;
  }

  async setBaseline(id: string | null): Promise<void> {
    const db = this.requireDb();
    db.setSetting(BASELINE_SETTING, id === null ? null : this.fullId(id));
  }

  // ---- experiments and saved strategies --------------------------------------------------

  async listExperiments(): Promise<SavedExperiment[]> {
    const db = this.requireDb();
    return db.listExperiments().map((e) => {
      const saved = db.getScenario(`${EXPERIMENT_DOC_PREFIX}${e.id}`);
      const doc = saved && firstIssue(ExperimentDocSchema, saved.json) === null ? (saved.json as ExperimentDoc) : null;
      return { ...e, doc };
    });
  }

  async saveExperiment(doc: ExperimentDoc): Promise<SavedExperiment> {
    const db = this.requireDb();
    try {
      checkValue(ExperimentDocSchema, doc, 'experiment');
    } catch (e) {
      if (e instanceof SchemaError) throw new InputError(e.message);
      throw e;
    }
    const notes = doc.notes ?? null;
    const existing = db.listExperiments().find((e) => e.name === doc.name);
    const id = db.batch(() => {
      let eid: number;
      if (existing) {
        eid = existing.id;
        db.updateExperiment(eid, doc.name, notes);
      } else eid = db.createExperiment(doc.name, notes ?? undefined);
      db.saveScenario(`${EXPERIMENT_DOC_PREFIX}${eid}`, doc);
      return eid;
    });
    const saved = (await this.listExperiments()).find((e) => e.id === id);
    if (!saved) throw new Error(`experiment ${id} vanished after saving`);
    return saved;
  }

  async deleteExperiment(id: number): Promise<boolean> {
    const db = this.requireDb();
    return db.batch(() => {
      db.deleteScenario(`${EXPERIMENT_DOC_PREFIX}${id}`);
      return db.deleteExperiment(id);
    });
  }

  async saveStrategy(def: unknown): Promise<StrategyInfo> {
    const db = this.requireDb();
    try {
      checkValue(StrategyDefSchema, def, 'strategy');
    } catch (e) {
      if (e instanceof SchemaError) throw new InputError(e.message);
      throw e;
    }
    const s = defineVariant(def, 'strategy');
    db.saveStrategy(s.id, def);
    return { id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs }, builtin: false };
  }

  async deleteStrategy(id: string): Promise<boolean> {
    if (isBuiltinStrategy(id)) throw new InputError(`'${id}' is a built-in strategy and cannot be deleted`);
    return this.requireDb().deleteStrategy(id);
  }

  // ---- part 2 ------------------------------------------------------------------------------

  async listSeries(runId: string): Promise<{ name: string; unit: string; points: number }[]> {
    const db = this.requireDb();
    return db.listSeries(this.fullId(runId));
  }

  async getSeries(req: SeriesRequest): Promise<SeriesSlice> {
    const db = this.requireDb();
    const series = db.getSeries(this.fullId(req.runId), req.name);
    if (!series) throw new InputError(`run ${req.runId} has no series '${req.name}'`);
    return decimateSeries(series, req.from, req.to, req.points);
  }

  async saveFile(req: SaveFileRequest): Promise<string | null> {
    if (!this.saver) throw new InputError('saving through a file dialog is for the desktop app; in web mode the browser downloads the file');
    return this.saver(req.file);
  }

  // Traces (electron/lab/traces.ts): replayed with their whole log, the machine readable at any step.
  async openTrace(source: TraceSource): Promise<TraceInfo> {
    return this.traces.openTrace(source);
  }

  async traceSteps(traceId: string, offset: number, limit: number): Promise<TraceStep[]> {
    return this.traces.traceSteps(traceId, offset, limit);
  }

  async traceState(traceId: string, step: number): Promise<MachineState> {
    return this.traces.traceState(traceId, step);
  }

  async closeTrace(traceId: string): Promise<void> {
    return this.traces.closeTrace(traceId);
  }

  // The safety row (electron/lab/safety.ts): verdicts from saved runs; the check runs as one job of explore lanes and run batches.
  async safety(req: SafetyRequest): Promise<SafetyVerdict[]> {
    return this.safetyOf().verdicts(req);
  }

  async startSafetyCheck(req: SafetyRequest): Promise<JobInfo> {
    const db = this.requireDb();
    return startSafetyJob<Job>(this.safetyOf(), req, {
      version: this.version,
      newJob: (title, lanes) => this.newJob('explore', title, lanes),
      info: (job) => copyJob(job.info),
      aborted: (job) => job.abort.signal.aborted,
      track: (job, work) => this.track(job, work),
      lane: (job, key) => job.lanes.get(key)!.lane,
      explore: (job, key, scenario, config, strategy, r) => this.exploreLane(job, job.lanes.get(key)!, scenario, config, strategy, r, true, null),
      random: async (job, key, doc, scenario, strategy, seeds) =>
        (
          await this.service.runResolved(
            { doc, scenario, strategies: [strategy], mode: 'random', seed: 1, seeds, save: true, tags: [SAFETY_TAG] },
            { signal: job.abort.signal, onProgress: (p) => this.onRunProgress(job, p, key), onRun: (r, point) => this.onRunFinished(job, r, point, key) },
          )
        ).runs,
      recordKnobs: (runId, strategy) => db.setRunProvenance(runId, { strategyKnobs: strategy.knobs }),
    });
  }

  private safetyCache: Safety | null = null;

  private safetyOf(): Safety {
    this.safetyCache ??= new Safety({ db: this.requireDb(), savedStrategy: this.savedStrategy });
    return this.safetyCache;
  }
}

/**
 * The strategy a trace document names. A built-in id must come with the
 * built-in's knobs (left-out knobs are the built-in's own): a trace never
 * reports a variant's replay under a built-in's name. Another id is a saved
 * variant or one rebuilt from the trace's knobs.
 */
function traceStrategy(s: { id: string; knobs: Record<string, unknown> }, saved: (id: string) => unknown | null): Strategy {
  if (isBuiltinStrategy(s.id)) {
    try {
      return defineStrategy({ id: s.id, base: s.id, knobs: s.knobs }, 'trace.strategy');
    } catch (e) {
      return asInputError(e);
    }
  }
  return strategyFromRecord(s.id, s.knobs, saved);
}

function checkTrace(trace: unknown): ReturnType<typeof checkValue<typeof TraceDocumentSchema>> {
  try {
    return checkValue(TraceDocumentSchema, trace, 'trace');
  } catch (e) {
    if (e instanceof SchemaError) throw new InputError(e.message);
    throw e;
  }
}
