/**
 * Kernel virtual address layouts of arm64 by era, computed from the kernel's
 * own formulas (arch/arm64/include/asm/memory.h and pgtable.h of each era;
 * DOMAIN §3 and §9), the physical memory map (memstart_addr, boot and
 * hot-pluggable memory) and which intermediate tables two regions share and
 * whether such a shared table can ever become empty.
 *
 * Eras are named by the first release with that layout:
 *  - v5.2  (up to 5.3): pre-flip, the linear map is the upper half;
 *  - v5.4  (5.4-5.10): flipped ("arm64: mm: Flip kernel VA space");
 *  - v5.11 (5.11-6.8): VMEMMAP_START = -(1 << (VA_BITS - VMEMMAP_SHIFT)),
 *    VMALLOC_END = VMEMMAP_START - SZ_256M, PCI I/O and fixmap below vmemmap;
 *  - v6.9  (6.9 on): Ard Biesheuvel's VA-space reorganization (branch
 *    for-next/reorg-va-space, posted as 20230307140522.2311461-*-ardb@kernel.org):
 *    32697ff38287 "arm64: vmemmap: Avoid base2 order of struct page size to
 *    dimension region", d432b8d57c0c "arm64: mm: Reclaim unused vmemmap region
 *    for vmalloc use", b730b0f2b1fc "arm64: mm: Move fixmap region above
 *    vmemmap region" and 031e011d8b22 "arm64: mm: Move PCI I/O emulation
 *    region above the vmemmap region". Verified: they reached
 *    torvalds/linux master on 14 Mar 2024 with the arm64 pull of the 6.9
 *    merge window (kernel.org post-receive log of that day, after 6.8 was
 *    released on 10 Mar 2024), so the first release carrying them is 6.9.
 * `v6` (PT Lab 0.1's name for the current layout) stays an alias of `v6.9`.
 */
import { type ArchConfig, type Geometry, alignDown, alignUp, formatSize, formatVA, geometry } from './arch.ts';

export type LayoutEra = 'v5.2' | 'v5.4' | 'v5.11' | 'v6.9';
export const LAYOUT_ERAS: readonly LayoutEra[] = ['v5.2', 'v5.4', 'v5.11', 'v6.9'];
/** Old names still accepted for a layout, and the era each stands for. */
export const LAYOUT_ALIASES: Readonly<Record<string, LayoutEra>> = Object.freeze({ v6: 'v6.9' });
/** Every accepted layout name: the eras, then the aliases. */
export type LayoutEraName = LayoutEra | 'v6';
export const LAYOUT_ERA_NAMES: readonly LayoutEraName[] = [...LAYOUT_ERAS, 'v6'];

/** The era a layout name stands for (aliases resolved). */
export function layoutEra(name: LayoutEraName): LayoutEra {
  return Object.hasOwn(LAYOUT_ALIASES, name) ? LAYOUT_ALIASES[name] : (name as LayoutEra);
}

/**
 * SECTION_SIZE_BITS of the era's first release: 30 (1 GiB) up to 5.11,
 * 27 (4K, 16K) or 29 (64K) from 5.12 (f0b13ee23241 "arm64/sparsemem: reduce
 * SECTION_SIZE_BITS"). The v5.11 layout spans both: 5.11 itself has 30,
 * 5.12-6.8 have 27, so a scenario for those kernels sets it.
 */
export function defaultSectionSizeBits(era: LayoutEraName, pageSize: number): number {
  const e = layoutEra(era);
  if (e === 'v5.2' || e === 'v5.4' || e === 'v5.11') return 30;
  return pageSize === 65536 ? 29 : 27;
}

export type RegionKind = 'linear' | 'vmalloc' | 'vmemmap' | 'fixmap' | 'pci-io' | 'modules' | 'bpf';

export interface Region {
  kind: RegionKind;
  /** Offset from VA_BASE (see arch.ts). */
  start: number;
  end: number;
  /** Who populates it: permanent (boot), vmalloc-like allocators, or hotplug. */
  populatedBy: 'boot' | 'vmalloc' | 'hotplug';
}

