/**
 * The Designer's layout map of a scenario: the kernel VA regions of its era,
 * page size and VA_BITS as full 64-bit addresses, the table pages two regions
 * share, whether the vmalloc/vmemmap race can happen there and why, and the
 * assumptions the scenario makes about the machine, in words. All figures
 * come from core/layout.ts (the kernel's own formulas).
 */
import { formatSize, formatVA } from '../../core/arch.ts';
import { computeLayout, memstartAddr, memstartAlign, sharedTables, vmemmapRaceReachability } from '../../core/layout.ts';
import { memoryMapOf } from '../../core/run/runner.ts';
import type { Scenario } from '../../core/scenario.ts';
import type { LayoutMap } from './api.ts';

const hex = (n: number): string => `0x${n.toString(16)}`;

export function layoutMapOf(scenario: Scenario): LayoutMap {
  const { arch, memory } = scenario;
  const layout = computeLayout(arch.layout, { pageSize: arch.pageSize, vaBits: arch.vaBits });
  const g = layout.geometry;
  const mem = memoryMapOf(scenario);
  const report = vmemmapRaceReachability(layout, mem, memory.vmemmapMapping);
  const regions = layout.regions.map((r) => ({ kind: r.kind, start: formatVA(g, r.start), end: formatVA(g, r.end - 1), sizeBytes: r.end - r.start }));
  const shared = sharedTables(layout).map((t) => {
    const reach = report.shared.find((s) => s.table.start === t.start && s.table.depth === t.depth);
    return {
      level: t.entries.toUpperCase(),
      start: formatVA(g, t.start),
      end: formatVA(g, t.end - 1),
      regions: [...t.regions],
      emptiable: reach ? reach.emptiable : null,
      blockers: reach ? [...reach.blockers] : [],
    };
  });

  const assumptions: string[] = [];
  const memstart = memstartAddr(layout, mem);
  const align = memstartAlign(g, memory.sectionSizeBits);
  const lowest = memory.boot.reduce((lo, b) => Math.min(lo, b.start), Infinity);
  assumptions.push(
    `memstart_addr (PHYS_OFFSET) is ${memstart < 0 ? '-' : ''}${hex(Math.abs(memstart))}: the lowest boot DRAM (${hex(lowest)}) rounded down to ARM64_MEMSTART_ALIGN (${formatSize(align)})` +
      (memory.kaslrLinearOffset > 0 ? `, moved down by ${formatSize(memory.kaslrLinearOffset)} by linear-map KASLR` : ', with no linear-map KASLR offset'),
  );
  if (memory.kaslrLinearOffset > 0) {
    assumptions.push('linear-map KASLR of that size needs spare linear-map space: since 5.11 the linear region must exceed the CPU\'s physical address range (PARange) by at least 1 GiB');
  }
  assumptions.push(`boot memory (never removable): ${memory.boot.map((b) => `${formatSize(b.size)} at ${hex(b.start)}`).join(', ')}`);
  if (memory.hotplug.length) {
    assumptions.push(`hot-pluggable memory: ${memory.hotplug.map((h) => `${formatSize(h.size)} at ${hex(h.start)} (${h.initial} at the start)`).join(', ')}`);
  }
  assumptions.push(`SECTION_SIZE_BITS ${memory.sectionSizeBits}: memory is added and removed in sections of ${formatSize(2 ** memory.sectionSizeBits)}`);
  assumptions.push(
    memory.vmemmapMapping === 'pmd' && g.pmdDepth >= 0
      ? `vmemmap is mapped with PMD blocks of ${formatSize(g.entrySize[g.pmdDepth])}`
      : `vmemmap is mapped with base pages of ${formatSize(g.pageSize)}`,
  );
  assumptions.push(`the linear map uses ${memory.linearMapping === 'block' ? 'block mappings where alignment allows' : 'base pages only (as with rodata=full or debug_pagealloc)'}`);
  if (shared.some((t) => t.regions.includes('vmalloc') && t.regions.includes('vmemmap'))) {
    assumptions.push(
      'vmalloc never frees intermediate tables, and percpu chunks (pcpu_get_vm_areas()) are placed top-down from VMALLOC_END: on a booted system a percpu chunk may already pin the shared table (not modelled)',
    );
  }

  return {
    era: layout.era,
    pageSize: g.pageSize,
    vaBits: g.vaBits,
    levels: g.levels,
    regions,
    sharedTables: shared,
    reachability: { reachable: report.raceReachable, summary: report.summary },
    assumptions,
  };
}
