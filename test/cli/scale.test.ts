/**
 * Scale without crashes (issue 11): the table printer takes any number of
 * rows (no spread of an unbounded array into a call, which overflowed the
 * stack): `list --limit 300000` on a 200,000-run database and `show` of a run
 * whose violation has a 140,000-step trace both work. The databases are built
 * directly through LabDb.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult, TraceStep } from '../../core/results.ts';
import { LabDb } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-scale-');
const manyRuns = path.join(dir, 'many.db');
const longTrace = path.join(dir, 'long-trace.db');
afterAll(() => rmTmp(dir));

const RUNS = 200_000;
const STEPS = 140_000;
let traceRun = '';

function run(seed: number): RunResult {
  return { id: null, scenario: 'thread-race', strategy: 'upstream', mode: 'random', seed, status: 'completed', violations: [], violationCounts: {}, metrics: { 'sim.steps': 10 } };
}

beforeAll(() => {
  console.log(`[scale] ${RUNS} runs through LabDb.saveRunResult; one run with a ${STEPS}-step trace`);
  const lab = LabDb.open(manyRuns);
  lab.batch(() => {
    for (let seed = 0; seed < RUNS; seed++) lab.saveRunResult(run(seed), { version: '0.1.0', startedAt: '2024-01-01T00:00:00.000Z' });
  });
  lab.close();

  const trace: TraceStep[] = [];
  for (let step = 0; step < STEPS; step++) {
    trace.push({ step, timeNs: null, cpu: step % 4, actor: `vmalloc#${step % 4}`, function: 'vmap_pte_range', action: 'set_pte_at()', address: (0xffff800080000000n + BigInt(step) * 4096n).toString(16), frame: null, locks: [] });
  }
  const withTrace = LabDb.open(longTrace);
  traceRun = withTrace.saveRunResult(
    {
      ...run(1),
      violations: [{ kind: 'uaf-table-write', step: STEPS - 1, cpu: 1, actor: 'vmalloc#1', function: 'vmap_pte_range', address: 'ffff800080000000', message: 'a long one', trace }],
      violationCounts: { 'uaf-table-write': 1 },
    },
    { version: '0.1.0' },
  );
  withTrace.close();
});

describe('the table printer takes any number of rows', () => {
  it(`list --limit 300000 on ${RUNS.toLocaleString('en-US')} runs prints them all`, () => {
    const r = runCli(['list', '--limit', '300000', '--db', manyRuns]);
    expect(r.stderr).not.toMatch(/Maximum call stack/);
    expect(r.status, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^[0-9a-f]{8}\s/.test(l))).toHaveLength(RUNS);
  });

  it(`show of a run with a ${STEPS.toLocaleString('en-US')}-step trace prints every step`, () => {
    const r = runCli(['show', traceRun, '--db', longTrace]);
    expect(r.stderr).not.toMatch(/Maximum call stack/);
    expect(r.status, r.stderr.slice(0, 500)).toBe(0);
    expect(r.stdout.split('\n').filter((l) => /^\d+\s+\d\s+vmalloc#\d\s+vmap_pte_range/.test(l))).toHaveLength(STEPS);
  });
});
