/** The shape of one numbered schema migration. */

import type Database from 'better-sqlite3';

export interface Migration {
  /** The `user_version` the database has after this migration. */
  readonly version: number;
  readonly name: string;
  /** Runs inside the migration's transaction; must not commit or set user_version itself. */
  up(db: Database.Database): void;
}
