/**
 * The built-in scenarios (SPEC §2.9), as raw documents so that `--set`
 * overrides apply before validation. Each description says which
 * configuration makes its race reachable.
 */

export interface Preset {
  name: string;
  summary: string;
  doc: Record<string, unknown>;
  /**
   * Present on the safety presets, the scenarios whose verdicts make a
   * strategy's safety (Compare's verdict row): how a safety check explores
   * it (a time limit per strategy), and how many random seeds it runs when
   * the search cannot complete within that limit.
   */
  safety?: { timeLimitS: number; randomSeeds: number };
}

/** thread-race's machine: boot DRAM whose struct pages sit outside vmemmap's first GiB (linear-map KASLR), one hot-pluggable section inside it. */
function raceMemory(initial: 'offline' | 'online'): Record<string, unknown> {
  return {
    boot: [{ start: '0x2000000000', size: '2G' }],
    hotplug: [{ start: '0x40000000', size: '128M', initial }],
    sectionSizeBits: 27,
    kaslrLinearOffset: '128G',
    vmemmapMapping: 'pmd',
    linearMapping: 'page',
  };
}

/** What thread-race's machine takes for granted (DOMAIN §9 "Reachability assumptions"); the KASLR condition is derived (core/notes.ts). */
const PERCPU_ASSUMPTION =
  'no percpu chunk has pinned the PUD table vmalloc shares with vmemmap: pcpu_get_vm_areas() places percpu chunks top-down from VMALLOC_END and vmalloc never frees ' +
  'intermediate tables, so on a booted system whose percpu allocator has grown past its first chunk that table may already hold a live entry and never empty';

const THREAD_RACE = {
  name: 'thread-race',
  description:
    "The seed thread's race in its smallest form, on the v6.9 4K/48-bit layout (Ard Biesheuvel's VA-space reorganization, 6.9 on): vmalloc's top and vmemmap's first GiB share the PUD table under PGD entry 0x1fb. " +
    "For that table to become empty, no boot memory may have its struct pages in vmemmap's first GiB: linear-map KASLR moved memstart_addr down by 128 GiB, so boot DRAM at 0x2000000000 " +
    "has its struct pages 2 GiB into vmemmap (PGD 0x1fc), while a hot-pluggable 128 MiB section at 0x40000000 has them at VMEMMAP_START + 16 MiB (PUD entry 0x1ff). " +
    'Hot-remove tears down that section\'s vmemmap (the linear map shares nothing with vmalloc and is left out) while vmalloc threads, each in its own GiB at the top of vmalloc space ' +
    '(as callers of __vmalloc_node_range() with a fixed range would be), populate entries of the shared PUD table. ' +
    'It assumes no percpu chunk has pinned that PUD table yet (percpu chunks are placed top-down from VMALLOC_END) and a CPU whose PARange lets linear-map KASLR move memstart_addr ' +
    '(PARange <= 46 bits on 48-bit VA since 5.11); every run says so in its notes. ' +
    'On the v5.11 layout (5.11-6.8: the 5.15, 6.1 and 6.6 LTS kernels; --set arch.layout=v5.11) vmemmap starts in its own PGD entry: no table is shared and the tool says the race is unreachable.',
  assumptions: [PERCPU_ASSUMPTION],
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: raceMemory('offline'),
  vmallocThreads: 2,
  actors: [
    { kind: 'hotremove', range: { start: '0x40000000', size: '128M' }, linear: false, offline: false, deviceLock: false },
    { kind: 'vmalloc', count: 2, profile: 'fix_size', ops: 1, pages: 1, window: 'top-gib-per-thread', touch: true, vfree: false },
  ],
  run: { durationNs: 1e9, maxSteps: 200000 },
};

const SECTION_TLB = {
  name: 'section-tlb',
  description:
    'v5.4 layout, 4K/48, 1 GiB sections (SECTION_SIZE_BITS 30 as before 5.12), booted with rodata=off: the linear map of hot-added memory is then block-mapped ' +
    '(with the default rodata_full, arch_add_memory() passes NO_BLOCK_MAPPINGS and there is no block entry to tear down), so the 1 GiB section is one PUD block in the linear map and 8 PMD blocks in vmemmap. ' +
    'A CPU reads the section through the linear map and its struct pages through vmemmap, so its TLB holds both block translations; then the section is offlined and removed.',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v5.4' },
  memory: {
    boot: [{ start: '0x80000000', size: '2G' }],
    hotplug: [{ start: '0x100000000', size: '1G', initial: 'online' }],
    sectionSizeBits: 30,
    vmemmapMapping: 'pmd',
    // rodata=off: the one case where hot-added memory gets block mappings (arch_add_memory() without NO_BLOCK_MAPPINGS).
    linearMapping: 'block',
  },
  actors: [
    { kind: 'access', targets: 'hotplug', repeats: 1 },
    { kind: 'hotremove', range: { start: '0x100000000', size: '1G' }, linear: true, offline: true, deviceLock: true },
  ],
  run: { durationNs: 1e9, maxSteps: 200000 },
};

