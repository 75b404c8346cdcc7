import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabDb } from '../../db/index.ts';
import { PTLAB_APPLICATION_ID } from '../../db/identity.ts';
import { LATEST_VERSION, migrate, MIGRATIONS } from '../../db/migrations/index.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-migrations-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Hash of the database file and its journals (what must not change when a file is refused). A missing and an
 * empty WAL mean the same (no pending content): SQLite creates an empty one for a read-only reader.
 */
function fingerprint(file: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const suffix of ['', '-wal', '-journal']) {
    const f = file + suffix;
    const present = fs.existsSync(f) && (suffix === '' || fs.statSync(f).size > 0);
    out[suffix || 'db'] = present ? crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex') : null;
  }
  return out;
}

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all();
}

/** A database at `version` made by the migrations alone, with one run written through version-1 SQL. */
function createAtVersion(file: string, version: number): void {
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  migrate(raw, version);
  raw
    .prepare(
      `INSERT INTO runs (id, scenario, strategy, mode, seed, status, version, config, started_at, finished_at, wall_ms)
       VALUES ('old-run', 'thread-race', 'v6', 'random', 42, 'completed', '0.0.1', '{"cpus":2}', '2024-05-01T00:00:00.000Z', '2024-05-01T00:00:01.000Z', 1000)`,
    )
    .run();
  raw.prepare("INSERT INTO metrics (run_id, key, value) VALUES ('old-run', 'vmalloc.ops', 17)").run();
  raw.prepare("INSERT INTO violation_counts (run_id, kind, n) VALUES ('old-run', 'stale-tlb', 2), ('old-run', 'deadlock', 0)").run();
  // From version 3 on, whoever writes counts keeps the run's summary columns in step (as RunQueries.refreshSummary does).
  if (version >= 3) raw.prepare("UPDATE runs SET violation_count = 2, violation_kinds = 'stale-tlb' WHERE id = 'old-run'").run();
  raw.close();
}

