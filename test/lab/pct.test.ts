import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { buildSim } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';
import { LabService } from '../../electron/lab/service.ts';

describe('PCT mode (seeds 1..30)', () => {
  it('finds section-tlb\'s v5 bugs and reports the per-run probability bound and the runs made', async () => {
    const doc = await new LabService().run({ scenario: 'section-tlb', strategies: 'v5,upstream', mode: 'pct', seed: 1, seeds: 30, pctDepth: 2, save: false });
    expect(doc.summary.byStrategy.v5.violating).toBeGreaterThan(0);
    expect(doc.summary.byStrategy.upstream.violating).toBe(0);
    const [v5] = doc.summary.pct!;
    expect(v5.runs).toBe(30);
    expect(v5.depth).toBe(2);
    // The bound's inputs are the machine's: n is the number of threads the simulated machine runs, and k (the steps
    // the change points are drawn from) covers every run made, or the bound 1/(n·k^(d-1)) of the PCT paper would
    // not hold.
    const sim = buildSim(parseScenario(findPreset('section-tlb')!.doc), findStrategy('v5'), { mode: 'random', seed: 1 }).sim;
    expect(v5.actors).toBe(sim.actors.length);
    const v5Runs = doc.runs.filter((r) => r.strategy === 'v5');
    const longest = v5Runs.reduce((m, r) => Math.max(m, r.schedule!.length), 0);
    expect(v5.k).toBeGreaterThanOrEqual(longest);
    expect(v5.perRunBound).toBeCloseTo(1 / (sim.actors.length * v5.k), 12);
    expect(v5.boundOverRuns).toBeCloseTo(1 - (1 - v5.perRunBound) ** 30, 12);
    // A lower bound on the chance that one run finds a depth-2 bug: the runs found v5's at least that often.
    expect(doc.summary.byStrategy.v5.violating / 30).toBeGreaterThanOrEqual(v5.perRunBound);
  });
});
