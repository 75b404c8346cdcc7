/**
 * Mutation check of the search (issue 10 §2): for each strategy knob, a
 * safe strategy that explore proves safe on a scenario becomes unsafe when
 * that knob is flipped to its unsafe value, and explore says so with a
 * counterexample that replays. A search that missed interleavings, or a
 * model that ignored a knob, would let a mutant through.
 *
 * Knobs with no unsafe value on a safe strategy are named at the end with
 * why (explore proves both values safe).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../core/explore/index.ts';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, type StrategyKnobs } from '../../core/strategies.ts';
import type { ViolationKind } from '../../core/results.ts';
import { TOUCH_THEN_REMOVE } from '../helpers/scenarios.ts';

const now = (): number => performance.now();

function preset(name: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}


interface Mutant {
  knob: keyof StrategyKnobs;
  /** The safe strategy and the scenario it is proved safe on. */
  base: string;
  scenario: string;
  sc: Scenario;
  /** The unsafe value. */
  value: StrategyKnobs[keyof StrategyKnobs];
  /** The kinds the counterexample may be (the search may meet any of them first). */
  kinds: ViolationKind[];
}

const threadRace = preset('thread-race');
const sectionTlb = preset('section-tlb');
const ptdumpRace = preset('ptdump-race');
// ptdump-check-wx made small: one walk of the hot-pluggable range, a block-mapped linear map.
const checkWx = preset('ptdump-check-wx', ['actors[0].repeats=1', 'actors[0].region=hotplug', 'memory.linearMapping=block']);

const MUTANTS: Mutant[] = [
  // Which emptied tables are freed: the merged floor/ceiling rule and Option 3's never-for-vmemmap keep the shared PUD table.
  { knob: 'freeTables', base: 'upstream', scenario: 'thread-race', sc: threadRace, value: 'all-empty', kinds: ['uaf-table-write', 'uaf-table-read', 'lost-mapping'] },
  { knob: 'freeTables', base: 'opt3', scenario: 'thread-race', sc: threadRace, value: 'all-empty', kinds: ['uaf-table-write', 'uaf-table-read', 'lost-mapping'] },
  // Option 2 without its guard is the reviewed teardown racing vmalloc.
  { knob: 'vmallocGuard', base: 'opt2', scenario: 'thread-race', sc: threadRace, value: 'none', kinds: ['uaf-table-write', 'uaf-table-read', 'lost-mapping'] },
  // Option 1's guard sleeps under a spinlock.
  { knob: 'vmallocGuard', base: 'opt2', scenario: 'thread-race', sc: threadRace, value: 'ptl', kinds: ['sleep-in-atomic'] },
  // Any strategy without the walk-cache TLBI before freeing a table.
  { knob: 'walkCacheTlbi', base: 'upstream', scenario: 'touch-then-remove', sc: TOUCH_THEN_REMOVE, value: false, kinds: ['stale-walk-cache'] },
  { knob: 'walkCacheTlbi', base: 'opt3', scenario: 'touch-then-remove', sc: TOUCH_THEN_REMOVE, value: false, kinds: ['stale-walk-cache'] },
  { knob: 'walkCacheTlbi', base: 'opt2', scenario: 'touch-then-remove', sc: TOUCH_THEN_REMOVE, value: false, kinds: ['stale-walk-cache'] },
  // V5's block teardown: no TLBI after clearing a block entry.
  { knob: 'blockTlbi', base: 'upstream', scenario: 'section-tlb', sc: sectionTlb, value: false, kinds: ['stale-tlb'] },
  // x86's order: the page is freed before its entry is cleared and flushed.
  { knob: 'leafOrder', base: 'upstream', scenario: 'section-tlb', sc: sectionTlb, value: 'free-clear-tlbi', kinds: ['free-before-clear', 'stale-tlb'] },
  // ptdump_show() without V5 2/3's get_online_mems().
  { knob: 'ptdumpGuard', base: 'upstream', scenario: 'ptdump-race', sc: ptdumpRace, value: 'none', kinds: ['uaf-table-read'] },
  // The 2025 fix (guard inside ptdump_walk_pgd()) taken back to ptdump_show() only: ptdump_check_wx() walks unguarded.
  { knob: 'ptdumpGuard', base: 'upstream-2025', scenario: 'ptdump-check-wx (small)', sc: checkWx, value: 'get_online_mems', kinds: ['uaf-table-read'] },
];

function strategy(base: string, knobs: Partial<StrategyKnobs> = {}) {
  if (base === 'upstream-2025') return defineStrategy({ id: 'upstream-2025', base: 'upstream', knobs: { ptdumpGuard: 'ptdump_walk_pgd', ...knobs } });
  return Object.keys(knobs).length ? defineStrategy({ id: `${base}-mutant`, base, knobs }) : findStrategy(base);
}

describe('flipping a knob of a safe strategy to its unsafe value is caught by explore', () => {
  for (const m of MUTANTS) {
    it(`${m.base} on ${m.scenario}: safe; with ${m.knob} = ${JSON.stringify(m.value)}: ${m.kinds.join(' or ')}`, () => {
      const safe = explore(m.sc, strategy(m.base), { now, timeLimitMs: 60_000 });
      console.log(`${m.base} on ${m.scenario}: ${safe.verdict} (${safe.schedules} schedules, ${safe.elapsedMs.toFixed(0)} ms)`);
      expect(safe.verdict).toBe('safe');
      const mutant = strategy(m.base, { [m.knob]: m.value });
      const r = explore(m.sc, mutant, { now, timeLimitMs: 60_000 });
      const c = r.counterexample;
      console.log(`${mutant.id} (${m.knob} = ${JSON.stringify(m.value)}) on ${m.scenario}: ${r.verdict} ${c?.kind ?? ''} after ${r.schedules} schedules, ${r.elapsedMs.toFixed(0)} ms`);
      expect(r.verdict).toBe('violation');
      expect(m.kinds).toContain(c!.kind);
      // The counterexample is a real run: replayed, it reaches that violation at that step.
      const out = runScenario(m.sc, mutant, { mode: 'replay', seed: r.seed, schedule: c!.schedule });
      expect(out.diverged).toBe(false);
      expect(out.result.violations.find((v) => v.kind === c!.kind)?.step).toBe(c!.step);
    }, 150_000);
  }

  it('the knobs left have no unsafe value on a safe strategy: explore proves both values safe', () => {
    // linearTlbi: the linear map's leaves are never freed (their pages go with the memory), and the batched flush
    // comes before any table is freed. teardownLock: the ptl around the teardown neither helps nor hurts a strategy
    // whose vmalloc is guarded or whose tables are kept. teardown: the one-pass walk with the merged knobs frees
    // nothing shared either.
    for (const [sc, name, knobs] of [
      [sectionTlb, 'section-tlb', { linearTlbi: 'batched' }],
      [threadRace, 'thread-race', { teardownLock: 'ptl' }],
      [threadRace, 'thread-race', { teardown: 'one-pass' }],
    ] as const) {
      const r = explore(sc, strategy('upstream', knobs), { now, timeLimitMs: 60_000 });
      console.log(`upstream with ${JSON.stringify(knobs)} on ${name}: ${r.verdict}`);
      expect(r.verdict).toBe('safe');
    }
  }, 150_000);
});
