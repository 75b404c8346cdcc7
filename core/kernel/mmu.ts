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
import type { Actor } from '../machine/actor.ts';
import { OP_LOCK, OP_UNLOCK } from '../machine/ops.ts';
import { type Frame, type Program, type Resume, RESUME_RETURN, RESUME_STEP, Routine } from '../machine/routine.ts';
import type { Sim } from '../machine/sim.ts';
import { atDepth, N } from './names.ts';

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
  yield new UnmapLevels(s, a, start, end, freeMapped);
  if (!freeMapped && s.knobs.linearTlbi === 'batched') {
    yield a.tlbiRange(N.unmapRange.pgd, 'flush_tlb_kernel_range(start, end) /* batched */', start, end);
  }
}

// UnmapLevels' program counter.
const U_ENTER = 0;
const U_READ = 1;
const U_CLEAR = 2;
const U_TLBI = 3;
const U_FREE_AFTER = 4;
const U_NEXT = 5;
const U_LEAVE = 6;
const U_RETURNED = 7;

/**
 * unmap_hotplug_{p4d,pud,pmd,pte}_range() from swapper_pg_dir down, as one
 * state machine (a linear-map teardown is three steps per PTE): per level,
 *   do { READ_ONCE(*p?dp); none: next; table: the level below; leaf or block:
 *        [free] clear [TLBI] [free] (the strategy's order) } while ((addr = next) < end)
 * with each level's table, generation, address and end kept by depth.
 */
class UnmapLevels extends Routine<void> {
  override callee: Frame | null = null;
  override value: void | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private readonly freeMapped: boolean;
  private readonly freeFirst: boolean;
  private pc = U_ENTER;
  private depth = 0;
  private readonly tf: number[] = [];
  private readonly tg: number[] = [];
  private readonly addr: number[] = [];
  private readonly end: number[] = [];
  private readonly next: number[] = [];
  private readonly idx: number[] = [];
  // The leaf or block entry being torn down.
  private kind = 0;
  private pf = -1;
  private pg = 0;
  // Names by depth (atDepth()).
  private readonly fnAt: string[];
  private readonly readAt: string[];
  private readonly freeLeafAt: string[];
  private readonly clearAt: string[];
  private readonly tlbiLeafAt: string[];

  constructor(s: Sim, a: Actor, start: number, end: number, freeMapped: boolean) {
    super();
    this.s = s;
    this.a = a;
    this.freeMapped = freeMapped;
    this.freeFirst = s.knobs.leafOrder === 'free-clear-tlbi';
    this.fnAt = atDepth(s.geometry, N.unmapRange);
    this.readAt = atDepth(s.geometry, N.read);
    this.freeLeafAt = atDepth(s.geometry, N.freeLeaf);
    this.clearAt = atDepth(s.geometry, N.clear);
    this.tlbiLeafAt = atDepth(s.geometry, N.tlbiLeaf);
    this.tf[0] = s.root;
    this.tg[0] = s.mem.gen[s.root];
    this.addr[0] = start;
    this.end[0] = end;
  }

