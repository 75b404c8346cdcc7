/** The first-fit allocator of kernel VA in a vmalloc window (alloc_vmap_area / free_vmap_area). */


/** A first-fit allocator of kernel VA within one window (alloc_vmap_area's job). */
export class VaAllocator {
  readonly start: number;
  readonly end: number;
  /** Sorted free intervals [s0, e0, s1, e1, ...], disjoint, none touching the next (coalesced). */
  private free: number[];

  /** The free intervals, flat (for tests). */
  freeList(): readonly number[] {
    return this.free;
  }
  /** False once an empty area was handed out or returned: the list may then hold empty or touching intervals. */
  private coalesced = true;

  constructor(start: number, end: number) {
    this.start = start;
    this.end = end;
    this.free = [start, end];
  }

  alloc(size: number, align: number): number {
    if (!(size > 0)) this.coalesced = false;
    const f = this.free;
    for (let i = 0; i < f.length; i += 2) {
      const s = Math.ceil(f[i] / align) * align;
      const e = f[i + 1];
      if (s + size <= e) {
        // The interval keeps what lies before and after the area: [f_i, s) and [s + size, e), if not empty.
        const before = s > f[i];
        const after = s + size < e;
        if (before && after) f.splice(i + 1, 0, s, s + size);
        else if (before) f[i + 1] = s;
        else if (after) f[i] = s + size;
        else f.splice(i, 2);
        return s;
      }
    }
    return -1;
  }

  release(va: number, size: number): void {
    if (!(size > 0)) this.coalesced = false;
    const f = this.free;
    let i = 0;
    while (i < f.length && f[i] < va) i += 2;
    f.splice(i, 0, va, va + size);
    // Coalesce neighbours.
    for (let j = Math.max(0, i - 2); j + 2 < f.length && j <= i + 2; ) {
      if (f[j + 1] === f[j + 2]) f.splice(j + 1, 2);
      else j += 2;
    }
  }

  /**
   * release() of each [va, size) area of `areas` (flat pairs), in one pass:
   * a lazy purge returns thousands of areas, and one release() at a time is
   * quadratic in the free list. The list is the coalesced union of the free
   * intervals whatever the order they came back in, so merging the sorted
   * areas into it gives the list the releases one by one would have left.
   */
  releaseAll(areas: readonly number[]): void {
    const m = areas.length / 2;
    let ok = this.coalesced;
    for (let k = 0; k < m && ok; k++) ok = areas[2 * k + 1] > 0;
    if (!ok) {
      for (let k = 0; k < m; k++) this.release(areas[2 * k], areas[2 * k + 1]);
      return;
    }
    const order = Array.from({ length: m }, (_, k) => k).sort((x, y) => areas[2 * x] - areas[2 * y]);
    const f = this.free;
    const out: number[] = [];
    let i = 0;
    let k = 0;
    while (i < f.length || k < m) {
      let s: number;
      let e: number;
      if (k >= m || (i < f.length && f[i] < areas[2 * order[k]])) {
        s = f[i];
        e = f[i + 1];
        i += 2;
      } else {
        s = areas[2 * order[k]];
        e = s + areas[2 * order[k] + 1];
        k++;
      }
      if (out.length > 0 && out[out.length - 1] === s) out[out.length - 1] = e;
      else out.push(s, e);
    }
    this.free = out;
  }
}
