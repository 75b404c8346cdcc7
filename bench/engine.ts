/**
 * The engine's figures for `npm run bench` (issue 10 §4): timed-mode steps
 * per second for every strategy on one core; head-to-head (every strategy,
 * one simulated second each, through the lab service as `ptlab run` runs it)
 * wall time one run after another and on the simulator pool; and the peak
 * memory of each. Each measurement runs in its own child process (bundled
 * by bin/bundled.mjs, as the CLI's build is, its worker threads included:
 * the workload worker and the pool's workers run bundled code, not tsx's
 * per-file loading), so each peak RSS is its own.
 *
 *   node bin/bundled.mjs bench/engine.ts [--quick] [--reps N]
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { findPreset } from '../core/presets.ts';
import { runScenario } from '../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../core/scenario.ts';
import { STRATEGIES } from '../core/strategies.ts';
import { LabService } from '../electron/lab/service.ts';
import { medianOf, type Spread, spreadNote, spreadOf } from './spread.ts';

export interface TimedFigures {
  durationNs: number;
  perStrategy: { id: string; wallS: number; steps: number; mStepsPerS: number }[];
  /** All strategies' steps over all their wall time. */
  mStepsPerS: number;
  maxRssMb: number;
}

export interface HeadToHeadFigures {
  durationNs: number;
  runs: number;
  workers: number;
  wallS: number;
  maxRssMb: number;
}

export interface EngineBench {
  /** Each measurement was taken this many times, in rounds (timed, sequential, pooled; again), in fresh processes. */
  reps: number;
  /** The timed run whose overall rate was the median (its per-strategy rows are the ones printed). */
  timed: TimedFigures;
  timedMStepsPerS: Spread;
  /** The sequential and pooled runs whose wall times were the median; speedup is the ratio of the medians. */
  headToHead: { sequential: HeadToHeadFigures; pooled: HeadToHeadFigures; speedup: number; sequentialWallS: Spread; pooledWallS: Spread };
}

