/**
 * Per-CPU TLBs: a leaf part (VA range -> pfn, with the generation the frame
 * had when the walk filled it) and a walk cache of intermediate entries
 * (table depth and VA span -> table frame). Fully associative, FIFO
 * replacement, fixed capacity, typed arrays only. arm64 semantics:
 * TLBI VAALE1IS drops leaf entries covering a VA (last level only),
 * TLBI VAAE1IS also drops walk-cache entries for it, VMALLE1IS drops all;
 * all are broadcast (inner shareable) to every CPU.
 *
 * With an AccessLog attached (explore), every lookup declares what it read
 * and every fill, eviction and invalidation the entries it changed, as
 * intervals of VA and of pfns, at the place it happens.
 */
import { ANY_CPU, ANY_DEPTH, type AccessLog, TLB_ANY, TLB_LEAF_PFN, TLB_LEAF_VA, TLB_WALK_PFN, TLB_WALK_VA } from './access.ts';

/** Bounds on the leaf filter's buckets per CPU and entry size (as bits): about four per entry. */
const FILTER_MIN_BITS = 6;
const FILTER_MAX_BITS = 12;

/** The filter bucket of an entry key (a VA divided by the entry's size: an integer below 2^53). */
function bucketOf(key: number, bits: number): number {
  // Fold the high word into the low one, then a multiplicative hash keeps the top `bits` bits.
  return Math.imul((key | 0) ^ ((key / 4294967296) | 0), 0x9e3779b1) >>> (32 - bits);
}

export class Tlbs {
  readonly cpus: number;
  readonly leafCap: number;
  readonly walkCap: number;
  // Leaf part.
  readonly leafVa: Float64Array;
  readonly leafSize: Float64Array;
  readonly leafPfn: Float64Array;
  readonly leafGen: Uint32Array;
  readonly leafValid: Uint8Array;
  private readonly leafNext: Int32Array;
  /**
   * Per CPU: a VA interval holding every valid leaf entry (it grows on fills
   * and is reset by a full flush), so a per-page TLBI of a range no entry of
   * that CPU can cover skips its scan. A linear-map teardown issues one TLBI
   * per page; the vmalloc CPUs' TLBs hold vmalloc addresses far from it.
   */
  private readonly leafLo: Float64Array;
  private readonly leafHi: Float64Array;
  /**
   * A counting filter of each CPU's valid leaf entries, per entry size
   * (class): a bucket, chosen by hashing the entry's VA divided by its size,
   * counts the entries that hash there. Every memory access looks its VA up
   * and most miss; an empty bucket in every class that CPU holds proves the
   * miss without the scan. A non-empty bucket only sends the lookup to the
   * scan, so the scan alone still decides which entry is found. Entries that
   * are not aligned to their size (none are filled today) are counted in
   * `unfiltered`, which turns the filter off for their CPU.
   */
  private readonly leafSizes: readonly number[];
  /** 1 / leafSizes[c] (exact: powers of two). */
  private readonly leafScales: readonly number[];
  private readonly classCount: Int32Array;
  private readonly buckets: Int32Array;
  private readonly bucketBits: number;
  private readonly unfiltered: Int32Array;
  // Walk cache.
  readonly walkDepth: Int8Array;
  readonly walkSpan: Float64Array;
  readonly walkPfn: Float64Array;
  readonly walkGen: Uint32Array;
  readonly walkValid: Uint8Array;
  /**
   * Per walk-cache entry, the one number lookupWalk() compares: span + depth
   * when valid (a span is a multiple of an entry size far above any depth,
   * so the sum is exact and tells depths apart), else -1. One load per
   * entry instead of three, on each level of every hardware walk.
   */
  private readonly walkKey: Float64Array;
  private readonly walkNext: Int32Array;
  /** Per CPU, its valid walk-cache entries: cpuWalkingTable() skips a CPU holding none and stops at its last one. */
  private readonly walkCount: Int32Array;

  readonly pageSize: number;
  /** VA span a walk-cache entry of each depth covers (the entry size of the level above). */
  private readonly spanOfDepth: readonly number[];
  /** Where lookups and changes are declared (explore), or null. */
  access: AccessLog | null = null;

