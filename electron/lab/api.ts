/**
 * The lab API: the whole contract of PT Lab's app. Every action the CLI, the
 * desktop app (Electron IPC) and web mode (HTTP + WebSocket) perform is one
 * method of `LabApi`; long actions (runs, sweeps, explore) are jobs that
 * report through `LabEvent`s. Arguments and results are plain JSON data, so
 * each transport can carry them unchanged; channel and route names derive
 * from the method names (`LAB_METHODS`).
 *
 * The renderer imports this file's *types* only (an ESLint rule allows type
 * imports of it and nothing else from electron/).
 */
import type { DecimatedSeries } from '../../core/decimate.ts';
import type { ActorState, CpuState, LockState, MachineStateAt, TableEntry, TableNode } from '../../core/inspect.ts';
import type { ExploreDocument, ResultsDocument, RunMode, RunResult, TraceStep, Violation, ViolationKind } from '../../core/results.ts';
import type { Experiment, RunFilter, RunListRow, StoredRun } from '../../db/types.ts';

export type SimMode = 'timed' | 'random' | 'pct';

/** A scenario: a preset by name, or a whole document. (File paths are resolved by the CLI, never sent over a transport.) */
export type ScenarioRef = { preset: string } | { doc: unknown };

/** A strategy: a built-in id, or a user variant `{id, base?, title?, description?, knobs?}`. */
export type StrategyRef = string | { def: unknown };

export interface RunRequest {
  scenario: ScenarioRef;
  /** `path=value` overrides (`--set`), applied to the scenario document before validation. */
  sets?: string[];
  /** Strategies to run; empty or absent: every built-in. */
  strategies?: StrategyRef[];
  mode: SimMode;
  /** First seed (default 1). */
  seed?: number;
  /** Number of consecutive seeds per strategy (default 1). */
  seeds?: number;
  /** PCT bug depth (default 2). */
  pctDepth?: number;
  /** Save to the database (default true when one is open). */
  save?: boolean;
  tags?: string[];
  /** Group the runs under this saved experiment. */
  experimentId?: number;
  /** Generate vmalloc workloads in the worker thread (default true for timed runs). */
  useWorker?: boolean;
}

export interface ExploreRequest {
  scenario: ScenarioRef;
  sets?: string[];
  strategies?: StrategyRef[];
  maxSchedules?: number;
  timeLimitS?: number;
  preemptionBound?: number | null;
  kinds?: ViolationKind[];
  /** Seed of the workload streams (the counterexample replays with it). */
  seed?: number;
  /** Threads of the search (core/explore/parallel.ts; default 1, the sequential search). */
  jobs?: number;
  /** Save each strategy's outcome as a run (mode 'explore') in the database (default true when one is open). */
  save?: boolean;
  tags?: string[];
  experimentId?: number;
}

/** A replayable trace (`ptlab.trace/1`). */
export interface TraceDocument {
  schema: 'ptlab.trace/1';
  scenario: unknown;
  strategy: { id: string; knobs: Record<string, unknown> };
  seed: number;
  schedule: number[];
  expect: { kind: ViolationKind; step: number } | null;
  trace?: TraceStep[];
}

export type ReplayRequest = { runId: string; violation?: number } | { trace: unknown };

export interface ReplayResult {
  schema: 'ptlab.replay/1';
  /** The trace still hits what it recorded (CLI exit 0; otherwise exit 1). */
  reproduced: boolean;
  /** The recorded schedule stopped fitting the model. */
  diverged: boolean;
  expect: { kind: ViolationKind; step: number } | null;
  /** One line in words, e.g. "reproduced: uaf-table-write at step 1057". */
  summary: string;
  run: RunResult;
}

/** A job: a run batch (runs/sweeps) or an explore. */
export type JobKind = 'run' | 'explore';
export type JobState = 'running' | 'completed' | 'cancelled' | 'failed';

