/** The public shapes LabDb takes and returns (besides the core result types it stores). */

import type { RunMode, RunResult, RunStatus, Series, ViolationKind } from '../core/results.ts';

export interface OpenOptions {
  /** Open without writing anything: no migrations, no recovery of interrupted runs. */
  readonly?: boolean;
  /** Path of a better_sqlite3.node built for the running runtime (Electron ships its own build). */
  nativeBinding?: string;
  /** How long a write waits for another process's write lock before failing with 'busy' (default 5000 ms). */
  busyTimeoutMs?: number;
}

export interface NewRun {
  /** Defaults to a fresh crypto.randomUUID(). */
  id?: string;
  experimentId?: number | null;
  scenario: string;
  strategy: string;
  mode: RunMode;
  seed: number;
  /** The PT Lab version doing the run. */
  version: string;
  /** The full scenario document the run uses. */
  config?: unknown;
  /** ISO 8601; defaults to now. */
  startedAt?: string;
  /** What the run was made from (see RunProvenance). */
  strategyKnobs?: object | null;
  sets?: readonly string[];
  scenarioFile?: string | null;
}

/**
 * What a run was made from besides its scenario and strategy names, so
 * history can tell a variant or a modified scenario from the preset.
 */
export interface RunProvenance {
  /** The strategy's knobs as run (null: not recorded, e.g. a run from before 0.2). */
  strategyKnobs?: object | null;
  /** The `--set path=value` overrides applied to the scenario, in order. */
  sets?: readonly string[];
  /** The scenario file the run used (null: a preset or a document sent by the app). */
  scenarioFile?: string | null;
}

/** What saveRunResult needs besides the RunResult itself. */
export interface RunMeta {
  version: string;
  experimentId?: number | null;
  /** Put the run in the newest experiment of this name, created if there is none (ignored when experimentId is given). */
  experimentName?: string | null;
  /** ISO 8601; defaults to now. */
  startedAt?: string;
  /** ISO 8601; defaults to now unless the status is 'running'. */
  finishedAt?: string | null;
  /** Defaults to the result's `wall.ms` metric, if any. */
  wallMs?: number | null;
  error?: string | null;
  tags?: readonly string[];
  note?: string | null;
  strategyKnobs?: object | null;
  sets?: readonly string[];
  scenarioFile?: string | null;
}

export type FinalRunStatus = Exclude<RunStatus, 'running'>;

export interface FinishRun {
  status: FinalRunStatus;
  wallMs: number | null;
  error?: string | null;
  /** The scheduler's choices; replaces a schedule stored earlier when given. */
  schedule?: number[];
}

/** A run as stored: the RunResult exactly as saved, plus what the database knows about it. */
export interface StoredRun extends RunResult {
  id: string;
  /** Always present (empty when the run has none). */
  series: Series[];
  experimentId: number | null;
  /** The experiment's name (what an export carries: ids are per database). */
  experimentName: string | null;
  version: string;
  startedAt: string;
  finishedAt: string | null;
  wallMs: number | null;
  error: string | null;
  ownerPid: number | null;
  ownerHost: string | null;
  tags: string[];
  note: string | null;
  /** The strategy's knobs as run; null when not recorded. */
  strategyKnobs: Record<string, unknown> | null;
  /** The `--set` overrides the run used (empty: none, or not recorded). */
  sets: string[];
  /** The scenario file the run used; null for a preset. */
  scenarioFile: string | null;
}

export type Verdict = 'safe' | 'violation';

export interface RunFilter {
  scenario?: string;
  strategy?: string;
  mode?: RunMode;
  /** 'violation': at least one violation counted; 'safe': completed with none. */
  verdict?: Verdict;
  status?: RunStatus;
  tag?: string;
  experimentId?: number;
  /** Started at or after (ISO 8601). */
  since?: string;
  /** Started before (ISO 8601). */
  until?: string;
  /** Case-insensitive substring of id, scenario, strategy, note, error or a tag. */
  text?: string;
  limit?: number;
  offset?: number;
}

/** Columns the run library can be ordered by. */
export type RunSortKey = 'startedAt' | 'scenario' | 'strategy' | 'mode' | 'seed' | 'status' | 'violations' | 'wallMs';

/**
 * The order of a run listing: by `sort` (default startedAt), descending by
 * default; ties by start time in the same direction. Runs without a wall
 * time (still in flight) come last either way.
 */
export interface RunOrder {
  sort?: RunSortKey;
  descending?: boolean;
}

/** One line of the run library. */
export interface RunListRow {
  id: string;
  experimentId: number | null;
  scenario: string;
  strategy: string;
  mode: RunMode;
  seed: number;
  status: RunStatus;
  startedAt: string;
  finishedAt: string | null;
  wallMs: number | null;
  violationCount: number;
  /** Kinds with at least one violation, sorted. */
  kinds: ViolationKind[];
  tags: string[];
  strategyKnobs: Record<string, unknown> | null;
  sets: string[];
  scenarioFile: string | null;
}

export interface SeriesInfo {
  name: string;
  unit: string;
  points: number;
}

export interface Experiment {
  id: number;
  name: string;
  createdAt: string;
  notes: string | null;
  runs: number;
}

/** A saved scenario or strategy document. */
export interface SavedDocument {
  name: string;
  json: unknown;
  createdAt: string;
  updatedAt: string;
}

export type ReportFormat = 'html' | 'pdf' | 'csv' | 'json' | 'markdown' | 'text';

export interface NewReport {
  format: ReportFormat;
  title: string;
  /** Text, or bytes for binary formats (pdf). */
  body: string | Uint8Array;
  runIds?: readonly string[];
}

export interface ReportInfo {
  id: number;
  createdAt: string;
  format: ReportFormat;
  title: string;
  runIds: string[];
}

export interface Report extends ReportInfo {
  body: string | Buffer;
}
