/** timed mode's scheduler: discrete-event order by each actor's simulated clock (TimedScheduler). */
import { NONE_ENABLED, type Scheduler, type Sim } from '../../machine/sim.ts';
import type { StarvationGate } from '../../workload.ts';

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
   * pickAll()'s queue: the enabled actors that are not done, in (clock,
   * index) order, order[0] the one it chose last, and Sim.waitEpoch when it
   * was built. Until the epoch moves no actor becomes enabled and only the
   * chosen actor's clock and op change (clocks never go back), so the queue
   * stays in order but for its head: the next pick moves the head to its
   * new place (usually a few slots on), or drops it if it can no longer
   * step, instead of scanning every actor.
   */
  private order = new Int32Array(16);
  private queued = 0;
  private epoch = -1;

  /** A source that can run dry (OpSource.starved): no pick while it says so. Here rather than in a wrapper, which would keep pickAll from being inlined into Sim.run. */
  private readonly gate: StarvationGate | null;

  constructor(durationNs: number, gate: StarvationGate | null = null) {
    this.durationNs = durationNs;
    this.gate = gate;
  }
  pick(sim: Sim, enabled: Int32Array, n: number): number {
    if (this.gate !== null && this.gate.starved()) return -1;
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
    // A pause (-1 without `stopped`): the caller refills the source and runs on.
    if (this.gate !== null && this.gate.starved()) return -1;
    // Reads the simulator's per-actor arrays (a done actor's clock is Infinity): this runs every step.
    const clock = sim.actorClock;
    const order = this.order;
    let n = this.queued;
    if (sim.waitEpoch !== this.epoch || n === 0) n = this.rebuild(sim);
    else {
      const head = order[0];
      const t = clock[head];
      if (t === Infinity || (sim.actorMayWait[head] !== 0 && !sim.enabled(sim.actors[head]))) {
        // Done, or waiting for something only another actor's lock or completion op can give: out until the epoch moves.
        n--;
        order.copyWithin(0, 1, n + 1);
        this.queued = n;
      } else {
        let j = 1;
        for (; j < n; j++) {
          const o = order[j];
          const to = clock[o];
          if (to > t || (to === t && o > head)) break;
          order[j - 1] = o;
        }
        order[j - 1] = head;
      }
    }
    if (n === 0) return NONE_ENABLED;
    const best = order[0];
    if (clock[best] > this.durationNs) {
      this.stopped = true;
      return -1;
    }
    return best;
  }

  /** The queue from scratch: every enabled actor that is not done, sorted by (clock, index). */
  private rebuild(sim: Sim): number {
    const clock = sim.actorClock;
    const mayWait = sim.actorMayWait;
    const actors = sim.actors;
    if (this.order.length < actors.length) this.order = new Int32Array(actors.length * 2);
    const order = this.order;
    let n = 0;
    for (let i = 0; i < actors.length; i++) {
      const t = clock[i];
      if (t === Infinity || (mayWait[i] !== 0 && !sim.enabled(actors[i]))) continue;
      // Insertion by (clock, index): i is the largest index so far, so it goes after every equal clock.
      let j = n++;
      while (j > 0 && clock[order[j - 1]] > t) {
        order[j] = order[j - 1];
        j--;
      }
      order[j] = i;
    }
    this.queued = n;
    this.epoch = sim.waitEpoch;
    return n;
  }
}