describe('migrations', () => {
  it('are numbered 1..N without gaps, in order', () => {
    const numbers = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(MIGRATIONS.map((m) => m.version)).toEqual([...MIGRATIONS.map((m) => m.version)].sort((a, b) => a - b));
    expect(LATEST_VERSION).toBe(numbers.length);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('create a fresh database at the latest version with PT Lab identity, WAL and foreign keys', () => {
    const file = path.join(dir, 'nested', 'folder', 'fresh.db');
    const db = LabDb.open(file);
    expect(db.schemaVersion()).toBe(LATEST_VERSION);
    db.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(raw.pragma('application_id', { simple: true })).toBe(PTLAB_APPLICATION_ID);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(tables(raw)).toEqual(
      expect.arrayContaining(['ptlab_meta', 'experiments', 'runs', 'metrics', 'series', 'series_chunks', 'violations', 'violation_counts', 'saved_scenarios', 'saved_strategies', 'tags', 'reports']),
    );
    expect(raw.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    raw.close();
  });

  it('are idempotent: reopening changes nothing', () => {
    const file = path.join(dir, 'again.db');
    LabDb.open(file).close();
    const before = fingerprint(file);
    LabDb.open(file).close();
    expect(fingerprint(file)).toEqual(before);
  });

  for (const version of MIGRATIONS.map((m) => m.version).filter((v) => v < LATEST_VERSION)) {
    it(`upgrade a version-${version} database and keep its rows`, () => {
      const file = path.join(dir, `v${version}.db`);
      createAtVersion(file, version);

      const db = LabDb.open(file);
      expect(db.schemaVersion()).toBe(LATEST_VERSION);
      const run = db.getRun('old-run');
      expect(run).toMatchObject({
        scenario: 'thread-race',
        // Migration 4: 0.1's v6 is 0.2's v5-reviewed; a row written after it (version 4 on) already has 0.2's names, where v6 is V6 as posted.
        strategy: version < 4 ? 'v5-reviewed' : 'v6',
        seed: 42,
        status: 'completed',
        version: '0.0.1',
        config: { cpus: 2 },
        metrics: { 'vmalloc.ops': 17 },
        violationCounts: { 'stale-tlb': 2, deadlock: 0 },
        wallMs: 1000,
      });
      // Migration 3 backfilled the run's violation summary from its counts (or a version-3 writer kept it).
      expect(db.listRuns()).toMatchObject([{ id: 'old-run', violationCount: 2, kinds: ['stale-tlb'] }]);
      expect(db.listRuns({ verdict: 'violation' }).map((r) => r.id)).toEqual(['old-run']);
      // Migration 5's provenance columns read as "not recorded" on older rows.
      expect(db.getRun('old-run')).toMatchObject({ strategyKnobs: null, sets: [], scenarioFile: null });
      // What migration 2 added works on the upgraded rows.
      db.addTag('old-run', 'from-v1');
      db.setNote('old-run', 'kept across the upgrade');
      expect(db.getRun('old-run')).toMatchObject({ tags: ['from-v1'], note: 'kept across the upgrade' });
      expect(db.listRuns({ tag: 'from-v1' }).map((r) => r.id)).toEqual(['old-run']);
      db.saveReport({ format: 'text', title: 't', body: 'b' });
      db.close();
    });
  }

  it('set user_version last: a migration that fails leaves the previous version and no half schema', () => {
    const file = path.join(dir, 'half.db');
    createAtVersion(file, 1);
    const raw = new Database(file);
    // Make migration 2 fail halfway: its CREATE TABLE reports collides with this one.
    raw.exec('CREATE TABLE reports (x)');
    expect(() => migrate(raw)).toThrow(/reports/);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(raw)).not.toContain('tags');
    raw.close();
  });

  it('refuse a database from a newer PT Lab and leave it byte-for-byte unchanged', () => {
    const file = path.join(dir, 'future.db');
    LabDb.open(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    const before = fingerprint(file);

    for (const readonly of [false, true]) {
      expect(() => LabDb.open(file, { readonly })).toThrow(
        expect.objectContaining({
          code: 'too-new',
          message: `${file}: database version ${LATEST_VERSION + 1} is newer than this PT Lab (knows up to ${LATEST_VERSION}); upgrade PT Lab`,
        }),
      );
    }
    expect(fingerprint(file)).toEqual(before);
  });

  it('refuse a newer database even when the newer version is still only in the WAL', () => {
    const file = path.join(dir, 'future-wal.db');
    LabDb.open(file).close();
    // Keep a second connection open so the WAL is not checkpointed into the main file on close.
    const holder = new Database(file);
    const writer = new Database(file);
    writer.pragma('wal_autocheckpoint = 0');
    writer.pragma(`user_version = ${LATEST_VERSION + 5}`);
    writer.close();
    const before = fingerprint(file);
    expect(() => LabDb.open(file)).toThrow(expect.objectContaining({ code: 'too-new' }));
    expect(fingerprint(file)).toEqual(before);
    holder.close();
  });

  it('open read-only without writing, and refuse to read-only open an older version', () => {
    const file = path.join(dir, 'ro.db');
    const db = LabDb.open(file);
    db.saveRunResult(
      { id: 'r1', scenario: 's', strategy: 'v6', mode: 'random', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics: {} },
      { version: '0.1.0' },
    );
    db.close();
    const before = fingerprint(file);
    const ro = LabDb.open(file, { readonly: true });
    expect(ro.listRuns().map((r) => r.id)).toEqual(['r1']);
    expect(() => ro.addTag('r1', 'x')).toThrow(expect.objectContaining({ code: 'readonly' }));
    ro.close();
    expect(fingerprint(file)).toEqual(before);

    const old = path.join(dir, 'old.db');
    createAtVersion(old, 1);
    expect(() => LabDb.open(old, { readonly: true })).toThrow(expect.objectContaining({ code: 'needs-upgrade' }));
    expect(() => LabDb.open(path.join(dir, 'missing.db'), { readonly: true })).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
  });
});
