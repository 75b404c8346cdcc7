/**
 * Workload generators (pure, seeded): per-CPU streams of vmalloc operations
 * after lib/test_vmalloc.c's test cases (DOMAIN §7). A stream fills
 * fixed-size records into a Float64Array so it can run in a worker and be
 * shipped in binary batches; the simulator consumes the same records in
 * process. Same seed and CPU, same stream.
 */
import { Prng } from './prng.ts';

export const PROFILE_NAMES = ['fix_size', 'random_size', 'fix_align', 'random_size_align', 'long_busy_list', 'align_shift', 'mixed'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Record layout: [pages, alignPages, hold]. `hold` = 1 keeps the area (long_busy_list's prefill). */
export const OP_RECORD = 3;

/** THREAD_ALIGN << 1 as fix_align_alloc_test uses it (arm64 VMAP_STACK: THREAD_ALIGN = 2 * THREAD_SIZE = 32K). */
const FIX_ALIGN_BYTES = 64 * 1024;
const LONG_BUSY_PREFILL = 15000;

export class VmallocStream {
  readonly profile: ProfileName;
  private readonly prng: Prng;
  private readonly pageSize: number;
  private readonly fixPages: number;
  private emitted = 0;

  constructor(profile: ProfileName, seed: number, stream: number, pageSize: number, fixPages = 1) {
    this.profile = profile;
    this.prng = new Prng(Prng.derive(seed, 1000 + stream));
    this.pageSize = pageSize;
    this.fixPages = fixPages;
  }

  /** Write the next operation at out[off..off+3). */
  next(out: Float64Array, off: number): void {
    let profile = this.profile;
    if (profile === 'mixed') profile = (['fix_size', 'random_size', 'fix_align', 'random_size_align'] as const)[this.prng.below(4)];
    let pages = 1;
    let align = 1;
    let hold = 0;
    switch (profile) {
      case 'fix_size':
        pages = this.fixPages;
        break;
      case 'random_size':
        pages = 1 + this.prng.below(100);
        break;
      case 'fix_align':
        pages = 5;
        align = Math.max(1, FIX_ALIGN_BYTES / this.pageSize);
        break;
      case 'random_size_align': {
        const rnd = this.prng.nextU32();
        align = Math.max(1, 2 ** (rnd % 23) / this.pageSize);
        pages = (rnd % 10) + 1;
        break;
      }
      case 'long_busy_list':
        if (this.emitted < LONG_BUSY_PREFILL) {
          hold = 1;
        } else {
          pages = this.emitted % 2 === 0 ? 100 : 1;
        }
        break;
      case 'align_shift':
        // 1 page at alignment 2^shift; large shifts are expected to fail.
        align = 2 ** Math.min(40, this.emitted % 64);
        break;
    }
    out[off] = pages;
    out[off + 1] = align;
    out[off + 2] = hold;
    this.emitted++;
  }

  /** Fill a batch of n records; returns the buffer. */
  fill(out: Float64Array, n: number): Float64Array {
    for (let i = 0; i < n; i++) this.next(out, i * OP_RECORD);
    return out;
  }
}

/** Where a vmalloc thread gets its operations: in process, or from the worker's batches. */
export interface OpSource {
  /** Fill out[0..3) with the next op for vmalloc thread `thread`. */
  next(thread: number, out: Float64Array): void;
  /**
   * For a source fed from elsewhere (the service's workload worker): true
   * when some thread could run dry at the next step. The run then pauses
   * before that step, as at a step limit, until the caller refills it; a
   * pause changes nothing the run does.
   */
  starved?(): boolean;
}

/** A source that can run dry: what a run checks before each pick. */
export type StarvationGate = Required<Pick<OpSource, 'starved'>>;

/** In-process source: one VmallocStream per thread. */
export class LocalOpSource implements OpSource {
  private readonly streams: VmallocStream[];
  constructor(streams: VmallocStream[]) {
    this.streams = streams;
  }
  next(thread: number, out: Float64Array): void {
    this.streams[thread].next(out, 0);
  }
}
