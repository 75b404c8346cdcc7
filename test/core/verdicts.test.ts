/**
 * The verdict table: each race preset's violation kinds per strategy in
 * random mode over fixed seeds (printed), every cell pinned: the kinds listed
 * must be found, and no other. The README's table is this one. The findings
 * come from the model's interleavings; explore covers the same cells where it
 * is quick (test/core/explore.test.ts, online-new-node.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { ViolationKind } from '../../core/results.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, STRATEGIES, type Strategy } from '../../core/strategies.ts';

function scenario(preset: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(preset)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/** The kinds found over seeds 1..n, with how many seeds found each. */
function sweep(label: string, sc: Scenario, strategy: Strategy, seeds: number): Map<ViolationKind, number> {
  const kinds = new Map<ViolationKind, number>();
  for (let seed = 1; seed <= seeds; seed++) {
    const { result } = runScenario(sc, strategy, { mode: 'random', seed, keepSchedule: false });
    for (const k of Object.keys(result.violationCounts) as ViolationKind[]) kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  console.log(`${label} ${strategy.id}: seeds 1..${seeds}:`, Object.fromEntries(kinds));
  return kinds;
}

type Row = Record<string, ViolationKind[]>;
const NONE: ViolationKind[] = [];

/** preset (and overrides) -> seeds -> strategy -> the kinds it finds. */
const TABLE: { label: string; preset: string; sets?: string[]; seeds: number; row: Row }[] = [
  {
    label: 'thread-race',
    preset: 'thread-race',
    seeds: 100,
    row: {
      v5: ['uaf-table-write', 'uaf-table-read', 'free-before-clear', 'lost-mapping'],
      'v5-reviewed': ['uaf-table-write', 'uaf-table-read', 'lost-mapping'],
      v6: NONE,
      opt1: ['sleep-in-atomic'],
      opt2: NONE,
      opt3: NONE,
      upstream: NONE,
    },
  },
  {
    // 5.11-6.8 (the 5.15, 6.1, 6.6 LTS kernels): vmalloc and vmemmap share no table; v5 still frees before clearing.
    label: 'thread-race on v5.11',
    preset: 'thread-race',
    sets: ['arch.layout=v5.11'],
    seeds: 40,
    row: { v5: ['free-before-clear'], 'v5-reviewed': NONE, v6: NONE, opt1: ['sleep-in-atomic'], opt2: NONE, opt3: NONE, upstream: NONE },
  },
  {
    label: 'section-tlb',
    preset: 'section-tlb',
    seeds: 30,
    row: { v5: ['stale-tlb', 'free-before-clear'], 'v5-reviewed': NONE, v6: NONE, opt1: NONE, opt2: NONE, opt3: NONE, upstream: NONE },
  },
  {
    // Every strategy from the series guards ptdump_show() (V5 2/3); v5's own teardown order still frees before clearing.
    label: 'ptdump-race',
    preset: 'ptdump-race',
    seeds: 40,
    row: { v5: ['free-before-clear'], 'v5-reviewed': NONE, v6: NONE, opt1: NONE, opt2: NONE, opt3: NONE, upstream: NONE },
  },
  {
    // ptdump_check_wx() unguarded until 2025: every strategy frees the linear map's tables under it.
    label: 'ptdump-check-wx',
    preset: 'ptdump-check-wx',
    seeds: 3,
    row: {
      v5: ['uaf-table-read', 'free-before-clear'],
      'v5-reviewed': ['uaf-table-read'],
      v6: ['uaf-table-read'],
      opt1: ['uaf-table-read'],
      opt2: ['uaf-table-read'],
      opt3: ['uaf-table-read'],
      upstream: ['uaf-table-read'],
    },
  },
  {
    label: 'online-new-node',
    preset: 'online-new-node',
    seeds: 20,
    row: { v5: NONE, 'v5-reviewed': NONE, v6: NONE, opt1: ['sleep-in-atomic'], opt2: ['deadlock'], opt3: NONE, upstream: NONE },
  },
];

for (const { label, preset, sets, seeds, row } of TABLE) {
  describe(`${label}, random mode, seeds 1..${seeds}`, () => {
    const sc = scenario(preset, sets);
    it('has a cell for every strategy', () => {
      expect(Object.keys(row)).toEqual(STRATEGIES.map((s) => s.id));
    });
    for (const s of STRATEGIES) {
      it(`${s.id}: ${row[s.id].join(', ') || 'no violation'}`, () => {
        const found = sweep(label, sc, s, seeds);
        expect([...found.keys()].sort()).toEqual([...row[s.id]].sort());
      });
    }
  });
}

describe('thread-race on layouts that share no freeable table says why', () => {
  it('VA_BITS 39 and the v5.11 layout: the run notes say the race is unreachable', () => {
    const note = (sets: string[]): string => runScenario(scenario('thread-race', sets), findStrategy('v5-reviewed'), { mode: 'random', seed: 1 }).result.notes![0];
    expect(note(['arch.vaBits=39'])).toContain('no table is shared by vmalloc and vmemmap on v6.9 4K/39');
    expect(note(['arch.layout=v5.11'])).toContain('no table is shared by vmalloc and vmemmap on v5.11 4K/48');
  });
});

describe('the unguarded ptdump_show() (before V5 2/3)', () => {
  it('walks into a freed vmemmap table under every teardown that frees one; Option 3 frees none there', () => {
    const sc = scenario('ptdump-race');
    for (const s of STRATEGIES) {
      const bare = defineStrategy({ id: `${s.id}-unguarded`, base: s.id, knobs: { ptdumpGuard: 'none' } });
      const frees = s.knobs.freeTables !== 'never-vmemmap';
      expect(sweep('ptdump-race', sc, bare, 20).has('uaf-table-read'), bare.id).toBe(frees);
    }
  });
});

describe('user-defined variants', () => {
  // A CPU touches a page-mapped section (linear map and struct pages), which is then removed: its walk cache holds the section's tables.
  const touched = parseScenario({
    name: 'touch-then-remove',
    arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
    memory: { boot: [{ start: '0x80000000', size: '2G' }], hotplug: [{ start: '0x140000000', size: '128M', initial: 'online' }] },
    actors: [
      { kind: 'access', targets: 'hotplug', repeats: 1 },
      { kind: 'hotremove', range: { start: '0x140000000', size: '128M' }, linear: true, offline: false, deviceLock: true },
    ],
  });
  it('dropping the walk-cache TLBI leaves a walk cache pointing at a freed table (stale-walk-cache)', () => {
    const noWalk = defineStrategy({ id: 'no-walk-tlbi', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } });
    expect(sweep('touch-then-remove', touched, noWalk, 10).get('stale-walk-cache') ?? 0).toBeGreaterThan(0);
    expect([...sweep('touch-then-remove', touched, findStrategy('v5-reviewed'), 10).keys()]).toEqual([]);
  });
  it('x86 ordering (free before clear and TLBI) breaks the clear -> TLBI -> free rule', () => {
    const x86 = defineStrategy({ id: 'x86-order', base: 'v5-reviewed', knobs: { leafOrder: 'free-clear-tlbi' } });
    expect(sweep('section-tlb', scenario('section-tlb'), x86, 30).get('free-before-clear') ?? 0).toBeGreaterThan(0);
  });
  it('a bad knob is refused with the field and the allowed values', () => {
    expect(() => defineStrategy({ id: 'x', knobs: { freeTables: 'sometimes' } })).toThrow(/strategy\.knobs\.freeTables: expected one of "all-empty"/);
  });
});
