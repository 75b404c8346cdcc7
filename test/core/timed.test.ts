import { describe, expect, it } from 'vitest';
import { COST_DEFAULTS } from '../../core/costs.ts';
import { LOCK_NAMES } from '../../core/model/locks.ts';
import { findPreset } from '../../core/presets.ts';
import { VIOLATION_KINDS } from '../../core/results.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';

// 20 simulated ms keeps the test quick; the benchmark runs the full second.
const sc = parseScenario(applyOverride(findPreset('head-to-head')!.doc, 'run.durationNs=20000000'));
const SEED = 7;

describe(`timed head-to-head (20 ms, seed ${SEED})`, () => {
  const results = STRATEGIES.map((s) => runScenario(sc, s, { mode: 'timed', seed: SEED }).result);

  it('reports every stable metric key of SPEC §2.10 for every strategy', () => {
    const keys = [
      ...['vmalloc', 'vfree', 'hotremove', 'hotadd'].flatMap((op) => [`${op}.ops`, ...['p50', 'p90', 'p99', 'max', 'mean'].map((p) => `${op}.latency_ns.${p}`)]),
      ...LOCK_NAMES.flatMap((l) => ['wait_ns.total', 'wait_ns.max', 'hold_ns.total', 'hold_ns.max'].map((k) => `lock.${l}.${k}`)),
      'tlbi.page',
      'tlbi.pgtable',
      'tlbi.all',
      'pgtable.allocated_pages',
      'pgtable.freed_pages',
      'pgtable.leaked_pages',
      'pgtable.leaked_bytes',
      'sim.steps',
      'sim.time_ns',
      ...VIOLATION_KINDS.map((k) => `violations.${k}`),
    ];
    for (const r of results) for (const k of keys) expect(r.metrics, `${r.strategy} ${k}`).toHaveProperty([k]);
  });

  it('Option 1 serialises vmalloc on init_mm.page_table_lock: fewer vmallocs and far more ptl wait than v5-reviewed', () => {
    const v6 = results.find((r) => r.strategy === 'v5-reviewed')!.metrics;
    const o1 = results.find((r) => r.strategy === 'opt1')!.metrics;
    expect(o1['vmalloc.ops']).toBeLessThan(v6['vmalloc.ops']);
    expect(o1['lock.init_mm.page_table_lock.wait_ns.total']).toBeGreaterThan(10 * v6['lock.init_mm.page_table_lock.wait_ns.total']);
  });

  it('Option 2 makes vmalloc wait for hot-remove (the writer drains readers): a longer vmalloc tail than v5-reviewed', () => {
    const v6 = results.find((r) => r.strategy === 'v5-reviewed')!.metrics;
    const o2 = results.find((r) => r.strategy === 'opt2')!.metrics;
    expect(o2['vmalloc.latency_ns.max']).toBeGreaterThan(v6['vmalloc.latency_ns.max']);
    expect(o2['lock.mem_hotplug_lock.wait_ns.total']).toBeGreaterThan(v6['lock.mem_hotplug_lock.wait_ns.total']);
  });

  it('is deterministic: the same seed gives the same metrics', () => {
    const again = runScenario(sc, STRATEGIES[1], { mode: 'timed', seed: SEED }).result;
    expect(again.metrics).toEqual(results[1].metrics);
  });

  it('labels every cost default as measured, cited or assumed', () => {
    for (const [k, c] of Object.entries(COST_DEFAULTS)) {
      expect(['measured', 'cited', 'assumed'], k).toContain(c.source);
      expect(c.note.length, k).toBeGreaterThan(10);
    }
  });
});
