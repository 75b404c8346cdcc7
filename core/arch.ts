/**
 * arm64 translation geometry derived from page size and VA_BITS the way the
 * kernel derives it (arch/arm64/include/asm/pgtable-hwdef.h). Addresses in the
 * simulator are *offsets* from the base of the kernel (TTBR1) half,
 * VA_BASE = 2^64 - 2^VA_BITS, so that they are exact JS numbers (< 2^53);
 * `formatVA` turns an offset back into the full 64-bit hex address.
 */

export type PageSize = 4096 | 16384 | 65536;
export type VaBits = 39 | 42 | 47 | 48;

export interface ArchConfig {
  pageSize: PageSize;
  vaBits: VaBits;
}

/** Kernel names of the table levels, root first. */
export type LevelName = 'pgd' | 'pud' | 'pmd' | 'pte';

export interface Geometry {
  pageSize: number;
  pageShift: number;
  vaBits: number;
  /** CONFIG_PGTABLE_LEVELS. */
  levels: number;
  /** Bits resolved per table level (PAGE_SHIFT - 3). */
  bitsPerLevel: number;
  /** For table depth d (0 = root): the shift of the VA range one entry maps. */
  shift: number[];
  /** For depth d: bytes one entry maps (2^shift[d]). */
  entrySize: number[];
  /** For depth d: number of entries in a table of that depth. */
  ptrs: number[];
  /**
   * 1 / entrySize[d] and 1 / ptrs[d]: powers of two, so multiplying by them
   * is exact and gives what dividing does (a division costs several times
   * a multiplication, and indexAt() runs on every simulated table access).
   */
  entryScale: number[];
  ptrsScale: number[];
  /** For depth d: the kernel name of the entries ('pgd' | 'pud' | 'pmd' | 'pte'). */
  name: LevelName[];
  PMD_SHIFT: number;
  PUD_SHIFT: number;
  PGDIR_SHIFT: number;
  PTRS_PER_PGD: number;
  PTRS_PER_PTE: number;
  /** Bytes of kernel VA space (2^VA_BITS); offsets lie in [0, vaSpan). */
  vaSpan: number;
  /** Depth of the PMD level (entries of PMD_SIZE), or -1 when folded. */
  pmdDepth: number;
  /** Depth of the PUD level, or -1 when folded. */
  pudDepth: number;
  /** Depth of the leaf (PTE) level. */
  pteDepth: number;
}

/** ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3. */
function hwLevelShift(pageShift: number, n: number): number {
  return (pageShift - 3) * (4 - n) + 3;
}

/** Geometry from page size and VA_BITS, as the kernel's macros compute it. */
export function geometry(arch: ArchConfig): Geometry {
  const pageShift = Math.log2(arch.pageSize);
  if (!Number.isInteger(pageShift)) throw new Error(`page size ${arch.pageSize} is not a power of two`);
  const bits = pageShift - 3;
  // ARM64_HW_PGTABLE_LEVELS(va_bits) = ((va_bits) - 4) / (PAGE_SHIFT - 3)
  const levels = Math.floor((arch.vaBits - 4) / bits);
  const PMD_SHIFT = hwLevelShift(pageShift, 2);
  const PUD_SHIFT = hwLevelShift(pageShift, 1);
  const PGDIR_SHIFT = hwLevelShift(pageShift, 4 - levels);
  const shift: number[] = [];
  const name: LevelName[] = [];
  for (let d = 0; d < levels; d++) {
    shift.push(pageShift + (levels - 1 - d) * bits);
  }
  for (let d = 0; d < levels; d++) {
    const fromLeaf = levels - 1 - d;
    if (d === 0) name.push('pgd');
    else if (fromLeaf === 0) name.push('pte');
    else if (fromLeaf === 1) name.push('pmd');
    else name.push('pud');
  }
  const ptrs = shift.map((s, d) => (d === 0 ? 2 ** (arch.vaBits - s) : 2 ** bits));
  const depthOf = (n: LevelName): number => name.indexOf(n);
  return {
    pageSize: arch.pageSize,
    pageShift,
    vaBits: arch.vaBits,
    levels,
    bitsPerLevel: bits,
    shift,
    entrySize: shift.map((s) => 2 ** s),
    ptrs,
    entryScale: shift.map((s) => 2 ** -s),
    ptrsScale: ptrs.map((p) => 1 / p),
    name,
    PMD_SHIFT,
    PUD_SHIFT,
    PGDIR_SHIFT,
    PTRS_PER_PGD: 2 ** (arch.vaBits - PGDIR_SHIFT),
    PTRS_PER_PTE: 2 ** bits,
    vaSpan: 2 ** arch.vaBits,
    pmdDepth: levels >= 3 ? depthOf('pmd') : -1,
    pudDepth: levels >= 4 ? depthOf('pud') : -1,
    pteDepth: levels - 1,
  };
}

/** VA_BASE = 2^64 - 2^VA_BITS as a bigint. */
export function vaBase(g: Geometry): bigint {
  return (1n << 64n) - (1n << BigInt(g.vaBits));
}

/** Full 64-bit kernel address of an offset, 16 hex digits, no 0x. */
export function formatVA(g: Geometry, offset: number): string {
  return (vaBase(g) + BigInt(offset)).toString(16).padStart(16, '0');
}

/** Offset of a full kernel address (bigint or hex string). Throws if outside the kernel half. */
export function vaOffset(g: Geometry, va: bigint | string): number {
  const v = typeof va === 'bigint' ? va : BigInt(va.startsWith('0x') ? va : `0x${va}`);
  const off = v - vaBase(g);
  if (off < 0n || off >= 1n << BigInt(g.vaBits)) throw new Error(`${v.toString(16)} is not a kernel address with VA_BITS=${g.vaBits}`);
  return Number(off);
}

/** Index of `offset` in a table of depth d. */
export function indexAt(g: Geometry, d: number, offset: number): number {
  return indexOfEntries(g, d, entriesAt(g, d, offset));
}

/** `offset` in entries of depth d (floor(offset / entry size), by the exact reciprocal: no division). */
export function entriesAt(g: Geometry, d: number, offset: number): number {
  return Math.floor(offset * g.entryScale[d]);
}

/** The table index of entry number q of depth d (counted from offset 0): q mod PTRS_PER_*. */
export function indexOfEntries(g: Geometry, d: number, q: number): number {
  // q % n, without %: above 2^31 V8 computes % on doubles with a call to fmod, and this runs on every simulated
  // table access. Both sizes are powers of two, so the scaling is exact and the result is the same.
  return q - Math.trunc(q * g.ptrsScale[d]) * g.ptrs[d];
}

/** The kernel's p?d_addr_end(addr, end) for depth d: next boundary or end. */
export function addrEnd(g: Geometry, d: number, addr: number, end: number): number {
  const size = g.entrySize[d];
  const boundary = (Math.floor(addr * g.entryScale[d]) + 1) * size;
  return boundary - 1 < end - 1 ? boundary : end;
}

/** Round down to a multiple of `size` (exact for offsets below 2^53). */
export function alignDown(x: number, size: number): number {
  return Math.floor(x / size) * size;
}

/** Round up to a multiple of `size`. */
export function alignUp(x: number, size: number): number {
  return Math.ceil(x / size) * size;
}

/** Human size: 4096 -> "4 KiB", 2^30 -> "1 GiB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let u = 0;
  let v = bytes;
  while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}
