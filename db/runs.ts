/**
 * SQL for runs and what hangs off them except series: the run row, metrics,
 * violations and their counts, tags and notes, the library listing and the
 * recovery of orphaned runs. Statements are prepared once per connection;
 * row mappers sit beside the SQL they read. Callers own the transactions.
 */

import type Database from 'better-sqlite3';
import type { RunMode, RunStatus, TraceStep, Violation, ViolationKind } from '../core/results.ts';
import { jsonFromDb, jsonToDb, realFromDb, realToDb } from './codec.ts';
import type { RunFilter, RunListRow, RunOrder, RunSortKey } from './types.ts';

export interface RunRow {
  id: string;
  experiment_id: number | null;
  scenario: string;
  strategy: string;
  mode: string;
  seed: number;
  status: string;
  version: string;
  config: string | null;
  schedule: string | null;
  started_at: string;
  finished_at: string | null;
  wall_ms: number | null;
  owner_pid: number | null;
  owner_host: string | null;
  error: string | null;
  note: string | null;
  strategy_knobs: string | null;
  sets: string | null;
  scenario_file: string | null;
  experiment_name: string | null;
}

export interface InsertRunParams {
  id: string;
  experimentId: number | null;
  scenario: string;
  strategy: string;
  mode: RunMode;
  seed: number;
  status: RunStatus;
  version: string;
  config: unknown;
  schedule: number[] | undefined;
  startedAt: string;
  finishedAt: string | null;
  wallMs: number | null;
  ownerPid: number | null;
  ownerHost: string | null;
  error: string | null;
  note: string | null;
  strategyKnobs: object | null;
  sets: readonly string[];
  scenarioFile: string | null;
}

interface ViolationRow {
  kind: string;
  step: number;
  cpu: number;
  actor: string;
  function: string;
  address: string;
  message: string;
  trace: string;
  explanation: string | null;
}

function toViolation(row: ViolationRow): Violation {
  return {
    // The kind was one of VIOLATION_KINDS when written (typed API or validated import).
    kind: row.kind as ViolationKind,
    step: row.step,
    cpu: row.cpu,
    actor: row.actor,
    function: row.function,
    address: row.address,
    message: row.message,
    trace: JSON.parse(row.trace) as TraceStep[],
    ...(row.explanation ? (JSON.parse(row.explanation) as Pick<Violation, 'narrative' | 'keySteps'>) : {}),
  };
}

interface ListRow {
  id: string;
  experiment_id: number | null;
  scenario: string;
  strategy: string;
  mode: string;
  seed: number;
  status: string;
  started_at: string;
  finished_at: string | null;
  wall_ms: number | null;
  violation_count: number;
  /** Already sorted (migration 3 keeps it so). */
  kinds: string | null;
  tags: string | null;
  strategy_knobs: string | null;
  sets: string | null;
  scenario_file: string | null;
}

/** Tags are joined with the ASCII unit separator, which addTag refuses inside a tag. */
export const TAG_SEPARATOR = '\u001f';

function toListRow(row: ListRow): RunListRow {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    scenario: row.scenario,
    strategy: row.strategy,
    mode: row.mode as RunMode,
    seed: row.seed,
    status: row.status as RunStatus,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    wallMs: row.wall_ms,
    violationCount: row.violation_count,
    kinds: row.kinds === null ? [] : (row.kinds.split(',') as ViolationKind[]),
    tags: row.tags === null ? [] : row.tags.split(TAG_SEPARATOR).sort(),
    strategyKnobs: knobsFromDb(row.strategy_knobs),
    sets: setsFromDb(row.sets),
    scenarioFile: row.scenario_file,
  };
}

/** Knobs are stored with sorted keys, so equal designs are equal text. */
export function knobsToDb(value: object | null | undefined): string | null {
  const knobs = value as Readonly<Record<string, unknown>> | null | undefined;
  if (knobs === null || knobs === undefined) return null;
  return JSON.stringify(Object.fromEntries(Object.keys(knobs).sort().map((k) => [k, knobs[k]])));
}

