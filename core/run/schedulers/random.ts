/** random mode's scheduler: a seeded random interleaving with bursts and sleeps (RandomScheduler). */
import { Prng } from '../../prng.ts';
import type { Scheduler, Sim } from '../../machine/sim.ts';

/**
 * random mode: a seeded random interleaving. With probability `burst` the
 * same CPU keeps running; a may-sleep allocation sleeps with probability
 * `sleepProbability` for a geometric number of steps (mean `sleepSteps`),
 * as direct reclaim would, which is what opens the real race windows.
 */
export class RandomScheduler implements Scheduler {
  private readonly prng: Prng;
  private readonly burst: number;
  private readonly sleepP: number;
  private readonly sleepMean: number;
  private current = -1;
  private sleep: Float64Array | null = null;
  private pendingSleeper = -1;
  private pendingSleep = 0;
  private awake = new Int32Array(0);

  constructor(seed: number, burst: number, sleepProbability: number, sleepSteps: number) {
    this.prng = new Prng(seed);
    this.burst = burst;
    this.sleepP = sleepProbability;
    this.sleepMean = sleepSteps;
  }

  pick(sim: Sim, enabled: Int32Array, n: number): number {
    if (!this.sleep) {
      this.sleep = new Float64Array(sim.actors.length);
      this.awake = new Int32Array(sim.actors.length);
    }
    const sleep = this.sleep;
    if (this.pendingSleeper >= 0) {
      sleep[this.pendingSleeper] = this.pendingSleep;
      this.pendingSleeper = -1;
    }
    let m = 0;
    let wake = -1;
    for (let j = 0; j < n; j++) {
      const i = enabled[j];
      if (sleep[i] > 0) {
        if (wake < 0 || sleep[i] < sleep[wake]) wake = i;
      } else this.awake[m++] = i;
    }
    for (let i = 0; i < sleep.length; i++) if (sleep[i] > 0) sleep[i]--;
    let choice: number;
    if (m === 0) {
      // Everyone runnable is asleep: the first to wake runs.
      sleep[wake] = 0;
      choice = wake;
    } else if (this.current >= 0 && this.isIn(this.current, m) && this.prng.next() < this.burst) {
      choice = this.current;
    } else {
      choice = this.awake[this.prng.below(m)];
    }
    this.current = choice;
    if (sim.actors[choice].maySleep && this.sleepP > 0 && this.prng.next() < this.sleepP) {
      this.pendingSleeper = choice;
      this.pendingSleep = 1 + this.prng.geometric(1 / Math.max(1, this.sleepMean));
    }
    return choice;
  }

  private isIn(i: number, m: number): boolean {
    for (let j = 0; j < m; j++) if (this.awake[j] === i) return true;
    return false;
  }
}
