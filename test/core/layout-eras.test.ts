/**
 * Region bounds of every layout era at 4K pages and VA_BITS 39 and 48,
 * pinned against the memory.h / pgtable.h formulas of each era, restated here
 * independently of core/layout.ts (as ../shared/docs/layout.py does), and the
 * shared-table facts that decide whether the vmalloc/vmemmap race can exist:
 * which table vmalloc and vmemmap share, and whether it can ever empty.
 */
import { describe, expect, it } from 'vitest';
import { formatVA } from '../../core/arch.ts';
import { computeLayout, defaultSectionSizeBits, LAYOUT_ERAS, type LayoutEra, sharedTables, vmemmapRaceReachability } from '../../core/layout.ts';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { findStrategy, STRATEGIES } from '../../core/strategies.ts';

const M = (1n << 64n) - 1n;
const neg = (x: bigint): bigint => -x & M;
const hex = (x: bigint): string => (x & M).toString(16).padStart(16, '0');
const SZ_2M = 1n << 21n;
const SZ_8M = 1n << 23n;
const SZ_16M = 1n << 24n;
const SZ_32M = 1n << 25n;
const SZ_64K = 1n << 16n;
const SZ_128M = 1n << 27n;
const SZ_256M = 1n << 28n;
const SZ_1G = 1n << 30n;
const SZ_2G = 1n << 31n;
const PAGE_SHIFT = 12n;
const PUD_SIZE = 1n << 30n;

interface Bounds {
  PAGE_OFFSET: bigint;
  VMALLOC_START: bigint;
  VMALLOC_END: bigint;
  VMEMMAP_START: bigint;
  VMEMMAP_END: bigint;
  PCI_IO_START: bigint;
  FIXADDR_TOP: bigint;
}

/** The era's macros, as the kernel headers write them (no KASAN, sizeof(struct page) = 64). */
function expected(era: LayoutEra, vaBits: number): Bounds {
  const VA = BigInt(vaBits);
  switch (era) {
    case 'v5.2': {
      // memory.h before "arm64: mm: Flip kernel VA space": the linear map is the top half.
      const VA_START = neg(1n << VA);
      const PAGE_OFFSET = neg(1n << (VA - 1n));
      const VMEMMAP_SIZE = 1n << (VA - PAGE_SHIFT - 1n + 6n);
      const VMEMMAP_START = PAGE_OFFSET - VMEMMAP_SIZE;
      const PCI_IO_END = VMEMMAP_START - SZ_2M;
      const PCI_IO_START = PCI_IO_END - SZ_16M;
      const MODULES_END = VA_START + SZ_128M + SZ_128M; // BPF JIT, then modules
      return { PAGE_OFFSET, VMALLOC_START: MODULES_END, VMALLOC_END: PAGE_OFFSET - PUD_SIZE - VMEMMAP_SIZE - SZ_64K, VMEMMAP_START, VMEMMAP_END: PAGE_OFFSET, PCI_IO_START, FIXADDR_TOP: PCI_IO_START - SZ_2M };
    }
    case 'v5.4': {
      const PAGE_OFFSET = neg(1n << VA);
      const PAGE_END = neg(1n << (VA - 1n));
      const VMEMMAP_SIZE = (PAGE_END - PAGE_OFFSET) >> (PAGE_SHIFT - 6n);
      const VMEMMAP_START = neg(VMEMMAP_SIZE + SZ_2M);
      const PCI_IO_START = VMEMMAP_START - SZ_2M - SZ_16M;
      return { PAGE_OFFSET, VMALLOC_START: PAGE_END + SZ_128M + SZ_128M, VMALLOC_END: neg(PUD_SIZE + VMEMMAP_SIZE + SZ_64K), VMEMMAP_START, VMEMMAP_END: VMEMMAP_START + VMEMMAP_SIZE, PCI_IO_START, FIXADDR_TOP: PCI_IO_START - SZ_2M };
    }
    case 'v5.11': {
      // VMEMMAP_SHIFT = PAGE_SHIFT - STRUCT_PAGE_MAX_SHIFT; VMEMMAP_START = -(1 << (VA_BITS - VMEMMAP_SHIFT)); VMALLOC_END = VMEMMAP_START - SZ_256M.
      const PAGE_OFFSET = neg(1n << VA);
      const PAGE_END = neg(1n << (VA - 1n));
      const VMEMMAP_SHIFT = PAGE_SHIFT - 6n;
      const VMEMMAP_START = neg(1n << (VA - VMEMMAP_SHIFT));
      const VMEMMAP_SIZE = (PAGE_END - PAGE_OFFSET) >> VMEMMAP_SHIFT;
      const PCI_IO_END = VMEMMAP_START - SZ_8M;
      return { PAGE_OFFSET, VMALLOC_START: PAGE_END + SZ_128M + SZ_128M, VMALLOC_END: VMEMMAP_START - SZ_256M, VMEMMAP_START, VMEMMAP_END: VMEMMAP_START + VMEMMAP_SIZE, PCI_IO_START: PCI_IO_END - SZ_16M, FIXADDR_TOP: VMEMMAP_START - SZ_32M };
    }
    case 'v6.9': {
      // VMEMMAP_END = -SZ_1G; VMEMMAP_SIZE = (VMEMMAP_RANGE >> PAGE_SHIFT) * sizeof(struct page); VMALLOC_END = VMEMMAP_START - SZ_8M.
      const PAGE_OFFSET = neg(1n << VA);
      const PAGE_END = neg(1n << (VA - 1n));
      const VMEMMAP_END = neg(SZ_1G);
      const VMEMMAP_START = VMEMMAP_END - ((PAGE_END - PAGE_OFFSET) >> PAGE_SHIFT) * 64n;
      return { PAGE_OFFSET, VMALLOC_START: PAGE_END + SZ_2G, VMALLOC_END: VMEMMAP_START - SZ_8M, VMEMMAP_START, VMEMMAP_END, PCI_IO_START: VMEMMAP_END + SZ_8M, FIXADDR_TOP: neg(SZ_8M) };
    }
  }
}

