/**
 * Read-only databases (issue 11): list, show, export and compare work on a
 * database in a directory the user cannot write, and on a `chmod 444` file,
 * and leave the file unchanged with no -wal/-shm beside it. Run as `nobody`
 * when the tests run as root (root ignores file permissions), else as the
 * current user.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const asRoot = process.getuid?.() === 0;
const nobody = asRoot ? Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim()) : -1;
const canTest = !asRoot || (fs.existsSync('/usr/sbin/runuser') && nobody > 0);
if (!canTest) console.log('[readonly-db] skipped: as root, the test needs runuser and a nobody user');

const base = tmpDir('ptlab-readonly-db-');
afterAll(() => {
  spawnSync('chmod', ['-R', 'u+w', base]);
  rmTmp(base);
});

/** ptlab as a user who cannot write what the test made read-only. */
function ptlab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { PATH: process.env.PATH, HOME: os.tmpdir(), CI: 'true', PTLAB_DB: path.join(base, 'unused.db') };
  const cmd = asRoot ? ['/usr/sbin/runuser', '-u', 'nobody', '--', process.execPath] : [process.execPath];
  const r = spawnSync(cmd[0], [...cmd.slice(1), path.join(ROOT, 'bin/ptlab.mjs'), ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 110_000 });
  if (r.error) throw r.error;
  return r;
}

const sha = (f: string): string => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

interface Case {
  name: string;
  dir: string;
  db: string;
  ids: string[];
  hash: string;
}

/** A database with three runs, written (and closed) by a writer who can. */
function makeDb(name: string): Case {
  const dir = path.join(base, name);
  fs.mkdirSync(dir);
  const db = path.join(dir, 'lab.db');
  const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream,opt2', '--seeds', '2', '--json', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  const ids = (JSON.parse(r.stdout) as { runs: { id: string }[] }).runs.map((x) => x.id);
  return { name, dir, db, ids, hash: '' };
}

const cases: Case[] = [];
const outDir = path.join(base, 'out');

beforeAll(() => {
  if (!canTest) return;
  fs.chmodSync(base, 0o755);
  fs.mkdirSync(outDir, { mode: 0o777 });
  fs.chmodSync(outDir, 0o777);

  // 1. A directory the user cannot write; the file itself is the user's and writable.
  const roDir = makeDb('read-only-dir');
  if (asRoot) fs.chownSync(roDir.db, nobody, -1);
  fs.chmodSync(roDir.dir, 0o555);

  // 2. A chmod 444 file in a directory the user can write.
  const roFile = makeDb('chmod-444');
  fs.chmodSync(roFile.dir, 0o777);
  fs.chmodSync(roFile.db, 0o444);

  for (const c of [roDir, roFile]) {
    expect(fs.existsSync(`${c.db}-wal`) || fs.existsSync(`${c.db}-shm`), `${c.name}: the writer left no -wal/-shm`).toBe(false);
    c.hash = sha(c.db);
    cases.push(c);
  }
  console.log(`[readonly-db] ${cases.map((c) => c.db).join(', ')}, read as ${asRoot ? 'nobody' : 'this user'}`);
});

describe.skipIf(!canTest).each(['read-only-dir', 'chmod-444'])('a database in %s', (name) => {
  const c = (): Case => cases.find((x) => x.name === name)!;

  it('list', () => {
    const r = ptlab(['list', '--json', '--db', c().db]);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { runs: { id: string }[] }).runs.map((x) => x.id).sort()).toEqual([...c().ids].sort());
  });

  it('show', () => {
    const r = ptlab(['show', c().ids[0], '--db', c().db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(c().ids[0]);
  });

  it('export (json and html)', () => {
    const json = path.join(outDir, `${name}.json`);
    const r = ptlab(['export', ...c().ids, '--format', 'json', '--out', json, '--db', c().db]);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(fs.readFileSync(json, 'utf8')) as { runs: unknown[] }).runs).toHaveLength(c().ids.length);
    const html = ptlab(['export', c().ids[0], '--format', 'html', '--out', path.join(outDir, `${name}.html`), '--db', c().db]);
    expect(html.status, html.stderr).toBe(0);
  });

  it('compare', () => {
    const r = ptlab(['compare', c().ids[0], c().ids[1], '--db', c().db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^metric/);
  });

  it('replay <run-id>', () => {
    const r = ptlab(['replay', c().ids[0], '--db', c().db]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('left the file unchanged and no -wal/-shm behind', () => {
    expect(sha(c().db)).toBe(c().hash);
    expect(fs.readdirSync(c().dir).sort()).toEqual(['lab.db']);
  });

  it('a command that writes says the database is read-only (exit 2, one line)', () => {
    const r = ptlab(['delete', c().ids[0], '--db', c().db]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ptlab: .*read-only/);
    expect(sha(c().db)).toBe(c().hash);
  });
});
