/**
 * Shrinking explore's counterexamples: replay a schedule on a fresh machine
 * to its first violation, and delta-debug a violating schedule (ddmin,
 * complements only) to a shorter one that still reaches the same kind first.
 */
import type { ViolationKind } from '../results.ts';
import type { Actor, Sim } from '../sim.ts';

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

/**
 * Delta debugging (ddmin, complements only) of a violating schedule: drop
 * chunks of choices while the replay still reaches a violation of the same
 * kind first; then cut the schedule right after that violation.
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
