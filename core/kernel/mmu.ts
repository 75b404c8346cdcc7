/**
 * arch/arm64/mm/mmu.c: building and tearing down the kernel's linear map and
 * vmemmap on memory hot-add/remove. Each routine mirrors the kernel function
 * named in its header; level-generic routines stand for the per-level C
 * functions (unmap_hotplug_pmd_range() etc.), named per level in the trace.
 * Every READ_ONCE, p?d_clear, set_p?d, TLBI and free is one step.
 */
import { addrEnd, alignDown, type Geometry, indexAt } from '../arch.ts';
import { ENTRY_BLOCK, ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMEMMAP } from '../model/memory.ts';
import { LOCK_PTL, LOCK_NAMES } from '../model/locks.ts';
import { type Actor, OP_LOCK, OP_UNLOCK, type Program, type Sim } from '../sim.ts';
import { N } from './names.ts';

const PTL_LOCK = `spin_lock(&${LOCK_NAMES[LOCK_PTL]})`;
const PTL_UNLOCK = `spin_unlock(&${LOCK_NAMES[LOCK_PTL]})`;

/** Which caller a teardown serves: it decides free_mapped and floor/ceiling. */
export interface TeardownTarget {
  /** vmemmap_free() (true) or __remove_pgd_mapping() (false). */
  vmemmap: boolean;
  floor: number;
  ceiling: number;
}

// ------------------------------------------------------------- two passes

/**
 * unmap_hotplug_range() and unmap_hotplug_{p4d,pud,pmd,pte}_range()
 * (v5.7 mmu.c; batched linear-map flush as in 48478b9f7913 when the strategy asks).
 * Deviation: CONT entries are not modelled.
 */
export function* unmap_hotplug_range(s: Sim, a: Actor, start: number, end: number, freeMapped: boolean): Program {
  yield unmapLevel(s, a, s.root, s.mem.gen[s.root], 0, start, end, freeMapped);
  if (!freeMapped && s.knobs.linearTlbi === 'batched') {
    yield a.tlbiRange(N.unmapRange.pgd, 'flush_tlb_kernel_range(start, end) /* batched */', start, end);
  }
}

function* unmapLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number, freeMapped: boolean): Program {
  const g = s.g;
  const kn = s.knobs;
  const name = g.name[d];
  const fn = N.unmapRange[name];
  const leaf = g.levels - 1;
  const freeFirst = kn.leafOrder === 'free-clear-tlbi';
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    yield a.read(fn, N.read[name], tf, tg, idx, addr);
    const k = a.resultKind;
    if (k === ENTRY_NONE) continue;
    if (k === ENTRY_TABLE && d < leaf) {
      yield unmapLevel(s, a, a.resultFrame, a.resultGen, d + 1, addr, next, freeMapped);
      continue;
    }
    // Leaf or block entry: clear -> TLBI -> free (or the strategy's order). Written out here rather than called:
    // a linear-map teardown runs it for every PTE.
    const pf = a.resultFrame;
    const pg = a.resultGen;
    const canFree = freeMapped && pf >= 0;
    if (freeFirst && canFree) yield a.free(fn, N.freeLeaf[name], pf, pg, addr, true);
    yield a.write(fn, N.clear[name], tf, tg, idx, addr, ENTRY_NONE, 0);
    const tlbi = (k === ENTRY_BLOCK ? kn.blockTlbi : true) && (freeMapped || kn.linearTlbi === 'per-entry');
    if (tlbi) yield a.tlbiRange(fn, N.tlbiLeaf[name], addr, addr + g.pageSize);
    if (!freeFirst && canFree) yield a.free(fn, N.freeLeaf[name], pf, pg, addr, true);
  } while ((addr = next) < end);
}

/**
 * free_empty_tables() and free_empty_{p4d,pud,pmd,pte}_table() (v5.7 mmu.c),
 * with the table-freeing policy of the strategy: every empty table (V6),
 * floor/ceiling (v5.7), never for vmemmap (Option 3), or never.
 */
export function* free_empty_tables(s: Sim, a: Actor, start: number, end: number, target: TeardownTarget): Program {
  const g = s.g;
  const root = s.root;
  const rg = s.mem.gen[root];
  let addr = start;
  let next = addr;
  do {
    next = addrEnd(g, 0, addr, end);
    const idx = indexAt(g, 0, addr);
    yield a.read(N.freeEmpty.pgd, N.read.pgd, root, rg, idx, addr);
    if (a.resultKind === ENTRY_NONE || a.resultKind !== ENTRY_TABLE) continue;
    yield freeEmptyLevel(s, a, root, rg, idx, a.resultFrame, a.resultGen, 1, addr, next, target);
  } while ((addr = next) < end);
}