/** STRUCT_PAGE_MAX_SHIFT and sizeof(struct page) (DOMAIN §3: 64 bytes). */
export const STRUCT_PAGE_SIZE = 64;
const SZ_64K = 1 << 16;
const SZ_2M = 1 << 21;
const SZ_8M = 1 << 23;
const SZ_16M = 1 << 24;
const SZ_32M = 1 << 25;
const SZ_256M = 1 << 28;
const SZ_128M = 1 << 27;
const SZ_1G = 2 ** 30;
const SZ_2G = 2 ** 31;
/**
 * Size of the fixmap. Not derived (it is __end_of_permanent_fixed_addresses
 * pages); taken from the 4K/48 layout table posted with the 52-bit VA series
 * (fixed mappings fffffdfffe5f9000 - fffffdfffe9fffff). [cited]
 */
const FIXADDR_SIZE = 0x407000;

export interface Layout {
  era: LayoutEra;
  geometry: Geometry;
  regions: Region[];
  PAGE_OFFSET: number;
  PAGE_END: number;
  VMALLOC_START: number;
  VMALLOC_END: number;
  VMEMMAP_START: number;
  VMEMMAP_END: number;
  VMEMMAP_SIZE: number;
  FIXADDR_START: number;
  FIXADDR_TOP: number;
  PCI_IO_START: number;
  PCI_IO_END: number;
  MODULES_VADDR: number;
  MODULES_END: number;
}

/** STRUCT_PAGE_MAX_SHIFT: log2 of the upper bound of sizeof(struct page) the v5.x formulas use. */
const STRUCT_PAGE_MAX_SHIFT = 6n;