export function knobsFromDb(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

function setsToDb(sets: readonly string[] | undefined): string | null {
  return sets === undefined || sets.length === 0 ? null : JSON.stringify(sets);
}

export function setsFromDb(text: string | null): string[] {
  return text === null ? [] : (JSON.parse(text) as string[]);
}

/** Escapes LIKE wildcards so `text` matches literally. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type ListParams = Record<string, string | number>;

/** The column behind each sort key; fixed text, never user input. */
const SORT_COLUMNS: Record<RunSortKey, string> = {
  startedAt: 'r.started_at',
  scenario: 'r.scenario',
  strategy: 'r.strategy',
  mode: 'r.mode',
  seed: 'r.seed',
  status: 'r.status',
  violations: 'r.violation_count',
  wallMs: 'r.wall_ms',
};

const DEFAULT_ORDER = 'r.started_at DESC, r.rowid DESC';

/**
 * The ORDER BY of a listing: the column, then start time and insertion
 * order in the same direction, so every order reads an index (migration 6)
 * and ascending is the mirror image of descending. Runs without a wall time
 * (still in flight) come last either way.
 */
function orderBy(order: RunOrder): string {
  const sort = order.sort ?? 'startedAt';
  const dir = order.descending === false ? 'ASC' : 'DESC';
  if (sort === 'startedAt') return dir === 'DESC' ? DEFAULT_ORDER : 'r.started_at ASC, r.rowid ASC';
  const column = SORT_COLUMNS[sort];
  if (column === undefined) throw new Error(`unknown sort key ${String(sort)}`);
  return `${column} ${dir}${sort === 'wallMs' && dir === 'ASC' ? ' NULLS LAST' : ''}, r.started_at ${dir}, r.rowid ${dir}`;
}

export class RunQueries {
  private readonly insertRunStmt;
  private readonly getRunStmt;
  private readonly statusStmt;
  private readonly rowidStmt;
  private readonly finishStmt;
  private readonly deleteStmt;
  private readonly runningStmt;
  private readonly interruptStmt;
  private readonly upsertMetricStmt;
  private readonly metricsStmt;
  private readonly insertViolationStmt;
  private readonly violationsStmt;
  private readonly addCountStmt;
  private readonly setCountStmt;
  private readonly countsStmt;
  private readonly refreshSummaryStmt;
  private readonly addTagStmt;
  private readonly removeTagStmt;
  private readonly tagsStmt;
  private readonly setNoteStmt;
  private readonly setProvenanceStmt;
  private readonly prefixStmt;
  /** listRuns statements by the shape of their WHERE clause: each shape is prepared once. */
  private readonly listStmts = new Map<string, Database.Statement<[ListParams], ListRow>>();
  private readonly countStmts = new Map<string, Database.Statement<[ListParams], number>>();

  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
    this.insertRunStmt = db.prepare<[Record<string, string | number | null>]>(`
      INSERT INTO runs (id, experiment_id, scenario, strategy, mode, seed, status, version, config, schedule,
                        started_at, finished_at, wall_ms, owner_pid, owner_host, error, note,
                        strategy_knobs, sets, scenario_file)
      VALUES (@id, @experimentId, @scenario, @strategy, @mode, @seed, @status, @version, @config, @schedule,
              @startedAt, @finishedAt, @wallMs, @ownerPid, @ownerHost, @error, @note,
              @strategyKnobs, @sets, @scenarioFile)`);
    this.getRunStmt = db.prepare<[string], RunRow>(`
      SELECT id, experiment_id, scenario, strategy, mode, seed, status, version, config, schedule,
             started_at, finished_at, wall_ms, owner_pid, owner_host, error, note,
             strategy_knobs, sets, scenario_file,
             (SELECT e.name FROM experiments e WHERE e.id = runs.experiment_id) AS experiment_name
      FROM runs WHERE id = ?`);
    this.setProvenanceStmt = db.prepare<[Record<string, string | null>]>(`
      UPDATE runs SET strategy_knobs = coalesce(@strategyKnobs, strategy_knobs), sets = coalesce(@sets, sets),
                      scenario_file = coalesce(@scenarioFile, scenario_file)
      WHERE id = @id`);
    this.statusStmt = db.prepare<[string], string>('SELECT status FROM runs WHERE id = ?').pluck();
    this.rowidStmt = db.prepare<[string], number>('SELECT rowid FROM runs WHERE id = ?').pluck();
    this.finishStmt = db.prepare<[Record<string, string | number | null>]>(`
      UPDATE runs
      SET status = @status, finished_at = @finishedAt, wall_ms = @wallMs, error = @error,
          schedule = coalesce(@schedule, schedule)
      WHERE id = @id`);
    this.deleteStmt = db.prepare<[string]>('DELETE FROM runs WHERE id = ?');
    this.runningStmt = db.prepare<[], { id: string; owner_pid: number | null; owner_host: string | null }>(
      "SELECT id, owner_pid, owner_host FROM runs WHERE status = 'running'",
    );
    // Re-checks status so a run that finished between the scan and the update keeps its final status.
    this.interruptStmt = db.prepare<[string, string, string]>(`
      UPDATE runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?), error = coalesce(error, ?)
      WHERE id = ? AND status = 'running'`);

    this.upsertMetricStmt = db.prepare<[string, string, number | null]>(`
      INSERT INTO metrics (run_id, key, value) VALUES (?, ?, ?)
      ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value`);
    this.metricsStmt = db.prepare<[string], { key: string; value: number | null }>(
      'SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key',
    );

    this.insertViolationStmt = db.prepare<[string, string, number, number, string, string, string, string, string, string | null]>(`
      INSERT INTO violations (run_id, kind, step, cpu, actor, function, address, message, trace, explanation)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.violationsStmt = db.prepare<[string], ViolationRow>(`
      SELECT kind, step, cpu, actor, function, address, message, trace, explanation
      FROM violations WHERE run_id = ? ORDER BY id`);
    this.addCountStmt = db.prepare<[string, string, number]>(`
      INSERT INTO violation_counts (run_id, kind, n) VALUES (?, ?, ?)
      ON CONFLICT (run_id, kind) DO UPDATE SET n = n + excluded.n`);
    this.setCountStmt = db.prepare<[string, string, number]>(`
      INSERT INTO violation_counts (run_id, kind, n) VALUES (?, ?, ?)
      ON CONFLICT (run_id, kind) DO UPDATE SET n = excluded.n`);
    this.countsStmt = db.prepare<[string], { kind: string; n: number }>(
      'SELECT kind, n FROM violation_counts WHERE run_id = ? ORDER BY kind',
    );
    this.refreshSummaryStmt = db.prepare<[{ runId: string }]>(`
      UPDATE runs SET
        violation_count = (SELECT coalesce(sum(c.n), 0) FROM violation_counts c WHERE c.run_id = @runId),
        violation_kinds = (SELECT group_concat(c.kind, ',' ORDER BY c.kind) FROM violation_counts c
                           WHERE c.run_id = @runId AND c.n > 0)
      WHERE id = @runId`);

    this.addTagStmt = db.prepare<[string, string]>('INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)');
    this.removeTagStmt = db.prepare<[string, string]>('DELETE FROM tags WHERE run_id = ? AND tag = ?');
    this.tagsStmt = db.prepare<[string], string>('SELECT tag FROM tags WHERE run_id = ? ORDER BY tag').pluck();
    this.setNoteStmt = db.prepare<[string | null, string]>('UPDATE runs SET note = ? WHERE id = ?');
    // A range on the primary key, so resolving a short id prefix uses the index.
    this.prefixStmt = db.prepare<[string, string], string>('SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 2').pluck();
  }

  insertRun(p: InsertRunParams): void {
    this.insertRunStmt.run({
      id: p.id,
      experimentId: p.experimentId,
      scenario: p.scenario,
      strategy: p.strategy,
      mode: p.mode,
      seed: p.seed,
      status: p.status,
      version: p.version,
      config: jsonToDb(p.config),
      schedule: jsonToDb(p.schedule),
      startedAt: p.startedAt,
      finishedAt: p.finishedAt,
      wallMs: p.wallMs,
      ownerPid: p.ownerPid,
      ownerHost: p.ownerHost,
      error: p.error,
      note: p.note,
      strategyKnobs: knobsToDb(p.strategyKnobs),
      sets: setsToDb(p.sets),
      scenarioFile: p.scenarioFile,
    });
  }

  /** Records what a run was made from; fields not given keep their stored value. */
  setProvenance(id: string, p: { strategyKnobs?: object | null; sets?: readonly string[]; scenarioFile?: string | null }): boolean {
    return this.setProvenanceStmt.run({ id, strategyKnobs: knobsToDb(p.strategyKnobs), sets: setsToDb(p.sets), scenarioFile: p.scenarioFile ?? null }).changes > 0;
  }

  getRunRow(id: string): RunRow | undefined {
    return this.getRunStmt.get(id);
  }

  /** The run's insertion order (listings break ties of start time with it), or undefined. */
  rowid(id: string): number | undefined {
    return this.rowidStmt.get(id);
  }

  status(id: string): RunStatus | undefined {
    return this.statusStmt.get(id) as RunStatus | undefined;
  }

  finish(id: string, status: RunStatus, finishedAt: string, wallMs: number | null, error: string | null, schedule: number[] | undefined): void {
    this.finishStmt.run({ id, status, finishedAt, wallMs, error, schedule: jsonToDb(schedule) });
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  runningRuns(): { id: string; ownerPid: number | null; ownerHost: string | null }[] {
    return this.runningStmt.all().map((row) => ({ id: row.id, ownerPid: row.owner_pid, ownerHost: row.owner_host }));
  }

  markInterrupted(id: string, finishedAt: string, reason: string): boolean {
    return this.interruptStmt.run(finishedAt, reason, id).changes > 0;
  }

  upsertMetrics(runId: string, metrics: Readonly<Record<string, number>>): void {
    for (const [key, value] of Object.entries(metrics)) this.upsertMetricStmt.run(runId, key, realToDb(value));
  }

  metrics(runId: string): Record<string, number> {
    return Object.fromEntries(this.metricsStmt.all(runId).map((row) => [row.key, realFromDb(row.value)]));
  }

  insertViolations(runId: string, violations: readonly Violation[]): void {
    for (const v of violations) {
      const explanation = v.narrative !== undefined || v.keySteps !== undefined ? JSON.stringify({ narrative: v.narrative, keySteps: v.keySteps }) : null;
      this.insertViolationStmt.run(runId, v.kind, v.step, v.cpu, v.actor, v.function, v.address, v.message, JSON.stringify(v.trace), explanation);
    }
  }

  violations(runId: string): Violation[] {
    return this.violationsStmt.all(runId).map(toViolation);
  }

  addCounts(runId: string, counts: ReadonlyMap<string, number>): void {
    for (const [kind, n] of counts) this.addCountStmt.run(runId, kind, n);
    this.refreshSummaryStmt.run({ runId });
  }

  setCounts(runId: string, counts: Readonly<Partial<Record<ViolationKind, number>>>): void {
    for (const [kind, n] of Object.entries(counts)) {
      if (n !== undefined) this.setCountStmt.run(runId, kind, n);
    }
    this.refreshSummaryStmt.run({ runId });
  }

  counts(runId: string): Partial<Record<ViolationKind, number>> {
    return Object.fromEntries(this.countsStmt.all(runId).map((row) => [row.kind, row.n]));
  }

  addTag(runId: string, tag: string): void {
    this.addTagStmt.run(runId, tag);
  }

  removeTag(runId: string, tag: string): boolean {
    return this.removeTagStmt.run(runId, tag).changes > 0;
  }

  tags(runId: string): string[] {
    return this.tagsStmt.all(runId);
  }

  setNote(runId: string, note: string | null): boolean {
    return this.setNoteStmt.run(note, runId).changes > 0;
  }

  /** Up to two ids starting with `prefix` (two is enough to tell "unique" from "ambiguous"). */
  idsWithPrefix(prefix: string): string[] {
    return this.prefixStmt.all(prefix, `${prefix}\uffff`);
  }

  /**
   * One page of the library in `order`. The default order (newest first)
   * reads the started_at index directly. Other orders pick the page's rowids
   * first (a top-N sort over the matching rows, touching no other table) and
   * only then gather the page's columns and tags: gathering tags for every
   * matching row before sorting would cost a subquery per row.
   */
  list(filter: RunFilter, order: RunOrder = {}): RunListRow[] {
    const { where, params } = this.whereClause(filter);
    const by = orderBy(order);
    const key = `${where}\u0000${by}`;
    let statement = this.listStmts.get(key);
    if (statement === undefined) {
      const columns = `r.id, r.experiment_id, r.scenario, r.strategy, r.mode, r.seed, r.status,
               r.started_at, r.finished_at, r.wall_ms, r.violation_count, r.violation_kinds AS kinds,
               (SELECT group_concat(t.tag, char(31)) FROM tags t WHERE t.run_id = r.id) AS tags,
               r.strategy_knobs, r.sets, r.scenario_file`;
      statement =
        by === DEFAULT_ORDER
          ? this.db.prepare<[ListParams], ListRow>(`SELECT ${columns} FROM runs r ${where} ORDER BY ${by} LIMIT @limit OFFSET @offset`)
          : this.db.prepare<[ListParams], ListRow>(`
              SELECT ${columns}
              FROM (SELECT r.rowid AS rid FROM runs r ${where} ORDER BY ${by} LIMIT @limit OFFSET @offset) AS page
              JOIN runs r ON r.rowid = page.rid
              ORDER BY ${by}`);
      this.listStmts.set(key, statement);
    }
    // LIMIT -1 is SQLite's "no limit".
    return statement.all({ ...params, limit: filter.limit ?? -1, offset: filter.offset ?? 0 }).map(toListRow);
  }

  count(filter: RunFilter): number {
    const { where, params } = this.whereClause(filter);
    let statement = this.countStmts.get(where);
    if (statement === undefined) {
      statement = this.db.prepare<[ListParams], number>(`SELECT count(*) FROM runs r ${where}`).pluck();
      this.countStmts.set(where, statement);
    }
    return statement.get(params) ?? 0;
  }

  /** The WHERE clause for `filter`, built only from fixed fragments; every value is a bound parameter. */
  private whereClause(filter: RunFilter): { where: string; params: ListParams } {
    const conditions: string[] = [];
    const params: ListParams = {};
    if (filter.scenario !== undefined) {
      conditions.push('r.scenario = @scenario');
      params.scenario = filter.scenario;
    }
    if (filter.strategy !== undefined) {
      conditions.push('r.strategy = @strategy');
      params.strategy = filter.strategy;
    }
    if (filter.mode !== undefined) {
      conditions.push('r.mode = @mode');
      params.mode = filter.mode;
    }
    if (filter.status !== undefined) {
      conditions.push('r.status = @status');
      params.status = filter.status;
    }
    if (filter.experimentId !== undefined) {
      conditions.push('r.experiment_id = @experimentId');
      params.experimentId = filter.experimentId;
    }
    if (filter.verdict === 'violation') conditions.push('r.violation_count > 0');
    if (filter.verdict === 'safe') conditions.push("r.status = 'completed' AND r.violation_count = 0");
    if (filter.tag !== undefined) {
      conditions.push('EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag = @tag)');
      params.tag = filter.tag;
    }
    if (filter.since !== undefined) {
      conditions.push('r.started_at >= @since');
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      conditions.push('r.started_at < @until');
      params.until = filter.until;
    }
    if (filter.text !== undefined && filter.text !== '') {
      conditions.push(`(r.id LIKE @text ESCAPE '\\' OR r.scenario LIKE @text ESCAPE '\\' OR r.strategy LIKE @text ESCAPE '\\'
        OR r.note LIKE @text ESCAPE '\\' OR r.error LIKE @text ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag LIKE @text ESCAPE '\\'))`);
      params.text = likePattern(filter.text);
    }
    return { where: conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`, params };
  }
}

export function parseSchedule(text: string | null): number[] | undefined {
  return jsonFromDb(text) as number[] | undefined;
}
