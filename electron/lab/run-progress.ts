/**
 * What a run in flight reports, computed the same way wherever the run is
 * stepped (the lab service's own thread or a simulator worker of the pool):
 * its fraction done and cheap live counters (no sorting, no table walk).
 */
import type { startRun } from '../../core/run/runner.ts';

export function progressOf(now: number, steps: number, scenario: { run: { durationNs: number; maxSteps: number } }, mode: string): number {
  if (mode === 'timed') return Math.min(1, now / scenario.run.durationNs);
  return Math.min(1, steps / scenario.run.maxSteps);
}

/** Cheap counters for checkpoints while a run is in flight. */
export function interimMetrics(sim: ReturnType<typeof startRun>['sim']): Record<string, number> {
  return {
    'vmalloc.ops': sim.ops[0],
    'vfree.ops': sim.ops[1],
    'hotremove.ops': sim.ops[2],
    'hotadd.ops': sim.ops[3],
    'tlbi.page': sim.counters.tlbiPage,
    'tlbi.pgtable': sim.counters.tlbiPgtable,
    'tlbi.all': sim.counters.tlbiAll,
    'pgtable.allocated_pages': sim.mem.tablesAllocated,
    'pgtable.freed_pages': sim.mem.tablesFreed,
    'sim.steps': sim.steps,
    'sim.time_ns': Math.round(sim.now),
    'violations.total': sim.checker.total,
  };
}
