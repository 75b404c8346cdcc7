/**
 * PhysMem.copyFrom() (core/model/memory.ts): explore resets each new
 * machine's memory to the boot image, copying only the frames and table
 * slots written since the last copy. Whatever was written in between (pages
 * and blocks allocated and freed, tables made and filled, reference counts,
 * slots handed out past the image's), the copy must be the image, element for
 * element, as a copy into a new memory is; and a change to the image itself
 * must be seen by every memory that copies from it.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, type MemoryConfig, PhysMem, ROLE_PGTABLE, ROLE_VMALLOC } from '../../core/model/memory.ts';
import { Prng } from '../../core/prng.ts';

const CFG: MemoryConfig = { poolBasePfn: 1000, staticFrames: 2, pages: 40, blocks: 2, blockPages: 8, ptrsPerTable: 16 };

/** Everything a reader of the memory can see: the per-frame arrays, every entry of every frame, the counters, and which frames the allocator hands out next. */
function snapshot(m: PhysMem): string {
  const out: string[] = [];
  out.push(`state ${m.state.join(',')}`, `gen ${m.gen.join(',')}`, `role ${m.role.join(',')}`, `depth ${m.depth.join(',')}`, `order ${m.order.join(',')}`, `refs ${m.refs.join(',')}`);
  for (let f = 0; f < m.nFrames; f++) {
    const row: string[] = [];
    for (let i = 0; i < CFG.ptrsPerTable; i++) row.push(`${m.kind(f, i)}:${m.val(f, i)}`);
    out.push(`frame ${f} ${row.join(' ')}`);
  }
  out.push(`tables ${m.tablesAllocated}/${m.tablesFreed}`);
  // The free lists, as the allocator will hand them out (on a throwaway copy).
  const probe = new PhysMem(CFG);
  probe.copyFrom(m);
  const pages: number[] = [];
  for (let f = probe.allocPage(ROLE_VMALLOC); f >= 0; f = probe.allocPage(ROLE_VMALLOC)) pages.push(f);
  const blocks: number[] = [];
  for (let f = probe.allocBlock(ROLE_VMALLOC); f >= 0; f = probe.allocBlock(ROLE_VMALLOC)) blocks.push(f);
  out.push(`next pages ${pages.join(',')}`, `next blocks ${blocks.join(',')}`);
  return out.join('\n');
}

/** A booted image: a root table, a table below it, a few mapped pages. */
function bootImage(): PhysMem {
  const m = new PhysMem(CFG);
  m.makeStaticTable(0, 0);
  const t = m.allocPage(ROLE_PGTABLE);
  m.makeTable(t, 1);
  m.setEntry(0, 3, ENTRY_TABLE, m.pfnOf(t));
  for (let i = 0; i < 4; i++) m.setEntry(t, i, ENTRY_PAGE, m.pfnOf(m.allocPage(ROLE_VMALLOC)));
  return m;
}

/** What an execution does to a memory: seeded random allocations, tables, entries and frees. */
function scribble(m: PhysMem, rng: Prng, ops: number): void {
  const tables = [0];
  const live: number[] = [];
  for (let k = 0; k < ops; k++) {
    const r = rng.below(6);
    if (r === 0) {
      const f = m.allocPage(ROLE_PGTABLE);
      if (f >= 0) {
        m.makeTable(f, 1 + rng.below(2));
        tables.push(f);
      }
    } else if (r === 1) {
      const f = rng.below(2) === 0 ? m.allocPage(ROLE_VMALLOC) : m.allocBlock(ROLE_VMALLOC);
      if (f >= 0) live.push(f);
    } else if (r === 2 || r === 3) {
      const t = tables[rng.below(tables.length)];
      const target = live.length > 0 ? live[rng.below(live.length)] : tables[rng.below(tables.length)];
      m.setEntry(t, rng.below(CFG.ptrsPerTable), rng.below(3) === 0 ? ENTRY_NONE : ENTRY_PAGE, m.pfnOf(target));
    } else if (r === 4 && live.length > 0) {
      m.free(live.splice(rng.below(live.length), 1)[0]);
    } else if (r === 5 && tables.length > 1) {
      m.free(tables.splice(1 + rng.below(tables.length - 1), 1)[0]);
    }
  }
}

describe('PhysMem.copyFrom: a memory reset to the boot image is the boot image', () => {
  it('after seeded random executions, each copy writes back exactly what the execution changed', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const image = bootImage();
      const want = snapshot(image);
      const m = new PhysMem(CFG);
      const rng = new Prng(seed);
      for (let round = 0; round < 6; round++) {
        m.copyFrom(image);
        expect(snapshot(m), `seed ${seed} round ${round}`).toBe(want);
        scribble(m, rng, 20 + rng.below(60));
      }
      m.copyFrom(image);
      expect(snapshot(m), `seed ${seed} at the end`).toBe(want);
      // The image was only read.
      expect(snapshot(image), `seed ${seed}: image`).toBe(want);
    }
  });

  it('writes made from outside (a checkpoint restored into the memory) are undone once reported with touched()', () => {
    const image = bootImage();
    const want = snapshot(image);
    const m = new PhysMem(CFG);
    m.copyFrom(image);
    // As restoreSim() writes a checkpoint's differences straight into the arrays, then reports them.
    m.gen[7] = 99;
    m.refs[9] = 3;
    m.touched([7, 9], []);
    m.copyFrom(image);
    expect(snapshot(m)).toBe(want);
  });

  it('a change to the image is seen by every memory that copies from it', () => {
    const image = bootImage();
    const a = new PhysMem(CFG);
    const b = new PhysMem(CFG);
    a.copyFrom(image);
    b.copyFrom(image);
    image.setEntry(0, 5, ENTRY_PAGE, image.pfnOf(image.allocPage(ROLE_VMALLOC)));
    const want = snapshot(image);
    a.copyFrom(image);
    b.copyFrom(image);
    expect(snapshot(a)).toBe(want);
    expect(snapshot(b)).toBe(want);
  });
});
