/**
 * The operations an actor can describe, each one atomic step of the
 * machine: the op codes, their union type (so every switch over a pending op
 * is checked for exhaustiveness), and the predicates the simulator and the
 * explorer ask of an op, also as tables indexed by op for the hot loop.
 */

// The operations an actor can describe: each is one atomic step. `Op` is their union, so every switch over an
// actor's pending op is checked for exhaustiveness (typescript-eslint switch-exhaustiveness-check).
/** No step described yet (an actor before its program first yields). */
export const OP_NONE = 0;
/** READ_ONCE of a table entry. */
export const OP_READ = 1;
/** WRITE_ONCE / set_p?d / p?d_clear / p?d_populate of a table entry. */
export const OP_WRITE = 2;
/** ptep_get_and_clear(): read and clear an entry in one step. */
export const OP_XCHG = 3;
/** alloc_page(): one page from the page allocator (as a table page when a depth is given). */
export const OP_ALLOC_PAGE = 4;
/** A PMD-sized block from the page allocator (vmemmap_alloc_block_buf(PMD_SIZE)). */
export const OP_ALLOC_BLOCK = 5;
/** __free_pages() / free of a table page. */
export const OP_FREE = 6;
/** flush_tlb_kernel_range(): TLBI VAALE1IS per page, or a whole flush above MAX_TLBI_OPS. */
export const OP_TLBI_RANGE = 7;
/** __flush_tlb_kernel_pgtable(): TLBI VAAE1IS, walk cache included. */
export const OP_TLBI_PGTABLE = 8;
/** flush_tlb_all(): TLBI VMALLE1IS. */
export const OP_TLBI_ALL = 9;
/** spin_lock() / mutex_lock(). */
export const OP_LOCK = 10;
export const OP_UNLOCK = 11;
/** percpu_down_read() / percpu_up_read(). */
export const OP_READ_LOCK = 12;
export const OP_READ_UNLOCK = 13;
/** percpu_down_write(), first half: rcu_sync_enter() announces the writer. */
export const OP_WRITE_ENTER = 14;
/** percpu_down_write(), second half: the readers have drained. */
export const OP_WRITE_LOCK = 15;
export const OP_WRITE_UNLOCK = 16;
/** A CPU load/store through its TLB (a hardware walk on a miss). */
export const OP_ACCESS = 17;
/** Local work for a given time (think time, msleep(), work that touches nothing shared). */
export const OP_WORK = 18;
/** alloc_vmap_area(): VA from a vmap window. */
export const OP_VA_ALLOC = 19;
/** free_vmap_area_noflush(): queue an area for the lazy purge. */
export const OP_VA_LAZY_FREE = 20;
/** __purge_vmap_area_lazy(): take every queued area. */
export const OP_PURGE_TAKE = 21;
/** Return the purged areas' VA to their windows. */
export const OP_VA_RELEASE = 22;
/** Memory sections of a range go online, offline or away. */
export const OP_MEM_STATE = 23;
/** The program has ended: nothing left to step. */
export const OP_DONE = 24;
/** complete(&x): post completion x (a counting semaphore with a FIFO of payloads), e.g. a kthread create request. */
export const OP_COMPLETE = 25;
/** wait_for_completion(&x): enabled once x has been completed; takes the oldest payload into `result`. */
export const OP_WAIT_COMPLETION = 26;
/** mutex_trylock(): takes the lock if it is free (result 1), else goes on without it (result 0); never waits. */
export const OP_TRYLOCK = 27;

export type LockOp =
  | typeof OP_LOCK
  | typeof OP_UNLOCK
  | typeof OP_READ_LOCK
  | typeof OP_READ_UNLOCK
  | typeof OP_WRITE_ENTER
  | typeof OP_WRITE_LOCK
  | typeof OP_WRITE_UNLOCK
  | typeof OP_TRYLOCK;

