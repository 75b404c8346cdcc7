/**
 * Leaked page-table pages after hot-add then hot-remove. The expected counts
 * are derived here from the geometry (which table spans the section's linear
 * map and vmemmap touch, which existed at boot, which floor/ceiling allows to
 * be freed), independently of the simulator's teardown code.
 */
import { describe, expect, it } from 'vitest';
import { alignDown, type Geometry } from '../../core/arch.ts';
import { computeLayout, memstartAddr, vmemmapRangeOf, linearOffset, type Layout } from '../../core/layout.ts';
import { runScenario, memoryMapOf } from '../../core/run/runner.ts';
import { parseScenario, type Scenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';

const SECTION = 0x40000000;
const doc = {
  name: 'add-then-remove',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6' },
  memory: {
    boot: [{ start: '0x2000000000', size: '2G' }],
    hotplug: [{ start: SECTION, size: '128M', initial: 'absent' }],
    sectionSizeBits: 27,
    kaslrLinearOffset: '128G',
    vmemmapMapping: 'pmd',
    linearMapping: 'block',
  },
  actors: [{ kind: 'hotremove', range: { start: SECTION, size: '128M' }, cycles: 1, linear: true, offline: true, deviceLock: true }],
};

type Span = { depth: number; start: number; size: number };

/** Table spans (depth >= 1) that map [start, end) with leaves at `leafDepth`. */
function spans(g: Geometry, start: number, end: number, leafDepth: number): Span[] {
  const out: Span[] = [];
  for (let d = 1; d <= leafDepth; d++) {
    const size = g.entrySize[d - 1];
    for (let s = alignDown(start, size); s < end; s += size) out.push({ depth: d, start: s, size });
  }
  return out;
}

const key = (s: Span): string => `${s.depth}:${s.start}`;

/** Expected leaked tables for a strategy's table-freeing policy. */
function expectedLeaks(sc: Scenario, policy: 'floor-ceiling' | 'never-vmemmap'): number {
  const l: Layout = computeLayout(sc.arch.layout, { pageSize: sc.arch.pageSize, vaBits: sc.arch.vaBits });
  const g = l.geometry;
  const mem = memoryMapOf(sc);
  const memstart = memstartAddr(l, mem);
  const pmdDepth = g.pmdDepth;
  // Which spans boot memory already uses (those tables exist and stay populated).
  const boot = new Set<string>();
  for (const b of sc.memory.boot) {
    const lin0 = linearOffset(l, memstart, b.start);
    for (const s of spans(g, lin0, lin0 + b.size, g.levels - 3)) boot.add(key(s)); // 1 GiB (PUD) blocks for aligned boot memory
    const v = vmemmapRangeOf(l, memstart, b);
    for (const s of spans(g, v.start, v.end, pmdDepth)) boot.add(key(s));
  }
  // The section: linear map by PMD blocks (128 MiB is not 1 GiB aligned), vmemmap by PMD blocks.
  const lin = linearOffset(l, memstart, SECTION);
  const vm = vmemmapRangeOf(l, memstart, { start: SECTION, size: 2 ** 27 });
  const regions = [
    { created: spans(g, lin, lin + 2 ** 27, pmdDepth), floor: l.PAGE_OFFSET, ceiling: l.PAGE_END, vmemmap: false, start: lin, end: lin + 2 ** 27 },
    { created: spans(g, vm.start, vm.end, pmdDepth), floor: l.VMEMMAP_START, ceiling: l.VMEMMAP_END, vmemmap: true, start: vm.start, end: vm.end },
  ];
  let leaked = 0;
  for (const r of regions) {
    const mine = r.created.filter((s) => !boot.has(key(s)));
    for (const s of mine) {
      let freed: boolean;
      if (policy === 'never-vmemmap') freed = !r.vmemmap;
      else {
        // pgtable_range_aligned(start, end, floor, ceiling, mask of the table's span), and every table
        // below it on the path must have been freed too.
        const below = mine.filter((c) => c.depth > s.depth && c.start >= s.start && c.start < s.start + s.size);
        const aligned = (x: Span): boolean => alignDown(r.start, x.size) >= r.floor && r.end <= alignDown(r.ceiling, x.size);
        freed = aligned(s) && below.every(aligned);
      }
      if (!freed) leaked++;
    }
  }
  return leaked;
}

describe('leaked page-table pages after hot-add then hot-remove of one 128 MiB section', () => {
  const sc = parseScenario(doc);
  const leaks = (id: string): number => {
    const { result } = runScenario(sc, findStrategy(id), { mode: 'random', seed: 1 });
    expect(result.metrics['hotadd.ops']).toBe(1);
    expect(result.metrics['hotremove.ops']).toBe(1);
    expect(result.violations).toEqual([]);
    return result.metrics['pgtable.leaked_pages'];
  };

  it('opt3 leaves exactly the tables hot-add created for the section vmemmap', () => {
    const want = expectedLeaks(sc, 'never-vmemmap');
    expect(want).toBeGreaterThan(0);
    expect(leaks('opt3')).toBe(want);
  });

  it('upstream leaves only the tables that straddle the regions\' floor or ceiling: at most a few', () => {
    const want = expectedLeaks(sc, 'floor-ceiling');
    expect(want).toBeLessThanOrEqual(6);
    expect(leaks('upstream')).toBe(want);
  });

  it('v5-reviewed frees every emptied table', () => {
    expect(leaks('v5-reviewed')).toBe(0);
  });
});
