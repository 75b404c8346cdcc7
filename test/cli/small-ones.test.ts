/**
 * The small ones of issue 11: --save-trace saves the trace that was printed;
 * --report and --save-trace say which file they wrote; explore --save-trace
 * stops advising --save-trace; `npm start` replaces its previous demo's runs;
 * `--seeds -1` says "must be ≥ 1"; "1 leaked page" in reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { buildCharts } from '../../electron/report/index.ts';
import { ROOT, rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-small-');
afterAll(() => rmTmp(dir));

interface TraceDoc {
  seed: number;
  expect: { kind: string; step: number };
  trace: { step: number; function: string }[];
}

describe('--save-trace saves exactly the trace that was printed', () => {
  it('thread-race v5-reviewed (0.1\'s v6), seeds 1..30: same seed, kind, step and steps as the first printed trace', () => {
    const file = path.join(dir, 'race.json');
    console.log('[small] thread-race v5-reviewed seeds 1..30 --save-trace');
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', '30', '--save-trace', file, '--no-save']);
    expect(r.status, r.stderr).toBe(0);
    const head = /^([a-z-]+): v5-reviewed, random seed (\d+), at step (\d+)$/m.exec(r.stdout);
    expect(head, 'a printed trace').not.toBeNull();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceDoc;
    expect({ seed: saved.seed, kind: saved.expect.kind, step: saved.expect.step }).toEqual({ seed: Number(head![2]), kind: head![1], step: Number(head![3]) });
    // The printed table's step column, in order, is the saved trace's.
    // The table is the first block after the heading that starts with its header (the narrative and key steps come before it).
    const printed = r.stdout
      .slice(head!.index)
      .split('\n\n')
      .find((b) => b.startsWith('step '))!;
    const printedSteps = printed
      .split('\n')
      .slice(2)
      .map((l) => /^(\d+)/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
    expect(printedSteps).toEqual(saved.trace.map((s) => s.step));
    expect(r.stderr).toContain(file);
    const replay = runCli(['replay', file]);
    expect(replay.status, replay.stderr).toBe(0);
  });
});

describe('writing files says which', () => {
  it('--report prints the file it wrote (on stderr, so --json stays clean)', () => {
    const file = path.join(dir, 'r.html');
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--report', file, '--json', '--no-save']);
    expect(r.status, r.stderr).toBe(0);
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(r.stderr).toMatch(new RegExp(`wrote .*${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  });

  it('explore --save-trace says where the counterexample went and does not advise --save-trace', () => {
    const file = path.join(dir, 'cx.json');
    const r = runCli(['explore', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--kinds', 'uaf-table-write', '--save-trace', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(file)).toBe(true);
    expect(r.stdout).not.toMatch(/keep it with --save-trace/);
    expect(r.stdout + r.stderr).toContain(file);
  });

  it('explore without --save-trace still advises it', () => {
    const r = runCli(['explore', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--kinds', 'uaf-table-write']);
    expect(r.stdout).toMatch(/--save-trace/);
  });
});

describe('flags', () => {
  it.each([
    ['--seeds', '-1', '--seeds: must be ≥ 1, got -1'],
    ['--seeds', '0', '--seeds: must be ≥ 1, got 0'],
    ['--cpus', '0', '--cpus: must be ≥ 1, got 0'],
    ['--cpus', '999', '--cpus: must be ≤ 256, got 999'],
  ])('%s %s', (flag, value, message) => {
    const r = runCli(['run', '--scenario', 'thread-race', flag, value, '--no-save']);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([`ptlab: ${message}`]);
  });
});

describe('reports count in the singular too', () => {
  it('"1 leaked page", "2 leaked pages"', () => {
    const run = (seed: number, leaked: number): RunResult => ({ id: null, scenario: 's', strategy: `s${seed}`, mode: 'timed', seed, status: 'completed', violations: [], violationCounts: {}, metrics: { 'pgtable.leaked_pages': leaked } });
    const chart = buildCharts([run(1, 1), run(2, 2)]).find((c) => c.group === 'pgtable')!;
    expect(chart.markup).toContain('1 leaked page<');
    expect(chart.markup).toContain('2 leaked pages<');
  });
});

describe('npm start replaces the previous demo', () => {
  it('two demos leave one demo of runs, and runs the user tagged "demo" are kept', () => {
    const db = path.join(dir, 'demo.db');
    const mine = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--tag', 'demo', '--json', '--db', db]);
    const myId = (JSON.parse(mine.stdout) as { runs: { id: string }[] }).runs[0].id;
    const start = (): void => {
      const r = spawnSync(process.execPath, ['bin/start.mjs'], { cwd: ROOT, env: { ...process.env, CI: 'true', PTLAB_DB: db }, encoding: 'utf8', timeout: 110_000 });
      expect(r.status, r.stderr).toBe(0);
    };
    const count = (): number => (JSON.parse(runCli(['list', '--json', '--tag', 'demo', '--db', db]).stdout) as { total: number }).total;
    console.log('[small] npm start twice against a temporary database');
    start();
    const once = count();
    start();
    expect(count()).toBe(once);
    const ids = (JSON.parse(runCli(['list', '--json', '--tag', 'demo', '--db', db]).stdout) as { runs: { id: string }[] }).runs.map((r) => r.id);
    expect(ids).toContain(myId);
  });
});
