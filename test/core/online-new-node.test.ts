/**
 * Option 2's deadlock (DOMAIN §9): onlining a node's first memory holds
 * mem_hotplug_lock for write while kswapd_run()/kcompactd_run() wait for
 * kthreadd, whose vmalloc of the new thread's stack (CONFIG_VMAP_STACK) takes
 * get_online_mems() under Option 2. The waits-for graph has the completion
 * edge (onliner -> kthreadd) besides the lock edge (kthreadd -> onliner).
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../core/explore/index.ts';
import { findPreset } from '../../core/presets.ts';
import { buildSim, runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { RandomScheduler } from '../../core/run/schedulers/index.ts';
import { findStrategy, STRATEGIES } from '../../core/strategies.ts';

const now = (): number => performance.now();
const sc = parseScenario(findPreset('online-new-node')!.doc);
const SEEDS = 20;

describe(`online-new-node, random mode, seeds 1..${SEEDS}`, () => {
  it('opt2 deadlocks in every run: the onliner waits for kthreadd, kthreadd for the onliner\'s mem_hotplug_lock', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runScenario(sc, findStrategy('opt2'), { mode: 'random', seed }).result;
      expect(r.violationCounts, `seed ${seed}`).toEqual({ deadlock: 1 });
      const v = r.violations[0];
      expect(v.message).toContain('online in __kthread_create_on_node waits for completion create->done of online, which kthreadd completes');
      expect(v.message).toContain('kthreadd in __vmalloc_node_range waits to take mem_hotplug_lock for read, held for write by online');
      const lines = v.trace.map((t) => `${t.actor} ${t.function} ${t.action}`);
      // Both actors, the functions that make the cycle, and each one's blocked step last.
      for (const want of ['online kswapd_run kthread_run(kswapd', 'online __kthread_create_on_node list_add_tail', 'kthreadd alloc_thread_stack_node __vmalloc_node_range', 'online __kthread_create_on_node wait_for_completion_killable(&done)', 'kthreadd __vmalloc_node_range get_online_mems()']) {
        expect(lines.some((l) => l.startsWith(want)), `${want} in the trace (seed ${seed})`).toBe(true);
      }
      expect(v.trace.find((t) => t.actor === 'online' && t.function === 'online_pages')!.locks).toContain('mem_hotplug_lock');
      if (seed === 1) console.log(`opt2 seed 1: ${v.message}`);
    }
  });

  it('no other strategy deadlocks; Option 1 sleeps in atomic context instead (the stack allocation under init_mm ptl)', () => {
    for (const s of STRATEGIES) {
      if (s.id === 'opt2') continue;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = runScenario(sc, s, { mode: 'random', seed }).result;
        expect(Object.keys(r.violationCounts), `${s.id} seed ${seed}`).toEqual(s.id === 'opt1' ? ['sleep-in-atomic'] : []);
        // Both threads were created: two stacks vmalloc'ed, the memory online.
        expect(r.metrics['vmalloc.ops'], `${s.id} seed ${seed}`).toBe(2);
        expect(r.metrics['hotadd.ops'], `${s.id} seed ${seed}`).toBe(1);
      }
    }
  });

  it('onlining memory of a node that already has some (node 0) starts no thread, so even opt2 is fine', () => {
    const node0 = parseScenario(applyOverride(findPreset('online-new-node')!.doc, 'memory.hotplug[0].node=0'));
    for (let seed = 1; seed <= 5; seed++) {
      const r = runScenario(node0, findStrategy('opt2'), { mode: 'random', seed }).result;
      expect(r.violationCounts).toEqual({});
      expect(r.metrics['vmalloc.ops']).toBe(0);
    }
  });
});

describe('online-new-node, other modes', () => {
  it('explore: opt2 deadlocks, upstream is safe (complete search)', () => {
    const o2 = explore(sc, findStrategy('opt2'), { now });
    expect(o2.verdict).toBe('violation');
    expect(o2.counterexample!.kind).toBe('deadlock');
    expect(o2.counterexample!.message).toContain('kthreadd in __vmalloc_node_range waits to take mem_hotplug_lock');
    const up = explore(sc, findStrategy('upstream'), { now });
    console.log(`explore online-new-node: opt2 ${o2.verdict} (${o2.schedules} schedules), upstream ${up.verdict} complete=${up.complete} (${up.schedules} schedules)`);
    expect(up.verdict).toBe('safe');
    expect(up.complete).toBe(true);
  });

  it('timed: the deadlock is found too, and without Option 2 onlining takes a grace period plus the work', () => {
    expect(runScenario(sc, findStrategy('opt2'), { mode: 'timed', seed: 1 }).result.violationCounts).toEqual({ deadlock: 1 });
    const m = runScenario(sc, findStrategy('upstream'), { mode: 'timed', seed: 1 }).result.metrics;
    expect(m['hotadd.ops']).toBe(1);
    expect(m['hotadd.latency_ns.max']).toBeGreaterThan(8_000_000);
  });

  it('the waits-for graph closes the cycle through the completion edge', () => {
    const { sim } = buildSim(sc, findStrategy('opt2'), { mode: 'random', seed: 1 });
    sim.recordSchedule = false;
    // Run without cycle detection until nothing can run.
    const sched = new RandomScheduler(1, 0, 0, 0);
    const buf = new Int32Array(sim.actors.length);
    for (;;) {
      const n = sim.collectEnabled(buf);
      if (n === 0) break;
      sim.step(sched.pick(sim, buf, n));
    }
    const online = sim.actors.find((a) => a.name === 'online')!;
    const kthreadd = sim.actors.find((a) => a.name === 'kthreadd')!;
    expect(sim.waitsFor(online)).toEqual([kthreadd.index]);
    expect(sim.waitsFor(kthreadd)).toEqual([online.index]);
    expect(sim.waitCycle()!.map((a) => a.name).sort()).toEqual(['kthreadd', 'online']);
  });
});
