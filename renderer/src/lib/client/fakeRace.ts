/**
 * The thread-race counterexample of the reviewed teardown (`v5-reviewed`,
 * random mode, seed 3) as PT Lab's engine logs it, for the fake lab: every
 * step of the run (1,085), of which the two emptiness scans (PMD entries at
 * steps 23-534, PUD entries at 538-1049) are generated and the rest listed.
 * Produced once from `core/` (runScenario, the sim's traceStep for every
 * step) and checked against `ptlab run --scenario thread-race --strategy
 * v5-reviewed --seed 3 --json`, whose violations are at steps 1056
 * (uaf-table-read), 1057 (uaf-table-write) and 1070 (lost-mapping).
 */
import type { TraceStep } from '../../../../core/results.ts';

/** [step, cpu, actor, function, action, address, frame [role, pfn, generation] | null, locks?] */
type Row = [number, number, string, string, string, string, [string, number, number] | null, string[]?];

const ROWS: Row[] = [
  [0, 1, 'vmalloc#1', 'alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', '', null],
  [1, 2, 'vmalloc#2', 'alloc_vmap_area', 'alloc_vmap_area(size, align, vstart, vend)', '', null],
  [2, 2, 'vmalloc#2', '__vmalloc_area_node', 'alloc_page(GFP_KERNEL)', '', ['vmalloc page', 0x200004e, 1]],
  [3, 1, 'vmalloc#1', '__vmalloc_area_node', 'alloc_page(GFP_KERNEL)', '', ['vmalloc page', 0x200004f, 1]],
  [4, 1, 'vmalloc#1', 'vmap_page_range', 'pgd_none(*pgdp) /* pud_alloc */ = table pfn 0x200004c', 'fffffdff80000000', ['pgd table (static)', 0x2000000, 0]],
  [5, 1, 'vmalloc#1', 'vmap_page_range', 'pud_offset(pgdp, addr) = table pfn 0x200004c', 'fffffdff80000000', ['pgd table (static)', 0x2000000, 0]],
  [6, 0, 'hotremove', 'mem_hotplug_begin', 'percpu_down_write(&mem_hotplug_lock) /* rcu_sync_enter */', '', null],
  [7, 0, 'hotremove', 'mem_hotplug_begin', 'percpu_down_write(&mem_hotplug_lock) /* readers drained */', '', null, ['mem_hotplug_lock']],
  [8, 0, 'hotremove', 'unmap_hotplug_range', 'READ_ONCE(*pgdp) = table pfn 0x200004c', 'fffffdffc1000000', ['pgd table (static)', 0x2000000, 0], ['mem_hotplug_lock']],
  [9, 2, 'vmalloc#2', 'vmap_page_range', 'pgd_none(*pgdp) /* pud_alloc */ = table pfn 0x200004c', 'fffffdff40000000', ['pgd table (static)', 0x2000000, 0]],
  [10, 1, 'vmalloc#1', 'vmap_pud_range', 'pud_none(*pudp) /* pmd_alloc */ = none', 'fffffdff80000000', ['pud table', 0x200004c, 1]],
  [11, 2, 'vmalloc#2', 'vmap_page_range', 'pud_offset(pgdp, addr) = table pfn 0x200004c', 'fffffdff40000000', ['pgd table (static)', 0x2000000, 0]],
  [12, 2, 'vmalloc#2', 'vmap_pud_range', 'pud_none(*pudp) /* pmd_alloc */ = none', 'fffffdff40000000', ['pud table', 0x200004c, 1]],
  [13, 2, 'vmalloc#2', '__pmd_alloc', 'pmd_alloc_one(&init_mm, addr)', '', ['pmd table', 0x2000050, 1]],
  [14, 1, 'vmalloc#1', '__pmd_alloc', 'pmd_alloc_one(&init_mm, addr)', '', ['pmd table', 0x2000051, 1]],
  [15, 0, 'hotremove', 'unmap_hotplug_pud_range', 'READ_ONCE(*pudp) = table pfn 0x200004d', 'fffffdffc1000000', ['pud table', 0x200004c, 1], ['mem_hotplug_lock']],
  [16, 0, 'hotremove', 'unmap_hotplug_pmd_range', 'READ_ONCE(*pmdp) = block pfn 0x2002a88', 'fffffdffc1000000', ['pmd table', 0x200004d, 1], ['mem_hotplug_lock']],
  [17, 0, 'hotremove', 'unmap_hotplug_pmd_range', 'pmd_clear(pmdp) /* was pfn 0x2002a88 */', 'fffffdffc1000000', ['pmd table', 0x200004d, 1], ['mem_hotplug_lock']],
  [18, 0, 'hotremove', 'unmap_hotplug_pmd_range', 'flush_tlb_kernel_range(addr, addr + PAGE_SIZE) /* single block entry */', 'fffffdffc1000000', null, ['mem_hotplug_lock']],
  [19, 0, 'hotremove', 'unmap_hotplug_pmd_range', 'free_hotplug_page_range(page, PMD_SIZE)', 'fffffdffc1000000', ['vmemmap backing', 0x2002a88, 1], ['mem_hotplug_lock']],
  [20, 0, 'hotremove', 'free_empty_tables', 'READ_ONCE(*pgdp) = table pfn 0x200004c', 'fffffdffc1000000', ['pgd table (static)', 0x2000000, 0], ['mem_hotplug_lock']],
  [21, 0, 'hotremove', 'free_empty_pud_table', 'READ_ONCE(*pudp) = table pfn 0x200004d', 'fffffdffc1000000', ['pud table', 0x200004c, 1], ['mem_hotplug_lock']],
  [22, 0, 'hotremove', 'free_empty_pmd_table', 'READ_ONCE(*pmdp) = none', 'fffffdffc1000000', ['pmd table', 0x200004d, 1], ['mem_hotplug_lock']],
  [535, 0, 'hotremove', 'free_empty_pmd_table', 'pud_clear(pudp) /* was pfn 0x200004d */', 'fffffdffc1000000', ['pud table', 0x200004c, 1], ['mem_hotplug_lock']],
  [536, 0, 'hotremove', 'free_empty_pmd_table', '__flush_tlb_kernel_pgtable(start)', 'fffffdffc1000000', null, ['mem_hotplug_lock']],
  [537, 0, 'hotremove', 'free_empty_pmd_table', 'free_hotplug_pgtable_page(virt_to_page(table))', 'fffffdffc1000000', ['pmd table', 0x200004d, 1], ['mem_hotplug_lock']],
  [1050, 0, 'hotremove', 'free_empty_pud_table', 'pgd_clear(pgdp) /* was pfn 0x200004c */', 'fffffdffc1000000', ['pgd table (static)', 0x2000000, 0], ['mem_hotplug_lock']],
  [1051, 0, 'hotremove', 'free_empty_pud_table', '__flush_tlb_kernel_pgtable(start)', 'fffffdffc1000000', null, ['mem_hotplug_lock']],
  [1052, 0, 'hotremove', 'free_empty_pud_table', 'free_hotplug_pgtable_page(virt_to_page(table))', 'fffffdffc1000000', ['pud table', 0x200004c, 1], ['mem_hotplug_lock']],
  [1053, 0, 'hotremove', 'mem_hotplug_done', 'percpu_up_write(&mem_hotplug_lock)', '', null],
  [1054, 0, 'hotremove', 'try_remove_memory', 'memory removed (DIMM ejected)', '', null],
  [1055, 2, 'vmalloc#2', '__pmd_alloc', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']],
  [1056, 2, 'vmalloc#2', '__pmd_alloc', 'pud_none(*pudp) /* re-check under the lock */ = none', 'fffffdff40000000', ['pud table', 0x200004c, 1], ['init_mm.page_table_lock']],
  [1057, 2, 'vmalloc#2', '__pmd_alloc', 'pud_populate(&init_mm, pudp, new) /* table pfn 0x2000050 */', 'fffffdff40000000', ['pud table', 0x200004c, 1], ['init_mm.page_table_lock']],
  [1058, 2, 'vmalloc#2', '__pmd_alloc', 'spin_unlock(&init_mm.page_table_lock)', '', null],
  [1059, 2, 'vmalloc#2', 'vmap_pud_range', 'pmd_offset(pudp, addr) = table pfn 0x2000050', 'fffffdff40000000', ['pud table', 0x200004c, 1]],
  [1060, 2, 'vmalloc#2', 'vmap_pmd_range', 'pmd_none(*pmdp) /* pte_alloc_kernel */ = none', 'fffffdff40000000', ['pmd table', 0x2000050, 1]],
  [1061, 2, 'vmalloc#2', '__pte_alloc_kernel', 'pte_alloc_one_kernel(&init_mm)', '', ['pte table', 0x200004c, 2]],
  [1062, 2, 'vmalloc#2', '__pte_alloc_kernel', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']],
  [1063, 2, 'vmalloc#2', '__pte_alloc_kernel', 'pmd_none(*pmdp) /* re-check under the lock */ = none', 'fffffdff40000000', ['pmd table', 0x2000050, 1], ['init_mm.page_table_lock']],
  [1064, 2, 'vmalloc#2', '__pte_alloc_kernel', 'pmd_populate_kernel(&init_mm, pmd, new) /* table pfn 0x200004c */', 'fffffdff40000000', ['pmd table', 0x2000050, 1], ['init_mm.page_table_lock']],
  [1065, 2, 'vmalloc#2', '__pte_alloc_kernel', 'spin_unlock(&init_mm.page_table_lock)', '', null],
  [1066, 2, 'vmalloc#2', 'vmap_pmd_range', 'pte_offset_kernel(pmdp, addr) = table pfn 0x200004c', 'fffffdff40000000', ['pmd table', 0x2000050, 1]],
  [1067, 2, 'vmalloc#2', 'vmap_pte_range', 'pte_none(*pte) /* WARN_ON(!pte_none) */ = none', 'fffffdff40000000', ['pte table', 0x200004c, 2]],
  [1068, 2, 'vmalloc#2', 'vmap_pte_range', 'set_pte_at(&init_mm, addr, pte, mk_pte(page, prot)) /* page pfn 0x200004e */', 'fffffdff40000000', ['pte table', 0x200004c, 2]],
  [1069, 2, 'vmalloc#2', '__vmalloc_node_range', '*(u8 *)addr = 0 /* the CPU touches the page */', 'fffffdff40000000', null],
  [1070, 1, 'vmalloc#1', '__pmd_alloc', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']],
  [1071, 1, 'vmalloc#1', '__pmd_alloc', 'pud_none(*pudp) /* re-check under the lock */ = none', 'fffffdff80000000', ['pte table', 0x200004c, 1], ['init_mm.page_table_lock']],
  [1072, 1, 'vmalloc#1', '__pmd_alloc', 'pud_populate(&init_mm, pudp, new) /* table pfn 0x2000051 */', 'fffffdff80000000', ['pte table', 0x200004c, 1], ['init_mm.page_table_lock']],
  [1073, 1, 'vmalloc#1', '__pmd_alloc', 'spin_unlock(&init_mm.page_table_lock)', '', null],
  [1074, 1, 'vmalloc#1', 'vmap_pud_range', 'pmd_offset(pudp, addr) = table pfn 0x2000051', 'fffffdff80000000', ['pte table', 0x200004c, 1]],
  [1075, 1, 'vmalloc#1', 'vmap_pmd_range', 'pmd_none(*pmdp) /* pte_alloc_kernel */ = none', 'fffffdff80000000', ['pmd table', 0x2000051, 1]],
  [1076, 1, 'vmalloc#1', '__pte_alloc_kernel', 'pte_alloc_one_kernel(&init_mm)', '', ['pte table', 0x200004d, 2]],
  [1077, 1, 'vmalloc#1', '__pte_alloc_kernel', 'spin_lock(&init_mm.page_table_lock)', '', null, ['init_mm.page_table_lock']],
  [1078, 1, 'vmalloc#1', '__pte_alloc_kernel', 'pmd_none(*pmdp) /* re-check under the lock */ = none', 'fffffdff80000000', ['pmd table', 0x2000051, 1], ['init_mm.page_table_lock']],
  [1079, 1, 'vmalloc#1', '__pte_alloc_kernel', 'pmd_populate_kernel(&init_mm, pmd, new) /* table pfn 0x200004d */', 'fffffdff80000000', ['pmd table', 0x2000051, 1], ['init_mm.page_table_lock']],
  [1080, 1, 'vmalloc#1', '__pte_alloc_kernel', 'spin_unlock(&init_mm.page_table_lock)', '', null],
  [1081, 1, 'vmalloc#1', 'vmap_pmd_range', 'pte_offset_kernel(pmdp, addr) = table pfn 0x200004d', 'fffffdff80000000', ['pmd table', 0x2000051, 1]],
  [1082, 1, 'vmalloc#1', 'vmap_pte_range', 'pte_none(*pte) /* WARN_ON(!pte_none) */ = none', 'fffffdff80000000', ['pte table', 0x200004d, 2]],
  [1083, 1, 'vmalloc#1', 'vmap_pte_range', 'set_pte_at(&init_mm, addr, pte, mk_pte(page, prot)) /* page pfn 0x200004f */', 'fffffdff80000000', ['pte table', 0x200004d, 2]],
  [1084, 1, 'vmalloc#1', '__vmalloc_node_range', '*(u8 *)addr = 0 /* the CPU touches the page */', 'fffffdff80000000', null],
];

const HP = ['mem_hotplug_lock'];
const byStep = new Map(ROWS.map((r) => [r[0], r]));

/** Steps in the whole run. */
export const RACE_RUN_STEPS = 1085;

export const RACE_ACTORS = [
  { name: 'hotremove', cpu: 0, kind: 'hotremove' },
  { name: 'vmalloc#1', cpu: 1, kind: 'vmalloc' },
  { name: 'vmalloc#2', cpu: 2, kind: 'vmalloc' },
];

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

/** Step `s` of the run, in the engine's kernel terms. */
export function raceStep(s: number): TraceStep {
  const row = byStep.get(s);
  if (row) {
    const [step, cpu, actor, fn, action, address, frame, locks] = row;
    return { step, timeNs: null, cpu, actor, function: fn, action, address, frame: frame ? { role: frame[0], pfn: frame[1], generation: frame[2] } : null, locks: locks ? [...locks] : [] };
  }
  if (s >= 23 && s <= 534) {
    // free_empty_pmd_table() checks every entry of the vmemmap PMD table before freeing it.
    const va = 0xfffffdffc0000000n + BigInt(s - 23) * 0x200000n;
    return { step: s, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pmd_table', action: 'READ_ONCE(pmdp[i]) = none', address: hex16(va), frame: { role: 'pmd table', pfn: 0x200004d, generation: 1 }, locks: [...HP] };
  }
  if (s >= 538 && s <= 1049) {
    // free_empty_pud_table() then checks every entry of the PUD table vmalloc shares.
    const va = 0xfffffd8000000000n + BigInt(s - 538) * 0x40000000n;
    return { step: s, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pud_table', action: 'READ_ONCE(pudp[i]) = none', address: hex16(va), frame: { role: 'pud table', pfn: 0x200004c, generation: 1 }, locks: [...HP] };
  }
  throw new Error(`the race trace has no step ${s}`);
}

/** The steps the engine keeps in each violation's trace (the rest are in the full log). */
export const RACE_VIOLATIONS = {
  'uaf-table-read': { step: 1056, picked: [1, 2, 4, 5, 8, 9, 10, 11, 12, 13, 15, 20, 21, 535, 1049, 1050, 1052, 1055, 1056] },
  'uaf-table-write': { step: 1057, picked: [1, 2, 4, 5, 8, 9, 10, 11, 12, 13, 15, 20, 21, 535, 1049, 1050, 1052, 1055, 1056, 1057] },
  'lost-mapping': { step: 1070, picked: [1058, 1059, 1060, 1061, 1062, 1063, 1064, 1065, 1066, 1067, 1068, 1069] },
} as const;

export type RaceKind = keyof typeof RACE_VIOLATIONS;

/** A violation's shortened trace as the engine prints it (the PUD scan folded into one line, x512). */
export function raceTrace(kind: RaceKind): TraceStep[] {
  const { step, picked } = RACE_VIOLATIONS[kind];
  return picked.map((s) => {
    const t = raceStep(s);
    if (s === 1049) return { ...t, repeat: 512 };
    // The violating step is rendered before it completes: no result, no value comment.
    if (s === step) return { ...t, action: t.action.replace(/ = none$/, '').replace(/ \/\* table pfn 0x[0-9a-f]+ \*\/$/, '') };
    return t;
  });
}

export const RACE_MESSAGES: Record<RaceKind, string> = {
  'uaf-table-read': 'vmalloc#2 in __pmd_alloc read an entry of a freed table page pfn 0x200004c (generation 1)',
  'uaf-table-write': 'vmalloc#2 in __pmd_alloc wrote table entry into a freed table page pfn 0x200004c (generation 1)',
  'lost-mapping': 'vmalloc mapping at fffffdff40000000 is not reachable from swapper_pg_dir: the access faulted',
};
