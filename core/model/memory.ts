/**
 * Physical frames and page-table pages. Frames come from a simple page
 * allocator (LIFO free lists for order-0 pages and PMD-sized blocks, so a
 * freed page is the next one handed out, as a hot per-CPU list would do).
 * Every allocation bumps the frame's generation, so a pointer (pfn,
 * generation) taken earlier can be recognised as pointing to a freed or
 * reused frame. Table entries live in typed arrays indexed by a per-frame
 * table slot; no object is allocated per entry or per step.
 */

export const FRAME_FREE = 0;
const FRAME_DATA = 1;
export const FRAME_TABLE = 2;
export const FRAME_STATIC = 3;

export const ENTRY_NONE = 0;
export const ENTRY_TABLE = 1;
export const ENTRY_BLOCK = 2;
export const ENTRY_PAGE = 3;
export const ENTRY_KIND_NAMES = ['none', 'table', 'block', 'page'] as const;

/** What a frame is used for (for traces and metrics). */
export const ROLE_NONE = 0;
export const ROLE_PGTABLE = 1;
export const ROLE_VMEMMAP = 2;
export const ROLE_VMALLOC = 3;
export const ROLE_STATIC_TABLE = 4;
export const ROLE_NAMES = ['free', 'page table', 'vmemmap backing', 'vmalloc page', 'static table'] as const;

export interface MemoryConfig {
  /** First pfn of the allocator's pool (inside boot memory). */
  poolBasePfn: number;
  /** Static table pages (swapper_pg_dir, fixmap tables): never freed. */
  staticFrames: number;
  /** Order-0 pages in the pool. */
  pages: number;
  /** PMD-sized blocks in the pool (for block-mapped vmemmap). */
  blocks: number;
  /** Pages per block (PMD_SIZE / PAGE_SIZE). */
  blockPages: number;
  /** Entries per table page (PTRS_PER_PTE). */
  ptrsPerTable: number;
}

export class PhysMem {
  readonly poolBasePfn: number;
  readonly nFrames: number;
  readonly blockPages: number;
  readonly ptrs: number;
  readonly state: Uint8Array;
  readonly gen: Uint32Array;
  readonly role: Uint8Array;
  /** Table depth for table frames, else -1. */
  readonly depth: Int8Array;
  /** Order of the allocation headed by this frame (0 or block order). */
  readonly order: Uint8Array;
  /** Live entries (in live or freed tables) that point at this frame. */
  readonly refs: Int32Array;
  private readonly slot: Int32Array;
  private kinds: Uint8Array;
  private vals: Float64Array;
  private slotsUsed = 0;
  private readonly freeStack: Int32Array;
  private freeTop = 0;
  private readonly blockStack: Int32Array;
  private blockTop = 0;
  /** Table pages allocated/freed so far (metrics). */
  tablesAllocated = 0;
  tablesFreed = 0;
  /**
   * What was written since the last copyFrom(), so that the next copy from the same memory writes only that
   * (explore resets a machine to the boot image for every execution, and an execution touches a few dozen of its
   * thousands of frames): the frames whose per-frame fields and the table slots whose entries may differ, each
   * listed once. `image` is the memory last copied from in full, at its `version` `imageVersion`; null: none, the
   * next copy copies everything. A memory's version moves on whenever it is written after a copy was taken of it,
   * so a copy from an image that changed since copies everything.
   */
  private image: PhysMem | null = null;
  private imageVersion = -1;
  private version = 0;
  private readonly frameDirty: Uint8Array;
  private readonly dirtyFrames: Int32Array;
  private nDirtyFrames = 0;
  private slotDirty: Uint8Array;
  private dirtySlots: Int32Array;
  private nDirtySlots = 0;

