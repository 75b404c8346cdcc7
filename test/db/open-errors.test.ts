import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DbError, LabDb } from '../../db/index.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-open-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Opens `file` expecting a DbError with `code`; checks the file's bytes did not change and returns the error. */
function expectRefused(file: string, code: string): DbError {
  const before = sha256(file);
  const size = fs.statSync(file).size;
  let caught: unknown;
  try {
    LabDb.open(file).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DbError);
  const error = caught as DbError;
  expect(error.code).toBe(code);
  expect(fs.statSync(file).size).toBe(size);
  expect(sha256(file)).toBe(before);
  // No rollback journal or WAL with content was left next to a refused file.
  expect(fs.existsSync(`${file}-journal`)).toBe(false);
  if (fs.existsSync(`${file}-wal`)) expect(fs.statSync(`${file}-wal`).size).toBe(0);
  return error;
}

/** Deterministic "random" bytes (sha256 chain), so the test prints and checks the same thing every time. */
function pseudoRandomBytes(length: number): Buffer {
  const chunks: Buffer[] = [];
  let block = Buffer.from('ptlab');
  while (chunks.length * 32 < length) {
    block = crypto.createHash('sha256').update(block).digest();
    chunks.push(block);
  }
  return Buffer.concat(chunks).subarray(0, length);
}

describe('opening a file that is not a PT Lab database', () => {
  it('refuses random bytes as corrupt', () => {
    const file = path.join(dir, 'random.db');
    fs.writeFileSync(file, pseudoRandomBytes(8192));
    const error = expectRefused(file, 'corrupt');
    expect(error.message).toBe(`${file} is not a PT Lab database (not SQLite or damaged): it does not start with the SQLite header`);
  });

  it('refuses a truncated header as corrupt', () => {
    const good = path.join(dir, 'good.db');
    LabDb.open(good).close();
    const file = path.join(dir, 'short.db');
    fs.writeFileSync(file, fs.readFileSync(good).subarray(0, 60));
    const error = expectRefused(file, 'corrupt');
    expect(error.message).toMatch(/^.*short\.db is not a PT Lab database \(not SQLite or damaged\): the file is 60 bytes/);
  });

  it('refuses a PT Lab database cut short as corrupt', () => {
    const good = path.join(dir, 'good.db');
    const db = LabDb.open(good);
    db.saveRunResult(
      {
        id: 'r1',
        scenario: 's',
        strategy: 'v6',
        mode: 'timed',
        seed: 1,
        status: 'completed',
        violations: [],
        violationCounts: {},
        metrics: {},
        series: [{ name: 'x', unit: 'ns', x: Array.from({ length: 50_000 }, (_, i) => i), y: Array.from({ length: 50_000 }, (_, i) => i) }],
      },
      { version: '0.1.0' },
    );
    db.close();
    const file = path.join(dir, 'cut.db');
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2 / 4096) * 4096));
    expect(expectRefused(file, 'corrupt').message).toMatch(/is not a PT Lab database \(not SQLite or damaged\): it is truncated/);
  });

  it('refuses a damaged page found by quick_check as corrupt', () => {
    const file = path.join(dir, 'damaged.db');
    const db = LabDb.open(file);
    for (let i = 0; i < 50; i++) {
      db.saveRunResult(
        { id: `run-${i}`, scenario: 's', strategy: 'v6', mode: 'random', seed: i, status: 'completed', violations: [], violationCounts: {}, metrics: { a: i, b: i * 2 } },
        { version: '0.1.0' },
      );
    }
    db.close();
    // Overwrite the middle of page 3 onwards (schema and table b-trees) with junk, keeping the header intact.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    pseudoRandomBytes(pageSize * 2).copy(bytes, pageSize * 2 + 64);
    fs.writeFileSync(file, bytes);
    expect(expectRefused(file, 'corrupt').message).toContain('is not a PT Lab database (not SQLite or damaged)');
  });

  it('refuses another application’s SQLite database as foreign', () => {
    const file = path.join(dir, 'other.sqlite');
    const raw = new Database(file);
    raw.exec("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO contacts (name) VALUES ('Ada')");
    raw.close();
    const error = expectRefused(file, 'foreign');
    expect(error.message).toBe(`${file} is not a PT Lab database: it has tables (contacts) but no PT Lab identity; PT Lab leaves it untouched`);
  });

  it('refuses a WAL-mode foreign database and one marked by another application_id', () => {
    const walFile = path.join(dir, 'other-wal.sqlite');
    let raw = new Database(walFile);
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expectRefused(walFile, 'foreign');

    const marked = path.join(dir, 'marked.sqlite');
    raw = new Database(marked);
    raw.pragma('application_id = 1234');
    raw.close();
    expect(expectRefused(marked, 'foreign').message).toContain('application_id is 0x000004d2');
  });

  it('adopts an empty file and an empty SQLite database', () => {
    const empty = path.join(dir, 'empty.db');
    fs.writeFileSync(empty, '');
    const db = LabDb.open(empty);
    expect(db.listRuns()).toEqual([]);
    db.close();

    const blank = path.join(dir, 'blank.db');
    new Database(blank).close();
    LabDb.open(blank).close();
  });

  it('explains a folder it cannot create', () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'x');
    expect(() => LabDb.open(path.join(blocker, 'lab.db'))).toThrow(expect.objectContaining({ code: 'io', message: expect.stringContaining('cannot create the folder') }));
  });
});