const PTDUMP_RACE = {
  name: 'ptdump-race',
  description:
    'v6.9 layout, 4K/48: ptdump (cat /sys/kernel/debug/kernel_page_tables, three times; ptdump_show()) walks the vmemmap region while a hot-pluggable 128 MiB section is removed. ' +
    "Same memory map as thread-race, so the section's vmemmap PMD table and the PUD table above it can empty and be freed under the walker's feet. " +
    'The guard came with the series: V5 2/3 ("arm64/mm: Hold memory hotplug lock while walking for kernel page table dump", merged as bf2b59f60ee1) put ptdump_show() under get_online_mems(), ' +
    'so every built-in strategy is safe here; the race is what a strategy with ptdumpGuard "none" shows ({"id":"bare","base":"v5-reviewed","knobs":{"ptdumpGuard":"none"}}). ' +
    'The linear-map teardown is left out to keep the race small; it frees the section\'s PMD table and 64 PTE tables and races the same way ' +
    '(--set actors[1].linear=true --set actors[0].region=all --set actors[0].repeats=8, a far longer run; ptdump-check-wx does that).',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: raceMemory('offline'),
  actors: [
    { kind: 'ptdump', region: 'vmemmap-region', repeats: 3, cadenceNs: 0 },
    { kind: 'hotremove', range: { start: '0x40000000', size: '128M' }, linear: false, offline: false, deviceLock: true },
  ],
  run: { durationNs: 1e9, maxSteps: 500000 },
};

const PTDUMP_CHECK_WX = {
  name: 'ptdump-check-wx',
  description:
    'v6.9 layout, 4K/48: the W+X check (ptdump_check_wx(), CONFIG_DEBUG_WX) walks every kernel mapping, repeatedly, while a page-mapped 128 MiB section (linear map and vmemmap) is removed. ' +
    'V5 2/3 and the merged bf2b59f60ee1 guarded only ptdump_show(); ptdump_check_wx() walked without get_online_mems() until 59305202c67f ("mm/ptdump: take the memory hotplug lock inside ' +
    'ptdump_walk_pgd()", 2025, Fixes: bbd6ec605c0f), so every strategy that frees page-table pages walks into a freed one here. It is reachable at runtime only from 6.9, whose ' +
    '/sys/kernel/debug/check_wx_pages (565474afe08a) runs it on every read; before 6.9 only mark_rodata_ro() calls it, once at the end of boot, and with --set arch.layout=v5.11 the tool says so. ' +
    'The 2025 fix is ptdumpGuard "ptdump_walk_pgd" ({"id":"upstream-2025","base":"upstream","knobs":{"ptdumpGuard":"ptdump_walk_pgd"}}).',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: raceMemory('offline'),
  actors: [
    { kind: 'ptdump', entry: 'ptdump_check_wx', region: 'all', repeats: 8, cadenceNs: 0 },
    { kind: 'hotremove', range: { start: '0x40000000', size: '128M' }, linear: true, offline: false, deviceLock: true },
  ],
  run: { durationNs: 1e9, maxSteps: 1_000_000 },
};

const ONLINE_NEW_NODE = {
  name: 'online-new-node',
  description:
    'A node with no memory online yet (node 1: a hot-added NUMA node, CXL memory) gets its first 128 MiB onlined (echo online > /sys/devices/system/memory/memoryN/state). ' +
    'online_pages() holds mem_hotplug_lock for write and, because the node comes online for the first time, kswapd_run() and kcompactd_run() start its kswapd and kcompactd with kthread_run(): ' +
    'the onliner queues the request for kthreadd and waits for the new thread (wait_for_completion_killable()), still holding the lock. kthreadd allocates the thread\'s stack with vmalloc ' +
    '(CONFIG_VMAP_STACK: alloc_thread_stack_node() -> __vmalloc_node_range()). Under Option 2 that vmalloc takes get_online_mems() and waits for the writer, which waits for kthreadd: deadlock. ' +
    'No other strategy takes mem_hotplug_lock in vmalloc (Option 1\'s spinlock around vmalloc makes the stack allocation sleep in atomic context instead). ' +
    'This is the concrete form of Anshuman Khandual\'s caveat on Option 2 (11 Jun 2019): "unless we dont want to further the usage of mem_hotplug_lock in core MM".',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: {
    boot: [{ start: '0x80000000', size: '2G' }],
    hotplug: [{ start: '0x880000000', size: '128M', initial: 'offline', node: 1 }],
    sectionSizeBits: 27,
    vmemmapMapping: 'pmd',
    linearMapping: 'page',
  },
  actors: [{ kind: 'online', range: { start: '0x880000000', size: '128M' }, deviceLock: true }],
  run: { durationNs: 1e9, maxSteps: 200000 },
};