  resume(): Resume {
    const s = this.s;
    const a = this.a;
    const g = s.geometry;
    const kn = s.knobs;
    for (;;) {
      const d = this.depth;
      switch (this.pc) {
        case U_ENTER: {
          const addr = this.addr[d];
          this.next[d] = addrEnd(g, d, addr, this.end[d]);
          this.idx[d] = indexAt(g, d, addr);
          a.read(this.fnAt[d], this.readAt[d], this.tf[d], this.tg[d], this.idx[d], addr);
          this.pc = U_READ;
          return RESUME_STEP;
        }
        case U_READ: {
          const k = a.resultKind;
          if (k === ENTRY_NONE) {
            this.pc = U_NEXT;
            continue;
          }
          if (k === ENTRY_TABLE && d < g.levels - 1) {
            this.tf[d + 1] = a.resultFrame;
            this.tg[d + 1] = a.resultGen;
            this.addr[d + 1] = this.addr[d];
            this.end[d + 1] = this.next[d];
            this.depth = d + 1;
            this.pc = U_ENTER;
            continue;
          }
          // Leaf or block entry: clear -> TLBI -> free (or the strategy's order).
          this.kind = k;
          this.pf = a.resultFrame;
          this.pg = a.resultGen;
          this.pc = U_CLEAR;
          if (this.freeFirst && this.freeMapped && this.pf >= 0) {
            a.free(this.fnAt[d], this.freeLeafAt[d], this.pf, this.pg, this.addr[d], true);
            return RESUME_STEP;
          }
          continue;
        }
        case U_CLEAR:
          a.write(this.fnAt[d], this.clearAt[d], this.tf[d], this.tg[d], this.idx[d], this.addr[d], ENTRY_NONE, 0);
          this.pc = U_TLBI;
          return RESUME_STEP;
        case U_TLBI:
          this.pc = U_FREE_AFTER;
          if ((this.kind === ENTRY_BLOCK ? kn.blockTlbi : true) && (this.freeMapped || kn.linearTlbi === 'per-entry')) {
            a.tlbiRange(this.fnAt[d], this.tlbiLeafAt[d], this.addr[d], this.addr[d] + g.pageSize);
            return RESUME_STEP;
          }
          continue;
        case U_FREE_AFTER:
          this.pc = U_NEXT;
          if (!this.freeFirst && this.freeMapped && this.pf >= 0) {
            a.free(this.fnAt[d], this.freeLeafAt[d], this.pf, this.pg, this.addr[d], true);
            return RESUME_STEP;
          }
          continue;
        case U_NEXT:
          this.addr[d] = this.next[d];
          this.pc = this.addr[d] < this.end[d] ? U_ENTER : U_LEAVE;
          continue;
        case U_LEAVE:
          if (d > 0) {
            this.depth = d - 1;
            this.pc = U_NEXT;
            continue;
          }
          this.pc = U_RETURNED;
          return RESUME_RETURN;
        default:
          throw new Error(`unmap_hotplug_range: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

/**
 * free_empty_tables() and free_empty_{p4d,pud,pmd,pte}_table() (v5.7 mmu.c),
 * with the table-freeing policy of the strategy: every empty table (V6),
 * floor/ceiling (v5.7), never for vmemmap (Option 3), or never.
 */
export function* free_empty_tables(s: Sim, a: Actor, start: number, end: number, target: TeardownTarget): Program {
  const g = s.geometry;
  const root = s.root;
  const rg = s.mem.gen[root];
  let addr = start;
  let next = addr;
  do {
    next = addrEnd(g, 0, addr, end);
    const idx = indexAt(g, 0, addr);
    yield a.read(N.freeEmpty.pgd, N.read.pgd, root, rg, idx, addr);
    if (a.resultKind === ENTRY_NONE || a.resultKind !== ENTRY_TABLE) continue;
    yield new FreeEmptyLevels(s, a, root, rg, idx, a.resultFrame, a.resultGen, addr, next, target);
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
      return pgtable_range_aligned(s, start, end, target.floor, target.ceiling, s.geometry.entrySize[d - 1]);
  }
}

/**
 * pgtable_range_aligned() (v5.7 mmu.c, after free_pgd_range()). A ceiling
 * equal to the top of the address space stands for the kernel's 0.
 */
export function pgtable_range_aligned(s: Sim, start: number, end: number, floor: number, ceiling: number, size: number): boolean {
  start = alignDown(start, size);
  if (start < floor) return false;
  if (ceiling !== s.geometry.vaSpan) {
    ceiling = alignDown(ceiling, size);
    if (ceiling === 0) return false;
  }
  if (end - 1 > ceiling - 1) return false;
  return true;
}

// FreeEmptyLevels' program counter.
const F_ENTER = 0;
const F_LEAF_READ = 1;
const F_LEAF_NEXT = 2;
const F_ITER = 3;
const F_ITER_READ = 4;
const F_ITER_NEXT = 5;
const F_AFTER_WALK = 6;
const F_SCAN = 7;
const F_SCAN_READ = 8;
const F_CLEAR = 9;
const F_TLBI = 10;
const F_FREE = 11;
const F_LEAVE = 12;
const F_RETURNED = 13;

/**
 * free_empty_{p4d,pud,pmd,pte}_table() below one PGD entry, as one state
 * machine (its PTE checks and emptiness scans are a step per entry). Per
 * level d, entered for the table (tf, tg) that entry pidx of table pf points to:
 *   PTE level: READ_ONCE of each PTE of [addr, end) (WARN_ON(!pte_none));
 *   above: do { READ_ONCE(*p?dp); table: the level below } while ((addr = next) < end);
 *   then, if the strategy may free the table: READ_ONCE of every entry, stopping at the
 *   first live one; if none: clear the parent's entry, flush, free the table.
 * Each level's operands are kept by depth.
 */
class FreeEmptyLevels extends Routine<void> {
  override callee: Frame | null = null;
  override value: void | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private readonly target: TeardownTarget;
  private pc = F_ENTER;
  private depth = 1;
  private readonly pf: number[] = [];
  private readonly pgen: number[] = [];
  private readonly pidx: number[] = [];
  private readonly tf: number[] = [];
  private readonly tg: number[] = [];
  private readonly start: number[] = [];
  private readonly addr: number[] = [];
  private readonly end: number[] = [];
  private readonly next: number[] = [];
  private readonly idx: number[] = [];
  private readonly scan: number[] = [];
  // Names by depth (atDepth()).
  private readonly fnAt: string[];
  private readonly readAt: string[];
  private readonly readIdxAt: string[];
  private readonly clearAt: string[];

  constructor(s: Sim, a: Actor, pf: number, pgen: number, pidx: number, tf: number, tg: number, addr: number, end: number, target: TeardownTarget) {
    super();
    this.s = s;
    this.a = a;
    this.target = target;
    this.fnAt = atDepth(s.geometry, N.freeEmpty);
    this.readAt = atDepth(s.geometry, N.read);
    this.readIdxAt = atDepth(s.geometry, N.readIdx);
    this.clearAt = atDepth(s.geometry, N.clear);
    this.enter(1, pf, pgen, pidx, tf, tg, addr, end);
  }

  private enter(d: number, pf: number, pgen: number, pidx: number, tf: number, tg: number, addr: number, end: number): void {
    this.depth = d;
    this.pf[d] = pf;
    this.pgen[d] = pgen;
    this.pidx[d] = pidx;
    this.tf[d] = tf;
    this.tg[d] = tg;
    this.start[d] = addr;
    this.addr[d] = addr;
    this.end[d] = end;
    this.pc = F_ENTER;
  }

  resume(): Resume {
    const s = this.s;
    const a = this.a;
    const g = s.geometry;
    for (;;) {
      const d = this.depth;
      const fn = this.fnAt[d];
      switch (this.pc) {
        case F_ENTER:
          this.pc = d === g.levels - 1 ? F_LEAF_READ : F_ITER;
          continue;
        case F_LEAF_READ:
          // The PTE level only checks: WARN_ON(!pte_none(pte)).
          a.read(fn, this.readAt[d], this.tf[d], this.tg[d], indexAt(g, d, this.addr[d]), this.addr[d]);
          this.pc = F_LEAF_NEXT;
          return RESUME_STEP;
        case F_LEAF_NEXT:
          this.addr[d] += g.pageSize;
          this.pc = this.addr[d] < this.end[d] ? F_LEAF_READ : F_AFTER_WALK;
          continue;
        case F_ITER: {
          const addr = this.addr[d];
          this.next[d] = addrEnd(g, d, addr, this.end[d]);
          this.idx[d] = indexAt(g, d, addr);
          a.read(fn, this.readAt[d], this.tf[d], this.tg[d], this.idx[d], addr);
          this.pc = F_ITER_READ;
          return RESUME_STEP;
        }
        case F_ITER_READ:
          // None, or a block left by a failed unmap (WARN_ON): nothing below.
          if (a.resultKind !== ENTRY_TABLE) {
            this.pc = F_ITER_NEXT;
            continue;
          }
          this.enter(d + 1, this.tf[d], this.tg[d], this.idx[d], a.resultFrame, a.resultGen, this.addr[d], this.next[d]);
          continue;
        case F_ITER_NEXT:
          this.addr[d] = this.next[d];
          this.pc = this.addr[d] < this.end[d] ? F_ITER : F_AFTER_WALK;
          continue;
        case F_AFTER_WALK:
          if (!mayFreeTable(s, this.target, this.start[d], this.end[d], d)) {
            this.pc = F_LEAVE;
            continue;
          }
          this.scan[d] = 0;
          this.pc = F_SCAN;
          continue;
        case F_SCAN: {
          const i = this.scan[d];
          if (i >= g.ptrs[d]) {
            this.pc = F_CLEAR;
            continue;
          }
          a.read(fn, this.readIdxAt[d], this.tf[d], this.tg[d], i, alignDown(this.start[d], g.entrySize[d - 1]) + i * g.entrySize[d]);
          this.pc = F_SCAN_READ;
          return RESUME_STEP;
        }
        case F_SCAN_READ:
          if (a.resultKind !== ENTRY_NONE) {
            this.pc = F_LEAVE;
            continue;
          }
          this.scan[d]++;
          this.pc = F_SCAN;
          continue;
        case F_CLEAR:
          a.write(fn, this.clearAt[d - 1], this.pf[d], this.pgen[d], this.pidx[d], this.start[d], ENTRY_NONE, 0);
          this.pc = F_TLBI;
          return RESUME_STEP;
        case F_TLBI:
          if (s.knobs.walkCacheTlbi) a.tlbiPgtable(fn, N.flushPgtable, this.start[d]);
          else a.tlbiRange(fn, N.flushPgtableLeafOnly, this.start[d], this.start[d] + g.pageSize);
          this.pc = F_FREE;
          return RESUME_STEP;
        case F_FREE:
          a.free(fn, N.freePgtable, this.tf[d], this.tg[d], this.start[d], true);
          this.pc = F_LEAVE;
          return RESUME_STEP;
        case F_LEAVE:
          // This level returns: the level above goes on with its next entry.
          if (d > 1) {
            this.depth = d - 1;
            this.pc = F_ITER_NEXT;
            continue;
          }
          this.pc = F_RETURNED;
          return RESUME_RETURN;
        default:
          throw new Error(`free_empty_tables: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

// --------------------------------------------------------- V5: one pass

/**
 * remove_pagetable() and remove_{pud,pmd,pte}_table() / free_{pte,pmd,pud}_table()
 * of [PATCH V5 3/3] (29 May 2019): one pass, leaves freed before their entry
 * is cleared, block entries cleared without TLB maintenance, the PTE range
 * flushed after the loop, every empty table freed, under the init_mm ptl.
 */
export function* remove_pagetable(s: Sim, a: Actor, start: number, end: number, sparseVmap: boolean, target: TeardownTarget): Program {
  const g = s.geometry;
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
  const g = s.geometry;
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
  const g = s.geometry;
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
  yield new CreateLevels(s, a, virt, virt + size, phys - virt, blocks, -1);
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

// CreateLevels' program counter.
const C_ITER = 0;
const C_READ = 1;
const C_LEAF_ALLOCATED = 2;
const C_LEAF_WRITE = 3;
const C_TABLE_ALLOCATED = 4;
const C_DESCEND = 5;
const C_NEXT = 6;
const C_LEAVE = 7;
const C_RETURNED = 8;

/**
 * The map builders' walk over [addr, end) from the root, populating missing
 * tables, then writing leaves: alloc_init_pud()/init_pmd()/init_pte() with
 * `physDelta` mapping a VA to its physical address (linear map), or, with
 * `physDelta` NaN, vmemmap_populate()'s walk whose leaves are backing pages
 * or blocks allocated here. A state machine (each level's table, address
 * and end kept by depth), as the generator it replaces was per level:
 *   do { READ_ONCE(*p?dp);
 *        leaf here: [already populated: next] [vmemmap: allocate the backing, -ENOMEM: leave this level] write it;
 *        none: allocate a table (-ENOMEM: leave this level), populate the entry; block: next;
 *        the level below } while ((addr = next) < end)
 */
class CreateLevels extends Routine<void> {
  override callee: Frame | null = null;
  override value: void | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private readonly physDelta: number;
  private readonly vmemmap: boolean;
  private readonly blocks: boolean;
  private readonly blockDepth: number;
  private pc = C_ITER;
  private depth = 0;
  private readonly tf: number[] = [];
  private readonly tg: number[] = [];
  private readonly addr: number[] = [];
  private readonly end: number[] = [];
  private readonly next: number[] = [];
  private readonly idx: number[] = [];
  /** The leaf's pfn, or the new table's frame and generation. */
  private pfn = 0;
  private cf = -1;
  private cg = 0;
  // Names by depth (atDepth()).
  private readonly fnAt: string[];
  private readonly readAt: string[];
  private readonly setHugeAt: string[];
  private readonly populateAt: string[];

  constructor(s: Sim, a: Actor, start: number, end: number, physDelta: number, blocks: boolean, blockDepth: number) {
    super();
    this.s = s;
    this.a = a;
    this.physDelta = physDelta;
    this.vmemmap = Number.isNaN(physDelta);
    this.blocks = blocks;
    this.blockDepth = blockDepth;
    const g = s.geometry;
    this.fnAt = atDepth(g, this.vmemmap ? N.vmemmapPopulate : N.createRange);
    this.readAt = atDepth(g, N.read);
    this.setHugeAt = atDepth(g, N.setHuge);
    this.populateAt = atDepth(g, this.vmemmap ? N.populate : N.mapPopulate);
    this.tf[0] = s.root;
    this.tg[0] = s.mem.gen[s.root];
    this.addr[0] = start;
    this.end[0] = end;
  }

  resume(): Resume {
    const s = this.s;
    const a = this.a;
    const g = s.geometry;
    const leaf = g.levels - 1;
    for (;;) {
      const d = this.depth;
      const fn = this.fnAt[d];
      switch (this.pc) {
        case C_ITER: {
          const addr = this.addr[d];
          this.next[d] = addrEnd(g, d, addr, this.end[d]);
          this.idx[d] = indexAt(g, d, addr);
          a.read(fn, this.readAt[d], this.tf[d], this.tg[d], this.idx[d], addr);
          this.pc = C_READ;
          return RESUME_STEP;
        }
        case C_READ:
          if (leafAt(g, d, this.addr[d], this.next[d], this.blocks, this.vmemmap, this.blockDepth)) {
            if (a.resultKind !== ENTRY_NONE) {
              this.pc = C_NEXT; // vmemmap_verify(): already populated
              continue;
            }
            if (this.vmemmap) {
              if (d === leaf) a.allocPage(fn, 'vmemmap_alloc_block_buf(PAGE_SIZE, node)', ROLE_VMEMMAP, -1, true);
              else a.allocBlock(fn, d === g.pmdDepth ? 'vmemmap_alloc_block_buf(PMD_SIZE, node)' : 'vmemmap_alloc_block_buf(PUD_SIZE, node)', ROLE_VMEMMAP);
              this.pc = C_LEAF_ALLOCATED;
              return RESUME_STEP;
            }
            this.pfn = (this.addr[d] + this.physDelta) / g.pageSize;
            this.pc = C_LEAF_WRITE;
            continue;
          }
          if (a.resultKind === ENTRY_NONE) {
            a.allocPage(fn, this.vmemmap ? 'vmemmap_alloc_block_zero(PAGE_SIZE, node)' : 'pgtable_alloc(PAGE_SHIFT)', ROLE_PGTABLE, d + 1, true);
            this.pc = C_TABLE_ALLOCATED;
            return RESUME_STEP;
          }
          if (a.resultKind !== ENTRY_TABLE) {
            this.pc = C_NEXT; // a block already covers it
            continue;
          }
          this.cf = a.resultFrame;
          this.cg = a.resultGen;
          this.pc = C_DESCEND;
          continue;
        case C_LEAF_ALLOCATED:
          if (a.resultFrame < 0) {
            this.pc = C_LEAVE; // -ENOMEM: this level gives up, the one above goes on
            continue;
          }
          this.pfn = s.mem.pfnOf(a.resultFrame);
          this.pc = C_LEAF_WRITE;
          continue;
        case C_LEAF_WRITE:
          a.write(fn, d === leaf ? 'set_pte(ptep, pfn_pte(pfn, prot))' : this.setHugeAt[d], this.tf[d], this.tg[d], this.idx[d], this.addr[d], d === leaf ? ENTRY_PAGE : ENTRY_BLOCK, this.pfn);
          this.pc = C_NEXT;
          return RESUME_STEP;
        case C_TABLE_ALLOCATED:
          if (a.resultFrame < 0) {
            this.pc = C_LEAVE;
            continue;
          }
          this.cf = a.resultFrame;
          this.cg = a.resultGen;
          a.write(fn, this.populateAt[d + 1], this.tf[d], this.tg[d], this.idx[d], this.addr[d], ENTRY_TABLE, s.mem.pfnOf(this.cf));
          this.pc = C_DESCEND;
          return RESUME_STEP;
        case C_DESCEND:
          this.tf[d + 1] = this.cf;
          this.tg[d + 1] = this.cg;
          this.addr[d + 1] = this.addr[d];
          this.end[d + 1] = this.next[d];
          this.depth = d + 1;
          this.pc = C_ITER;
          continue;
        case C_NEXT:
          this.addr[d] = this.next[d];
          this.pc = this.addr[d] < this.end[d] ? C_ITER : C_LEAVE;
          continue;
        case C_LEAVE:
          if (d > 0) {
            this.depth = d - 1;
            this.pc = C_NEXT;
            continue;
          }
          this.pc = C_RETURNED;
          return RESUME_RETURN;
        default:
          throw new Error(`${this.vmemmap ? 'vmemmap_populate' : '__create_pgd_mapping'}: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

/** vmemmap_populate() (4K: PMD blocks via vmemmap_alloc_block_buf(PMD_SIZE); else vmemmap_populate_basepages()). */
export function* vmemmap_populate(s: Sim, a: Actor, start: number, end: number, pmdBlocks: boolean): Program {
  const g = s.geometry;
  const blockDepth = pmdBlocks && g.pmdDepth >= 0 ? g.pmdDepth : g.levels - 1;
  yield new CreateLevels(s, a, start, end, Number.NaN, pmdBlocks, blockDepth);
}
