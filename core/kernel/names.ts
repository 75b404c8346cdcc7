/**
 * Kernel function and action names, by table level, interned once so that
 * a step stores a string reference and never builds one.
 */
import type { Geometry } from '../arch.ts';

const LEVELS = ['pgd', 'p4d', 'pud', 'pmd', 'pte'] as const;

function byLevel(f: (n: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of LEVELS) out[n] = f(n);
  return out;
}

/** The entry that points to a table of each level (p4d folded on arm64 in the modelled kernels). */
const PARENT: Record<string, string> = { pgd: 'pgd', p4d: 'pgd', pud: 'pgd', pmd: 'pud', pte: 'pmd' };

const SIZE_NAME: Record<string, string> = { pgd: 'PGDIR_SIZE', p4d: 'P4D_SIZE', pud: 'PUD_SIZE', pmd: 'PMD_SIZE', pte: 'PAGE_SIZE' };

export const N = {
  unmapRange: byLevel((n) => (n === 'pgd' ? 'unmap_hotplug_range' : `unmap_hotplug_${n}_range`)),
  freeEmpty: byLevel((n) => (n === 'pgd' ? 'free_empty_tables' : `free_empty_${n}_table`)),
  removeTable: byLevel((n) => (n === 'pgd' ? 'remove_pagetable' : `remove_${n}_table`)),
  freeTable: byLevel((n) => `free_${n}_table`),
  read: byLevel((n) => `READ_ONCE(*${n}p)`),
  readIdx: byLevel((n) => `READ_ONCE(${n}p[i])`),
  clear: byLevel((n) => (n === 'pte' ? 'pte_clear(&init_mm, addr, ptep)' : `${n}_clear(${n}p)`)),
  tlbiLeaf: byLevel((n) => `flush_tlb_kernel_range(addr, addr + PAGE_SIZE)${n === 'pte' ? '' : ' /* single block entry */'}`),
  freeLeaf: byLevel((n) => `free_hotplug_page_range(page, ${SIZE_NAME[n]})`),
  alloc: byLevel((n) => (n === 'pte' ? '__pte_alloc_kernel' : `__${n}_alloc`)),
  allocOne: byLevel((n) => (n === 'pte' ? 'pte_alloc_one_kernel(&init_mm)' : `${n}_alloc_one(&init_mm, addr)`)),
  /**
   * Installing a new table of level `n` (keyed by the new table's level, so a folded level needs no special case):
   * the generic populate of mm/memory.c's __p?d_alloc() and mm/sparse-vmemmap.c — a PTE table goes in with
   * pmd_populate_kernel(), a PMD table with pud_populate(), a PUD table with pgd_populate() (p4d folded).
   */
  populate: byLevel((n) => (n === 'pte' ? 'pmd_populate_kernel(&init_mm, pmd, new)' : `${PARENT[n]}_populate(&init_mm, ${PARENT[n]}p, new)`)),
  /** The same for arch/arm64/mm/mmu.c's map builders: __pmd_populate(pmdp, pte_phys, PMD_TYPE_TABLE) and friends. */
  mapPopulate: byLevel((n) => `__${PARENT[n]}_populate(${PARENT[n]}p, ${n}_phys, ${n === 'pte' ? 'PMD' : 'PUD'}_TYPE_TABLE)`),
  recheck: byLevel((n) => `${n}_none(*${n}p) /* re-check under the lock */`),
  vmapRange: byLevel((n) => (n === 'pgd' ? 'vmap_page_range' : `vmap_${n}_range`)),
  vunmapRange: byLevel((n) => (n === 'pgd' ? 'vunmap_page_range' : `vunmap_${n}_range`)),
  createRange: byLevel((n) => (n === 'pgd' ? '__create_pgd_mapping' : n === 'pte' ? 'init_pte' : n === 'pmd' ? 'init_pmd' : `alloc_init_${n}`)),
  setHuge: byLevel((n) => `${n}_set_huge(${n}p, phys, prot)`),
  vmemmapPopulate: byLevel((n) => (n === 'pte' ? 'vmemmap_pte_populate' : n === 'pmd' ? 'vmemmap_populate' : `vmemmap_${n}_populate`)),
  ptdumpWalk: byLevel((n) => (n === 'pgd' ? 'ptdump_walk_pgd' : `walk_${n}`)),
  flushPgtable: '__flush_tlb_kernel_pgtable(start)',
  flushPgtableLeafOnly: 'flush_tlb_kernel_range(start, start + PAGE_SIZE) /* no walk-cache TLBI */',
  freePgtable: 'free_hotplug_pgtable_page(virt_to_page(table))',
};

const byDepth = new WeakMap<Geometry, Map<Record<string, string>, string[]>>();

/**
 * One of N's per-level name tables indexed by table depth for geometry g
 * (made once per geometry). The state-machine walks name every step they
 * describe: an array load by depth, where `N.x[g.name[d]]` is a keyed load by
 * level name whose inline cache sees every level and goes megamorphic.
 */
export function atDepth(g: Geometry, names: Record<string, string>): string[] {
  let m = byDepth.get(g);
  if (!m) byDepth.set(g, (m = new Map()));
  let out = m.get(names);
  if (!out) m.set(names, (out = g.name.map((n) => names[n])));
  return out;
}

export { LEVELS };
