/**
 * `list` says what it left out, and a run that did not finish is not called
 * safe (issue 11): "… 5 more; use --limit 105 or --json", and "interrupted
 * after N steps: none found so far" instead of "no violation found".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { LabDb } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-list-verdict-');
const db = path.join(dir, 'lab.db');
afterAll(() => rmTmp(dir));

const RUNS = 105;
let interrupted = '';
let cancelled = '';

function run(seed: number): RunResult {
  return { id: null, scenario: 'thread-race', strategy: 'upstream', mode: 'random', seed, status: 'completed', violations: [], violationCounts: {}, metrics: { 'sim.steps': 100 } };
}

beforeAll(() => {
  const lab = LabDb.open(db);
  lab.batch(() => {
    for (let seed = 1; seed <= RUNS - 2; seed++) lab.saveRunResult(run(seed), { version: '0.1.0', startedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, seed)).toISOString() });
  });
  interrupted = lab.createRun({ scenario: 'large', strategy: 'opt3', mode: 'timed', seed: 1, version: '0.1.0', startedAt: '2024-02-01T00:00:00.000Z' });
  lab.appendMetrics(interrupted, { 'sim.steps': 1350000 });
  lab.finishRun(interrupted, { status: 'interrupted', wallMs: 1717, error: 'interrupted: the process writing it ended before it finished' });
  cancelled = lab.saveRunResult({ ...run(999), status: 'cancelled', metrics: { 'sim.steps': 1 } }, { version: '0.1.0', startedAt: '2024-02-02T00:00:00.000Z' });
  lab.close();
});

describe('ptlab list says how many rows it left out', () => {
  it(`${RUNS} runs, default limit 100: 100 rows and "… 5 more; use --limit ${RUNS} or --json"`, () => {
    const r = runCli(['list', '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^[0-9a-f]{8}\s/.test(l))).toHaveLength(100);
    expect(lines.at(-1)).toBe(`… 5 more; use --limit ${RUNS} or --json`);
  });

  it('nothing left out: no such line', () => {
    const r = runCli(['list', '--limit', String(RUNS), '--db', db]);
    expect(r.stdout).not.toMatch(/more; use/);
  });

  it('--limit 1: the rest are counted', () => {
    const r = runCli(['list', '--limit', '1', '--db', db]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`… 104 more; use --limit ${RUNS} or --json`);
  });

  it('--json lists every run and says the total', () => {
    const r = runCli(['list', '--json', '--db', db]);
    const doc = JSON.parse(r.stdout) as { runs: unknown[]; total: number };
    expect(doc.runs).toHaveLength(RUNS);
    expect(doc.total).toBe(RUNS);
    const limited = JSON.parse(runCli(['list', '--json', '--limit', '3', '--db', db]).stdout) as { runs: unknown[]; total: number };
    expect(limited.runs).toHaveLength(3);
    expect(limited.total).toBe(RUNS);
  });
});

describe('a run that did not finish is not reported as safe', () => {
  it('show of an interrupted run: "interrupted after 1,350,000 steps: none found so far"', () => {
    const r = runCli(['show', interrupted, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('interrupted after 1,350,000 steps: none found so far');
    expect(r.stdout).not.toContain('no violation found');
  });

  it('show of a cancelled run says so too', () => {
    const r = runCli(['show', cancelled, '--db', db]);
    expect(r.stdout).toContain('cancelled after 1 step: none found so far');
  });

  it('the HTML report says the same', () => {
    const file = path.join(dir, 'r.html');
    const r = runCli(['export', interrupted, '--format', 'html', '--out', file, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('interrupted after 1,350,000 steps: none found so far');
    expect(html).not.toContain('no violation found');
  });
});
