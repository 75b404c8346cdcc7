import { describe, expect, it } from 'vitest';
import { formatVA, geometry } from '../../core/arch.ts';
import { computeLayout, memstartAddr, sharedTables, vmemmapRaceReachability } from '../../core/layout.ts';

const hex = (l: ReturnType<typeof computeLayout>, off: number): string => formatVA(l.geometry, off);

describe('geometry (pgtable-hwdef.h)', () => {
  it('derives levels and shifts from page size and VA_BITS', () => {
    const g48 = geometry({ pageSize: 4096, vaBits: 48 });
    expect([g48.levels, g48.PMD_SHIFT, g48.PUD_SHIFT, g48.PGDIR_SHIFT, g48.PTRS_PER_PGD]).toEqual([4, 21, 30, 39, 512]);
    const g39 = geometry({ pageSize: 4096, vaBits: 39 });
    expect([g39.levels, g39.PGDIR_SHIFT, g39.PTRS_PER_PGD, g39.pudDepth]).toEqual([3, 30, 512, -1]);
    const g16 = geometry({ pageSize: 16384, vaBits: 48 });
    expect([g16.levels, g16.PMD_SHIFT, g16.PTRS_PER_PTE]).toEqual([4, 25, 2048]);
    const g64 = geometry({ pageSize: 65536, vaBits: 48 });
    expect([g64.levels, g64.PMD_SHIFT]).toEqual([3, 29]);
  });
});

describe('layouts by era (DOMAIN §3, [computed], no KASAN)', () => {
  it('v5.2 (pre-flip): vmalloc, vmemmap and PAGE_OFFSET', () => {
    const l48 = computeLayout('v5.2', { pageSize: 4096, vaBits: 48 });
    expect(hex(l48, l48.VMALLOC_START)).toBe('ffff000010000000');
    expect(hex(l48, l48.VMALLOC_END)).toBe('ffff7dffbfff0000');
    expect(hex(l48, l48.VMEMMAP_START)).toBe('ffff7e0000000000');
    expect(l48.VMEMMAP_SIZE).toBe(2 ** 41);
    expect(hex(l48, l48.PAGE_OFFSET)).toBe('ffff800000000000');
    const l39 = computeLayout('v5.2', { pageSize: 4096, vaBits: 39 });
    expect(hex(l39, l39.VMALLOC_START)).toBe('ffffff8010000000');
    expect(hex(l39, l39.VMALLOC_END)).toBe('ffffffbebfff0000');
    expect(hex(l39, l39.VMEMMAP_START)).toBe('ffffffbf00000000');
    expect(l39.VMEMMAP_SIZE).toBe(4 * 2 ** 30);
    expect(hex(l39, l39.PAGE_OFFSET)).toBe('ffffffc000000000');
  });

  it('v5.4 (flipped): matches the 52-bit series doc table for vmemmap and the computed vmalloc end', () => {
    const l = computeLayout('v5.4', { pageSize: 4096, vaBits: 48 });
    expect(hex(l, l.VMALLOC_START)).toBe('ffff800010000000');
    expect(hex(l, l.VMALLOC_END)).toBe('fffffdffbfff0000');
    expect(hex(l, l.VMEMMAP_START)).toBe('fffffdffffe00000');
    expect(hex(l, l.VMEMMAP_END - 1)).toBe('ffffffffffdfffff');
    expect(hex(l, l.FIXADDR_START)).toBe('fffffdfffe5f9000');
    expect(hex(l, l.PCI_IO_START)).toBe('fffffdfffec00000');
    const l39 = computeLayout('v5.4', { pageSize: 4096, vaBits: 39 });
    expect(hex(l39, l39.VMALLOC_START)).toBe('ffffffc010000000');
    expect(hex(l39, l39.VMALLOC_END)).toBe('fffffffebfff0000');
    expect(hex(l39, l39.VMEMMAP_START)).toBe('fffffffeffe00000');
  });

  it('v6 (current): vmemmap 1 GiB from the top', () => {
    const l = computeLayout('v6', { pageSize: 4096, vaBits: 48 });
    expect(hex(l, l.VMALLOC_START)).toBe('ffff800080000000');
    expect(hex(l, l.VMALLOC_END)).toBe('fffffdffbf800000');
    expect(hex(l, l.VMEMMAP_START)).toBe('fffffdffc0000000');
    expect(hex(l, l.VMEMMAP_END)).toBe('ffffffffc0000000');
    expect(hex(l, l.PCI_IO_START)).toBe('ffffffffc0800000');
    const l39 = computeLayout('v6', { pageSize: 4096, vaBits: 39 });
    expect(hex(l39, l39.VMEMMAP_START)).toBe('fffffffec0000000');
  });
});