function mayFreeTable(s: Sim, target: TeardownTarget, start: number, end: number, d: number): boolean {
  switch (s.knobs.freeTables) {
    case 'never':
      return false;
    case 'never-vmemmap':
      return !target.vmemmap;
    case 'all-empty':
      return true;
    case 'floor-ceiling':
      return pgtable_range_aligned(s, start, end, target.floor, target.ceiling, s.g.entrySize[d - 1]);
  }
}

/**
 * pgtable_range_aligned() (v5.7 mmu.c, after free_pgd_range()). A ceiling
 * equal to the top of the address space stands for the kernel's 0.
 */
export function pgtable_range_aligned(s: Sim, start: number, end: number, floor: number, ceiling: number, size: number): boolean {
  start = alignDown(start, size);
  if (start < floor) return false;
  if (ceiling !== s.g.vaSpan) {
    ceiling = alignDown(ceiling, size);
    if (ceiling === 0) return false;
  }
  if (end - 1 > ceiling - 1) return false;
  return true;
}

function* freeEmptyLevel(
  s: Sim,
  a: Actor,
  pf: number,
  pgen: number,
  pidx: number,
  tf: number,
  tg: number,
  d: number,
  addr: number,
  end: number,
  target: TeardownTarget,
): Program {
  const g = s.g;
  const name = g.name[d];
  const parentName = g.name[d - 1];
  const fn = N.freeEmpty[name];
  const leaf = g.levels - 1;
  const start = addr;
  if (d === leaf) {
    // The PTE level only checks: WARN_ON(!pte_none(pte)).
    do {
      yield a.read(fn, N.read[name], tf, tg, indexAt(g, d, addr), addr);
    } while ((addr += g.pageSize) < end);
  } else {
    let next = addr;
    do {
      next = addrEnd(g, d, addr, end);
      const idx = indexAt(g, d, addr);
      yield a.read(fn, N.read[name], tf, tg, idx, addr);
      if (a.resultKind !== ENTRY_TABLE) continue; // none, or a block left by a failed unmap (WARN_ON)
      yield freeEmptyLevel(s, a, tf, tg, idx, a.resultFrame, a.resultGen, d + 1, addr, next, target);
    } while ((addr = next) < end);
  }
  if (!mayFreeTable(s, target, start, end, d)) return;
  for (let i = 0; i < g.ptrs[d]; i++) {
    yield a.read(fn, N.readIdx[name], tf, tg, i, alignDown(start, g.entrySize[d - 1]) + i * g.entrySize[d]);
    if (a.resultKind !== ENTRY_NONE) return;
  }
  yield a.write(fn, N.clear[parentName], pf, pgen, pidx, start, ENTRY_NONE, 0);
  if (s.knobs.walkCacheTlbi) yield a.tlbiPgtable(fn, N.flushPgtable, start);
  else yield a.tlbiRange(fn, N.flushPgtableLeafOnly, start, start + g.pageSize);
  yield a.free(fn, N.freePgtable, tf, tg, start, true);
}

// --------------------------------------------------------- V5: one pass

/**
 * remove_pagetable() and remove_{pud,pmd,pte}_table() / free_{pte,pmd,pud}_table()
 * of [PATCH V5 3/3] (29 May 2019): one pass, leaves freed before their entry
 * is cleared, block entries cleared without TLB maintenance, the PTE range
 * flushed after the loop, every empty table freed, under the init_mm ptl.
 */
export function* remove_pagetable(s: Sim, a: Actor, start: number, end: number, sparseVmap: boolean, target: TeardownTarget): Program {
  const g = s.g;
  const fn = N.removeTable.pgd;
  const useLock = s.knobs.teardownLock === 'ptl';
  if (useLock) yield a.lockOp(OP_LOCK, fn, PTL_LOCK, LOCK_PTL);
  const root = s.root;
  const rg = s.mem.gen[root];
  let addr = start;
  let next = addr;
  do {
    next = addrEnd(g, 0, addr, end);
    const idx = indexAt(g, 0, addr);
    yield a.read(fn, N.read.pgd, root, rg, idx, addr);
    if (a.resultKind !== ENTRY_TABLE) continue;
    const cf = a.resultFrame;
    const cg = a.resultGen;
    yield removeLevel(s, a, cf, cg, 1, addr, next, sparseVmap, target);
    yield freeTableV5(s, a, root, rg, idx, cf, cg, 1, addr, target);
  } while ((addr = next) < end);
  if (useLock) yield a.lockOp(OP_UNLOCK, fn, PTL_UNLOCK, LOCK_PTL);
}

function* removeLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number, sparseVmap: boolean, target: TeardownTarget): Program {
  const g = s.g;
  const name = g.name[d];
  const fn = N.removeTable[name];
  const leaf = g.levels - 1;
  const kn = s.knobs;
  const start = addr;
  let next = addr;
  for (; addr < end; addr = next) {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    yield a.read(fn, N.read[name], tf, tg, idx, addr);
    const k = a.resultKind;
    if (k === ENTRY_NONE) continue;
    const pf = a.resultFrame;
    const pg = a.resultGen;
    if (k === ENTRY_TABLE && d < leaf) {
      yield removeLevel(s, a, pf, pg, d + 1, addr, next, sparseVmap, target);
      yield freeTableV5(s, a, tf, tg, idx, pf, pg, d + 1, addr, target);
      continue;
    }
    const freeFirst = kn.leafOrder === 'free-clear-tlbi';
    if (freeFirst && sparseVmap && pf >= 0) yield a.free(fn, N.freeLeaf[name], pf, pg, addr, true);
    yield a.write(fn, N.clear[name], tf, tg, idx, addr, ENTRY_NONE, 0);
    if (k === ENTRY_BLOCK && kn.blockTlbi) yield a.tlbiRange(fn, N.tlbiLeaf[name], addr, addr + g.pageSize);
    if (!freeFirst && sparseVmap && pf >= 0) yield a.free(fn, N.freeLeaf[name], pf, pg, addr, true);
  }
  if (d === leaf) yield a.tlbiRange(fn, 'flush_tlb_kernel_range(start, end)', start, end);
}

/** free_{pte,pmd,pud}_table() of V5: bail out if any entry is live, else clear, TLBI, free. */
function* freeTableV5(s: Sim, a: Actor, pf: number, pgen: number, pidx: number, tf: number, tg: number, d: number, addr: number, target: TeardownTarget): Program {
  const g = s.g;
  const name = g.name[d];
  const parentName = g.name[d - 1];
  const fn = N.freeTable[name];
  if (!mayFreeTable(s, target, addr, addr + 1, d)) return;
  const base = alignDown(addr, g.entrySize[d - 1]);
  for (let i = 0; i < g.ptrs[d]; i++) {
    yield a.read(fn, N.readIdx[name], tf, tg, i, base + i * g.entrySize[d]);
    if (a.resultKind !== ENTRY_NONE) return;
  }
  yield a.read(fn, N.read[parentName], pf, pgen, pidx, addr);
  const page = a.resultFrame;
  const pageGen = a.resultGen;
  yield a.write(fn, N.clear[parentName], pf, pgen, pidx, addr, ENTRY_NONE, 0);
  if (s.knobs.walkCacheTlbi) yield a.tlbiPgtable(fn, '__flush_tlb_kernel_pgtable(addr)', addr);
  else yield a.tlbiRange(fn, N.flushPgtableLeafOnly, addr, addr + g.pageSize);
  if (page >= 0) yield a.free(fn, 'free_hotplug_pgtable_page(page)', page, pageGen, addr, true);
}

// ----------------------------------------------------------------- callers

/** vmemmap_free() (v5.7 mmu.c): unmap and free the backing, then free empty tables. */
export function* vmemmap_free(s: Sim, a: Actor, start: number, end: number): Program {
  yield teardown(s, a, 'vmemmap_free', start, end, { vmemmap: true, floor: s.layout.VMEMMAP_START, ceiling: s.layout.VMEMMAP_END });
}

/** __remove_pgd_mapping() (v5.7 mmu.c): the linear map of the removed range. */
export function* __remove_pgd_mapping(s: Sim, a: Actor, start: number, size: number): Program {
  yield teardown(s, a, '__remove_pgd_mapping', start, start + size, { vmemmap: false, floor: s.layout.PAGE_OFFSET, ceiling: s.layout.PAGE_END });
}

/** The body both callers share: V5's one pass, or the two passes, under the ptl if the strategy says so. */
function* teardown(s: Sim, a: Actor, fn: string, start: number, end: number, target: TeardownTarget): Program {
  if (s.knobs.teardown === 'one-pass') {
    yield remove_pagetable(s, a, start, end, target.vmemmap, target);
    return;
  }
  const lock = s.knobs.teardownLock === 'ptl';
  if (lock) yield a.lockOp(OP_LOCK, fn, PTL_LOCK, LOCK_PTL);
  yield unmap_hotplug_range(s, a, start, end, target.vmemmap);
  yield free_empty_tables(s, a, start, end, target);
  if (lock) yield a.lockOp(OP_UNLOCK, fn, PTL_UNLOCK, LOCK_PTL);
}

// -------------------------------------------------------------- hot-add