export interface JobInfo {
  jobId: string;
  kind: JobKind;
  state: JobState;
  /** What the job does, in words (scenario, strategies, mode, seeds). */
  title: string;
  startedAt: string;
  /** One entry per strategy (× sweep point): its live state. */
  lanes: JobLane[];
}

export interface JobLane {
  /** Stable within the job: `${strategy}` or `${strategy}@${vmallocThreads}` for sweeps. */
  key: string;
  strategy: string;
  /** vmallocThreads of a sweep point, else null. */
  point: number | null;
  /** Runs (seeds) in this lane, and how many are done. */
  runs: number;
  done: number;
  /** 0..1 over the whole lane. */
  fraction: number;
  /** Estimated ms until the lane is done, or null before there is a basis. */
  etaMs: number | null;
  /** Live counters of the run in flight (steps, sim time, vmalloc ops, TLBIs, ...). */
  counters: Record<string, number>;
  /** Violation kinds found so far in this lane, with counts of runs. */
  kinds: Partial<Record<ViolationKind, number>>;
  /** Saved run ids, in order. */
  runIds: string[];
  /** explore only: live search figures. */
  explore?: ExploreLive;
  /** explore only: the verdict once the lane is done. */
  verdict?: ExploreDocument['verdict'];
}

export interface ExploreLive {
  schedules: number;
  states: number;
  steps: number;
  elapsedMs: number;
  /** Schedules per second over the last second. */
  rate: number;
  round: number;
}

/** Events a job reports; every event carries its jobId. */
export type LabEvent =
  | { type: 'job-started'; jobId: string; job: JobInfo }
  /** At most ~10 per second per job: the lanes' progress and counters. */
  | { type: 'job-progress'; jobId: string; lanes: JobLane[] }
  /** A point of a live series of the run in flight (timed mode), decimated by the sender. */
  | { type: 'job-series'; jobId: string; lane: string; runId: string | null; name: string; unit: string; x: number[]; y: number[] }
  /** A violation, as soon as its run has it (with the run id once saved). */
  | { type: 'job-violation'; jobId: string; lane: string; runId: string | null; seed: number; violation: Violation }
  /** A run finished (and was saved, when saving). */
  | { type: 'job-run'; jobId: string; lane: string; run: RunSummary }
  /** An explore lane finished. */
  | { type: 'job-explore'; jobId: string; lane: string; result: ExploreDocument; runId: string | null }
  | { type: 'job-finished'; jobId: string; job: JobInfo; results: ResultsDocument | null }
  | { type: 'job-failed'; jobId: string; message: string };

/** What the Library and the Live run show of a finished run. */
export interface RunSummary {
  id: string | null;
  scenario: string;
  strategy: string;
  mode: RunMode;
  seed: number;
  status: RunResult['status'];
  violationCounts: RunResult['violationCounts'];
  metrics: Record<string, number>;
}

export interface PresetInfo {
  name: string;
  summary: string;
  description: string;
  /** The raw preset document (what the Designer edits). */
  doc: unknown;
}

export interface StrategyInfo {
  id: string;
  title: string;
  description: string;
  knobs: Record<string, unknown>;
  /** Built in (reserved id) or a saved user variant. */
  builtin: boolean;
}

export interface StrategyCatalog {
  strategies: StrategyInfo[];
  /** Each knob's allowed values, in display order. */
  knobs: Record<string, readonly unknown[]>;
}

/** A JSON Schema (draft 2020-12) document. */
export type JsonSchema = Record<string, unknown>;

export interface Schemas {
  scenario: JsonSchema;
  strategy: JsonSchema;
  results: JsonSchema;
  trace: JsonSchema;
  experiment: JsonSchema;
}

export interface FieldError {
  /** Dotted path, e.g. "scenario.arch.pageSize" or "scenario.actors[1].count". */
  path: string;
  message: string;
}

export interface Validation {
  ok: boolean;
  errors: FieldError[];
}

