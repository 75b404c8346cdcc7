/**
 * Compare's verdict row: each strategy's safety on the safety presets, from
 * the saved runs (explore complete -> proved safe, explore bounded ->
 * bounded, random runs without violation -> no violation in N runs, any
 * violation -> violation with its kinds and a trace to open), only from runs
 * of the preset as it is and of the strategy as asked; and the safety check,
 * which explores the unknown cells (random seeds where the search cannot
 * complete) as one job whose saved runs the verdicts then find.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { findPreset, PRESETS, SAFETY_PRESETS } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { runScenario } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, type Strategy } from '../../core/strategies.ts';
import type { JobInfo, JobLane, LabEvent } from '../../electron/lab/api.ts';
import { laneKeyOf, Safety, startSafetyJob } from '../../electron/lab/safety.ts';
import { tempLab } from '../helpers/temp-lab.ts';

const { db, lab } = tempLab('ptlab-safety-');

function saveRandom(preset: string, strategy: Strategy, seed: number, opts: { doc?: unknown; knobs?: object | null; sets?: string[] } = {}): string {
  const doc = opts.doc ?? findPreset(preset)!.doc;
  console.log(`${preset} ${strategy.id} random seed ${seed}`);
  const run: RunResult = { ...runScenario(parseScenario(doc), strategy, { mode: 'random', seed }).result, scenario: preset, config: doc };
  return db.saveRunResult(run, { version: 'test', strategyKnobs: opts.knobs === undefined ? strategy.knobs : opts.knobs, sets: opts.sets });
}

/** Start a job and collect its events up to job-finished. */
async function finished(start: () => Promise<JobInfo>): Promise<LabEvent[]> {
  const got: LabEvent[] = [];
  let id: string | null = null;
  const early: LabEvent[] = [];
  return new Promise((resolve) => {
    const off = lab.onEvent((e) => {
      if (id === null) return void early.push(e);
      if (e.jobId !== id) return;
      got.push(e);
      if (e.type === 'job-finished') {
        off();
        resolve(got);
      }
    });
    void start().then((j) => {
      id = j.jobId;
      for (const e of early) {
        if (e.jobId !== id) continue;
        got.push(e);
        if (e.type === 'job-finished') {
          off();
          resolve(got);
        }
      }
    });
  });
}

describe('the safety presets', () => {
  it('are the presets that say how to check them: thread-race, section-tlb, ptdump-race, ptdump-check-wx, online-new-node', () => {
    expect(SAFETY_PRESETS.map((p) => p.name)).toEqual(['thread-race', 'section-tlb', 'ptdump-race', 'ptdump-check-wx', 'online-new-node']);
    expect(PRESETS.filter((p) => !p.safety).map((p) => p.name)).toEqual(['head-to-head', 'scaling', 'large']);
  });
});