/** Table sharing between vmalloc and vmemmap, by era and VA_BITS (DOMAIN §3 "Table sharing", §9). */
const SHARED: Record<LayoutEra, Record<39 | 48, string[]>> = {
  'v5.2': { 39: [], 48: [] },
  'v5.4': { 39: [], 48: ['pud fffffd8000000000'] },
  'v5.11': { 39: [], 48: [] },
  'v6.9': { 39: [], 48: ['pud fffffd8000000000'] },
};

describe('region bounds by era (4K pages)', () => {
  for (const era of LAYOUT_ERAS) {
    for (const va of [39, 48] as const) {
      it(`${era}, VA_BITS ${va}`, () => {
        const l = computeLayout(era, { pageSize: 4096, vaBits: va });
        const want = expected(era, va);
        const got = (off: number): string => formatVA(l.geometry, off);
        expect(got(l.PAGE_OFFSET), 'PAGE_OFFSET').toBe(hex(want.PAGE_OFFSET));
        expect(got(l.VMALLOC_START), 'VMALLOC_START').toBe(hex(want.VMALLOC_START));
        expect(got(l.VMALLOC_END), 'VMALLOC_END').toBe(hex(want.VMALLOC_END));
        expect(got(l.VMEMMAP_START), 'VMEMMAP_START').toBe(hex(want.VMEMMAP_START));
        expect(got(l.VMEMMAP_END - 1), 'VMEMMAP_END').toBe(hex(want.VMEMMAP_END - 1n));
        expect(got(l.PCI_IO_START), 'PCI_IO_START').toBe(hex(want.PCI_IO_START));
        expect(got(l.FIXADDR_TOP), 'FIXADDR_TOP').toBe(hex(want.FIXADDR_TOP));
        expect(l.era).toBe(era);
      });
    }
  }

  it('v5.11 4K/48 by hand: vmemmap starts 512 GiB-aligned in its own PGD entry (0x1f8), vmalloc ends 256 MiB below it in PGD entry 0x1f7', () => {
    const l = computeLayout('v5.11', { pageSize: 4096, vaBits: 48 });
    expect(formatVA(l.geometry, l.VMEMMAP_START)).toBe('fffffc0000000000');
    expect(formatVA(l.geometry, l.VMALLOC_END)).toBe('fffffbfff0000000');
    expect(Math.floor(l.VMEMMAP_START / 2 ** 39)).toBe(0x1f8);
    expect(Math.floor((l.VMALLOC_END - 1) / 2 ** 39)).toBe(0x1f7);
  });

  it('v6 is accepted as an alias of v6.9', () => {
    expect(computeLayout('v6', { pageSize: 4096, vaBits: 48 })).toEqual(computeLayout('v6.9', { pageSize: 4096, vaBits: 48 }));
    const sc = parseScenario(applyOverride(findPreset('thread-race')!.doc, 'arch.layout=v6'));
    expect(sc.arch.layout).toBe('v6.9');
  });
});

