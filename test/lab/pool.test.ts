/**
 * The simulator pool (issue 10 §4): a request of several runs — seeds,
 * strategies, sweep points, PCT — run on worker threads gives the bytes the
 * same request gives run one after another on the service's thread, and the
 * hooks and the database see the runs in the same order, saved the same way.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LabDb } from '../../db/index.ts';
import { LabService, type RunProgress, type RunRequest } from '../../electron/lab/service.ts';
import { rmTmp, tmpDir } from '../helpers/cli.ts';
import { canonical } from '../helpers/canonical.ts';

const dir = tmpDir();
afterAll(() => rmTmp(dir));

async function both(req: RunRequest): Promise<{ sequential: string; pooled: string; order: string[]; pooledOrder: string[] }> {
  const order: string[] = [];
  const pooledOrder: string[] = [];
  const sequential = canonical(await new LabService({ db: null, pool: { size: 1 } }).run({ ...req, useWorker: false }, { onRun: (r) => order.push(`${r.strategy}/${r.seed}`) }));
  const pooled = canonical(await new LabService({ db: null, pool: { size: 3 } }).run(req, { onRun: (r) => pooledOrder.push(`${r.strategy}/${r.seed}`) }));
  return { sequential, pooled, order, pooledOrder };
}

describe('runs on the simulator pool give the bytes of a sequential run', () => {
  it('head-to-head, timed: three strategies × two seeds (metrics, series, violations)', async () => {
    const req: RunRequest = { scenario: 'head-to-head', sets: ['run.durationNs=4000000'], strategies: 'v5-reviewed,opt2,upstream', mode: 'timed', seed: 7, seeds: 2, save: false };
    console.log(`[pool] ${JSON.stringify(req)}`);
    const r = await both(req);
    expect(r.pooled).toBe(r.sequential);
    expect(r.pooledOrder).toEqual(r.order);
    expect(r.order).toEqual(['v5-reviewed/7', 'v5-reviewed/8', 'opt2/7', 'opt2/8', 'upstream/7', 'upstream/8']);
  }, 120_000);

  it('random mode, many seeds of a race (violations and schedules), and PCT with its bounds', async () => {
    const random: RunRequest = { scenario: 'thread-race', strategies: 'v5-reviewed,upstream', mode: 'random', seed: 1, seeds: 12, save: false };
    const r = await both(random);
    expect(r.pooled).toBe(r.sequential);
    expect(JSON.parse(r.pooled).runs.some((x: { violations: unknown[] }) => x.violations.length > 0), 'some seed finds the race').toBe(true);
    const pct: RunRequest = { scenario: 'section-tlb', strategies: 'v5,upstream', mode: 'pct', seed: 1, seeds: 6, pctDepth: 2, save: false };
    const p = await both(pct);
    expect(p.pooled).toBe(p.sequential);
  }, 120_000);

  it('a sweep (scaling): every point, in order', async () => {
    const req: RunRequest = { scenario: 'scaling', sets: ['run.durationNs=1000000', 'sweep.vmallocThreads=[1,2,4]'], strategies: 'opt2,upstream', mode: 'timed', seed: 1, save: false };
    const r = await both(req);
    expect(r.pooled).toBe(r.sequential);
    expect(JSON.parse(r.pooled).runs).toHaveLength(6);
  }, 120_000);
});

describe('the pool as the hooks and the database see it', () => {
  it('progress comes run by run in order with its series, and each run is saved as a sequential run saves it', async () => {
    const req: RunRequest = { scenario: 'head-to-head', sets: ['run.durationNs=6000000'], strategies: 'opt2,upstream,v6', mode: 'timed', seed: 3, seeds: 1, tags: ['pooled'] };
    const seqDb = LabDb.open(path.join(dir, 'seq.db'));
    const poolDb = LabDb.open(path.join(dir, 'pool.db'));
    const seq = await new LabService({ db: seqDb, pool: { size: 1 } }).run({ ...req, useWorker: false });
    const events: RunProgress[] = [];
    const doc = await new LabService({ db: poolDb, pool: { size: 2 } }).run(req, { onProgress: (p) => events.push({ ...p, series: p.series.map((s) => ({ ...s, x: [...s.x], y: [...s.y] })) }) });
    let last = -1;
    for (const p of events) {
      expect(p.runIndex).toBeGreaterThanOrEqual(last);
      last = p.runIndex;
    }
    expect(new Set(events.map((p) => p.runIndex))).toEqual(new Set([0, 1, 2]));
    for (const [i, r] of doc.runs.entries()) {
      // The last progress of a run carries the run's whole series and its run id.
      const final = events.filter((p) => p.runIndex === i).at(-1)!;
      expect(final.fraction).toBe(1);
      expect(final.runId).toBe(r.id);
      expect(final.series.map((s) => s.y)).toEqual(r.series!.map((s) => s.y));
      const stored = poolDb.getRun(r.id!)!;
      const reference = seqDb.getRun(seq.runs[i].id!)!;
      expect(stored.status).toBe('completed');
      expect(stored.tags).toEqual(['pooled']);
      expect(JSON.stringify(stored.violations)).toBe(JSON.stringify(reference.violations));
      expect(JSON.stringify(stored.series)).toBe(JSON.stringify(reference.series));
    }
    expect(poolDb.listRuns({}).map((r) => r.strategy)).toEqual(seqDb.listRuns({}).map((r) => r.strategy));
    seqDb.close();
    poolDb.close();
  }, 120_000);

  it('cancelling reports the runs up to the one in flight, which ends cancelled; no run is left behind', async () => {
    const db = LabDb.open(path.join(dir, 'cancel.db'));
    const ac = new AbortController();
    const doc = await new LabService({ db, pool: { size: 2 } }).run(
      { scenario: 'head-to-head', sets: ['run.durationNs=1000000000'], strategies: 'opt2,upstream,v6', mode: 'timed', seed: 1 },
      { signal: ac.signal, onProgress: (p) => p.steps > 0 && ac.abort() },
    );
    expect(doc.runs.length).toBeGreaterThanOrEqual(1);
    expect(doc.runs.at(-1)!.status).toBe('cancelled');
    expect(db.listRuns({}).map((r) => `${r.strategy} ${r.status}`).sort()).toEqual(doc.runs.map((r) => `${r.strategy} ${r.status}`).sort());
    db.close();
  }, 120_000);
});
