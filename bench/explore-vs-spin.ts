/**
 * explore mode against Spin (SPEC §7): thread-race under Option 2 (opt2)
 * with K vmalloc threads, proved safe by `explore()` and by Spin on
 * ../shared/bench/spin/race.pml (`run.sh 2 K`), side by side on the same
 * machine. Also the explore targets on the default thread-race and on issue
 * 10 §4's richer one.
 *
 *   node --import tsx bench/explore-vs-spin.ts [--ks 2,3,4,5,6] [--k7] [--ptlab-only 7,8]
 *
 * (default: K = 2..6 against Spin, K = 8, 10, 12 PT Lab alone, each cut at
 * 120 s; Spin runs out of its
 * 8 GB at K = 7, so --k7 is opt-in). Each PT Lab measurement runs in its own
 * child process, bundled with esbuild as `npm run bench` runs (bin/bundled.mjs)
 * when that is available, else through tsx.
 *
 * Spin's time and peak RSS are those of `pan` (run.sh measures it with
 * /usr/bin/time; generating and compiling pan.c is not counted). PT Lab's
 * time is the explore() call (building the model included, Node start-up
 * not) and its memory the peak RSS of the whole child process that ran it
 * (Node and tsx included), measured with process.resourceUsage().maxRSS.
 * If `spin` is missing it is installed once with apt-get (when root); if it
 * still cannot run, Spin is reported unavailable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { explore, type ExploreResult } from '../core/explore/index.ts';
import { findPreset } from '../core/presets.ts';
import { applyOverride, parseScenario, type Scenario } from '../core/scenario.ts';
import { findStrategy } from '../core/strategies.ts';
import type { ViolationKind } from '../core/results.ts';
import { runExploreInWorker } from '../electron/lab/explore-runner.ts';
import { spreadNote, spreadOf } from './spread.ts';

// The repository root: next to this file, or the working directory when this module runs bundled.
const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(resolve(here, '..', 'bench', 'explore-vs-spin.ts')) ? resolve(here, '..') : process.cwd();
const self = resolve(root, 'bench', 'explore-vs-spin.ts');
const spinScript = resolve(root, '..', 'shared', 'bench', 'spin', 'run.sh');
/** Child processes run this file bundled (as `npm run bench` does) when the bundler is there, else through tsx. */
const bundler = resolve(root, 'bin', 'bundled.mjs');
const CHILD_ENV = 'PTLAB_EXPLORE_CHILD';

export interface Row {
  k: number;
  /** pan's wall time and peak RSS, or null when Spin could not run. */
  spinSeconds: number | null;
  spinMaxRssMb: number | null;
  spinVerdict: 'safe' | 'violation' | 'incomplete' | 'unavailable';
  spinStates: number | null;
  ptlabSeconds: number;
  /** Wall time of the whole child process (Node start-up included). */
  ptlabProcessSeconds: number;
  ptlabMaxRssMb: number;
  /** RSS of the child before exploring (Node, tsx and the model code loaded). */
  ptlabBaseRssMb: number;
  ptlabVerdict: string;
  complete: boolean;
  schedules: number;
  states: number;
  /** Spin / PT Lab (higher is better for PT Lab), null without Spin. */
  timeRatio: number | null;
  memRatio: number | null;
}

export interface TargetRow {
  what: string;
  strategy: string;
  k: number;
  verdict: string;
  complete: boolean;
  kind: string | null;
  ms: number;
  schedules: number;
  targetMs: number;
  met: boolean;
}

function threadRace(k?: number, rich = false): Scenario {
  let doc: unknown = findPreset('thread-race')!.doc;
  if (k !== undefined) doc = applyOverride(doc, `vmallocThreads=${k}`);
  // issue 10 §4's richer scenario: the vmalloc threads map three areas each and vfree them.
  if (rich) for (const set of RICH_SETS) doc = applyOverride(doc, set);
  return parseScenario(doc);
}

/** `--set`s of the richer thread-race (issue 10 §4). */
export const RICH_SETS = ['actors[1].ops=3', 'actors[1].vfree=true'] as const;
/** Each measurement's time limit (explore's --time-limit): a search it cuts is reported bounded-safe. */
const CHILD_TIME_LIMIT_MS = 120_000;

// ------------------------------------------------------------------ Spin

let spinReady: boolean | null = null;

function haveSpin(): boolean {
  return spawnSync('sh', ['-c', 'command -v spin && command -v gcc'], { encoding: 'utf8' }).status === 0;
}

