import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabDb } from '../../db/index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DB_MODULE = pathToFileURL(path.join(ROOT, 'db', 'index.ts')).href;
const RUNS_PER_CHILD = 60;

/** A child that writes RUNS_PER_CHILD runs the way a live run does: create, metrics, series, violations, finish. */
const WRITER = `
import { LabDb } from ${JSON.stringify(DB_MODULE)};
const db = LabDb.open(process.env.PTLAB_TEST_DB);
const who = process.env.PTLAB_WRITER;
for (let i = 0; i < ${RUNS_PER_CHILD}; i++) {
  const id = db.createRun({ scenario: who, strategy: 'v6', mode: 'random', seed: i, version: 'concurrency-test' });
  db.appendMetrics(id, { 'writer.index': i, 'sim.steps': i * 10 });
  db.appendSeries(id, { name: 's', unit: 'ns', x: [i, i + 1, i + 2], y: [1, 2, 3] });
  db.addViolations(id, [{ kind: 'stale-tlb', step: i, cpu: 0, actor: who, function: 'f', address: '', message: 'm', trace: [] }]);
  db.finishRun(id, { status: 'completed', wallMs: i });
}
db.close();
`;

function runWriter(file: string, name: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', WRITER], {
    cwd: ROOT,
    env: { ...process.env, PTLAB_TEST_DB: file, PTLAB_WRITER: name },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-concurrency-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('two writers on one database', () => {
  it('two LabDb instances in one process see each other’s commits', () => {
    const file = path.join(dir, 'lab.db');
    const a = LabDb.open(file);
    const b = LabDb.open(file);
    try {
      const id = a.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: 't' });
      b.appendMetrics(id, { 'from.b': 1 });
      a.appendMetrics(id, { 'from.a': 2 });
      b.addTag(id, 'shared');
      expect(a.getRun(id)!.metrics).toEqual({ 'from.a': 2, 'from.b': 1 });
      expect(b.listRuns({ tag: 'shared' }).map((r) => r.id)).toEqual([id]);
      // A's open transaction blocks B's writes only until it commits (B would wait busy_timeout, not fail).
      a.batch(() => {
        a.appendMetrics(id, { inside: 3 });
        expect(b.getRun(id)!.metrics.inside).toBeUndefined();
      });
      expect(b.getRun(id)!.metrics.inside).toBe(3);
    } finally {
      a.close();
      b.close();
    }
  });

  it('gives a clear busy error when another connection holds the write lock too long', () => {
    const file = path.join(dir, 'lab.db');
    const a = LabDb.open(file);
    const b = LabDb.open(file, { busyTimeoutMs: 50 });
    try {
      const id = a.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: 't' });
      a.batch(() => {
        a.appendMetrics(id, { x: 1 });
        expect(() => b.appendMetrics(id, { y: 2 })).toThrow(expect.objectContaining({ code: 'busy', message: expect.stringContaining('locked by another process') }));
      });
      expect(b.getRun(id)!.metrics).toEqual({ x: 1 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('three child processes and this one writing at once lose nothing and corrupt nothing', async () => {
    const file = path.join(dir, 'lab.db');
    const parent = LabDb.open(file);
    const writers = Promise.all(['child-a', 'child-b', 'child-c'].map((name) => runWriter(file, name)));
    let done = false;
    void writers.then(() => (done = true));

    // Keep writing from this process until every child has finished, so the writes really overlap. Paced like a
    // live run (a commit every slice): SQLite's write lock is not fair, so a writer looping flat out could starve
    // the others past busy_timeout, which is a test of the scheduler, not of the database.
    let parentRuns = 0;
    while (!done) {
      const id = parent.createRun({ scenario: 'parent', strategy: 'v6', mode: 'random', seed: parentRuns, version: 't' });
      parent.batch(() => {
        parent.appendMetrics(id, { 'writer.index': parentRuns });
        parent.appendSeries(id, { name: 's', unit: 'ns', x: [1, 2], y: [3, 4] });
      });
      parent.finishRun(id, { status: 'completed', wallMs: 1 });
      parentRuns++;
      await sleep(2);
    }
    for (const result of await writers) expect(result).toEqual({ code: 0, stderr: '' });

    try {
      for (const name of ['child-a', 'child-b', 'child-c']) {
        const rows = parent.listRuns({ scenario: name });
        expect(rows).toHaveLength(RUNS_PER_CHILD);
        expect(rows.every((r) => r.status === 'completed' && r.violationCount === 1)).toBe(true);
        expect(rows.map((r) => r.seed).sort((x, y) => x - y)).toEqual(Array.from({ length: RUNS_PER_CHILD }, (_, i) => i));
        const sample = parent.getRun(rows[0].id)!;
        expect(sample.metrics['writer.index']).toBe(sample.seed);
        expect(sample.series[0].x).toEqual([sample.seed, sample.seed + 1, sample.seed + 2]);
      }
      expect(parent.countRuns({ scenario: 'parent' })).toBe(parentRuns);
      // The writes really overlapped: this process started runs while the children were writing theirs.
      const childTimes = parent.listRuns({ text: 'child-' }).map((r) => r.startedAt).sort();
      const overlapping = parent
        .listRuns({ scenario: 'parent' })
        .filter((r) => r.startedAt > childTimes[0] && r.startedAt < childTimes[childTimes.length - 1]);
      expect(overlapping.length).toBeGreaterThan(0);
    } finally {
      parent.close();
    }
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(raw.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
    raw.close();
  });
});
