/**
 * The Trace viewer's part of the lab API: openTrace replays a saved run's
 * violation (or a trace document, or an explore counterexample) with its
 * whole log and says whether it reproduces exactly as `replay` does;
 * traceSteps pages the log; traceState shows the machine after any step
 * (the freed PUD table of thread-race, the stale pointer of the vmalloc
 * that writes into it, what each step changed); a ~100,000-step trace opens
 * and pages; a few traces stay open, least recently used out first.
 * Timings are printed, never asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../core/explore/index.ts';
import { findPreset } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { buildSim, runScenario } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { OP_ALLOC_BLOCK, OP_ALLOC_PAGE, OP_FREE, OP_TLBI_ALL, OP_TLBI_PGTABLE, OP_TLBI_RANGE, OP_WRITE, OP_XCHG } from '../../core/machine/ops.ts';
import { defineStrategy, findStrategy, type Strategy } from '../../core/strategies.ts';
import type { MachineState, TableNode, TraceInfo } from '../../electron/lab/api.ts';
import { MAX_OPEN_TRACES } from '../../electron/lab/traces.ts';
import { tempLab } from '../helpers/temp-lab.ts';

const { db, lab } = tempLab('ptlab-traces-');

const THREAD_RACE = findPreset('thread-race')!.doc;
const V5_REVIEWED = findStrategy('v5-reviewed');

/** Run a scenario document in random mode and save it as the app would (config and the strategy's knobs). */
function saveRandomRun(doc: unknown, strategy: Strategy, seed: number): { id: string; run: RunResult } {
  console.log(`${(doc as { name: string }).name} ${strategy.id} random seed ${seed}`);
  const run = { ...runScenario(parseScenario(doc), strategy, { mode: 'random', seed }).result, config: doc };
  const id = db.saveRunResult(run, { version: 'test', strategyKnobs: strategy.knobs });
  return { id, run };
}

/** Every table node of a state's tree and its detached list. */
function nodes(st: MachineState): TableNode[] {
  const out: TableNode[] = [];
  const visit = (n: TableNode): void => {
    out.push(n);
    for (const e of n.entries) if (e.child) visit(e.child);
  };
  visit(st.root);
  for (const d of st.detached) visit(d);
  return out;
}

