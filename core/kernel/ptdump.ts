/**
 * ptdump_walk_pgd() (arch/arm64/mm/dump.c of v5.2, and the generic
 * mm/ptdump.c walker later): an unlocked walk of the kernel page tables,
 * reading every entry of every table it reaches. `ptdump_show()` wraps it in
 * get_online_mems()/put_online_mems() since v5.7 (bf2b59f60ee1) — the
 * strategy's ptdumpGuard.
 */
import { addrEnd, indexAt } from '../arch.ts';
import { ENTRY_TABLE } from '../model/memory.ts';
import { LOCK_MEM_HOTPLUG } from '../model/locks.ts';
import { type Actor, OP_READ_LOCK, OP_READ_UNLOCK, type Program, type Sim } from '../sim.ts';
import { N } from './names.ts';

export function* ptdump_show(s: Sim, a: Actor, ranges: readonly (readonly [number, number])[]): Program {
  const guard = s.knobs.ptdumpGuard !== 'none';
  if (guard) yield a.lockOp(OP_READ_LOCK, 'ptdump_show', 'get_online_mems()', LOCK_MEM_HOTPLUG);
  for (const [start, end] of ranges) yield walkLevel(s, a, s.root, s.mem.gen[s.root], 0, start, end);
  if (guard) yield a.lockOp(OP_READ_UNLOCK, 'ptdump_show', 'put_online_mems()', LOCK_MEM_HOTPLUG);
}

function* walkLevel(s: Sim, a: Actor, tf: number, tg: number, d: number, addr: number, end: number): Program {
  const g = s.g;
  const name = g.name[d];
  const fn = N.ptdumpWalk[name];
  let next = addr;
  do {
    next = addrEnd(g, d, addr, end);
    yield a.read(fn, N.read[name], tf, tg, indexAt(g, d, addr), addr);
    if (a.rk === ENTRY_TABLE && d < g.levels - 1) yield walkLevel(s, a, a.rf, a.rg, d + 1, addr, next);
    // note_page(): leaves and holes are only printed.
  } while ((addr = next) < end);
}