export type Op =
  | typeof OP_NONE
  | typeof OP_READ
  | typeof OP_WRITE
  | typeof OP_XCHG
  | typeof OP_ALLOC_PAGE
  | typeof OP_ALLOC_BLOCK
  | typeof OP_FREE
  | typeof OP_TLBI_RANGE
  | typeof OP_TLBI_PGTABLE
  | typeof OP_TLBI_ALL
  | LockOp
  | typeof OP_ACCESS
  | typeof OP_WORK
  | typeof OP_VA_ALLOC
  | typeof OP_VA_LAZY_FREE
  | typeof OP_PURGE_TAKE
  | typeof OP_VA_RELEASE
  | typeof OP_MEM_STATE
  | typeof OP_DONE
  | typeof OP_COMPLETE
  | typeof OP_WAIT_COMPLETION;

/** Does the op name a frame (`frame`, `gen`) that a trace shows: an entry access or a free? */
export function opTouchesFrame(op: Op): boolean {
  return op === OP_READ || op === OP_WRITE || op === OP_XCHG || op === OP_FREE;
}

/** Can an actor whose pending op is `op` be unable to take it (so Sim.enabled() must be asked)? */
export function opMayWait(op: Op): boolean {
  switch (op) {
    case OP_LOCK:
    case OP_READ_LOCK:
    case OP_WRITE_ENTER:
    case OP_WRITE_LOCK:
    case OP_WAIT_COMPLETION:
    case OP_NONE:
    case OP_DONE:
      return true;
    case OP_READ:
    case OP_WRITE:
    case OP_XCHG:
    case OP_ALLOC_PAGE:
    case OP_ALLOC_BLOCK:
    case OP_FREE:
    case OP_TLBI_RANGE:
    case OP_TLBI_PGTABLE:
    case OP_TLBI_ALL:
    case OP_UNLOCK:
    case OP_READ_UNLOCK:
    case OP_WRITE_UNLOCK:
    case OP_TRYLOCK:
    case OP_ACCESS:
    case OP_WORK:
    case OP_VA_ALLOC:
    case OP_VA_LAZY_FREE:
    case OP_PURGE_TAKE:
    case OP_VA_RELEASE:
    case OP_MEM_STATE:
    case OP_COMPLETE:
      return false;
  }
}

/** Can performing `op` let another actor step that could not (a lock given up or taken, a completion posted or taken)? */
export function opMayWake(op: Op): boolean {
  switch (op) {
    case OP_LOCK:
    case OP_UNLOCK:
    case OP_READ_LOCK:
    case OP_READ_UNLOCK:
    case OP_WRITE_ENTER:
    case OP_WRITE_LOCK:
    case OP_WRITE_UNLOCK:
    case OP_TRYLOCK:
    case OP_COMPLETE:
    case OP_WAIT_COMPLETION:
      return true;
    case OP_NONE:
    case OP_DONE:
    case OP_READ:
    case OP_WRITE:
    case OP_XCHG:
    case OP_ALLOC_PAGE:
    case OP_ALLOC_BLOCK:
    case OP_FREE:
    case OP_TLBI_RANGE:
    case OP_TLBI_PGTABLE:
    case OP_TLBI_ALL:
    case OP_ACCESS:
    case OP_WORK:
    case OP_VA_ALLOC:
    case OP_VA_LAZY_FREE:
    case OP_PURGE_TAKE:
    case OP_VA_RELEASE:
    case OP_MEM_STATE:
      return false;
  }
}

/** Highest op code. */
export const OP_LAST = OP_TRYLOCK;

/** A predicate over ops as a table indexed by op (read every step: a load, not a chain of compares). */
function opTable(pred: (op: Op) => boolean): Uint8Array {
  const t = new Uint8Array(OP_LAST + 1);
  for (let op = 0; op <= OP_LAST; op++) t[op] = pred(op as Op) ? 1 : 0;
  return t;
}
export const OP_MAY_WAIT = opTable(opMayWait);
export const OP_MAY_WAKE = opTable(opMayWake);
export const OP_TOUCHES_FRAME = opTable(opTouchesFrame);

/** OP_ACCESS's resultKind: the access reached memory (else it faulted). */
export const ACCESS_MAPPED = 1;
export const ACCESS_FAULT = 0;
