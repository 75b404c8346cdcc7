/**
 * Database benchmarks for `npm run bench` (SPEC §7): saving a run with a
 * million events, and opening the library over 10 000 runs. Each function
 * builds its own database under `dir` and returns wall milliseconds; nothing
 * here is a test (timings vary by machine).
 */

import fs from 'node:fs';
import path from 'node:path';
import { VIOLATION_KINDS, type RunResult, type Series, type Violation } from '../core/results.ts';
import { LabDb } from '../db/index.ts';
import type { RunFilter } from '../db/types.ts';

const MILLION = 1_000_000;
const STRATEGIES = ['v5', 'v6', 'opt1', 'opt2', 'opt3', 'upstream'];
const SCENARIOS = ['thread-race', 'section-tlb', 'ptdump-race', 'head-to-head', 'scaling', 'large'];

/** A small deterministic generator (mulberry32), so every bench run writes the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freshFile(dir: string, name: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  return file;
}

function sampleMetrics(random: () => number): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const op of ['vmalloc', 'vfree', 'hotremove', 'hotadd']) {
    metrics[`${op}.ops`] = Math.floor(random() * 100_000);
    for (const stat of ['p50', 'p90', 'p99', 'max', 'mean']) metrics[`${op}.latency_ns.${stat}`] = random() * 1e6;
  }
  for (const lock of ['init_mm.page_table_lock', 'mem_hotplug_lock', 'vmap_area_lock']) {
    for (const what of ['wait_ns', 'hold_ns']) {
      metrics[`lock.${lock}.${what}.total`] = random() * 1e9;
      metrics[`lock.${lock}.${what}.max`] = random() * 1e6;
    }
  }
  for (const key of ['tlbi.page', 'tlbi.pgtable', 'tlbi.all', 'pgtable.allocated_pages', 'pgtable.freed_pages', 'pgtable.leaked_pages', 'sim.steps']) {
    metrics[key] = Math.floor(random() * 1e6);
  }
  metrics['sim.time_ns'] = random() * 1e9;
  metrics['wall.ms'] = random() * 1000;
  return metrics;
}

function sampleViolation(random: () => number, index: number): Violation {
  const kind = VIOLATION_KINDS[index % VIOLATION_KINDS.length];
  const trace = Array.from({ length: 12 }, (_, step) => ({
    step: index * 100 + step,
    timeNs: null,
    cpu: step % 4,
    actor: step % 2 === 0 ? 'vmalloc#1' : 'hotremove',
    function: step % 2 === 0 ? '__pte_alloc_kernel' : 'free_empty_pte_table',
    action: step % 2 === 0 ? 'READ_ONCE(*pmdp) = table' : 'pmd_clear(pmdp)',
    address: 'ffff7dfffe000000',
    frame: { pfn: Math.floor(random() * 65536), generation: step, role: 'pte-table' },
    locks: step % 2 === 0 ? [] : ['init_mm.page_table_lock'],
  }));
  return {
    kind,
    step: index * 100 + 12,
    cpu: 1,
    actor: 'vmalloc#1',
    function: 'vmap_pte_range',
    address: 'ffff7dfffe000000',
    message: `${kind} on a freed PTE table`,
    trace,
  };
}

/** A timed run whose series hold `points` events in total (four series). */
export function sampleRunResult(points: number, seed = 1): RunResult {
  const random = prng(seed);
  const perSeries = Math.floor(points / 4);
  const series: Series[] = ['vmalloc.latency_ns', 'vfree.latency_ns', 'hotremove.latency_ns', 'lock.wait_ns'].map((name, index) => {
    const count = index === 3 ? points - perSeries * 3 : perSeries;
    const x = new Array<number>(count);
    const y = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      x[i] = i * 250 + Math.floor(random() * 250);
      y[i] = random() * 50_000;
    }
    return { name, unit: 'ns', x, y };
  });
  const violations = Array.from({ length: 20 }, (_, index) => sampleViolation(random, index));
  const violationCounts: RunResult['violationCounts'] = {};
  for (const v of violations) violationCounts[v.kind] = (violationCounts[v.kind] ?? 0) + 1;
  return {
    id: null,
    scenario: 'head-to-head',
    strategy: 'v6',
    mode: 'timed',
    seed,
    status: 'completed',
    violations,
    violationCounts,
    metrics: sampleMetrics(random),
    series,
    schedule: Array.from({ length: 10_000 }, () => Math.floor(random() * 8)),
    config: { preset: 'head-to-head', cpus: 8, seconds: 1 },
  };
}