/** Compute a layout. All arithmetic is done on exact 64-bit values, then turned into offsets. */
export function computeLayout(name: LayoutEraName, arch: ArchConfig): Layout {
  const era = layoutEra(name);
  const g = geometry(arch);
  const M = (1n << 64n) - 1n;
  const neg = (x: bigint): bigint => (-x) & M;
  const base = (1n << 64n) - (1n << BigInt(g.vaBits));
  const off = (x: bigint): number => {
    const o = (x & M) - base;
    if (o < 0n || o > 1n << BigInt(g.vaBits)) throw new Error(`layout ${era}: address ${x.toString(16)} outside the kernel half`);
    return Number(o);
  };
  const VA = BigInt(g.vaBits);
  const PAGE_SHIFT = BigInt(g.pageShift);
  const PUD_SIZE = 1n << BigInt(g.PUD_SHIFT);
  let PAGE_OFFSET: bigint;
  let PAGE_END: bigint;
  let VMEMMAP_SIZE: bigint;
  let VMEMMAP_START: bigint;
  let VMEMMAP_END: bigint;
  let PCI_IO_START: bigint;
  let FIXADDR_TOP: bigint;
  let MODULES_VADDR: bigint;
  let MODULES_END: bigint;
  let VMALLOC_START: bigint;
  let VMALLOC_END: bigint;
  let BPF_START: bigint | null = null;
  if (era === 'v5.2') {
    // Pre-flip: linear map is the upper half.
    const VA_START = neg(1n << VA);
    PAGE_OFFSET = neg(1n << (VA - 1n));
    PAGE_END = 1n << 64n; // top of the address space
    VMEMMAP_SIZE = 1n << (VA - PAGE_SHIFT - 1n + 6n);
    VMEMMAP_START = PAGE_OFFSET - VMEMMAP_SIZE;
    VMEMMAP_END = PAGE_OFFSET;
    const PCI_IO_END = VMEMMAP_START - BigInt(SZ_2M);
    PCI_IO_START = PCI_IO_END - BigInt(SZ_16M);
    FIXADDR_TOP = PCI_IO_START - BigInt(SZ_2M);
    BPF_START = VA_START;
    MODULES_VADDR = BPF_START + BigInt(SZ_128M);
    MODULES_END = MODULES_VADDR + BigInt(SZ_128M);
    VMALLOC_START = MODULES_END;
    VMALLOC_END = (PAGE_OFFSET - PUD_SIZE - VMEMMAP_SIZE - BigInt(SZ_64K)) & M;
  } else if (era === 'v5.4') {
    // Flipped: linear map is the lower half.
    PAGE_OFFSET = neg(1n << VA);
    PAGE_END = neg(1n << (VA - 1n));
    VMEMMAP_SIZE = (PAGE_END - PAGE_OFFSET) >> (PAGE_SHIFT - STRUCT_PAGE_MAX_SHIFT);
    VMEMMAP_START = neg(VMEMMAP_SIZE + BigInt(SZ_2M));
    VMEMMAP_END = VMEMMAP_START + VMEMMAP_SIZE;
    const PCI_IO_END = VMEMMAP_START - BigInt(SZ_2M);
    PCI_IO_START = PCI_IO_END - BigInt(SZ_16M);
    FIXADDR_TOP = PCI_IO_START - BigInt(SZ_2M);
    BPF_START = PAGE_END;
    MODULES_VADDR = BPF_START + BigInt(SZ_128M);
    MODULES_END = MODULES_VADDR + BigInt(SZ_128M);
    VMALLOC_START = MODULES_END;
    VMALLOC_END = neg(PUD_SIZE + VMEMMAP_SIZE + BigInt(SZ_64K));
  } else if (era === 'v5.11') {
    // 5.11-6.8 memory.h: vmemmap at -(1 << (VA_BITS - VMEMMAP_SHIFT)), PCI I/O and the fixmap
    // just below it; pgtable.h: VMALLOC_END (VMEMMAP_START - SZ_256M). The BPF JIT region
    // below the modules is 5.11's (dropped later in the era; it does not move vmalloc's top).
    PAGE_OFFSET = neg(1n << VA);
    PAGE_END = neg(1n << (VA - 1n));
    const VMEMMAP_SHIFT = PAGE_SHIFT - STRUCT_PAGE_MAX_SHIFT;
    VMEMMAP_SIZE = (PAGE_END - PAGE_OFFSET) >> VMEMMAP_SHIFT;
    VMEMMAP_START = neg(1n << (VA - VMEMMAP_SHIFT));
    VMEMMAP_END = VMEMMAP_START + VMEMMAP_SIZE;
    const PCI_IO_END = VMEMMAP_START - BigInt(SZ_8M);
    PCI_IO_START = PCI_IO_END - BigInt(SZ_16M);
    FIXADDR_TOP = VMEMMAP_START - BigInt(SZ_32M);
    BPF_START = PAGE_END;
    MODULES_VADDR = BPF_START + BigInt(SZ_128M);
    MODULES_END = MODULES_VADDR + BigInt(SZ_128M);
    VMALLOC_START = MODULES_END;
    VMALLOC_END = VMEMMAP_START - BigInt(SZ_256M);
  } else {
    // 6.9 on: vmemmap 1 GiB from the top, fixmap and PCI I/O above it.
    PAGE_OFFSET = neg(1n << VA);
    PAGE_END = neg(1n << (VA - 1n));
    VMEMMAP_END = neg(BigInt(SZ_1G));
    VMEMMAP_SIZE = ((PAGE_END - PAGE_OFFSET) >> PAGE_SHIFT) * BigInt(STRUCT_PAGE_SIZE);
    VMEMMAP_START = VMEMMAP_END - VMEMMAP_SIZE;
    PCI_IO_START = VMEMMAP_END + BigInt(SZ_8M);
    FIXADDR_TOP = neg(BigInt(SZ_8M));
    MODULES_VADDR = PAGE_END;
    MODULES_END = MODULES_VADDR + BigInt(SZ_2G);
    VMALLOC_START = MODULES_END;
    VMALLOC_END = VMEMMAP_START - BigInt(SZ_8M);
  }
  const PCI_IO_END = PCI_IO_START + BigInt(SZ_16M);
  const FIXADDR_START = FIXADDR_TOP - BigInt(FIXADDR_SIZE);
  const regions: Region[] = [
    { kind: 'linear', start: off(PAGE_OFFSET), end: era === 'v5.2' ? g.vaSpan : off(PAGE_END), populatedBy: 'hotplug' },
    { kind: 'modules', start: off(MODULES_VADDR), end: off(MODULES_END), populatedBy: 'vmalloc' },
    { kind: 'vmalloc', start: off(VMALLOC_START), end: off(VMALLOC_END), populatedBy: 'vmalloc' },
    { kind: 'fixmap', start: off(FIXADDR_START), end: off(FIXADDR_TOP), populatedBy: 'boot' },
    { kind: 'pci-io', start: off(PCI_IO_START), end: off(PCI_IO_END), populatedBy: 'boot' },
    { kind: 'vmemmap', start: off(VMEMMAP_START), end: off(VMEMMAP_END), populatedBy: 'hotplug' },
  ];
  if (BPF_START !== null) regions.push({ kind: 'bpf', start: off(BPF_START), end: off(BPF_START + BigInt(SZ_128M)), populatedBy: 'vmalloc' });
  regions.sort((a, b) => a.start - b.start);
  return {
    era,
    geometry: g,
    regions,
    PAGE_OFFSET: off(PAGE_OFFSET),
    PAGE_END: era === 'v5.2' ? g.vaSpan : off(PAGE_END),
    VMALLOC_START: off(VMALLOC_START),
    VMALLOC_END: off(VMALLOC_END),
    VMEMMAP_START: off(VMEMMAP_START),
    VMEMMAP_END: off(VMEMMAP_END),
    VMEMMAP_SIZE: Number(VMEMMAP_SIZE),
    FIXADDR_START: off(FIXADDR_START),
    FIXADDR_TOP: off(FIXADDR_TOP),
    PCI_IO_START: off(PCI_IO_START),
    PCI_IO_END: off(PCI_IO_END),
    MODULES_VADDR: off(MODULES_VADDR),
    MODULES_END: off(MODULES_END),
  };
}

