/**
 * A damaged or foreign database file gets one clear error and is never
 * touched (SPEC §4, §8).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { rmTmp, runCli, sha256, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir();
afterAll(() => rmTmp(dir));

function expectRefused(file: string, args: string[], mention: RegExp): void {
  const before = sha256(file);
  const siblings = fs.readdirSync(dir).sort();
  const r = runCli([...args, '--db', file]);
  expect(r.status, r.stderr).toBe(2);
  expect(r.errLines, JSON.stringify(r.stderr)).toHaveLength(1);
  expect(r.errLines[0]).toMatch(/^ptlab: /);
  expect(r.errLines[0]).toContain(file);
  expect(r.errLines[0]).toMatch(mention);
  expect(sha256(file), 'file bytes unchanged').toBe(before);
  expect(fs.readdirSync(dir).sort(), 'no -wal/-shm/-journal left next to it').toEqual(siblings);
}

describe('ptlab on a file that is not a PT Lab database', () => {
  it('random bytes: list exits 2, file unchanged', () => {
    const file = path.join(dir, 'random.db');
    fs.writeFileSync(file, randomBytes(64 * 1024));
    expectRefused(file, ['list'], /not a PT Lab database|damaged|corrupt/i);
  });

  it('a foreign SQLite database (table foo): list exits 2, file unchanged', () => {
    const file = path.join(dir, 'foreign.db');
    const d = new Database(file);
    d.exec('CREATE TABLE foo (x INTEGER); INSERT INTO foo VALUES (1), (2);');
    d.close();
    expectRefused(file, ['list'], /not a PT Lab database|foreign/i);
    // A run that would write to it is refused too, and nothing is overwritten.
    expectRefused(file, ['run', '--scenario', 'thread-race', '--strategy', 'upstream'], /not a PT Lab database|foreign/i);
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM foo').get()).toEqual({ n: 2 });
    check.close();
  });
});