  constructor(cfg: MemoryConfig) {
    this.poolBasePfn = cfg.poolBasePfn;
    this.blockPages = cfg.blockPages;
    this.ptrs = cfg.ptrsPerTable;
    const n = cfg.staticFrames + cfg.pages + cfg.blocks * cfg.blockPages;
    this.nFrames = n;
    this.state = new Uint8Array(n);
    this.gen = new Uint32Array(n);
    this.role = new Uint8Array(n);
    this.depth = new Int8Array(n).fill(-1);
    this.order = new Uint8Array(n);
    this.refs = new Int32Array(n);
    this.slot = new Int32Array(n).fill(-1);
    const initialSlots = 64;
    this.kinds = new Uint8Array(initialSlots * this.ptrs);
    this.vals = new Float64Array(initialSlots * this.ptrs);
    this.frameDirty = new Uint8Array(n);
    this.dirtyFrames = new Int32Array(n);
    this.slotDirty = new Uint8Array(initialSlots);
    this.dirtySlots = new Int32Array(initialSlots);
    for (let i = 0; i < cfg.staticFrames; i++) {
      this.state[i] = FRAME_STATIC;
      this.role[i] = ROLE_STATIC_TABLE;
    }
    this.freeStack = new Int32Array(cfg.pages);
    // Push in reverse so the lowest frame is handed out first.
    for (let i = cfg.pages - 1; i >= 0; i--) this.freeStack[this.freeTop++] = cfg.staticFrames + i;
    this.blockStack = new Int32Array(cfg.blocks);
    const blockBase = cfg.staticFrames + cfg.pages;
    for (let b = cfg.blocks - 1; b >= 0; b--) this.blockStack[this.blockTop++] = blockBase + b * cfg.blockPages;
  }

  /**
   * Become a copy of `src` (a machine built from the same scenario: same
   * frame count and table size). Explore builds one machine per execution;
   * copying the boot tables of the first one is cheaper than building them.
   */
  copyFrom(src: PhysMem): void {
    if (src.nFrames !== this.nFrames || src.ptrs !== this.ptrs || src.poolBasePfn !== this.poolBasePfn) throw new Error('PhysMem.copyFrom: a machine of another shape');
    if (src === this.image && src.version === this.imageVersion) this.copyDirty(src);
    else this.copyAll(src);
    this.freeStack.set(src.freeStack);
    this.freeTop = src.freeTop;
    this.blockStack.set(src.blockStack);
    this.blockTop = src.blockTop;
    this.tablesAllocated = src.tablesAllocated;
    this.tablesFreed = src.tablesFreed;
    this.slotsUsed = src.slotsUsed;
  }

  /** copyFrom() of every frame and slot in use; afterwards only what is written is copied again from `src`. */
  private copyAll(src: PhysMem): void {
    this.clearDirty();
    // From here on, a write to `src` marks a frame or slot afresh, which moves its version on (touchFrame()).
    src.clearDirty();
    this.image = src;
    this.imageVersion = src.version;
    this.state.set(src.state);
    this.gen.set(src.gen);
    this.role.set(src.role);
    this.depth.set(src.depth);
    this.order.set(src.order);
    this.refs.set(src.refs);
    this.slot.set(src.slot);
    // Only the slots in use are copied; the rest stay (or are made) zero, as a fresh table slot is. Slots past
    // slotsUsed are zero already (a slot is written only once handed out), so only this memory's own used ones
    // past the source's are cleared.
    const used = src.slotsUsed * this.ptrs;
    if (this.kinds.length < used) {
      this.kinds = new Uint8Array(src.kinds.length);
      this.vals = new Float64Array(src.vals.length);
      this.growSlotMarks(this.kinds.length / this.ptrs);
    } else if (this.slotsUsed * this.ptrs > used) {
      this.kinds.fill(0, used, this.slotsUsed * this.ptrs);
      this.vals.fill(0, used, this.slotsUsed * this.ptrs);
    }
    this.kinds.set(src.kinds.subarray(0, used));
    this.vals.set(src.vals.subarray(0, used));
  }

  /** copyFrom() of the frames and slots written since the last copy from `src` (the same, unchanged, memory). */
  private copyDirty(src: PhysMem): void {
    for (let k = 0; k < this.nDirtyFrames; k++) {
      const f = this.dirtyFrames[k];
      this.frameDirty[f] = 0;
      this.state[f] = src.state[f];
      this.gen[f] = src.gen[f];
      this.role[f] = src.role[f];
      this.depth[f] = src.depth[f];
      this.order[f] = src.order[f];
      this.refs[f] = src.refs[f];
      this.slot[f] = src.slot[f];
    }
    this.nDirtyFrames = 0;
    const ptrs = this.ptrs;
    for (let k = 0; k < this.nDirtySlots; k++) {
      const s = this.dirtySlots[k];
      this.slotDirty[s] = 0;
      const at = s * ptrs;
      // A slot the source does not use is zero, as every slot is before it is handed out.
      if (s < src.slotsUsed) {
        this.kinds.set(src.kinds.subarray(at, at + ptrs), at);
        this.vals.set(src.vals.subarray(at, at + ptrs), at);
      } else {
        this.kinds.fill(0, at, at + ptrs);
        this.vals.fill(0, at, at + ptrs);
      }
    }
    this.nDirtySlots = 0;
  }

