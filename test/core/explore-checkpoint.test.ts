/**
 * Checkpoints of the machine (core/explore/checkpoint.ts): explore restores a
 * copy of the machine instead of re-running a shared prefix, so the copy must
 * BE the machine the prefix leads to. These tests compare a machine restored
 * from a checkpoint with the one replayed from scratch, field by field (every
 * array, table entry, TLB, lock, violation, step-log entry and the schedule),
 * before and after both run on; check the copy's field lists against built
 * machines (a field the copy does not know fails loudly); and check that
 * explore searches the same executions with checkpoints as without.
 */
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FIELDS, checkpointBase, checkpointSim, restoreSim } from '../../core/explore/checkpoint.ts';
import { explore } from '../../core/explore/index.ts';
import type { Sim } from '../../core/machine/sim.ts';
import type { PhysMem } from '../../core/model/memory.ts';
import { findPreset } from '../../core/presets.ts';
import { Prng } from '../../core/prng.ts';
import { buildFromTemplate, buildSim, prepareMachine } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario, ScenarioError } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';

const now = (): number => performance.now();

function preset(name: string, set: readonly string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of set) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/**
 * Machines as explore() builds them: from one prepared template, boot tables from an image, each new machine in
 * the previous one's memory.
 */
function factory(sc: Scenario, strategy: string): () => Sim {
  const template = prepareMachine(sc, findStrategy(strategy));
  let bootImage: PhysMem | undefined;
  let previous: Sim | undefined;
  return () => {
    bootImage ??= buildFromTemplate(template, { mode: 'random', seed: 1, stopOnFirstViolation: true }).sim.mem;
    const sim = buildFromTemplate(template, { mode: 'random', seed: 1, stopOnFirstViolation: true, bootImage, reuseMem: previous?.mem }).sim;
    previous = sim;
    sim.auditLeaks = false;
    return sim;
  };
}

/** Program state: generators and routines (compared by what the actors do next, not by their objects). */
const PROGRAM_FIELDS = new Set(['stack', 'topFrame', 'topResume', 'routineCache']);
/**
 * Not machine state: configuration (which holds the previous machine's memory), the checker's back pointer, the
 * scratch buffer of Sim.run, the access log hook, and the memory's record of what changed since it was last copied
 * (PhysMem.copyFrom(), whose result the memory arrays show).
 */
const NOT_STATE = new Set(['opts', 'sim', 'enabledBuf', 'access', 'onSample', 'image', 'imageVersion', 'version', 'frameDirty', 'dirtyFrames', 'nDirtyFrames', 'slotDirty', 'dirtySlots', 'nDirtySlots']);

/**
 * Everything in the machine's object graph, written out: every own field of
 * every object reachable from the Sim (typed arrays element by element),
 * whatever its class, except program objects and the fields above. It does
 * not use the checkpoint's field lists, so a field the copy forgets shows here.
 */
/** A value as text, -0 apart from 0. */
function show(x: unknown): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function dump(sim: Sim): string {
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'function') return;
    if (typeof v !== 'object' || v === null) {
      out.push(`${path}=${show(v)}`);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      out.push(`${path}=${v.constructor.name}[${Array.from(v as unknown as ArrayLike<number>, show).join(',')}]`);
      return;
    }
    if (v instanceof Map) {
      out.push(`${path}=Map(${v.size})`);
      for (const [k, x] of v as Map<unknown, unknown>) walk(x, `${path}{${String(k)}}`);
      return;
    }
    if (Array.isArray(v)) {
      out.push(`${path}.length=${v.length}`);
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    for (const k of Object.keys(v)) {
      if (NOT_STATE.has(k) || PROGRAM_FIELDS.has(k)) continue;
      walk((v as Record<string, unknown>)[k], `${path}.${k}`);
    }
  };
  walk(sim, 'sim');
  // The step log as its readers see it.
  for (let s = sim.firstLoggedStep(); s < sim.steps; s++) out.push(`log[${s}]=${JSON.stringify(sim.loggedStep(s))}`);
  return out.join('\n');
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `${x[i]?.slice(0, 200)}  vs  ${y[i]?.slice(0, 200)}`;
  return '(none)';
}

