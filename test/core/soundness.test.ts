/**
 * Evidence that explore's search is sound, which no choice of test case can
 * be tuned to (issue 10 §2), with fast-check:
 *
 *  - random small programs over the real operations (entry reads and
 *    writes, table allocation and freeing, TLB maintenance, hardware
 *    accesses, every kind of lock section, trylock, completions, memory
 *    removal and a read between steps): the reduced search (critical
 *    sections as single events, frees and allocations up to renaming) and
 *    the unreduced one see exactly the outcomes — each actor's observations
 *    and the violations — that brute-force enumeration of every
 *    interleaving sees;
 *  - random perturbations of the race scenarios (CPUs, operations per
 *    thread, vfree, VA windows, layouts, memory mapping): explore never says
 *    `safe` where a random seed finds a violation.
 *
 * Seeds are printed; PTLAB_LONG=1 runs many more cases (and 1,000 random
 * seeds per scenario).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, exploreMachine } from '../../core/explore/index.ts';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';
import { behaviours, bruteForce, outcome, toyMachine } from './toy-machine.ts';
import { compile, type Instr, programs } from './toy-programs.ts';

const LONG = process.env.PTLAB_LONG === '1';
const now = (): number => performance.now();

describe('explore against brute force on random programs over the real operations', () => {
  const seed = Number(process.env.PTLAB_SEED ?? 20261128);
  const numRuns = LONG ? 400 : 40;
  it(`the reduced and the unreduced search see exactly the outcomes of every interleaving (fast-check seed ${seed}, ${numRuns} cases)`, () => {
    console.log(`[soundness] random programs: fast-check seed ${seed}, ${numRuns} runs (PTLAB_SEED=<n> to vary, PTLAB_LONG=1 for 400)`);
    let interleavings = 0;
    let withViolations = 0;
    fc.assert(
      fc.property(programs(LONG ? 11 : 9, LONG ? 9 : 7), (progs) => {
        const make = toyMachine(progs.map((p, i) => compile(p, i)));
        const all = new Set<string>();
        interleavings += bruteForce(make, (sim) => all.add(outcome(sim, false)));
        if ([...all].some((o) => !o.endsWith('{}'))) withViolations++;
        for (const cfg of [
          { lipton: true, reuse: true },
          { lipton: false, reuse: false },
        ]) {
          const got = behaviours(make, cfg);
          expect(got.set, `${JSON.stringify(progs)} with ${JSON.stringify(cfg)}`).toEqual(all);
        }
      }),
      { seed, numRuns, endOnFailure: true },
    );
    console.log(`[soundness] ${numRuns} random programs, ${interleavings} interleavings enumerated, ${withViolations} with some violation: explore agreed on every one`);
    // The generator must reach violations, or the property says little.
    expect(withViolations).toBeGreaterThan(numRuns / 10);
  }, 300_000);
});

describe('reduction 2b: frames only stale TLB entries refer to commute, unless a checker could tell', () => {
  // toy0 touches the mapped page (its TLB now translates to it) and frees it without a flush, as vfree does before
  // the lazy purge; toy1 allocates a page (the freed one, or another, depending on the order) and frees it.
  const cases: { name: string; progs: Instr[][]; dropped: boolean }[] = [
    {
      name: 'the other page is freed unchecked (as vfree does): the orders are one, and 2b stays on',
      progs: [[{ k: 'access' }, { k: 'lazyTeardown' }], [{ k: 'allocFree', table: false, check: false }, { k: 'access' }]],
      dropped: false,
    },
    {
      name: 'the other page is freed with the TLB check (stale-tlb only if it got the freed page): 2b is dropped',
      progs: [[{ k: 'access' }, { k: 'lazyTeardown' }], [{ k: 'allocFree', table: false, check: true }]],
      dropped: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const make = toyMachine(c.progs.map((p, i) => compile(p, i)));
      const all = new Set<string>();
      const n = bruteForce(make, (sim) => all.add(outcome(sim, false)));
      const got = new Set<string>();
      const r = exploreMachine(make, { now, kinds: [], onMaximal: (sim) => got.add(outcome(sim, false)) });
      console.log(`${n} interleavings, ${all.size} outcomes; explore: ${r.schedules} schedules, ${r.rounds} rounds, staleLeaf ${r.staleLeaf} (${r.staleLeafDropped ?? 'kept'})`);
      expect(r.cutBy).toEqual([]);
      expect(got).toEqual(all);
      expect(r.staleLeaf).toBe(!c.dropped);
      expect(r.staleLeafDropped !== null).toBe(c.dropped);
      if (c.dropped) expect([...all].some((o) => o.includes('stale-tlb'))).toBe(true);
      else {
        // And 2b is what merged the orders: without it the search explores more of them.
        const off = exploreMachine(make, { now, kinds: [], staleLeaf: false });
        console.log(`without 2b: ${off.schedules} schedules`);
        expect(off.schedules).toBeGreaterThan(r.schedules);
      }
    });
  }
});

// ------------------------------------------------------------------ perturbed scenarios

function scenario(name: string, sets: string[]): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/** A perturbation of a race preset, as `--set` overrides. */
const perturbation: fc.Arbitrary<{ preset: string; sets: string[] }> = fc.oneof(
  fc
    .record({
      threads: fc.integer({ min: 1, max: 3 }),
      ops: fc.integer({ min: 1, max: 2 }),
      vfree: fc.boolean(),
      window: fc.constantFrom('top-gib-per-thread', 'shared'),
      layout: fc.constantFrom('v6.9', 'v5.4', 'v5.11'),
      touch: fc.boolean(),
    })
    .map((p) => ({
      preset: 'thread-race',
      sets: [`vmallocThreads=${p.threads}`, `actors[1].ops=${p.ops}`, `actors[1].vfree=${p.vfree}`, `actors[1].window=${p.window}`, `arch.layout=${p.layout}`, `actors[1].touch=${p.touch}`],
    })),
  fc
    .record({ layout: fc.constantFrom('v5.4', 'v6.9'), offline: fc.boolean(), repeats: fc.integer({ min: 1, max: 2 }) })
    .map((p) => ({ preset: 'section-tlb', sets: [`arch.layout=${p.layout}`, `actors[1].offline=${p.offline}`, `actors[0].repeats=${p.repeats}`] })),
  fc
    .record({ region: fc.constantFrom('vmemmap-region', 'vmemmap', 'hotplug'), repeats: fc.integer({ min: 1, max: 2 }), linear: fc.boolean(), mapping: fc.constantFrom('pmd', 'base') })
    .map((p) => ({
      preset: 'ptdump-race',
      sets: [`actors[0].region=${p.region}`, `actors[0].repeats=${p.repeats}`, `actors[1].linear=${p.linear}`, `memory.vmemmapMapping=${p.mapping}`, 'memory.linearMapping=block'],
    })),
);

