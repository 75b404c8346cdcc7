/**
 * A timed run steps without its step log and rebuilds the violations' traces
 * from a replica (core/run/runner.ts logReplica): its result must be the one
 * a run that keeps the log gives, byte for byte, however the run is sliced.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { runScenario, startRun } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';

function scenario(name: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

const H2H = ['run.durationNs=20000000'];

// Each case reports its first violation somewhere else: deep in the run (past the 4096-step ring, so the replica
// skips ahead without its log), in the first steps, and at the loop's top (a deadlock, found between steps).
const CASES: { name: string; sets: string[]; strategy: string; seed: number; kind: string }[] = [
  { name: 'head-to-head', sets: H2H, strategy: 'v5', seed: 1, kind: 'free-before-clear' },
  { name: 'head-to-head', sets: H2H, strategy: 'opt1', seed: 3, kind: 'sleep-in-atomic' },
  { name: 'online-new-node', sets: [], strategy: 'opt2', seed: 2, kind: 'deadlock' },
];

describe('timed runs without the step log report what a logged run reports', () => {
  for (const c of CASES) {
    it(`${c.name} ${c.strategy} seed ${c.seed}: ${c.kind} with the same trace and narrative`, () => {
      const sc = scenario(c.name, c.sets);
      const st = findStrategy(c.strategy)!;
      const logged = runScenario(sc, st, { mode: 'timed', seed: c.seed, series: true, stepLog: true }).result;
      const rebuilt = runScenario(sc, st, { mode: 'timed', seed: c.seed, series: true }).result;
      const v = logged.violations.find((x) => x.kind === c.kind);
      expect(v, `the logged run finds ${c.kind}`).toBeDefined();
      expect(v!.trace.length).toBeGreaterThan(0);
      expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(logged));
    });
  }

  it('the same result whatever the slices (tiny, uneven and whole)', () => {
    const sc = scenario('head-to-head', H2H);
    const st = findStrategy('v5')!;
    const whole = JSON.stringify(runScenario(sc, st, { mode: 'timed', seed: 1 }).result);
    const sliced = (sizes: number[]): RunResult => {
      const h = startRun(sc, st, { mode: 'timed', seed: 1 });
      let k = 0;
      while (!h.advance(h.sim.steps + sizes[k++ % sizes.length]));
      return h.result();
    };
    const a = sliced([1, 4095, 4097, 100_003]);
    expect(a.violations.length).toBeGreaterThan(0);
    expect(JSON.stringify(a)).toBe(whole);
    expect(JSON.stringify(sliced([65_536]))).toBe(whole);
  });
});
