/**
 * The renderer's view of the lab contract: type-only re-exports of
 * electron/lab/api.ts (the layering rule allows nothing else from electron/),
 * plus the database row shapes reached through it, since the renderer may
 * not import db/ at all.
 */
export type {
  AppInfo,
  ExperimentDoc,
  ExploreRequest,
  ExportFormat,
  ExportRequest,
  ExportedFile,
  GetRunOptions,
  FieldError,
  JobInfo,
  JobLane,
  JobState,
  JsonSchema,
  LabApi,
  LabClient,
  LabEvent,
  LayoutMap,
  ListRequest,
  PresetInfo,
  ReplayRequest,
  ReplayResult,
  RunPage,
  RunRequest,
  RunSort,
  RunSummary,
  SavedExperiment,
  ScenarioRef,
  Schemas,
  SimMode,
  StrategyCatalog,
  StrategyInfo,
  StrategyRef,
  Validation,
  ActorState,
  CpuState,
  LockState,
  MachineState,
  SafetyRequest,
  SafetyVerdict,
  SaveFileRequest,
  SeriesRequest,
  SeriesSlice,
  TableEntry,
  TableNode,
  TraceInfo,
  TraceSource,
} from '../../../electron/lab/api.ts';

import type { LabApi, RunPage } from '../../../electron/lab/api.ts';

/** One line of the run library (db's RunListRow). */
export type RunRow = RunPage['rows'][number];
/** A stored run with its violations, metrics and series (db's StoredRun). */
export type StoredRun = Awaited<ReturnType<LabApi['getRun']>>;
