/**
 * The lab service (SPEC §1 "shape of a run"): progress, results, saving as it
 * goes, cancellation, and the workload worker giving the same run as the
 * in-process workload.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { LabDb } from '../../db/index.ts';
import type { RunProgress } from '../../electron/lab/service.ts';
import { LabService } from '../../electron/lab/service.ts';
import { rmTmp, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir();
afterAll(() => rmTmp(dir));

function openDb(name: string): LabDb {
  return LabDb.open(path.join(dir, name));
}

function withoutWall(r: RunResult): RunResult {
  const c = structuredClone(r);
  delete c.metrics['wall.ms'];
  return c;
}

function checkProgress(events: RunProgress[], runCount: number): void {
  let lastIndex = -1;
  let lastFraction = 0;
  for (const p of events) {
    expect(p.runCount).toBe(runCount);
    expect(p.fraction).toBeGreaterThanOrEqual(0);
    expect(p.fraction).toBeLessThanOrEqual(1);
    expect(p.runIndex).toBeGreaterThanOrEqual(lastIndex);
    if (p.runIndex === lastIndex) expect(p.fraction, `run ${p.runIndex}: fraction must not go back`).toBeGreaterThanOrEqual(lastFraction);
    lastIndex = p.runIndex;
    lastFraction = p.fraction;
  }
}

describe('LabService.run', () => {
  it('timed runs: progress fractions never go back within a run, then the results', async () => {
    const db = openDb('progress.db');
    try {
      const service = new LabService({ db });
      const events: RunProgress[] = [];
      const finished: RunResult[] = [];
      console.log('[service] head-to-head timed 20 ms, opt2+v6, seeds 1..2, in-process workload');
      const doc = await service.run(
        { scenario: 'head-to-head', sets: ['run.durationNs=20000000'], strategies: 'opt2,v6', mode: 'timed', seed: 1, seeds: 2, useWorker: false },
        { onProgress: (p) => events.push(p), onRun: (r) => finished.push(r) },
      );
      expect(doc.schema).toBe('ptlab.results/1');
      expect(doc.runs).toHaveLength(4);
      expect(finished).toHaveLength(4);
      expect(doc.runs.map((r) => [r.strategy, r.seed])).toEqual([['opt2', 1], ['opt2', 2], ['v6', 1], ['v6', 2]]);
      for (const r of doc.runs) {
        expect(r.status).toBe('completed');
        expect(typeof r.id).toBe('string');
        expect(db.getRun(r.id!)?.status).toBe('completed');
        expect(r.metrics['vmalloc.ops']).toBeGreaterThan(0);
      }
      expect(events.length).toBeGreaterThan(0);
      checkProgress(events, 4);
      // Progress of a saved run names it, and the seeds/strategies are the run's.
      for (const p of events) {
        const r = doc.runs[p.runIndex];
        expect(p.strategy).toBe(r.strategy);
        expect(p.seed).toBe(r.seed);
        expect(p.runId).toBe(r.id);
      }
    } finally {
      db.close();
    }
  });

  it('a multi-seed random sweep reports progress for every run, ending each at fraction 1', async () => {
    const service = new LabService({ db: null });
    const events: RunProgress[] = [];
    console.log('[service] thread-race random, v5-reviewed, seeds 1..3');
    const doc = await service.run({ scenario: 'thread-race', strategies: 'v5-reviewed', mode: 'random', seed: 1, seeds: 3 }, { onProgress: (p) => events.push(p) });
    expect(doc.runs).toHaveLength(3);
    checkProgress(events, 3);
    for (let i = 0; i < 3; i++) {
      const mine = events.filter((p) => p.runIndex === i);
      expect(mine.length, `run ${i} reported no progress at all`).toBeGreaterThan(0);
      expect(mine[mine.length - 1].fraction, `run ${i}: last progress`).toBe(1);
    }
  });

  it('cancelling mid-timed-run: status cancelled, saved as cancelled with what it had, no further runs', async () => {
    const db = openDb('cancel.db');
    try {
      const service = new LabService({ db });
      const ac = new AbortController();
      const events: RunProgress[] = [];
      console.log('[service] head-to-head timed 1 s simulated, opt2, seeds 1..3 (workload worker), cancelled after 3 progress events');
      const doc = await service.run(
        { scenario: 'head-to-head', strategies: 'opt2', mode: 'timed', seed: 1, seeds: 3 },
        {
          signal: ac.signal,
          onProgress: (p) => {
            events.push(p);
            if (events.length === 3) ac.abort();
          },
        },
      );
      expect(doc.runs).toHaveLength(1);
      const r = doc.runs[0];
      expect(r.status).toBe('cancelled');
      expect(r.metrics['sim.time_ns']).toBeLessThan(1_000_000_000);
      expect(r.metrics['sim.steps']).toBeGreaterThan(0);
      const stored = db.getRun(r.id!);
      expect(stored?.status).toBe('cancelled');
      expect(stored?.metrics['sim.steps']).toBe(r.metrics['sim.steps']);
      expect(db.listRuns({}).map((x) => x.status)).toEqual(['cancelled']);
    } finally {
      db.close();
    }
  });

  it('a timed run with the workload worker (the default) completes and equals the in-process run', async () => {
    const service = new LabService({ db: null });
    const req = { scenario: 'head-to-head', sets: ['run.durationNs=5000000'], strategies: 'opt2', mode: 'timed' as const, seed: 1, seeds: 1 };
    console.log('[service] head-to-head timed 5 ms, opt2, seed 1: worker vs in-process');
    const viaWorker = await service.run(req);
    const inProcess = await service.run({ ...req, useWorker: false });
    expect(viaWorker.runs[0].status).toBe('completed');
    const { series: seriesW, ...restW } = withoutWall(viaWorker.runs[0]);
    const { series: seriesP, ...restP } = withoutWall(inProcess.runs[0]);
    expect(restW, 'metrics, violations, status').toEqual(restP);
    expect(seriesW, 'time series sampled at the same simulated times').toEqual(seriesP);
  });

  it('bad input is an error naming the problem, and nothing is saved', async () => {
    const db = openDb('bad.db');
    try {
      const service = new LabService({ db });
      await expect(service.run({ scenario: 'thread-race', sets: ['arch.pageSize=123'], mode: 'random' })).rejects.toThrow(/arch\.pageSize/);
      await expect(service.run({ scenario: 'thread-race', strategies: 'nope', mode: 'random' })).rejects.toThrow(/nope/);
      await expect(service.run({ scenario: 'thread-race', mode: 'random', seeds: 0 })).rejects.toThrow(/seeds/);
      expect(db.listRuns({})).toEqual([]);
    } finally {
      db.close();
    }
  });
});
