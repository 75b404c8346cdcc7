/**
 * Migration 5: what a run was made from, beside its ids, so history can tell
 * a variant or a modified scenario from the preset: the strategy's knobs
 * (JSON object, keys sorted), the `--set` overrides (JSON array of
 * `path=value`) and the scenario file (NULL for a preset). NULL where an
 * older PT Lab did not record them.
 */

import type Database from 'better-sqlite3';
import type { Migration } from './types.ts';

export const migration005: Migration = {
  version: 5,
  name: 'run-provenance',
  up(db: Database.Database): void {
    db.exec(`
      ALTER TABLE runs ADD COLUMN strategy_knobs TEXT;
      ALTER TABLE runs ADD COLUMN sets TEXT;
      ALTER TABLE runs ADD COLUMN scenario_file TEXT;
    `);
  },
};
