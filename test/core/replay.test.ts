/**
 * Every preset replays: a random-mode run's schedule reproduces the run step
 * for step (same violations at the same steps, same traces, same metrics);
 * timed presets give the same bytes for the same seed.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';

describe('replay determinism', () => {
  for (const preset of ['thread-race', 'section-tlb', 'ptdump-race', 'online-new-node']) {
    it(`${preset}: each strategy's random runs (seeds 1..3) replay exactly`, () => {
      const sc = parseScenario(findPreset(preset)!.doc);
      for (const strategy of STRATEGIES) {
        for (let seed = 1; seed <= 3; seed++) {
          const first = runScenario(sc, strategy, { mode: 'random', seed }).result;
          const again = runScenario(sc, strategy, { mode: 'replay', seed, schedule: first.schedule! });
          expect(again.diverged, `${strategy.id} seed ${seed}`).toBe(false);
          expect(again.result.violations, `${strategy.id} seed ${seed}`).toEqual(first.violations);
          expect(again.result.metrics, `${strategy.id} seed ${seed}`).toEqual(first.metrics);
        }
      }
    });
  }

  for (const [preset, sets] of [
    ['head-to-head', ['run.durationNs=3000000']],
    ['scaling', ['run.durationNs=2000000', 'vmallocThreads=16']],
    ['large', ['run.durationNs=2000000']],
  ] as const) {
    it(`${preset}: timed runs are the same for the same seed (seed 11)`, () => {
      let doc: unknown = findPreset(preset)!.doc;
      for (const s of sets) doc = applyOverride(doc, s);
      const sc = parseScenario(doc);
      const a = runScenario(sc, STRATEGIES[1], { mode: 'timed', seed: 11 }).result;
      const b = runScenario(sc, STRATEGIES[1], { mode: 'timed', seed: 11 }).result;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(a.metrics['sim.steps']).toBeGreaterThan(1000);
    });
  }
});
