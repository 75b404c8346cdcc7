/**
 * Parallel explore on real worker threads (electron/lab/explore-worker.ts,
 * `jobs` task threads under the coordinator's thread): the result is the
 * same bytes as the in-process parallel search with the same inputs, for
 * 2 and 3 threads; cancel still stops it; the CLI refuses a bad --jobs with
 * one line.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { explore, exploreTaskEngine } from '../../core/explore/index.ts';
import { inProcessRunner } from '../../core/explore/parallel.ts';
import { findPreset } from '../../core/presets.ts';
import { parseScenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';
import { runExploreInWorker } from '../../electron/lab/explore-runner.ts';

const doc = { ...(findPreset('thread-race')!.doc as object), vmallocThreads: 6 };
const opt2 = STRATEGIES.find((s) => s.id === 'opt2')!;

/** What must not depend on threads: everything but the wall-clock time. */
function canon(r: unknown): string {
  return JSON.stringify({ ...(r as object), elapsedMs: 0 });
}

describe('explore --jobs on worker threads', () => {
  it('thread-race opt2, 6 vmalloc threads: 2 and 3 task threads give the bytes of the in-process parallel search', async () => {
    const sc = parseScenario(doc);
    const still = (): number => 0;
    const local = explore(sc, opt2, { now: still, seed: 1, parallel: { runner: inProcessRunner(() => exploreTaskEngine(sc, opt2, { now: still }), 2) } });
    expect(local.verdict).toBe('safe');
    for (const jobs of [2, 3]) {
      const out = await runExploreInWorker({ scenarioDoc: doc, strategy: opt2, preemptionBound: null, seed: 1, jobs });
      expect(out.cancelled).toBe(false);
      // The worker reports its true time bound (none) like the sequential search; the shrink time is a wall time.
      const r = out.result!;
      expect(canon({ ...r, stats: { ...r.stats, shrinkMs: 0 } })).toBe(canon({ ...local, stats: { ...local.stats, shrinkMs: 0 } }));
    }
  }, 120_000);

  it('cancel stops a parallel search within the grace period and keeps what it has', async () => {
    const rich = { ...(findPreset('thread-race')!.doc as object), vmallocThreads: 12 };
    const ctl = new AbortController();
    let schedules = 0;
    const t0 = performance.now();
    const out = await runExploreInWorker(
      { scenarioDoc: rich, strategy: opt2, preemptionBound: null, seed: 1, jobs: 2 },
      {
        signal: ctl.signal,
        onProgress: (p) => {
          schedules = p.schedules;
          if (p.schedules > 0) ctl.abort();
        },
      },
    );
    expect(schedules).toBeGreaterThan(0);
    expect(out.cancelled).toBe(true);
    expect(out.result?.complete ?? false).toBe(false);
    expect(performance.now() - t0).toBeLessThan(60_000);
  }, 120_000);

  it('ptlab explore --jobs refuses a bad value with one line', () => {
    for (const bad of ['0', 'two', '65']) {
      const r = spawnSync(process.execPath, ['bin/ptlab.mjs', 'explore', '--scenario', 'thread-race', '--strategy', 'opt2', '--jobs', bad], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/--jobs/);
    }
  }, 120_000);
});