interface Plan {
  schedule: number[];
  /** Where the checkpoint is taken (steps of `schedule` before it), and the actors not started there. */
  cut: number;
  unstarted: number;
}

/**
 * A schedule with a node where every actor has finished or not started: a
 * seeded random subset of the actors (or those of `start`, which runs first) runs, by seeded random choices among
 * them, until all of them have finished (the checkpoint is taken there, or at
 * the start if one blocks for good); then seeded random choices among all the
 * enabled actors to the end of the run.
 */
function plan(make: () => Sim, seed: number, start: readonly number[] = []): Plan {
  const sim = make();
  const rng = new Prng(seed);
  const n = sim.actors.length;
  const all = (1 << n) - 1;
  let subset = 0;
  // A given start (a counterexample's schedule) is run first, and the subset is its actors.
  for (const p of start) subset |= 1 << p;
  while (subset === 0 || subset === all) subset = rng.below(all + 1);
  const schedule: number[] = [];
  for (const p of start) {
    sim.step(p);
    schedule.push(p);
  }
  const buf = new Int32Array(n);
  const pick = (mask: number): number => {
    const k = sim.collectEnabled(buf);
    let m = 0;
    for (let j = 0; j < k; j++) if (mask & (1 << buf[j])) buf[m++] = buf[j];
    return m === 0 ? -1 : buf[rng.below(m)];
  };
  let cut = 0;
  let unstarted = all;
  for (;;) {
    const p = schedule.length < 3000 ? pick(subset) : -1;
    if (p < 0) break;
    sim.step(p);
    schedule.push(p);
  }
  if (sim.actors.every((a) => a.done || (subset & (1 << a.index)) === 0)) {
    cut = schedule.length;
    unstarted = all & ~subset;
  }
  while (schedule.length < 4000) {
    const p = pick(all);
    if (p < 0) break;
    sim.step(p);
    schedule.push(p);
  }
  return { schedule, cut, unstarted };
}

function run(sim: Sim, schedule: readonly number[], from: number, to: number): void {
  for (let i = from; i < to; i++) sim.step(schedule[i]);
}