function scenario(name: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

/** Every strategy's timed head-to-head on this thread (core alone: no service, no worker). */
export function benchTimed(durationNs: number): TimedFigures {
  const sc = scenario('head-to-head', [`run.durationNs=${durationNs}`]);
  const perStrategy: TimedFigures['perStrategy'] = [];
  let steps = 0;
  let ms = 0;
  for (const s of STRATEGIES) {
    const t0 = performance.now();
    const r = runScenario(sc, s, { mode: 'timed', seed: 1 }).result;
    const wall = performance.now() - t0;
    steps += r.metrics['sim.steps'];
    ms += wall;
    perStrategy.push({ id: s.id, wallS: wall / 1000, steps: r.metrics['sim.steps'], mStepsPerS: r.metrics['sim.steps'] / wall / 1000 });
  }
  return { durationNs, perStrategy, mStepsPerS: steps / ms / 1000, maxRssMb: rssMb() };
}

/** `ptlab run --scenario head-to-head --strategy all --mode timed` through the service, with `workers` simulator threads (1: on this thread). */
export async function benchHeadToHead(durationNs: number, workers: number): Promise<HeadToHeadFigures> {
  const service = new LabService({ db: null, pool: { size: workers } });
  const t0 = performance.now();
  const doc = await service.run({ scenario: 'head-to-head', sets: [`run.durationNs=${durationNs}`], strategies: 'all', mode: 'timed', seed: 1, save: false });
  const wallS = (performance.now() - t0) / 1000;
  return { durationNs, runs: doc.runs.length, workers, wallS, maxRssMb: rssMb() };
}

/** One measurement in a child process of its own (bundled like this one); returns what it printed last. */
function inChild<T>(root: string, part: string, durationNs: number): T {
  const p = spawnSync(process.execPath, [join(root, 'bin', 'bundled.mjs'), 'bench/engine.ts', '--part', part, '--duration', String(durationNs)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`bench/engine.ts --part ${part} failed: ${p.stderr.slice(0, 1000)}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as T;
}

/**
 * The engine's figures. Each is measured `reps` times (default 3; 1 with
 * `quick`) in rounds, so that a burst of load from elsewhere on the machine
 * lands on one sample of each rather than on every sample of one, and is
 * judged on its median; the range is printed beside it.
 */
export function benchEngine(opts: { quick?: boolean; reps?: number; log?: (s: string) => void; root?: string } = {}): EngineBench {
  const log = opts.log ?? (() => {});
  const root = opts.root ?? process.cwd();
  const durationNs = opts.quick ? 5e7 : 1e9;
  const reps = opts.reps ?? (opts.quick ? 1 : 3);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`benchEngine: reps must be a positive whole number, not ${reps}`);
  const timedRuns: TimedFigures[] = [];
  const sequentialRuns: HeadToHeadFigures[] = [];
  const pooledRuns: HeadToHeadFigures[] = [];
  for (let r = 0; r < reps; r++) {
    timedRuns.push(inChild<TimedFigures>(root, 'timed', durationNs));
    sequentialRuns.push(inChild<HeadToHeadFigures>(root, 'sequential', durationNs));
    pooledRuns.push(inChild<HeadToHeadFigures>(root, 'pooled', durationNs));
  }
  const timedMStepsPerS = spreadOf(timedRuns.map((t) => t.mStepsPerS));
  const timed = medianOf(timedRuns, (t) => t.mStepsPerS);
  log(`timed head-to-head, ${durationNs / 1e6} simulated ms per strategy, one core (target >= 8 M steps/s); the run with the median rate:`);
  log(['strategy', 'wall s', 'steps', 'M steps/s'].join('\t'));
  for (const r of timed.perStrategy) log([r.id, r.wallS.toFixed(2), String(r.steps), r.mStepsPerS.toFixed(2)].join('\t'));
  const rateMet = timedMStepsPerS.median >= 8 ? 'met' : 'MISSED';
  log(`overall: ${timedMStepsPerS.median.toFixed(2)} M simulated steps/s${spreadNote(timedMStepsPerS, 2)}, peak RSS ${timed.maxRssMb.toFixed(0)} MB (target >= 8: ${rateMet})`);
  const sequentialWallS = spreadOf(sequentialRuns.map((h) => h.wallS));
  const pooledWallS = spreadOf(pooledRuns.map((h) => h.wallS));
  const sequential = medianOf(sequentialRuns, (h) => h.wallS);
  const pooled = medianOf(pooledRuns, (h) => h.wallS);
  const speedup = sequentialWallS.median / pooledWallS.median;
  log(`head-to-head, ${sequential.runs} strategies × ${durationNs / 1e6} simulated ms through the lab service (target < 10 s pooled on 2 cores):`);
  log(`  one after another: ${sequentialWallS.median.toFixed(2)} s wall${spreadNote(sequentialWallS, 2, ' s')}, peak RSS ${sequential.maxRssMb.toFixed(0)} MB`);
  const pooledMet = pooledWallS.median < 10 ? 'met' : 'MISSED';
  log(`  pool of ${pooled.workers} workers: ${pooledWallS.median.toFixed(2)} s wall${spreadNote(pooledWallS, 2, ' s')}, ${speedup.toFixed(2)}× faster, peak RSS ${pooled.maxRssMb.toFixed(0)} MB (target < 10 s: ${pooledMet})`);
  return { reps, timed, timedMStepsPerS, headToHead: { sequential, pooled, speedup, sequentialWallS, pooledWallS } };
}

// Run alone (directly, or as bin/bundled.mjs's bundle of this entry), not when bench/run.ts imports it.
if (/[/\\]engine(-\d+)?\.(ts|mjs)$/.test(fileURLToPath(import.meta.url))) {
  const at = (flag: string): string | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const part = at('--part');
  const durationNs = Number(at('--duration') ?? 1e9);
  const print = (x: unknown): void => void process.stdout.write(`${JSON.stringify(x)}\n`);
  if (part === 'timed') print(benchTimed(durationNs));
  else if (part === 'sequential') print(await benchHeadToHead(durationNs, 1));
  else if (part === 'pooled') print(await benchHeadToHead(durationNs, availableParallelism()));
  else {
    const reps = at('--reps');
    if (reps !== undefined && !/^[1-9]\d*$/.test(reps)) throw new Error(`--reps: a positive whole number of repetitions, not ${JSON.stringify(reps)}`);
    print(benchEngine({ quick: process.argv.includes('--quick'), reps: reps === undefined ? undefined : Number(reps), log: (s) => void process.stdout.write(`${s}\n`) }));
  }
}
