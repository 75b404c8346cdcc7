/** pct mode's scheduler: probabilistic concurrency testing (PctScheduler). */
import { Prng } from '../../prng.ts';
import type { Scheduler, Sim } from '../../machine/sim.ts';

/**
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): random
 * distinct priorities for the actors, and d-1 priority change points chosen
 * uniformly among the first `k` steps; the highest-priority enabled actor
 * runs. A bug of depth d is found by one run with probability at least
 * 1 / (n * k^(d-1)).
 */
export class PctScheduler implements Scheduler {
  private readonly prng: Prng;
  private readonly depth: number;
  private readonly k: number;
  private prio: Float64Array | null = null;
  private readonly changePoints: number[] = [];
  private step = 0;

  constructor(seed: number, depth: number, k: number) {
    this.prng = new Prng(seed);
    this.depth = depth;
    this.k = Math.max(1, k);
    for (let i = 0; i < depth - 1; i++) this.changePoints.push(this.prng.below(this.k));
  }

  /** Lower bound on the probability that one run hits a given depth-d bug. */
  static probabilityBound(actors: number, k: number, depth: number): number {
    return 1 / (actors * k ** (depth - 1));
  }

  pick(sim: Sim, enabled: Int32Array, n: number): number {
    if (!this.prio) {
      const na = sim.actors.length;
      this.prio = new Float64Array(na);
      // A random permutation of priorities d .. d+na-1 (above every change-point priority).
      const perm = Array.from({ length: na }, (_, i) => i);
      for (let i = na - 1; i > 0; i--) {
        const j = this.prng.below(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      for (let i = 0; i < na; i++) this.prio[i] = this.depth + perm[i];
    }
    let best = enabled[0];
    for (let j = 1; j < n; j++) if (this.prio[enabled[j]] > this.prio[best]) best = enabled[j];
    for (let c = 0; c < this.changePoints.length; c++) {
      if (this.changePoints[c] === this.step) this.prio[best] = this.depth - 1 - c;
    }
    if (this.changePoints.includes(this.step)) {
      best = enabled[0];
      for (let j = 1; j < n; j++) if (this.prio[enabled[j]] > this.prio[best]) best = enabled[j];
    }
    this.step++;
    return best;
  }
}
