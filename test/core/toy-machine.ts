/**
 * A small machine for hand-written (or generated) programs, and the two
 * ways of searching it that the soundness tests compare: brute-force
 * enumeration of every interleaving, and explore's reduced search. Shared
 * by explore.test.ts and soundness.test.ts (not a test file itself).
 */
import { expect } from 'vitest';
import { indexAt } from '../../core/arch.ts';
import { exploreMachine, stateDigest } from '../../core/explore/index.ts';
import { ENTRY_PAGE, ENTRY_TABLE, ROLE_PGTABLE, ROLE_VMALLOC } from '../../core/model/memory.ts';
import { findPreset } from '../../core/presets.ts';
import { buildSim } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import type { Actor } from '../../core/machine/actor.ts';
import type { Program } from '../../core/machine/routine.ts';
import type { Sim } from '../../core/machine/sim.ts';
import { findStrategy } from '../../core/strategies.ts';

const now = (): number => performance.now();

function preset(name: string, set: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of set) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/** Each actor's steps in kernel terms with frame numbers blanked out (invariant under renaming frames), and the violations. */
export function behaviour(sim: Sim): string {
  const per: string[][] = sim.actors.map(() => []);
  for (let s = 0; s < sim.steps; s++) {
    const t = sim.traceStep(s);
    per[sim.loggedActor(s)].push(`${t.function}:${t.action.replace(/0x[0-9a-f]+/g, '#')}`);
  }
  return `${per.map((p) => p.join('|')).join('\n')}\n${JSON.stringify(sim.checker.countsObject())}`;
}

/** What an execution did: each actor's observations, the violations, and (without allocations) the exact final machine state. */
export function outcome(sim: Sim, digest: boolean): string {
  return digest ? `${behaviour(sim)}\n${stateDigest(sim)}` : behaviour(sim);
}

export function behaviours(make: () => Sim, cfg: { lipton: boolean; reuse: boolean }, digest = false): { set: Set<string>; schedules: number; rounds: number } {
  const set = new Set<string>();
  const r = exploreMachine(make, { now, kinds: [], ...cfg, onMaximal: (sim) => set.add(outcome(sim, digest)) });
  expect(r.cutBy).toEqual([]);
  return { set, schedules: r.schedules, rounds: r.rounds };
}

export type Toy = (s: Sim, a: Actor, env: ToyEnv) => Program;
export interface ToyEnv {
  /** Tables: r (PMD level) with t (PTE level) hanging in r[0]; u a second PTE table. */
  r: number;
  rg: number;
  t: number;
  tg: number;
  u: number;
  ug: number;
  /** A mapped VA in the vmalloc region: its PMD table (pmd, index pmdIdx), PTE table (pte, index pteIdx), and the data page. */
  va: number;
  pmd: number;
  pmdg: number;
  pmdIdx: number;
  pte: number;
  pteg: number;
  pteIdx: number;
  page: number;
  pageg: number;
  c0: number;
  c1: number;
  /** A hot-pluggable memory section (start, size). */
  secStart: number;
  secSize: number;
}

/** A machine with hand-written programs (at most 3: the thread-race machine has 3 CPUs). */
const toyScenario = preset('thread-race', ['memory.boot[0].size=64M', 'memory.allocatorPages=64', 'memory.allocatorBlocks=2', 'memory.linearMapping=block']);

export function toyMachine(programs: Toy[]): () => Sim {
  const sc = toyScenario;
  const st = findStrategy('v5-reviewed');
  return () => {
    const { sim } = buildSim(sc, st, { mode: 'random', seed: 1 });
    sim.actors.length = 0;
    const mem = sim.mem;
    const r = mem.allocPage(ROLE_PGTABLE);
    mem.makeTable(r, 2);
    const t = mem.allocPage(ROLE_PGTABLE);
    mem.makeTable(t, 3);
    const u = mem.allocPage(ROLE_PGTABLE);
    mem.makeTable(u, 3);
    mem.setEntry(r, 0, ENTRY_TABLE, mem.pfnOf(t));
    // A page mapped at the start of vmalloc space, with its own tables below the root.
    const g = sim.geometry;
    const va = sim.layout.VMALLOC_START;
    let f = sim.root;
    const path: number[] = [];
    for (let d = 0; d < g.levels - 1; d++) {
      const i = indexAt(g, d, va);
      if (mem.kind(f, i) !== ENTRY_TABLE) {
        const n = mem.allocPage(ROLE_PGTABLE);
        mem.makeTable(n, d + 1);
        mem.setEntry(f, i, ENTRY_TABLE, mem.pfnOf(n));
      }
      path.push(f);
      f = mem.frameOf(mem.val(f, i));
    }
    const page = mem.allocPage(ROLE_VMALLOC);
    mem.setEntry(f, indexAt(g, g.levels - 1, va), ENTRY_PAGE, mem.pfnOf(page));
    const pmd = path[g.levels - 2];
    const env: ToyEnv = {
      r,
      rg: mem.gen[r],
      t,
      tg: mem.gen[t],
      u,
      ug: mem.gen[u],
      va,
      pmd,
      pmdg: mem.gen[pmd],
      pmdIdx: indexAt(g, g.levels - 2, va),
      pte: f,
      pteg: mem.gen[f],
      pteIdx: indexAt(g, g.levels - 1, va),
      page,
      pageg: mem.gen[page],
      c0: -1,
      c1: -1,
      secStart: sim.sections[0].start,
      secSize: sim.sections[0].size,
    };
    // Two completions the toys may post and wait on (toy1 completes c0 in the waits-for graph).
    env.c0 = sim.addCompletion('c0', 1);
    env.c1 = sim.addCompletion('c1', -1);
    programs.forEach((p, i) => sim.addActor(`toy${i}`, i, 'vmalloc', 'toy', (s, a) => p(s, a, env)));
    return sim;
  };
}

/** Every interleaving, by re-execution; calls back with each maximal execution's machine. */
export function bruteForce(make: () => Sim, leaf: (sim: Sim) => void): number {
  const stack: number[][] = [[]];
  let leaves = 0;
  while (stack.length) {
    const prefix = stack.pop()!;
    const sim = make();
    for (const i of prefix) sim.step(i);
    const cur = prefix.slice();
    for (;;) {
      const en = sim.actors.filter((a) => sim.enabled(a)).map((a) => a.index);
      if (en.length === 0) break;
      for (const e of en.slice(1)) stack.push([...cur, e]);
      sim.step(en[0]);
      cur.push(en[0]);
    }
    if (!sim.allDone()) sim.checker.deadlockAllBlocked();
    sim.finish();
    leaf(sim);
    leaves++;
  }
  return leaves;
}

