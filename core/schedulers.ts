/**
 * Schedulers: who steps next. The simulator never chooses; every choice and
 * every random number of a run comes from here, seeded, so a run is data
 * (scenario, strategy, seed, schedule) and replays exactly.
 */
import { Prng } from './prng.ts';
import { NONE_ENABLED, type Scheduler, type Sim } from './sim.ts';

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

/**
 * timed mode: discrete-event order. The enabled actor with the smallest
 * clock steps next; ties go to the lower CPU. Stops when every clock has
 * passed the duration.
 */
export class TimedScheduler implements Scheduler {
  private readonly durationNs: number;
  /** Set once it has said stop: every clock has passed the duration. */
  stopped = false;
  /**
   * pickAll()'s memory of its last full scan: the actor it chose, the
   * runner-up (the next enabled actor in (clock, index) order) and
   * Sim.waitEpoch then. Until the epoch moves, no actor became enabled
   * and only the chosen actor's clock moved (clocks never go back), so while
   * the chosen actor still comes before the runner-up it is the choice again.
   */
  private last = -1;
  private runnerUp = -1;
  private runnerUpTime = Infinity;
  private epoch = -1;

  constructor(durationNs: number) {
    this.durationNs = durationNs;
  }
  pick(sim: Sim, enabled: Int32Array, n: number): number {
    const actors = sim.actors;
    let best = -1;
    let bt = Infinity;
    for (let j = 0; j < n; j++) {
      const i = enabled[j];
      const t = actors[i].time;
      if (t < bt) {
        bt = t;
        best = i;
      }
    }
    if (bt > this.durationNs) {
      this.stopped = true;
      return -1;
    }
    return best;
  }

  /** The same choice without building the enabled list first. */
  pickAll(sim: Sim): number {
    // The scans read the simulator's per-actor arrays (a done actor's clock is Infinity): this runs every step.
    const clock = sim.actorClock;
    const mayWait = sim.actorMayWait;
    const actors = sim.actors;
    const last = this.last;
    if (last >= 0 && sim.waitEpoch === this.epoch) {
      const t = clock[last];
      if ((t < this.runnerUpTime || (t === this.runnerUpTime && last < this.runnerUp)) && (mayWait[last] === 0 || sim.enabled(actors[last]))) {
        if (t > this.durationNs) {
          this.stopped = true;
          return -1;
        }
        return last;
      }
    }
    let best = -1;
    let bt = Infinity;
    let second = -1;
    let st = Infinity;
    for (let i = 0; i < actors.length; i++) {
      const t = clock[i];
      if (t >= st) continue;
      if (mayWait[i] !== 0 && !sim.enabled(actors[i])) continue;
      if (t < bt) {
        second = best;
        st = bt;
        bt = t;
        best = i;
      } else {
        second = i;
        st = t;
      }
    }
    this.last = best;
    this.runnerUp = second;
    this.runnerUpTime = st;
    this.epoch = sim.waitEpoch;
    if (best < 0) return NONE_ENABLED;
    if (bt > this.durationNs) {
      this.stopped = true;
      return -1;
    }
    return best;
  }
}

/** replay mode: the recorded choices, step for step. Stops (diverged) if a choice is not enabled. */
export class ReplayScheduler implements Scheduler {
  private readonly schedule: readonly number[];
  private k = 0;
  diverged = false;
  divergedAt = -1;
  constructor(schedule: readonly number[]) {
    this.schedule = schedule;
  }
  pick(_sim: Sim, enabled: Int32Array, n: number): number {
    if (this.k >= this.schedule.length) return -1;
    const want = this.schedule[this.k];
    for (let j = 0; j < n; j++) {
      if (enabled[j] === want) {
        this.k++;
        return want;
      }
    }
    this.diverged = true;
    this.divergedAt = this.k;
    return -1;
  }
  get consumed(): number {
    return this.k;
  }
}

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