/** A physical memory range. */
export interface PhysRange {
  start: number;
  size: number;
}

/** The physical memory map the layout is applied to. */
export interface MemoryMap {
  /** Memory present at boot: never removable (early sections). */
  boot: PhysRange[];
  /** Hot-pluggable ranges (present at start or added later), with their NUMA node (0 when not given: the boot node). */
  hotplug: (PhysRange & { node?: number })[];
  /** SECTION_SIZE_BITS: 30 (v5.2-v5.11) or 27 (since 5.12, 4K/16K). */
  sectionSizeBits: number;
  /** Bytes memstart_addr is moved down by linear-map KASLR (a multiple of ARM64_MEMSTART_ALIGN). */
  kaslrLinearOffset: number;
}

/**
 * ARM64_MEMSTART_ALIGN: 1 << PUD_SHIFT (4K), 1 << (PMD_SHIFT + 5) (16K),
 * 1 << PMD_SHIFT (64K), but at least the section size.
 */
export function memstartAlign(g: Geometry, sectionSizeBits: number): number {
  const shift = g.pageShift === 12 ? g.PUD_SHIFT : g.pageShift === 14 ? g.PMD_SHIFT + 5 : g.PMD_SHIFT;
  return 2 ** Math.max(shift, sectionSizeBits);
}

/**
 * memstart_addr (PHYS_OFFSET): the start of boot DRAM rounded down to
 * ARM64_MEMSTART_ALIGN, moved down by the linear-map KASLR offset. It is a
 * signed quantity in the kernel (s64) and may be negative.
 */
export function memstartAddr(layout: Layout, mem: MemoryMap): number {
  const align = memstartAlign(layout.geometry, mem.sectionSizeBits);
  if (mem.boot.length === 0) throw new Error('memory.boot must list at least one range');
  const lowest = Math.min(...mem.boot.map((r) => r.start));
  if (mem.kaslrLinearOffset % align !== 0) {
    throw new Error(`memory.kaslrLinearOffset must be a multiple of ARM64_MEMSTART_ALIGN (${formatSize(align)})`);
  }
  return alignDown(lowest, align) - mem.kaslrLinearOffset;
}

/** Linear-map offset of a physical address: __phys_to_virt(pa) = (pa - PHYS_OFFSET) | PAGE_OFFSET. */
export function linearOffset(layout: Layout, memstart: number, pa: number): number {
  return layout.PAGE_OFFSET + (pa - memstart);
}

/** vmemmap offset of the struct page of pfn: vmemmap = VMEMMAP_START - (memstart_addr >> PAGE_SHIFT). */
export function vmemmapOffset(layout: Layout, memstart: number, pfn: number): number {
  return layout.VMEMMAP_START + (pfn - memstart / layout.geometry.pageSize) * STRUCT_PAGE_SIZE;
}

/** The vmemmap byte range describing physical range [pa, pa+size). */
export function vmemmapRangeOf(layout: Layout, memstart: number, r: PhysRange): { start: number; end: number } {
  const ps = layout.geometry.pageSize;
  return { start: vmemmapOffset(layout, memstart, r.start / ps), end: vmemmapOffset(layout, memstart, (r.start + r.size) / ps) };
}

/** Is the physical range inside what the linear map can cover (arm64 inside_linear_region())? */
export function insideLinearRegion(layout: Layout, memstart: number, r: PhysRange): boolean {
  const s = linearOffset(layout, memstart, r.start);
  const e = linearOffset(layout, memstart, r.start + r.size);
  return s >= layout.PAGE_OFFSET && e <= layout.PAGE_END;
}

/** A table page (below the static root) whose span two or more regions use. */
export interface SharedTable {
  /** Depth of the table (1 = the table a root entry points to). */
  depth: number;
  /** Kernel name of the table's entries, e.g. 'pud' for a PUD table. */
  entries: string;
  start: number;
  end: number;
  regions: RegionKind[];
}

