/**
 * The plain-language notes a run carries (RunResult.notes): what the
 * configuration makes unreachable, and what the scenario assumes, so a
 * verdict is never read without its scope. Pure; derived from the scenario,
 * its layout and memory map.
 */
import { formatSize } from './arch.ts';
import { type Layout, type MemoryMap, memstartAlign, type ReachabilityReport } from './layout.ts';
import type { Scenario } from './scenario.ts';

/** Every note for a run of `scenario` (the reachability summary first when it has the race's two sides and the race cannot happen). */
export function scenarioNotes(scenario: Scenario, layout: Layout, memory: MemoryMap, reachability: ReachabilityReport): string[] {
  const notes: string[] = [];
  // The vmalloc/vmemmap race needs both sides: a vmalloc CPU and a teardown.
  const racing = scenario.actors.some((a) => a.kind === 'vmalloc') && scenario.actors.some((a) => a.kind === 'hotremove' || a.kind === 'hotplug');
  if (racing && !reachability.raceReachable) notes.push(reachability.summary);
  if (scenario.actors.some((a) => a.kind === 'ptdump' && a.entry === 'ptdump_check_wx')) notes.push(checkWxNote(layout));
  const kaslr = kaslrNote(layout, memory);
  if (kaslr) notes.push(kaslr);
  for (const a of scenario.assumptions) notes.push(`assumed: ${a}`);
  return notes;
}

/** When ptdump_check_wx() can run after boot (DOMAIN §9; verified against the kernel sources, see core/kernel/ptdump.ts). */
export function checkWxNote(layout: Layout): string {
  if (layout.era === 'v6.9') {
    return 'ptdump_check_wx() runs whenever /sys/kernel/debug/check_wx_pages is read (from 6.9, 565474afe08a "mm: ptdump: add check_wx_pages debugfs attribute"), and walks without get_online_mems() until 59305202c67f (2025)';
  }
  return (
    `ptdump_check_wx() is not reachable at runtime on ${layout.era}-era kernels: before 6.9 its only caller is mark_rodata_ro() (debug_checkwx()), once at the end of boot ` +
    '(arm64 DEBUG_WX: "a one time check"); this run walks as if it could. From 6.9 /sys/kernel/debug/check_wx_pages (565474afe08a) runs it at any time'
  );
}

/**
 * Linear-map KASLR moves memstart_addr down by a random multiple of
 * ARM64_MEMSTART_ALIGN only if the linear region has room to spare
 * (arm64_memblock_init()): since 97d6786e0669 ("arm64: mm: account for hotplug
 * memory when randomizing the linear region", 5.11) the room is
 * linear_region_size - 2^PARange, before it linear_region_size minus the span
 * of boot DRAM. Says what the scenario's offset needs.
 */
export function kaslrNote(layout: Layout, memory: MemoryMap): string | null {
  const offset = memory.kaslrLinearOffset;
  if (offset <= 0) return null;
  const g = layout.geometry;
  const align = memstartAlign(g, memory.sectionSizeBits);
  const linearSize = layout.PAGE_END - layout.PAGE_OFFSET;
  const what = `linear-map KASLR moves memstart_addr down by ${formatSize(offset)}`;
  if (layout.era === 'v5.2' || layout.era === 'v5.4') {
    const lo = Math.min(...memory.boot.map((r) => r.start));
    const hi = Math.max(...memory.boot.map((r) => r.start + r.size));
    const room = linearSize - (hi - lo);
    return `${what}: before 5.11 arm64_memblock_init() randomises within linear_region_size (${formatSize(linearSize)}) minus the span of boot DRAM (${formatSize(hi - lo)}), room for ${room >= offset + align ? 'it' : 'less than that'}`;
  }
  // Largest PARange (in bits) that leaves room for at least ARM64_MEMSTART_ALIGN and for the offset itself.
  let parange = 0;
  for (let p = 32; p <= 52; p++) if (linearSize - 2 ** p >= Math.max(align, offset + align)) parange = p;
  if (parange === 0) return `${what}, which no PARange allows here: since 5.11 the room is linear_region_size (${formatSize(linearSize)}) - 2^PARange`;
  return (
    `${what}: since 5.11 (97d6786e0669) arm64_memblock_init() randomises only when linear_region_size - 2^PARange >= ARM64_MEMSTART_ALIGN (${formatSize(align)}); ` +
    `with a ${formatSize(linearSize)} linear region (VA_BITS ${g.vaBits}) that needs a CPU whose PARange is at most ${parange} bits`
  );
}
