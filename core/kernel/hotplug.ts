/**
 * mm/memory_hotplug.c flows around the arch hooks: add_memory() ->
 * mem_hotplug_begin() -> arch_add_memory() (linear map, then __add_pages()
 * -> sparse vmemmap per section) -> mem_hotplug_done(); and remove_memory()
 * -> [offline_pages()] -> try_remove_memory() -> mem_hotplug_begin() ->
 * arch_remove_memory() (__remove_pages() -> vmemmap_free() per section, then
 * __remove_pgd_mapping()) -> mem_hotplug_done(). device_hotplug_lock is a
 * mutex around each; mem_hotplug_lock is taken for write
 * (percpu_down_write: announce, grace period, drain readers).
 */
import { alignDown } from '../arch.ts';
import { LOCK_DEVICE_HOTPLUG, LOCK_MEM_HOTPLUG } from '../model/locks.ts';
import {
  type Actor,
  LAT_HOTADD,
  LAT_HOTREMOVE,
  OP_LOCK,
  OP_UNLOCK,
  OP_WRITE_ENTER,
  OP_WRITE_LOCK,
  OP_WRITE_UNLOCK,
  type Program,
  SECTION_OFFLINE,
  SECTION_ONLINE,
  SECTION_REMOVED,
  type Sim,
} from '../sim.ts';
import { vmemmapRangeOf } from '../layout.ts';
import { __create_pgd_mapping, __remove_pgd_mapping, vmemmap_free, vmemmap_populate } from './mmu.ts';

export interface HotplugParts {
  /** Tear down / build the linear map (arch_add/remove_memory always does; a minimal race scenario may leave it out). */
  linear: boolean;
  /** Offline the memory first (offline_pages) when removing. */
  offline: boolean;
  /** Take device_hotplug_lock. */
  deviceLock: boolean;
}

function* mem_hotplug_begin(a: Actor): Program {
  yield a.lockOp(OP_WRITE_ENTER, 'mem_hotplug_begin', 'percpu_down_write(&mem_hotplug_lock) /* rcu_sync_enter */', LOCK_MEM_HOTPLUG);
  yield a.lockOp(OP_WRITE_LOCK, 'mem_hotplug_begin', 'percpu_down_write(&mem_hotplug_lock) /* readers drained */', LOCK_MEM_HOTPLUG);
}

function* mem_hotplug_done(a: Actor): Program {
  yield a.lockOp(OP_WRITE_UNLOCK, 'mem_hotplug_done', 'percpu_up_write(&mem_hotplug_lock)', LOCK_MEM_HOTPLUG);
}

/** Each memory section of [pa, pa+size), as sparse vmemmap handles them. */
function sectionsOf(s: Sim, pa: number, size: number): { start: number; size: number }[] {
  const sec = 2 ** s.opts.memory.sectionSizeBits;
  const out: { start: number; size: number }[] = [];
  for (let p = alignDown(pa, sec); p < pa + size; p += sec) out.push({ start: p, size: sec });
  return out;
}

/** add_memory() of [pa, pa+size): map it, populate its memmap, online it. */
export function* add_memory(s: Sim, a: Actor, pa: number, size: number, parts: HotplugParts): Program {
  const t0 = a.time;
  if (parts.deviceLock) yield a.lockOp(OP_LOCK, 'lock_device_hotplug', 'mutex_lock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  yield mem_hotplug_begin(a);
  if (parts.linear) yield __create_pgd_mapping(s, a, s.linear(pa), pa, size, s.opts.linearBlocks);
  for (const sec of sectionsOf(s, pa, size)) {
    const v = vmemmapRangeOf(s.layout, s.memstart, sec);
    yield vmemmap_populate(s, a, v.start, v.end, s.opts.vmemmapPmd);
  }
  yield a.memState('online_pages', 'online_pages(pfn, nr_pages)', pa, size, SECTION_ONLINE);
  yield mem_hotplug_done(a);
  if (parts.deviceLock) yield a.lockOp(OP_UNLOCK, 'unlock_device_hotplug', 'mutex_unlock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  s.recordLatency(LAT_HOTADD, a.time - t0);
}

/** remove_memory() of [pa, pa+size). */
export function* remove_memory(s: Sim, a: Actor, pa: number, size: number, parts: HotplugParts): Program {
  const t0 = a.time;
  if (parts.deviceLock) yield a.lockOp(OP_LOCK, 'lock_device_hotplug', 'mutex_lock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  if (parts.offline) {
    yield mem_hotplug_begin(a);
    yield a.work('offline_pages', 'offline_pages(): isolate and migrate the pages', (size / s.g.pageSize) * s.cost.offlinePerPage);
    yield a.memState('offline_pages', 'offline_pages(pfn, nr_pages) done', pa, size, SECTION_OFFLINE);
    yield mem_hotplug_done(a);
  }
  // try_remove_memory()
  yield mem_hotplug_begin(a);
  const lin = s.linear(pa);
  s.removedRanges.push(lin, lin + size);
  // arch_remove_memory(): __remove_pages() -> sparse_remove_section() -> vmemmap_free() per section.
  for (const sec of sectionsOf(s, pa, size)) {
    const v = vmemmapRangeOf(s.layout, s.memstart, sec);
    s.removedRanges.push(v.start, v.end);
    yield vmemmap_free(s, a, v.start, v.end);
  }
  if (parts.linear) yield __remove_pgd_mapping(s, a, lin, size);
  yield mem_hotplug_done(a);
  s.leakedAtLastRemove = s.leakedTables();
  yield a.memState('try_remove_memory', 'memory removed (DIMM ejected)', pa, size, SECTION_REMOVED);
  if (parts.deviceLock) yield a.lockOp(OP_UNLOCK, 'unlock_device_hotplug', 'mutex_unlock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  s.recordLatency(LAT_HOTREMOVE, a.time - t0);
}