/** Every table below the root whose span intersects two or more regions. */
export function sharedTables(layout: Layout): SharedTable[] {
  const g = layout.geometry;
  const out: SharedTable[] = [];
  for (let d = 1; d < g.levels; d++) {
    const span = g.entrySize[d - 1];
    const seen = new Map<number, Set<RegionKind>>();
    for (const r of layout.regions) {
      if (r.end <= r.start) continue;
      // Only the spans at the region's edges can be shared with a neighbour.
      const first = alignDown(r.start, span);
      const last = alignDown(r.end - 1, span);
      for (const s of first === last ? [first] : [first, last]) {
        let set = seen.get(s);
        if (!set) seen.set(s, (set = new Set()));
        set.add(r.kind);
      }
    }
    for (const [s, set] of [...seen.entries()].sort((a, b) => a[0] - b[0])) {
      if (set.size > 1) out.push({ depth: d, entries: g.name[d], start: s, end: s + span, regions: [...set].sort() });
    }
  }
  return out;
}

/** Why a shared vmalloc/vmemmap table can or cannot become empty. */
export interface Reachability {
  table: SharedTable;
  emptiable: boolean;
  /** What keeps it populated forever, if anything. */
  blockers: string[];
}

export interface ReachabilityReport {
  /** Tables shared by vmalloc and vmemmap. */
  shared: Reachability[];
  /** True if at least one shared table can become empty when hot-pluggable memory is removed. */
  raceReachable: boolean;
  summary: string;
}

/**
 * Can a table shared by vmalloc and vmemmap become empty? Only if nothing
 * permanent lives in its span: not the fixmap or PCI I/O, and not the struct
 * pages of boot memory (whose sections are never removed), rounded out to the
 * granularity vmemmap is mapped with. See DOMAIN "Reachability".
 */
export function vmemmapRaceReachability(layout: Layout, mem: MemoryMap, vmemmapMapping: 'pmd' | 'base'): ReachabilityReport {
  const g = layout.geometry;
  const memstart = memstartAddr(layout, mem);
  const sectionSize = 2 ** mem.sectionSizeBits;
  const grain = vmemmapMapping === 'pmd' && g.pmdDepth >= 0 ? g.entrySize[g.pmdDepth] : g.pageSize;
  const permanent: { start: number; end: number; what: string }[] = [];
  for (const r of layout.regions) {
    if (r.kind === 'fixmap' || r.kind === 'pci-io') permanent.push({ start: r.start, end: r.end, what: r.kind === 'fixmap' ? 'the fixmap' : 'PCI I/O' });
  }
  for (const b of mem.boot) {
    // sparse vmemmap maps whole sections' memmaps.
    const sec = { start: alignDown(b.start, sectionSize), size: alignUp(b.start + b.size, sectionSize) - alignDown(b.start, sectionSize) };
    const v = vmemmapRangeOf(layout, memstart, sec);
    permanent.push({ start: alignDown(v.start, grain), end: alignUp(v.end, grain), what: `struct pages of boot memory at ${hexPa(b.start)}` });
  }
  const shared: Reachability[] = [];
  for (const t of sharedTables(layout)) {
    if (!t.regions.includes('vmalloc') || !t.regions.includes('vmemmap')) continue;
    const blockers = permanent.filter((p) => p.start < t.end && p.end > t.start).map((p) => p.what);
    shared.push({ table: t, emptiable: blockers.length === 0, blockers });
  }
  const raceReachable = shared.some((s) => s.emptiable);
  let summary: string;
  if (shared.length === 0) summary = `vmalloc/vmemmap race unreachable here, no table is shared by vmalloc and vmemmap on ${layout.era} ${g.pageSize / 1024}K/${g.vaBits}`;
  else if (!raceReachable) {
    summary = `vmalloc/vmemmap race unreachable here, no shared table can become empty: ${shared
      .map((s) => `${s.table.entries.toUpperCase()} table ${formatVA(g, s.table.start)} holds ${s.blockers.join(', ')}`)
      .join('; ')}`;
  } else {
    const e = shared.find((s) => s.emptiable)!;
    summary = `the ${e.table.entries.toUpperCase()} table at ${formatVA(g, e.table.start)}-${formatVA(g, e.table.end - 1)} is shared by vmalloc and vmemmap and can become empty`;
  }
  return { shared, raceReachable, summary };
}

function hexPa(pa: number): string {
  return `0x${pa.toString(16)}`;
}
