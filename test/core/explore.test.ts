/**
 * explore mode (core/explore/): verdicts on thread-race, counterexample
 * replay, agreement with random mode, and soundness of the reductions
 * (reduced vs unreduced search, and DPOR vs brute-force enumeration of every
 * interleaving of small hand-written programs).
 *
 * PTLAB_LONG=1 runs the random-mode agreement with 1,000 seeds per preset and
 * strategy (the default uses fewer to keep this file under a minute).
 */
import { describe, expect, it } from 'vitest';
import { explore, type ExploreResult } from '../../core/explore/index.ts';
import { ENTRY_NONE, ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMALLOC } from '../../core/model/memory.ts';
import { LOCK_MEM_HOTPLUG, LOCK_PTL, LOCK_VMAP_PURGE } from '../../core/model/locks.ts';
import { findPreset } from '../../core/presets.ts';
import { buildSim, runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { ReplayScheduler } from '../../core/run/schedulers/index.ts';
import type { Actor } from '../../core/machine/actor.ts';
import { OP_LOCK, OP_READ_LOCK, OP_READ_UNLOCK, OP_TRYLOCK, OP_UNLOCK, OP_WRITE_ENTER, OP_WRITE_LOCK, OP_WRITE_UNLOCK } from '../../core/machine/ops.ts';
import { SECTION_REMOVED, type Sim } from '../../core/machine/sim.ts';
import { STRATEGIES, findStrategy } from '../../core/strategies.ts';
import type { ViolationKind } from '../../core/results.ts';
import { Prng } from '../../core/prng.ts';
import { behaviours, bruteForce, outcome, type Toy, toyMachine } from './toy-machine.ts';

const now = (): number => performance.now();
const LONG = process.env.PTLAB_LONG === '1';
const UAF: ViolationKind[] = ['uaf-table-write', 'uaf-table-read'];

function preset(name: string, set: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of set) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

const threadRace = preset('thread-race');

function summary(r: ExploreResult): string {
  const c = r.counterexample;
  return `${r.scenario}/${r.strategy}: ${r.verdict} complete=${r.complete} schedules=${r.schedules} states=${r.states} ${r.elapsedMs.toFixed(0)} ms${c ? ` ${c.kind} at step ${c.step} (${c.schedule.length} steps, found ${c.foundLength})` : ''} bounds=${JSON.stringify(r.bounds)} seed=${r.seed}`;
}

/** Replay a schedule, then keep running (violating actor first, then the others in order) to the end. */
function replayToEnd(sc: Scenario, strategy: string, seed: number, schedule: number[]): Sim {
  const { sim } = buildSim(sc, findStrategy(strategy), { mode: 'replay', seed });
  const rs = new ReplayScheduler(schedule);
  sim.run(rs, sc.run.maxSteps);
  expect(rs.diverged).toBe(false);
  const first = schedule[schedule.length - 1];
  const order = [first, ...sim.actors.map((a) => a.index).filter((i) => i !== first)];
  for (let guard = 0; guard < sc.run.maxSteps; guard++) {
    const i = order.find((k) => sim.enabled(sim.actors[k]));
    if (i === undefined) break;
    sim.step(i);
  }
  sim.finish();
  return sim;
}

describe('explore: thread-race (K = 2)', () => {
  it('v5-reviewed and v5: vmalloc writes into the freed shared table (uaf-table-write)', () => {
    for (const id of ['v5-reviewed', 'v5']) {
      const r = explore(threadRace, findStrategy(id), { now, kinds: ['uaf-table-write'] });
      console.log(summary(r), '(kinds uaf-table-write)');
      expect(r.schema).toBe('ptlab.explore/1');
      expect(r.verdict).toBe('violation');
      const c = r.counterexample!;
      expect(c.kind).toBe('uaf-table-write');
      expect(c.schedule.length).toBeLessThanOrEqual(c.foundLength);
      expect(c.step).toBe(c.schedule.length - 1);
      expect(c.trace.length).toBeGreaterThan(0);
      expect(c.trace[c.trace.length - 1].step).toBe(c.step);
    }
  });

  it('v5-reviewed and v5: the first use-after-free of either kind; a re-check read goes on to write', () => {
    for (const id of ['v5-reviewed', 'v5']) {
      const r = explore(threadRace, findStrategy(id), { now, kinds: UAF });
      const c = r.counterexample!;
      const last = c.trace[c.trace.length - 1];
      console.log(summary(r), `(kinds ${UAF.join(',')}): ${last.function} ${last.action}`);
      expect(r.verdict).toBe('violation');
      expect(UAF).toContain(c.kind);
      if (c.kind === 'uaf-table-read' && /re-check/.test(last.action)) {
        // Replayed and run on to the end, the same run populates the freed table.
        const sim = replayToEnd(threadRace, id, r.seed, c.schedule);
        expect(sim.checker.countOf('uaf-table-write')).toBeGreaterThan(0);
      }
    }
  });

  it('v5-reviewed without a kind filter: the race shows as some violation', () => {
    const r = explore(threadRace, findStrategy('v5-reviewed'), { now });
    console.log(summary(r));
    expect(r.verdict).toBe('violation');
    // The race's kinds, and a real run: replayed, the schedule reaches that violation at that step.
    const c = r.counterexample!;
    expect(['uaf-table-read', 'uaf-table-write', 'lost-mapping']).toContain(c.kind);
    const out = runScenario(threadRace, findStrategy('v5-reviewed'), { mode: 'replay', seed: r.seed, schedule: c.schedule });
    expect(out.diverged).toBe(false);
    expect(out.result.violations.find((v) => v.kind === c.kind)?.step).toBe(c.step);
  });

  it('v5 without a kind filter: free-before-clear in every interleaving (its own teardown order)', () => {
    const r = explore(threadRace, findStrategy('v5'), { now });
    console.log(summary(r));
    expect(r.verdict).toBe('violation');
    expect(r.counterexample!.kind).toBe('free-before-clear');
  });

  it('opt1: sleep-in-atomic', () => {
    const r = explore(threadRace, findStrategy('opt1'), { now });
    console.log(summary(r));
    expect(r.verdict).toBe('violation');
    expect(r.counterexample!.kind).toBe('sleep-in-atomic');
  });

  it('opt2, opt3, upstream: safe, complete search', () => {
    for (const id of ['opt2', 'opt3', 'upstream']) {
      const r = explore(threadRace, findStrategy(id), { now });
      console.log(summary(r), JSON.stringify({ nonAtomic: r.stats.nonAtomicSections, reuse: r.stats.reuse }));
      expect(r.verdict).toBe('safe');
      expect(r.complete).toBe(true);
      expect(r.counterexample).toBeNull();
      expect(r.schedules).toBeGreaterThan(0);
      expect(r.states).toBeGreaterThanOrEqual(r.schedules);
    }
  });

  it('opt2 with 4 vmalloc threads: still safe and complete', () => {
    const r = explore(preset('thread-race', ['vmallocThreads=4']), findStrategy('opt2'), { now });
    console.log(summary(r));
    expect(r.verdict).toBe('safe');
    expect(r.complete).toBe(true);
  });
});

describe('explore: thread-race on the v5.11 layout (5.11-6.8)', () => {
  it('no strategy can write into or read a freed table: vmalloc and vmemmap share none (complete searches)', () => {
    const v511 = preset('thread-race', ['arch.layout=v5.11']);
    for (const st of STRATEGIES) {
      const r = explore(v511, st, { now, kinds: UAF });
      console.log(summary(r), '(kinds uaf-table-write, uaf-table-read)');
      expect(r.verdict, st.id).toBe('safe');
      expect(r.complete, st.id).toBe(true);
    }
  });
});

describe('explore: counterexamples replay exactly', () => {
  it('replays to the same violation at the same step; a tampered schedule diverges', () => {
    for (const [id, kinds] of [
      ['v5-reviewed', UAF],
      ['opt1', undefined],
    ] as const) {
      const r = explore(threadRace, findStrategy(id), { now, kinds });
      const c = r.counterexample!;
      const out = runScenario(threadRace, findStrategy(id), { mode: 'replay', seed: r.seed, schedule: c.schedule });
      expect(out.diverged).toBe(false);
      const v = out.result.violations.find((x) => x.kind === c.kind)!;
      expect(v.step).toBe(c.step);
      expect(v.trace).toEqual(c.trace);
      if (!kinds) expect(out.result.violations[0].kind).toBe(c.kind);

      // Tamper: at the first point where some actor cannot run, make the schedule pick it.
      const { sim } = buildSim(threadRace, findStrategy(id), { mode: 'replay', seed: r.seed });
      let at = -1;
      let blocked = -1;
      for (let s = 0; s < c.schedule.length && at < 0; s++) {
        const b = sim.actors.findIndex((a) => !sim.enabled(a));
        if (b >= 0 && b !== c.schedule[s]) {
          at = s;
          blocked = b;
        } else sim.step(c.schedule[s]);
      }
      const tampered = at >= 0 ? c.schedule.slice() : [...c.schedule, ...c.schedule];
      if (at >= 0) tampered[at] = blocked;
      const { sim: s2 } = buildSim(threadRace, findStrategy(id), { mode: 'replay', seed: r.seed });
      const rs = new ReplayScheduler(tampered);
      s2.run(rs, threadRace.run.maxSteps);
      expect(rs.diverged).toBe(true);
      if (at >= 0) expect(rs.divergedAt).toBe(at);
      const out2 = runScenario(threadRace, findStrategy(id), { mode: 'replay', seed: r.seed, schedule: tampered });
      expect(out2.diverged).toBe(true);
    }
  });
});

describe('explore agrees with random mode', () => {
  const cases: { name: string; seeds: number }[] = [
    { name: 'thread-race', seeds: LONG ? 1000 : 150 },
    { name: 'section-tlb', seeds: LONG ? 1000 : 150 },
    { name: 'ptdump-race', seeds: LONG ? 1000 : 40 },
  ];
  for (const { name, seeds } of cases) {
    it(`${name}: explore finds a violation iff one of ${seeds} random seeds does (all strategies)`, () => {
      const sc = preset(name);
      for (const st of STRATEGIES) {
        const r = explore(sc, st, { now, timeLimitMs: 60_000 });
        let violating = 0;
        for (let seed = 1; seed <= seeds; seed++) {
          const out = runScenario(sc, st, { mode: 'random', seed, keepSchedule: false });
          if (out.result.violations.length > 0) violating++;
        }
        console.log(`${summary(r)} | random: ${violating}/${seeds} seeds violate`);
        expect(r.verdict === 'bounded-safe').toBe(false);
        expect(r.verdict === 'violation').toBe(violating > 0);
      }
    });
  }
});

describe('explore: the reductions lose nothing', () => {
  it('thread-race opt2 / upstream and section-tlb v5-reviewed: reduced and unreduced searches see the same behaviours', () => {
    for (const [name, id] of [
      ['thread-race', 'opt2'],
      ['thread-race', 'upstream'],
      ['section-tlb', 'v5-reviewed'],
    ] as const) {
      const sc = preset(name);
      const st = findStrategy(id);
      const make = (): Sim => buildSim(sc, st, { mode: 'random', seed: 1 }).sim;
      const red = behaviours(make, { lipton: true, reuse: true });
      const full = behaviours(make, { lipton: false, reuse: false });
      console.log(`${name}/${id}: reduced ${red.schedules} schedules, unreduced ${full.schedules}; ${red.set.size} behaviours`);
      expect(red.set).toEqual(full.set);
      expect(red.schedules).toBeLessThanOrEqual(full.schedules);
    }
  });
});

// ---------------------------------------------------------------- brute force on small programs

const P = ENTRY_PAGE;
/** The entry kind the actor's last read saw (a function, so TypeScript does not narrow it across steps). */
const rk = (a: Actor): number => a.resultKind;
const lock = (a: Actor, l = LOCK_PTL): number => a.lockOp(OP_LOCK, 'toy', 'lock', l);
const unlock = (a: Actor, l = LOCK_PTL): number => a.lockOp(OP_UNLOCK, 'toy', 'unlock', l);

const TOYS: { name: string; digest: boolean; programs: Toy[] }[] = [
  {
    // A program's read of shared state between its steps (hotplugProgram's present()) belongs to the step before it.
    name: 'a read between steps (is the memory present?) against a memory removal',
    digest: true,
    programs: [
      function* (s, a, e) {
        yield a.work('toy', 'think', 1);
        const present = s.sectionsPresent(e.secStart, e.secSize);
        yield a.write('toy', present ? 'set t[0]: memory present' : 'set t[0]: memory gone', e.t, e.tg, 0, 0, P, present ? 1 : 2);
      },
      function* (_s, a, e) {
        yield a.memState('toy', 'memory removed', e.secStart, e.secSize, SECTION_REMOVED);
      },
    ],
  },
  {
    // (fidelity, issue 9) try_purge_vmap_area_lazy()'s mutex_trylock(): it fails if it runs while another CPU holds the lock.
    name: 'mutex_trylock against a lock section (the trylock fails or takes it)',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield a.lockOp(OP_TRYLOCK, 'toy', 'trylock', LOCK_VMAP_PURGE);
        if (a.result === 1) {
          yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 1);
          yield unlock(a, LOCK_VMAP_PURGE);
        } else yield a.write('toy', 'set t[1]', e.t, e.tg, 1, 0, P, 2);
      },
      function* (_s, a, e) {
        yield lock(a, LOCK_VMAP_PURGE);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 3);
        yield unlock(a, LOCK_VMAP_PURGE);
      },
      function* (_s, a, e) {
        yield a.read('toy', 'read t[1]', e.t, e.tg, 1, 0);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
      },
    ],
  },
  {
    // (fidelity, issue 9) complete() / wait_for_completion() with payloads, as kthreadd's queue uses them.
    name: 'completions: two posts, one waiter that takes the oldest, a second that waits on another',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 7);
        yield a.complete('toy', 'complete(c0)', e.c0, 7);
        yield a.waitForCompletion('toy', 'wait(c1)', e.c1);
        yield a.read('toy', 'read t[1]', e.t, e.tg, 1, 0);
      },
      function* (_s, a, e) {
        yield a.waitForCompletion('toy', 'wait(c0)', e.c0);
        yield a.write('toy', 'set t[1] from the payload', e.t, e.tg, 1, 0, P, 100 + a.result);
        yield a.complete('toy', 'complete(c1)', e.c1, 0);
      },
      function* (_s, a, e) {
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.complete('toy', 'complete(c0)', e.c0, 9);
      },
    ],
  },
  {
    name: 'a lock section raced by an unlocked reader and writer (not atomic: split)',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield lock(a);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        if (rk(a) === ENTRY_NONE) yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 5);
        yield unlock(a);
      },
      function* (_s, a, e) {
        yield a.read('toy', 'read t[0] unlocked', e.t, e.tg, 0, 0);
        if (rk(a) === ENTRY_NONE) {
          yield lock(a);
          yield a.read('toy', 're-check t[0]', e.t, e.tg, 0, 0);
          if (rk(a) === ENTRY_NONE) yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 6);
          yield unlock(a);
        }
      },
      function* (_s, a, e) {
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.write('toy', 'clear t[0]', e.t, e.tg, 0, 0, ENTRY_NONE, 0);
      },
    ],
  },
  {
    name: 'lock sections on different entries and one racing reader (atomic sections)',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield lock(a);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 10);
        yield unlock(a);
      },
      function* (_s, a, e) {
        yield lock(a);
        yield a.read('toy', 'read t[1]', e.t, e.tg, 1, 0);
        yield a.write('toy', 'set t[1]', e.t, e.tg, 1, 0, P, 20);
        yield unlock(a);
        yield a.read('toy', 'read t[0] unlocked', e.t, e.tg, 0, 0);
      },
      function* (_s, a, e) {
        yield lock(a);
        yield a.write('toy', 'set t[2]', e.t, e.tg, 2, 0, P, 30);
        yield unlock(a);
      },
    ],
  },
  {
    name: 'percpu rwsem: a writer and two readers',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield a.lockOp(OP_WRITE_ENTER, 'toy', 'down_write', LOCK_MEM_HOTPLUG);
        yield a.lockOp(OP_WRITE_LOCK, 'toy', 'down_write', LOCK_MEM_HOTPLUG);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.write('toy', 'set t[1]', e.t, e.tg, 1, 0, P, 40);
        yield a.lockOp(OP_WRITE_UNLOCK, 'toy', 'up_write', LOCK_MEM_HOTPLUG);
      },
      function* (_s, a, e) {
        yield a.lockOp(OP_READ_LOCK, 'toy', 'down_read', LOCK_MEM_HOTPLUG);
        yield a.read('toy', 'read t[0]', e.t, e.tg, 0, 0);
        yield a.lockOp(OP_READ_UNLOCK, 'toy', 'up_read', LOCK_MEM_HOTPLUG);
        yield a.read('toy', 'read t[1]', e.t, e.tg, 1, 0);
      },
      function* (_s, a, e) {
        yield a.lockOp(OP_READ_LOCK, 'toy', 'down_read', LOCK_MEM_HOTPLUG);
        yield a.write('toy', 'set t[0]', e.t, e.tg, 0, 0, P, 42);
        yield a.lockOp(OP_READ_UNLOCK, 'toy', 'up_read', LOCK_MEM_HOTPLUG);
      },
    ],
  },
  {
    name: 'a table freed under a walker (use-after-free) while another CPU allocates and frees',
    digest: false,
    programs: [
      function* (_s, a, e) {
        yield a.read('toy', 'read r[0]', e.r, e.rg, 0, 0);
        if (rk(a) !== ENTRY_TABLE) return;
        const [tf, tg] = [a.resultFrame, a.resultGen];
        yield a.read('toy', 'scan t[1]', tf, tg, 1, 0);
        if (rk(a) !== ENTRY_NONE) return;
        yield a.write('toy', 'clear r[0]', e.r, e.rg, 0, 0, ENTRY_NONE, 0);
        yield a.free('toy', 'free t', tf, tg, 0, false);
      },
      function* (_s, a, e) {
        yield a.read('toy', 'read r[0]', e.r, e.rg, 0, 0);
        if (rk(a) !== ENTRY_TABLE) return;
        const [tf, tg] = [a.resultFrame, a.resultGen];
        yield a.read('toy', 're-check t[1]', tf, tg, 1, 0);
        if (rk(a) === ENTRY_NONE) yield a.write('toy', 'set t[1]', tf, tg, 1, 0, P, 50);
      },
      function* (_s, a) {
        yield a.allocPage('toy', 'alloc x', ROLE_VMALLOC, -1, false);
        const [x, xg] = [a.resultFrame, a.resultGen];
        yield a.free('toy', 'free x', x, xg, 0, false);
        yield a.allocPage('toy', 'alloc a table', ROLE_PGTABLE, 3, false);
      },
    ],
  },
  {
    name: 'hardware walks and TLB fills racing with a teardown (clear, TLBI, free) of the page and its PTE table',
    digest: true,
    programs: [
      function* (_s, a, e) {
        yield a.access('toy', 'touch va', e.va);
        yield a.access('toy', 'touch va again', e.va);
      },
      function* (_s, a, e) {
        yield a.write('toy', 'pte_clear', e.pte, e.pteg, e.pteIdx, e.va, ENTRY_NONE, 0);
        yield a.tlbiRange('toy', 'flush_tlb_kernel_range', e.va, e.va + 4096);
        yield a.free('toy', 'free the page', e.page, e.pageg, e.va, true);
      },
      function* (_s, a, e) {
        yield a.write('toy', 'pmd_clear', e.pmd, e.pmdg, e.pmdIdx, e.va, ENTRY_NONE, 0);
        yield a.tlbiPgtable('toy', '__flush_tlb_kernel_pgtable', e.va);
        yield a.free('toy', 'free the PTE table', e.pte, e.pteg, e.va, true);
      },
    ],
  },
  {
    name: 'a double free (a stale use no checker reports): reuse commutation is dropped',
    digest: false,
    programs: [
      function* (_s, a) {
        yield a.allocPage('toy', 'alloc x', ROLE_VMALLOC, -1, false);
        const [x, xg] = [a.resultFrame, a.resultGen];
        yield a.free('toy', 'free x', x, xg, 0, false);
        yield a.free('toy', 'free x again', x, xg, 0, false);
      },
      function* (_s, a) {
        yield a.allocPage('toy', 'alloc y', ROLE_VMALLOC, -1, false);
        yield a.allocPage('toy', 'alloc z', ROLE_PGTABLE, 3, false);
      },
    ],
  },
  {
    name: 'two CPUs race to populate an entry under the lock; frees and allocations that reuse frames',
    digest: false,
    programs: [0, 1, 2].map(
      (k): Toy =>
        function* (s, a, e) {
          yield a.allocPage('toy', 'alloc table', ROLE_PGTABLE, 3, false);
          const [n, ng] = [a.resultFrame, a.resultGen];
          if (k === 2) {
            yield a.free('toy', 'free it', n, ng, 0, true);
            yield a.allocPage('toy', 'alloc again', ROLE_VMALLOC, -1, false);
            return;
          }
          yield lock(a);
          yield a.read('toy', 're-check r[1]', e.r, e.rg, 1, 0);
          const none = rk(a) === ENTRY_NONE;
          if (none) yield a.write('toy', 'populate r[1]', e.r, e.rg, 1, 0, ENTRY_TABLE, s.mem.pfnOf(n));
          yield unlock(a);
          if (!none) yield a.free('toy', 'free new', n, ng, 0, true);
        },
    ),
  },
];

