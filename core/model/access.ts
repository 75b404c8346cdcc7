/**
 * What a step touched, declared where it touches it. The machine (Sim.perform,
 * the TLB model, the checks they call) reports every shared cell a step
 * reads or writes to an AccessLog when one is attached; explore's footprint
 * builder is the one implementation (core/explore/footprints.ts), and decides from
 * these declarations which steps commute. A step run without a log declares
 * nothing and costs one null check per access.
 *
 * The vocabulary is the machine's own: table entries through a pointer to a
 * frame incarnation, frame incarnations allocated and freed, reference
 * counts, TLB contents as intervals, lock words, allocator lists, VA
 * windows, memory sections. What the explorer may treat as commuting (adds,
 * allocations of frames nothing can observe) is its business, not the
 * machine's.
 */

/** How a cell was used: read, commutative update (an add), or anything else. */
export const MODE_READ = 1;
export const MODE_ADD = 2;
export const MODE_WRITE = 4;
export type AccessMode = typeof MODE_READ | typeof MODE_ADD | typeof MODE_WRITE;

/** The words of a lock (and of a completion, as lock N_LOCKS + id): holder, announced writer, reader count. */
export const WORD_HOLDER = 0;
export const WORD_WRITER = 1;
export const WORD_READERS = 2;
export type LockWord = typeof WORD_HOLDER | typeof WORD_WRITER | typeof WORD_READERS;

/** TLB contents, as intervals: leaf entries by VA or by pfn, walk-cache entries by VA span or by table pfn; or all of them. */
export const TLB_ANY = -1;
export const TLB_LEAF_VA = 0;
export const TLB_LEAF_PFN = 1;
export const TLB_WALK_VA = 2;
export const TLB_WALK_PFN = 3;
export type TlbSpace = typeof TLB_ANY | typeof TLB_LEAF_VA | typeof TLB_LEAF_PFN | typeof TLB_WALK_VA | typeof TLB_WALK_PFN;
/** A TLB access by any CPU, or at any walk-cache depth. */
export const ANY_CPU = -1;
export const ANY_DEPTH = -1;

/** How a lock acquisition waits: exclusively (lock, announce a writer), for read, or for the readers to drain. */
export const ACQ_NONE = 0;
export const ACQ_EXCL = 1;
export const ACQ_READ = 2;
export const ACQ_WLOCK = 3;
export type AcquireKind = typeof ACQ_EXCL | typeof ACQ_READ | typeof ACQ_WLOCK;

export interface AccessLog {
  /** READ_ONCE / WRITE_ONCE of entry `index` of table `frame`, through a pointer to its incarnation `gen`. */
  entry(frame: number, index: number, gen: number, mode: AccessMode): void;
  /** Which incarnation of `frame` is current was read (a pointer to it was followed or taken). */
  currentGen(frame: number): void;
  /** Is incarnation `gen` of `frame` still allocated, and as what: read (a check) or written (a free). */
  incarnation(frame: number, gen: number, mode: AccessMode): void;
  /** The number of live entries pointing at `frame` was read, or changed by one (an add). */
  refs(frame: number, mode: AccessMode): void;
  /** The stepping actor now knows `frame` by its incarnation `gen` (it read, allocated or used such a pointer). */
  learn(frame: number, gen: number): void;
  /** The stepping actor wrote an entry that points at `frame` (as the incarnation it knows). */
  installed(frame: number): void;
  /** The page allocator handed out `frame` (-1: it had none) from its page or block list. */
  allocated(frame: number, block: boolean): void;
  /** The stepping actor frees `frame`, which it knows as incarnation `gen` (before the free happens). */
  freeing(frame: number, gen: number): void;
  /** TLB contents in [lo, hi) of `space` on `cpu` (ANY_CPU) at walk depth `depth` (ANY_DEPTH) were read or written. */
  tlb(space: TlbSpace, cpu: number, depth: number, lo: number, hi: number, write: boolean): void;
  /** A word of lock `lock` was read, added to, or written. */
  lockWord(word: LockWord, lock: number, mode: AccessMode): void;
  /** The step took lock `lock` after waiting for it to be free (only enabled once it was). */
  acquired(lock: number, kind: AcquireKind): void;
  /** mutex_trylock() took lock `lock` (it never waits: no enabling release). */
  tryAcquired(lock: number): void;
  /** The step released lock `lock` (which may let a waiter in). */
  released(lock: number): void;
  /** complete() posted to completion `id`; wait_for_completion() took a post of it. */
  completionPosted(id: number): void;
  completionTaken(id: number): void;
  /** The vmap area allocator of VA window `window`. */
  vaWindow(window: number): void;
  /** vmap_purge_list and the lazily freed page count. */
  purgeList(): void;
  /** The areas the current purger took off the list. */
  purging(): void;
  /** The state of memory section `index` was read or written. */
  section(index: number, mode: AccessMode): void;
}
