/**
 * Migration 7: an index per column the Library sorts by that had none (mode,
 * seed, violation count, wall time), each with started_at after it as the
 * listing's tie-break. With them a page of 100,000 runs sorted by any column
 * is read from a covering index (a few ms) instead of a scan of the wide run
 * rows (each holds its scenario document and schedule: ~300 ms a page).
 * scenario, strategy and status have had such indexes since migration 1.
 */

import type Database from 'better-sqlite3';
import type { Migration } from './types.ts';

export const migration007: Migration = {
  version: 7,
  name: 'library-sort-indexes',
  up(db: Database.Database): void {
    db.exec(`
      CREATE INDEX runs_mode ON runs (mode, started_at);
      CREATE INDEX runs_seed ON runs (seed, started_at);
      CREATE INDEX runs_violation_count ON runs (violation_count, started_at);
      CREATE INDEX runs_wall_ms ON runs (wall_ms, started_at);
    `);
  },
};
