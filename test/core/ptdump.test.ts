/**
 * ptdump's two entry points, each guarded as the modelled version guards it
 * (DOMAIN §9): ptdump_show() under get_online_mems() from V5 2/3
 * (bf2b59f60ee1); ptdump_check_wx() unguarded until 59305202c67f (2025), and
 * reachable at runtime only from 6.9 (debugfs check_wx_pages). Also the
 * notes every run carries: when check_wx can run, and what thread-race assumes.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { runScenario, scenarioNotesOf } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, STRATEGIES, type Strategy } from '../../core/strategies.ts';

function scenario(name: string, sets: string[] = []) {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/** The first seed in 1..n whose random run reads a freed table, or 0. */
function firstUafRead(sc: ReturnType<typeof scenario>, st: Strategy, n: number): number {
  for (let seed = 1; seed <= n; seed++) if (runScenario(sc, st, { mode: 'random', seed, keepSchedule: false }).result.violationCounts['uaf-table-read']) return seed;
  return 0;
}

const FIXED_2025 = defineStrategy({ id: 'upstream-2025', base: 'upstream', knobs: { ptdumpGuard: 'ptdump_walk_pgd' } });

describe('ptdump-check-wx: the W+X check walks unguarded until 2025', () => {
  const sc = scenario('ptdump-check-wx');
  it('every built-in strategy walks into a freed table within seeds 1..5 (all of them free the linear map\'s tables)', () => {
    for (const s of STRATEGIES) {
      const seed = firstUafRead(sc, s, 5);
      console.log(`ptdump-check-wx ${s.id}: first uaf-table-read at seed ${seed}`);
      expect(seed, s.id).toBeGreaterThan(0);
    }
  });
  it('with get_online_mems() inside ptdump_walk_pgd() (59305202c67f) it does not (seeds 1..3); nor does ptdump_show() on the same machine', () => {
    expect(firstUafRead(sc, FIXED_2025, 3)).toBe(0);
    const show = scenario('ptdump-check-wx', ['actors[0].entry=ptdump_show']);
    for (const id of ['upstream', 'v6']) expect(firstUafRead(show, findStrategy(id), 3), id).toBe(0);
  });
  it('the fix guards every entry point: ptdump_show() too', () => {
    expect(firstUafRead(scenario('ptdump-race'), FIXED_2025, 10)).toBe(0);
    const trace = runScenario(scenario('ptdump-race'), FIXED_2025, { mode: 'random', seed: 1 }).sim;
    const fns = new Set<string>();
    for (let s = 0; s < trace.steps; s++) fns.add(`${trace.traceStep(s).function}: ${trace.traceStep(s).action}`);
    expect(fns).toContain('ptdump_walk_pgd: get_online_mems() /* 59305202c67f */');
    expect([...fns].some((f) => f.startsWith('ptdump_show: get_online_mems()'))).toBe(false);
  });
  it('says when ptdump_check_wx() can run after boot: from 6.9 (check_wx_pages), not on the 5.11-era kernels', () => {
    const note = (sets: string[]): string[] => runScenario(scenario('ptdump-check-wx', [...sets, 'actors[0].repeats=1']), FIXED_2025, { mode: 'random', seed: 1 }).result.notes ?? [];
    expect(note([]).some((n) => n.includes('/sys/kernel/debug/check_wx_pages') && n.includes('565474afe08a') && n.startsWith('ptdump_check_wx() runs whenever'))).toBe(true);
    expect(note(['arch.layout=v5.11']).some((n) => n.startsWith('ptdump_check_wx() is not reachable at runtime on v5.11-era kernels') && n.includes('mark_rodata_ro()'))).toBe(true);
  });
});

describe('ptdump-race: ptdump_show() walks under get_online_mems() in every strategy from the series', () => {
  it('notes say nothing about check_wx there', () => {
    const notes = runScenario(scenario('ptdump-race'), findStrategy('upstream'), { mode: 'random', seed: 1 }).result.notes ?? [];
    expect(notes.some((n) => n.includes('check_wx'))).toBe(false);
  });
});

describe('thread-race states its assumptions, and every run shows them', () => {
  const notes = runScenario(scenario('thread-race'), findStrategy('upstream'), { mode: 'random', seed: 1 }).result.notes ?? [];
  it('no percpu chunk has pinned the shared PUD table yet', () => {
    expect(notes.some((n) => n.startsWith('assumed: no percpu chunk has pinned the PUD table') && n.includes('top-down from VMALLOC_END'))).toBe(true);
  });
  it('linear-map KASLR needs linear_region_size - 2^PARange >= 1 GiB since 5.11: PARange <= 46 bits on 48-bit VA', () => {
    expect(notes.some((n) => n.includes('linear_region_size - 2^PARange >= ARM64_MEMSTART_ALIGN (1 GiB)') && n.includes('PARange is at most 46 bits'))).toBe(true);
    const v54 = runScenario(scenario('thread-race', ['arch.layout=v5.4']), findStrategy('upstream'), { mode: 'random', seed: 1 }).result.notes ?? [];
    expect(v54.some((n) => n.includes('before 5.11 arm64_memblock_init() randomises within linear_region_size'))).toBe(true);
  });
  it('the notes are there without a run, for listings', () => {
    expect(scenarioNotesOf(scenario('thread-race'))).toEqual(notes);
  });
  it('the preset says so in its description too', () => {
    const d = String(findPreset('thread-race')!.doc.description);
    expect(d).toContain('percpu chunks are placed top-down from VMALLOC_END');
    expect(d).toContain('PARange <= 46 bits');
  });
});