/** Is Spin usable? Installs it once with apt-get if it is missing and we are root. */
function ensureSpin(log: (l: string) => void): boolean {
  if (spinReady !== null) return spinReady;
  if (!existsSync(spinScript)) {
    log(`Spin model not found at ${spinScript}`);
    return (spinReady = false);
  }
  if (!haveSpin() && process.getuid?.() === 0) {
    log('spin not found: apt-get install -y spin');
    spawnSync('apt-get', ['install', '-y', 'spin'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  spinReady = haveSpin();
  if (!spinReady) log('Spin is unavailable (spin or gcc missing); reporting PT Lab alone');
  return spinReady;
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; wallMs: number }> {
  return new Promise((res) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => res({ code, out, wallMs: performance.now() - t0 }));
    p.on('error', (e) => res({ code: -1, out: String(e), wallMs: performance.now() - t0 }));
  });
}

interface SpinResult {
  seconds: number | null;
  maxRssMb: number | null;
  verdict: Row['spinVerdict'];
  states: number | null;
  raw: string;
}

async function runSpin(k: number, log: (l: string) => void): Promise<SpinResult> {
  if (!ensureSpin(log)) return { seconds: null, maxRssMb: null, verdict: 'unavailable', states: null, raw: '' };
  const r = await run('bash', [spinScript, '2', String(k)], root);
  const wall = /wall_s\s+([\d.]+)\s+max_rss_kb\s+(\d+)/.exec(r.out);
  const errors = /errors:\s*(\d+)/.exec(r.out);
  const states = /([\d.e+]+)\s+states, stored/.exec(r.out);
  if (!wall) return { seconds: null, maxRssMb: null, verdict: 'unavailable', states: null, raw: r.out };
  const verdict: Row['spinVerdict'] = !errors ? 'incomplete' : Number(errors[1]) > 0 ? 'violation' : /out of memory|search not completed/i.test(r.out) ? 'incomplete' : 'safe';
  return { seconds: Number(wall[1]), maxRssMb: Number(wall[2]) / 1024, verdict, states: states ? Number(states[1]) : null, raw: r.out };
}

// ------------------------------------------------------------------ PT Lab in a child process

interface ChildOut {
  k: number;
  strategy: string;
  rich: boolean;
  foundBy: string | null;
  verdict: string;
  complete: boolean;
  kind: string | null;
  schedules: number;
  states: number;
  elapsedMs: number;
  maxRssKb: number;
  baseRssKb: number;
}

async function runChild(
  k: number,
  strategy: string,
  log: (l: string) => void,
  kinds?: string,
  opts: { rich?: boolean; timeLimitMs?: number; jobs?: number } = {},
): Promise<{ out: ChildOut; processMs: number } | null> {
  const args = existsSync(bundler) ? [bundler, 'bench/explore-vs-spin.ts'] : ['--import', 'tsx', self];
  const spec = [k, strategy, kinds || '-', opts.rich ? 'rich' : '-', opts.timeLimitMs ?? CHILD_TIME_LIMIT_MS, opts.jobs ?? 1].join(' ');
  const r = await run(process.execPath, args, root, { [CHILD_ENV]: spec });
  const line = r.out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.code !== 0 || !line) {
    log(`PT Lab child (K=${k}, ${strategy}) failed: ${r.out.slice(0, 400)}`);
    return null;
  }
  return { out: JSON.parse(line) as ChildOut, processMs: r.wallMs };
}

/**
 * Child mode: explore thread-race with K threads (or the richer thread-race) and print one JSON line. With jobs > 1
 * the search runs as `ptlab explore --jobs` runs it (electron/lab/explore-worker.ts: a coordinator thread and
 * `jobs` task threads); peak RSS is the whole process's, threads included.
 */
