import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabDb } from '../../db/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DB_MODULE = pathToFileURL(path.join(ROOT, 'db', 'index.ts')).href;

/**
 * The child: creates a run, then commits batches (metrics + series points) forever, reporting each batch
 * on stdout only after its transaction committed. fs.writeSync keeps the report synchronous on every platform.
 */
const WRITER = `
import fs from 'node:fs';
import { LabDb } from ${JSON.stringify(DB_MODULE)};
const db = LabDb.open(process.env.PTLAB_TEST_DB);
const id = db.createRun({ scenario: 'thread-race', strategy: 'v6', mode: 'timed', seed: 1, version: 'crash-test' });
fs.writeSync(1, 'run ' + id + '\\n');
for (let batch = 0; batch < 100000; batch++) {
  db.batch(() => {
    const metrics = {};
    for (let k = 0; k < 20; k++) metrics['m.' + batch + '.' + k] = batch * 100 + k;
    db.appendMetrics(id, metrics);
    const x = Array.from({ length: 500 }, (_, i) => batch * 500 + i);
    db.appendSeries(id, { name: 'progress', unit: 'ns', x, y: x });
  });
  fs.writeSync(1, 'committed ' + batch + '\\n');
}
`;

function spawnWriter(file: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER], {
    cwd: ROOT,
    env: { ...process.env, PTLAB_TEST_DB: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-crash-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('crash safety', () => {
  it('keeps every committed batch of a writer killed with SIGKILL and marks its run interrupted', async () => {
    const file = path.join(dir, 'lab.db');
    const child = spawnWriter(file);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    let runId = '';
    let lastCommitted = -1;
    const killAfter = 40;
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('run ')) runId = line.slice(4);
        if (line.startsWith('committed ')) lastCommitted = Number(line.slice(10));
      }
      if (lastCommitted >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exit;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(runId).not.toBe('');
    expect(lastCommitted).toBeGreaterThanOrEqual(killAfter);

    const db = LabDb.open(file);
    try {
      expect(db.recoveredRuns).toEqual([runId]);
      const run = db.getRun(runId)!;
      expect(run.status).toBe('interrupted');
      expect(run.error).toMatch(/ended before it finished/);
      expect(run.finishedAt).not.toBeNull();
      // Every batch reported as committed is there, whole: 20 metrics and 500 points each, and no partial batch.
      const batches = Object.keys(run.metrics).length / 20;
      expect(Number.isInteger(batches)).toBe(true);
      expect(batches).toBeGreaterThanOrEqual(lastCommitted + 1);
      for (let batch = 0; batch <= lastCommitted; batch++) expect(run.metrics[`m.${batch}.19`]).toBe(batch * 100 + 19);
      expect(run.series).toHaveLength(1);
      expect(run.series[0].x).toEqual(Array.from({ length: batches * 500 }, (_, i) => i));
      expect(db.listRuns({ status: 'interrupted' }).map((r) => r.id)).toEqual([runId]);
    } finally {
      db.close();
    }

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  });

  it('leaves running runs alone when their writer lives or runs on another host', async () => {
    const file = path.join(dir, 'lab.db');
    const db = LabDb.open(file);
    const mine = db.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: 't' });
    const remote = db.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 2, version: 't' });
    const dead = db.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 3, version: 't' });
    const [imported] = db.importResults({
      schema: 'ptlab.results/1',
      version: '0.0.9',
      runs: [{ id: null, scenario: 's', strategy: 'v6', mode: 'random', seed: 4, status: 'running', violations: [], violationCounts: {}, metrics: {} }],
    });
    db.close();

    // A pid that surely existed and is gone: a child that has exited.
    const gone = spawn(process.execPath, ['-e', '']);
    const deadPid = gone.pid!;
    await new Promise((resolve) => gone.on('exit', resolve));
    const raw = new Database(file);
    raw.prepare("UPDATE runs SET owner_host = 'some-other-host', owner_pid = ? WHERE id = ?").run(deadPid, remote);
    raw.prepare('UPDATE runs SET owner_pid = ? WHERE id = ?').run(deadPid, dead);
    raw.close();

    const reopened = LabDb.open(file);
    try {
      expect([...reopened.recoveredRuns].sort()).toEqual([dead, imported].sort());
      expect(reopened.getRun(mine)!.status).toBe('running');
      expect(reopened.getRun(remote)!.status).toBe('running');
      expect(reopened.getRun(dead)!.status).toBe('interrupted');
      expect(reopened.getRun(imported)!.status).toBe('interrupted');
    } finally {
      reopened.close();
    }
    // A read-only open recovers nothing (it must not write).
    const ro = LabDb.open(file, { readonly: true });
    expect(ro.recoveredRuns).toEqual([]);
    ro.close();
  });
});
