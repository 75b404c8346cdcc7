/**
 * Random small programs over the real operations (entry reads and writes,
 * table allocation and freeing, TLB maintenance, hardware accesses, every
 * kind of lock section, trylock, completions, memory removal and a read
 * between steps) as fast-check arbitraries, compiled to toy-machine actors.
 * Shared by the soundness tests of the sequential and the parallel search.
 */
import fc from 'fast-check';
import { ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMALLOC } from '../../core/model/memory.ts';
import { LOCK_MEM_HOTPLUG, LOCK_PTL, LOCK_VMAP_PURGE } from '../../core/model/locks.ts';
import type { Actor } from '../../core/machine/actor.ts';
import { OP_LOCK, OP_READ_LOCK, OP_READ_UNLOCK, OP_TRYLOCK, OP_UNLOCK, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_WRITE_UNLOCK } from '../../core/machine/ops.ts';
import type { Program } from '../../core/machine/routine.ts';
import { SECTION_REMOVED, type Sim } from '../../core/machine/sim.ts';
import type { Toy, ToyEnv } from './toy-machine.ts';
// ------------------------------------------------------------------ random programs

/** Tables of the toy machine: r (PMD level, t hangs in r[0]) and the PTE tables t and u. */
type Table = 'r' | 't' | 'u';
type Simple =
  | { k: 'read'; table: Table; idx: number }
  | { k: 'write'; table: Table; idx: number; clear: boolean }
  | { k: 'xchg'; table: 't' | 'u'; idx: number }
  | { k: 'follow'; idx: number }
  | { k: 'access' }
  | { k: 'tlbi'; what: 'range' | 'pgtable' | 'all' }
  | { k: 'allocFree'; table: boolean; check: boolean }
  | { k: 'work' };
export type Instr =
  | Simple
  | { k: 'unlinkFree'; tlbi: 'pgtable' | 'range' | 'none' }
  | { k: 'allocPopulate'; idx: number }
  | { k: 'teardownVa' }
  | { k: 'lazyTeardown' }
  | { k: 'locked'; lock: number; body: Simple }
  | { k: 'readLocked'; body: Simple }
  | { k: 'writeLocked'; body: Simple }
  | { k: 'trylock'; body: Simple }
  | { k: 'post' }
  | { k: 'wait' }
  | { k: 'present' }
  | { k: 'removeMemory' };

/** Most steps an instruction can take (the brute force is exponential in the total). */
function cost(x: Instr): number {
  switch (x.k) {
    case 'read':
    case 'write':
    case 'xchg':
    case 'access':
    case 'tlbi':
    case 'work':
    case 'post':
    case 'wait':
    case 'removeMemory':
      return 1;
    case 'allocFree':
    case 'present':
    case 'lazyTeardown':
      return 2;
    case 'follow':
    case 'teardownVa':
      return 3;
    case 'unlinkFree':
      return 4;
    case 'allocPopulate':
      return 5;
    case 'locked':
    case 'readLocked':
    case 'trylock':
      return 2 + cost(x.body);
    case 'writeLocked':
      return 3 + cost(x.body);
  }
}

const table = fc.constantFrom<Table>('r', 't', 'u');
const idx = fc.integer({ min: 0, max: 2 });
const simple: fc.Arbitrary<Simple> = fc.oneof(
  fc.record({ k: fc.constant('read' as const), table, idx }),
  fc.record({ k: fc.constant('write' as const), table, idx, clear: fc.boolean() }),
  fc.record({ k: fc.constant('xchg' as const), table: fc.constantFrom<'t' | 'u'>('t', 'u'), idx }),
  fc.record({ k: fc.constant('follow' as const), idx }),
  fc.record({ k: fc.constant('access' as const) }),
  fc.record({ k: fc.constant('tlbi' as const), what: fc.constantFrom<'range' | 'pgtable' | 'all'>('range', 'pgtable', 'all') }),
  fc.record({ k: fc.constant('allocFree' as const), table: fc.boolean(), check: fc.boolean() }),
  fc.record({ k: fc.constant('work' as const) }),
);
const instr: fc.Arbitrary<Instr> = fc.oneof(
  { weight: 6, arbitrary: simple },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('unlinkFree' as const), tlbi: fc.constantFrom<'pgtable' | 'range' | 'none'>('pgtable', 'range', 'none') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('allocPopulate' as const), idx: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('teardownVa' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('lazyTeardown' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('locked' as const), lock: fc.constantFrom(LOCK_PTL, LOCK_VMAP_PURGE), body: simple }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('readLocked' as const), body: simple }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('writeLocked' as const), body: simple }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('trylock' as const), body: simple }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('post' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wait' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('present' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeMemory' as const) }) },
);

