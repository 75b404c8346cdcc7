/**
 * The same request gives the same bytes (README, SPEC §2.7), however the
 * service slices the run, whether the workload comes from the worker thread
 * or from the process itself, and however busy the machine is: the time
 * series are sampled inside the simulation at fixed simulated times, and the
 * worker's batches arriving late only pause a slice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { LabService, type LabServiceOptions, type RunRequest } from '../../electron/lab/service.ts';
import { canonical } from '../helpers/canonical.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A child process that keeps one CPU busy until killed. */
function busyLoop(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

// The command (`--strategy opt2 --mode timed --seed 7`), shortened, and a strategy whose teardown runs in it.
const REQUEST: RunRequest = { scenario: 'head-to-head', sets: ['run.durationNs=12000000'], strategies: 'opt2,upstream', mode: 'timed', seed: 7, seeds: 1 };

async function run(slicing: LabServiceOptions['slicing'], useWorker: boolean): Promise<string> {
  const doc = await new LabService({ db: null, slicing, pool: { size: 1 } }).run({ ...REQUEST, useWorker });
  for (const r of doc.runs) {
    expect(r.status).toBe('completed');
    expect(r.series?.[0].x.length, 'every sample point of the run').toBe(200);
  }
  return canonical(doc);
}

describe('a timed run gives the same bytes however it is sliced', () => {
  it('tiny and huge slices, with and without the workload worker, and under CPU load', async () => {
    console.log(`[determinism] ${JSON.stringify(REQUEST)}`);
    const reference = await run({ sliceMs: 1e9, chunkSteps: 1e9 }, false);
    // Slices of a few steps, yielding to the event loop after each, and a worker whose batches of 8 operations run dry all the time.
    const tinyWorker = await run({ sliceMs: 0, chunkSteps: 97, workerBatch: 8 }, true);
    expect(tinyWorker, 'tiny slices, worker with tiny batches').toBe(reference);
    const hugeWorker = await run({ sliceMs: 1e9, chunkSteps: 1e9 }, true);
    expect(hugeWorker, 'one slice, worker').toBe(reference);
    const tinyInProcess = await run({ sliceMs: 0, chunkSteps: 13 }, false);
    expect(tinyInProcess, 'tiny slices, in process').toBe(reference);
    // Two busy processes on a two-core machine: the worker's batches arrive whenever the OS lets it run.
    busyLoop();
    busyLoop();
    const loaded = await run({ sliceMs: 1, chunkSteps: 500, workerBatch: 16 }, true);
    expect(loaded, 'under CPU load, worker with small batches').toBe(reference);
  }, 120_000);
});

describe('a random run fed by the workload worker gives the bytes of one fed in process', () => {
  it('pauses while the worker is behind, in random mode too (the runner, not a wrapper, gates the pick)', async () => {
    const req: RunRequest = { scenario: 'thread-race', sets: ['actors[1].ops=6', 'actors[1].vfree=true'], strategies: 'v5-reviewed,opt2', mode: 'random', seed: 11, seeds: 3, save: false };
    console.log(`[determinism] ${JSON.stringify(req)}`);
    const svc = (slicing: LabServiceOptions['slicing']): LabService => new LabService({ db: null, slicing, pool: { size: 1 } });
    const inProcess = canonical(await svc({ sliceMs: 1e9, chunkSteps: 1e9 }).run({ ...req, useWorker: false }));
    // One slice and batches of two ops: only the pause before each pick keeps a thread from running dry.
    const worker = canonical(await svc({ sliceMs: 1e9, chunkSteps: 1e9, workerBatch: 2 }).run({ ...req, useWorker: true }));
    expect(worker).toBe(inProcess);
    expect(inProcess).toContain('"violations"');
  }, 60_000);
});
