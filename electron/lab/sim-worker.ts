/**
 * A simulator worker of the pool (sim-pool.ts): runs whole runs, one at a
 * time, exactly as the lab service runs them on its own thread — the same
 * core `startRun`, with the workload generated in this thread (the same
 * seeded streams the workload worker produces, so the same bytes). It posts
 * throttled progress (counters, and what the series and violations gained
 * since the last post) and then the finished RunResult. A shared flag asks
 * every run in flight to stop; the run then ends as `cancelled`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { RunResult, Violation } from '../../core/results.ts';
import { startRun } from '../../core/run/runner.ts';
import type { Scenario } from '../../core/scenario.ts';
import type { Strategy } from '../../core/strategies.ts';
import { interimMetrics, progressOf } from './run-progress.ts';

export interface SimWorkerInit {
  /** Int32Array over it: [0] = 1 asks every run in flight to stop. */
  cancel: SharedArrayBuffer;
  /** Steps between clock and cancel checks. */
  chunkSteps: number;
  /** Progress is posted at most this often (0: never). */
  progressMs: number;
}

export interface SimTask {
  scenario: Scenario;
  strategy: Strategy;
  mode: 'timed' | 'random' | 'pct';
  seed: number;
  pctDepth?: number;
}

export type SimWorkerRequest = { type: 'run'; id: number; task: SimTask } | { type: 'stop' };

export interface SimWorkerProgress {
  type: 'progress';
  id: number;
  fraction: number;
  steps: number;
  simTimeNs: number;
  counters: Record<string, number>;
  /** Per series (in the run's order): its name and unit, and the points added since the last post. */
  series: { name: string; unit: string; x: number[]; y: number[] }[];
  /** Violations recorded since the last post. */
  violations: Violation[];
}

export type SimWorkerReply =
  | SimWorkerProgress
  | { type: 'done'; id: number; result: RunResult; wallMs: number; cancelled: boolean }
  | { type: 'error'; id: number; message: string };

const init = workerData as SimWorkerInit;
const flag = new Int32Array(init.cancel);
const port = parentPort!;

function run(id: number, task: SimTask): void {
  const t0 = performance.now();
  const handle = startRun(task.scenario, task.strategy, { mode: task.mode, seed: task.seed, pctDepth: task.pctDepth, series: task.mode === 'timed' });
  const sim = handle.sim;
  const sent = handle.series.map(() => 0);
  let violationsSent = 0;
  let lastPost = t0;
  const post = (fraction: number): void => {
    const series = handle.series.map((s, i) => {
      const from = sent[i] ?? 0;
      sent[i] = s.x.length;
      return { name: s.name, unit: s.unit, x: s.x.slice(from), y: s.y.slice(from) };
    });
    const all = sim.checker.violations;
    const violations = all.slice(violationsSent);
    violationsSent = all.length;
    const p: SimWorkerProgress = { type: 'progress', id, fraction, steps: sim.steps, simTimeNs: sim.now, counters: interimMetrics(sim), series, violations };
    port.postMessage(p);
  };
  let cancelled = false;
  for (;;) {
    if (handle.advance(sim.steps + init.chunkSteps)) break;
    if (Atomics.load(flag, 0) === 1) {
      cancelled = true;
      break;
    }
    if (init.progressMs > 0 && performance.now() - lastPost >= init.progressMs) {
      lastPost = performance.now();
      post(progressOf(sim.now, sim.steps, task.scenario, task.mode));
    }
  }
  if (init.progressMs > 0) post(progressOf(sim.now, sim.steps, task.scenario, task.mode));
  const result = handle.result(cancelled ? 'cancelled' : 'completed');
  port.postMessage({ type: 'done', id, result, wallMs: performance.now() - t0, cancelled } satisfies SimWorkerReply);
}

port.on('message', (m: SimWorkerRequest) => {
  if (m.type === 'stop') {
    port.close();
    return;
  }
  try {
    run(m.id, m.task);
  } catch (e) {
    port.postMessage({ type: 'error', id: m.id, message: (e as Error).message } satisfies SimWorkerReply);
  }
});