/** 2 or 3 programs whose steps add up to at most `budget` (so every interleaving can be enumerated). */
export function programs(budget2: number, budget3: number): fc.Arbitrary<Instr[][]> {
  return fc
    .integer({ min: 2, max: 3 })
    .chain((n) => fc.array(fc.array(instr, { minLength: 1, maxLength: 3 }), { minLength: n, maxLength: n }))
    .filter((ps) => ps.reduce((t, p) => t + p.reduce((u, x) => u + cost(x), 0), 0) <= (ps.length === 2 ? budget2 : budget3));
}

function tableOf(e: ToyEnv, t: Table): [number, number] {
  return t === 'r' ? [e.r, e.rg] : t === 't' ? [e.t, e.tg] : [e.u, e.ug];
}

/** The entry kind the actor's last step saw (a call, so TypeScript does not narrow it across yields). */
const kindSeen = (a: Actor): number => a.resultKind;

function* runSimple(s: Sim, a: Actor, e: ToyEnv, x: Simple, who: number): Program {
  switch (x.k) {
    case 'read': {
      const [f, g] = tableOf(e, x.table);
      yield a.read('toy', `read ${x.table}[${x.idx}]`, f, g, x.idx, 0);
      return;
    }
    case 'write': {
      const [f, g] = tableOf(e, x.table);
      yield a.write('toy', `${x.clear ? 'clear' : 'set'} ${x.table}[${x.idx}]`, f, g, x.idx, 0, x.clear ? ENTRY_NONE : ENTRY_PAGE, x.clear ? 0 : 100 + who);
      return;
    }
    case 'xchg': {
      const [f, g] = tableOf(e, x.table);
      yield a.getAndClear('toy', `xchg ${x.table}[${x.idx}]`, f, g, x.idx, 0);
      return;
    }
    case 'follow': {
      // Through the pointer in r[0] (the table another program may unlink and free).
      yield a.read('toy', 'read r[0]', e.r, e.rg, 0, 0);
      if (kindSeen(a) !== ENTRY_TABLE) return;
      const [f, g] = [a.resultFrame, a.resultGen];
      yield a.read('toy', `read *r[0][${x.idx}]`, f, g, x.idx, 0);
      if (kindSeen(a) === ENTRY_NONE) yield a.write('toy', `set *r[0][${x.idx}]`, f, g, x.idx, 0, ENTRY_PAGE, 200 + who);
      return;
    }
    case 'access':
      yield a.access('toy', 'touch va', e.va);
      return;
    case 'tlbi':
      if (x.what === 'range') yield a.tlbiRange('toy', 'flush_tlb_kernel_range', e.va, e.va + s.geometry.pageSize);
      else if (x.what === 'pgtable') yield a.tlbiPgtable('toy', '__flush_tlb_kernel_pgtable', e.va);
      else yield a.tlbiAll('toy', 'flush_tlb_all');
      return;
    case 'allocFree': {
      yield a.allocPage('toy', x.table ? 'alloc a table' : 'alloc a page', x.table ? ROLE_PGTABLE : ROLE_VMALLOC, x.table ? 3 : -1, true);
      const [f, g] = [a.resultFrame, a.resultGen];
      // Unchecked: as vfree frees its pages, before the lazy TLB flush.
      if (f >= 0) yield a.free('toy', x.check ? 'free it' : 'free it (unchecked)', f, g, 0, x.check);
      return;
    }
    case 'work':
      yield a.work('toy', 'work', 1);
      return;
  }
}

