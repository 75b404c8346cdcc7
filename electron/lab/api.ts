/**
 * The lab API: one typed interface that the CLI uses now and the Electron
 * IPC bridge and the web host will use later (channel names derive from the
 * method names). Arguments and results are plain JSON data.
 */
import type { ResultsDocument, RunResult } from '../../core/results.ts';
import type { RunFilter, RunListRow, StoredRun } from '../../db/index.ts';

export type SimMode = 'timed' | 'random' | 'pct';

export interface RunRequest {
  /** Preset name or path of a scenario JSON file. */
  scenario: string;
  /** `path=value` overrides (`--set`). */
  sets?: string[];
  /** "all", a comma list of ids, or strategy JSON files. */
  strategies?: string;
  mode: SimMode;
  /** First seed (default 1). */
  seed?: number;
  /** Number of consecutive seeds (default 1). */
  seeds?: number;
  /** PCT bug depth (default 2). */
  pctDepth?: number;
  /** Save to the database (default true when one is open). */
  save?: boolean;
  tags?: string[];
  /** Generate vmalloc workloads in the worker thread (default true for timed runs). */
  useWorker?: boolean;
}

export interface RunProgress {
  runIndex: number;
  runCount: number;
  strategy: string;
  seed: number;
  /** 0..1 of the current run. */
  fraction: number;
  steps: number;
  simTimeNs: number;
  runId: string | null;
}

export interface RunHooks {
  onProgress?: (p: RunProgress) => void;
  /** Called with each finished run. */
  onRun?: (r: RunResult) => void;
  signal?: AbortSignal;
}

export interface LabApi {
  run(req: RunRequest, hooks?: RunHooks): Promise<ResultsDocument>;
  listRuns(filter: RunFilter): RunListRow[];
  getRun(id: string): StoredRun;
  deleteRuns(ids: string[]): number;
  importResults(doc: unknown): string[];
  exportRuns(ids: string[], format: 'html' | 'csv' | 'json', opts?: { baselineId?: string; title?: string }): string;
}