async function child(k: number, strategy: string, kinds: string | undefined, rich: boolean, timeLimitMs: number, jobs: number): Promise<void> {
  const sc = rich ? threadRace(undefined, true) : threadRace(k);
  const baseRssKb = process.resourceUsage().maxRSS;
  const kindList = kinds ? (kinds.split(',') as ViolationKind[]) : undefined;
  let r: ExploreResult;
  if (jobs > 1) {
    const o = await runExploreInWorker({ scenarioDoc: sc, strategy: findStrategy(strategy), timeLimitMs, preemptionBound: null, seed: 1, kinds: kindList, jobs });
    if (!o.result) throw new Error('the parallel search did not report');
    r = o.result;
  } else {
    r = explore(sc, findStrategy(strategy), { now: () => performance.now(), kinds: kindList, timeLimitMs });
  }
  const out: ChildOut = {
    k,
    strategy,
    rich,
    foundBy: r.stats.foundBy,
    verdict: r.verdict,
    complete: r.complete,
    kind: r.counterexample?.kind ?? null,
    schedules: r.schedules,
    states: r.states,
    elapsedMs: r.elapsedMs,
    maxRssKb: process.resourceUsage().maxRSS,
    baseRssKb,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

// ------------------------------------------------------------------ the benchmarks

const fmt = (x: number | null, d = 2): string => (x === null ? '-' : x.toFixed(d));

/** Spin and explore() side by side on thread-race/opt2 for each K (each in its own process, one after the other). */
export async function benchExploreVsSpin(opts: { ks: number[]; log: (line: string) => void; ptlabOnly?: number[] }): Promise<Row[]> {
  const { log } = opts;
  const rows: Row[] = [];
  const all = [...opts.ks.map((k) => ({ k, spin: true })), ...(opts.ptlabOnly ?? []).filter((k) => !opts.ks.includes(k)).map((k) => ({ k, spin: false }))];
  log('thread-race, opt2 (Option 2: get_online_mems() around vmalloc), K vmalloc threads; Spin: race.pml OPT=2 NV=K');
  log(' K | Spin s  | Spin MB | Spin      | states    | PT Lab s | (process s) | PT Lab MB | PT Lab         | schedules | time x | mem x');
  for (const { k, spin } of all) {
    const s: SpinResult = spin ? await runSpin(k, log) : { seconds: null, maxRssMb: null, verdict: 'unavailable', states: null, raw: '' };
    const c = await runChild(k, 'opt2', log);
    if (!c) {
      log(`${String(k).padStart(2)} | ${fmt(s.seconds).padStart(7)} | ${fmt(s.maxRssMb, 0).padStart(7)} | ${s.verdict.padEnd(9)} | ${String(s.states ?? '-').padStart(9)} | PT Lab failed`);
      continue;
    }
    const ptlabSeconds = c.out.elapsedMs / 1000;
    const ptlabMaxRssMb = c.out.maxRssKb / 1024;
    const row: Row = {
      k,
      spinSeconds: s.seconds,
      spinMaxRssMb: s.maxRssMb,
      spinVerdict: s.verdict,
      spinStates: s.states,
      ptlabSeconds,
      ptlabProcessSeconds: c.processMs / 1000,
      ptlabMaxRssMb,
      ptlabBaseRssMb: c.out.baseRssKb / 1024,
      ptlabVerdict: c.out.verdict,
      complete: c.out.complete,
      schedules: c.out.schedules,
      states: c.out.states,
      timeRatio: s.seconds !== null && ptlabSeconds > 0 ? s.seconds / ptlabSeconds : null,
      memRatio: s.maxRssMb !== null ? s.maxRssMb / ptlabMaxRssMb : null,
    };
    rows.push(row);
    log(
      `${String(k).padStart(2)} | ${fmt(row.spinSeconds).padStart(7)} | ${fmt(row.spinMaxRssMb, 0).padStart(7)} | ${row.spinVerdict.padEnd(9)} | ${String(row.spinStates ?? '-').padStart(9)} | ${fmt(ptlabSeconds).padStart(8)} | ${fmt(row.ptlabProcessSeconds).padStart(11)} | ${fmt(ptlabMaxRssMb, 0).padStart(9)} | ${`${row.ptlabVerdict}${row.complete ? ' (complete)' : ''}`.padEnd(14)} | ${String(row.schedules).padStart(9)} | ${fmt(row.timeRatio, 1).padStart(6)} | ${fmt(row.memRatio, 1).padStart(5)}`,
    );
  }
  const at12 = rows.find((r) => r.k === 12);
  // The < 10 s target (explore may use both cores) is judged on the `--jobs 2` search: benchExploreJobs().
  if (at12) log(`K = 12 on one thread: ${at12.ptlabVerdict}${at12.complete ? ' (complete)' : ''} in ${at12.ptlabSeconds.toFixed(1)} s, ${at12.ptlabMaxRssMb.toFixed(0)} MB (the < 10 s target is judged with --jobs 2, above)`);
  return rows;
}

/**
 * SPEC §7 explore targets on the default thread-race (K = 2): the v6
 * counterexample in < 1 s; opt2, opt3, upstream proved safe (complete) in
 * < 10 s each. In process; wall time of the whole explore() call
 * (counterexample shrinking and replay included).
 */
export async function benchExploreTargets(opts: { log?: (line: string) => void; reps?: number } = {}): Promise<TargetRow[]> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const sc = threadRace();
  const rows: TargetRow[] = [];
  const cases: { what: string; strategy: string; kinds?: ViolationKind[]; targetMs: number; unsafe?: boolean }[] = [
    { what: 'v5-reviewed counterexample (first violation of any kind)', strategy: 'v5-reviewed', targetMs: 1000, unsafe: true },
    { what: 'v5-reviewed counterexample (uaf-table-write)', strategy: 'v5-reviewed', kinds: ['uaf-table-write'], targetMs: 1000, unsafe: true },
    { what: 'v6 (Option 3 as posted) proved safe', strategy: 'v6', targetMs: 10_000 },
    { what: 'opt2 proved safe', strategy: 'opt2', targetMs: 10_000 },
    { what: 'opt3 proved safe', strategy: 'opt3', targetMs: 10_000 },
    { what: 'upstream proved safe', strategy: 'upstream', targetMs: 10_000 },
  ];
  explore(sc, findStrategy('opt3'), { now: () => performance.now() }); // warm up the JIT
  log('explore targets, thread-race (K = 2):');
  for (const c of cases) {
    const t0 = performance.now();
    const r = explore(sc, findStrategy(c.strategy), { now: () => performance.now(), kinds: c.kinds });
    const ms = performance.now() - t0;
    const safe = !c.unsafe;
    const met = ms < c.targetMs && (safe ? r.verdict === 'safe' && r.complete : r.verdict === 'violation');
    const row: TargetRow = { what: c.what, strategy: c.strategy, k: 2, verdict: r.verdict, complete: r.complete, kind: r.counterexample?.kind ?? null, ms, schedules: r.schedules, targetMs: c.targetMs, met };
    rows.push(row);
    log(`  ${c.what.padEnd(58)} ${r.verdict}${r.complete ? ' (complete)' : ''}${row.kind ? ` ${row.kind}` : ''}, ${r.schedules} schedules, ${ms.toFixed(0)} ms (target < ${c.targetMs} ms: ${met ? 'met' : 'MISSED'})`);
  }
  log('');
  await benchExploreJobs({ log, reps: opts.reps });
  return rows;
}

export interface JobsRow {
  k: number;
  jobs: number;
  verdict: string;
  complete: boolean;
  schedules: number;
  states: number;
  ms: number;
  maxRssMb: number;
}

/**
 * issue 10 §4, K = 12 vmalloc threads (opt2) proved safe in < 10 s, on one thread and on two (`--jobs 2`): each
 * search in its own child process; the time is the explore() call (the search's own elapsedMs), peak RSS the child's.
 * K = 12 with `--jobs 2` is run `reps` times in all (default 3) and judged on its median, as the engine's figures are.
 */
export async function benchExploreJobs(opts: { log?: (line: string) => void; ks?: number[]; jobs?: number[]; reps?: number } = {}): Promise<JobsRow[]> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const rows: JobsRow[] = [];
  log('explore thread-race opt2, one thread and several (--jobs):');
  log(`  ${'K'.padStart(3)} ${'jobs'.padStart(4)} ${'verdict'.padEnd(16)} ${'schedules'.padStart(9)} ${'states'.padStart(10)} ${'wall s'.padStart(7)} ${'RSS MB'.padStart(7)}`);
  for (const k of opts.ks ?? [8, 10, 12]) {
    for (const jobs of opts.jobs ?? [1, 2]) {
      const ch = await runChild(k, 'opt2', log, undefined, { jobs });
      if (!ch) continue;
      const o = ch.out;
      const row: JobsRow = { k, jobs, verdict: o.verdict, complete: o.complete, schedules: o.schedules, states: o.states, ms: o.elapsedMs, maxRssMb: o.maxRssKb / 1024 };
      rows.push(row);
      log(`  ${String(k).padStart(3)} ${String(jobs).padStart(4)} ${`${o.verdict}${o.complete ? ' (complete)' : ''}`.padEnd(16)} ${String(o.schedules).padStart(9)} ${String(o.states).padStart(10)} ${(o.elapsedMs / 1000).toFixed(2).padStart(7)} ${row.maxRssMb.toFixed(0).padStart(7)}`);
    }
  }
  // issue 10 §4: K = 12 complete in < 10 s, and explore may use both cores.
  const both = rows.find((r) => r.k === 12 && r.jobs === 2);
  if (both) {
    const seconds = [both.ms / 1000];
    let complete = both.complete;
    for (let r = 1; r < (opts.reps ?? 3); r++) {
      const ch = await runChild(12, 'opt2', log, undefined, { jobs: 2 });
      if (!ch) break;
      seconds.push(ch.out.elapsedMs / 1000);
      complete &&= ch.out.complete && ch.out.schedules === both.schedules && ch.out.states === both.states;
    }
    const s = spreadOf(seconds);
    log(`K = 12 on both cores (--jobs 2): ${both.verdict}${complete ? ' (complete, the same counts every time)' : ''} in ${s.median.toFixed(1)} s${spreadNote(s, 1, ' s')} (target complete in < 10 s: ${complete && s.median < 10 ? 'met' : 'MISSED'})`);
  }
  return rows;
}