describe('what vmalloc and vmemmap share, by era', () => {
  // Boot memory whose struct pages fill vmemmap's first GiB (memstart_addr = its start).
  const bootAtMemstart = { boot: [{ start: 2 ** 31, size: 2 ** 31 }], hotplug: [{ start: 2 ** 33, size: 2 ** 27 }], sectionSizeBits: 27, kaslrLinearOffset: 0 };
  for (const era of LAYOUT_ERAS) {
    for (const va of [39, 48] as const) {
      it(`${era}, VA_BITS ${va}: ${SHARED[era][va].join(', ') || 'nothing'}`, () => {
        const l = computeLayout(era, { pageSize: 4096, vaBits: va });
        const shared = sharedTables(l).filter((t) => t.regions.includes('vmalloc') && t.regions.includes('vmemmap'));
        expect(shared.map((t) => `${t.entries} ${formatVA(l.geometry, t.start)}`)).toEqual(SHARED[era][va]);
        const r = vmemmapRaceReachability(l, bootAtMemstart, 'pmd');
        if (shared.length === 0) expect(r.summary).toContain('no table is shared by vmalloc and vmemmap');
        else {
          // v5.4: the fixmap and PCI I/O live in it too; v6.9: boot memory's struct pages do. Either way it never empties here.
          expect(r.raceReachable).toBe(false);
          expect(r.summary).toContain('no shared table can become empty');
          expect(r.summary).toContain(era === 'v5.4' ? 'the fixmap' : 'struct pages of boot memory');
        }
      });
    }
  }
});

describe('section size follows the era unless the scenario sets it', () => {
  it('SECTION_SIZE_BITS 30 up to 5.11, 27 from 5.12 (29 with 64K pages)', () => {
    expect(['v5.2', 'v5.4', 'v5.11'].map((e) => defaultSectionSizeBits(e as LayoutEra, 4096))).toEqual([30, 30, 30]);
    expect(defaultSectionSizeBits('v6.9', 4096)).toBe(27);
    expect(defaultSectionSizeBits('v6.9', 65536)).toBe(29);
    const doc = structuredClone(findPreset('section-tlb')!.doc) as { memory: Record<string, unknown>; arch: Record<string, unknown> };
    delete doc.memory.sectionSizeBits;
    expect(parseScenario(doc).memory.sectionSizeBits).toBe(30);
    doc.arch.layout = 'v6.9';
    expect(parseScenario(doc).memory.sectionSizeBits).toBe(27);
    expect(parseScenario(findPreset('thread-race')!.doc).memory.sectionSizeBits).toBe(27);
  });
});

describe('thread-race on the 5.11 layout (5.11-6.8: the 5.15, 6.1 and 6.6 LTS kernels)', () => {
  const sc = parseScenario(applyOverride(findPreset('thread-race')!.doc, 'arch.layout=v5.11'));
  it('says the race is unreachable there, and no strategy writes into a freed table (random seeds 1..40)', () => {
    for (const s of STRATEGIES) {
      for (let seed = 1; seed <= 40; seed++) {
        const r = runScenario(sc, s, { mode: 'random', seed }).result;
        expect(r.violationCounts['uaf-table-write'] ?? 0, `${s.id} seed ${seed}`).toBe(0);
        expect(r.violationCounts['uaf-table-read'] ?? 0, `${s.id} seed ${seed}`).toBe(0);
        if (seed === 1) expect(r.notes?.[0], s.id).toBe('vmalloc/vmemmap race unreachable here, no table is shared by vmalloc and vmemmap on v5.11 4K/48');
      }
    }
    // The same run on the 6.9 layout does write into the freed PUD table.
    const v69 = parseScenario(findPreset('thread-race')!.doc);
    const hits = Array.from({ length: 40 }, (_, i) => runScenario(v69, findStrategy('v5-reviewed'), { mode: 'random', seed: i + 1 }).result.violationCounts['uaf-table-write'] ?? 0);
    expect(hits.some((n) => n > 0)).toBe(true);
  });
});
