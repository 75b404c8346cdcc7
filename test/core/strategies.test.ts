/**
 * The strategies as the 2019 postings have them (SPEC §2.5, DOMAIN §9): V6 as
 * posted is Option 3, so `v6` and `opt3` must give the same verdicts and the
 * same costs; every strategy from the series guards ptdump_show(); the
 * reviewed teardown that still frees shared tables is `v5-reviewed`.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, STRATEGIES, STRATEGY_IDS } from '../../core/strategies.ts';

/** The presets with finite work (random mode runs them to the end). */
const RACE_PRESETS = ['thread-race', 'section-tlb', 'ptdump-race', 'online-new-node'];

/** A run's outcome without the strategy's name. */
function outcome(r: RunResult): string {
  return JSON.stringify({ ...r, strategy: '' });
}

describe('strategy ids', () => {
  it('are the seven of SPEC §2.5, v5-reviewed included, and every built-in from the series guards ptdump_show()', () => {
    expect(STRATEGY_IDS).toEqual(['v5', 'v5-reviewed', 'v6', 'opt1', 'opt2', 'opt3', 'upstream']);
    for (const s of STRATEGIES) expect(s.knobs.ptdumpGuard, s.id).toBe('get_online_mems');
  });

  it('v5-reviewed is V5 with the review\'s ordering: two passes, clear -> TLBI -> free, every empty table freed', () => {
    const k = findStrategy('v5-reviewed').knobs;
    expect(k).toMatchObject({ teardown: 'two-pass', leafOrder: 'clear-tlbi-free', blockTlbi: true, freeTables: 'all-empty', vmallocGuard: 'none', teardownLock: 'none' });
    expect(findStrategy('v5').knobs).toMatchObject({ teardown: 'one-pass', leafOrder: 'free-clear-tlbi', blockTlbi: false, teardownLock: 'ptl', freeTables: 'all-empty' });
  });

  it('titles cite the postings\' dates', () => {
    expect(findStrategy('v5').title).toContain('29 May 2019');
    expect(findStrategy('v6').title).toContain('19 Jun 2019');
    for (const id of ['opt1', 'opt2', 'opt3']) expect(findStrategy(id).title, id).toContain('11 Jun 2019');
    expect(findStrategy('upstream').title).toContain('v5.7');
  });

  it('a user variant defaults to v5-reviewed, and the unguarded ptdump stays available as a knob value', () => {
    const bare = defineStrategy({ id: 'bare', knobs: { ptdumpGuard: 'none' } });
    expect(bare.knobs).toEqual({ ...findStrategy('v5-reviewed').knobs, ptdumpGuard: 'none' });
    expect(defineStrategy({ id: 'all-entry-points', base: 'upstream', knobs: { ptdumpGuard: 'ptdump_walk_pgd' } }).knobs.ptdumpGuard).toBe('ptdump_walk_pgd');
  });
});

describe('v6 (V6 as posted) is Option 3', () => {
  it('has opt3\'s knobs', () => {
    expect(findStrategy('v6').knobs).toEqual(findStrategy('opt3').knobs);
  });

  it('agrees with opt3 on every run of every race preset (random seeds 1..10)', () => {
    for (const name of RACE_PRESETS) {
      const sc = parseScenario(findPreset(name)!.doc);
      for (let seed = 1; seed <= 10; seed++) {
        const a = runScenario(sc, findStrategy('v6'), { mode: 'random', seed }).result;
        const b = runScenario(sc, findStrategy('opt3'), { mode: 'random', seed }).result;
        expect(outcome(a), `${name} seed ${seed}`).toBe(outcome(b));
      }
    }
  });

  it('agrees with opt3 on every cost metric of head-to-head (timed, 30 simulated ms, seed 5)', () => {
    const sc = parseScenario(applyOverride(findPreset('head-to-head')!.doc, 'run.durationNs=30000000'));
    const a = runScenario(sc, findStrategy('v6'), { mode: 'timed', seed: 5 }).result;
    const b = runScenario(sc, findStrategy('opt3'), { mode: 'timed', seed: 5 }).result;
    console.log('head-to-head 30 ms seed 5: v6 vmalloc.ops', a.metrics['vmalloc.ops'], 'opt3', b.metrics['vmalloc.ops']);
    expect(a.metrics['vmalloc.ops']).toBeGreaterThan(0);
    expect(a.metrics).toEqual(b.metrics);
    expect(outcome(a)).toBe(outcome(b));
  });
});
