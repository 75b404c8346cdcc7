/**
 * The kernel page-table dumper and its entry points: ptdump_walk_pgd() (the
 * arch walker in arch/arm64/mm/dump.c up to 5.5, the generic mm/ptdump.c
 * walker since) reads every entry of every table it reaches, with no lock of
 * its own. Two entry points reach it on arm64:
 *  - ptdump_show(), behind debugfs `kernel_page_tables` (CONFIG_PTDUMP_DEBUGFS):
 *    under get_online_mems() since V5 2/3 of the hot-remove series, merged as
 *    bf2b59f60ee1 in v5.7;
 *  - ptdump_check_wx() (CONFIG_DEBUG_WX), unguarded until 59305202c67f (2025)
 *    moved get_online_mems() into ptdump_walk_pgd() itself. Before 6.9 only
 *    mark_rodata_ro() calls it, once at the end of boot (arm64's DEBUG_WX help:
 *    "no runtime or memory usage effect ... once the kernel has booted up -
 *    it's a one time check"); from 6.9, 565474afe08a ("mm: ptdump: add
 *    check_wx_pages debugfs attribute", in the MM pull for 6.9-rc1) runs it
 *    whenever /sys/kernel/debug/check_wx_pages is read.
 * The strategy's ptdumpGuard says which of them take the guard.
 */
import { addrEnd, indexAt } from '../arch.ts';
import { ENTRY_TABLE } from '../model/memory.ts';
import { LOCK_MEM_HOTPLUG } from '../model/locks.ts';
import type { Actor } from '../machine/actor.ts';
import { OP_READ_LOCK, OP_READ_UNLOCK } from '../machine/ops.ts';
import type { Program } from '../machine/routine.ts';
import type { Sim } from '../machine/sim.ts';
import { atDepth, N } from './names.ts';

export type PtdumpEntry = 'ptdump_show' | 'ptdump_check_wx';
export const PTDUMP_ENTRIES: readonly PtdumpEntry[] = ['ptdump_show', 'ptdump_check_wx'];

/** ptdump_show() (debugfs kernel_page_tables): get_online_mems() around the walk when the strategy has V5 2/3's guard. */
export function* ptdump_show(s: Sim, a: Actor, ranges: readonly (readonly [number, number])[]): Program {
  const guard = s.knobs.ptdumpGuard === 'get_online_mems';
  if (guard) yield a.lockOp(OP_READ_LOCK, 'ptdump_show', 'get_online_mems()', LOCK_MEM_HOTPLUG);
  yield ptdump_walk_pgd(s, a, ranges);
  if (guard) yield a.lockOp(OP_READ_UNLOCK, 'ptdump_show', 'put_online_mems()', LOCK_MEM_HOTPLUG);
}

/** ptdump_check_wx() (debug_checkwx(); from 6.9 also debugfs check_wx_pages): no guard of its own. */
export function* ptdump_check_wx(s: Sim, a: Actor, ranges: readonly (readonly [number, number])[]): Program {
  yield ptdump_walk_pgd(s, a, ranges);
}

/** ptdump_walk_pgd(): takes get_online_mems() itself only with the 2025 fix (ptdumpGuard 'ptdump_walk_pgd'). */
function* ptdump_walk_pgd(s: Sim, a: Actor, ranges: readonly (readonly [number, number])[]): Program {
  const guard = s.knobs.ptdumpGuard === 'ptdump_walk_pgd';
  if (guard) yield a.lockOp(OP_READ_LOCK, 'ptdump_walk_pgd', 'get_online_mems() /* 59305202c67f */', LOCK_MEM_HOTPLUG);
  for (const [start, end] of ranges) yield walkLevel(s, a, s.root, s.mem.gen[s.root], 0, start, end);
  if (guard) yield a.lockOp(OP_READ_UNLOCK, 'ptdump_walk_pgd', 'put_online_mems()', LOCK_MEM_HOTPLUG);
}

function* walkLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number): Program {
  const g = s.geometry;
  const fn = atDepth(g, N.ptdumpWalk)[d];
  const act = atDepth(g, N.read)[d];
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    yield a.read(fn, act, tf, tg, indexAt(g, d, addr), addr);
    if (a.resultKind === ENTRY_TABLE && d < g.levels - 1) yield walkLevel(s, a, a.resultFrame, a.resultGen, d + 1, addr, next);
    // note_page(): leaves and holes are only printed.
  } while ((addr = next) < end);
}
