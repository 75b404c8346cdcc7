/**
 * The parallel search (core/explore/parallel.ts) run in-process, with a
 * synchronous task runner that completes tasks in a seeded random order:
 *  - on random small programs over the real operations it sees exactly the
 *    outcomes brute-force enumeration sees (as the sequential search must,
 *    test/core/soundness.test.ts), with tasks split after every execution;
 *  - on every built-in race scenario and strategy it gives the verdict of the
 *    golden files (test/core/golden, never regenerated here), complete when
 *    they say safe, and a counterexample that replays (explore() replays it);
 *  - its result does not depend on the number of runners, on the order
 *    tasks end in, or on tasks and results crossing as packed messages.
 * Seeds are printed; PTLAB_SEED varies them.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, type ExploreResult, exploreMachine, exploreTaskEngine, type MachineExploreOptions, machineTaskEngine } from '../../core/explore/index.ts';
import { inProcessRunner } from '../../core/explore/parallel.ts';
import type { Sim } from '../../core/machine/sim.ts';
import { findPreset } from '../../core/presets.ts';
import { Prng } from '../../core/prng.ts';
import { parseScenario, type Scenario } from '../../core/scenario.ts';
import { STRATEGIES, type Strategy } from '../../core/strategies.ts';
import { bruteForce, outcome, toyMachine } from './toy-machine.ts';
import { compile, programs } from './toy-programs.ts';

const SEED = Number(process.env.PTLAB_SEED ?? 20261128);
// A clock that never moves: no time limit can cut anything, so results are comparable byte for byte.
const still = (): number => 0;

/** A completion order: which of n submitted tasks ends next, from a seeded PRNG (null: the oldest first). */
function order(seed: number | null): ((n: number) => number) | undefined {
  if (seed === null) return undefined;
  const rng = new Prng(seed);
  return (n) => rng.below(n);
}

function parallelMachine(make: () => Sim, opts: MachineExploreOptions, slots: number, budget: number, seed: number | null): ReturnType<typeof exploreMachine> {
  const runner = inProcessRunner(() => machineTaskEngine(make, opts), slots, order(seed));
  return exploreMachine(make, { ...opts, parallel: { runner, budget } });
}

function parallelExplore(sc: Scenario, st: Strategy, slots: number, budget: number, seed: number | null, wire = false): ExploreResult {
  const runner = inProcessRunner(() => exploreTaskEngine(sc, st, { now: still }), slots, order(seed), wire);
  return explore(sc, st, { now: still, parallel: { runner, budget } });
}

function preset(name: string, sets: Record<string, unknown> = {}): Scenario {
  return parseScenario({ ...(findPreset(name)!.doc as object), ...sets });
}

describe('parallel explore against brute force on random programs', () => {
  const numRuns = process.env.PTLAB_LONG === '1' ? 400 : 60;
  it(`sees exactly the outcomes of every interleaving, tasks split after each execution (fast-check seed ${SEED}, ${numRuns} cases)`, () => {
    console.log(`[explore-parallel] random programs: fast-check seed ${SEED}, ${numRuns} runs`);
    let withViolations = 0;
    let splitCases = 0;
    fc.assert(
      fc.property(programs(9, 7), fc.integer({ min: 1, max: 1_000_000 }), (progs, orderSeed) => {
        const make = toyMachine(progs.map((p, i) => compile(p, i)));
        const all = new Set<string>();
        bruteForce(make, (sim) => all.add(outcome(sim, false)));
        if ([...all].some((o) => !o.endsWith('{}'))) withViolations++;
        for (const cfg of [
          { lipton: true, reuse: true },
          { lipton: false, reuse: false },
        ]) {
          const got = new Set<string>();
          const opts: MachineExploreOptions = { now: still, kinds: [], ...cfg, onMaximal: (sim) => got.add(outcome(sim, false)) };
          const r = parallelMachine(make, opts, 2, 1, orderSeed);
          if (r.schedules > 1) splitCases++;
          expect(r.cutBy, `${JSON.stringify(progs)} with ${JSON.stringify(cfg)}, order seed ${orderSeed}`).toEqual([]);
          expect(got, `${JSON.stringify(progs)} with ${JSON.stringify(cfg)}, order seed ${orderSeed}`).toEqual(all);
        }
      }),
      { seed: SEED, numRuns, endOnFailure: true },
    );
    // The property says little unless programs reach violations and many searches are split into several tasks.
    expect(withViolations).toBeGreaterThan(numRuns / 10);
    expect(splitCases).toBeGreaterThan(numRuns / 5);
  }, 300_000);
});

/** The golden verdict of each strategy: 'safe' / 'bounded-safe', or 'violation' where the file holds a counterexample. */
function goldenVerdicts(name: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(new URL(`./golden/explore-${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, typeof v === 'string' ? v : 'violation']));
}

describe('parallel explore on the built-in race scenarios', () => {
  for (const name of ['thread-race', 'section-tlb', 'online-new-node']) {
    it(`${name}: every strategy's verdict is the golden one (2 runners, 8 executions per task, seeded completion order)`, () => {
      const golden = goldenVerdicts(name);
      const sc = preset(name);
      for (const st of STRATEGIES) {
        const r = parallelExplore(sc, st, 2, 8, SEED);
        expect(r.verdict, `${name} ${st.id}`).toBe(golden[st.id]);
        if (r.verdict === 'safe') expect(r.complete).toBe(true);
        if (r.verdict === 'violation') {
          // explore() replays the counterexample before it reports it (it throws if it does not reproduce).
          expect(r.counterexample!.schedule.length).toBeGreaterThan(0);
          expect(r.complete).toBe(false);
        }
      }
    }, 300_000);
  }
});

describe('parallel explore is deterministic', () => {
  it('thread-race opt2 with 6 vmalloc threads: the same bytes for 2 or 3 runners and any completion order, and the verdict of the sequential search', () => {
    const sc = preset('thread-race', { vmallocThreads: 6 });
    const st = STRATEGIES.find((s) => s.id === 'opt2')!;
    const runs = [
      parallelExplore(sc, st, 2, 4, null),
      parallelExplore(sc, st, 2, 4, SEED),
      parallelExplore(sc, st, 3, 4, SEED + 1),
      parallelExplore(sc, st, 1, 4, null),
      // Tasks and results packed and unpacked as between threads (footprints as flat numbers).
      parallelExplore(sc, st, 2, 4, SEED + 2, true),
    ];
    const bytes = runs.map((r) => JSON.stringify({ ...r, elapsedMs: 0 }));
    for (const b of bytes.slice(1)) expect(b).toBe(bytes[0]);
    const seq = explore(sc, st, { now: still });
    expect(runs[0].verdict).toBe(seq.verdict);
    expect(runs[0].complete).toBe(seq.complete);
    expect(runs[0].verdict).toBe('safe');
    // The search was split into many tasks (4 executions each), or this says nothing about merging.
    expect(runs[0].schedules).toBeGreaterThan(40);
  }, 300_000);

  it('a violation: v5 on thread-race is found with the same counterexample whatever the runners and order', () => {
    const sc = preset('thread-race', { vmallocThreads: 3 });
    const st = STRATEGIES.find((s) => s.id === 'v5')!;
    const a = parallelExplore(sc, st, 2, 2, SEED);
    const b = parallelExplore(sc, st, 3, 2, SEED + 7, true);
    expect(a.verdict).toBe('violation');
    expect(JSON.stringify({ ...b, elapsedMs: 0 })).toBe(JSON.stringify({ ...a, elapsedMs: 0 }));
  }, 120_000);
});
