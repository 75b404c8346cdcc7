/**
 * mm/vmalloc.c (v5.2) and the generic table allocators of mm/memory.c:
 * __vmalloc_node_range() -> alloc_vmap_area() -> page allocation ->
 * map_vm_area() -> vmap_page_range() whose unlocked walk calls
 * __p?d_alloc()/__pte_alloc_kernel() (allocate, take init_mm ptl, re-check
 * none, populate or free), then set_pte_at(); and vfree() -> vunmap ->
 * lazy purge (__purge_vmap_area_lazy -> flush_tlb_kernel_range) -> free the
 * pages. Options 1 and 2 wrap vmalloc in init_mm ptl / get_online_mems().
 */
import { addrEnd, type Geometry, indexAt } from '../arch.ts';
import { ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMALLOC } from '../model/memory.ts';
import { LOCK_MEM_HOTPLUG, LOCK_PTL, LOCK_VMAP_PURGE } from '../model/locks.ts';
import type { Actor } from '../machine/actor.ts';
import { LAT_VFREE, LAT_VMALLOC, type Sim } from '../machine/sim.ts';
import { OP_LOCK, OP_READ_LOCK, OP_READ_UNLOCK, OP_TRYLOCK, OP_UNLOCK } from '../machine/ops.ts';
import { type Frame, type Program, type Resume, RESUME_CALL, RESUME_RETURN, RESUME_STEP, Routine } from '../machine/routine.ts';
import { atDepth, N } from './names.ts';

const FN_VMALLOC = '__vmalloc_node_range';
const FN_AREA = '__vmalloc_area_node';
const FN_VFREE = 'vfree';

/** A live vmalloc area, as its owner remembers it. */
export interface VmArea {
  va: number;
  size: number;
  window: number;
  frames: number[];
  gens: number[];
}

/**
 * __vmalloc_node_range(size, align, ...) within VA window `window`. Returns
 * the area, or null on failure (no VA or no memory). `touch` makes the CPU
 * write each page afterwards, as test_vmalloc does.
 */
export function vmalloc(s: Sim, a: Actor, pages: number, alignPages: number, window: number, touch: boolean): Routine<VmArea | null> {
  const kept = a.routineCache[SLOT_VMALLOC];
  if (kept instanceof Vmalloc && kept.returned()) {
    kept.start(pages, alignPages, window, touch);
    return kept;
  }
  const r = new Vmalloc(s, a);
  r.start(pages, alignPages, window, touch);
  a.routineCache[SLOT_VMALLOC] = r;
  return r;
}

/** Actor.routineCache slots of this module's routines (one of each per actor: neither is ever called inside itself). */
const SLOT_VMALLOC = 0;
const SLOT_VFREE = 1;

/** vmap_page_range()'s walk's actions by depth, interned per geometry (a step stores a reference, never builds a string). */
interface VmapNames {
  fn: string[];
  none: string[];
  offset: string[];
  lost: string[];
}
const vmapNames = new WeakMap<Geometry, VmapNames>();

function vmapNamesOf(g: Geometry): VmapNames {
  let v = vmapNames.get(g);
  if (v) return v;
  v = { fn: [], none: [], offset: [], lost: [] };
  for (let d = 0; d < g.levels; d++) {
    const name = g.name[d];
    const child = d + 1 < g.levels ? g.name[d + 1] : 'pte';
    v.fn.push(N.vmapRange[name]);
    v.none.push(`${name}_none(*${name}p) /* ${child === 'pte' ? 'pte_alloc_kernel' : `${child}_alloc`} */`);
    v.offset.push(`${child === 'pte' ? 'pte_offset_kernel' : `${child}_offset`}(${name}p, addr)`);
    v.lost.push(`${name} entry is not a table after ${N.alloc[child]}`);
  }
  vmapNames.set(g, v);
  return v;
}

// Vmalloc's program counter.
const VM_START = 0;
const VM_VA = 1;
const VM_PAGE = 2;
const VM_PAGE_DONE = 3;
const VM_WALK = 4;
const VM_TOUCH = 5;
const VM_TOUCH_DONE = 6;
const VM_UNGUARD = 7;
const VM_END = 8;
const VM_RETURN = 9;
// Its table walk (vmap_page_range() -> vmap_p?d_range()), one level per depth of `depth`.
const W_ENTER = 10;
const W_PTE_SET = 11;
const W_PTE_DONE = 12;
const W_NONE_READ = 13;
const W_OFFSET = 14;
const W_OFFSET_READ = 15;
const W_NEXT = 16;
const W_LEAVE = 17;

