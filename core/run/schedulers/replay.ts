/** replay mode's scheduler: the recorded choices, step for step (ReplayScheduler). */
import type { Scheduler, Sim } from '../../machine/sim.ts';

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
