/**
 * The explore worker thread: runs core/explore/index.ts's `explore()` (synchronous,
 * possibly for minutes) off the main thread, posting throttled progress and
 * then the result.
 *
 * Cancellation without a hook in core: explore() stops when its clock passes
 * its deadline, so the worker always gives it a finite deadline and a clock
 * that jumps far past it once the main thread sets the shared cancel flag.
 * The search then ends as if its time limit were hit (the partial result is
 * kept and saved as cancelled); the elapsed time and the reported time bound
 * are put back to the true values here.
 *
 * Parallel explore (`jobs` > 1, core/explore/parallel.ts): this thread runs
 * the coordinator, which is synchronous, and `jobs` task threads (this same
 * module with role 'task', each with one engine) run its subtree tasks. The
 * coordinator blocks in Atomics.wait on a shared counter that a task thread
 * bumps after posting a result, and takes results with receiveMessageOnPort,
 * so core/ needs no event loop. Task threads see the same cancel flag.
 */
import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { explore, exploreTaskEngine, type ExploreOptions, type ExploreResult } from '../../core/explore/index.ts';
import { packResult, packTask, type SubtreeTask, type TaskResult, type TaskRunner, unpackResult, unpackTask, type WireResult, type WireTask, wireTransfers } from '../../core/explore/parallel.ts';
import { exploreWorkerUrl } from './explore-runner.ts';
import type { ViolationKind } from '../../core/results.ts';
import { parseScenario } from '../../core/scenario.ts';
import type { Strategy } from '../../core/strategies.ts';

export interface ExploreWorkerInit {
  scenarioDoc: unknown;
  strategy: Strategy;
  maxSchedules?: number;
  timeLimitMs?: number;
  preemptionBound: number | null;
  seed: number;
  kinds?: ViolationKind[];
  /** Task threads of a parallel search (default 1: the sequential search in this thread). */
  jobs?: number;
  /** Int32Array over it: [0] = 1 asks the search to stop. */
  cancel: SharedArrayBuffer;
}

/** A task thread's workerData: the search's inputs, its port to the coordinator and the shared result counter. */
interface TaskWorkerInit extends ExploreWorkerInit {
  role: 'task';
  port: MessagePort;
  notify: SharedArrayBuffer;
}

/** Tasks and results cross threads packed (core/explore/parallel.ts packTask()): far cheaper than cloning footprint objects. */
type TaskReply = { id: number; result: WireResult } | { id: number; error: string };

export interface ExploreWorkerProgress {
  type: 'progress';
  schedules: number;
  states: number;
  steps: number;
  elapsedMs: number;
  round: number;
}

export type ExploreWorkerReply = ExploreWorkerProgress | { type: 'result'; result: ExploreResult; cancelled: boolean } | { type: 'error'; message: string };

/** A deadline no real search reaches (about 30 years), so that the cancel jump always passes it. */
const FAR_DEADLINE_MS = 1e12;
const JUMP_MS = 1e15;
const PROGRESS_EVERY_MS = 100;

const init = workerData as ExploreWorkerInit | TaskWorkerInit;
const flag = new Int32Array(init.cancel);
const now = (): number => performance.now() + (Atomics.load(flag, 0) === 1 ? JUMP_MS : 0);

function engineOptions(): ExploreOptions {
  return { now, seed: init.seed, kinds: init.kinds, preemptionBound: init.preemptionBound };
}

/** The coordinator's side of the task threads (see the header). */
function threadRunner(jobs: number): TaskRunner {
  const notifyBuf = new SharedArrayBuffer(4);
  const notify = new Int32Array(notifyBuf);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const busy: boolean[] = [];
  for (let k = 0; k < jobs; k++) {
    const ch = new MessageChannel();
    const data: TaskWorkerInit = { ...(init as ExploreWorkerInit), role: 'task', port: ch.port2, notify: notifyBuf };
    workers.push(new Worker(exploreWorkerUrl(), { workerData: data, transferList: [ch.port2] }));
    ports.push(ch.port1);
    busy.push(false);
  }
  return {
    slots: jobs,
    submit(id: number, task: SubtreeTask): void {
      const k = busy.indexOf(false);
      if (k < 0) throw new Error('explore: a task was submitted with every task thread busy');
      busy[k] = true;
      const wire = packTask(task);
      ports[k].postMessage({ id, task: wire }, wireTransfers(wire));
    },
    next(): { id: number; result: TaskResult } {
      for (;;) {
        const seen = Atomics.load(notify, 0);
        for (let k = 0; k < ports.length; k++) {
          if (!busy[k]) continue;
          const m = receiveMessageOnPort(ports[k]);
          if (!m) continue;
          busy[k] = false;
          const reply = m.message as TaskReply;
          if ('error' in reply) throw new Error(reply.error);
          return { id: reply.id, result: unpackResult(reply.result) };
        }
        Atomics.wait(notify, 0, seen, 1000);
      }
    },
    close(): void {
      for (const w of workers) void w.terminate();
      for (const p of ports) p.close();
    },
  };
}

/** A task thread: one engine, tasks in, results out. */
function serveTasks(t: TaskWorkerInit): void {
  const engine = exploreTaskEngine(parseScenario(t.scenarioDoc), t.strategy, engineOptions());
  const notify = new Int32Array(t.notify);
  t.port.on('message', (m: { id: number; task: WireTask }) => {
    let reply: TaskReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const result = packResult(engine.runTask(unpackTask(m.task, engine.sharedPrefix(m.task))));
      transfer = wireTransfers(result);
      reply = { id: m.id, result };
    } catch (e) {
      reply = { id: m.id, error: (e as Error).message };
    }
    t.port.postMessage(reply, transfer);
    Atomics.add(notify, 0, 1);
    Atomics.notify(notify, 0);
  });
}

function run(): void {
  const port = parentPort!;
  const scenario = parseScenario(init.scenarioDoc);
  const t0 = performance.now();
  let lastPost = -Infinity;
  const jobs = init.jobs ?? 1;
  const result = explore(scenario, init.strategy, {
    ...(jobs > 1 ? { parallel: { runner: threadRunner(jobs) } } : {}),
    maxSchedules: init.maxSchedules,
    timeLimitMs: init.timeLimitMs ?? FAR_DEADLINE_MS,
    preemptionBound: init.preemptionBound,
    seed: init.seed,
    kinds: init.kinds,
    now,
    onProgress: (p) => {
      const t = performance.now();
      if (t - lastPost < PROGRESS_EVERY_MS) return;
      lastPost = t;
      port.postMessage({ type: 'progress', schedules: p.schedules, states: p.states, steps: p.steps, elapsedMs: t - t0, round: p.round } satisfies ExploreWorkerProgress);
    },
  });
  const cancelled = Atomics.load(flag, 0) === 1;
  result.elapsedMs = Math.round((performance.now() - t0) * 1000) / 1000;
  result.bounds.timeLimitS = init.timeLimitMs === undefined ? null : init.timeLimitMs / 1000;
  if (cancelled) result.stats.cutBy = result.stats.cutBy.filter((c) => c !== 'timeLimit');
  port.postMessage({ type: 'result', result, cancelled } satisfies ExploreWorkerReply);
}

if ('role' in init) {
  serveTasks(init);
} else {
  try {
    run();
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: (e as Error).message } satisfies ExploreWorkerReply);
  }
}