describe('safety(): verdicts from saved runs', () => {
  beforeAll(async () => {
    // upstream: explored to completion on thread-race; random on section-tlb; a bounded explore on ptdump-race.
    await finished(() => lab.startExplore({ scenario: { preset: 'thread-race' }, strategies: ['upstream'] }));
    for (let seed = 1; seed <= 3; seed++) saveRandom('section-tlb', findStrategy('upstream'), seed);
    await finished(() => lab.startExplore({ scenario: { preset: 'ptdump-race' }, strategies: ['upstream'], maxSchedules: 1 }));
    // v5-reviewed: violating random runs on thread-race (seed 3 and 1), one random run without violation.
    saveRandom('thread-race', findStrategy('v5-reviewed'), 3);
    saveRandom('thread-race', findStrategy('v5-reviewed'), 1);
    // Runs that must not count: a modified thread-race, --set, and v5-reviewed's id with other knobs.
    saveRandom('thread-race', findStrategy('opt1'), 1, { doc: { ...findPreset('thread-race')!.doc, run: { durationNs: 1e9, maxSteps: 150_000 } } });
    saveRandom('section-tlb', findStrategy('v5'), 1, { sets: ['tlb.entries=8'] });
    const noWalk = defineStrategy({ id: 'no-walk', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } });
    saveRandom('ptdump-race', { ...noWalk, id: 'v5-reviewed' }, 1, { knobs: noWalk.knobs });
  }, 120_000);

  it('gives each verdict in words that say what backs it', async () => {
    const v = await lab.safety({ strategies: ['upstream', 'v5-reviewed'], scenarios: ['thread-race', 'section-tlb', 'ptdump-race', 'online-new-node'] });
    const cell = (s: string, p: string) => v.find((x) => x.strategy === s && x.scenario === p)!;
    expect(v).toHaveLength(8);
    expect(cell('upstream', 'thread-race')).toMatchObject({ verdict: 'proved-safe', backing: 'proved safe (explore, complete, on thread-race)', trace: null, complete: true, violatingRuns: 0 });
    expect(cell('upstream', 'thread-race').schedules).toBeGreaterThan(0);
    expect(cell('upstream', 'section-tlb')).toMatchObject({ verdict: 'no-violation', backing: 'no violation in 3 runs (random) on section-tlb', runs: 3, sampledRuns: 3, violatingRuns: 0, schedules: 0, complete: false });
    expect(cell('upstream', 'section-tlb').runIds).toHaveLength(3);
    expect(cell('upstream', 'ptdump-race')).toMatchObject({ verdict: 'bounded' });
    expect(cell('upstream', 'ptdump-race').backing).toMatch(/^bounded \(explore: no violation in 1 schedule, within 1 schedules, on ptdump-race\)$/);
    expect(cell('upstream', 'online-new-node')).toMatchObject({ verdict: 'unknown', backing: 'not checked on online-new-node', runIds: [] });
    const race = cell('v5-reviewed', 'thread-race');
    expect(race.verdict).toBe('violation');
    // The numbers behind the words: as many violating runs as the backing says.
    const m = /; (\d+) of (\d+) runs\)$/.exec(race.backing);
    if (m) expect([race.violatingRuns, race.runs]).toEqual([Number(m[1]), Number(m[2])]);
    else expect(race.violatingRuns).toBe(1);
    expect(race.backing).toMatch(/^violation \(uaf-table-write ×\d, uaf-table-read ×\d, lost-mapping ×\d(; 2 of 2 runs)?\)$/);
    expect(race.kinds['uaf-table-write']).toBeGreaterThanOrEqual(1);
    // The run saved as v5-reviewed with other knobs does not make v5-reviewed's ptdump-race verdict.
    expect(cell('v5-reviewed', 'ptdump-race').verdict).toBe('unknown');
    // Nor do runs of a modified thread-race (its only run) or runs with --set.
    const [opt1] = await lab.safety({ strategies: ['opt1'], scenarios: ['thread-race'] });
    expect(opt1.verdict).toBe('unknown');
    const [v5] = await lab.safety({ strategies: ['v5'], scenarios: ['section-tlb'] });
    expect(v5.verdict).toBe('unknown');
  });

  it("links a violation to a trace that opens and reproduces", async () => {
    const [race] = await lab.safety({ strategies: ['v5-reviewed'], scenarios: ['thread-race'] });
    expect(race.trace).not.toBeNull();
    const info = await lab.openTrace(race.trace!);
    expect(info.reproduced).toBe(true);
    expect(race.kinds[info.violation!.kind]).toBeGreaterThanOrEqual(1);
    expect(info.violation!.keySteps!.length).toBeGreaterThan(0);
    await lab.closeTrace(info.traceId);
  });

  it('finds a variant by its knobs, whatever id a run recorded', async () => {
    saveRandom('ptdump-race', defineStrategy({ id: 'no-walk', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } }), 2);
    const [v] = await lab.safety({ strategies: [{ def: { id: 'no-walk', base: 'v5-reviewed', knobs: { walkCacheTlbi: false } } }], scenarios: ['ptdump-race'] });
    expect(v).toMatchObject({ strategy: 'no-walk', verdict: 'no-violation', backing: 'no violation in 1 run (random) on ptdump-race' });
    const [other] = await lab.safety({ strategies: [{ def: { id: 'no-walk', base: 'v5-reviewed', knobs: { walkCacheTlbi: false, freeTables: 'never' } } }], scenarios: ['ptdump-race'] });
    expect(other.verdict).toBe('unknown');
  });

  it('asks about every safety preset by default, and refuses an unknown one in one line', async () => {
    expect((await lab.safety({ strategies: ['opt3'] })).map((v) => v.scenario)).toEqual(SAFETY_PRESETS.map((p) => p.name));
    await expect(lab.safety({ strategies: ['opt3'], scenarios: ['nope'] })).rejects.toThrow(/^scenarios\[0\]: unknown preset 'nope'/);
  });
});

