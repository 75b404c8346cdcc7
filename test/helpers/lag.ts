/**
 * Event-loop lag during a timed LabService run (SPEC §7: main-process
 * event-loop lag p99 < 50 ms during a run). A measurement for the bench
 * harness, not a test: nothing asserts on it.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ResultsDocument } from '../../core/results.ts';
import type { RunRequest } from '../../electron/lab/service.ts';
import { LabService } from '../../electron/lab/service.ts';
import type { LabDb } from '../../db/index.ts';

export interface LagMeasurement {
  /**
   * Event-loop lag percentiles and max, in milliseconds: how late the monitor's timer fired. The
   * histogram of monitorEventLoopDelay holds whole timer intervals (an idle loop reads ≈ the
   * resolution), so the resolution is subtracted here; `raw*` keep the histogram's own values.
   */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  rawP99Ms: number;
  rawMaxMs: number;
  resolutionMs: number;
  /** Samples in the histogram. */
  samples: number;
  /** Wall time of the run, ms (informational). */
  wallMs: number;
  /** Simulated steps over all runs. */
  steps: number;
  runs: number;
  request: RunRequest;
}

export const DEFAULT_LAG_REQUEST: RunRequest = {
  scenario: 'head-to-head',
  strategies: 'opt2',
  mode: 'timed',
  seed: 1,
  seeds: 1,
  sets: ['run.durationNs=200000000'],
};

/**
 * Runs one timed LabService run (default: head-to-head, opt2, 200 ms simulated, seed 1, with the
 * workload worker unless `request.useWorker` is false) and returns the main-thread event-loop lag
 * measured with perf_hooks.monitorEventLoopDelay while it ran. Pass `db` to include SQLite writes.
 */
export async function measureEventLoopLag(request: Partial<RunRequest> = {}, opts: { db?: LabDb | null; resolutionMs?: number } = {}): Promise<LagMeasurement> {
  const req: RunRequest = { ...DEFAULT_LAG_REQUEST, ...request };
  const service = new LabService({ db: opts.db ?? null });
  const resolutionMs = opts.resolutionMs ?? 10;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  const t0 = performance.now();
  h.enable();
  let doc: ResultsDocument;
  try {
    doc = await service.run(req);
  } finally {
    h.disable();
  }
  const wallMs = performance.now() - t0;
  const ms = (ns: number): number => Math.round((ns / 1e6) * 100) / 100;
  const lag = (ns: number): number => Math.max(0, ms(ns - resolutionMs * 1e6));
  return {
    p50Ms: lag(h.percentile(50)),
    p99Ms: lag(h.percentile(99)),
    maxMs: lag(h.max),
    meanMs: lag(h.mean),
    rawP99Ms: ms(h.percentile(99)),
    rawMaxMs: ms(h.max),
    resolutionMs,
    samples: h.count,
    wallMs: Math.round(wallMs),
    steps: doc.runs.reduce((s, r) => s + (r.metrics['sim.steps'] ?? 0), 0),
    runs: doc.runs.length,
    request: req,
  };
}
