/**
 * SQL for time series. A series is a row (run, name, unit, point count) and
 * its points live in chunks of up to CHUNK_POINTS little-endian Float64 values
 * per BLOB (x and y apart): a million points is 16 rows, not a million.
 */

import type Database from 'better-sqlite3';
import type { Series } from '../core/results.ts';
import { decodeFloat64Into, encodeFloat64 } from './codec.ts';
import { DbInputError } from './errors.ts';
import type { SeriesInfo } from './types.ts';

/** 64 Ki points = 512 KiB per BLOB: big enough to amortise the per-row cost, small enough to rewrite cheaply. */
export const CHUNK_POINTS = 65536;

interface SeriesRow {
  id: number;
  name: string;
  unit: string;
  points: number;
}

export class SeriesQueries {
  private readonly findStmt;
  private readonly insertStmt;
  private readonly addPointsStmt;
  private readonly nextSeqStmt;
  private readonly insertChunkStmt;
  private readonly ofRunStmt;
  private readonly chunksStmt;
  private readonly chunkCountStmt;
  private readonly deleteChunksStmt;

  constructor(db: Database.Database) {
    this.findStmt = db.prepare<[string, string], SeriesRow>('SELECT id, name, unit, points FROM series WHERE run_id = ? AND name = ?');
    this.insertStmt = db
      .prepare<[string, string, string], number>('INSERT INTO series (run_id, name, unit, points) VALUES (?, ?, ?, 0) RETURNING id')
      .pluck();
    this.addPointsStmt = db.prepare<[number, number]>('UPDATE series SET points = points + ? WHERE id = ?');
    this.nextSeqStmt = db
      .prepare<[number], number>('SELECT coalesce(max(seq) + 1, 0) FROM series_chunks WHERE series_id = ?')
      .pluck();
    this.insertChunkStmt = db.prepare<[number, number, number, Buffer, Buffer]>(
      'INSERT INTO series_chunks (series_id, seq, points, x, y) VALUES (?, ?, ?, ?, ?)',
    );
    this.ofRunStmt = db.prepare<[string], SeriesRow>('SELECT id, name, unit, points FROM series WHERE run_id = ? ORDER BY id');
    this.chunksStmt = db.prepare<[number], { x: Buffer; y: Buffer }>('SELECT x, y FROM series_chunks WHERE series_id = ? ORDER BY seq');
    this.chunkCountStmt = db.prepare<[number], number>('SELECT count(*) FROM series_chunks WHERE series_id = ?').pluck();
    this.deleteChunksStmt = db.prepare<[number]>('DELETE FROM series_chunks WHERE series_id = ?');
  }

  /** Appends the points of `series` to the run's series of that name, creating it on first use. */
  append(runId: string, series: Series, path = 'series'): void {
    if (series.x.length !== series.y.length) {
      throw new DbInputError(path, `expected x and y of the same length, got ${series.x.length} and ${series.y.length}`);
    }
    let row = this.findStmt.get(runId, series.name);
    if (row === undefined) {
      const id = this.insertStmt.get(runId, series.name, series.unit);
      if (id === undefined) throw new Error('INSERT ... RETURNING id returned no row');
      row = { id, name: series.name, unit: series.unit, points: 0 };
    } else if (row.unit !== series.unit) {
      throw new DbInputError(`${path}.unit`, `expected "${row.unit}" (the unit series "${series.name}" already has), got "${series.unit}"`);
    }
    if (series.x.length === 0) return;
    this.writeChunks(row.id, this.nextSeqStmt.get(row.id) ?? 0, series.x, series.y);
    this.addPointsStmt.run(series.x.length, row.id);
  }

  list(runId: string): SeriesInfo[] {
    return this.ofRunStmt.all(runId).map((row) => ({ name: row.name, unit: row.unit, points: row.points }));
  }

  all(runId: string): Series[] {
    return this.ofRunStmt.all(runId).map((row) => this.read(row));
  }

  get(runId: string, name: string): Series | undefined {
    const row = this.findStmt.get(runId, name);
    return row === undefined ? undefined : this.read(row);
  }

  /**
   * Rewrites the run's series that were appended in many small batches (a live run appends per slice)
   * into full chunks, so reading them later is a handful of rows.
   */
  compact(runId: string): void {
    for (const row of this.ofRunStmt.all(runId)) {
      const chunks = this.chunkCountStmt.get(row.id) ?? 0;
      if (chunks <= Math.ceil(row.points / CHUNK_POINTS)) continue;
      const { x, y } = this.read(row);
      this.deleteChunksStmt.run(row.id);
      this.writeChunks(row.id, 0, x, y);
    }
  }

  private writeChunks(seriesId: number, firstSeq: number, x: readonly number[], y: readonly number[]): void {
    let seq = firstSeq;
    for (let start = 0; start < x.length; start += CHUNK_POINTS) {
      const end = Math.min(x.length, start + CHUNK_POINTS);
      this.insertChunkStmt.run(seriesId, seq++, end - start, encodeFloat64(x, start, end), encodeFloat64(y, start, end));
    }
  }

  private read(row: SeriesRow): Series {
    const x: number[] = [];
    const y: number[] = [];
    for (const chunk of this.chunksStmt.all(row.id)) {
      decodeFloat64Into(chunk.x, x);
      decodeFloat64Into(chunk.y, y);
    }
    return { name: row.name, unit: row.unit, x, y };
  }
}
