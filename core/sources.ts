/**
 * Where the kernel functions a trace names live in the kernel source of the
 * modelled release, for links from the Trace viewer (elixir.bootlin.com for
 * the release the layout era is named after). Owns the function -> file map;
 * functions the model invents for its own steps ("memory access", "ptdump",
 * "test_func", "hotplug_thread") have no file and are left out. The V5
 * one-pass teardown (remove_pagetable() and its helpers) was only ever
 * posted, never merged: it maps to the file it was posted for.
 */

/** The kernel release whose source a layout era models (the era is named after it; v6 is the alias of v6.9). */
export function releaseOfEra(era: string): string {
  return era === 'v6' ? 'v6.9' : era;
}

/** Source base of a release on elixir.bootlin.com, e.g. "https://elixir.bootlin.com/linux/v6.9/source". */
export function sourceBaseOf(era: string): string {
  return `https://elixir.bootlin.com/linux/${releaseOfEra(era)}/source`;
}

const MMU = 'arch/arm64/mm/mmu.c';
const VMALLOC = 'mm/vmalloc.c';
const MEMORY = 'mm/memory.c';
const HOTPLUG = 'mm/memory_hotplug.c';
const KTHREAD = 'kernel/kthread.c';
const FORK = 'kernel/fork.c';

/** Functions whose file does not depend on the release. */
const FIXED: Record<string, string> = {
  // arch/arm64/mm/mmu.c: the teardown (v5.7 and the V5 posting), hot-add's map builders, vmemmap.
  unmap_hotplug_range: MMU,
  free_empty_tables: MMU,
  remove_pagetable: MMU,
  __remove_pgd_mapping: MMU,
  vmemmap_free: MMU,
  vmemmap_populate: MMU,
  __create_pgd_mapping: MMU,
  alloc_init_pud: MMU,
  init_pmd: MMU,
  init_pte: MMU,
  arch_add_memory: MMU,
  arch_remove_memory: MMU,
  // mm/sparse-vmemmap.c: the generic vmemmap populate helpers.
  vmemmap_pud_populate: 'mm/sparse-vmemmap.c',
  vmemmap_pte_populate: 'mm/sparse-vmemmap.c',
  vmemmap_pgd_populate: 'mm/sparse-vmemmap.c',
  // mm/vmalloc.c
  __vmalloc_node_range: VMALLOC,
  __vmalloc_area_node: VMALLOC,
  alloc_vmap_area: VMALLOC,
  vmap_page_range: VMALLOC,
  vmap_pud_range: VMALLOC,
  vmap_pmd_range: VMALLOC,
  vmap_pte_range: VMALLOC,
  vunmap_page_range: VMALLOC,
  vunmap_pud_range: VMALLOC,
  vunmap_pmd_range: VMALLOC,
  vunmap_pte_range: VMALLOC,
  vfree: VMALLOC,
  free_vmap_area_noflush: VMALLOC,
  try_purge_vmap_area_lazy: VMALLOC,
  __purge_vmap_area_lazy: VMALLOC,
  // mm/memory.c: the generic table allocators.
  __pud_alloc: MEMORY,
  __pmd_alloc: MEMORY,
  __pte_alloc_kernel: MEMORY,
  // mm/memory_hotplug.c
  mem_hotplug_begin: HOTPLUG,
  mem_hotplug_done: HOTPLUG,
  online_pages: HOTPLUG,
  offline_pages: HOTPLUG,
  try_remove_memory: HOTPLUG,
  add_memory: HOTPLUG,
  // drivers/base/core.c
  lock_device_hotplug: 'drivers/base/core.c',
  unlock_device_hotplug: 'drivers/base/core.c',
  lock_device_hotplug_sysfs: 'drivers/base/core.c',
  // kernel threads
  kthreadd: KTHREAD,
  kthread: KTHREAD,
  __kthread_create_on_node: KTHREAD,
  kswapd_run: 'mm/vmscan.c',
  kcompactd_run: 'mm/compaction.c',
  copy_process: FORK,
  alloc_thread_stack_node: FORK,
  // arch/arm64/mm/ptdump_debugfs.c: kernel_page_tables.
  ptdump_show: 'arch/arm64/mm/ptdump_debugfs.c',
};

/** The per-level teardown, map and walk functions, by their level-generic pattern. */
const PATTERNS: [RegExp, string][] = [
  [/^unmap_hotplug_(p4d|pud|pmd|pte)_range$/, MMU],
  [/^free_empty_(p4d|pud|pmd|pte)_table$/, MMU],
  [/^(remove|free)_(pud|pmd|pte)_table$/, MMU],
];

/** The ptdump walker: arch/arm64/mm/dump.c up to 5.5 (walk_pgd(), walk_pud(), ...); the generic mm/ptdump.c since 5.6. */
function ptdumpFile(fn: string, release: string): string | null {
  const generic = !(release === 'v5.2' || release === 'v5.4');
  if (fn === 'ptdump_walk_pgd' || /^walk_(pgd|p4d|pud|pmd|pte)$/.test(fn)) return generic ? 'mm/ptdump.c' : 'arch/arm64/mm/dump.c';
  if (fn === 'ptdump_check_wx') return release === 'v6.9' ? 'arch/arm64/mm/ptdump.c' : 'arch/arm64/mm/dump.c';
  return null;
}

/** The source file of a kernel function in the release of `era`, or null for steps the model names itself. */
export function sourceFileOf(fn: string, era: string): string | null {
  const fixed = FIXED[fn];
  if (fixed) return fixed;
  for (const [re, file] of PATTERNS) if (re.test(fn)) return file;
  return ptdumpFile(fn, releaseOfEra(era));
}