describe('shared tables (DOMAIN §3, "Table sharing")', () => {
  const sharedWith = (era: 'v5.2' | 'v5.4' | 'v6', va: 39 | 48, a: string, b: string) =>
    sharedTables(computeLayout(era, { pageSize: 4096, vaBits: va })).filter((t) => t.regions.includes(a as never) && t.regions.includes(b as never));

  it('v5.2: vmalloc and vmemmap share nothing, at 39 and 48 bits', () => {
    expect(sharedWith('v5.2', 48, 'vmalloc', 'vmemmap')).toEqual([]);
    expect(sharedWith('v5.2', 39, 'vmalloc', 'vmemmap')).toEqual([]);
    // Fixmap and PCI I/O share PGD 0x0fb's table with vmalloc.
    expect(sharedWith('v5.2', 48, 'vmalloc', 'fixmap').length).toBeGreaterThan(0);
  });

  it('v5.4 4K/48: one PUD table for vmalloc and vmemmap; one PMD table for fixmap, PCI I/O and vmemmap', () => {
    const l = computeLayout('v5.4', { pageSize: 4096, vaBits: 48 });
    const vv = sharedWith('v5.4', 48, 'vmalloc', 'vmemmap');
    expect(vv.map((t) => [t.entries, hex(l, t.start)])).toEqual([['pud', 'fffffd8000000000']]);
    const fv = sharedWith('v5.4', 48, 'fixmap', 'vmemmap').filter((t) => t.entries === 'pmd');
    expect(fv.map((t) => hex(l, t.start))).toEqual(['fffffdffc0000000']);
    expect(fv[0].regions).toEqual(['fixmap', 'pci-io', 'vmemmap']);
  });

  it('v5.4 4K/39: no freeable table shared with vmalloc, but vmemmap shares a PMD table with fixmap', () => {
    expect(sharedWith('v5.4', 39, 'vmalloc', 'vmemmap')).toEqual([]);
    expect(sharedWith('v5.4', 39, 'fixmap', 'vmemmap').length).toBe(1);
  });

  it('current 4K/48: vmalloc and vmemmap still share a PUD table, but no PMD table', () => {
    const vv = sharedWith('v6', 48, 'vmalloc', 'vmemmap');
    expect(vv.map((t) => t.entries)).toEqual(['pud']);
  });
});

describe('reachability of the race', () => {
  const mem = (boot: number, kaslr: number) => ({ boot: [{ start: boot, size: 2 ** 31 }], hotplug: [{ start: 2 ** 30, size: 2 ** 27 }], sectionSizeBits: 27, kaslrLinearOffset: kaslr });

  it('v5.4 4K/48 with boot memory at memstart: the shared PUD table also holds the fixmap, so it never empties', () => {
    const l = computeLayout('v5.4', { pageSize: 4096, vaBits: 48 });
    const r = vmemmapRaceReachability(l, mem(2 ** 31, 0), 'pmd');
    expect(r.raceReachable).toBe(false);
    expect(r.summary).toContain('no shared table can become empty');
  });

  it('current 4K/48: boot struct pages in the shared PUD table keep it populated; KASLR moving memstart down 128 GiB makes it emptiable', () => {
    const l = computeLayout('v6', { pageSize: 4096, vaBits: 48 });
    expect(vmemmapRaceReachability(l, mem(2 ** 31, 0), 'pmd').raceReachable).toBe(false);
    const m = mem(128 * 2 ** 30, 128 * 2 ** 30);
    expect(memstartAddr(l, m)).toBe(0);
    expect(vmemmapRaceReachability(l, m, 'pmd').raceReachable).toBe(true);
  });

  it('current 4K/39: nothing shared, and the tool says so', () => {
    const l = computeLayout('v6', { pageSize: 4096, vaBits: 39 });
    const r = vmemmapRaceReachability(l, mem(2 ** 31, 0), 'pmd');
    expect(r.shared).toEqual([]);
    expect(r.summary).toContain('no table is shared by vmalloc and vmemmap');
  });
});
