/**
 * LabDb: PT Lab's SQLite database (runs, metrics, series, violations, saved
 * scenarios and strategies, tags, notes, reports). It owns opening a file
 * safely (identify before writing, refuse damaged, foreign and newer files
 * untouched), migrations, crash recovery of runs whose writer died, and the
 * transactions around every multi-statement write. One LabDb per connection;
 * pass it explicitly, there is no global instance.
 */

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  VIOLATION_KINDS,
  type ViolationKind,
  type RunResult,
  type Series,
  type Violation,
} from '../core/results.ts';
import { currentStrategyName } from './legacy.ts';
import { jsonFromDb, nowIso } from './codec.ts';
import { readResultsFile } from './json-stream.ts';
import { formatBytes, MAX_IMPORT_BYTES } from './limits.ts';
import { DbError, DbInputError, toDbError } from './errors.ts';
import { corruptError, foreignError, identify, PTLAB_APPLICATION_ID, readSqliteHeader, tooNewError } from './identity.ts';
import { ExperimentQueries, MetaQueries, ReportQueries, SavedDocumentQueries } from './library.ts';
import { LATEST_VERSION, migrate, MigrationRefused } from './migrations/index.ts';
import { knobsFromDb, parseSchedule, RunQueries, setsFromDb } from './runs.ts';
import { SeriesQueries } from './series.ts';
import type {
  Experiment,
  FinalRunStatus,
  FinishRun,
  NewReport,
  NewRun,
  OpenOptions,
  Report,
  ReportFormat,
  ReportInfo,
  RunFilter,
  RunListRow,
  RunMeta,
  RunOrder,
  RunProvenance,
  RunSortKey,
  SavedDocument,
  SeriesInfo,
  StoredRun,
} from './types.ts';
import {
  expectInteger,
  expectName,
  expectOneOf,
  expectSafeKey,
  expectString,
  RUN_MODES,
  RUN_STATUSES,
  expectIsoDate,
  expectTag,
  type RecordedRunMeta,
  validateKnobs,
  RunIdSet,
  validateRecordedRunMeta,
  validateResultsDocumentWithMeta,
  validateResultsHeader,
  validateRunResult,
  validateSets,
  validateViolation,
} from './validate.ts';

export { DbError, DbInputError, type DbErrorCode } from './errors.ts';
export { defaultDbPath, resolveDbPath } from './paths.ts';
export { LATEST_VERSION } from './migrations/index.ts';
export { validateResultsDocument } from './validate.ts';
export { MAX_IMPORT_BYTES, MAX_IMPORT_RUN_BYTES, MAX_TRACE_STEPS } from './limits.ts';
export type * from './types.ts';

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** quick_check reads every page; below this size it costs a few milliseconds and is worth it on every open. */
const QUICK_CHECK_MAX_BYTES = 8 * 1024 * 1024;
const FINAL_STATUSES: readonly FinalRunStatus[] = ['completed', 'failed', 'interrupted', 'cancelled'];
const REPORT_FORMATS: readonly ReportFormat[] = ['html', 'pdf', 'csv', 'json', 'markdown', 'text'];
const RUN_SORT_KEYS: readonly RunSortKey[] = ['startedAt', 'scenario', 'strategy', 'mode', 'seed', 'status', 'violations', 'wallMs'];
/** Keys of ptlab_meta that are settings, kept apart from the identity keys ('application', 'created_at'). */
const SETTING_PREFIX = 'setting.';

export class LabDb {
  /** The file this database was opened from. */
  readonly file: string;
  readonly readonly: boolean;
  /** Ids of runs that were 'running' with a dead writer and were marked 'interrupted' by this open. */
  readonly recoveredRuns: readonly string[];

  private readonly db: Database.Database;
  private readonly runs: RunQueries;
  private readonly series: SeriesQueries;
  private readonly experiments: ExperimentQueries;
  private readonly scenarios: SavedDocumentQueries;
  private readonly strategies: SavedDocumentQueries;
  private readonly reports: ReportQueries;
  private readonly meta: MetaQueries;
  /** One IMMEDIATE transaction around any function: writers take the lock up front, so two processes
   * never both hold a read snapshot and then fail to upgrade it (SQLITE_BUSY_SNAPSHOT). */
  private readonly transaction: Database.Transaction<(fn: () => unknown) => unknown>;

  private constructor(db: Database.Database, file: string, readonly: boolean) {
    this.db = db;
    this.file = file;
    this.readonly = readonly;
    this.runs = new RunQueries(db);
    this.series = new SeriesQueries(db);
    this.experiments = new ExperimentQueries(db);
    this.scenarios = new SavedDocumentQueries(db, 'saved_scenarios');
    this.strategies = new SavedDocumentQueries(db, 'saved_strategies');
    this.reports = new ReportQueries(db);
    this.meta = new MetaQueries(db);
    this.transaction = db.transaction((fn: () => unknown) => fn());
    this.recoveredRuns = readonly ? [] : this.recoverInterruptedRuns();
  }