describe('the thread-race counterexample (v5-reviewed, seed 3) at any step', () => {
  let info: TraceInfo;
  let saved: { id: string; run: RunResult };
  let index: number;
  beforeAll(async () => {
    saved = saveRandomRun(THREAD_RACE, V5_REVIEWED, 3);
    index = saved.run.violations.findIndex((v) => v.kind === 'uaf-table-write');
    info = await lab.openTrace({ runId: saved.id, violation: index });
  });

  it('opens the run: reproduced as replay says, its violation with narrative, lanes, links to the v6.9 source', async () => {
    const replay = await lab.replay({ runId: saved.id, violation: index });
    expect(info.reproduced).toBe(true);
    expect(info.reproduced).toBe(replay.reproduced);
    expect(info.replaySummary).toBe(replay.summary);
    expect(info.violation?.kind).toBe('uaf-table-write');
    expect(info.violation?.narrative).toContain('hotremove cleared the PGD entry');
    expect(info.totalSteps).toBe(info.violation!.step + 1);
    expect(info.actors.map((a) => a.name)).toEqual(['hotremove', 'vmalloc#1', 'vmalloc#2']);
    expect(info.sourceBase).toBe('https://elixir.bootlin.com/linux/v6.9/source');
    expect(info.functionFiles).toMatchObject({ free_empty_pud_table: 'arch/arm64/mm/mmu.c', vmap_page_range: 'mm/vmalloc.c', __pmd_alloc: 'mm/memory.c' });
  });

  it('pages the whole log, with the key steps marked', async () => {
    const all = await lab.traceSteps(info.traceId, 0, 100_000);
    expect(all.map((t) => t.step)).toEqual(Array.from({ length: info.totalSteps }, (_, i) => i));
    const page = await lab.traceSteps(info.traceId, 1000, 10);
    expect(page.map((t) => t.step)).toEqual(Array.from({ length: 10 }, (_, i) => 1000 + i));
    for (const k of info.violation!.keySteps!) expect(all[k.step].key?.role, `step ${k.step}`).toBe(k.role);
  });

  it('at the free step: the freed PUD table is listed detached and marked freed, and vmalloc#2 holds a stale pointer to it', async () => {
    const free = info.violation!.keySteps!.find((k) => k.role === 'freed')!;
    const before = await lab.traceState(info.traceId, free.step - 1);
    const st = await lab.traceState(info.traceId, free.step);
    const page = st.detached.find((n) => n.level === 'pud');
    expect(page?.state).toBe('freed');
    expect(page?.changedAt).toBe(free.step);
    const pfn = page!.pfn;
    expect(st.changes).toContain(`freed PUD table pfn 0x${pfn.toString(16)} (generation ${page!.generation})`);
    const v2 = st.actors.find((a) => a.name === 'vmalloc#2')!;
    expect(v2.pointer).toMatchObject({ pfn, generation: page!.generation, stale: true });
    // One step earlier the table is not yet freed, and the pointer not yet stale.
    expect(before.actors.find((a) => a.name === 'vmalloc#2')!.pointer?.stale).toBe(false);
    expect(nodes(before).filter((n) => n.pfn === pfn).every((n) => n.state === 'live')).toBe(true);
  });

  it('after the clear: the PGD entry on the path reads none, was the freed PUD table, cleared at the key step (a link back to it)', async () => {
    const cleared = info.violation!.keySteps!.find((k) => k.role === 'cleared')!;
    const free = info.violation!.keySteps!.find((k) => k.role === 'freed')!;
    const st = await lab.traceState(info.traceId, free.step);
    const pud = st.detached.find((n) => n.level === 'pud')!;
    const e = st.root.entries.find((x) => x.kind === 'none');
    expect(e, 'a cleared PGD entry on the path').toBeDefined();
    expect(e!.was).toEqual({ kind: 'table', pfn: pud.pfn });
    expect(e!.clearedAt).toBe(cleared.step);
    // Before the clear the same index holds the table, live.
    const before = await lab.traceState(info.traceId, cleared.step - 1);
    expect(before.root.entries.find((x) => x.index === e!.index)).toMatchObject({ kind: 'table', pfn: pud.pfn, dangling: false });
    // Omitted counts only live entries: the none entry is not among them.
    expect(st.root.omitted).toBe(before.root.omitted);
  });

  it('at the write step: the entry written into the freed table, and hot-remove done', async () => {
    const write = info.violation!.keySteps!.find((k) => k.role === 'stale-use')!;
    const st = await lab.traceState(info.traceId, write.step);
    const page = st.detached.find((n) => n.level === 'pud' && n.state === 'freed')!;
    const e = page.entries.find((x) => x.kind === 'table' && x.child);
    expect(e).toBeDefined();
    expect(e!.va).toBe(info.violation!.address);
    expect(st.changes).toEqual([`PUD table pfn 0x${page.pfn.toString(16)} [0x${e!.index.toString(16)}] (${info.violation!.address}): none -> table pfn 0x${e!.pfn.toString(16)}`]);
    expect(st.actors.find((a) => a.name === 'hotremove')!.done).toBe(true);
    expect(st.locks.find((l) => l.name === 'init_mm.page_table_lock')!.holder).toBe('vmalloc#2');
  });

  it("each step's changes are what that step did (checked against a machine stepped alongside)", async () => {
    const sc = parseScenario(THREAD_RACE);
    const sim = buildSim(sc, V5_REVIEWED, { mode: 'replay', seed: 3 }).sim;
    for (let s = 0; s < info.totalSteps; s++) {
      const a = sim.actors[saved.run.schedule![s]];
      const { op, frame: f, entry: idx } = a;
      const old = op === OP_WRITE || op === OP_XCHG ? `${sim.mem.kind(f, idx)}/${sim.mem.val(f, idx)}` : '';
      const wasFree = op === OP_FREE ? sim.mem.state[f] === 0 : false;
      sim.step(saved.run.schedule![s]);
      const changes = (await lab.traceState(info.traceId, s)).changes;
      const line = `step ${s} ${a.name} ${a.fn}`;
      if ((op === OP_WRITE || op === OP_XCHG) && `${sim.mem.kind(f, idx)}/${sim.mem.val(f, idx)}` !== old) {
        expect(changes.some((c) => c.includes(`[0x${idx.toString(16)}]`)), line).toBe(true);
      }
      if (op === OP_FREE && !wasFree) expect(changes.some((c) => c.startsWith('freed ') && c.includes(`pfn 0x${sim.mem.pfnOf(f).toString(16)} `)), line).toBe(true);
      if (op === OP_ALLOC_PAGE || op === OP_ALLOC_BLOCK) {
        if (a.resultFrame >= 0) expect(changes.some((c) => c.startsWith(`allocated pfn 0x${sim.mem.pfnOf(a.resultFrame).toString(16)} `)), line).toBe(true);
      }
      if (op === OP_TLBI_RANGE || op === OP_TLBI_PGTABLE || op === OP_TLBI_ALL) expect(changes.some((c) => c.startsWith('TLBI ')), line).toBe(true);
    }
  });

  it('answers the same at a step whatever was asked before (forward, back, jump)', async () => {
    const n = info.violation!.keySteps![1].step;
    const first = await lab.traceState(info.traceId, n);
    await lab.traceState(info.traceId, info.totalSteps - 1);
    await lab.traceState(info.traceId, -1);
    expect(await lab.traceState(info.traceId, n)).toEqual(first);
  });

  it('refuses a step outside the trace and an unknown trace id in one line', async () => {
    await expect(lab.traceState(info.traceId, info.totalSteps)).rejects.toThrow(/^step: expected -1\.\.\d+/);
    await expect(lab.traceSteps('nope', 0, 10)).rejects.toThrow(/no open trace nope/);
    await expect(lab.openTrace({ runId: saved.id, violation: 99 })).rejects.toThrow(/has \d+ recorded violation/);
  });
});

