/**
 * SQL for what the library keeps besides runs: experiments, saved scenario and
 * strategy documents, exported reports and named settings (in ptlab_meta).
 * Row mappers sit beside their SQL.
 */

import type Database from 'better-sqlite3';
import type { Experiment, NewReport, Report, ReportFormat, ReportInfo, SavedDocument } from './types.ts';

interface ExperimentRow {
  id: number;
  name: string;
  created_at: string;
  notes: string | null;
  runs: number;
}

function toExperiment(row: ExperimentRow): Experiment {
  return { id: row.id, name: row.name, createdAt: row.created_at, notes: row.notes, runs: row.runs };
}

export class ExperimentQueries {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly existsStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db
      .prepare<[string, string, string | null], number>('INSERT INTO experiments (name, created_at, notes) VALUES (?, ?, ?) RETURNING id')
      .pluck();
    this.listStmt = db.prepare<[], ExperimentRow>(`
      SELECT e.id, e.name, e.created_at, e.notes,
             (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS runs
      FROM experiments e ORDER BY e.created_at DESC, e.id DESC`);
    this.existsStmt = db.prepare<[number], number>('SELECT 1 FROM experiments WHERE id = ?').pluck();
    this.byNameStmt = db.prepare<[string], number>('SELECT id FROM experiments WHERE name = ? ORDER BY id DESC LIMIT 1').pluck();
    this.updateStmt = db.prepare<[string, string | null, number]>('UPDATE experiments SET name = ?, notes = ? WHERE id = ?');
    // Runs keep their data; the foreign key sets their experiment_id to NULL.
    this.deleteStmt = db.prepare<[number]>('DELETE FROM experiments WHERE id = ?');
  }

  private readonly updateStmt;
  private readonly deleteStmt;

  update(id: number, name: string, notes: string | null): boolean {
    return this.updateStmt.run(name, notes, id).changes > 0;
  }

  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }

  private readonly byNameStmt;

  /** The newest experiment named `name`, or a new one (imports carry experiments by name: ids are per database). */
  idByNameOrNew(name: string, createdAt: string): number {
    return this.byNameStmt.get(name) ?? this.insert(name, createdAt, null);
  }

  insert(name: string, createdAt: string, notes: string | null): number {
    const id = this.insertStmt.get(name, createdAt, notes);
    if (id === undefined) throw new Error('INSERT ... RETURNING id returned no row');
    return id;
  }

  list(): Experiment[] {
    return this.listStmt.all().map(toExperiment);
  }

  exists(id: number): boolean {
    return this.existsStmt.get(id) !== undefined;
  }
}

export type SavedTable = 'saved_scenarios' | 'saved_strategies';

interface SavedRow {
  name: string;
  json: string;
  created_at: string;
  updated_at: string;
}

function toSaved(row: SavedRow): SavedDocument {
  return { name: row.name, json: JSON.parse(row.json) as unknown, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Named JSON documents; one instance per table (scenarios, strategies), which share a layout. */
export class SavedDocumentQueries {
  private readonly upsertStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly deleteStmt;

  // `table` is one of two constants, never user input, so it is safe to place in the SQL text.
  constructor(db: Database.Database, table: SavedTable) {
    this.upsertStmt = db.prepare<[string, string, string, string]>(`
      INSERT INTO ${table} (name, json, created_at, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`);
    this.listStmt = db.prepare<[], SavedRow>(`SELECT name, json, created_at, updated_at FROM ${table} ORDER BY name`);
    this.getStmt = db.prepare<[string], SavedRow>(`SELECT name, json, created_at, updated_at FROM ${table} WHERE name = ?`);
    this.deleteStmt = db.prepare<[string]>(`DELETE FROM ${table} WHERE name = ?`);
  }

  save(name: string, json: string, now: string): void {
    this.upsertStmt.run(name, json, now, now);
  }

  list(): SavedDocument[] {
    return this.listStmt.all().map(toSaved);
  }

  get(name: string): SavedDocument | undefined {
    const row = this.getStmt.get(name);
    return row === undefined ? undefined : toSaved(row);
  }

  delete(name: string): boolean {
    return this.deleteStmt.run(name).changes > 0;
  }
}

interface ReportRow {
  id: number;
  created_at: string;
  format: string;
  title: string;
  run_ids: string;
}

function toReportInfo(row: ReportRow): ReportInfo {
  return {
    id: row.id,
    createdAt: row.created_at,
    // Written only through saveReport, which checks the format.
    format: row.format as ReportFormat,
    title: row.title,
    runIds: JSON.parse(row.run_ids) as string[],
  };
}

export class ReportQueries {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly deleteStmt;

  constructor(db: Database.Database) {
    this.insertStmt = db
      .prepare<[string, string, string, string | Buffer, string], number>(
        'INSERT INTO reports (created_at, format, title, body, run_ids) VALUES (?, ?, ?, ?, ?) RETURNING id',
      )
      .pluck();
    this.listStmt = db.prepare<[], ReportRow>('SELECT id, created_at, format, title, run_ids FROM reports ORDER BY created_at DESC, id DESC');
    this.getStmt = db.prepare<[number], ReportRow & { body: string | Buffer }>(
      'SELECT id, created_at, format, title, run_ids, body FROM reports WHERE id = ?',
    );
    this.deleteStmt = db.prepare<[number]>('DELETE FROM reports WHERE id = ?');
  }

  insert(report: NewReport, createdAt: string): number {
    const body = typeof report.body === 'string' ? report.body : Buffer.from(report.body.buffer, report.body.byteOffset, report.body.byteLength);
    const id = this.insertStmt.get(createdAt, report.format, report.title, body, JSON.stringify(report.runIds ?? []));
    if (id === undefined) throw new Error('INSERT ... RETURNING id returned no row');
    return id;
  }

  list(): ReportInfo[] {
    return this.listStmt.all().map(toReportInfo);
  }

  get(id: number): Report | undefined {
    const row = this.getStmt.get(id);
    return row === undefined ? undefined : { ...toReportInfo(row), body: row.body };
  }

  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}

/** Key/value rows of ptlab_meta (the identity keys and, under a prefix, settings). */
export class MetaQueries {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;

  constructor(db: Database.Database) {
    this.getStmt = db.prepare<[string], string>('SELECT value FROM ptlab_meta WHERE key = ?').pluck();
    this.setStmt = db.prepare<[string, string]>('INSERT INTO ptlab_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.deleteStmt = db.prepare<[string]>('DELETE FROM ptlab_meta WHERE key = ?');
  }

  get(key: string): string | undefined {
    return this.getStmt.get(key);
  }

  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }
}
