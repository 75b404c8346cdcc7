/**
 * Details a kernel developer holding a trace against the source would check
 * (DOMAIN §9 "Small ones"): the populate helpers' names, v5.2's
 * try_purge_vmap_area_lazy() trylock, and which cost defaults are assumed.
 */
import { describe, expect, it } from 'vitest';
import { COST_DEFAULTS } from '../../core/costs.ts';
import { purge_vmap_area_lazy } from '../../core/kernel/vmalloc.ts';
import { LOCK_VMAP_PURGE } from '../../core/model/locks.ts';
import { findPreset } from '../../core/presets.ts';
import { buildSim, runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { OP_LOCK, OP_UNLOCK } from '../../core/machine/ops.ts';
import { findStrategy } from '../../core/strategies.ts';

/** Every `function: action` a random run of a preset performed. */
function actions(preset: string, seed: number, sets: string[] = []): Set<string> {
  let doc: unknown = findPreset(preset)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  const { sim } = runScenario(parseScenario(doc), findStrategy('upstream'), { mode: 'random', seed });
  const out = new Set<string>();
  for (let s = 0; s < sim.steps; s++) {
    const t = sim.traceStep(s);
    out.add(`${t.function}: ${t.action.replace(/ = .*$/, '').replace(/ \/\*.*\*\/$/, '')}`);
  }
  return out;
}

describe('populate helpers, as the C names them', () => {
  it('vmalloc installs a PTE table with pmd_populate_kernel() and a PMD table with pud_populate()', () => {
    const seen = actions('thread-race', 1);
    expect(seen).toContain('__pte_alloc_kernel: pmd_populate_kernel(&init_mm, pmd, new)');
    expect(seen).toContain('__pmd_alloc: pud_populate(&init_mm, pudp, new)');
    expect([...seen].some((a) => a.includes('pmd_populate(&init_mm'))).toBe(false);
  });
  it('hot-add builds the linear map with mmu.c\'s __pmd_populate(pmdp, pte_phys, PMD_TYPE_TABLE)', () => {
    const sc = parseScenario({
      name: 'add-one-section',
      arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
      memory: { boot: [{ start: '0x80000000', size: '2G' }], hotplug: [{ start: '0x140000000', size: '128M', initial: 'absent' }] },
      actors: [{ kind: 'hotplug', range: { start: '0x140000000', size: '128M' }, cycles: 1, thinkNs: 0 }],
    });
    const { sim } = runScenario(sc, findStrategy('upstream'), { mode: 'random', seed: 1 });
    const seen = new Set(Array.from({ length: sim.steps }, (_, s) => `${sim.traceStep(s).function}: ${sim.traceStep(s).action.replace(/ \/\*.*\*\/$/, '')}`));
    expect(seen).toContain('init_pmd: __pmd_populate(pmdp, pte_phys, PMD_TYPE_TABLE)');
    expect(seen).toContain('alloc_init_pud: __pud_populate(pudp, pmd_phys, PUD_TYPE_TABLE)');
  });
});

describe("v5.2's try_purge_vmap_area_lazy() takes vmap_purge_lock with mutex_trylock()", () => {
  it('skips the purge when another CPU holds the lock, and purges when it is free', () => {
    const { sim } = buildSim(parseScenario(findPreset('thread-race')!.doc), findStrategy('upstream'), { mode: 'random', seed: 1 });
    sim.actors.length = 0;
    const holder = sim.addActor('purger', 0, 'vmalloc', 'x', function* (_s, a) {
      yield a.lockOp(OP_LOCK, 'test', 'mutex_lock(&vmap_purge_lock)', LOCK_VMAP_PURGE);
      yield a.work('test', 'purging', 10);
      yield a.lockOp(OP_UNLOCK, 'test', 'mutex_unlock(&vmap_purge_lock)', LOCK_VMAP_PURGE);
    });
    const late = sim.addActor('late', 1, 'vmalloc', 'x', (s, a) => purge_vmap_area_lazy(s, a));
    sim.step(holder.index); // the purger holds the lock
    sim.step(late.index); // mutex_trylock() fails
    expect(late.done).toBe(true);
    expect(sim.traceStep(1)).toMatchObject({ actor: 'late', function: 'try_purge_vmap_area_lazy', action: 'mutex_trylock(&vmap_purge_lock)' });
    expect(sim.locks.holder[LOCK_VMAP_PURGE]).toBe(holder.index);
    while (!holder.done) sim.step(holder.index);
    const again = sim.addActor('again', 1, 'vmalloc', 'x', (s, a) => purge_vmap_area_lazy(s, a));
    const before = sim.steps;
    while (!again.done) sim.step(again.index);
    const fns = Array.from({ length: sim.steps - before }, (_, k) => sim.traceStep(before + k).function);
    expect(fns).toContain('__purge_vmap_area_lazy');
    expect(sim.locks.holder[LOCK_VMAP_PURGE]).toBe(-1);
  });
});

describe('cost defaults', () => {
  it('the percpu rwsem reader fast path is an assumption, not a citation', () => {
    expect(COST_DEFAULTS.percpuReadFast.source).toBe('assumed');
  });
});