/**
 * __vmalloc_node_range() and the vmap_page_range() walk it does, as one
 * state machine: the generator form was
 *   [guard] alloc_vmap_area; alloc_page() per page; vmapLevel(root); [touch each page]; [unguard]
 * with vmapLevel(d) recursing per level. The walk keeps each level's
 * table, generation, address and end in arrays indexed by depth; `done`
 * counts the pages mapped (the generator threaded it through its calls).
 */
class Vmalloc extends Routine<VmArea | null> {
  override callee: Frame | null = null;
  override value: VmArea | null | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private pages = 0;
  private alignPages = 0;
  private window = 0;
  private touch = false;
  private readonly guard: string;
  private readonly names: VmapNames;
  private pc = VM_START;
  private t0 = 0;
  private size = 0;
  private va = -1;
  private area: VmArea | null = null;
  private i = 0;
  // The walk.
  private depth = 0;
  private done = 0;
  private readonly tf: number[] = [];
  private readonly tg: number[] = [];
  private readonly addr: number[] = [];
  private readonly end: number[] = [];
  private readonly next: number[] = [];
  private readonly idx: number[] = [];

  constructor(s: Sim, a: Actor) {
    super();
    this.s = s;
    this.a = a;
    this.guard = s.knobs.vmallocGuard;
    this.names = vmapNamesOf(s.geometry);
  }

  /** Set up a call: __vmalloc_node_range() of `pages` pages. */
  start(pages: number, alignPages: number, window: number, touch: boolean): void {
    this.pages = pages;
    this.alignPages = alignPages;
    this.window = window;
    this.touch = touch;
    this.pc = VM_START;
    this.va = -1;
    this.area = null;
    this.i = 0;
    this.callee = null;
    this.value = undefined;
  }

  /** Has the last call returned (so the routine may be started again)? */
  returned(): boolean {
    return this.pc === VM_RETURN;
  }