  private clearDirty(): void {
    for (let k = 0; k < this.nDirtyFrames; k++) this.frameDirty[this.dirtyFrames[k]] = 0;
    this.nDirtyFrames = 0;
    for (let k = 0; k < this.nDirtySlots; k++) this.slotDirty[this.dirtySlots[k]] = 0;
    this.nDirtySlots = 0;
  }

  /** Frame f's per-frame fields are about to change (see `image`). */
  private touchFrame(f: number): void {
    if (this.frameDirty[f] !== 0) return;
    this.version++;
    this.frameDirty[f] = 1;
    this.dirtyFrames[this.nDirtyFrames++] = f;
  }

  /** Slot s's entries are about to change (see `image`). */
  private touchSlot(s: number): void {
    if (this.slotDirty[s] !== 0) return;
    this.version++;
    this.slotDirty[s] = 1;
    this.dirtySlots[this.nDirtySlots++] = s;
  }

  /**
   * Elements of this memory's arrays were written from outside (a checkpoint restored into it): `frames` of the
   * per-frame fields, `entries` of the table slots (indices into them), so that the next copyFrom() undoes them too.
   */
  touched(frames: ArrayLike<number>, entries: ArrayLike<number>): void {
    this.growSlotMarks(this.kinds.length / this.ptrs);
    for (let k = 0; k < frames.length; k++) this.touchFrame(frames[k]);
    for (let k = 0; k < entries.length; k++) this.touchSlot(Math.floor(entries[k] / this.ptrs));
  }

  pfnOf(frame: number): number {
    return this.poolBasePfn + frame;
  }

  /** Frame index of a pfn, or -1 if the pfn is not an allocator or static frame. */
  frameOf(pfn: number): number {
    const f = pfn - this.poolBasePfn;
    return f >= 0 && f < this.nFrames ? f : -1;
  }

  /** Allocate one page; returns the frame or -1 when out of memory. */
  allocPage(role: number): number {
    if (this.freeTop === 0) return -1;
    const f = this.freeStack[--this.freeTop];
    this.touchFrame(f);
    this.state[f] = FRAME_DATA;
    this.gen[f]++;
    this.role[f] = role;
    this.order[f] = 0;
    this.depth[f] = -1;
    return f;
  }

  /** Allocate a PMD-sized block; returns its head frame or -1. */
  allocBlock(role: number): number {
    if (this.blockTop === 0) return -1;
    const f = this.blockStack[--this.blockTop];
    this.touchFrame(f);
    this.state[f] = FRAME_DATA;
    this.gen[f]++;
    this.role[f] = role;
    this.order[f] = Math.log2(this.blockPages);
    this.depth[f] = -1;
    return f;
  }

  /** Turn a freshly allocated page into a zeroed table page of the given depth. */
  makeTable(f: number, depth: number): void {
    this.touchFrame(f);
    this.state[f] = FRAME_TABLE;
    this.depth[f] = depth;
    this.role[f] = this.role[f] === ROLE_STATIC_TABLE ? ROLE_STATIC_TABLE : ROLE_PGTABLE;
    const s = this.slotFor(f);
    this.touchSlot(s);
    this.kinds.fill(ENTRY_NONE, s * this.ptrs, (s + 1) * this.ptrs);
    this.vals.fill(0, s * this.ptrs, (s + 1) * this.ptrs);
    if (this.role[f] === ROLE_PGTABLE) this.tablesAllocated++;
  }

  /** Make a static frame a table page (swapper_pg_dir, fixmap tables). */
  makeStaticTable(f: number, depth: number): void {
    this.makeTable(f, depth);
    this.state[f] = FRAME_STATIC;
  }

  /** Return a frame (page or block head) to the allocator. */
  free(f: number): void {
    if (this.state[f] === FRAME_TABLE) this.tablesFreed++;
    this.touchFrame(f);
    this.state[f] = FRAME_FREE;
    if (this.order[f] > 0) this.blockStack[this.blockTop++] = f;
    else this.freeStack[this.freeTop++] = f;
  }