describe('explore never says safe where random seeds find a violation (perturbed race scenarios)', () => {
  const seed = Number(process.env.PTLAB_SEED ?? 20261129);
  const numRuns = LONG ? 40 : 6;
  const seeds = LONG ? 1000 : 60;
  it(`every strategy, ${seeds} random seeds per perturbation (fast-check seed ${seed}, ${numRuns} perturbations)`, () => {
    console.log(`[soundness] perturbations: fast-check seed ${seed}, ${numRuns} runs, ${seeds} random seeds each`);
    let proofs = 0;
    fc.assert(
      fc.property(perturbation, ({ preset, sets }) => {
        const sc = scenario(preset, sets);
        for (const st of STRATEGIES) {
          const r = explore(sc, st, { now, timeLimitMs: LONG ? 60_000 : 4_000 });
          if (r.verdict !== 'safe') continue;
          proofs++;
          for (let s = 1; s <= seeds; s++) {
            const out = runScenario(sc, st, { mode: 'random', seed: s, keepSchedule: false });
            expect(out.result.violations.map((v) => v.kind), `${preset} ${sets.join(' ')} ${st.id}: explore says safe, random seed ${s} violates`).toEqual([]);
          }
        }
      }),
      { seed, numRuns, endOnFailure: true },
    );
    console.log(`[soundness] ${proofs} complete proofs checked against ${seeds} random seeds each`);
    expect(proofs).toBeGreaterThan(0);
  }, 600_000);
});
