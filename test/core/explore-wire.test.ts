/**
 * Parallel explore's wire format (core/explore/parallel.ts, footprints.ts):
 * a task thread that already holds the start of a task's path from its
 * previous task unpacks only the rest, and gets the very footprints a full
 * unpack gives; an engine never runs a task that carries less than it lacks.
 */
import { describe, expect, it } from 'vitest';
import { exploreTaskEngine } from '../../core/explore/index.ts';
import { type Footprint, FootprintPacker, unpackFootprints } from '../../core/explore/footprints.ts';
import { footprintWith } from './footprint-fixture.ts';
import { packTask, type SubtreeTask, unpackTask } from '../../core/explore/parallel.ts';
import { findPreset } from '../../core/presets.ts';
import { Prng } from '../../core/prng.ts';
import { parseScenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';

const SEED = Number(process.env.PTLAB_SEED ?? 20261128);

function nums(rng: Prng, n: number, big = false): number[] {
  return Array.from({ length: n }, () => (big ? rng.below(1 << 30) * 4096 + 0.5 * rng.below(2) : rng.below(64)));
}

/** A footprint with every field used, and sometimes a critical section's body of steps (its TLB summaries derived). */
function footprint(rng: Prng, depth = 0): Footprint {
  const n = rng.below(5);
  const section = depth === 0 && rng.below(3) === 0;
  const body = section ? Array.from({ length: 1 + rng.below(3) }, () => footprint(rng, 1)) : null;
  return footprintWith({
    keys: nums(rng, n, true),
    modes: nums(rng, n),
    tlb: rng.below(2) ? [0, 1, -1, -Infinity, Infinity, 1, 2, 3, 1, 4096, 8192, 0, 1, -1, -1, 5, 6, 1] : null,
    acq: rng.below(4),
    rel: rng.below(4),
    acqLock: section ? 2 : -1,
    acqKind: section ? 1 : 0,
    macro: section ? 2 : -1,
    site: section ? `2|fn${rng.below(3)}` : null,
    body,
    locs: body ? body.map((_, k) => `loc${k}`) : null,
    held: rng.below(16),
    learn: rng.below(2) ? nums(rng, 4) : null,
  });
}

describe('explore wire format', () => {
  it(`unpacking past the first k footprints gives the full unpack's footprints from k on (seed ${SEED})`, () => {
    const rng = new Prng(SEED);
    const fps = Array.from({ length: 40 }, () => footprint(rng));
    const pk = new FootprintPacker();
    for (const f of fps) pk.add(f);
    const packed = pk.finish();
    const all = unpackFootprints(packed);
    expect(all).toEqual(fps);
    for (const k of [0, 1, 7, 39, 40]) expect(unpackFootprints(packed, k)).toEqual(fps.slice(k));
  });

  it('a task thread builds only the footprints past the path it shares with its previous task, and refuses a task that skips more', () => {
    const sc = parseScenario({ ...(findPreset('thread-race')!.doc as object), vmallocThreads: 3 });
    const st = STRATEGIES.find((s) => s.id === 'opt2')!;
    const coordinator = exploreTaskEngine(sc, st, { now: () => 0 });
    const info = coordinator.prepare();
    // A root task with a budget of one execution: it splits and hands back its path.
    const root: SubtreeTask = {
      node: 0,
      fpsFrom: 0,
      list: 1 << (31 - Math.clz32(info.en0 & -info.en0)),
      act: new Int32Array(0),
      nsteps: new Int32Array(0),
      lidx: new Int32Array(0),
      clk: new Int32Array(0),
      fps: [],
      en: Int32Array.of(info.en0),
      bt: new Int32Array(1),
      done: new Int32Array(1),
      sleepMask: new Int32Array(1),
      pre: new Int32Array(1),
      started: new Int32Array(1),
      sleepInh: [],
      doneFp: [],
      nonAtomic: [],
      nonMovers: [],
      reuse: true,
      staleLeaf: true,
      budget: 1,
      timeLeftMs: Infinity,
    };
    const worker = exploreTaskEngine(sc, st, { now: () => 0 });
    const first = worker.runTask(root);
    expect(first.outcome).toBe('split');
    const path = first.path!;
    const m = path.act.length;
    expect(m).toBeGreaterThan(10);
    // The next task starts at the deepest node of that path: the worker shares all of the path before it.
    const nA = info.nA;
    const task: SubtreeTask = {
      ...root,
      node: m,
      list: path.pending[m],
      act: path.act,
      nsteps: path.nsteps,
      lidx: path.lidx,
      clk: path.clk,
      fps: path.fps,
      en: Int32Array.of(info.en0, ...path.en),
      bt: Int32Array.of(1, ...path.bt),
      done: Int32Array.of(1, ...path.bt),
      sleepMask: Int32Array.of(0, ...path.sleepMask),
      pre: Int32Array.of(0, ...path.pre),
      started: Int32Array.of(0, ...path.started),
      sleepInh: path.sleepInh[m - 1],
      doneFp: [],
      budget: 4,
    };
    expect(task.clk.length).toBe(m * nA);
    const shared = worker.sharedPrefix(task);
    expect(shared).toBe(m);
    const wire = packTask(task);
    const lean = unpackTask(wire, shared);
    expect(lean.fpsFrom).toBe(m);
    expect(lean.fps).toHaveLength(0);
    expect(lean.sleepInh).toEqual(unpackTask(wire).sleepInh);
    // The same task on a fresh engine (which shares nothing) and on the worker give the same result.
    const fresh = exploreTaskEngine(sc, st, { now: () => 0 });
    expect(() => fresh.runTask(lean)).toThrow(/carries footprints from event/);
    const full = exploreTaskEngine(sc, st, { now: () => 0 }).runTask(unpackTask(wire));
    const mine = worker.runTask(lean);
    expect({ ...mine, path: null }).toEqual({ ...full, path: null });
    expect(mine.schedules).toBeGreaterThan(0);
  });
});
