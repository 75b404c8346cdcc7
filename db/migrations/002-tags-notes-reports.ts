/** Migration 2: tags and a note on runs, and saved reports. */

import type Database from 'better-sqlite3';
import type { Migration } from './types.ts';

export const migration002: Migration = {
  version: 2,
  name: 'tags-notes-reports',
  up(db: Database.Database): void {
    db.exec(`
      CREATE TABLE tags (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        tag    TEXT NOT NULL,
        PRIMARY KEY (run_id, tag)
      ) WITHOUT ROWID;
      CREATE INDEX tags_tag ON tags (tag, run_id);

      ALTER TABLE runs ADD COLUMN note TEXT;

      CREATE TABLE reports (
        id         INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        format     TEXT NOT NULL,         -- 'html', 'pdf', 'csv', 'json', 'markdown', 'text'
        title      TEXT NOT NULL,
        body       NOT NULL,              -- TEXT, or BLOB for binary formats (pdf)
        run_ids    TEXT NOT NULL DEFAULT '[]'  -- JSON array of the runs it reports on
      );
      CREATE INDEX reports_created_at ON reports (created_at);
    `);
  },
};