/**
 * __create_pgd_mapping() for hot-added memory (alloc_init_pud/init_pmd/init_pte):
 * block entries where size and alignment allow and the strategy's linear
 * mapping is 'block', else pages (rodata_full / NO_BLOCK_MAPPINGS).
 * Deviation: CONT mappings are not modelled.
 */
export function* __create_pgd_mapping(s: Sim, a: Actor, virt: number, phys: number, size: number, blocks: boolean): Program {
  yield createLevel(s, a, s.root, s.mem.gen[s.root], 0, virt, virt + size, phys - virt, blocks, -1);
}

/**
 * Does the map builder put a leaf at depth d for [addr, next)? Always at the
 * PTE level; a block only where the mapping allows blocks and the range is
 * aligned to the entry's size: vmemmap at its block depth (PMD with 4K
 * pages), the linear map at the PMD level or, with 4K pages, a 1 GiB block
 * at a real PUD level (use_1G_block()). A PUD folded into the PGD (4K/39)
 * gets no 1 GiB linear blocks here (DOMAIN §9).
 */
export function leafAt(g: Geometry, d: number, addr: number, next: number, blocks: boolean, vmemmap: boolean, blockDepth: number): boolean {
  if (d === g.levels - 1) return true;
  if (!blocks) return false;
  const size = g.entrySize[d];
  if (addr % size !== 0 || next - addr !== size) return false;
  if (vmemmap) return d === blockDepth;
  return d === g.pmdDepth || (d === g.pudDepth && g.pageSize === 4096);
}

/**
 * Walk [addr, end) populating missing tables, then write leaves. `physDelta`
 * maps a VA to its physical address (linear map); with `physDelta` NaN the
 * leaves are vmemmap backing allocated here (vmemmap_populate()).
 */
function* createLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number, physDelta: number, blocks: boolean, blockDepth: number): Program {
  const g = s.g;
  const name = g.name[d];
  const vmemmap = Number.isNaN(physDelta);
  const fn = vmemmap ? N.vmemmapPopulate[name] : N.createRange[name];
  const leaf = g.levels - 1;
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    yield a.read(fn, N.read[name], tf, tg, idx, addr);
    if (leafAt(g, d, addr, next, blocks, vmemmap, blockDepth)) {
      if (a.resultKind !== ENTRY_NONE) continue; // vmemmap_verify(): already populated
      let pfn: number;
      if (vmemmap) {
        if (d === leaf) yield a.allocPage(fn, 'vmemmap_alloc_block_buf(PAGE_SIZE, node)', ROLE_VMEMMAP, -1, true);
        else yield a.allocBlock(fn, `vmemmap_alloc_block_buf(${d === g.pmdDepth ? 'PMD_SIZE' : 'PUD_SIZE'}, node)`, ROLE_VMEMMAP);
        if (a.resultFrame < 0) return; // -ENOMEM
        pfn = s.mem.pfnOf(a.resultFrame);
      } else {
        pfn = (addr + physDelta) / g.pageSize;
      }
      const kind = d === leaf ? ENTRY_PAGE : ENTRY_BLOCK;
      yield a.write(fn, d === leaf ? 'set_pte(ptep, pfn_pte(pfn, prot))' : N.setHuge[name], tf, tg, idx, addr, kind, pfn);
      continue;
    }
    let cf = a.resultFrame;
    let cg = a.resultGen;
    if (a.resultKind === ENTRY_NONE) {
      yield a.allocPage(fn, vmemmap ? 'vmemmap_alloc_block_zero(PAGE_SIZE, node)' : 'pgtable_alloc(PAGE_SHIFT)', ROLE_PGTABLE, d + 1, true);
      if (a.resultFrame < 0) return;
      cf = a.resultFrame;
      cg = a.resultGen;
      const child = g.name[d + 1];
      yield a.write(fn, vmemmap ? N.populate[child] : N.mapPopulate[child], tf, tg, idx, addr, ENTRY_TABLE, s.mem.pfnOf(cf));
    } else if (a.resultKind !== ENTRY_TABLE) {
      continue; // a block already covers it
    }
    yield createLevel(s, a, cf, cg, d + 1, addr, next, physDelta, blocks, blockDepth);
  } while ((addr = next) < end);
}

/** vmemmap_populate() (4K: PMD blocks via vmemmap_alloc_block_buf(PMD_SIZE); else vmemmap_populate_basepages()). */
export function* vmemmap_populate(s: Sim, a: Actor, start: number, end: number, pmdBlocks: boolean): Program {
  const g = s.g;
  const blockDepth = pmdBlocks && g.pmdDepth >= 0 ? g.pmdDepth : g.levels - 1;
  yield createLevel(s, a, s.root, s.mem.gen[s.root], 0, start, end, Number.NaN, pmdBlocks, blockDepth);
}