  constructor(cpus: number, pageSize: number, spanOfDepth: readonly number[], leafCap = 64, walkCap = 16) {
    this.cpus = cpus;
    this.pageSize = pageSize;
    this.spanOfDepth = spanOfDepth;
    this.leafCap = leafCap;
    this.walkCap = walkCap;
    const nl = cpus * leafCap;
    const nw = cpus * walkCap;
    this.leafSizes = [...new Set(spanOfDepth.filter((x) => x > 0))];
    this.leafScales = this.leafSizes.map((x) => 1 / x);
    const nk = cpus * this.leafSizes.length;
    this.bucketBits = Math.min(FILTER_MAX_BITS, Math.max(FILTER_MIN_BITS, Math.ceil(Math.log2(4 * leafCap))));
    const nb = nk << this.bucketBits;
    // Every array is a view of one buffer, 8-byte elements first so each view is aligned: explore builds a machine
    // per execution it explores, and one allocation costs far less than twenty.
    const buf = new ArrayBuffer(8 * (3 * nl + 2 * cpus + 3 * nw) + 4 * (nl + nk + nb + nw + 4 * cpus) + (nl + 2 * nw));
    let at = 0;
    const f64 = (n: number): Float64Array => new Float64Array(buf, (at += 8 * n) - 8 * n, n);
    const i32 = (n: number): Int32Array => new Int32Array(buf, (at += 4 * n) - 4 * n, n);
    const u32 = (n: number): Uint32Array => new Uint32Array(buf, (at += 4 * n) - 4 * n, n);
    const u8 = (n: number): Uint8Array => new Uint8Array(buf, (at += n) - n, n);
    this.leafVa = f64(nl);
    this.leafSize = f64(nl);
    this.leafPfn = f64(nl);
    this.leafLo = f64(cpus).fill(Infinity);
    this.leafHi = f64(cpus).fill(-Infinity);
    this.walkSpan = f64(nw);
    this.walkPfn = f64(nw);
    this.walkKey = f64(nw).fill(-1);
    this.leafGen = u32(nl);
    this.leafNext = i32(cpus);
    this.classCount = i32(nk);
    this.buckets = i32(nb);
    this.unfiltered = i32(cpus);
    this.walkGen = u32(nw);
    this.walkNext = i32(cpus);
    this.walkCount = i32(cpus);
    this.leafValid = u8(nl);
    this.walkDepth = new Int8Array(buf, at, nw);
    at += nw;
    this.walkValid = u8(nw);
  }

  /** Count leaf entry i (of `cpu`) into the filter (delta 1) or out of it (delta -1). */
  private filterCount(cpu: number, i: number, delta: number): void {
    const size = this.leafSize[i];
    const sizes = this.leafSizes;
    let c = 0;
    while (c < sizes.length && sizes[c] !== size) c++;
    // The VA over the size by its exact reciprocal (sizes are powers of two): no division on a TLB fill.
    const key = c < sizes.length ? this.leafVa[i] * this.leafScales[c] : Number.NaN;
    if (!Number.isInteger(key)) {
      this.unfiltered[cpu] += delta;
      return;
    }
    const k = cpu * sizes.length + c;
    this.classCount[k] += delta;
    this.buckets[(k << this.bucketBits) + bucketOf(key, this.bucketBits)] += delta;
  }

  /** Might a valid leaf entry of `cpu` cover `va`? False is exact: none does. */
  private mayCover(cpu: number, va: number): boolean {
    if (this.unfiltered[cpu] !== 0) return true;
    const scales = this.leafScales;
    const nc = scales.length;
    const bits = this.bucketBits;
    for (let c = 0; c < nc; c++) {
      const k = cpu * nc + c;
      if (this.classCount[k] !== 0 && this.buckets[(k << bits) + bucketOf(Math.floor(va * scales[c]), bits)] !== 0) return true;
    }
    return false;
  }

  /** Index of the leaf entry of `cpu` translating `va`, or -1. */
  lookupLeaf(cpu: number, va: number): number {
    this.access?.tlb(TLB_LEAF_VA, cpu, ANY_DEPTH, va, va + 1, false);
    // Every simulated memory access starts here, and most miss (random pages of large ranges): rule out a VA
    // outside every entry this CPU filled since its last full flush, or absent from its filter, before scanning.
    if (va < this.leafLo[cpu] || va >= this.leafHi[cpu] || !this.mayCover(cpu, va)) return -1;
    const valid = this.leafValid;
    const start = this.leafVa;
    const size = this.leafSize;
    const base = cpu * this.leafCap;
    const end = base + this.leafCap;
    for (let i = base; i < end; i++) {
      if (valid[i] !== 0 && va >= start[i] && va < start[i] + size[i]) return i;
    }
    return -1;
  }