export interface RichRow extends TargetRow {
  foundBy: string | null;
  states: number;
  maxRssMb: number;
}

/**
 * issue 10 §4 on the richer thread-race (`--set actors[1].ops=3 --set actors[1].vfree=true`, 2 vmalloc threads):
 * the v5-reviewed use-after-free in < 5 s, opt2 and upstream proved safe (complete) in < 60 s. Each search in its
 * own child process with a 60 s time limit (a search the limit cuts is bounded-safe: MISSED); the time is the
 * explore() call, counterexample shrinking and replay included.
 */
export async function benchExploreRich(opts: { log?: (line: string) => void; strategies?: string[] } = {}): Promise<RichRow[]> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const cases: { what: string; strategy: string; targetMs: number; unsafe?: boolean }[] = [
    { what: 'v5-reviewed counterexample', strategy: 'v5-reviewed', targetMs: 5000, unsafe: true },
    { what: 'opt2 proved safe', strategy: 'opt2', targetMs: 60_000 },
    { what: 'upstream proved safe', strategy: 'upstream', targetMs: 60_000 },
  ].filter((c) => !opts.strategies || opts.strategies.includes(c.strategy));
  const rows: RichRow[] = [];
  log(`explore targets, richer thread-race (--set ${RICH_SETS.join(' --set ')}), time limit 60 s each:`);
  for (const c of cases) {
    const ch = await runChild(2, c.strategy, log, undefined, { rich: true, timeLimitMs: 60_000 });
    if (!ch) continue;
    const o = ch.out;
    const met = o.elapsedMs < c.targetMs && (c.unsafe ? o.verdict === 'violation' : o.verdict === 'safe' && o.complete);
    const row: RichRow = {
      what: c.what,
      strategy: c.strategy,
      k: 2,
      verdict: o.verdict,
      complete: o.complete,
      kind: o.kind,
      ms: o.elapsedMs,
      schedules: o.schedules,
      targetMs: c.targetMs,
      met,
      foundBy: o.foundBy,
      states: o.states,
      maxRssMb: o.maxRssKb / 1024,
    };
    rows.push(row);
    log(
      `  ${c.what.padEnd(30)} ${o.verdict}${o.complete ? ' (complete)' : ''}${o.kind ? ` ${o.kind} (found by the ${o.foundBy})` : ''}, ${o.schedules} schedules, ${o.states} states, ${(o.elapsedMs / 1000).toFixed(2)} s, ${row.maxRssMb.toFixed(0)} MB (target < ${c.targetMs / 1000} s: ${met ? 'met' : 'MISSED'})`,
    );
  }
  return rows;
}