export function compile(prog: Instr[], who: number): Toy {
  return function* (s, a, e) {
    for (const x of prog) {
      switch (x.k) {
        case 'read':
        case 'write':
        case 'xchg':
        case 'follow':
        case 'access':
        case 'tlbi':
        case 'allocFree':
        case 'work':
          yield runSimple(s, a, e, x, who);
          break;
        case 'unlinkFree': {
          yield a.read('toy', 'read r[0]', e.r, e.rg, 0, 0);
          if (kindSeen(a) !== ENTRY_TABLE) break;
          const [f, g] = [a.resultFrame, a.resultGen];
          yield a.write('toy', 'clear r[0]', e.r, e.rg, 0, 0, ENTRY_NONE, 0);
          if (x.tlbi === 'pgtable') yield a.tlbiPgtable('toy', '__flush_tlb_kernel_pgtable', e.va);
          else if (x.tlbi === 'range') yield a.tlbiRange('toy', 'flush_tlb_kernel_range', e.va, e.va + s.geometry.pageSize);
          yield a.free('toy', 'free the table', f, g, 0, true);
          break;
        }
        case 'allocPopulate': {
          yield a.allocPage('toy', 'alloc a table', ROLE_PGTABLE, 3, true);
          const [n, ng] = [a.resultFrame, a.resultGen];
          if (n < 0) break;
          yield a.lockOp(OP_LOCK, 'toy', 'spin_lock(ptl)', LOCK_PTL);
          yield a.read('toy', `re-check r[${x.idx}]`, e.r, e.rg, x.idx, 0);
          const none = kindSeen(a) === ENTRY_NONE;
          if (none) yield a.write('toy', `populate r[${x.idx}]`, e.r, e.rg, x.idx, 0, ENTRY_TABLE, s.mem.pfnOf(n));
          yield a.lockOp(OP_UNLOCK, 'toy', 'spin_unlock(ptl)', LOCK_PTL);
          if (!none) yield a.free('toy', 'free the new table', n, ng, 0, true);
          break;
        }
        case 'lazyTeardown':
          // vfree with a lazy TLB flush: the page is freed while TLBs may still translate to it.
          yield a.write('toy', 'pte_clear', e.pte, e.pteg, e.pteIdx, e.va, ENTRY_NONE, 0);
          yield a.free('toy', '__free_pages (lazy flush)', e.page, e.pageg, e.va, false);
          break;
        case 'teardownVa':
          yield a.write('toy', 'pte_clear', e.pte, e.pteg, e.pteIdx, e.va, ENTRY_NONE, 0);
          yield a.tlbiRange('toy', 'flush_tlb_kernel_range', e.va, e.va + s.geometry.pageSize);
          yield a.free('toy', 'free the page', e.page, e.pageg, e.va, true);
          break;
        case 'locked':
          yield a.lockOp(OP_LOCK, 'toy', 'lock', x.lock);
          yield runSimple(s, a, e, x.body, who);
          yield a.lockOp(OP_UNLOCK, 'toy', 'unlock', x.lock);
          break;
        case 'readLocked':
          yield a.lockOp(OP_READ_LOCK, 'toy', 'down_read', LOCK_MEM_HOTPLUG);
          yield runSimple(s, a, e, x.body, who);
          yield a.lockOp(OP_READ_UNLOCK, 'toy', 'up_read', LOCK_MEM_HOTPLUG);
          break;
        case 'writeLocked':
          yield a.lockOp(OP_WRITE_ENTER, 'toy', 'down_write (announce)', LOCK_MEM_HOTPLUG);
          yield a.lockOp(OP_WRITE_LOCK, 'toy', 'down_write (drained)', LOCK_MEM_HOTPLUG);
          yield runSimple(s, a, e, x.body, who);
          yield a.lockOp(OP_WRITE_UNLOCK, 'toy', 'up_write', LOCK_MEM_HOTPLUG);
          break;
        case 'trylock':
          yield a.lockOp(OP_TRYLOCK, 'toy', 'mutex_trylock', LOCK_VMAP_PURGE);
          if (a.result === 1) {
            yield runSimple(s, a, e, x.body, who);
            yield a.lockOp(OP_UNLOCK, 'toy', 'mutex_unlock', LOCK_VMAP_PURGE);
          }
          break;
        case 'post':
          yield a.complete('toy', 'complete(c1)', e.c1, who);
          break;
        case 'wait':
          yield a.waitForCompletion('toy', 'wait_for_completion(c1)', e.c1);
          break;
        case 'present': {
          yield a.work('toy', 'think', 1);
          // Read between steps: it belongs to the step before.
          const present = s.sectionsPresent(e.secStart, e.secSize);
          yield a.write('toy', present ? 'set t[0]: memory present' : 'set t[0]: memory gone', e.t, e.tg, 0, 0, ENTRY_PAGE, present ? 1 : 2);
          break;
        }
        case 'removeMemory':
          yield a.memState('toy', 'memory removed', e.secStart, e.secSize, SECTION_REMOVED);
          break;
      }
    }
  };
}