  isTable(f: number): boolean {
    const s = this.state[f];
    return s === FRAME_TABLE || (s === FRAME_STATIC && this.depth[f] >= 0);
  }

  private slotFor(f: number): number {
    const s = this.slot[f];
    return s >= 0 ? s : this.newSlot(f);
  }

  /** Hand frame f the next table slot (its first time as a table), growing the slots' arrays as needed. */
  private newSlot(f: number): number {
    const s = this.slotsUsed++;
    if ((s + 1) * this.ptrs > this.kinds.length) {
      const kinds = new Uint8Array(this.kinds.length * 2);
      kinds.set(this.kinds);
      this.kinds = kinds;
      const vals = new Float64Array(this.vals.length * 2);
      vals.set(this.vals);
      this.vals = vals;
    }
    this.growSlotMarks(this.kinds.length / this.ptrs);
    this.touchFrame(f);
    this.slot[f] = s;
    return s;
  }

  private growSlotMarks(slots: number): void {
    if (this.slotDirty.length >= slots) return;
    const d = new Uint8Array(slots);
    d.set(this.slotDirty);
    this.slotDirty = d;
    const l = new Int32Array(slots);
    l.set(this.dirtySlots);
    this.dirtySlots = l;
  }

  /**
   * Where entry i of table frame f is kept, for kindAt() and valAt(); -1 if f never was a table (its entries read as
   * none). One lookup of the frame's slot for both.
   */
  entryIndex(f: number, i: number): number {
    const s = this.slot[f];
    return s < 0 ? -1 : s * this.ptrs + i;
  }

  /** The kind of the entry entryIndex() found (-1: none). */
  kindAt(e: number): number {
    return e < 0 ? ENTRY_NONE : this.kinds[e];
  }

  /** The value (target pfn) of the entry entryIndex() found (-1: 0). */
  valAt(e: number): number {
    return e < 0 ? 0 : this.vals[e];
  }

  /** Entry kind at index i of table frame f (frames that never were tables read as none). */
  kind(f: number, i: number): number {
    return this.kindAt(this.entryIndex(f, i));
  }

  /** Entry value (target pfn) at index i of table frame f. */
  val(f: number, i: number): number {
    return this.valAt(this.entryIndex(f, i));
  }

  /** Raw write of an entry; keeps the reference counts of pool targets. */
  setEntry(f: number, i: number, kind: number, val: number): void {
    const s = this.slotFor(f);
    this.touchSlot(s);
    const k = s * this.ptrs + i;
    const oldKind = this.kinds[k];
    if (oldKind !== ENTRY_NONE) {
      const t = this.frameOf(this.vals[k]);
      if (t >= 0) {
        this.touchFrame(t);
        this.refs[t]--;
      }
    }
    this.kinds[k] = kind;
    this.vals[k] = kind === ENTRY_NONE ? 0 : val;
    if (kind !== ENTRY_NONE) {
      const t = this.frameOf(val);
      if (t >= 0) {
        this.touchFrame(t);
        this.refs[t]++;
      }
    }
  }

  /**
   * Boot-time bulk write: entries [i0, i0 + n) of table f that are none become
   * `kind` entries for pfns pfn0, pfn0 + step, ... (one page table's worth of a
   * linear map in one call; reference counts kept as setEntry keeps them).
   */
  fillNone(f: number, i0: number, n: number, kind: number, pfn0: number, step: number): void {
    const s0 = this.slotFor(f);
    this.touchSlot(s0);
    const base = s0 * this.ptrs + i0;
    const kinds = this.kinds;
    const vals = this.vals;
    const last = pfn0 + (n - 1) * step;
    // Pool frames are referenced only if the run of pfns reaches into the pool.
    const intoPool = Math.max(pfn0, last) >= this.poolBasePfn && Math.min(pfn0, last) < this.poolBasePfn + this.nFrames;
    for (let i = 0; i < n; i++) {
      if (kinds[base + i] !== ENTRY_NONE) continue;
      const pfn = pfn0 + i * step;
      kinds[base + i] = kind;
      vals[base + i] = pfn;
      if (intoPool) {
        const t = this.frameOf(pfn);
        if (t >= 0) {
          this.touchFrame(t);
          this.refs[t]++;
        }
      }
    }
  }
}