/** The kernel VA layout of a scenario, for the Designer's map. */
export interface LayoutMap {
  era: string;
  pageSize: number;
  vaBits: number;
  levels: number;
  /** Full 64-bit addresses in hex without 0x; `end` is the region's last byte (inclusive). */
  regions: { kind: string; start: string; end: string; sizeBytes: number }[];
  /** Table pages below the root whose span two or more regions use. */
  sharedTables: { level: string; start: string; end: string; regions: string[]; emptiable: boolean | null; blockers: string[] }[];
  /** Can the vmalloc/vmemmap race happen here, and why (one paragraph). */
  reachability: { reachable: boolean; summary: string };
  /** Assumptions the scenario makes (e.g. linear-map KASLR offset), in words. */
  assumptions: string[];
  /** The scenario's name. */
  scenario?: string;
  /** The notes every run of this scenario carries (why a race is or is not reachable, what it assumes), as `ptlab run` prints them. */
  notes?: string[];
}

/** A saved experiment: what the Designer holds, under a name. */
export interface ExperimentDoc {
  schema: 'ptlab.experiment/1';
  name: string;
  scenario: ScenarioRef;
  sets: string[];
  strategies: StrategyRef[];
  mode: SimMode | 'explore';
  seed: number;
  seeds: number;
  pctDepth?: number;
  explore?: { maxSchedules?: number; timeLimitS?: number; preemptionBound?: number | null; kinds?: ViolationKind[] };
  notes?: string;
}

export interface SavedExperiment extends Experiment {
  doc: ExperimentDoc | null;
}

export interface RunPage {
  rows: RunListRow[];
  /** Rows matching the filter, ignoring limit/offset. */
  total: number;
}

export type RunSort = 'startedAt' | 'scenario' | 'strategy' | 'mode' | 'seed' | 'status' | 'violations' | 'wallMs';

export interface ListRequest extends RunFilter {
  sort?: RunSort;
  descending?: boolean;
}

export type ExportFormat = 'html' | 'csv' | 'json' | 'pdf';

export interface ExportRequest {
  ids: string[];
  format: ExportFormat;
  baselineId?: string;
  title?: string;
  /**
   * Export one trace instead of whole runs: violation `violation` (default 0)
   * of the one run in `ids`. JSON is the replayable ptlab.trace/1 document,
   * CSV its steps, HTML/PDF the run's report narrowed to that violation.
   */
  trace?: { violation?: number };
}

export interface ExportedFile {
  /** Suggested file name, e.g. "ptlab-thread-race-2026-11-28.html". */
  filename: string;
  mime: string;
  /** Text formats as text; PDF as base64. */
  encoding: 'utf8' | 'base64';
  data: string;
}

export interface AppInfo {
  version: string;
  /** The open database file, or null. */
  dbPath: string | null;
  /** Which transport serves this client. */
  transport: 'electron' | 'web' | 'in-process';
}

// ------------------------------------------------------------ part 2: traces, compare, files

/** Where a trace comes from: a saved run's violation (by index in `violations`), or a trace document (`ptlab.trace/1`, an explore counterexample). */
export type TraceSource = { runId: string; violation: number } | { trace: unknown };

/** A trace opened for the viewer: the replayed run up to (and including) its violation. */
export interface TraceInfo {
  /** Opaque handle for traceSteps/traceState (valid for this session). */
  traceId: string;
  scenario: string;
  strategy: string;
  seed: number;
  /** The violation the trace ends in (with its narrative and key steps), or null for a trace that expects none. */
  violation: Violation | null;
  /** Steps in the full replayed log (0 .. totalSteps-1); the last is the violation's step. */
  totalSteps: number;
  /** One lane per actor, in CPU order. */
  actors: { name: string; cpu: number; kind: string }[];
  /** Did replaying the recorded schedule reproduce the recorded violation at the recorded step? */
  reproduced: boolean;
  /** One line in words, e.g. "reproduced: uaf-table-write at step 1057". */
  replaySummary: string;
  /** Kernel source base for function links of the modelled version, e.g. "https://elixir.bootlin.com/linux/v5.7/source". */
  sourceBase: string;
  /** Kernel functions that appear in the trace → "path/to/file.c" (for links: `${sourceBase}/${file}#L…` is not known; search by name). */
  functionFiles: Record<string, string>;
}