/** Milliseconds to save one run with a million series points (plus metrics and violations) in one call. */
export function benchSaveMillionEvents(dir: string): number {
  const result = sampleRunResult(MILLION);
  const db = LabDb.open(freshFile(dir, 'bench-save.db'));
  try {
    const start = performance.now();
    db.saveRunResult(result, { version: 'bench' });
    return performance.now() - start;
  } finally {
    db.close();
  }
}

/** Milliseconds to write a million points as a live run does: 100 appends of 10 000, then finishRun (which compacts). */
export function benchStreamMillionEvents(dir: string): number {
  const result = sampleRunResult(MILLION);
  const db = LabDb.open(freshFile(dir, 'bench-stream.db'));
  try {
    const start = performance.now();
    const id = db.createRun({ scenario: result.scenario, strategy: result.strategy, mode: result.mode, seed: result.seed, version: 'bench' });
    const batch = 10_000;
    for (const s of result.series ?? []) {
      for (let i = 0; i < s.x.length; i += batch) {
        db.appendSeries(id, { name: s.name, unit: s.unit, x: s.x.slice(i, i + batch), y: s.y.slice(i, i + batch) });
      }
    }
    db.appendMetrics(id, result.metrics);
    db.addViolations(id, result.violations);
    db.finishRun(id, { status: 'completed', wallMs: 1, schedule: result.schedule });
    return performance.now() - start;
  } finally {
    db.close();
  }
}

/** Fills `file` with `runs` runs spread over a year: ~45 metrics each, a violation in one run of five, tags on some. */
export function populateRuns(file: string, runs: number): void {
  const random = prng(7);
  const db = LabDb.open(file);
  try {
    const base = Date.parse('2025-01-01T00:00:00Z');
    db.batch(() => {
      for (let i = 0; i < runs; i++) {
        const violating = i % 5 === 0;
        const violations = violating ? [sampleViolation(random, i)] : [];
        const result: RunResult = {
          id: null,
          scenario: SCENARIOS[i % SCENARIOS.length],
          strategy: STRATEGIES[Math.floor(i / SCENARIOS.length) % STRATEGIES.length],
          mode: i % 3 === 0 ? 'timed' : 'random',
          seed: i,
          status: i % 50 === 0 ? 'failed' : 'completed',
          violations,
          violationCounts: violating ? { [violations[0].kind]: 1 } : {},
          metrics: sampleMetrics(random),
        };
        const startedAt = new Date(base + i * 3_153_600).toISOString();
        db.saveRunResult(result, { version: 'bench', startedAt, finishedAt: startedAt, tags: i % 10 === 0 ? ['baseline'] : [] });
      }
    });
  } finally {
    db.close();
  }
}

/** Milliseconds to open `file` and list the runs matching `filter`. */
export function benchListRuns(file: string, filter: RunFilter = {}): number {
  const start = performance.now();
  const db = LabDb.open(file);
  try {
    db.listRuns(filter);
    return performance.now() - start;
  } finally {
    db.close();
  }
}

/** Milliseconds to open a library of 10 000 runs and list all of them (the population is not timed). */
export function benchList10k(dir: string): number {
  const file = freshFile(dir, 'bench-list.db');
  populateRuns(file, 10_000);
  return benchListRuns(file);
}
