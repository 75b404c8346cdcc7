/**
 * Each preset's verdict per strategy in random mode, over fixed seeds
 * (printed). The findings must come from the model's interleavings.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { ViolationKind } from '../../core/results.ts';
import { runScenario } from '../../core/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, STRATEGIES, type Strategy } from '../../core/strategies.ts';

function sweep(preset: string, strategy: Strategy, seeds: number, sets: string[] = []): { kinds: Map<ViolationKind, number>; firstSeed: Map<ViolationKind, number> } {
  let doc: unknown = findPreset(preset)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  const sc = parseScenario(doc);
  const kinds = new Map<ViolationKind, number>();
  const firstSeed = new Map<ViolationKind, number>();
  for (let seed = 1; seed <= seeds; seed++) {
    const { result } = runScenario(sc, strategy, { mode: 'random', seed });
    for (const k of Object.keys(result.violationCounts) as ViolationKind[]) {
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
      if (!firstSeed.has(k)) firstSeed.set(k, seed);
    }
  }
  console.log(`${preset} ${strategy.id}: seeds 1..${seeds}:`, Object.fromEntries(kinds), 'first at', Object.fromEntries(firstSeed));
  return { kinds, firstSeed };
}

describe('thread-race, random mode, seeds 1..200 per strategy', () => {
  const SEEDS = 200;
  it('v5 and v5-reviewed find uaf-table-write', () => {
    for (const id of ['v5', 'v5-reviewed']) expect(sweep('thread-race', findStrategy(id), SEEDS).kinds.get('uaf-table-write') ?? 0).toBeGreaterThan(0);
  });
  it('opt1 finds sleep-in-atomic and no use-after-free', () => {
    const { kinds } = sweep('thread-race', findStrategy('opt1'), SEEDS);
    expect(kinds.get('sleep-in-atomic') ?? 0).toBeGreaterThan(0);
    expect(kinds.has('uaf-table-write')).toBe(false);
    expect(kinds.has('uaf-table-read')).toBe(false);
  });
  it('v6 (Option 3 as posted), opt2, opt3 and upstream find nothing', () => {
    for (const id of ['v6', 'opt2', 'opt3', 'upstream']) expect([...sweep('thread-race', findStrategy(id), SEEDS).kinds.keys()]).toEqual([]);
  });
  it('with VA_BITS=39 no table is shared, so even v5-reviewed finds no race (and says why)', () => {
    expect(sweep('thread-race', findStrategy('v5-reviewed'), 50, ['arch.vaBits=39']).kinds.has('uaf-table-write')).toBe(false);
    const sc = parseScenario(applyOverride(findPreset('thread-race')!.doc, 'arch.vaBits=39'));
    expect(runScenario(sc, findStrategy('v5-reviewed'), { mode: 'random', seed: 1 }).result.notes?.[0]).toContain('no table is shared');
  });
});

describe('section-tlb', () => {
  it('v5 finds stale-tlb and free-before-clear; the reviewed ordering and later find nothing', () => {
    const v5 = sweep('section-tlb', findStrategy('v5'), 50).kinds;
    expect(v5.get('stale-tlb') ?? 0).toBeGreaterThan(0);
    expect(v5.get('free-before-clear') ?? 0).toBeGreaterThan(0);
    for (const id of ['v5-reviewed', 'v6', 'opt1', 'opt2', 'opt3', 'upstream']) expect([...sweep('section-tlb', findStrategy(id), 50).kinds.keys()]).toEqual([]);
  });
});

describe('ptdump-race', () => {
  it('every strategy from the series walks ptdump_show() under get_online_mems() (V5 2/3): none finds uaf-table-read', () => {
    for (const s of STRATEGIES) expect(sweep('ptdump-race', s, 40).kinds.has('uaf-table-read'), s.id).toBe(false);
  });
  it('without that guard, every teardown that frees vmemmap tables walks into a freed table', () => {
    for (const id of ['v5', 'v5-reviewed', 'opt1', 'opt2', 'upstream']) {
      const bare = defineStrategy({ id: `${id}-unguarded`, base: id, knobs: { ptdumpGuard: 'none' } });
      expect(sweep('ptdump-race', bare, 40).kinds.get('uaf-table-read') ?? 0, bare.id).toBeGreaterThan(0);
    }
  });
});

describe('user-defined variants', () => {
  // ptdump-race's machine with a CPU touching the section instead of ptdump: its walk cache holds the PMD table that teardown frees.
  const withAccess = ['actors[0]={"kind":"access","targets":"hotplug","repeats":1}'];
  it('dropping the walk-cache TLBI leaves a walk cache pointing at a freed table (stale-walk-cache)', () => {
    const noWalk = defineStrategy({ id: 'no-walk-tlbi', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } });
    expect(sweep('ptdump-race', noWalk, 30, withAccess).kinds.get('stale-walk-cache') ?? 0).toBeGreaterThan(0);
    expect(sweep('ptdump-race', findStrategy('v5-reviewed'), 30, withAccess).kinds.has('stale-walk-cache')).toBe(false);
  });
  it('x86 ordering (free before clear and TLBI) breaks the clear -> TLBI -> free rule', () => {
    const x86 = defineStrategy({ id: 'x86-order', base: 'v5-reviewed', knobs: { leafOrder: 'free-clear-tlbi' } });
    const kinds = sweep('section-tlb', x86, 30).kinds;
    expect(kinds.get('free-before-clear') ?? 0).toBeGreaterThan(0);
  });
  it('a bad knob is refused with the field and the allowed values', () => {
    expect(() => defineStrategy({ id: 'x', knobs: { freeTables: 'sometimes' } })).toThrow(/strategy\.knobs\.freeTables: expected one of "all-empty"/);
  });
});