describe('explore: DPOR against brute force on small programs', () => {
  for (const toy of TOYS) {
    it(toy.name, () => {
      const make = toyMachine(toy.programs);
      const all = new Set<string>();
      const leaves = bruteForce(make, (sim) => all.add(outcome(sim, toy.digest)));
      for (const cfg of [
        { lipton: true, reuse: true },
        { lipton: false, reuse: false },
      ]) {
        const got = behaviours(make, cfg, toy.digest);
        console.log(`${toy.name}: brute force ${leaves} interleavings, ${all.size} outcomes; DPOR ${JSON.stringify(cfg)} ${got.schedules} schedules in ${got.rounds} round(s)`);
        expect(got.set).toEqual(all);
      }
    });
  }
});

describe('explore: bounds and the document', () => {
  it('a search cut by a bound is bounded-safe and says which bound', () => {
    const sc = preset('thread-race', ['vmallocThreads=3']);
    const a = explore(sc, findStrategy('opt2'), { now, maxSchedules: 2 });
    console.log(summary(a), a.stats.cutBy);
    expect(a.verdict).toBe('bounded-safe');
    expect(a.complete).toBe(false);
    expect(a.schedules).toBe(2);
    expect(a.bounds).toEqual({ maxSchedules: 2, timeLimitS: null, preemptionBound: null });
    expect(a.stats.cutBy).toContain('maxSchedules');

    const b = explore(sc, findStrategy('opt2'), { now, timeLimitMs: 1 });
    console.log(summary(b), b.stats.cutBy);
    expect(b.verdict).toBe('bounded-safe');
    expect(b.bounds.timeLimitS).toBe(0.001);

    const c = explore(sc, findStrategy('opt2'), { now, preemptionBound: 0 });
    console.log(summary(c), c.stats.cutBy);
    expect(c.bounds.preemptionBound).toBe(0);
    expect(['bounded-safe', 'safe']).toContain(c.verdict);
    expect(c.schedules).toBeLessThanOrEqual(explore(sc, findStrategy('opt2'), { now }).schedules);

    const d = explore(sc, findStrategy('opt2'), { now, symmetry: 'declared' });
    console.log(summary(d), d.stats.cutBy);
    expect(d.verdict).toBe('bounded-safe');
    expect(d.stats.cutBy).toContain('symmetry');
  });

  it('a preemption-bounded search never claims completeness when the bound cut it', () => {
    for (const b of [0, 1, 2]) {
      const r = explore(threadRace, findStrategy('v5-reviewed'), { now, preemptionBound: b, kinds: UAF });
      console.log(summary(r), r.stats.cutBy);
      expect(['violation', 'bounded-safe']).toContain(r.verdict);
      if (r.verdict === 'bounded-safe') expect(r.stats.cutBy).toContain('preemptionBound');
    }
  });

  it('is plain JSON in the ptlab.explore/1 shape', () => {
    const r = explore(threadRace, findStrategy('opt1'), { now });
    const doc = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const k of ['schema', 'scenario', 'strategy', 'verdict', 'complete', 'schedules', 'states', 'elapsedMs', 'bounds', 'counterexample']) expect(doc).toHaveProperty(k);
    expect(doc.scenario).toBe('thread-race');
    expect(doc.strategy).toBe('opt1');
    const c = doc.counterexample as Record<string, unknown>;
    for (const k of ['kind', 'message', 'schedule', 'trace']) expect(c).toHaveProperty(k);
  });
});

