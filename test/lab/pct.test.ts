import { describe, expect, it } from 'vitest';
import { PctScheduler } from '../../core/schedulers.ts';
import { LabService } from '../../electron/lab/service.ts';

describe('PCT mode (seeds 1..30)', () => {
  it('finds section-tlb\'s v5 bugs and reports the per-run probability bound and the runs made', async () => {
    const doc = await new LabService().run({ scenario: 'section-tlb', strategies: 'v5,upstream', mode: 'pct', seed: 1, seeds: 30, pctDepth: 2, save: false });
    expect(doc.summary.byStrategy.v5.violating).toBeGreaterThan(0);
    expect(doc.summary.byStrategy.upstream.violating).toBe(0);
    const [v5] = doc.summary.pct!;
    expect(v5.runs).toBe(30);
    expect(v5.depth).toBe(2);
    expect(v5.perRunBound).toBeCloseTo(PctScheduler.probabilityBound(v5.actors, v5.k, 2), 12);
    expect(v5.perRunBound).toBeCloseTo(1 / (v5.actors * v5.k), 12);
    expect(v5.boundOverRuns).toBeCloseTo(1 - (1 - v5.perRunBound) ** 30, 12);
  });
});