  fillLeaf(cpu: number, vaStart: number, size: number, pfn: number, gen: number): void {
    const next = this.leafNext[cpu];
    const i = cpu * this.leafCap + next;
    this.leafNext[cpu] = next + 1 === this.leafCap ? 0 : next + 1;
    if (this.access !== null) this.declareLeafFill(this.access, cpu, i, vaStart, size, pfn, gen);
    if (this.leafValid[i]) this.filterCount(cpu, i, -1);
    this.leafVa[i] = vaStart;
    this.leafSize[i] = size;
    this.leafPfn[i] = pfn;
    this.leafGen[i] = gen;
    this.leafValid[i] = 1;
    this.filterCount(cpu, i, 1);
    if (vaStart < this.leafLo[cpu]) this.leafLo[cpu] = vaStart;
    if (vaStart + size > this.leafHi[cpu]) this.leafHi[cpu] = vaStart + size;
  }

  /** Walk-cache entry of `cpu` for the table of `depth` covering span start `span`, or -1. */
  lookupWalk(cpu: number, depth: number, span: number): number {
    this.access?.tlb(TLB_WALK_VA, cpu, depth, span, span + this.spanOfDepth[depth], false);
    const key = span + depth;
    const keys = this.walkKey;
    const base = cpu * this.walkCap;
    const end = base + this.walkCap;
    for (let i = base; i < end; i++) if (keys[i] === key) return i;
    return -1;
  }

  fillWalk(cpu: number, depth: number, span: number, pfn: number, gen: number): void {
    const next = this.walkNext[cpu];
    const i = cpu * this.walkCap + next;
    this.walkNext[cpu] = next + 1 === this.walkCap ? 0 : next + 1;
    if (this.access !== null) this.declareWalkFill(this.access, cpu, i, depth, span, pfn, gen);
    if (this.walkValid[i] === 0) this.walkCount[cpu]++;
    this.walkDepth[i] = depth;
    this.walkSpan[i] = span;
    this.walkPfn[i] = pfn;
    this.walkGen[i] = gen;
    this.walkValid[i] = 1;
    this.walkKey[i] = span + depth;
  }

  // The declarations of a fill (explore only) sit apart from the fills, which run on every simulated TLB miss: kept
  // out of them, they leave the fills small enough for the optimizing compiler to inline into the hardware walk.

  /** Leaf slot i of `cpu` is about to be filled: unless it already holds this translation, its old one and the new one are written. */
  private declareLeafFill(log: AccessLog, cpu: number, i: number, vaStart: number, size: number, pfn: number, gen: number): void {
    if (this.leafValid[i] && this.leafVa[i] === vaStart && this.leafSize[i] === size && this.leafPfn[i] === pfn && this.leafGen[i] === gen) return;
    if (this.leafValid[i]) this.declareLeaf(log, i);
    log.tlb(TLB_LEAF_VA, cpu, ANY_DEPTH, vaStart, vaStart + size, true);
    log.tlb(TLB_LEAF_PFN, cpu, ANY_DEPTH, pfn, pfn + Math.max(1, size / this.pageSize), true);
  }

  /** Walk-cache slot i of `cpu` is about to be filled: unless it already holds this entry, its old one and the new one are written. */
  private declareWalkFill(log: AccessLog, cpu: number, i: number, depth: number, span: number, pfn: number, gen: number): void {
    if (this.walkValid[i] && this.walkDepth[i] === depth && this.walkSpan[i] === span && this.walkPfn[i] === pfn && this.walkGen[i] === gen) return;
    if (this.walkValid[i]) this.declareWalk(log, i);
    log.tlb(TLB_WALK_VA, cpu, depth, span, span + this.spanOfDepth[depth], true);
    log.tlb(TLB_WALK_PFN, cpu, ANY_DEPTH, pfn, pfn + 1, true);
  }

  /** A leaf entry changes (evicted or dropped): its old translation is written. */
  private declareLeaf(log: AccessLog, i: number): void {
    const c = Math.floor(i / this.leafCap);
    log.tlb(TLB_LEAF_VA, c, ANY_DEPTH, this.leafVa[i], this.leafVa[i] + this.leafSize[i], true);
    log.tlb(TLB_LEAF_PFN, c, ANY_DEPTH, this.leafPfn[i], this.leafPfn[i] + Math.max(1, this.leafSize[i] / this.pageSize), true);
  }

  /** A walk-cache entry changes (evicted or dropped): its old span and table are written. */
  private declareWalk(log: AccessLog, i: number): void {
    const c = Math.floor(i / this.walkCap);
    const d = this.walkDepth[i];
    log.tlb(TLB_WALK_VA, c, d, this.walkSpan[i], this.walkSpan[i] + this.spanOfDepth[d], true);
    log.tlb(TLB_WALK_PFN, c, ANY_DEPTH, this.walkPfn[i], this.walkPfn[i] + 1, true);
  }

