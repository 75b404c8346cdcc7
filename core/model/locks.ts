/**
 * The kernel locks the model knows (SPEC §2.3) and their state. Spinlocks
 * put the holder in atomic context; mem_hotplug_lock is a per-CPU rw
 * semaphore: readers take a cheap fast path unless a writer has announced
 * itself (rcu_sync_enter), and the writer waits for readers to drain.
 */
export const LOCK_PTL = 0;
export const LOCK_MEM_HOTPLUG = 1;
export const LOCK_VMAP_AREA = 2;
export const LOCK_VMAP_PURGE = 3;
export const LOCK_DEVICE_HOTPLUG = 4;
export const N_LOCKS = 5;

export const LOCK_NAMES = ['init_mm.page_table_lock', 'mem_hotplug_lock', 'vmap_area_lock', 'vmap_purge_lock', 'device_hotplug_lock'] as const;
export const LOCK_SPIN = 0;
const LOCK_MUTEX = 1;
const LOCK_PERCPU_RWSEM = 2;
/** A set of locks held, as a mask: bit L for lock L held exclusively (or its writer announced), bit READ_HELD_SHIFT + L for its read side. */
export const READ_HELD_SHIFT = 8;

export const LOCK_TYPES = [LOCK_SPIN, LOCK_PERCPU_RWSEM, LOCK_SPIN, LOCK_MUTEX, LOCK_MUTEX] as const;

export class Locks {
  /** Exclusive holder (actor index) or -1. */
  readonly holder = new Int32Array(N_LOCKS).fill(-1);
  /** Readers inside (percpu rwsem). */
  readonly readers = new Int32Array(N_LOCKS);
  /** Writer that has announced itself (rcu_sync_enter done or in progress), or -1. */
  readonly writer = new Int32Array(N_LOCKS).fill(-1);
  /** percpu rwsem: simulated time the writer's grace period ends; readers before it still take the fast path. */
  readonly graceEnd = new Float64Array(N_LOCKS).fill(Infinity);
  /**
   * percpu rwsem: simulated time the last writer left (rcu_sync_exit()), or
   * -Infinity. Until one grace period after it, rcu_sync's callback has not
   * run (gp_state >= GP_PASSED), readers are still on the slow path, and a new
   * writer's rcu_sync_enter() waits for no grace period (kernel/rcu/sync.c).
   */
  readonly writerLeftAt = new Float64Array(N_LOCKS).fill(-Infinity);
  /** percpu rwsem accounting: writers' time in rcu_sync_enter()'s grace period, and how many they waited for or skipped. */
  readonly graceTotal = new Float64Array(N_LOCKS);
  readonly graceWaited = new Float64Array(N_LOCKS);
  readonly graceSkipped = new Float64Array(N_LOCKS);
  /** percpu rwsem accounting: writers' wait for in-flight readers to drain, and readers' wait behind a writer. */
  readonly drainTotal = new Float64Array(N_LOCKS);
  readonly readerWaitTotal = new Float64Array(N_LOCKS);
  /** Simulated time the lock last became free (timed mode), for wait accounting. */
  readonly freeAt = new Float64Array(N_LOCKS);
  readonly waitTotal = new Float64Array(N_LOCKS);
  readonly waitMax = new Float64Array(N_LOCKS);
  readonly holdTotal = new Float64Array(N_LOCKS);
  readonly holdMax = new Float64Array(N_LOCKS);
  readonly acquisitions = new Float64Array(N_LOCKS);
  readonly contended = new Float64Array(N_LOCKS);

  /** May actor `a` take `lock` exclusively now? */
  canLock(lock: number): boolean {
    return this.holder[lock] === -1 && this.writer[lock] === -1 && this.readers[lock] === 0;
  }

  canReadLock(lock: number): boolean {
    return this.writer[lock] === -1 && this.holder[lock] === -1;
  }

  canWriteEnter(lock: number): boolean {
    return this.writer[lock] === -1 && this.holder[lock] === -1;
  }

  canWriteLock(lock: number, a: number): boolean {
    return this.writer[lock] === a && this.readers[lock] === 0 && this.holder[lock] === -1;
  }

  recordWait(lock: number, ns: number): void {
    this.acquisitions[lock]++;
    if (ns > 0) {
      this.contended[lock]++;
      this.waitTotal[lock] += ns;
      if (ns > this.waitMax[lock]) this.waitMax[lock] = ns;
    }
  }

  recordHold(lock: number, ns: number): void {
    this.holdTotal[lock] += ns;
    if (ns > this.holdMax[lock]) this.holdMax[lock] = ns;
  }
}
