/**
 * mm/memory_hotplug.c flows around the arch hooks (v5.2 shape): add_memory()
 * -> mem_hotplug_begin() -> arch_add_memory() (linear map, then
 * __add_pages() -> sparse vmemmap per section) -> mem_hotplug_done(), then
 * auto-online: online_pages() under its own mem_hotplug_begin() ("device_online()
 * will take the lock when calling online_pages()"), which starts kswapd and
 * kcompactd when the node comes online for the first time; and
 * remove_memory() -> [offline_pages()] -> try_remove_memory() ->
 * mem_hotplug_begin() -> arch_remove_memory() (__remove_pages() ->
 * vmemmap_free() per section, then __remove_pgd_mapping()) ->
 * mem_hotplug_done(). device_hotplug_lock is a mutex around each;
 * mem_hotplug_lock is taken for write (percpu_down_write: rcu_sync_enter(),
 * drain readers).
 * Deviation: when a node's last memory goes offline, offline_pages() stops
 * kswapd and kcompactd (kswapd_stop(), kcompactd_stop()); that is not modelled
 * as steps, but the next online of the node starts them again, as it would.
 */
import { alignDown } from '../arch.ts';
import { LOCK_DEVICE_HOTPLUG, LOCK_MEM_HOTPLUG } from '../model/locks.ts';
import type { Actor } from '../machine/actor.ts';
import { LAT_HOTADD, LAT_HOTREMOVE, SECTION_OFFLINE, SECTION_ONLINE, SECTION_REMOVED, type Sim } from '../machine/sim.ts';
import { OP_LOCK, OP_UNLOCK, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_WRITE_UNLOCK } from '../machine/ops.ts';
import type { Program } from '../machine/routine.ts';
import { vmemmapRangeOf } from '../layout.ts';
import { kthread_run } from './kthread.ts';
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
  yield mem_hotplug_done(a);
  // memhp_auto_online: walk_memory_blocks(..., online_memory_block) -> device_online() -> online_pages().
  yield online_pages(s, a, pa, size);
  if (parts.deviceLock) yield a.lockOp(OP_UNLOCK, 'unlock_device_hotplug', 'mutex_unlock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  s.recordLatency(LAT_HOTADD, a.time - t0);
}

/**
 * online_pages() (mm/memory_hotplug.c, v5.2): under mem_hotplug_lock for write,
 * online_pages_range() gives the pages to the buddy allocator; if that brings the
 * node its first online memory (status_change_nid), kswapd_run() and
 * kcompactd_run() start the node's kswapd and kcompactd with kthread_run(), and
 * wait for kthreadd to create them, still holding mem_hotplug_lock.
 */
export function* online_pages(s: Sim, a: Actor, pa: number, size: number): Program {
  yield mem_hotplug_begin(a);
  yield a.work('online_pages', 'online_pages_range(): __free_pages_core() of each page', (size / s.geometry.pageSize) * s.cost.onlinePerPage);
  yield a.memState('online_pages', 'node_states_check_changes_online(); zone and node online', pa, size, SECTION_ONLINE);
  if (a.result === 1) {
    if (a.kthreadDone < 0) throw new Error(`${a.name}: onlines a new node but has no kthread completion (buildSim adds kthreadd for scenarios with memory in nodes other than 0)`);
    yield kthread_run(s, a, 'kswapd_run', 'kswapd', a.kthreadDone);
    yield kthread_run(s, a, 'kcompactd_run', 'kcompactd', a.kthreadDone);
  }
  yield mem_hotplug_done(a);
}

/** Online [pa, pa+size) as `echo online > /sys/devices/system/memory/memoryN/state` does (device_online() under device_hotplug_lock). */
export function* online_memory(s: Sim, a: Actor, pa: number, size: number, deviceLock: boolean): Program {
  const t0 = a.time;
  if (deviceLock) yield a.lockOp(OP_LOCK, 'lock_device_hotplug_sysfs', 'mutex_lock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  yield online_pages(s, a, pa, size);
  if (deviceLock) yield a.lockOp(OP_UNLOCK, 'unlock_device_hotplug', 'mutex_unlock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  s.recordLatency(LAT_HOTADD, a.time - t0);
}

/** remove_memory() of [pa, pa+size). */
export function* remove_memory(s: Sim, a: Actor, pa: number, size: number, parts: HotplugParts): Program {
  const t0 = a.time;
  if (parts.deviceLock) yield a.lockOp(OP_LOCK, 'lock_device_hotplug', 'mutex_lock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  if (parts.offline) {
    yield mem_hotplug_begin(a);
    yield a.work('offline_pages', 'offline_pages(): isolate and migrate the pages', (size / s.geometry.pageSize) * s.cost.offlinePerPage);
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
  if (s.auditLeaks) s.leakedAtLastRemove = s.leakedTables();
  yield a.memState('try_remove_memory', 'memory removed (DIMM ejected)', pa, size, SECTION_REMOVED);
  if (parts.deviceLock) yield a.lockOp(OP_UNLOCK, 'unlock_device_hotplug', 'mutex_unlock(&device_hotplug_lock)', LOCK_DEVICE_HOTPLUG);
  s.recordLatency(LAT_HOTREMOVE, a.time - t0);
}
