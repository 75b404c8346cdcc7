/**
 * Migration 6: a violation's causal chain, as the checkers explain it
 * (core/narrative.ts): its narrative and key steps, as one JSON object
 * {narrative, keySteps}. NULL for violations an older PT Lab recorded.
 */

import type Database from 'better-sqlite3';
import type { Migration } from './types.ts';

export const migration006: Migration = {
  version: 6,
  name: 'violation-explanation',
  up(db: Database.Database): void {
    db.exec('ALTER TABLE violations ADD COLUMN explanation TEXT;');
  },
};
