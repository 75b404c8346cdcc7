/**
 * The timed mode's cost model: what each simulated step costs in
 * nanoseconds. Every default says where it comes from:
 *  - `cited`: a number or rule from the kernel or the review (source given);
 *  - `assumed`: an engineering estimate for a contemporary arm64 server core,
 *    to be replaced by a measurement on the hardware being studied.
 * Nothing here is `measured`: PT Lab runs on no arm64 hardware of its own, and
 * says so rather than pretend. Users override any value with
 * `--set cost.<key>=<ns>` or the scenario's `cost` object.
 */

export type CostSource = 'measured' | 'cited' | 'assumed';

export interface CostEntry {
  value: number;
  source: CostSource;
  note: string;
}

export const COST_DEFAULTS = {
  entryRead: { value: 4, source: 'assumed', note: 'READ_ONCE of a page-table entry that hits in L1/L2' },
  entryWrite: { value: 6, source: 'assumed', note: 'WRITE_ONCE/set_p?d of an entry, including the dsb(ishst); isb() set_p?d issues for valid entries' },
  pageAlloc: { value: 250, source: 'assumed', note: 'order-0 alloc_page() from the per-CPU free list' },
  blockAlloc: { value: 4000, source: 'assumed', note: 'order-9 (PMD-sized) allocation for vmemmap_alloc_block_buf()' },
  pageFree: { value: 150, source: 'assumed', note: '__free_pages() of one page or block' },
  allocSleepProbability: { value: 0.01, source: 'assumed', note: 'chance that a GFP_KERNEL allocation enters direct reclaim and sleeps' },
  allocSleepMean: { value: 200_000, source: 'assumed', note: 'mean time asleep in direct reclaim (exponential)' },
  tlbiPage: { value: 60, source: 'assumed', note: 'one TLBI VAALE1IS broadcast, amortised within a dsb(ish) sequence' },
  tlbiPgtable: { value: 120, source: 'assumed', note: 'TLBI VAAE1IS + dsb(ish) + isb for __flush_tlb_kernel_pgtable()' },
  tlbiAll: { value: 2000, source: 'assumed', note: 'TLBI VMALLE1IS + dsb(ish) + isb; subsequent misses not charged here' },
  tlbiBarrier: { value: 300, source: 'assumed', note: 'dsb(ish) completion wait that ends each flush sequence' },
  spinLock: { value: 20, source: 'assumed', note: 'uncontended spin_lock/spin_unlock pair half' },
  lockHandoff: { value: 150, source: 'assumed', note: 'cache-line transfer when a contended lock changes hands' },
  percpuReadFast: { value: 8, source: 'assumed', note: 'percpu_down_read()/percpu_up_read() fast path; the shape (preempt_disable + this_cpu_inc, no shared atomics) is from percpu-rwsem.h, the 8 ns is an estimate' },
  rcuGracePeriod: { value: 8_000_000, source: 'assumed', note: 'one RCU grace period: what rcu_sync_enter() waits in every percpu_down_write() unless the previous writer left less than one ago; ms-scale on a busy system' },
  mutexLock: { value: 40, source: 'assumed', note: 'uncontended mutex_lock' },
  vmapAreaAlloc: { value: 300, source: 'assumed', note: 'alloc_vmap_area(): rb-tree search and insert under vmap_area_lock' },
  vmapAreaFree: { value: 200, source: 'assumed', note: 'return a vmap_area to the free tree under vmap_area_lock' },
  memAccess: { value: 2, source: 'assumed', note: 'a load/store that hits the TLB' },
  walkLevel: { value: 25, source: 'assumed', note: 'one level of a hardware table walk on a TLB miss (walk-cache miss)' },
  offlinePerPage: { value: 60, source: 'assumed', note: 'offline_pages(): isolate and migrate one (mostly free) page' },
  onlinePerPage: { value: 20, source: 'assumed', note: 'online_pages_range(): hand one page to the buddy allocator' },
  kthreadCreate: { value: 30_000, source: 'assumed', note: 'kthreadd creating a kernel thread (copy_process()), besides the vmalloc of its stack' },
  work: { value: 1, source: 'assumed', note: 'scale for explicit think/work time (1 = ns as given)' },
  jitter: { value: 0.1, source: 'assumed', note: 'relative jitter (uniform +/-) applied to every step cost, from the seeded PRNG' },
} as const satisfies Record<string, CostEntry>;

export type CostKey = keyof typeof COST_DEFAULTS;
export type CostModel = Record<CostKey, number>;

export function defaultCostModel(): CostModel {
  const out = {} as CostModel;
  for (const k of Object.keys(COST_DEFAULTS) as CostKey[]) out[k] = COST_DEFAULTS[k].value;
  return out;
}

/** Numbers the kernel fixes, used by the model (cited from the sources named). */
export const KERNEL_CONSTANTS = {
  /** lazy_max_pages() = fls(num_online_cpus()) * (32 MiB / PAGE_SIZE) (mm/vmalloc.c). */
  lazyMaxBytesPerFlsCpu: 32 * 1024 * 1024,
} as const;

/** fls(): index of the most significant set bit, 1-based; fls(0) = 0. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** lazy_max_pages() for a CPU count and page size. */
export function lazyMaxPages(cpus: number, pageSize: number): number {
  return fls(cpus) * (KERNEL_CONSTANTS.lazyMaxBytesPerFlsCpu / pageSize);
}