const HEAD_TO_HEAD = {
  name: 'head-to-head',
  description:
    'Cost comparison: 8 CPUs run test_vmalloc-like vmalloc/vfree loops (fix_size, random_size, fix_align, random_size_align); one CPU hot-adds (and auto-onlines) and hot-removes ' +
    '(offline, then remove) a page-mapped 128 MiB section, pausing 20 ms between operations, so each operation\'s mem_hotplug_begin() waits for a fresh RCU grace period ' +
    '(offline and remove, back to back, share one); one CPU reads kernel_page_tables every 20 ms. Same memory map as thread-race (the shared PUD table can empty). One simulated second.',
  assumptions: [PERCPU_ASSUMPTION],
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: raceMemory('online'),
  vmallocThreads: 8,
  actors: [
    { kind: 'vmalloc', count: 8, profile: 'mixed', ops: 0, window: 'shared', touch: true, vfree: true, thinkNs: 2000 },
    { kind: 'hotplug', range: { start: '0x40000000', size: '128M' }, cycles: 0, thinkNs: 20_000_000, linear: true, offline: true, deviceLock: true },
    { kind: 'ptdump', region: 'hotplug', repeats: 0, cadenceNs: 20_000_000 },
  ],
  run: { durationNs: 1e9, maxSteps: 100_000_000 },
};

const SCALING = {
  ...HEAD_TO_HEAD,
  name: 'scaling',
  description: 'head-to-head without ptdump, swept over 1, 2, 4, 8, 16, 32 and 64 vmalloc CPUs, 100 simulated ms per point: how each design scales with CPUs.',
  actors: HEAD_TO_HEAD.actors.filter((a) => a.kind !== 'ptdump'),
  sweep: { vmallocThreads: [1, 2, 4, 8, 16, 32, 64] },
  run: { durationNs: 1e8, maxSteps: 100_000_000 },
};

const LARGE = {
  name: 'large',
  description:
    'Hot-remove of 64 GiB (512 sections of 128 MiB) with base-page vmemmap (262144 vmemmap pages, 512 PTE tables) while 15 other CPUs run vmalloc/vfree: 16 CPUs in all. ' +
    'The linear map is page-mapped (rodata_full, the default): its teardown is 16777216 PTEs, each cleared and flushed with its own flush_tlb_kernel_range() (v5.7), ' +
    'about 6 simulated seconds of TLB maintenance with the default costs, so within the 3 simulated seconds here the removal is still running when the run ends ' +
    '(hotremove.ops 0). --set run.durationNs=10e9 lets it finish (a much longer run); with rodata=off (memory.linearMapping=block) it is 64 PUD blocks and finishes well within 3 s.',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: {
    boot: [{ start: '0x80000000', size: '4G' }],
    hotplug: [{ start: '0x1000000000', size: '64G', initial: 'online' }],
    sectionSizeBits: 27,
    vmemmapMapping: 'base',
    linearMapping: 'page',
  },
  vmallocThreads: 15,
  actors: [
    { kind: 'hotremove', range: { start: '0x1000000000', size: '64G' }, linear: true, offline: true, deviceLock: true },
    { kind: 'vmalloc', count: 15, profile: 'mixed', ops: 0, window: 'shared', touch: true, vfree: true, thinkNs: 2000 },
  ],
  run: { durationNs: 3e9, maxSteps: 200_000_000 },
};

export const PRESETS: readonly Preset[] = [
  { name: 'thread-race', summary: 'the seed race: vmalloc populates a PUD table that vmemmap teardown frees', doc: THREAD_RACE, safety: { timeLimitS: 60, randomSeeds: 100 } },
  { name: 'section-tlb', summary: 'block-mapped section removed while a CPU still has it in its TLB', doc: SECTION_TLB, safety: { timeLimitS: 60, randomSeeds: 50 } },
  { name: 'ptdump-race', summary: 'ptdump (kernel_page_tables) walks tables hot-remove frees: guarded since V5 2/3', doc: PTDUMP_RACE, safety: { timeLimitS: 60, randomSeeds: 50 } },
  // Each run walks every kernel mapping 8 times (some 340,000 steps): explore rarely completes here, so few seeds.
  { name: 'ptdump-check-wx', summary: 'the W+X check walks tables hot-remove frees: unguarded until 2025, reachable at runtime from 6.9', doc: PTDUMP_CHECK_WX, safety: { timeLimitS: 60, randomSeeds: 5 } },
  {
    name: 'online-new-node',
    summary: 'a node\'s first memory comes online: Option 2 deadlocks (kswapd\'s stack is vmalloc\'ed under the hot-plug lock)',
    doc: ONLINE_NEW_NODE,
    safety: { timeLimitS: 60, randomSeeds: 50 },
  },
  { name: 'head-to-head', summary: '8 vmalloc CPUs + hot-remove cycles + ptdump: the options side by side', doc: HEAD_TO_HEAD },
  { name: 'scaling', summary: 'head-to-head over 1..64 vmalloc CPUs', doc: SCALING },
  { name: 'large', summary: '64 GiB hot-remove, base-page vmemmap, 16 CPUs', doc: LARGE },
];

/** The safety presets, in catalog order. */
export const SAFETY_PRESETS: readonly Preset[] = PRESETS.filter((p) => p.safety !== undefined);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
