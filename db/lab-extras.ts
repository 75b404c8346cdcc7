/**
 * What the lab API needs from the database beyond LabDb's public methods:
 * putting deleted runs back exactly as they were (undo of a delete), deleting
 * and renaming experiments, and small named settings (the pinned baseline)
 * kept in the `ptlab_meta` table every PT Lab database has since version 1.
 *
 * These reach LabDb's connection from outside the class and reuse its query
 * modules, so each runs inside LabDb.batch (one IMMEDIATE transaction, errors
 * mapped to DbError). They belong in LabDb itself; they live here only
 * because db/ was being changed by someone else when they were written, and
 * move into the class (as methods of the same names) when db/ is next edited.
 */

import type Database from 'better-sqlite3';
import { DbError } from './errors.ts';
import type { LabDb } from './index.ts';
import { RunQueries } from './runs.ts';
import { SeriesQueries } from './series.ts';
import type { StoredRun } from './types.ts';

/** Keys of ptlab_meta that are settings, kept apart from the identity keys ('application', 'created_at'). */
const SETTING_PREFIX = 'setting.';

function connectionOf(db: LabDb): Database.Database {
  const conn = (db as unknown as { db?: Database.Database }).db;
  if (!conn || typeof conn.prepare !== 'function') throw new DbError('closed', `${db.file}: no open connection`);
  if (!conn.open) throw new DbError('closed', `${db.file} has been closed`);
  return conn;
}

/**
 * Inserts runs as `getRun` returned them: same ids, statuses, timestamps,
 * owners, metrics, violations, counts, series, schedule, config, tags and
 * note. Runs whose experiment no longer exists come back without one. All or
 * nothing; a run whose id exists again is a 'conflict'.
 */
export function restoreRuns(db: LabDb, runs: readonly StoredRun[]): number {
  const conn = connectionOf(db);
  return db.batch(() => {
    const q = new RunQueries(conn);
    const series = new SeriesQueries(conn);
    const experimentExists = conn.prepare<[number], number>('SELECT 1 FROM experiments WHERE id = ?').pluck();
    for (const run of runs) {
      if (q.status(run.id) !== undefined) throw new DbError('conflict', `run ${run.id} already exists in ${db.file}`);
      q.insertRun({
        id: run.id,
        experimentId: run.experimentId !== null && experimentExists.get(run.experimentId) !== undefined ? run.experimentId : null,
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
      q.upsertMetrics(run.id, run.metrics);
      q.insertViolations(run.id, run.violations);
      q.setCounts(run.id, run.violationCounts);
      run.series.forEach((s, index) => series.append(run.id, s, `series[${index}]`));
      for (const tag of run.tags) q.addTag(run.id, tag);
    }
    return runs.length;
  });
}

/** Deletes an experiment; its runs stay, without an experiment. Returns whether it existed. */
export function deleteExperiment(db: LabDb, id: number): boolean {
  const conn = connectionOf(db);
  return db.batch(() => conn.prepare<[number]>('DELETE FROM experiments WHERE id = ?').run(id).changes > 0);
}

/** Sets an experiment's name and notes. Returns whether it existed. */
export function updateExperiment(db: LabDb, id: number, name: string, notes: string | null): boolean {
  const conn = connectionOf(db);
  return db.batch(() => conn.prepare<[string, string | null, number]>('UPDATE experiments SET name = ?, notes = ? WHERE id = ?').run(name, notes, id).changes > 0);
}

/** A named setting, or null when unset. */
export function getSetting(db: LabDb, key: string): string | null {
  const conn = connectionOf(db);
  const value = conn.prepare<[string], string>('SELECT value FROM ptlab_meta WHERE key = ?').pluck().get(SETTING_PREFIX + key);
  return value ?? null;
}

/** Sets (or with null clears) a named setting. */
export function setSetting(db: LabDb, key: string, value: string | null): void {
  const conn = connectionOf(db);
  db.batch(() => {
    if (value === null) conn.prepare<[string]>('DELETE FROM ptlab_meta WHERE key = ?').run(SETTING_PREFIX + key);
    else conn.prepare<[string, string]>('INSERT INTO ptlab_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(SETTING_PREFIX + key, value);
  });
}

/**
 * SQLite's data_version of this connection: it changes whenever another
 * connection (another process: the CLI, a second app) commits to the file,
 * and not for this connection's own writes. With a counter of its own
 * writes, a caller can tell whether anything it read may have changed.
 */
export function dataVersion(db: LabDb): number {
  return Number(connectionOf(db).pragma('data_version', { simple: true }));
}
