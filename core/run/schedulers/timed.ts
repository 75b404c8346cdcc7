/** timed mode's scheduler: discrete-event order by each actor's simulated clock (TimedScheduler). */
import { NONE_ENABLED, type Scheduler, type Sim } from '../../machine/sim.ts';

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
