/**
 * mm/vmalloc.c (v5.2) and the generic table allocators of mm/memory.c:
 * __vmalloc_node_range() -> alloc_vmap_area() -> page allocation ->
 * map_vm_area() -> vmap_page_range() whose unlocked walk calls
 * __p?d_alloc()/__pte_alloc_kernel() (allocate, take init_mm ptl, re-check
 * none, populate or free), then set_pte_at(); and vfree() -> vunmap ->
 * lazy purge (__purge_vmap_area_lazy -> flush_tlb_kernel_range) -> free the
 * pages. Options 1 and 2 wrap vmalloc in init_mm ptl / get_online_mems().
 */
import { addrEnd, indexAt } from '../arch.ts';
import { ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMALLOC } from '../model/memory.ts';
import { LOCK_MEM_HOTPLUG, LOCK_PTL, LOCK_VMAP_PURGE } from '../model/locks.ts';
import { type Actor, LAT_VFREE, LAT_VMALLOC, OP_LOCK, OP_READ_LOCK, OP_READ_UNLOCK, OP_TRYLOCK, OP_UNLOCK, type Program, type Sim } from '../sim.ts';
import { N } from './names.ts';

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
export function* vmalloc(s: Sim, a: Actor, pages: number, alignPages: number, window: number, touch: boolean): Program<VmArea | null> {
  const g = s.g;
  const guard = s.knobs.vmallocGuard;
  const t0 = a.time;
  if (guard === 'ptl') yield a.lockOp(OP_LOCK, FN_VMALLOC, 'spin_lock(&init_mm.page_table_lock) /* Option 1 */', LOCK_PTL);
  else if (guard === 'get_online_mems') yield a.lockOp(OP_READ_LOCK, FN_VMALLOC, 'get_online_mems() /* Option 2 */', LOCK_MEM_HOTPLUG);
  const size = pages * g.pageSize;
  yield a.vaAlloc('alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', size, Math.max(1, alignPages) * g.pageSize, window);
  const va = a.result;
  let area: VmArea | null = null;
  if (va >= 0) {
    area = { va, size, window, frames: [], gens: [] };
    for (let i = 0; i < pages; i++) {
      yield a.allocPage(FN_AREA, 'alloc_page(GFP_KERNEL)', ROLE_VMALLOC, -1, true);
      if (a.resultFrame < 0) break;
      area.frames.push(a.resultFrame);
      area.gens.push(a.resultGen);
    }
    if (area.frames.length === pages) {
      yield vmapLevel(s, a, s.root, s.mem.gen[s.root], 0, va, va + size, area, 0);
      s.liveAreas.set(va, { pfns: area.frames.map((f) => s.mem.pfnOf(f)), actor: a.index });
      if (touch) {
        for (let i = 0; i < pages; i++) {
          yield a.access(FN_VMALLOC, '*(u8 *)addr = 0 /* the CPU touches the page */', va + i * g.pageSize);
          if (a.result !== s.mem.pfnOf(area.frames[i])) s.checker.lostMapping(a, va + i * g.pageSize, a.result < 0 ? 'the access faulted' : 'the access reached another page');
        }
      }
    } else {
      s.counters.vmallocFailed++;
      area = null;
    }
  } else {
    s.counters.vmallocFailed++;
  }
  if (guard === 'ptl') yield a.lockOp(OP_UNLOCK, FN_VMALLOC, 'spin_unlock(&init_mm.page_table_lock)', LOCK_PTL);
  else if (guard === 'get_online_mems') yield a.lockOp(OP_READ_UNLOCK, FN_VMALLOC, 'put_online_mems()', LOCK_MEM_HOTPLUG);
  s.recordLatency(LAT_VMALLOC, a.time - t0);
  return area;
}

/** vmap_page_range_noflush() -> vmap_{p4d,pud,pmd,pte}_range(). Returns pages mapped so far. */
function* vmapLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number, area: VmArea, done: number): Program<number> {
  const g = s.g;
  const name = g.name[d];
  const fn = N.vmapRange[name];
  const leaf = g.levels - 1;
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    if (d === leaf) {
      yield a.read(fn, 'pte_none(*pte) /* WARN_ON(!pte_none) */', tf, tg, idx, addr);
      const pfn = s.mem.pfnOf(area.frames[done]);
      yield a.write(fn, 'set_pte_at(&init_mm, addr, pte, mk_pte(page, prot))', tf, tg, idx, addr, ENTRY_PAGE, pfn);
      done++;
      continue;
    }
    const child = g.name[d + 1];
    // p?d_alloc(): the slow path only if the entry is none; the walk holds no lock.
    yield a.read(fn, `${name}_none(*${name}p) /* ${child === 'pte' ? 'pte_alloc_kernel' : `${child}_alloc`} */`, tf, tg, idx, addr);
    if (a.resultKind === ENTRY_NONE) {
      yield pXd_alloc(s, a, tf, tg, idx, addr, d + 1);
    }
    // p?d_offset(): derive the child table from the entry.
    yield a.read(fn, `${child === 'pte' ? 'pte_offset_kernel' : `${child}_offset`}(${name}p, addr)`, tf, tg, idx, addr);
    if (a.resultKind !== ENTRY_TABLE) {
      s.checker.lostMapping(a, addr, `${name} entry is not a table after ${N.alloc[child]}`);
      return done;
    }
    done = (yield vmapLevel(s, a, a.resultFrame, a.resultGen, d + 1, addr, next, area, done)) as number;
  } while ((addr = next) < end);
  return done;
}

/**
 * __pud_alloc() / __pmd_alloc() / __pte_alloc_kernel() (mm/memory.c): allocate
 * a zeroed table, take init_mm.page_table_lock, re-check the entry is still
 * none, populate it or free the new table. Under Option 1 the caller already
 * holds the ptl, so it is not taken again.
 */
function* pXd_alloc(s: Sim, a: Actor, tf: number, tg: number, idx: number, addr: number, childDepth: number): Program {
  const g = s.g;
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
export function* vfree(s: Sim, a: Actor, area: VmArea): Program {
  const t0 = a.time;
  s.liveAreas.delete(area.va);
  yield vunmapLevel(s, a, s.root, s.mem.gen[s.root], 0, area.va, area.va + area.size);
  yield a.vaLazyFree('free_vmap_area_noflush', 'llist_add(&va->purge_list, &vmap_purge_list)', area.va, area.size, area.window);
  if (a.result === 1) yield purge_vmap_area_lazy(s, a);
  for (let i = 0; i < area.frames.length; i++) {
    yield a.free(FN_VFREE, '__free_pages(page, 0)', area.frames[i], area.gens[i], area.va + i * s.g.pageSize, false);
  }
  s.recordLatency(LAT_VFREE, a.time - t0);
}

function* vunmapLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number): Program {
  const g = s.g;
  const name = g.name[d];
  const fn = N.vunmapRange[name];
  const leaf = g.levels - 1;
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    const idx = indexAt(g, d, addr);
    if (d === leaf) {
      yield a.getAndClear(fn, 'ptep_get_and_clear(&init_mm, addr, pte)', tf, tg, idx, addr);
      continue;
    }
    yield a.read(fn, N.read[name], tf, tg, idx, addr);
    if (a.resultKind !== ENTRY_TABLE) continue;
    yield vunmapLevel(s, a, a.resultFrame, a.resultGen, d + 1, addr, next);
  } while ((addr = next) < end);
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
