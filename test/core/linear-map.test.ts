/**
 * The linear map of hot-added memory is page-mapped by default (rodata_full,
 * RODATA_FULL_DEFAULT_ENABLED: arch_add_memory() passes NO_BLOCK_MAPPINGS |
 * NO_CONT_MAPPINGS); blocks are the explicit rodata=off choice. The teardown
 * arithmetic a kernel developer would check, counted from the step log.
 */
import { describe, expect, it } from 'vitest';
import { indexAt } from '../../core/arch.ts';
import { ENTRY_BLOCK, ENTRY_TABLE } from '../../core/model/memory.ts';
import { PRESETS } from '../../core/presets.ts';
import { buildSim, runScenario } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, type Strategy } from '../../core/strategies.ts';

const SECTION = 0x140000000;

/** One 128 MiB section, offline, removed with its linear map (v6.9, 4K/48). */
function removal(linearMapping?: 'page' | 'block') {
  return parseScenario({
    name: 'remove-one-section',
    arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
    memory: {
      boot: [{ start: '0x80000000', size: '2G' }],
      hotplug: [{ start: SECTION, size: '128M', initial: 'offline' }],
      ...(linearMapping ? { linearMapping } : {}),
    },
    actors: [{ kind: 'hotremove', range: { start: SECTION, size: '128M' }, linear: true, offline: false, deviceLock: false }],
  });
}

/** Steps of a random run whose function and action match. */
function count(strategy: Strategy, linearMapping: 'page' | 'block' | undefined, fn: string, action: RegExp): number {
  const { sim } = runScenario(removal(linearMapping), strategy, { mode: 'random', seed: 1 });
  let n = 0;
  for (let s = 0; s < sim.steps; s++) {
    const t = sim.traceStep(s);
    if (t.function === fn && action.test(t.action)) n++;
  }
  return n;
}

describe('linear map of hot-added memory', () => {
  it('is page-mapped by default, in the scenario defaults and every preset but section-tlb (rodata=off, block mappings on purpose)', () => {
    expect(removal().memory.linearMapping).toBe('page');
    for (const p of PRESETS) expect(parseScenario(p.doc).memory.linearMapping, p.name).toBe(p.name === 'section-tlb' ? 'block' : 'page');
    expect(String(PRESETS.find((p) => p.name === 'section-tlb')!.doc.description)).toContain('rodata=off');
  });

  it('a 128 MiB section: 32768 flush_tlb_kernel_range() calls (one per PTE) and 64 PTE tables freed', () => {
    for (const id of ['v5-reviewed', 'upstream']) {
      const st = findStrategy(id);
      expect(count(st, undefined, 'unmap_hotplug_pte_range', /^flush_tlb_kernel_range\(addr, addr \+ PAGE_SIZE\)$/), id).toBe(32768);
      expect(count(st, undefined, 'unmap_hotplug_pte_range', /^pte_clear\(/), id).toBe(32768);
      expect(count(st, undefined, 'free_empty_pte_table', /^free_hotplug_pgtable_page/), id).toBe(64);
    }
    const r = runScenario(removal(), findStrategy('upstream'), { mode: 'random', seed: 1 }).result;
    // 32768 linear pages plus the one TLBI of the vmemmap PMD block; 64 PTE tables and the section's PMD table.
    expect(r.metrics['tlbi.page']).toBe(32768 + 1);
    expect(r.metrics['pgtable.freed_pages']).toBe(64 + 1);
  });

  it('with rodata=off (blocks) the same section is 64 PMD blocks: 64 TLBIs, no PTE table', () => {
    const st = findStrategy('upstream');
    expect(count(st, 'block', 'unmap_hotplug_pmd_range', /^flush_tlb_kernel_range\(addr, addr \+ PAGE_SIZE\) \/\* single block entry \*\/$/)).toBe(64 + 1);
    expect(count(st, 'block', 'free_empty_pte_table', /^free_hotplug_pgtable_page/)).toBe(0);
  });

  it('the 2026 batched flush (48478b9f7913) replaces the 32768 per-page TLBIs with one flush of the range (a TLBI VMALLE1IS above 2 MiB)', () => {
    const batched = defineStrategy({ id: 'batched', base: 'upstream', knobs: { linearTlbi: 'batched' } });
    const r = runScenario(removal(), batched, { mode: 'random', seed: 1 }).result;
    expect(count(batched, undefined, 'unmap_hotplug_pte_range', /^flush_tlb_kernel_range/)).toBe(0);
    expect(r.metrics['tlbi.page']).toBe(1);
    expect(r.metrics['tlbi.all']).toBe(1);
  });
});

describe('1 GiB linear-map blocks (rodata=off, 4K)', () => {
  const doc = (vaBits: 39 | 48) => ({
    name: 'gib-block',
    arch: { pageSize: 4096, vaBits, layout: 'v5.4' },
    memory: { boot: [{ start: '0x80000000', size: '1G' }], hotplug: [{ start: '0x100000000', size: '1G', initial: 'online' }], linearMapping: 'block' },
    actors: [{ kind: 'access', targets: 'hotplug', repeats: 1 }],
  });
  const entryKinds = (vaBits: 39 | 48): number[] => {
    const { sim } = buildSim(parseScenario(doc(vaBits)), findStrategy('upstream'), { mode: 'random', seed: 1 });
    const va = sim.linear(0x100000000);
    const kinds: number[] = [];
    let f = sim.root;
    for (let d = 0; d < sim.geometry.levels; d++) {
      const i = indexAt(sim.geometry, d, va);
      kinds.push(sim.mem.kind(f, i));
      if (sim.mem.kind(f, i) !== ENTRY_TABLE) break;
      f = sim.mem.frameOf(sim.mem.val(f, i));
    }
    return kinds;
  };
  it('4K/48: a 1 GiB-aligned GiB is one PUD block (use_1G_block())', () => {
    expect(entryKinds(48)).toEqual([ENTRY_TABLE, ENTRY_BLOCK]);
  });
  it('4K/39: none at the folded level (DOMAIN §9): the GiB is 512 PMD blocks', () => {
    expect(entryKinds(39)).toEqual([ENTRY_TABLE, ENTRY_BLOCK]);
    const { sim } = buildSim(parseScenario(doc(39)), findStrategy('upstream'), { mode: 'random', seed: 1 });
    const va = sim.linear(0x100000000);
    const pmd = sim.mem.frameOf(sim.mem.val(sim.root, indexAt(sim.geometry, 0, va)));
    expect(sim.geometry.name[1]).toBe('pmd');
    let blocks = 0;
    for (let i = 0; i < 512; i++) if (sim.mem.kind(pmd, i) === ENTRY_BLOCK) blocks++;
    expect(blocks).toBe(512);
  });
});