describe('explore: checkpoints of the machine', () => {
  const cases: [string, string[], string, number[]?][] = [
    ['thread-race', [], 'v5-reviewed'],
    ['thread-race', [], 'opt2'],
    ['thread-race', ['vmallocThreads=4', 'actors[1].ops=3', 'actors[1].vfree=true'], 'opt2'],
    ['thread-race', ['vmallocThreads=3', 'actors[1].ops=2', 'actors[1].vfree=true'], 'v6'],
    ['thread-race', ['memory.linearMapping=block'], 'opt3'],
    ['thread-race', ['arch.layout=v5.11'], 'upstream'],
    ['section-tlb', [], 'v5-reviewed'],
    ['ptdump-race', [], 'v6'],
    ['online-new-node', [], 'upstream'],
    // A third vmalloc thread not started while the first two and hot-remove run v5-reviewed's use-after-free
    // (explore's counterexample at K = 2): checkpoints that hold violations.
    ['thread-race', ['vmallocThreads=3'], 'v5-reviewed', explore(preset('thread-race'), findStrategy('v5-reviewed'), { now, kinds: ['uaf-table-write', 'uaf-table-read'] }).counterexample?.schedule],
  ];

  it('a machine restored from a checkpoint is the machine replayed from scratch, and runs on the same (presets, layouts, seeds)', () => {
    let nontrivial = 0;
    let withViolations = 0;
    for (const [name, set, strategy, start] of cases) {
      const sc = preset(name, set);
      const make = factory(sc, strategy);
      const base = checkpointBase(make());
      for (const seed of [1, 2, 3, 4, 5, 6]) {
        const p = plan(make, seed, start);
        const what = `${name} ${set.join(' ')} ${strategy} seed=${seed} cut=${p.cut}/${p.schedule.length}`;
        // From scratch: the whole schedule, looked at where the checkpoint is taken and at the end.
        const replayed = make();
        run(replayed, p.schedule, 0, p.cut);
        const atCut = dump(replayed);
        run(replayed, p.schedule, p.cut, p.schedule.length);
        replayed.finish();
        const atEnd = dump(replayed);
        // The checkpoint, on a machine of its own, restored twice into machines built after it (each in the
        // memory of the machine before it, as explore's are).
        const source = make();
        run(source, p.schedule, 0, p.cut);
        const cp = checkpointSim(source, p.unstarted, base);
        if (p.cut > 0) nontrivial++;
        if (source.checker.violations.length > 0) withViolations++;
        for (const attempt of [1, 2]) {
          const restored = make();
          restoreSim(cp, restored);
          const r0 = dump(restored);
          if (r0 !== atCut) console.log(`${what} (restore ${attempt}): differs at the checkpoint: ${firstDifference(r0, atCut)}`);
          expect(r0).toBe(atCut);
          run(restored, p.schedule, p.cut, p.schedule.length);
          restored.finish();
          const r1 = dump(restored);
          if (r1 !== atEnd) console.log(`${what} (restore ${attempt}): differs at the end: ${firstDifference(r1, atEnd)}`);
          expect(r1).toBe(atEnd);
        }
      }
    }
    // The cases must exercise real checkpoints (some actors finished), some of them holding violations.
    expect(nontrivial).toBeGreaterThan(25);
    expect(withViolations).toBeGreaterThan(0);
  });

  it("a machine built from explore's prepared template, after others ran, is the machine buildSim builds, and runs the same", () => {
    for (const [name, set, strategy] of cases) {
      const sc = preset(name, set);
      const make = factory(sc, strategy);
      for (const seed of [1, 2]) {
        const p = plan(make, seed);
        const what = `${name} ${set.join(' ')} ${strategy} seed=${seed}`;
        const own = buildSim(sc, findStrategy(strategy), { mode: 'random', seed: 1, stopOnFirstViolation: true }).sim;
        own.auditLeaks = false;
        // The machine before it ran a whole schedule (plan() ran one too), so its memory arrays are dirty.
        const before = make();
        run(before, p.schedule, 0, p.schedule.length);
        const made = make();
        for (const [stage, from, to] of [['at boot', 0, 0], ['at the end', 0, p.schedule.length]] as const) {
          run(own, p.schedule, from, to);
          run(made, p.schedule, from, to);
          if (to > 0) {
            own.finish();
            made.finish();
          }
          const a = dump(made);
          const b = dump(own);
          if (a !== b) console.log(`${what} ${stage}: differs: ${firstDifference(a, b)}`);
          expect(a, what).toBe(b);
        }
      }
    }
  });

  it('a machine built in the memory of one a checkpoint was restored into is the machine buildSim builds (the memory copy undoes what the restore wrote)', () => {
    let restored = 0;
    for (const [name, set, strategy, start] of cases) {
      const sc = preset(name, set);
      const make = factory(sc, strategy);
      const base = checkpointBase(make());
      for (const seed of [1, 2]) {
        const p = plan(make, seed, start);
        if (p.cut === 0) continue;
        const what = `${name} ${set.join(' ')} ${strategy} seed=${seed} cut=${p.cut}`;
        const source = make();
        run(source, p.schedule, 0, p.cut);
        const cp = checkpointSim(source, p.unstarted, base);
        // Restored and left there: the next machine takes over its memory.
        restoreSim(cp, make());
        restored++;
        const made = make();
        const own = buildSim(sc, findStrategy(strategy), { mode: 'random', seed: 1, stopOnFirstViolation: true }).sim;
        own.auditLeaks = false;
        for (const [stage, from, to] of [['at boot', 0, 0], ['at the end', 0, p.schedule.length]] as const) {
          run(own, p.schedule, from, to);
          run(made, p.schedule, from, to);
          const a = dump(made);
          const b = dump(own);
          if (a !== b) console.log(`${what} ${stage}: differs: ${firstDifference(a, b)}`);
          expect(a, what).toBe(b);
        }
      }
    }
    expect(restored).toBeGreaterThan(8);
  });

  it('a scenario no machine can be built from is rejected when the template is prepared, as buildSim rejects it', () => {
    const sc = preset('thread-race', ['memory.allocatorPages=60000000']);
    const st = findStrategy('opt2');
    expect(() => prepareMachine(sc, st)).toThrow(ScenarioError);
    expect(() => prepareMachine(sc, st)).toThrow(/too small to hold the page allocator pool/);
    expect(() => buildSim(sc, st, { mode: 'random', seed: 1 })).toThrow(/too small to hold the page allocator pool/);
  });

  it('knows every field of the machine it copies, and fails loudly on one it does not', () => {
    for (const [name, set, strategy] of cases) {
      const sim = buildSim(preset(name, set), findStrategy(strategy), { mode: 'random', seed: 1 }).sim;
      const objects: object[] = [sim, sim.mem, sim.tlbs, sim.locks, sim.checker, sim.jitter, ...sim.actors, ...sim.vaWindows];
      for (const o of objects) {
        const rules = CHECKPOINT_FIELDS.get(o.constructor as abstract new (...args: never[]) => unknown);
        expect(rules, `${o.constructor.name} has a field list`).toBeDefined();
        expect(Object.keys(o).sort(), `${name}: the fields of ${o.constructor.name}`).toEqual(Object.keys(rules!).sort());
      }
    }
    const make = factory(preset('thread-race'), 'opt2');
    const base = checkpointBase(make());
    const sim = make();
    (sim as unknown as Record<string, unknown>).addedLater = 0;
    expect(() => checkpointSim(sim, (1 << sim.actors.length) - 1, base)).toThrow(/Sim has a field 'addedLater'/);
    const sim2 = make();
    (sim2.actors[1] as unknown as Record<string, unknown>).addedLater = 0;
    expect(() => checkpointSim(sim2, (1 << sim2.actors.length) - 1, base)).toThrow(/Actor has a field 'addedLater'/);
    // An actor in the middle of its program cannot be copied.
    const sim3 = make();
    sim3.step(0);
    expect(() => checkpointSim(sim3, ((1 << sim3.actors.length) - 1) & ~1, base)).toThrow(/in the middle of its program/);
  });

  it('explore searches the same executions with checkpoints as without, re-running fewer steps', () => {
    const runs: [string, string[], string, number | undefined][] = [
      ['thread-race', ['vmallocThreads=5'], 'opt2', undefined],
      ['thread-race', [], 'v6', undefined],
      ['thread-race', ['actors[1].ops=3', 'actors[1].vfree=true'], 'opt2', 400],
      ['thread-race', [], 'v5-reviewed', undefined],
      ['section-tlb', [], 'upstream', undefined],
      ['ptdump-race', [], 'v6', undefined],
    ];
    for (const [name, set, strategy, maxSchedules] of runs) {
      const sc = preset(name, set);
      const go = (checkpoints: boolean) => explore(sc, findStrategy(strategy), { now, checkpoints, maxSchedules, probes: 0 });
      const a = go(true);
      const b = go(false);
      const what = `${name} ${set.join(' ')} ${strategy}`;
      const key = (r: typeof a) => JSON.stringify({ ...r, elapsedMs: 0, stats: { ...r.stats, steps: 0, shrinkMs: 0 } });
      if (key(a) !== key(b)) console.log(`${what}: the searches differ`);
      expect(key(a)).toBe(key(b));
      // Checkpoints are used: at K = 5 the hot-remove teardown is most of every execution's prefix.
      if (set[0] === 'vmallocThreads=5') expect(a.stats.steps, what).toBeLessThan(b.stats.steps * 0.6);
    }
  });
});