/** The machine at one step of a trace (after that step ran; step -1 is the start). */
/** The machine after a step of a trace: core/inspect.ts's shapes, documented there. */
export type MachineState = MachineStateAt;
export type { ActorState, CpuState, LockState, TableEntry, TableNode };

/** How a strategy's safety is known, for a comparison's verdict row. */
export interface SafetyVerdict {
  strategy: string;
  /** The preset (safety scenario) this verdict is about. */
  scenario: string;
  /** 'proved-safe': explore, complete; 'no-violation': random/pct runs found none; 'violation'; 'bounded': explore hit a bound; 'unknown': not yet checked. */
  verdict: 'proved-safe' | 'no-violation' | 'violation' | 'bounded' | 'unknown';
  /** In words what backs it, e.g. "proved safe (explore, complete, on thread-race)", "no violation in 200 runs", "violation (uaf-table-write ×12)". */
  backing: string;
  kinds: Partial<Record<ViolationKind, number>>;
  /** The figures behind `backing`: saved runs of this preset and strategy, those with a violation, the random/PCT runs among them, and the schedules the widest explore run searched (0 if none), complete or not. */
  runs: number;
  violatingRuns: number;
  sampledRuns: number;
  schedules: number;
  complete: boolean;
  /** Runs that back it (for links); the first violating run with a violation index, if any. */
  runIds: string[];
  trace: { runId: string; violation: number } | null;
}

export interface SafetyRequest {
  strategies: StrategyRef[];
  /** Safety presets to consult (default: every safety preset: thread-race, section-tlb, ptdump-race, …). */
  scenarios?: string[];
}

export interface SeriesRequest {
  runId: string;
  name: string;
  /** Simulated-time window (ns); default the whole run. */
  from?: number;
  to?: number;
  /** At most this many buckets; each bucket returns its min and max (default 2000). */
  points?: number;
}

/** A decimated series: per bucket, x and the min and max y (min === max when a bucket holds one point); core/decimate.ts makes it. */
export type SeriesSlice = DecimatedSeries;

export interface GetRunOptions {
  /** false: the run without its series (`series` is an empty list). Default true. */
  series?: boolean;
}

export interface SaveFileRequest {
  file: ExportedFile;
}

/**
 * The lab API. Every method is async (it crosses a process boundary in the
 * app) and takes and returns JSON data. Bad input throws an error whose
 * message is one clear line (the transports carry it as `{error}`).
 */
export interface LabApi {
  appInfo(): Promise<AppInfo>;

  // catalog
  presets(): Promise<PresetInfo[]>;
  strategies(): Promise<StrategyCatalog>;
  schemas(): Promise<Schemas>;
  validateScenario(doc: unknown): Promise<Validation>;
  validateStrategy(def: unknown): Promise<Validation>;
  layoutMap(scenario: ScenarioRef, sets?: string[]): Promise<LayoutMap>;

  // jobs
  startRun(req: RunRequest): Promise<JobInfo>;
  startExplore(req: ExploreRequest): Promise<JobInfo>;
  cancelJob(jobId: string): Promise<boolean>;
  jobs(): Promise<JobInfo[]>;
  replay(req: ReplayRequest): Promise<ReplayResult>;

  // history
  listRuns(req: ListRequest): Promise<RunPage>;
  /** A saved run; `{series: false}` leaves its series out (Compare reads them decimated through getSeries). */
  getRun(id: string, opts?: GetRunOptions): Promise<StoredRun>;
  /** Deletes and returns an undo token valid for this session. */
  deleteRuns(ids: string[]): Promise<{ deleted: number; undoToken: string }>;
  undoDelete(undoToken: string): Promise<{ restored: number }>;
  importResults(doc: unknown): Promise<{ ids: string[] }>;
  exportRuns(req: ExportRequest): Promise<ExportedFile>;
  addTags(ids: string[], tags: string[]): Promise<void>;
  removeTag(id: string, tag: string): Promise<void>;
  setNote(id: string, note: string | null): Promise<void>;
  /** The pinned baseline run for comparisons, or null. */
  getBaseline(): Promise<string | null>;
  setBaseline(id: string | null): Promise<void>;

