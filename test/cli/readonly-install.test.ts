/**
 * Where it runs (issue 11): a user who cannot write the install runs ptlab.
 * A copy of the checkout, built as `npm install` would build it (`prepare`),
 * is made read-only and root-owned; `nobody` then runs, lists, shows and
 * exports (a timed run too, so the workload worker is loaded) with the
 * database in a directory of its own. Needs root for runuser; otherwise it
 * says so and skips.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

const isRoot = process.getuid?.() === 0 && fs.existsSync('/usr/sbin/runuser') && spawnSync('id', ['-u', 'nobody']).status === 0;
if (!isRoot) console.log('[readonly-install] skipped: running ptlab as another user needs root and runuser');

let copy = '';
let data = '';

/** Everything of the checkout but its node_modules (linked), .git, build output and databases. */
function copyCheckout(to: string): void {
  fs.cpSync(ROOT, to, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(ROOT, src);
      const top = rel.split(path.sep)[0];
      return !['node_modules', '.git', 'dist', 'out', '.bench-out', 'test-results'].includes(top) && !/\.db(-wal|-shm)?$/.test(rel);
    },
  });
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(to, 'node_modules'));
}

function asNobody(args: string[]): SpawnSyncReturns<string> {
  const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, 'bin/ptlab.mjs', ...args], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 110_000,
    env: { PATH: process.env.PATH, HOME: '/nonexistent', CI: 'true', PTLAB_DB: path.join(data, 'lab.db') },
  });
  if (r.error) throw r.error;
  return r;
}

beforeAll(() => {
  if (!isRoot) return;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-ro-install-'));
  fs.chmodSync(base, 0o755);
  copy = path.join(base, 'ptlab');
  copyCheckout(copy);
  // What `npm install` does in a fresh clone: its prepare script builds the CLI.
  const pkg = JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  if (pkg.scripts.prepare) {
    const build = spawnSync('npm', ['run', 'prepare'], { cwd: copy, encoding: 'utf8' });
    expect(build.status, build.stderr + build.stdout).toBe(0);
  }
  spawnSync('chmod', ['-R', 'a+rX,a-w', copy]);
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-ro-data-'));
  fs.chmodSync(data, 0o777);
  console.log(`[readonly-install] read-only copy ${copy}; nobody's database ${data}/lab.db`);
});

afterAll(() => {
  if (!isRoot) return;
  spawnSync('chmod', ['-R', 'u+w', path.dirname(copy)]);
  fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('nobody runs ptlab from a read-only, root-owned checkout', () => {
  it('the checkout is really read-only for nobody', () => {
    const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', 'touch', path.join(copy, 'probe')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });

  it('--version', () => {
    const r = asNobody(['--version']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('run (random) and list', () => {
    const run = asNobody(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--seeds', '2']);
    expect(run.stderr).not.toMatch(/permission denied|EACCES|Failed to write/i);
    expect(run.status, run.stderr).toBe(0);
    const list = asNobody(['list', '--json']);
    expect(list.status, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: unknown[] }).runs).toHaveLength(2);
  });

  it('a timed run loads the workload worker from the build', () => {
    const r = asNobody(['run', '--scenario', 'head-to-head', '--mode', 'timed', '--strategy', 'upstream', '--set', 'run.durationNs=2000000', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { runs: { metrics: Record<string, number> }[] }).runs[0].metrics['vmalloc.ops']).toBeGreaterThan(0);
  });

  it('show and export', () => {
    const list = JSON.parse(asNobody(['list', '--json']).stdout) as { runs: { id: string }[] };
    const id = list.runs[0].id;
    expect(asNobody(['show', id]).status).toBe(0);
    const out = path.join(data, 'r.html');
    const r = asNobody(['export', id, '--format', 'html', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
  });
});
