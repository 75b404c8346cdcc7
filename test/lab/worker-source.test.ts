/**
 * The workload worker (SPEC §3): WorkerOpSource streams the same operations
 * as the in-process VmallocStream for the same seed, and with back-pressure
 * buffers at most two batches per thread however long the run.
 */
import { describe, expect, it } from 'vitest';
import { OP_RECORD, type ProfileName, VmallocStream } from '../../core/workload.ts';
import { WorkerOpSource } from '../../electron/lab/worker-source.ts';

const PAGE = 4096;

/** Reads n ops per thread the way the service does: refill whenever a thread runs low. */
async function drain(src: WorkerOpSource, threads: number, n: number): Promise<Float64Array[]> {
  const out = Array.from({ length: threads }, () => new Float64Array(n * OP_RECORD));
  const rec = new Float64Array(OP_RECORD);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < threads; t++) {
      if (src.starved()) await src.refill();
      src.next(t, rec);
      out[t].set(rec, i * OP_RECORD);
    }
  }
  return out;
}

function expected(threads: { profile: ProfileName; fixPages: number }[], seed: number, n: number): Float64Array[] {
  return threads.map((th, i) => new VmallocStream(th.profile, seed, i, PAGE, th.fixPages).fill(new Float64Array(n * OP_RECORD), n));
}

describe('WorkerOpSource', () => {
  it('delivers the same op stream as VmallocStream for the same seed (across batch boundaries)', async () => {
    const seed = 7;
    console.log(`[worker-source] seed ${seed}`);
    const threads: { profile: ProfileName; fixPages: number }[] = [
      { profile: 'mixed', fixPages: 1 },
      { profile: 'random_size', fixPages: 1 },
      { profile: 'fix_size', fixPages: 4 },
      { profile: 'random_size_align', fixPages: 1 },
      { profile: 'long_busy_list', fixPages: 1 },
    ];
    const batch = 256;
    const n = batch * 3 + 17;
    const src = new WorkerOpSource({ seed, pageSize: PAGE, threads, batch });
    try {
      await src.refill();
      const got = await drain(src, threads.length, n);
      const want = expected(threads, seed, n);
      for (let t = 0; t < threads.length; t++) expect(Array.from(got[t]), `thread ${t} (${threads[t].profile})`).toEqual(Array.from(want[t]));
    } finally {
      await src.close();
    }
  });

  it('with the default batch size matches too', async () => {
    const seed = 1;
    console.log(`[worker-source] seed ${seed}, default batch`);
    const threads: { profile: ProfileName; fixPages: number }[] = [
      { profile: 'mixed', fixPages: 1 },
      { profile: 'mixed', fixPages: 1 },
    ];
    const n = 4096 * 2 + 5;
    const src = new WorkerOpSource({ seed, pageSize: PAGE, threads });
    try {
      await src.refill();
      const got = await drain(src, threads.length, n);
      const want = expected(threads, seed, n);
      for (let t = 0; t < threads.length; t++) expect(Array.from(got[t])).toEqual(Array.from(want[t]));
    } finally {
      await src.close();
    }
  });

  it('buffers at most 2 batches per thread over a long run', async () => {
    const seed = 3;
    console.log(`[worker-source] seed ${seed}, long run`);
    const threads = Array.from({ length: 8 }, () => ({ profile: 'mixed' as ProfileName, fixPages: 1 }));
    const batch = 64;
    const batchesPerThread = 200;
    const src = new WorkerOpSource({ seed, pageSize: PAGE, threads, batch });
    try {
      await src.refill();
      // An eager consumer that asks for more far more often than it needs to must not make the worker run ahead.
      const rec = new Float64Array(OP_RECORD);
      for (let i = 0; i < batch * batchesPerThread; i++) {
        for (let t = 0; t < threads.length; t++) {
          if (i % 7 === 0) await src.refill();
          else if (src.starved()) await src.refill();
          src.next(t, rec);
        }
      }
      expect(src.maxBuffered).toBeGreaterThanOrEqual(1);
      expect(src.maxBuffered).toBeLessThanOrEqual(2);
      // Roughly what was consumed, plus at most two batches of read-ahead per thread.
      expect(src.batchesReceived).toBeGreaterThanOrEqual(threads.length * batchesPerThread);
      expect(src.batchesReceived).toBeLessThanOrEqual(threads.length * (batchesPerThread + 2));
    } finally {
      await src.close();
    }
  });
});
