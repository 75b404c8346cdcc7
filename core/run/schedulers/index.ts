/**
 * Schedulers: who steps next. The simulator never chooses; every choice and
 * every random number of a run comes from a scheduler, seeded, so a run is
 * data (scenario, strategy, seed, schedule) and replays exactly. One file per
 * scheduler, each behind the `Scheduler` interface of machine/sim.ts, which
 * sees the actors that can step and owns the run's random numbers.
 */
export { PctScheduler } from './pct.ts';
export { RandomScheduler } from './random.ts';
export { ReplayScheduler } from './replay.ts';
export { TimedScheduler } from './timed.ts';
