/**
 * The waits-for graph: two CPUs taking two mutexes in opposite orders (an
 * ABBA inversion, written here as hand-made programs on the real simulator)
 * deadlock in some interleavings; the checker names both waits, the rest of
 * the machine goes on.
 */
import { describe, expect, it } from 'vitest';
import { LOCK_DEVICE_HOTPLUG, LOCK_VMAP_PURGE } from '../../core/model/locks.ts';
import { findPreset } from '../../core/presets.ts';
import { buildSim } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { RandomScheduler } from '../../core/run/schedulers/index.ts';
import type { Actor } from '../../core/machine/actor.ts';
import { OP_LOCK, OP_UNLOCK } from '../../core/machine/ops.ts';
import type { Program } from '../../core/machine/routine.ts';
import type { Sim } from '../../core/machine/sim.ts';
import { findStrategy } from '../../core/strategies.ts';

function* abba(_s: Sim, a: Actor, first: number, second: number): Program {
  yield a.lockOp(OP_LOCK, 'abba', 'mutex_lock(first)', first);
  yield a.work('abba', 'work', 10);
  yield a.lockOp(OP_LOCK, 'abba', 'mutex_lock(second)', second);
  yield a.lockOp(OP_UNLOCK, 'abba', 'mutex_unlock(second)', second);
  yield a.lockOp(OP_UNLOCK, 'abba', 'mutex_unlock(first)', first);
}

function run(seed: number, inverted: boolean): { kinds: string[]; message: string; othersFinished: boolean } {
  const sc = parseScenario(findPreset('thread-race')!.doc);
  const { sim } = buildSim(sc, findStrategy('upstream'), { mode: 'random', seed });
  const scenarioActors = sim.actors.length;
  sim.addActor('cpuA', sim.actors.length, 'access', 'abba', (s, a) => abba(s, a, LOCK_DEVICE_HOTPLUG, LOCK_VMAP_PURGE));
  sim.addActor('cpuB', sim.actors.length, 'access', 'abba', (s, a) => (inverted ? abba(s, a, LOCK_VMAP_PURGE, LOCK_DEVICE_HOTPLUG) : abba(s, a, LOCK_DEVICE_HOTPLUG, LOCK_VMAP_PURGE)));
  sim.run(new RandomScheduler(seed, 0, 0, 0), 100_000);
  const v = sim.checker.violations.find((x) => x.kind === 'deadlock');
  return {
    kinds: sim.checker.violations.map((x) => x.kind),
    message: v?.message ?? '',
    othersFinished: sim.actors.slice(0, scenarioActors).every((x) => x.done && !x.stuck),
  };
}

describe('deadlock detection (seeds 1..40)', () => {
  it('finds the ABBA cycle in some interleavings, names both waits, and lets the other CPUs finish', () => {
    const runs = Array.from({ length: 40 }, (_, i) => run(i + 1, true));
    const hit = runs.filter((r) => r.kinds.includes('deadlock'));
    expect(hit.length).toBeGreaterThan(0);
    expect(hit.length).toBeLessThan(40);
    expect(hit[0].message).toMatch(/cpuA .* waits for (device_hotplug_lock|vmap_purge_lock), held by cpuB/);
    expect(hit[0].message).toMatch(/cpuB .* waits for (device_hotplug_lock|vmap_purge_lock), held by cpuA/);
    expect(hit.every((r) => r.othersFinished)).toBe(true);
  });
  it('takes the same locks in the same order: never a deadlock', () => {
    for (let seed = 1; seed <= 40; seed++) expect(run(seed, false).kinds).not.toContain('deadlock');
  });
});