  resume(): Resume {
    const s = this.s;
    const a = this.a;
    const g = s.geometry;
    for (;;) {
      switch (this.pc) {
        case VM_START:
          this.t0 = a.time;
          this.pc = VM_VA;
          if (this.guard === 'ptl') {
            a.lockOp(OP_LOCK, FN_VMALLOC, 'spin_lock(&init_mm.page_table_lock) /* Option 1 */', LOCK_PTL);
            return RESUME_STEP;
          }
          if (this.guard === 'get_online_mems') {
            a.lockOp(OP_READ_LOCK, FN_VMALLOC, 'get_online_mems() /* Option 2 */', LOCK_MEM_HOTPLUG);
            return RESUME_STEP;
          }
          continue;
        case VM_VA:
          this.size = this.pages * g.pageSize;
          a.vaAlloc('alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', this.size, Math.max(1, this.alignPages) * g.pageSize, this.window);
          this.pc = VM_PAGE;
          this.i = 0;
          return RESUME_STEP;
        case VM_PAGE:
          // After alloc_vmap_area (i = 0) or an alloc_page().
          if (this.i === 0 && this.area === null) {
            this.va = a.result;
            if (this.va < 0) {
              s.counters.vmallocFailed++;
              this.pc = VM_UNGUARD;
              continue;
            }
            this.area = { va: this.va, size: this.size, window: this.window, frames: [], gens: [] };
          }
          if (this.i < this.pages) {
            a.allocPage(FN_AREA, 'alloc_page(GFP_KERNEL)', ROLE_VMALLOC, -1, true);
            this.pc = VM_PAGE_DONE;
            return RESUME_STEP;
          }
          this.pc = VM_WALK;
          continue;
        case VM_PAGE_DONE:
          if (a.resultFrame < 0) {
            this.pc = VM_WALK;
            continue;
          }
          this.area!.frames.push(a.resultFrame);
          this.area!.gens.push(a.resultGen);
          this.i++;
          this.pc = VM_PAGE;
          continue;
        case VM_WALK:
          if (this.area!.frames.length !== this.pages) {
            s.counters.vmallocFailed++;
            this.area = null;
            this.pc = VM_UNGUARD;
            continue;
          }
          this.depth = 0;
          this.done = 0;
          this.tf[0] = s.root;
          this.tg[0] = s.mem.gen[s.root];
          this.addr[0] = this.va;
          this.end[0] = this.va + this.size;
          this.pc = W_ENTER;
          continue;
        case W_ENTER: {
          // One iteration of vmap_p?d_range()'s do { ... } while ((addr = next) != end) at this depth.
          const d = this.depth;
          const addr = this.addr[d];
          this.next[d] = addrEnd(g, d, addr, this.end[d]);
          const idx = indexAt(g, d, addr);
          this.idx[d] = idx;
          if (d === g.levels - 1) {
            a.read(this.names.fn[d], 'pte_none(*pte) /* WARN_ON(!pte_none) */', this.tf[d], this.tg[d], idx, addr);
            this.pc = W_PTE_SET;
            return RESUME_STEP;
          }
          // p?d_alloc(): the slow path only if the entry is none; the walk holds no lock.
          a.read(this.names.fn[d], this.names.none[d], this.tf[d], this.tg[d], idx, addr);
          this.pc = W_NONE_READ;
          return RESUME_STEP;
        }
        case W_PTE_SET: {
          const d = this.depth;
          const pfn = s.mem.pfnOf(this.area!.frames[this.done]);
          a.write(this.names.fn[d], 'set_pte_at(&init_mm, addr, pte, mk_pte(page, prot))', this.tf[d], this.tg[d], this.idx[d], this.addr[d], ENTRY_PAGE, pfn);
          this.pc = W_PTE_DONE;
          return RESUME_STEP;
        }
        case W_PTE_DONE:
          this.done++;
          this.pc = W_NEXT;
          continue;
        case W_NONE_READ: {
          this.pc = W_OFFSET;
          if (a.resultKind === ENTRY_NONE) {
            const d = this.depth;
            this.callee = pXd_alloc(s, a, this.tf[d], this.tg[d], this.idx[d], this.addr[d], d + 1);
            return RESUME_CALL;
          }
          continue;
        }
        case W_OFFSET: {
          // p?d_offset(): derive the child table from the entry.
          const d = this.depth;
          a.read(this.names.fn[d], this.names.offset[d], this.tf[d], this.tg[d], this.idx[d], this.addr[d]);
          this.pc = W_OFFSET_READ;
          return RESUME_STEP;
        }
        case W_OFFSET_READ: {
          const d = this.depth;
          if (a.resultKind !== ENTRY_TABLE) {
            s.checker.lostMapping(a, this.addr[d], this.names.lost[d]);
            this.pc = W_LEAVE;
            continue;
          }
          this.tf[d + 1] = a.resultFrame;
          this.tg[d + 1] = a.resultGen;
          this.addr[d + 1] = this.addr[d];
          this.end[d + 1] = this.next[d];
          this.depth = d + 1;
          this.pc = W_ENTER;
          continue;
        }
        case W_NEXT: {
          const d = this.depth;
          this.addr[d] = this.next[d];
          this.pc = this.addr[d] < this.end[d] ? W_ENTER : W_LEAVE;
          continue;
        }
        case W_LEAVE:
          // This level's walk returns to the level above, which goes on with its next entry.
          if (this.depth > 0) {
            this.depth--;
            this.pc = W_NEXT;
            continue;
          }
          s.liveAreas.set(this.va, { frames: this.area!.frames, actor: a.index });
          this.i = 0;
          this.pc = this.touch ? VM_TOUCH : VM_UNGUARD;
          continue;
        case VM_TOUCH:
          if (this.i < this.pages) {
            a.access(FN_VMALLOC, '*(u8 *)addr = 0 /* the CPU touches the page */', this.va + this.i * g.pageSize);
            this.pc = VM_TOUCH_DONE;
            return RESUME_STEP;
          }
          this.pc = VM_UNGUARD;
          continue;
        case VM_TOUCH_DONE: {
          const at = this.va + this.i * g.pageSize;
          if (a.result !== s.mem.pfnOf(this.area!.frames[this.i])) s.checker.lostMapping(a, at, a.result < 0 ? 'the access faulted' : 'the access reached another page');
          this.i++;
          this.pc = VM_TOUCH;
          continue;
        }
        case VM_UNGUARD:
          this.pc = VM_END;
          if (this.guard === 'ptl') {
            a.lockOp(OP_UNLOCK, FN_VMALLOC, 'spin_unlock(&init_mm.page_table_lock)', LOCK_PTL);
            return RESUME_STEP;
          }
          if (this.guard === 'get_online_mems') {
            a.lockOp(OP_READ_UNLOCK, FN_VMALLOC, 'put_online_mems()', LOCK_MEM_HOTPLUG);
            return RESUME_STEP;
          }
          continue;
        case VM_END:
          s.recordLatency(LAT_VMALLOC, a.time - this.t0);
          this.value = this.area;
          this.pc = VM_RETURN;
          return RESUME_RETURN;
        default:
          throw new Error(`vmalloc: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

/**
 * __pud_alloc() / __pmd_alloc() / __pte_alloc_kernel() (mm/memory.c): allocate
 * a zeroed table, take init_mm.page_table_lock, re-check the entry is still
 * none, populate it or free the new table. Under Option 1 the caller already
 * holds the ptl, so it is not taken again.
 */
function* pXd_alloc(s: Sim, a: Actor, tf: number, tg: number, idx: number, addr: number, childDepth: number): Program {
  const g = s.geometry;
  const child = g.name[childDepth];
  const parent = g.name[childDepth - 1];
  const fn = N.alloc[child];
  yield a.allocPage(fn, N.allocOne[child], ROLE_PGTABLE, childDepth, true);
  const nf = a.resultFrame;
  const ng = a.resultGen;
  if (nf < 0) return;
  const takeLock = s.knobs.vmallocGuard !== 'ptl';
  if (takeLock) yield a.lockOp(OP_LOCK, fn, 'spin_lock(&init_mm.page_table_lock)', LOCK_PTL);
  yield a.read(fn, N.recheck[parent], tf, tg, idx, addr);
  const used = a.resultKind === ENTRY_NONE;
  if (used) yield a.write(fn, N.populate[child], tf, tg, idx, addr, ENTRY_TABLE, s.mem.pfnOf(nf));
  if (takeLock) yield a.lockOp(OP_UNLOCK, fn, 'spin_unlock(&init_mm.page_table_lock)', LOCK_PTL);
  if (!used) yield a.free(fn, child === 'pte' ? 'pte_free_kernel(&init_mm, new)' : `${child}_free(&init_mm, new)`, nf, ng, -1, true);
}

/**
 * vfree() -> __vunmap(): vunmap_page_range() clears the PTEs
 * (ptep_get_and_clear), free_unmap_vmap_area() queues the area for a lazy
 * purge and purges past lazy_max_pages(), then the pages are freed. The
 * stale TLB entries this leaves are by design (the VA is not reused before the
 * purge's flush), so these frees are not checked against the TLBs.
 */
export function vfree(s: Sim, a: Actor, area: VmArea): Routine<void> {
  const kept = a.routineCache[SLOT_VFREE];
  if (kept instanceof Vfree && kept.returned()) {
    kept.start(area);
    return kept;
  }
  const r = new Vfree(s, a);
  r.start(area);
  a.routineCache[SLOT_VFREE] = r;
  return r;
}

// Vfree's program counter.
const VF_START = 0;
const VF_QUEUED = 1;
const VF_FREE = 2;
const VF_RETURN = 3;
// Its walk (vunmap_page_range() -> vunmap_p?d_range()).
const U_ENTER = 10;
const U_READ = 11;
const U_NEXT = 12;
const U_LEAVE = 13;

/**
 * vfree() as one state machine: the generator form was
 *   vunmapLevel(root); free_vmap_area_noflush; [purge]; __free_pages() per page
 * with vunmapLevel(d) recursing per level (state by depth, as in Vmalloc).
 */
class Vfree extends Routine<void> {
  override callee: Frame | null = null;
  override value: void | undefined = undefined;
  private readonly s: Sim;
  private readonly a: Actor;
  private readonly fnAt: string[];
  private readonly readAt: string[];
  private area: VmArea = { va: 0, size: 0, window: 0, frames: [], gens: [] };
  private pc = VF_START;
  private t0 = 0;
  private i = 0;
  private depth = 0;
  private readonly tf: number[] = [];
  private readonly tg: number[] = [];
  private readonly addr: number[] = [];
  private readonly end: number[] = [];
  private readonly next: number[] = [];

  constructor(s: Sim, a: Actor) {
    super();
    this.s = s;
    this.a = a;
    this.fnAt = atDepth(s.geometry, N.vunmapRange);
    this.readAt = atDepth(s.geometry, N.read);
  }

  /** Set up a call: vfree() of `area`. */
  start(area: VmArea): void {
    this.area = area;
    this.pc = VF_START;
    this.i = 0;
    this.callee = null;
    this.value = undefined;
  }

  /** Has the last call returned (so the routine may be started again)? */
  returned(): boolean {
    return this.pc === VF_RETURN;
  }

  resume(): Resume {
    const s = this.s;
    const a = this.a;
    const g = s.geometry;
    const area = this.area;
    for (;;) {
      switch (this.pc) {
        case VF_START:
          this.t0 = a.time;
          s.liveAreas.delete(area.va);
          this.depth = 0;
          this.tf[0] = s.root;
          this.tg[0] = s.mem.gen[s.root];
          this.addr[0] = area.va;
          this.end[0] = area.va + area.size;
          this.pc = U_ENTER;
          continue;
        case U_ENTER: {
          const d = this.depth;
          const addr = this.addr[d];
          this.next[d] = addrEnd(g, d, addr, this.end[d]);
          const idx = indexAt(g, d, addr);
          if (d === g.levels - 1) {
            a.getAndClear(this.fnAt[d], 'ptep_get_and_clear(&init_mm, addr, pte)', this.tf[d], this.tg[d], idx, addr);
            this.pc = U_NEXT;
            return RESUME_STEP;
          }
          a.read(this.fnAt[d], this.readAt[d], this.tf[d], this.tg[d], idx, addr);
          this.pc = U_READ;
          return RESUME_STEP;
        }
        case U_READ: {
          const d = this.depth;
          if (a.resultKind !== ENTRY_TABLE) {
            this.pc = U_NEXT;
            continue;
          }
          this.tf[d + 1] = a.resultFrame;
          this.tg[d + 1] = a.resultGen;
          this.addr[d + 1] = this.addr[d];
          this.end[d + 1] = this.next[d];
          this.depth = d + 1;
          this.pc = U_ENTER;
          continue;
        }
        case U_NEXT: {
          const d = this.depth;
          this.addr[d] = this.next[d];
          this.pc = this.addr[d] < this.end[d] ? U_ENTER : U_LEAVE;
          continue;
        }
        case U_LEAVE:
          if (this.depth > 0) {
            this.depth--;
            this.pc = U_NEXT;
            continue;
          }
          a.vaLazyFree('free_vmap_area_noflush', 'llist_add(&va->purge_list, &vmap_purge_list)', area.va, area.size, area.window);
          this.pc = VF_QUEUED;
          return RESUME_STEP;
        case VF_QUEUED:
          this.i = 0;
          this.pc = VF_FREE;
          if (a.result === 1) {
            this.callee = purge_vmap_area_lazy(s, a);
            return RESUME_CALL;
          }
          continue;
        case VF_FREE:
          if (this.i < area.frames.length) {
            a.free(FN_VFREE, '__free_pages(page, 0)', area.frames[this.i], area.gens[this.i], area.va + this.i * g.pageSize, false);
            this.i++;
            return RESUME_STEP;
          }
          s.recordLatency(LAT_VFREE, a.time - this.t0);
          this.pc = VF_RETURN;
          return RESUME_RETURN;
        default:
          throw new Error(`vfree: resumed after it returned (state ${this.pc})`);
      }
    }
  }
}

/**
 * try_purge_vmap_area_lazy() -> __purge_vmap_area_lazy(): one flush for all
 * queued areas. v5.2 takes vmap_purge_lock with mutex_trylock() and skips the
 * purge when another CPU is purging (that CPU's purge takes the areas queued
 * so far). The modelled vmalloc is v5.2's whatever the layout era, so this is
 * always the trylock (the mutex_lock() purges of vm_unmap_aliases() and of
 * alloc_vmap_area()'s overflow path are not modelled).
 */
export function* purge_vmap_area_lazy(s: Sim, a: Actor): Program {
  yield a.lockOp(OP_TRYLOCK, 'try_purge_vmap_area_lazy', 'mutex_trylock(&vmap_purge_lock)', LOCK_VMAP_PURGE);
  if (a.result !== 1) return; // another CPU is purging
  yield a.purgeTake('__purge_vmap_area_lazy', 'llist_del_all(&vmap_purge_list)');
  if (a.result >= 0) {
    const start = a.result;
    const end = a.result + a.resultSize;
    yield a.tlbiRange('__purge_vmap_area_lazy', 'flush_tlb_kernel_range(start, end)', start, end);
    yield a.vaRelease('__purge_vmap_area_lazy', 'merge_or_add_vmap_area() /* VA reusable */');
  }
  yield a.lockOp(OP_UNLOCK, 'try_purge_vmap_area_lazy', 'mutex_unlock(&vmap_purge_lock)', LOCK_VMAP_PURGE);
}
