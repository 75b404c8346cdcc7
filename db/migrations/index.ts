/**
 * The ordered list of schema migrations and the routine that applies them.
 * Each migration runs in its own IMMEDIATE transaction and sets
 * `PRAGMA user_version` last, so a crash leaves the database at a whole version.
 */

import type Database from 'better-sqlite3';
import { migration001 } from './001-initial.ts';
import { migration002 } from './002-tags-notes-reports.ts';
import { migration003 } from './003-run-violation-summary.ts';
import { migration004 } from './004-strategy-names-0.2.ts';
import { migration005 } from './005-run-provenance.ts';
import { migration006 } from './006-violation-explanation.ts';
import type { Migration } from './types.ts';

export type { Migration } from './types.ts';

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006];

/** The schema version this build writes and understands. */
export const LATEST_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;

// A gap or reordering would silently skip a step on some databases: fail at import time instead.
MIGRATIONS.forEach((migration, index) => {
  if (migration.version !== index + 1) throw new Error(`migration version ${migration.version} is out of sequence, expected ${index + 1}`);
});
MIGRATIONS.forEach((migration, index) => {
  if (index > 0 && migration.version <= MIGRATIONS[index - 1].version) throw new Error(`migration ${migration.name} is listed out of order`);
});

/** Thrown from inside a migration transaction when the file turns out not to be ours (another process raced us). */
export class MigrationRefused extends Error {
  override name = 'MigrationRefused';
  readonly reason: 'foreign' | 'too-new';
  readonly version: number;

  constructor(reason: 'foreign' | 'too-new', version: number) {
    super(`migration refused: ${reason} (user_version ${version})`);
    this.reason = reason;
    this.version = version;
  }
}

/**
 * Brings `db` up to `target` (default: the latest version), one transaction per migration.
 * Returns the version the database had before. Safe to call from several processes at once:
 * each transaction re-reads user_version under the write lock and skips what another process applied.
 */
export function migrate(db: Database.Database, target: number = LATEST_VERSION): number {
  if (!Number.isInteger(target) || target < 0 || target > LATEST_VERSION) {
    throw new RangeError(`migration target ${target} is not between 0 and ${LATEST_VERSION}`);
  }
  const readVersion = (): number => Number(db.pragma('user_version', { simple: true }));
  const before = readVersion();
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    const step = db.transaction(() => {
      const current = readVersion();
      if (current > LATEST_VERSION) throw new MigrationRefused('too-new', current);
      if (current >= migration.version) return;
      if (current === 0) {
        // Migration 1 only ever runs on an empty file: never lay our schema over another application's tables.
        const objects = db.prepare<[], number>("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").pluck().get();
        if (objects !== 0) throw new MigrationRefused('foreign', current);
      }
      migration.up(db);
      // PRAGMA takes no bound parameters; the value is our own integer constant.
      db.pragma(`user_version = ${migration.version}`);
    });
    step.immediate();
  }
  return before;
}
