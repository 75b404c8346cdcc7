/**
 * Migration 1: identity, experiments, runs and what a run produces (metrics,
 * time series, violations), saved scenarios and strategies.
 */

import type Database from 'better-sqlite3';
import { PTLAB_APPLICATION_ID } from '../identity.ts';
import type { Migration } from './types.ts';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db: Database.Database): void {
    db.exec(`
      CREATE TABLE ptlab_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE experiments (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        notes      TEXT
      );

      CREATE TABLE runs (
        id            TEXT PRIMARY KEY,
        experiment_id INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
        scenario      TEXT NOT NULL,
        strategy      TEXT NOT NULL,
        mode          TEXT NOT NULL,
        seed          INTEGER NOT NULL,
        status        TEXT NOT NULL
                      CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'cancelled')),
        version       TEXT NOT NULL,      -- PT Lab version that ran it
        config        TEXT,               -- JSON: the scenario document after overrides
        schedule      TEXT,               -- JSON array: the scheduler's choices, for replay
        started_at    TEXT NOT NULL,      -- ISO 8601 UTC, so text order is time order
        finished_at   TEXT,
        wall_ms       REAL,
        owner_pid     INTEGER,            -- the process writing a 'running' run; see LabDb.open recovery
        owner_host    TEXT,
        error         TEXT
      );
      CREATE INDEX runs_started_at ON runs (started_at);
      CREATE INDEX runs_scenario ON runs (scenario, started_at);
      CREATE INDEX runs_strategy ON runs (strategy, started_at);
      CREATE INDEX runs_status ON runs (status, started_at);
      CREATE INDEX runs_experiment ON runs (experiment_id);

      CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  REAL,                      -- NULL stands for NaN, which SQLite cannot store
        PRIMARY KEY (run_id, key)
      ) WITHOUT ROWID;

      -- A series' points live in chunks of little-endian Float64 BLOBs: one row per point
      -- took 1.5-2.2 s and 29 MB per million points, chunks take ~0.15 s and 16 MB.
      CREATE TABLE series (
        id     INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name   TEXT NOT NULL,
        unit   TEXT NOT NULL,
        points INTEGER NOT NULL DEFAULT 0,
        UNIQUE (run_id, name)
      );
      CREATE TABLE series_chunks (
        id        INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        seq       INTEGER NOT NULL,
        points    INTEGER NOT NULL,
        x         BLOB NOT NULL,
        y         BLOB NOT NULL,
        UNIQUE (series_id, seq)
      );

      CREATE TABLE violations (
        id       INTEGER PRIMARY KEY,
        run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind     TEXT NOT NULL,
        step     INTEGER NOT NULL,
        cpu      INTEGER NOT NULL,
        actor    TEXT NOT NULL,
        function TEXT NOT NULL,
        address  TEXT NOT NULL,
        message  TEXT NOT NULL,
        trace    TEXT NOT NULL            -- JSON array of TraceStep
      );
      CREATE INDEX violations_run ON violations (run_id, id);

      -- Stored, not derived from violations: a run may count more violations than it keeps traces for.
      CREATE TABLE violation_counts (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        kind   TEXT NOT NULL,
        n      INTEGER NOT NULL CHECK (n >= 0),
        PRIMARY KEY (run_id, kind)
      ) WITHOUT ROWID;

      CREATE TABLE saved_scenarios (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        json       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE saved_strategies (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        json       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      PRAGMA application_id = ${PTLAB_APPLICATION_ID};
    `);
    db.prepare('INSERT INTO ptlab_meta (key, value) VALUES (?, ?), (?, ?)').run(
      'application',
      'PT Lab',
      'created_at',
      new Date().toISOString(),
    );
  },
};
