/**
 * The main-thread side of the workload worker: an OpSource the simulator
 * reads synchronously, fed by batches the worker produces on request. The
 * service stops a slice when a thread is about to run dry (`starved`) and
 * awaits `refill()`; at most two batches per thread are ever buffered.
 */
import { Worker } from 'node:worker_threads';
import { OP_RECORD, type OpSource } from '../../core/workload.ts';
import type { WorkerInit, WorkerReply } from './workload-worker.ts';

/** Set by bin/bundled.mjs when this module runs inside a bundle, whose own URL is elsewhere. */
declare const __PTLAB_WORKER_URL__: string | undefined;

function workerUrl(): URL {
  return typeof __PTLAB_WORKER_URL__ === 'string' ? new URL(__PTLAB_WORKER_URL__) : new URL('./workload-worker.mjs', import.meta.url);
}

interface ThreadBuffer {
  batches: Float64Array[];
  pos: number;
  outstanding: number;
  /** Operations buffered and not yet taken. */
  available: number;
}

export class WorkerOpSource implements OpSource {
  private readonly worker: Worker;
  private readonly buffers: ThreadBuffer[];
  private readonly batch: number;
  /** A thread with fewer ops than this buffered asks for its next batch. */
  private readonly lowWater: number;
  private waiters: (() => void)[] = [];
  /** Threads with fewer than two operations buffered: starved() is asked before every step, so it reads this count. */
  private lowThreads: number;
  private failed: Error | null = null;
  /** Batches received so far (for tests of boundedness). */
  batchesReceived = 0;
  maxBuffered = 0;

  constructor(init: Omit<WorkerInit, 'batch'> & { batch?: number }) {
    this.batch = init.batch ?? 4096;
    // At least the starvation mark (2), or a thread starved with one op left would never ask for more.
    this.lowWater = Math.max(2, this.batch / 2);
    this.buffers = init.threads.map(() => ({ batches: [], pos: 0, outstanding: 0, available: 0 }));
    this.lowThreads = this.buffers.length;
    this.worker = new Worker(workerUrl(), {
      workerData: { ...init, batch: this.batch } satisfies WorkerInit,
    });
    this.worker.on('message', (m: WorkerReply) => {
      const b = this.buffers[m.thread];
      b.batches.push(m.data);
      this.setAvailable(b, b.available + m.data.length / OP_RECORD);
      b.outstanding--;
      this.batchesReceived++;
      this.maxBuffered = Math.max(this.maxBuffered, b.batches.length);
      this.wake();
    });
    this.worker.on('error', (e) => {
      this.failed = e;
      this.wake();
    });
    this.worker.on('exit', (code) => {
      if (code !== 0 && !this.failed) this.failed = new Error(`workload worker exited with code ${code}`);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private setAvailable(b: ThreadBuffer, n: number): void {
    this.lowThreads += (n < 2 ? 1 : 0) - (b.available < 2 ? 1 : 0);
    b.available = n;
  }

  private available(t: number): number {
    return this.buffers[t].available;
  }

  /** True when some thread has fewer than two operations buffered. */
  starved(): boolean {
    return this.lowThreads > 0;
  }

  /**
   * Ask for a batch for every thread that has used half of what it holds,
   * without waiting: called between slices, the batch is there before the
   * thread runs dry, so the simulation rarely stops to wait for the worker.
   */
  prefetch(): void {
    for (let t = 0; t < this.buffers.length; t++) {
      const b = this.buffers[t];
      if (this.available(t) < this.lowWater && b.outstanding === 0 && b.batches.length < 2) {
        b.outstanding++;
        this.worker.postMessage({ type: 'batch', thread: t });
      }
    }
  }

  /** Ask for batches where a thread runs low, and wait until every thread has some. */
  async refill(): Promise<void> {
    this.prefetch();
    while (this.starved()) {
      if (this.failed) throw this.failed;
      if (this.closed) throw new Error('workload worker closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  next(thread: number, out: Float64Array): void {
    const b = this.buffers[thread];
    let cur = b.batches[0];
    if (cur && b.pos * OP_RECORD >= cur.length) {
      b.batches.shift();
      b.pos = 0;
      cur = b.batches[0];
    }
    if (!cur) throw new Error(`workload worker: thread ${thread} ran dry (the service must refill before stepping)`);
    const o = b.pos * OP_RECORD;
    out[0] = cur[o];
    out[1] = cur[o + 1];
    out[2] = cur[o + 2];
    b.pos++;
    this.setAvailable(b, b.available - 1);
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}