describe('other sources', () => {
  it("opens explore's counterexample (the job-explore document with its config): lost-mapping, reproduced, hot-remove's steps in the lanes", async () => {
    const r = explore(parseScenario(THREAD_RACE), V5_REVIEWED, { now: () => performance.now(), kinds: ['lost-mapping'] });
    const info = await lab.openTrace({ trace: { ...r, config: THREAD_RACE } });
    expect(info.reproduced).toBe(true);
    expect(info.violation?.kind).toBe('lost-mapping');
    expect(new Set(info.violation!.keySteps!.map((k) => k.actor))).toEqual(new Set(['hotremove', 'vmalloc#1']));
    // Lost when the run ended: the trace is the whole run.
    expect(info.totalSteps).toBe(r.counterexample!.schedule.length);
    const st = await lab.traceState(info.traceId, info.totalSteps - 1);
    expect(st.detached.some((n) => n.level === 'pud' && (n.state === 'freed' || n.state === 'reused'))).toBe(true);
    await lab.closeTrace(info.traceId);
  });

  it('a trace document that no longer reproduces says so, as replay words it', async () => {
    const r = runScenario(parseScenario(THREAD_RACE), V5_REVIEWED, { mode: 'random', seed: 3 }).result;
    const doc = { schema: 'ptlab.trace/1', scenario: THREAD_RACE, strategy: { id: 'v5-reviewed', knobs: V5_REVIEWED.knobs }, seed: 3, schedule: r.schedule, expect: { kind: 'uaf-table-write', step: 5 } };
    const info = await lab.openTrace({ trace: doc });
    const replay = await lab.replay({ trace: doc });
    expect(info.reproduced).toBe(false);
    expect(info.replaySummary).toBe(replay.summary);
    await lab.closeTrace(info.traceId);
  });

  it('a timed run has no schedule to open: says how to get a trace', async () => {
    const run = { ...runScenario(parseScenario(THREAD_RACE), V5_REVIEWED, { mode: 'random', seed: 3 }).result, mode: 'timed' as const, schedule: undefined, config: THREAD_RACE };
    const id = db.saveRunResult(run, { version: 'test' });
    await expect(lab.openTrace({ runId: id, violation: 0 })).rejects.toThrow(/no recorded schedule \(a timed run: timed runs replay from their seed/);
  });
});

describe('a deadlock (online-new-node, opt2, seed 1) at its last step', () => {
  it('shows the lock held by the onliner, kthreadd waiting for it, and both actors stuck on their next step', async () => {
    const { id, run } = saveRandomRun(findPreset('online-new-node')!.doc, findStrategy('opt2'), 1);
    const info = await lab.openTrace({ runId: id, violation: run.violations.findIndex((v) => v.kind === 'deadlock') });
    expect(info.reproduced).toBe(true);
    const st = await lab.traceState(info.traceId, info.totalSteps - 1);
    expect(st.locks.find((l) => l.name === 'mem_hotplug_lock')).toMatchObject({ holder: 'online', writer: 'online', waiters: ['kthreadd'] });
    const online = st.actors.find((a) => a.name === 'online')!;
    const kthreadd = st.actors.find((a) => a.name === 'kthreadd')!;
    expect(online).toMatchObject({ done: false, next: { action: 'wait_for_completion_killable(&done)' } });
    expect(kthreadd).toMatchObject({ done: false, next: { action: 'get_online_mems() /* Option 2 */' } });
    await lab.closeTrace(info.traceId);
  });
});

describe('a ~100,000-step trace', () => {
  it('opens, pages and answers any step (timings printed)', async () => {
    // A CPU touches a page-mapped 128 MiB section, which is then removed without the walk-cache TLBI: the stale walk cache shows after ~100,000 steps.
    const doc = {
      name: 'touch-then-remove-pages',
      arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
      memory: { boot: [{ start: '0x80000000', size: '2G' }], hotplug: [{ start: '0x140000000', size: '128M', initial: 'online' }] },
      actors: [
        { kind: 'access', targets: 'hotplug', repeats: 1 },
        { kind: 'hotremove', range: { start: '0x140000000', size: '128M' }, linear: true, offline: false, deviceLock: true },
      ],
    };
    const noWalk = defineStrategy({ id: 'no-walk-tlbi', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } });
    const { id, run } = saveRandomRun(doc, noWalk, 1);
    const index = run.violations.findIndex((v) => v.kind === 'stale-walk-cache');
    let t0 = performance.now();
    const info = await lab.openTrace({ runId: id, violation: index });
    const openMs = performance.now() - t0;
    expect(info.reproduced).toBe(true);
    expect(info.totalSteps).toBeGreaterThan(99_000);
    t0 = performance.now();
    const page = await lab.traceSteps(info.traceId, info.totalSteps - 500, 1000);
    const pageMs = performance.now() - t0;
    expect(page).toHaveLength(500);
    expect(page[499].step).toBe(info.totalSteps - 1);
    t0 = performance.now();
    const last = await lab.traceState(info.traceId, info.totalSteps - 1);
    const jumpMs = performance.now() - t0;
    t0 = performance.now();
    const back = await lab.traceState(info.traceId, info.totalSteps - 2);
    const backMs = performance.now() - t0;
    t0 = performance.now();
    await lab.traceState(info.traceId, 10);
    const startMs = performance.now() - t0;
    console.log(`[traces] ${info.totalSteps} steps: open ${openMs.toFixed(0)} ms, page of 500 ${pageMs.toFixed(1)} ms, state at the end ${jumpMs.toFixed(1)} ms, one back ${backMs.toFixed(1)} ms, jump to 10 ${startMs.toFixed(1)} ms`);
    // The freed PTE table the walk cache still points to.
    const cpu0 = last.cpus.find((c) => c.cpu === 0)!;
    expect(cpu0.walk.some((w) => w.stale)).toBe(true);
    expect(back.cpus.find((c) => c.cpu === 0)!.walk.some((w) => w.stale)).toBe(false);
  });
});

describe('open traces are kept a few at a time', () => {
  it(`keeps the ${MAX_OPEN_TRACES} most recently used; closeTrace frees one`, async () => {
    const { id, run } = saveRandomRun(THREAD_RACE, V5_REVIEWED, 3);
    const opened: string[] = [];
    for (let i = 0; i <= MAX_OPEN_TRACES; i++) opened.push((await lab.openTrace({ runId: id, violation: i % run.violations.length })).traceId);
    await expect(lab.traceSteps(opened[0], 0, 1)).rejects.toThrow(/no open trace/);
    await lab.traceSteps(opened[1], 0, 1);
    await lab.closeTrace(opened[2]);
    await expect(lab.traceState(opened[2], 0)).rejects.toThrow(/no open trace/);
    expect((await lab.traceState(opened[1], 0)).step).toBe(0);
  });
});