describe('startSafetyCheck()', () => {
  it('explores the unknown cells as one job, saves the runs, and the verdicts then find them', async () => {
    saveRandom('section-tlb', findStrategy('opt3'), 1);
    const before = await lab.safety({ strategies: ['opt3'], scenarios: ['section-tlb', 'online-new-node'] });
    expect(before.map((v) => v.verdict)).toEqual(['no-violation', 'unknown']);
    const ev = await finished(() => lab.startSafetyCheck({ strategies: ['opt3'], scenarios: ['section-tlb', 'online-new-node'] }));
    const started = ev[0];
    if (started.type !== 'job-started') throw new Error('no job-started');
    expect(started.job.lanes.map((l) => l.key)).toEqual([laneKeyOf('opt3', 'online-new-node')]);
    expect(ev.some((e) => e.type === 'job-explore')).toBe(true);
    const after = await lab.safety({ strategies: ['opt3'], scenarios: ['section-tlb', 'online-new-node'] });
    expect(after.map((v) => v.verdict)).toEqual(['no-violation', 'proved-safe']);
    expect(after[1].backing).toBe('proved safe (explore, complete, on online-new-node)');
    expect((await lab.getRun(after[1].runIds[0])).tags).toContain('safety-check');
  }, 120_000);

  it('runs the preset\'s random seeds where the search does not complete within its time', () => {
    const safety = new Safety({ db, savedStrategy: () => null });
    const calls: string[] = [];
    const lanes = new Map<string, JobLane>();
    const bounded = (id: string): RunResult => ({ id, scenario: 'ptdump-check-wx', strategy: 'x', mode: 'explore', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics: { 'explore.complete': 0 } });
    const strategy = { def: { id: 'upstream-2025', base: 'upstream', knobs: { ptdumpGuard: 'ptdump_walk_pgd' } } };
    let work: (() => Promise<unknown>) | null = null;
    const info = startSafetyJob<'job'>(safety, { strategies: [strategy], scenarios: ['ptdump-check-wx'] }, {
      version: 'test',
      newJob: (title, ls) => {
        for (const l of ls) lanes.set(l.key, l);
        calls.push(`job: ${title}`);
        return 'job';
      },
      info: () => ({ jobId: 'j', kind: 'explore', state: 'running', title: '', startedAt: '', lanes: [...lanes.values()] }),
      aborted: () => false,
      track: (_job, w) => {
        work = w;
      },
      lane: (_job, key) => lanes.get(key)!,
      explore: async (_job, key, _sc, _doc, s, r) => {
        calls.push(`explore ${key} ${s.id} ${r.timeLimitS} s`);
        return bounded('e1');
      },
      random: async (_job, key, _doc, _sc, s, seeds) => {
        calls.push(`random ${key} ${s.id} x${seeds}`);
        return [bounded('r1')];
      },
      recordKnobs: (id, s) => calls.push(`knobs ${id} ${s.id}`),
    });
    expect(info.lanes.map((l) => l.key)).toEqual(['upstream-2025 on ptdump-check-wx']);
    return (work as unknown as () => Promise<unknown>)().then(() => {
      const plan = findPreset('ptdump-check-wx')!.safety!;
      expect(calls.slice(1)).toEqual([
        `explore upstream-2025 on ptdump-check-wx upstream-2025 ${plan.timeLimitS} s`,
        'knobs e1 upstream-2025',
        `random upstream-2025 on ptdump-check-wx upstream-2025 x${plan.randomSeeds}`,
        'knobs r1 upstream-2025',
      ]);
      expect(lanes.get('upstream-2025 on ptdump-check-wx')!.runs).toBe(1 + plan.randomSeeds);
    });
  });
});