  // traces (part 2)
  openTrace(source: TraceSource): Promise<TraceInfo>;
  /** Steps of the full replayed log, [offset, offset+limit). */
  traceSteps(traceId: string, offset: number, limit: number): Promise<TraceStep[]>;
  traceState(traceId: string, step: number): Promise<MachineState>;
  closeTrace(traceId: string): Promise<void>;

  // compare (part 2)
  /** Each strategy's safety on the safety presets, from saved runs (explore first, then random/pct). */
  safety(req: SafetyRequest): Promise<SafetyVerdict[]>;
  /** Explore the safety presets for strategies whose safety is unknown (a job; its runs are saved). */
  startSafetyCheck(req: SafetyRequest): Promise<JobInfo>;
  /** Names, units and point counts of a run's series. */
  listSeries(runId: string): Promise<{ name: string; unit: string; points: number }[]>;
  /** A series decimated to min/max per bucket, for charts of any length. */
  getSeries(req: SeriesRequest): Promise<SeriesSlice>;
  /** Desktop: ask where to save and write the file (returns the path, or null if cancelled). Web mode: throws; the renderer downloads instead. */
  saveFile(req: SaveFileRequest): Promise<string | null>;

  // experiments
  listExperiments(): Promise<SavedExperiment[]>;
  saveExperiment(doc: ExperimentDoc): Promise<SavedExperiment>;
  deleteExperiment(id: number): Promise<boolean>;
  /** Saved user strategy variants. */
  saveStrategy(def: unknown): Promise<StrategyInfo>;
  deleteStrategy(id: string): Promise<boolean>;
}

/** Method names in a fixed order: IPC channels are `ptlab:<name>`, HTTP routes `POST /api/<name>`. */
export const LAB_METHODS = [
  'appInfo',
  'presets',
  'strategies',
  'schemas',
  'validateScenario',
  'validateStrategy',
  'layoutMap',
  'startRun',
  'startExplore',
  'cancelJob',
  'jobs',
  'replay',
  'listRuns',
  'getRun',
  'deleteRuns',
  'undoDelete',
  'importResults',
  'exportRuns',
  'addTags',
  'removeTag',
  'setNote',
  'getBaseline',
  'setBaseline',
  'openTrace',
  'traceSteps',
  'traceState',
  'closeTrace',
  'safety',
  'startSafetyCheck',
  'listSeries',
  'getSeries',
  'saveFile',
  'listExperiments',
  'saveExperiment',
  'deleteExperiment',
  'saveStrategy',
  'deleteStrategy',
] as const satisfies readonly (keyof LabApi)[];

export type LabMethod = (typeof LAB_METHODS)[number];

/** Compile-time check that LAB_METHODS lists every method of LabApi. */
type Missing = Exclude<keyof LabApi, LabMethod>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;

/**
 * What the renderer holds: the API plus event subscription. The Electron
 * preload exposes one (`window.ptlab`), web mode builds one over HTTP and a
 * WebSocket; the renderer never knows which it has.
 */
export interface LabClient extends LabApi {
  /** Subscribe to job events; returns the unsubscribe function. */
  onEvent(listener: (e: LabEvent) => void): () => void;
  /**
   * Desktop only (absent in web mode): commands from the native menus that
   * the UI carries out. Returns the unsubscribe function.
   */
  onCommand?(listener: (c: AppCommand) => void): () => void;
}

/**
 * A native menu command for the UI: open the Designer on a new experiment,
 * export the selected runs, or reload what it shows because the library or
 * the whole database changed (after File > Import or Open/New database).
 */
export type AppCommand =
  | { command: 'new-experiment' }
  | { command: 'export-report' }
  | { command: 'library-changed'; importedIds: string[] }
  | { command: 'database-changed'; dbPath: string };