// ------------------------------------------------------------------ direct run

async function main(argv: string[]): Promise<void> {
  const log = (l: string): void => {
    process.stdout.write(`${l}\n`);
  };
  const ki = argv.indexOf('--ks');
  const ks = ki >= 0 ? argv[ki + 1].split(',').map(Number) : [2, 3, 4, 5, 6];
  if (argv.includes('--k7') && !ks.includes(7)) ks.push(7);
  const pi = argv.indexOf('--ptlab-only');
  const ptlabOnly = pi >= 0 ? argv[pi + 1].split(',').map(Number) : [8, 10, 12];
  if (argv.includes('--jobs-only')) {
    await benchExploreJobs({ log });
    return;
  }
  await benchExploreTargets({ log });
  log('');
  await benchExploreRich({ log });
  log('');
  const rows = await benchExploreVsSpin({ ks, log, ptlabOnly });
  const at6 = rows.find((r) => r.k === 6);
  if (at6 && at6.timeRatio !== null && at6.memRatio !== null) {
    log(`\nK = 6: PT Lab ${at6.timeRatio.toFixed(1)}x faster and ${at6.memRatio.toFixed(1)}x less memory than Spin (target 10x each: ${at6.timeRatio >= 10 && at6.memRatio >= 10 ? 'met' : 'MISSED'})`);
  }
}

const childSpec = process.env[CHILD_ENV];
if (childSpec) {
  const [k, strategy, kinds, variant, limit, jobs] = childSpec.split(' ');
  child(Number(k), strategy || 'opt2', kinds && kinds !== '-' ? kinds : undefined, variant === 'rich', Number(limit) || CHILD_TIME_LIMIT_MS, Number(jobs) || 1).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

