/**
 * LabDb.open(file, { readonly: true }) writes nothing beside the file (issue
 * 11): a WAL database that no connection has open is read from a private
 * copy, so no -wal/-shm appear next to it (a read-only directory could not
 * take them; a chmod 444 file would keep them), and errors still name the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabDb } from '../../db/index.ts';
import { migrate } from '../../db/migrations/index.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-readonly-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('read-only open', () => {
  it('reads a closed WAL database without creating -wal or -shm, and removes its copy on close', () => {
    const file = path.join(dir, 'lab.db');
    const w = LabDb.open(file);
    const id = w.createRun({ scenario: 's', strategy: 'upstream', mode: 'random', seed: 1, version: 't' });
    w.close();
    expect(fs.readdirSync(dir)).toEqual(['lab.db']);
    const before = fs.readFileSync(file);
    const tmpBefore = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('ptlab-readonly-')).length;

    const r = LabDb.open(file, { readonly: true });
    expect(r.file).toBe(file);
    expect(r.getRun(id)!.scenario).toBe('s');
    expect(fs.readdirSync(dir)).toEqual(['lab.db']);
    r.close();
    expect(fs.readdirSync(dir)).toEqual(['lab.db']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('ptlab-readonly-')).length).toBe(tmpBefore);
  });

  it('an error names the database, not the private copy', () => {
    const file = path.join(dir, 'old.db');
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    migrate(raw, 1);
    raw.close();
    expect(() => LabDb.open(file, { readonly: true })).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: database version 1 is older`));
  });
});
