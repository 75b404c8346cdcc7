/**
 * explore's random probes (core/explore/, ExploreOptions.probes): on issue
 * 10 §4's richer thread-race (two vmalloc threads mapping three areas each
 * and vfreeing them) the depth-first search alone does not reach
 * v5-reviewed's use-after-free within hundreds of executions, and the probes
 * do; what they find replays, the same inputs give the same bytes, and
 * probes never make a search complete or change a safe verdict.
 *
 * A clock that never moves keeps every result independent of machine load
 * (shrinking is then bounded by its replay count alone).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../core/explore/index.ts';
import { switchesOf } from '../../core/explore/shrink.ts';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';

const still = (): number => 0;

function threadRace(set: string[]): Scenario {
  let doc: unknown = findPreset('thread-race')!.doc;
  for (const s of set) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

const rich = threadRace(['actors[1].ops=3', 'actors[1].vfree=true']);

describe('explore: random probes', () => {
  it("find v5-reviewed's use-after-free on the richer thread-race where the search alone, with the same budget, does not", () => {
    const budget = 300;
    const without = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: budget, probes: 0 });
    console.log('probes off:', without.verdict, without.schedules, 'schedules');
    expect(without.verdict).toBe('bounded-safe');
    expect(without.stats.probes).toBe(0);

    const r = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: budget });
    const c = r.counterexample;
    console.log('probes on:', r.verdict, r.schedules, 'schedules,', r.stats.probes, 'probes,', c?.kind, 'found by the', r.stats.foundBy, `(${c?.foundLength} steps, shrunk to ${c?.schedule.length})`);
    expect(r.verdict).toBe('violation');
    expect(r.stats.foundBy).toBe('probe');
    expect(r.stats.probes).toBeGreaterThan(0);
    expect(r.complete).toBe(false);
    expect(['uaf-table-read', 'uaf-table-write']).toContain(c!.kind);

    // The counterexample replays, step for step, to the same violation at the same step.
    const out = runScenario(rich, findStrategy('v5-reviewed'), { mode: 'replay', seed: r.seed, schedule: c!.schedule });
    const v = out.result.violations.find((x) => x.kind === c!.kind);
    expect(v?.step).toBe(c!.step);
    expect(v?.function).toBe(c!.function);
  }, 60_000);

  it('come back shrunk to the few CPU switches the race needs, not the many a random schedule takes', () => {
    const raw = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: 300, shrink: false });
    const shrunk = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: 300 });
    const before = switchesOf(raw.counterexample!.schedule);
    const after = switchesOf(shrunk.counterexample!.schedule);
    console.log(`probe counterexample: ${before} switches as found, ${after} shrunk (${shrunk.stats.shrinkReplays} replays)`);
    expect(raw.stats.foundBy).toBe('probe');
    expect(after).toBeLessThan(before);
    // A stale pointer race needs the reader to be preempted by the freer and to resume: a handful of switches.
    expect(after).toBeLessThanOrEqual(4);
    expect(shrunk.counterexample!.kind).toBe(raw.counterexample!.kind);
  }, 60_000);

  it('are deterministic: the same inputs give the same document, byte for byte; another seed probes differently', () => {
    const a = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: 300, seed: 1 });
    const b = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: 300, seed: 1 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = explore(rich, findStrategy('v5-reviewed'), { now: still, maxSchedules: 300, seed: 2 });
    console.log('seed 1:', a.counterexample?.foundLength, 'steps; seed 2:', c.counterexample?.foundLength, 'steps');
    expect(c.seed).toBe(2);
    expect(c.counterexample?.schedule).not.toEqual(a.counterexample?.schedule);
  }, 60_000);

  it('never complete a search nor change a safe verdict, and do not run under a preemption bound', () => {
    // opt2 on the richer scenario: a bounded search with probes stays bounded-safe (probes prove nothing).
    const r = explore(rich, findStrategy('opt2'), { now: still, maxSchedules: 200 });
    console.log('opt2, richer:', r.verdict, r.schedules, 'schedules,', r.stats.probes, 'probes');
    expect(r.stats.probes).toBeGreaterThan(0);
    expect(r.verdict).toBe('bounded-safe');
    expect(r.complete).toBe(false);
    expect(r.stats.cutBy).toContain('maxSchedules');

    // The default thread-race: opt2 is proved safe before any probe runs, and the proof is unchanged by them.
    const sc = threadRace(['vmallocThreads=5']);
    const on = explore(sc, findStrategy('opt2'), { now: still });
    const off = explore(sc, findStrategy('opt2'), { now: still, probes: 0 });
    console.log('opt2, K = 5:', on.verdict, on.schedules, 'schedules,', on.stats.probes, 'probes');
    expect(on.verdict).toBe('safe');
    expect(on.complete).toBe(true);
    expect(on.stats.probes).toBeGreaterThan(0);
    expect({ ...on, elapsedMs: 0, stats: { ...on.stats, probes: 0, steps: 0 } }).toEqual({ ...off, elapsedMs: 0, stats: { ...off.stats, steps: 0 } });

    const bounded = explore(rich, findStrategy('v5-reviewed'), { now: still, preemptionBound: 1, maxSchedules: 100 });
    expect(bounded.stats.probes).toBe(0);
    expect(bounded.stats.foundBy).not.toBe('probe');
  }, 60_000);
});
