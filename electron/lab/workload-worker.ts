/**
 * The workload generator's worker thread: produces each vmalloc thread's
 * operation stream (core/workload.ts, seeded) in binary batches of
 * Float64Array records, transferred (not copied) to the main thread. It only
 * produces a batch when asked, so a long run's memory stays bounded
 * (back-pressure: the main side asks when a thread's buffer runs low).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OP_RECORD, type ProfileName, VmallocStream } from '../../core/workload.ts';

export interface WorkerInit {
  seed: number;
  pageSize: number;
  threads: { profile: ProfileName; fixPages: number }[];
  batch: number;
}

export type WorkerRequest = { type: 'batch'; thread: number } | { type: 'stop' };
export type WorkerReply = { type: 'batch'; thread: number; data: Float64Array };

const init = workerData as WorkerInit;
const streams = init.threads.map((t, i) => new VmallocStream(t.profile, init.seed, i, init.pageSize, t.fixPages));

parentPort?.on('message', (m: WorkerRequest) => {
  if (m.type === 'stop') {
    parentPort?.close();
    return;
  }
  const data = new Float64Array(init.batch * OP_RECORD);
  streams[m.thread].fill(data, init.batch);
  const reply: WorkerReply = { type: 'batch', thread: m.thread, data };
  parentPort?.postMessage(reply, [data.buffer]);
});
