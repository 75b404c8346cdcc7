/**
 * Shrinking explore's counterexamples: replay a schedule on a fresh machine
 * to its first violation; make a violating schedule switch CPUs less often
 * (a trace with three preemptions reads as a story, one with eleven does
 * not: random probes find violations with many); and delta-debug it (ddmin,
 * complements only) to a shorter one that still reaches the same kind first.
 */
import type { ViolationKind } from '../results.ts';
import type { Actor } from '../machine/actor.ts';
import type { Sim } from '../machine/sim.ts';

interface ReplayCheck {
  kind: ViolationKind;
  step: number;
}

/** Replay `schedule` on a fresh machine; the first violation (of the kinds asked for), or null. */
function replayFirst(make: () => Sim, schedule: readonly number[], kinds: Set<ViolationKind> | null): ReplayCheck | null {
  const sim = make();
  const count = (): number => {
    if (!kinds) return sim.checker.total;
    let n = 0;
    for (const k of kinds) n += sim.checker.countOf(k);
    return n;
  };
  for (let s = 0; s < schedule.length; s++) {
    const i = schedule[s];
    const a = sim.actors[i] as Actor | undefined;
    if (!a || !sim.enabled(a)) return null;
    sim.step(i);
    if (count() > 0) {
      for (const v of sim.checker.violations) if (!kinds || kinds.has(v.kind)) return { kind: v.kind, step: s };
    }
  }
  return null;
}

/** How many times the schedule switches from one actor to another. */
export function switchesOf(schedule: readonly number[]): number {
  let n = 0;
  for (let s = 1; s < schedule.length; s++) if (schedule[s] !== schedule[s - 1]) n++;
  return n;
}

/**
 * Fewer switches: where actor b is interrupted at position k and runs again
 * later, move that next run of b up to k (b is not preempted there), and keep
 * the result when it still reaches the same kind with fewer switches. Greedy,
 * from the start of the schedule, until no interruption can be removed.
 */
function fewerSwitches(start: number[], test: (cand: number[]) => number[] | null, budget: () => boolean): number[] {
  let best = start;
  let from = 1;
  while (budget()) {
    let improved = false;
    for (let k = from; k < best.length && budget(); k++) {
      const b = best[k - 1];
      if (best[k] === b) continue;
      let p = k;
      while (p < best.length && best[p] !== b) p++;
      if (p === best.length) continue;
      let q = p;
      while (q < best.length && best[q] === b) q++;
      const r = test(best.slice(0, k).concat(best.slice(p, q), best.slice(k, p), best.slice(q)));
      if (r && switchesOf(r) < switchesOf(best)) {
        best = r;
        from = Math.max(1, k - 1);
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return best;
}

/**
 * Shrink a violating schedule: drop whole actors, then remove switches
 * between actors, then delta debugging (ddmin, complements only) drops
 * chunks of choices, each while the replay still reaches a violation of the
 * same kind first; the schedule is cut right after that violation.
 */
export function shrinkSchedule(
  make: () => Sim,
  schedule: number[],
  kind: ViolationKind,
  kinds: Set<ViolationKind> | null,
  limit: { deadline: number; maxReplays: number; now: () => number },
): { schedule: number[]; replays: number } {
  let best = schedule;
  let replays = 0;
  const budget = (): boolean => replays < limit.maxReplays && limit.now() < limit.deadline;
  const test = (cand: number[]): number[] | null => {
    replays++;
    const r = replayFirst(make, cand, kinds);
    if (!r || r.kind !== kind) return null;
    return cand.slice(0, r.step + 1);
  };
  // Whole actors first: most counterexamples need only some of them.
  const actors = [...new Set(best)];
  const violator = best[best.length - 1];
  for (const x of actors) {
    if (x === violator || !budget()) continue;
    const r = test(best.filter((y) => y !== x));
    if (r && r.length < best.length) best = r;
  }
  best = fewerSwitches(best, test, budget);
  let n = 2;
  while (best.length >= 2 && budget()) {
    const chunk = Math.ceil(best.length / n);
    let reduced = false;
    for (let s = 0; s < best.length && budget(); s += chunk) {
      const cand = best.slice(0, s).concat(best.slice(s + chunk));
      const r = test(cand);
      if (r && r.length < best.length) {
        best = r;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunk <= 1) break;
      n = Math.min(n * 2, best.length);
    }
  }
  return { schedule: best, replays };
}
