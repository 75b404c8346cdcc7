/**
 * Geometry of the layout map: where each region and each shared table page
 * goes on a broken vertical axis. Sizes span from a few MiB (fixmap) to
 * 128 TiB (the linear map), so each region gets a height on a log scale and
 * the holes between regions a fixed break; an address inside a region is
 * placed linearly within its block. Addresses are 64-bit, hence BigInt.
 */
import type { LayoutMap } from '../lib/api.ts';

export interface Block {
  kind: string;
  /** 'region' or the unused hole between two regions. */
  type: 'region' | 'gap';
  start: bigint;
  /** Exclusive. */
  end: bigint;
  y: number;
  h: number;
}

export interface SharedMark {
  index: number;
  level: string;
  start: bigint;
  end: bigint;
  regions: string[];
  emptiable: boolean | null;
  blockers: string[];
  /** Shared by vmalloc and vmemmap: the table the race is about. */
  race: boolean;
  /** Which entry of its parent table points to it, e.g. "PGD entry 0x1fb". */
  parent: string;
  y1: number;
  y2: number;
  /** Where its label goes (moved apart from its neighbours'). */
  labelY: number;
  /** Bracket offset: tables nested in the span of another shift left. */
  depth: number;
}

const hex = (s: string): bigint => BigInt(`0x${s.replace(/^0x/, '')}`);
export const TOP = 1n << 64n;

/** The end (exclusive) of a span given as start and end, whether `end` is the last byte or one past it. */
export function endOf(start: bigint, end: bigint): bigint {
  return (end - start) % 2n === 1n ? end + 1n : end;
}

export function regionHeight(size: bigint): number {
  const mib = Number(size >> 20n) || 1;
  return Math.max(30, Math.min(84, 18 + 2.5 * Math.log2(mib)));
}

export const GAP_HEIGHT = 12;
/** Pixels a shared-table mark reaches into each block it spans, however small its share. */
const MIN_MARK = 6;

export function blocksOf(map: LayoutMap): Block[] {
  const base = TOP - (1n << BigInt(map.vaBits));
  const regions = map.regions
    .map((r) => {
      const start = hex(r.start);
      return { kind: r.kind, start, end: start + BigInt(r.sizeBytes) };
    })
    .sort((a, b) => (a.start < b.start ? -1 : 1));
  const out: Block[] = [];
  let y = 0;
  let at = base;
  for (const r of regions) {
    if (r.start > at) {
      out.push({ kind: 'unused', type: 'gap', start: at, end: r.start, y, h: GAP_HEIGHT });
      y += GAP_HEIGHT;
    }
    const h = regionHeight(r.end - r.start);
    out.push({ kind: r.kind, type: 'region', start: r.start, end: r.end, y, h });
    y += h;
    at = r.end;
  }
  if (at < TOP) out.push({ kind: 'unused', type: 'gap', start: at, end: TOP, y, h: GAP_HEIGHT });
  return out;
}

/** The y of an address on the broken axis. */
export function yOf(blocks: Block[], addr: bigint): number {
  for (const b of blocks) {
    if (addr >= b.start && addr <= b.end) {
      const span = b.end - b.start || 1n;
      return b.y + (Number(((addr - b.start) * 10_000n) / span) / 10_000) * b.h;
    }
  }
  return addr < (blocks[0]?.start ?? 0n) ? 0 : (blocks.at(-1)?.y ?? 0) + (blocks.at(-1)?.h ?? 0);
}

function levelNames(levels: number): string[] {
  return levels >= 4 ? ['pgd', 'pud', 'pmd', 'pte'] : levels === 3 ? ['pgd', 'pmd', 'pte'] : ['pgd', 'pte'];
}

export function sharedMarks(map: LayoutMap, blocks: Block[]): SharedMark[] {
  const names = levelNames(map.levels);
  const marks = map.sharedTables.map((t, index): SharedMark => {
    const start = hex(t.start);
    const end = endOf(start, hex(t.end));
    const span = end - start;
    const shift = BigInt(span.toString(2).length - 1);
    const parentLevel = names[names.indexOf(t.level) - 1] ?? 'pgd';
    const parentPtrs = parentLevel === 'pgd' ? (1n << BigInt(map.vaBits)) / span : BigInt(map.pageSize / 8);
    const idx = (start >> shift) & (parentPtrs - 1n);
    // Drawn over every block it spans, at least a few pixels into each, so a table that
    // takes the last GiB of one region and the first of the next shows on both.
    let y1 = Infinity;
    let y2 = -Infinity;
    for (const b of blocks) {
      if (b.end <= start || b.start >= end) continue;
      let top = yOf([b], start > b.start ? start : b.start);
      let bottom = yOf([b], end < b.end ? end : b.end);
      if (bottom - top < MIN_MARK) {
        if (end >= b.end) top = Math.max(b.y, bottom - MIN_MARK);
        else bottom = Math.min(b.y + b.h, top + MIN_MARK);
      }
      y1 = Math.min(y1, top);
      y2 = Math.max(y2, bottom);
    }
    return {
      index,
      level: t.level,
      start,
      end,
      regions: t.regions,
      emptiable: t.emptiable,
      blockers: t.blockers,
      race: t.regions.includes('vmalloc') && t.regions.includes('vmemmap'),
      parent: `${parentLevel.toUpperCase()} entry 0x${idx.toString(16)}`,
      y1,
      y2,
      labelY: (y1 + y2) / 2,
      depth: Math.max(0, names.indexOf(t.level) - 1),
    };
  });
  // Labels at least 13 px apart, pushed down from the top.
  const byY = [...marks].sort((a, b) => a.labelY - b.labelY);
  for (let i = 1; i < byY.length; i++) byY[i].labelY = Math.max(byY[i].labelY, byY[i - 1].labelY + 13);
  return marks;
}

export interface EntrySegment {
  kind: string;
  first: number;
  last: number;
}

/** Which entries of a shared table each region uses (the table's entries run 0..pageSize/8-1). */
export function entrySegments(map: LayoutMap, mark: SharedMark): { entries: number; segments: EntrySegment[] } {
  const entries = map.pageSize / 8;
  const per = (mark.end - mark.start) / BigInt(entries);
  const segments: EntrySegment[] = [];
  for (const r of map.regions) {
    const rs = hex(r.start);
    const re = rs + BigInt(r.sizeBytes);
    if (re <= mark.start || rs >= mark.end) continue;
    const from = rs > mark.start ? rs : mark.start;
    const to = re < mark.end ? re : mark.end;
    segments.push({ kind: r.kind, first: Number((from - mark.start) / per), last: Number((to - 1n - mark.start) / per) });
  }
  return { entries, segments: segments.sort((a, b) => a.first - b.first) };
}

export function hex16(v: bigint): string {
  return (v & (TOP - 1n)).toString(16).padStart(16, '0');
}