  /**
   * Opens (or creates) the PT Lab database at `file`. The file is identified through a read-only
   * connection before anything writes to it; a damaged file ('corrupt'), another application's
   * database ('foreign') or one from a newer PT Lab ('too-new') is refused and left byte-for-byte unchanged.
   */
  static open(file: string, opts: OpenOptions = {}): LabDb {
    if (opts.readonly && file !== ':memory:' && needsSnapshot(file)) return LabDb.openSnapshot(file, opts);
    return LabDb.openFile(file, opts);
  }

  /** Opens `file`; the LabDb reports itself as `shownAs` (the database a snapshot was copied from). */
  private static openFile(file: string, opts: OpenOptions, shownAs = file): LabDb {
    const readonly = opts.readonly ?? false;
    const timeout = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const base = { nativeBinding: opts.nativeBinding, timeout };
    const inMemory = file === ':memory:';
    if (inMemory && readonly) throw new DbError('readonly', 'an in-memory database cannot be opened read-only');

    if (!inMemory) {
      if (fs.existsSync(file)) {
        LabDb.checkIdentity(file, base);
      } else if (readonly) {
        throw new DbError('not-found', `${file} does not exist`);
      } else {
        try {
          fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        } catch (err) {
          throw new DbError('io', `cannot create the folder for ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }
    }

    let db: Database.Database | undefined;
    try {
      db = new Database(file, readonly ? { ...base, readonly: true, fileMustExist: true } : base);
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
      if (readonly) {
        const version = Number(db.pragma('user_version', { simple: true }));
        if (version < LATEST_VERSION) {
          throw new DbError(
            'needs-upgrade',
            `${file}: database version ${version} is older than this PT Lab (${LATEST_VERSION}); open it once without read-only to upgrade it`,
          );
        }
        db.pragma('query_only = ON');
      } else {
        // WAL lets readers (the UI, a second CLI) work while a run writes. NORMAL (no fsync per commit) keeps
        // every commit across a crash or kill of the process and never corrupts; only a power cut can drop the
        // last commits. FULL would hold the write lock ~20x longer per commit and stall the event loop on fsync.
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        // Keep a WAL that grew during a big save from staying large on disk.
        db.pragma('journal_size_limit = 67108864');
        migrate(db);
      }
      return new LabDb(db, shownAs, readonly);
    } catch (err) {
      db?.close();
      if (err instanceof MigrationRefused) {
        throw err.reason === 'too-new'
          ? tooNewError(file, err.version, LATEST_VERSION)
          : foreignError(file, 'it has tables but no PT Lab identity');
      }
      throw toDbError(err, file);
    }
  }

  /** Identifies an existing file without modifying it; throws unless it is empty or a PT Lab database we can read. */
  private static checkIdentity(file: string, base: { nativeBinding?: string; timeout: number }): void {
    let header: ReturnType<typeof readSqliteHeader>;
    try {
      header = readSqliteHeader(file);
    } catch (err) {
      if (err instanceof DbError) throw err;
      throw new DbError('io', `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (header === null) return;
    // Decide from the raw header when it suffices, so no SQLite connection (and no -wal/-shm) is made at all.
    if (header.applicationId !== 0 && header.applicationId !== PTLAB_APPLICATION_ID) {
      throw foreignError(file, `its application_id is 0x${header.applicationId.toString(16).padStart(8, '0')}, not PT Lab's`);
    }
    if (header.applicationId === PTLAB_APPLICATION_ID && header.userVersion > LATEST_VERSION) {
      throw tooNewError(file, header.userVersion, LATEST_VERSION);
    }
    let probe: Database.Database | undefined;
    try {
      probe = new Database(file, { ...base, readonly: true, fileMustExist: true });
      const identity = identify(probe);
      if (identity.kind === 'foreign') throw foreignError(file, identity.reason);
      if (identity.kind === 'ptlab' && identity.version > LATEST_VERSION) throw tooNewError(file, identity.version, LATEST_VERSION);
      if (fs.statSync(file).size <= QUICK_CHECK_MAX_BYTES) {
        const problems = probe.prepare<[], string>('PRAGMA quick_check(5)').pluck().all();
        if (problems.length !== 1 || problems[0] !== 'ok') throw corruptError(file, `quick_check found: ${problems.join('; ')}`);
      }
    } catch (err) {
      throw toDbError(err, file);
    } finally {
      probe?.close();
    }
  }

  /** Closes the connection; further calls throw DbError 'closed'. */
  close(): void {
    if (this.db.open) this.db.close();
    this.onClose?.();
    this.onClose = undefined;
  }

  /** Cleanup after close (the private copy of a read-only snapshot). */
  private onClose: (() => void) | undefined;

  /**
   * A read-only open of a WAL database that no connection has open (no -shm):
   * SQLite would have to create -wal and -shm beside it, which a read-only
   * directory refuses and a read-only file leaves behind, and this build of
   * SQLite takes no `immutable=1` URI. So the file (and a -wal a crashed
   * writer left) is copied into a private temporary directory and read
   * there; the copy goes on close. Nothing is written beside the database.
   */
  private static openSnapshot(file: string, opts: OpenOptions): LabDb {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-readonly-'));
    const copy = path.join(dir, path.basename(file));
    const removeCopy = (): void => fs.rmSync(dir, { recursive: true, force: true });
    // Also when the process ends without closing (Ctrl-C, an error on the way out).
    process.once('exit', removeCopy);
    const cleanup = (): void => {
      process.removeListener('exit', removeCopy);
      removeCopy();
    };
    try {
      fs.copyFileSync(file, copy);
      if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
      // The copy is private: its -shm and -wal are made in the temporary directory and go with it.
      const db = LabDb.openFile(copy, { ...opts, readonly: true }, file);
      db.onClose = cleanup;
      return db;
    } catch (err) {
      cleanup();
      if (err instanceof DbError) throw new DbError(err.code, err.message.split(copy).join(file), { cause: err });
      if ((err as NodeJS.ErrnoException).code) throw new DbError('io', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
      throw err;
    }
  }

  /** The schema version of the open database (LATEST_VERSION after a read-write open). */
  schemaVersion(): number {
    return this.read(() => Number(this.db.pragma('user_version', { simple: true })));
  }

  /** Runs `fn` in one transaction: everything it writes through this LabDb commits together or not at all. */
  batch<T>(fn: () => T): T {
    return this.write(fn);
  }

  // ---- experiments -------------------------------------------------------------------------

  /** Creates an experiment (a named group of runs) and returns its id. */
  createExperiment(name: string, notes?: string): number {
    expectString(name, 'name', { nonEmpty: true });
    if (notes !== undefined) expectString(notes, 'notes');
    return this.write(() => this.experiments.insert(name, nowIso(), notes ?? null));
  }

  listExperiments(): Experiment[] {
    return this.read(() => this.experiments.list());
  }

  /** Sets an experiment's name and notes. Returns whether it existed. */
  updateExperiment(id: number, name: string, notes: string | null): boolean {
    expectInteger(id, 'id');
    expectString(name, 'name', { nonEmpty: true });
    if (notes !== null) expectString(notes, 'notes');
    return this.write(() => this.experiments.update(id, name, notes));
  }

  /** Deletes an experiment; its runs stay, without an experiment. Returns whether it existed. */
  deleteExperiment(id: number): boolean {
    expectInteger(id, 'id');
    return this.write(() => this.experiments.delete(id));
  }

  // ---- writing a run as it goes ------------------------------------------------------------

  /** Starts a run owned by this process (status 'running') and returns its id. */
  createRun(run: NewRun): string {
    checkRunFields(run, '');
    checkProvenance(run, '');
    const id = run.id ?? crypto.randomUUID();
    return this.write(() => {
      if (run.experimentId != null && !this.experiments.exists(run.experimentId)) {
        throw new DbError('not-found', `experiment ${run.experimentId} does not exist in ${this.file}`);
      }
      if (this.runs.status(id) !== undefined) throw new DbError('conflict', `run ${id} already exists in ${this.file}`);
      this.runs.insertRun({
        id,
        experimentId: run.experimentId ?? null,
        scenario: run.scenario,
        strategy: run.strategy,
        mode: run.mode,
        seed: run.seed,
        status: 'running',
        version: run.version,
        config: run.config,
        schedule: undefined,
        startedAt: run.startedAt === undefined ? nowIso() : isoTimestamp(run.startedAt, 'startedAt'),
        finishedAt: null,
        wallMs: null,
        ownerPid: process.pid,
        ownerHost: os.hostname(),
        error: null,
        note: null,
        strategyKnobs: run.strategyKnobs ?? null,
        sets: run.sets ?? [],
        scenarioFile: run.scenarioFile ?? null,
      });
      return id;
    });
  }

  /**
   * Records what a run was made from (strategy knobs, `--set` overrides,
   * scenario file) when its writer did not pass them to createRun; fields
   * left out keep their stored value.
   */
  setRunProvenance(runId: string, provenance: RunProvenance): void {
    checkProvenance(provenance, '');
    this.write(() => {
      if (!this.runs.setProvenance(runId, provenance)) throw this.runNotFound(runId);
    });
  }

  /** Sets metrics of a run (a key written again replaces the old value). */
  appendMetrics(runId: string, metrics: Readonly<Record<string, number>>): void {
    checkMetrics(metrics, 'metrics');
    this.write(() => {
      this.requireRun(runId);
      this.runs.upsertMetrics(runId, metrics);
    });
  }

  /** Appends points to the run's series named `series.name` (created on first use; the unit must not change). */
  appendSeries(runId: string, series: Series): void {
    expectString(series.name, 'series.name', { nonEmpty: true });
    expectString(series.unit, 'series.unit');
    this.write(() => {
      this.requireRun(runId);
      this.series.append(runId, series);
    });
  }

  /** Records violations and adds them to the run's violation counts. */
  addViolations(runId: string, violations: readonly Violation[]): void {
    violations.forEach((v, index) => validateViolation(v, `violations[${index}]`));
    this.write(() => {
      this.requireRun(runId);
      this.runs.insertViolations(runId, violations);
      const counts = new Map<string, number>();
      for (const v of violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
      this.runs.addCounts(runId, counts);
    });
  }

  /**
   * Sets the run's violation counts as the simulator counted them (every
   * occurrence), where addViolations() stored only the first of each kind.
   */
  setViolationCounts(runId: string, counts: Readonly<Partial<Record<ViolationKind, number>>>): void {
    for (const [kind, n] of Object.entries(counts)) {
      expectOneOf(kind, `violationCounts.${kind}`, VIOLATION_KINDS);
      expectInteger(n, `violationCounts.${kind}`, { min: 0 });
    }
    this.write(() => {
      this.requireRun(runId);
      this.runs.setCounts(runId, counts);
    });
  }

  /** Ends a run with its final status; what it wrote so far stays. */
  finishRun(runId: string, finish: FinishRun): void {
    expectOneOf(finish.status, 'status', FINAL_STATUSES);
    if (finish.wallMs !== null) checkFiniteNumber(finish.wallMs, 'wallMs');
    if (finish.schedule !== undefined) checkSchedule(finish.schedule, 'schedule');
    this.write(() => {
      this.requireRun(runId);
      this.series.compact(runId);
      this.runs.finish(runId, finish.status, nowIso(), finish.wallMs, finish.error ?? null, finish.schedule);
    });
  }

  // ---- whole results -----------------------------------------------------------------------

  /** Saves a whole RunResult in one transaction and returns its id (`result.id` when given, else a new uuid). */
  saveRunResult(result: RunResult, meta: RunMeta): string {
    checkRunResult(result);
    checkRunMeta(meta);
    return this.write(() => this.insertResult(result, meta, process.pid, os.hostname()));
  }

  /**
   * Imports a `ptlab.results/1` document: validates every field first (DbInputError names the first bad one),
   * then writes all runs in one transaction, so a failure writes nothing. Returns the ids in document order.
   */
  importResults(doc: unknown): string[] {
    const { header, runs } = validateResultsDocumentWithMeta(doc);
    return this.write(() => runs.map(({ run, meta }) => this.insertImported(run, meta, header.version)));
  }

  /**
   * Imports a `ptlab.results/1` file read one run at a time, so memory stays
   * bounded by the largest run (see limits.ts), however many runs it holds.
   * Each run is validated before it is written and all of them are written in
   * one transaction: a bad run anywhere (DbInputError naming its field) leaves
   * the database unchanged. Returns the ids in document order.
   */
  importResultsFile(file: string): string[] {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (err) {
      throw new DbError('io', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    if (size > MAX_IMPORT_BYTES) {
      throw new DbError('invalid-input', `${file} is ${formatBytes(size)}, larger than PT Lab's import limit of ${formatBytes(MAX_IMPORT_BYTES)}`);
    }
    return readingFile(file, () => {
      const doc = readResultsFile(file);
      const header = validateResultsHeader(doc.header);
      if (!doc.hasRuns) throw new DbInputError('runs', 'expected an array of runs, but it is missing');
      return this.write(() => {
        const ids = new RunIdSet();
        const out: string[] = [];
        let index = 0;
        for (const value of doc.runs()) {
          const path = `runs[${index++}]`;
          const run = validateRunResult(value, path);
          // A document from PT Lab 0.1 names strategies as 0.1 did (its v6 is today's v5-reviewed).
          run.strategy = currentStrategyName(run.strategy, header.version);
          ids.add(run.id, `${path}.id`);
          out.push(this.insertImported(run, validateRecordedRunMeta(value, path), header.version));
        }
        return out;
      });
    });
  }

  // ---- reading runs ------------------------------------------------------------------------

  /**
   * The run with exactly the metrics, violations, counts, series, schedule
   * and config saved; null if absent. `series: false` leaves the series out
   * (an empty list): a run of 1,000,000 points a series is then a few KB.
   */
  getRun(id: string, opts: { series?: boolean } = {}): StoredRun | null {
    return this.read(() => {
      const row = this.runs.getRunRow(id);
      if (row === undefined) return null;
      const run: StoredRun = {
        id: row.id,
        scenario: row.scenario,
        strategy: row.strategy,
        // Written only through checked paths (typed API or validated import).
        mode: row.mode as StoredRun['mode'],
        seed: row.seed,
        status: row.status as StoredRun['status'],
        violations: this.runs.violations(id),
        violationCounts: this.runs.counts(id),
        metrics: this.runs.metrics(id),
        series: opts.series === false ? [] : this.series.all(id),
        experimentId: row.experiment_id,
        experimentName: row.experiment_name,
        version: row.version,
        startedAt: row.started_at,
        finishedAt: row.finished_at,
        wallMs: row.wall_ms,
        error: row.error,
        ownerPid: row.owner_pid,
        ownerHost: row.owner_host,
        tags: this.runs.tags(id),
        note: row.note,
        strategyKnobs: knobsFromDb(row.strategy_knobs),
        sets: setsFromDb(row.sets),
        scenarioFile: row.scenario_file,
      };
      const schedule = parseSchedule(row.schedule);
      if (schedule !== undefined) run.schedule = schedule;
      const config = jsonFromDb(row.config);
      if (config !== undefined) run.config = config;
      return run;
    });
  }

  /** The full id of the run whose id starts with `prefix` (as `ptlab show 3f2a` needs). */
  resolveRunId(prefix: string): string {
    expectString(prefix, 'id', { nonEmpty: true });
    const ids = this.read(() => this.runs.idsWithPrefix(prefix));
    if (ids.length === 0) throw new DbError('not-found', `no run with id ${prefix} in ${this.file}`);
    if (ids.length > 1 && ids[0] !== prefix) throw new DbError('conflict', `run id ${prefix} is ambiguous in ${this.file}; give more characters`);
    return ids[0];
  }

  /** Compact rows for the run library, newest first unless `order` says otherwise (see RunOrder). */
  listRuns(filter: RunFilter = {}, order: RunOrder = {}): RunListRow[] {
    const checked = checkFilter(filter);
    if (order.sort !== undefined) expectOneOf(order.sort, 'sort', RUN_SORT_KEYS);
    if (order.descending !== undefined && typeof order.descending !== 'boolean') throw new DbInputError('descending', 'expected true or false');
    return this.read(() => this.runs.list(checked, order));
  }

  /** How many runs match `filter` (ignoring limit and offset), for paging. */
  countRuns(filter: RunFilter = {}): number {
    const checked = checkFilter(filter);
    return this.read(() => this.runs.count(checked));
  }

  /** Names, units and point counts of a run's series, without the points. */
  listSeries(runId: string): SeriesInfo[] {
    return this.read(() => this.series.list(runId));
  }

  getSeries(runId: string, name: string): Series | null {
    return this.read(() => this.series.get(runId, name) ?? null);
  }

  // ---- editing the library -----------------------------------------------------------------

  /** Deletes runs with everything they own; returns how many existed. */
  /** The ids of runs that exist, in the order they were saved (the order a listing breaks start-time ties in): what an undo must re-insert them in. */
  inSavedOrder(ids: readonly string[]): string[] {
    const known = ids.flatMap((id) => {
      const rowid = this.runs.rowid(id);
      return rowid === undefined ? [] : [{ id, rowid }];
    });
    return known.sort((a, b) => a.rowid - b.rowid).map((k) => k.id);
  }

  deleteRuns(ids: readonly string[]): number {
    ids.forEach((id, index) => expectString(id, `ids[${index}]`, { nonEmpty: true }));
    return this.write(() => ids.reduce((deleted, id) => deleted + (this.runs.delete(id) ? 1 : 0), 0));
  }

  /**
   * Puts runs back exactly as getRun returned them (the undo of a delete):
   * same ids, statuses, timestamps, owners, metrics, violations, counts,
   * series, schedule, config, provenance, tags and note. Runs whose
   * experiment no longer exists come back without one. All or nothing; a run
   * whose id exists again is a 'conflict'. Give them in the order they were
   * saved (inSavedOrder) and listings order them as before. Returns how many
   * were restored.
   */
  restoreRuns(runs: readonly StoredRun[]): number {
    return this.write(() => {
      for (const run of runs) {
        if (this.runs.status(run.id) !== undefined) throw new DbError('conflict', `run ${run.id} already exists in ${this.file}`);
        this.runs.insertRun({
          id: run.id,
          experimentId: run.experimentId !== null && this.experiments.exists(run.experimentId) ? run.experimentId : null,
          scenario: run.scenario,
          strategy: run.strategy,
          mode: run.mode,
          seed: run.seed,
          status: run.status,
          version: run.version,
          config: run.config,
          schedule: run.schedule,
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          wallMs: run.wallMs,
          ownerPid: run.ownerPid,
          ownerHost: run.ownerHost,
          error: run.error,
          note: run.note,
          strategyKnobs: run.strategyKnobs ?? null,
          sets: run.sets ?? [],
          scenarioFile: run.scenarioFile ?? null,
        });
        this.runs.upsertMetrics(run.id, run.metrics);
        this.runs.insertViolations(run.id, run.violations);
        this.runs.setCounts(run.id, run.violationCounts);
        run.series.forEach((s, index) => this.series.append(run.id, s, `series[${index}]`));
        for (const tag of run.tags) this.runs.addTag(run.id, tag);
      }
      return runs.length;
    });
  }

  addTag(runId: string, tag: string): void {
    checkTag(tag, 'tag');
    this.write(() => {
      this.requireRun(runId);
      this.runs.addTag(runId, tag.trim());
    });
  }

  /** Returns whether the run had the tag. */
  removeTag(runId: string, tag: string): boolean {
    return this.write(() => this.runs.removeTag(runId, tag.trim()));
  }

  /** Sets (or with null/"" clears) the run's note. */
  setNote(runId: string, text: string | null): void {
    if (text !== null) expectString(text, 'note');
    this.write(() => {
      if (!this.runs.setNote(runId, text === '' ? null : text)) throw this.runNotFound(runId);
    });
  }

  /** Saves (or replaces) a named scenario document. */
  saveScenario(name: string, json: unknown): void {
    const text = savedJson(name, json);
    this.write(() => this.scenarios.save(name, text, nowIso()));
  }

  listScenarios(): SavedDocument[] {
    return this.read(() => this.scenarios.list());
  }

  getScenario(name: string): SavedDocument | null {
    return this.read(() => this.scenarios.get(name) ?? null);
  }

  deleteScenario(name: string): boolean {
    return this.write(() => this.scenarios.delete(name));
  }

  /** Saves (or replaces) a named strategy document (a preset's knobs, varied). */
  saveStrategy(name: string, json: unknown): void {
    const text = savedJson(name, json);
    this.write(() => this.strategies.save(name, text, nowIso()));
  }

  listStrategies(): SavedDocument[] {
    return this.read(() => this.strategies.list());
  }

  getStrategy(name: string): SavedDocument | null {
    return this.read(() => this.strategies.get(name) ?? null);
  }

  deleteStrategy(name: string): boolean {
    return this.write(() => this.strategies.delete(name));
  }

  // ---- settings ----------------------------------------------------------------------------

  /** A named setting of this database (e.g. the pinned baseline), or null when unset. */
  getSetting(key: string): string | null {
    expectString(key, 'key', { nonEmpty: true });
    return this.read(() => this.meta.get(SETTING_PREFIX + key) ?? null);
  }

  /** Sets (or with null clears) a named setting. */
  setSetting(key: string, value: string | null): void {
    expectString(key, 'key', { nonEmpty: true });
    if (value !== null) expectString(value, 'value');
    this.write(() => {
      if (value === null) this.meta.delete(SETTING_PREFIX + key);
      else this.meta.set(SETTING_PREFIX + key, value);
    });
  }

  /**
   * SQLite's data_version of this connection: it changes whenever another
   * connection (another process: the CLI, a second app) commits to the file,
   * and not for this connection's own writes. With a counter of its own
   * writes, a caller can tell whether anything it read may have changed.
   */
  dataVersion(): number {
    return this.read(() => Number(this.db.pragma('data_version', { simple: true })));
  }

  /** Stores an exported report and returns its id. */
  saveReport(report: NewReport): number {
    expectOneOf(report.format, 'format', REPORT_FORMATS);
    expectString(report.title, 'title');
    if (typeof report.body !== 'string' && !(report.body instanceof Uint8Array)) {
      throw new DbInputError('body', 'expected a string or bytes');
    }
    (report.runIds ?? []).forEach((id, index) => expectString(id, `runIds[${index}]`, { nonEmpty: true }));
    return this.write(() => this.reports.insert(report, nowIso()));
  }

  /** Reports without their bodies, newest first. */
  listReports(): ReportInfo[] {
    return this.read(() => this.reports.list());
  }

  getReport(id: number): Report | null {
    return this.read(() => this.reports.get(id) ?? null);
  }

  deleteReport(id: number): boolean {
    return this.write(() => this.reports.delete(id));
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * One imported run with what its export carried. A run exported while it
   * was 'running' gets no owner here: the importing process is not its
   * writer, so the next open recovers it as interrupted.
   */
  private insertImported(run: RunResult, meta: RecordedRunMeta, documentVersion: string): string {
    const running = run.status === 'running';
    const { ownerPid, ownerHost, version, ...rest } = meta;
    return this.insertResult(run, { ...rest, version: version ?? documentVersion }, running ? null : (ownerPid ?? null), running ? null : (ownerHost ?? null));
  }

  private insertResult(result: RunResult, meta: RunMeta, ownerPid: number | null, ownerHost: string | null): string {
    const id = result.id ?? crypto.randomUUID();
    if (this.runs.status(id) !== undefined) throw new DbError('conflict', `run ${id} already exists in ${this.file}`);
    if (meta.experimentId != null && !this.experiments.exists(meta.experimentId)) {
      throw new DbError('not-found', `experiment ${meta.experimentId} does not exist in ${this.file}`);
    }
    const experimentId = meta.experimentId ?? (meta.experimentName ? this.experiments.idByNameOrNew(meta.experimentName, nowIso()) : null);
    const running = result.status === 'running';
    const wallMetric = result.metrics['wall.ms'];
    this.runs.insertRun({
      id,
      experimentId,
      scenario: result.scenario,
      strategy: result.strategy,
      mode: result.mode,
      seed: result.seed,
      status: result.status,
      version: meta.version,
      config: result.config,
      schedule: result.schedule,
      startedAt: meta.startedAt === undefined ? nowIso() : isoTimestamp(meta.startedAt, 'startedAt'),
      finishedAt:
        meta.finishedAt === undefined ? (running ? null : nowIso()) : meta.finishedAt === null ? null : isoTimestamp(meta.finishedAt, 'finishedAt'),
      wallMs: meta.wallMs !== undefined ? meta.wallMs : wallMetric !== undefined && Number.isFinite(wallMetric) ? wallMetric : null,
      ownerPid,
      ownerHost,
      error: meta.error ?? null,
      note: meta.note ?? null,
      strategyKnobs: meta.strategyKnobs ?? null,
      sets: meta.sets ?? [],
      scenarioFile: meta.scenarioFile ?? null,
    });
    this.runs.upsertMetrics(id, result.metrics);
    this.runs.insertViolations(id, result.violations);
    this.runs.setCounts(id, result.violationCounts);
    (result.series ?? []).forEach((s, index) => this.series.append(id, s, `series[${index}]`));
    for (const tag of meta.tags ?? []) this.runs.addTag(id, tag.trim());
    return id;
  }

  /**
   * Marks 'running' runs whose writer is gone as 'interrupted', keeping what they wrote. A run is orphaned
   * when it has no owner (imported) or its owner ran on this host and that pid no longer exists; runs owned
   * by another host are left alone, since we cannot tell whether that process lives.
   */
  private recoverInterruptedRuns(): string[] {
    const host = os.hostname();
    const orphans: { id: string; reason: string }[] = [];
    for (const run of this.read(() => this.runs.runningRuns())) {
      if (run.ownerPid === null) {
        orphans.push({ id: run.id, reason: 'interrupted: no process owns this run' });
      } else if (run.ownerHost === host && !processAlive(run.ownerPid)) {
        orphans.push({ id: run.id, reason: `interrupted: the process writing it (pid ${run.ownerPid} on ${host}) ended before it finished` });
      }
    }
    // Most opens find nothing to recover and so never take the write lock.
    if (orphans.length === 0) return [];
    try {
      return this.write(() => {
        const now = nowIso();
        return orphans.filter((orphan) => this.runs.markInterrupted(orphan.id, now, orphan.reason)).map((orphan) => orphan.id);
      });
    } catch (err) {
      // Best effort: another process writing for longer than busy_timeout must not make opening fail;
      // the runs stay 'running' and the next open recovers them.
      if (err instanceof DbError && err.code === 'busy') return [];
      throw err;
    }
  }

  private requireRun(runId: string): void {
    if (this.runs.status(runId) === undefined) throw this.runNotFound(runId);
  }

  private runNotFound(runId: string): DbError {
    return new DbError('not-found', `no run with id ${runId} in ${this.file}`);
  }

  private write<T>(fn: () => T): T {
    return this.guard(() => this.transaction.immediate(fn) as T);
  }

  private read<T>(fn: () => T): T {
    return this.guard(fn);
  }

  /** Maps SQLite's errors to DbError and refuses use after close. */
  private guard<T>(fn: () => T): T {
    if (!this.db.open) throw new DbError('closed', `${this.file} has been closed`);
    try {
      return fn();
    } catch (err) {
      throw toDbError(err, this.file);
    }
  }
}

/** Runs `fn`, which reads `file`; a failure to read it becomes a DbError naming the file (not a bug). */
function readingFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DbError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !code.startsWith('SQLITE_')) throw new DbError('io', `cannot read ${file}: ${code}`, { cause: err });
    throw err;
  }
}

/**
 * Whether a read-only open must read a copy: the file is in WAL mode (header
 * bytes 18/19) and no connection has it open (no -shm), so SQLite would
 * create -wal/-shm beside it. Anything unreadable is left to the normal open's errors.
 */
function needsSnapshot(file: string): boolean {
  try {
    return fs.existsSync(file) && !fs.existsSync(`${file}-shm`) && readSqliteHeader(file)?.walMode === true;
  } catch {
    return false;
  }
}

/** Whether a local process exists: ESRCH means gone; EPERM means it exists under another user. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    return code !== 'ESRCH';
  }
}

// ---- checks on the typed API's arguments (cheap; the import path uses validate.ts on everything) ----

function checkRunFields(run: Pick<NewRun, 'scenario' | 'strategy' | 'mode' | 'seed'>, path: string): void {
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  expectName(run.scenario, at('scenario'));
  expectName(run.strategy, at('strategy'));
  expectOneOf(run.mode, at('mode'), RUN_MODES);
  expectInteger(run.seed, at('seed'));
}

function checkRunResult(result: RunResult): void {
  checkRunFields(result, 'result');
  expectOneOf(result.status, 'result.status', RUN_STATUSES);
  if (result.id !== null) expectString(result.id, 'result.id', { nonEmpty: true });
  checkMetrics(result.metrics, 'result.metrics');
  result.violations.forEach((v, index) => validateViolation(v, `result.violations[${index}]`));
  for (const [kind, n] of Object.entries(result.violationCounts)) {
    expectOneOf(kind, `result.violationCounts.${kind}`, VIOLATION_KINDS);
    expectInteger(n, `result.violationCounts.${kind}`, { min: 0 });
  }
  if (result.schedule !== undefined) checkSchedule(result.schedule, 'result.schedule');
  const names = new Set<string>();
  (result.series ?? []).forEach((s, index) => {
    expectString(s.name, `result.series[${index}].name`, { nonEmpty: true });
    if (names.has(s.name)) throw new DbInputError(`result.series[${index}].name`, `expected a unique series name, got a second "${s.name}"`);
    names.add(s.name);
  });
}

function checkRunMeta(meta: RunMeta): void {
  expectString(meta.version, 'meta.version', { nonEmpty: true });
  checkProvenance(meta, 'meta');
  if (meta.wallMs != null) checkFiniteNumber(meta.wallMs, 'meta.wallMs');
  (meta.tags ?? []).forEach((tag, index) => checkTag(tag, `meta.tags[${index}]`));
}

function checkMetrics(metrics: Readonly<Record<string, number>>, path: string): void {
  for (const [key, value] of Object.entries(metrics)) {
    if (key === '') throw new DbInputError(path, 'expected non-empty metric keys');
    expectSafeKey(key, path);
    // NaN and ±Infinity are allowed: a mean of no samples is NaN, and REAL/NULL keep both exactly.
    if (typeof value !== 'number') throw new DbInputError(`${path}.${key}`, `expected a number, got ${typeof value}`);
  }
}

function checkProvenance(p: RunProvenance, path: string): void {
  const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
  if (p.strategyKnobs != null) validateKnobs(p.strategyKnobs, at('strategyKnobs'));
  if (p.sets !== undefined) validateSets(p.sets, at('sets'));
  if (p.scenarioFile != null) expectString(p.scenarioFile, at('scenarioFile'), { nonEmpty: true });
}

function checkFiniteNumber(value: number, path: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new DbInputError(path, 'expected a finite number');
}

function checkSchedule(schedule: readonly number[], path: string): void {
  if (!Array.isArray(schedule)) throw new DbInputError(path, 'expected an array of integers');
  schedule.forEach((choice, index) => expectInteger(choice, `${path}[${index}]`, { min: 0 }));
}

function checkTag(tag: string, path: string): void {
  // Control characters include runs.ts's TAG_SEPARATOR, which joins tags in the library listing.
  expectTag(tag, path);
}

function checkFilter(filter: RunFilter): RunFilter {
  const checked: RunFilter = { ...filter };
  if (filter.limit !== undefined) expectInteger(filter.limit, 'limit', { min: 0 });
  if (filter.offset !== undefined) expectInteger(filter.offset, 'offset', { min: 0 });
  if (filter.verdict !== undefined) expectOneOf(filter.verdict, 'verdict', ['safe', 'violation']);
  if (filter.status !== undefined) expectOneOf(filter.status, 'status', RUN_STATUSES);
  if (filter.mode !== undefined) expectOneOf(filter.mode, 'mode', RUN_MODES);
  if (filter.since !== undefined) checked.since = isoTimestamp(filter.since, 'since');
  if (filter.until !== undefined) checked.until = isoTimestamp(filter.until, 'until');
  return checked;
}

/** Normalises a date to the stored form (ISO 8601 UTC with milliseconds), so text comparison is time comparison. */
function isoTimestamp(value: string, path: string): string {
  return expectIsoDate(value, path);
}

function savedJson(name: string, json: unknown): string {
  expectString(name, 'name', { nonEmpty: true });
  const text = JSON.stringify(json);
  // JSON.stringify returns undefined for undefined, functions and symbols: nothing to save.
  if (typeof text !== 'string') throw new DbInputError('json', 'expected a JSON value');
  return text;
}
