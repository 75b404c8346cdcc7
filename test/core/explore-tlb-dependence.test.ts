/**
 * When two events' TLB records conflict (core/explore/footprints.ts
 * tlbDependent): the summaries that rule most pairs out before the
 * record-by-record test (CPU masks, VA and pfn boxes) never rule out a pair
 * that conflicts. The oracle here is the definition in the module header of
 * core/model/access.ts: two records conflict when one writes, their spaces,
 * CPUs and walk depths can be the same, and their intervals overlap.
 */
import { describe, expect, it } from 'vitest';
import { type Footprint, tlbDependent } from '../../core/explore/footprints.ts';
import { footprintWith } from './footprint-fixture.ts';
import { TLB_ANY, TLB_LEAF_PFN, TLB_LEAF_VA, TLB_WALK_PFN, TLB_WALK_VA } from '../../core/model/access.ts';
import { Prng } from '../../core/prng.ts';

const SEED = Number(process.env.PTLAB_SEED ?? 20261128);
const SPACES = [TLB_ANY, TLB_LEAF_VA, TLB_LEAF_PFN, TLB_WALK_VA, TLB_WALK_PFN];

type Rec = [space: number, cpu: number, depth: number, lo: number, hi: number, write: number];

/** A record like the TLB model's: VAs far above pfns, a few CPUs, sometimes any CPU or a full flush. */
function record(rng: Prng): Rec {
  const space = SPACES[rng.below(SPACES.length)];
  const cpu = rng.below(4) === 0 ? -1 : rng.below(4);
  const depth = space === TLB_WALK_VA && rng.below(2) ? rng.below(3) : -1;
  if (space === TLB_ANY) return [space, cpu, depth, -Infinity, Infinity, 1];
  const va = space === TLB_LEAF_VA || space === TLB_WALK_VA;
  const base = va ? 0xffff_8000_0000_0000 / 2 ** 12 : 0x40000;
  const lo = (base + rng.below(64)) * (va ? 4096 : 1);
  return [space, cpu, depth, lo, lo + (1 + rng.below(4)) * (va ? 4096 : 1), rng.below(2)];
}

function event(rng: Prng): Footprint {
  const recs = Array.from({ length: rng.below(4) }, () => record(rng));
  return footprintWith({ tlb: recs.length ? recs.flat() : null });
}

function conflicts(x: Footprint, y: Footprint): boolean {
  const a = x.tlb ?? [];
  const b = y.tlb ?? [];
  const same = (u: number, v: number): boolean => u === -1 || v === -1 || u === v;
  for (let i = 0; i < a.length; i += 6) {
    for (let j = 0; j < b.length; j += 6) {
      if (a[i + 5] === 0 && b[j + 5] === 0) continue;
      if (!same(a[i], b[j]) || !same(a[i + 1], b[j + 1]) || !same(a[i + 2], b[j + 2])) continue;
      if (a[i + 3] < b[j + 4] && b[j + 3] < a[i + 4]) return true;
    }
  }
  return false;
}

describe('TLB dependence of two events', () => {
  it(`agrees with the record-by-record definition on 20,000 random pairs (seed ${SEED})`, () => {
    const rng = new Prng(SEED);
    let dependent = 0;
    for (let k = 0; k < 20_000; k++) {
      const x = event(rng);
      const y = event(rng);
      const want = conflicts(x, y);
      expect(tlbDependent(x, y), `pair ${k}: ${JSON.stringify(x.tlb)} vs ${JSON.stringify(y.tlb)}`).toBe(want);
      expect(tlbDependent(y, x)).toBe(want);
      if (want) dependent++;
    }
    // Both answers occur often, or the test says little.
    expect(dependent).toBeGreaterThan(2000);
    expect(dependent).toBeLessThan(18_000);
  });

  it('a TLBI of one range and a fill of a disjoint range on another CPU are independent; overlapping, dependent', () => {
    const mk = (recs: Rec[]): Footprint => footprintWith({ tlb: recs.flat() });
    const va = 0xffff_8000_0000_0000;
    const fill = mk([
      [TLB_LEAF_VA, 1, -1, va, va + 4096, 1],
      [TLB_LEAF_PFN, 1, -1, 0x40010, 0x40011, 1],
    ]);
    const tlbiElsewhere = mk([[TLB_LEAF_VA, -1, -1, va + 65536, va + 2 * 65536, 0]]);
    const tlbiThere = mk([[TLB_LEAF_VA, -1, -1, va, va + 65536, 0]]);
    expect(tlbDependent(fill, tlbiElsewhere)).toBe(false);
    expect(tlbDependent(fill, tlbiThere)).toBe(true);
    expect(fill.vaLo).toBe(va);
    expect(fill.pfnHi).toBe(0x40011);
  });
});