  /** TLBI VAALE1IS for each of `pages` pages from `va`: drop the leaf entries covering them on every CPU. */
  invalidateLeafPages(va: number, pages: number): void {
    const ps = this.pageSize;
    this.access?.tlb(TLB_LEAF_VA, ANY_CPU, ANY_DEPTH, va, va + Math.max(1, pages) * ps, false);
    for (let p = 0; p < pages; p++) this.invalidateLeafVa(va + p * ps);
  }

  /** TLBI VAALE1IS: drop leaf entries covering `va` on every CPU. */
  private invalidateLeafVa(va: number): void {
    const log = this.access;
    for (let c = 0; c < this.cpus; c++) {
      if (va < this.leafLo[c] || va >= this.leafHi[c] || !this.mayCover(c, va)) continue;
      const end = (c + 1) * this.leafCap;
      for (let i = c * this.leafCap; i < end; i++) {
        if (this.leafValid[i] && va >= this.leafVa[i] && va < this.leafVa[i] + this.leafSize[i]) {
          if (log !== null) this.declareLeaf(log, i);
          this.leafValid[i] = 0;
          this.filterCount(c, i, -1);
        }
      }
    }
  }

  /** TLBI VAAE1IS: drop leaf and walk-cache entries covering `va` on every CPU. */
  invalidateVa(va: number): void {
    const log = this.access;
    if (log !== null) {
      log.tlb(TLB_LEAF_VA, ANY_CPU, ANY_DEPTH, va, va + 1, false);
      log.tlb(TLB_WALK_VA, ANY_CPU, ANY_DEPTH, va, va + 1, false);
    }
    this.invalidateLeafVa(va);
    const n = this.walkValid.length;
    for (let i = 0; i < n; i++) {
      if (!this.walkValid[i]) continue;
      const s = this.walkSpan[i];
      if (va >= s && va < s + this.spanOfDepth[this.walkDepth[i]]) {
        if (log !== null) this.declareWalk(log, i);
        this.walkValid[i] = 0;
        this.walkKey[i] = -1;
        this.walkCount[Math.floor(i / this.walkCap)]--;
      }
    }
  }

  /** TLBI VMALLE1IS. */
  invalidateAll(): void {
    this.access?.tlb(TLB_ANY, ANY_CPU, ANY_DEPTH, -Infinity, Infinity, true);
    this.leafValid.fill(0);
    this.walkValid.fill(0);
    this.walkKey.fill(-1);
    this.walkCount.fill(0);
    this.leafLo.fill(Infinity);
    this.leafHi.fill(-Infinity);
    this.classCount.fill(0);
    this.buckets.fill(0);
    this.unfiltered.fill(0);
  }

  /** First CPU whose leaf TLB maps a pfn in [pfn, pfn + pages), or -1. */
  cpuMappingPfn(pfn: number, pages: number): number {
    this.access?.tlb(TLB_LEAF_PFN, ANY_CPU, ANY_DEPTH, pfn, pfn + pages, false);
    // The filter counts each CPU's valid entries (every one in some class, or unfiltered): a CPU holding none is
    // skipped, and a CPU's scan ends at its last valid entry. Explore asks this of every frame it allocates or
    // frees, with most CPUs' TLBs nearly empty.
    const nc = this.leafSizes.length;
    const cap = this.leafCap;
    const valid = this.leafValid;
    for (let c = 0; c < this.cpus; c++) {
      let left = this.unfiltered[c];
      for (let k = c * nc; k < c * nc + nc; k++) left += this.classCount[k];
      for (let i = c * cap, end = i + cap; left > 0 && i < end; i++) {
        if (valid[i] === 0) continue;
        left--;
        const p = this.leafPfn[i];
        if (p < pfn + pages && p + this.leafSize[i] / this.pageSize > pfn) return c;
      }
    }
    return -1;
  }

  /** First CPU whose walk cache points at table pfn, or -1. */
  cpuWalkingTable(pfn: number): number {
    this.access?.tlb(TLB_WALK_PFN, ANY_CPU, ANY_DEPTH, pfn, pfn + 1, false);
    const cap = this.walkCap;
    const valid = this.walkValid;
    const pfns = this.walkPfn;
    for (let c = 0; c < this.cpus; c++) {
      let left = this.walkCount[c];
      for (let i = c * cap, end = i + cap; left > 0 && i < end; i++) {
        if (valid[i] === 0) continue;
        if (pfns[i] === pfn) return c;
        left--;
      }
    }
    return -1;
  }
}
