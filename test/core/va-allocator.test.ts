import { describe, expect, it } from 'vitest';
import { Prng } from '../../core/prng.ts';
import { VaAllocator } from '../../core/machine/va-allocator.ts';

// A lazy purge gives thousands of vmap areas back at once (releaseAll); the free list it leaves must be the one
// giving them back one at a time (release) leaves, or later alloc_vmap_area() calls would place areas elsewhere.
describe('VaAllocator.releaseAll', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`leaves the free list one-at-a-time releases leave (seed ${seed})`, () => {
      const prng = new Prng(seed);
      const page = 4096;
      const one = new VaAllocator(0, 1 << 30);
      const all = new VaAllocator(0, 1 << 30);
      const live: [number, number][] = [];
      for (let round = 0; round < 40; round++) {
        for (let n = 0; n < 60; n++) {
          const size = (1 + prng.below(40)) * page;
          const align = 2 ** prng.below(6) * page;
          const a = one.alloc(size, align);
          expect(all.alloc(size, align)).toBe(a);
          if (a >= 0) live.push([a, size]);
        }
        // Purge a random subset, in the order they were queued (not sorted).
        const purged: number[] = [];
        for (let k = live.length - 1; k >= 0; k--) {
          if (prng.next() < 0.6) {
            purged.push(live[k][0], live[k][1]);
            live.splice(k, 1);
          }
        }
        for (let k = 0; k < purged.length; k += 2) one.release(purged[k], purged[k + 1]);
        all.releaseAll(purged);
        expect(all.freeList()).toEqual(one.freeList());
      }
    });
  }
});