describe('explore: machines built from a boot image', () => {
  // explore() builds a machine per execution and copies its boot page tables from one built once
  // (BuildOptions.bootImage); the copy must be the same machine, or every search would explore another model.
  function fingerprint(sim: Sim): string {
    const mem = sim.mem;
    const tables: number[] = [];
    for (let f = 0; f < mem.nFrames; f++) {
      if (!mem.isTable(f)) continue;
      for (let i = 0; i < mem.ptrs; i++) if (mem.kind(f, i) !== ENTRY_NONE) tables.push(f, i, mem.kind(f, i), mem.val(f, i));
    }
    const arrays = [mem.state, mem.gen, mem.role, mem.depth, mem.order, mem.refs].map((a) => Array.from(a).join(','));
    const violations = sim.checker.violations.map((v) => `${v.kind}@${v.step}`);
    return JSON.stringify({ steps: sim.steps, schedule: sim.schedule, violations, tables: tables.join(','), arrays, sections: sim.sections.map((s) => s.state) });
  }

  function randomRun(sim: Sim, seed: number, maxSteps: number): void {
    const rng = new Prng(seed);
    const buf = new Int32Array(sim.actors.length);
    for (let s = 0; s < Math.min(maxSteps, 4000); s++) {
      const n = sim.collectEnabled(buf);
      if (n === 0) break;
      sim.step(buf[rng.below(n)]);
    }
  }

  /**
   * Build the machine (from scratch; from the image; from the image into the memory of a machine that has run
   * another schedule, as explore's next execution does), run it with seeded random choices of an enabled actor,
   * fingerprint it before and after.
   */
  function runWith(sc: Scenario, strategy: string, seed: number, how: 'scratch' | 'image' | 'reuse'): string {
    const opts = { mode: 'random' as const, seed: 1, stopOnFirstViolation: false };
    const bootImage = how !== 'scratch' ? buildSim(sc, findStrategy(strategy), opts).sim.mem : undefined;
    let reuseMem;
    if (how === 'reuse') {
      const used = buildSim(sc, findStrategy(strategy), { ...opts, bootImage }).sim;
      randomRun(used, seed + 1000, sc.run.maxSteps);
      reuseMem = used.mem;
    }
    const { sim } = buildSim(sc, findStrategy(strategy), { ...opts, bootImage, reuseMem });
    if (how === 'reuse') expect(sim.mem).toBe(reuseMem);
    const at0 = fingerprint(sim);
    randomRun(sim, seed, sc.run.maxSteps);
    sim.finish();
    return `${at0}\n${fingerprint(sim)}`;
  }

  it('is the same machine as one built from scratch, also in the memory of a machine that ran, and runs the same (presets, layouts, block-mapped memory)', () => {
    const cases: [string, string[], string][] = [
      ['thread-race', [], 'v5-reviewed'],
      ['thread-race', ['vmallocThreads=4', 'actors[1].ops=3', 'actors[1].vfree=true'], 'opt2'],
      ['thread-race', ['memory.linearMapping=block'], 'opt3'],
      ['thread-race', ['arch.layout=v5.11'], 'upstream'],
      ['section-tlb', [], 'v5-reviewed'],
      ['ptdump-race', [], 'v6'],
      ['online-new-node', [], 'upstream'],
    ];
    for (const [name, set, strategy] of cases) {
      const sc = preset(name, set);
      for (const seed of [1, 2, 3]) {
        const a = runWith(sc, strategy, seed, 'scratch');
        for (const how of ['image', 'reuse'] as const) {
          const b = runWith(sc, strategy, seed, how);
          if (a !== b) console.log(`${name} ${set.join(' ')} ${strategy} seed=${seed} (${how}): the machines differ`);
          expect(b).toBe(a);
        }
      }
    }
  });
});
