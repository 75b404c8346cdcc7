/**
 * The lab API (`Lab`) over a temporary database, as the app drives it: jobs
 * and their events, cancel, explore in its worker, history with undo,
 * experiments, saved strategy variants, the layout map, and argument checks.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../../core/strategies.ts';
import { LabDb } from '../../db/index.ts';
import type { ExperimentDoc, LabEvent } from '../../electron/lab/api.ts';
import { callLab, classifyFailure } from '../../electron/lab/dispatch.ts';
import { Lab } from '../../electron/lab/lab.ts';
import { tempLab } from '../helpers/temp-lab.ts';

const { db, lab } = tempLab('ptlab-lab-');

/** Every event of one job, up to and including job-finished; listens before the job starts. */
function eventsOf(start: (() => Promise<string>) | string): Promise<LabEvent[]> {
  const got: LabEvent[] = [];
  return new Promise((resolve) => {
    let id: string | null = null;
    const pending: LabEvent[] = [];
    const off = lab.onEvent((e) => {
      if (id === null) return void pending.push(e);
      if (e.jobId !== id) return;
      got.push(e);
      if (e.type === 'job-finished') {
        off();
        resolve(got);
      }
    });
    void (typeof start === 'string' ? Promise.resolve(start) : start()).then((j) => {
      id = j;
      for (const e of pending.splice(0)) {
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

/** The strategy of the reviewed two-pass teardown with no lock against vmalloc (the race of the thread). */
const raceStrategy = (STRATEGIES.find((s) => s.knobs.teardown === 'two-pass' && s.knobs.freeTables === 'all-empty' && s.knobs.vmallocGuard === 'none') ?? STRATEGIES[1]).id;
const safeStrategy = (STRATEGIES.find((s) => s.knobs.freeTables === 'floor-ceiling') ?? STRATEGIES[STRATEGIES.length - 1]).id;

describe('run jobs', () => {
  it('reports a run batch in order: started, violations before their run, one job-run per run, progress, finished with the results', async () => {
    const seeds = 3;
    console.log(`[lab] thread-race random seeds 1..${seeds}, all strategies`);
    const events = eventsOf(() => lab.startRun({ scenario: { preset: 'thread-race' }, mode: 'random', seeds, tags: ['t-order'] }).then((j) => j.jobId));
    const ev = await events;
    expect(ev[0].type).toBe('job-started');
    expect(ev[ev.length - 1].type).toBe('job-finished');
    const runs = ev.filter((e) => e.type === 'job-run');
    expect(runs).toHaveLength(STRATEGIES.length * seeds);
    expect(ev.some((e) => e.type === 'job-progress')).toBe(true);
    // Every run that found something announced its violations before the run itself.
    let violating = 0;
    for (const [i, e] of ev.entries()) {
      if (e.type !== 'job-run') continue;
      const kinds = Object.keys(e.run.violationCounts);
      if (kinds.length === 0) continue;
      violating++;
      const before = ev.slice(0, i).filter((x) => x.type === 'job-violation' && x.lane === e.lane && x.seed === e.run.seed);
      expect(before.length, `violations of ${e.lane} seed ${e.run.seed}`).toBeGreaterThan(0);
      for (const v of before) if (v.type === 'job-violation') expect(v.runId).toBe(e.run.id);
    }
    expect(violating, 'thread-race finds the race under some strategy').toBeGreaterThan(0);
    const fin = ev[ev.length - 1];
    if (fin.type !== 'job-finished') throw new Error('unreachable');
    expect(fin.job.state).toBe('completed');
    expect(fin.results?.runs).toHaveLength(STRATEGIES.length * seeds);
    for (const lane of fin.job.lanes) {
      expect(lane.done).toBe(seeds);
      expect(lane.runIds).toHaveLength(seeds);
      expect(lane.etaMs).toBe(0);
    }
    // They are saved and tagged.
    const page = await lab.listRuns({ tag: 't-order' });
    expect(page.total).toBe(STRATEGIES.length * seeds);
  });

  it('streams live series of a timed run and keeps the lanes of a sweep apart', async () => {
    const ev = await eventsOf(() =>
      lab.startRun({ scenario: { preset: 'scaling' }, sets: ['run.durationNs=2000000', 'sweep.vmallocThreads=[1,2]'], strategies: [safeStrategy], mode: 'timed', save: false }).then((j) => j.jobId),
    );
    const fin = ev[ev.length - 1];
    if (fin.type !== 'job-finished') throw new Error('no job-finished');
    expect(fin.job.lanes.map((l) => l.key)).toEqual([`${safeStrategy}@1`, `${safeStrategy}@2`]);
    expect(fin.job.lanes.map((l) => l.point)).toEqual([1, 2]);
    const series = ev.filter((e) => e.type === 'job-series');
    expect(series.length).toBeGreaterThan(0);
    const ops = series.filter((e) => e.type === 'job-series' && e.name === 'vmalloc.ops' && e.lane === `${safeStrategy}@2`);
    const xs = ops.flatMap((e) => (e.type === 'job-series' ? e.x : []));
    expect(xs.length).toBeGreaterThan(10);
    // Points arrive once each, in time order.
    expect([...xs].sort((a, b) => a - b)).toEqual(xs);
    expect(new Set(xs).size).toBe(xs.length);
  });

  it('getRun(id, {series: false}) reads a run without its series (Compare), the rest unchanged; over a transport too', async () => {
    console.log(`[lab] head-to-head timed 2 ms, ${safeStrategy}, seed 1`);
    const job = await lab.startRun({ scenario: { preset: 'head-to-head' }, sets: ['run.durationNs=2000000'], strategies: [safeStrategy], mode: 'timed', seed: 1, tags: ['t-light'] });
    const id = (await lab.finished(job.jobId)).results!.runs[0].id!;
    const full = await lab.getRun(id);
    expect(full.series.length).toBeGreaterThan(0);
    const light = await lab.getRun(id, { series: false });
    expect(light.series).toEqual([]);
    expect({ ...light, series: full.series }).toEqual(full);
    expect(((await callLab(lab, 'getRun', [id, { series: false }])) as { series: unknown[] }).series).toEqual([]);
    await expect(callLab(lab, 'getRun', [id, { series: 'no' }])).rejects.toThrow(/getRun: args\[1\]\.series/);
  });

  it('cancel saves the run in flight as cancelled and ends the job as cancelled', async () => {
    const strategy = STRATEGIES[0].id;
    const job = await lab.startRun({ scenario: { preset: 'head-to-head' }, strategies: [strategy], mode: 'timed', seeds: 3, tags: ['t-cancel'] });
    const events = eventsOf(job.jobId);
    // Cancel once the lane has an ETA from its own pace.
    const eta = await new Promise<number>((resolve) => {
      const off = lab.onEvent((e) => {
        if (e.jobId === job.jobId && e.type === 'job-progress' && (e.lanes[0].etaMs ?? 0) > 0) {
          off();
          resolve(e.lanes[0].etaMs!);
        }
      });
    });
    expect(Number.isFinite(eta)).toBe(true);
    expect(await lab.cancelJob(job.jobId)).toBe(true);
    const ev = await events;
    const fin = ev[ev.length - 1];
    if (fin.type !== 'job-finished') throw new Error('no job-finished');
    expect(fin.job.state).toBe('cancelled');
    const page = await lab.listRuns({ tag: 't-cancel' });
    expect(page.rows.map((r) => r.status)).toEqual(['cancelled']);
    expect(await lab.cancelJob(job.jobId)).toBe(false);
    expect((await lab.jobs()).find((j) => j.jobId === job.jobId)?.state).toBe('cancelled');
  });

  it('saves what each run was made from: knobs, --set overrides and (in process) the scenario file', async () => {
    const variant = { id: 'prov-variant', base: 'upstream', knobs: { walkCacheTlbi: false } };
    const job = await lab.startRun(
      { scenario: { preset: 'thread-race' }, sets: ['arch.vaBits=39'], strategies: ['upstream', { def: variant }], mode: 'random', seed: 1, seeds: 1 },
      { scenarioFile: '/tmp/my-race.json' },
    );
    const { results } = await lab.finished(job.jobId);
    const [builtin, mine] = await Promise.all(results!.runs.map((r) => lab.getRun(r.id!)));
    expect(builtin).toMatchObject({ strategy: 'upstream', strategyKnobs: STRATEGIES.find((x) => x.id === 'upstream')!.knobs, sets: ['arch.vaBits=39'], scenarioFile: '/tmp/my-race.json' });
    expect(mine).toMatchObject({ strategy: 'prov-variant', strategyKnobs: { walkCacheTlbi: false }, sets: ['arch.vaBits=39'] });
    // An app run (no local options) records no file: its document came over the wire.
    const app = await lab.startRun({ scenario: { preset: 'thread-race' }, strategies: ['upstream'], mode: 'random' });
    const appRun = await lab.getRun((await lab.finished(app.jobId)).results!.runs[0].id!);
    expect(appRun).toMatchObject({ strategyKnobs: STRATEGIES.find((x) => x.id === 'upstream')!.knobs, sets: [], scenarioFile: null });
  });

  it('an app request cannot claim a scenario file: a second argument over a transport is refused', async () => {
    await expect(callLab(lab, 'startRun', [{ scenario: { preset: 'thread-race' }, mode: 'random' }, { scenarioFile: '/etc/passwd' }])).rejects.toThrow(/startRun/);
    await expect(callLab(lab, 'startExplore', [{ scenario: { preset: 'thread-race' } }, { scenarioFile: '/etc/passwd' }])).rejects.toThrow(/startExplore/);
  });

  it('finished() of a job this session does not know is bad input', async () => {
    await expect(lab.finished('no-such-job')).rejects.toThrow(/no job no-such-job/);
  });

  it('refuses a bad request before starting a job', async () => {
    await expect(lab.startRun({ scenario: { preset: 'no-such' }, mode: 'random' })).rejects.toThrow(/unknown preset 'no-such'/);
    await expect(lab.startRun({ scenario: { preset: 'thread-race' }, sets: ['arch.vaBits=40'], mode: 'random' })).rejects.toThrow(/arch\.vaBits/);
    await expect(lab.startRun({ scenario: { preset: 'thread-race' }, strategies: ['nope'], mode: 'random' })).rejects.toThrow(/strategies\[0\]: unknown strategy 'nope'/);
    await expect(lab.startRun({ scenario: { preset: 'thread-race' }, mode: 'random', experimentId: 999 })).rejects.toThrow(/no experiment 999/);
  });
});

describe('explore jobs', () => {
  it('explores in a worker: live figures, the counterexample saved as an explore run that replays', async () => {
    const ev = await eventsOf(() => lab.startExplore({ scenario: { preset: 'thread-race' }, strategies: [raceStrategy], tags: ['t-explore'] }).then((j) => j.jobId));
    const ex = ev.find((e) => e.type === 'job-explore');
    if (!ex || ex.type !== 'job-explore') throw new Error('no job-explore event');
    expect(ex.result.verdict).toBe('violation');
    expect(ex.runId).toBeTruthy();
    const v = ev.find((e) => e.type === 'job-violation');
    expect(v && v.type === 'job-violation' ? v.violation.kind : null).toBe(ex.result.counterexample?.kind);
    const run = await lab.getRun(ex.runId!);
    expect(run.mode).toBe('explore');
    expect(run.status).toBe('completed');
    expect(run.violations).toHaveLength(1);
    expect(run.violations[0].trace.length).toBeGreaterThan(0);
    expect(run.schedule).toEqual(ex.result.counterexample?.schedule);
    expect(run.metrics['explore.schedules']).toBe(ex.result.schedules);
    const replay = await lab.replay({ runId: ex.runId! });
    expect(replay.reproduced, replay.summary).toBe(true);
    const fin = ev[ev.length - 1];
    expect(fin.type === 'job-finished' && fin.job.lanes[0].verdict).toBe('violation');
  });

  it('saves what each explore lane was made from: the strategy knobs and the --set overrides, like a CLI run', async () => {
    const variant = { id: 'prov-explore', base: safeStrategy, knobs: { walkCacheTlbi: false } };
    const sets = ['actors[1].ops=1'];
    console.log(`[lab] explore thread-race ${sets.join(' ')}: ${safeStrategy} and a variant of it, maxSchedules 200`);
    const job = await lab.startExplore({ scenario: { preset: 'thread-race' }, sets, strategies: [safeStrategy, { def: variant }], maxSchedules: 200, tags: ['t-prov-explore'] });
    await lab.finished(job.jobId);
    const rows = (await lab.listRuns({ tag: 't-prov-explore' })).rows;
    expect(rows).toHaveLength(2);
    const runs = await Promise.all(rows.map((r) => lab.getRun(r.id)));
    const builtin = runs.find((r) => r.strategy === safeStrategy);
    const mine = runs.find((r) => r.strategy === 'prov-explore');
    expect(builtin).toMatchObject({ mode: 'explore', strategyKnobs: STRATEGIES.find((x) => x.id === safeStrategy)!.knobs, sets, scenarioFile: null });
    expect(mine).toMatchObject({ mode: 'explore', strategyKnobs: { ...STRATEGIES.find((x) => x.id === safeStrategy)!.knobs, walkCacheTlbi: false }, sets });
  });

  it('reports schedules, states and rate while it searches, and honours maxSchedules', async () => {
    const sets = ['actors[1].ops=3', 'actors[1].vfree=true', 'vmallocThreads=3'];
    const ev = await eventsOf(() => lab.startExplore({ scenario: { preset: 'thread-race' }, sets, strategies: [safeStrategy], maxSchedules: 1500, save: false }).then((j) => j.jobId));
    const live = ev.flatMap((e) => (e.type === 'job-progress' ? [e.lanes[0].explore!] : [])).filter((x) => x.schedules > 0);
    expect(live.length).toBeGreaterThan(1);
    const last = live[live.length - 1];
    expect(last.states).toBeGreaterThan(0);
    expect(live.some((x) => x.rate > 0)).toBe(true);
    expect(live.some((x) => x.elapsedMs > 0)).toBe(true);
    const ex = ev.find((e) => e.type === 'job-explore');
    if (!ex || ex.type !== 'job-explore') throw new Error('no job-explore');
    expect(ex.result.schedules).toBe(1500);
    expect(ex.result.verdict).toBe('bounded-safe');
    expect(ex.runId).toBeNull();
  });

  it('cancel stops the search and saves it as a cancelled explore run', async () => {
    const sets = ['actors[1].ops=3', 'actors[1].vfree=true', 'vmallocThreads=3'];
    const job = await lab.startExplore({ scenario: { preset: 'thread-race' }, sets, strategies: [safeStrategy], tags: ['t-explore-cancel'] });
    const events = eventsOf(job.jobId);
    await new Promise<void>((resolve) => {
      const off = lab.onEvent((e) => {
        if (e.jobId === job.jobId && e.type === 'job-progress' && (e.lanes[0].explore?.schedules ?? 0) > 0) {
          off();
          resolve();
        }
      });
    });
    await lab.cancelJob(job.jobId);
    const ev = await events;
    const fin = ev[ev.length - 1];
    expect(fin.type === 'job-finished' && fin.job.state).toBe('cancelled');
    const page = await lab.listRuns({ tag: 't-explore-cancel' });
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].status).toBe('cancelled');
    expect(page.rows[0].mode).toBe('explore');
  });
});

describe('history', () => {
  it('undo of a delete restores the runs byte for byte (ids, tags, notes, series, violations, timestamps)', async () => {
    // A timed run (series) and random runs (violations, schedules), tagged and annotated.
    const a = await eventsOf(() => lab.startRun({ scenario: { preset: 'head-to-head' }, sets: ['run.durationNs=1000000'], strategies: [safeStrategy], mode: 'timed', tags: ['t-undo'] }).then((j) => j.jobId));
    const b = await eventsOf(() => lab.startRun({ scenario: { preset: 'thread-race' }, strategies: [raceStrategy], mode: 'random', seeds: 4, tags: ['t-undo'] }).then((j) => j.jobId));
    expect(a[a.length - 1].type).toBe('job-finished');
    expect(b[b.length - 1].type).toBe('job-finished');
    const before = await lab.listRuns({ tag: 't-undo' });
    expect(before.total).toBe(5);
    const ids = before.rows.map((r) => r.id);
    await lab.setNote(ids[0], 'keep this note');
    await lab.addTags([ids[1]], ['second-tag']);
    const full = await Promise.all(ids.map((id) => lab.getRun(id)));
    expect(full.some((r) => r.series.length > 0)).toBe(true);
    expect(full.some((r) => r.violations.length > 0)).toBe(true);
    const snapshot = JSON.stringify(full);

    const { deleted, undoToken } = await lab.deleteRuns(ids.map((id) => id.slice(0, 12)));
    expect(deleted).toBe(5);
    expect((await lab.listRuns({ tag: 't-undo' })).total).toBe(0);
    await expect(lab.getRun(ids[0])).rejects.toThrow(/no run/);

    expect(await lab.undoDelete(undoToken)).toEqual({ restored: 5 });
    const after = await Promise.all(ids.map((id) => lab.getRun(id)));
    expect(JSON.stringify(after)).toBe(snapshot);
    expect((await lab.listRuns({ tag: 't-undo' })).rows).toEqual(before.rows.map((r) => (r.id === ids[1] ? { ...r, tags: [...r.tags, 'second-tag'].sort() } : r)));
    await expect(lab.undoDelete(undoToken)).rejects.toThrow(/undo token/);
  });

  it('pages and sorts the library with a total', async () => {
    const all = await lab.listRuns({ tag: 't-order' });
    const page = await lab.listRuns({ tag: 't-order', sort: 'strategy', descending: false, limit: 4, offset: 2 });
    expect(page.total).toBe(all.total);
    const sorted = [...all.rows].sort((x, y) => (x.strategy < y.strategy ? -1 : x.strategy > y.strategy ? 1 : 0));
    expect(page.rows.map((r) => r.strategy)).toEqual(sorted.slice(2, 6).map((r) => r.strategy));
    const oldest = await lab.listRuns({ tag: 't-order', sort: 'startedAt', descending: false, limit: 2 });
    expect(oldest.rows.map((r) => r.id)).toEqual(all.rows.slice(-2).reverse().map((r) => r.id));
    // A sorted order is kept between pages, and redone when the library changes.
    const first = (await lab.listRuns({ tag: 't-order', sort: 'seed', limit: 1 })).rows[0];
    await lab.addTags([first.id], ['t-sorted']);
    const again = (await lab.listRuns({ tag: 't-order', sort: 'seed', limit: 1 })).rows[0];
    expect(again.id).toBe(first.id);
    expect(again.tags).toContain('t-sorted');
    await lab.removeTag(first.id, 't-sorted');
    expect((await lab.listRuns({ tag: 't-order', sort: 'seed', limit: 1 })).rows[0].tags).not.toContain('t-sorted');
  });

  it('pins a baseline in the database (it survives reopening) and forgets it when the run is deleted', async () => {
    const [row] = (await lab.listRuns({ tag: 't-order', limit: 1 })).rows;
    await lab.setBaseline(row.id.slice(0, 10));
    expect(await lab.getBaseline()).toBe(row.id);
    const again = LabDb.open(db.file);
    try {
      expect(await new Lab({ db: again, transport: 'in-process' }).getBaseline()).toBe(row.id);
    } finally {
      again.close();
    }
    await lab.setBaseline(null);
    expect(await lab.getBaseline()).toBeNull();
  });

  it('exports one trace: JSON that replays, CSV of its steps, HTML/PDF of that violation only; refuses two runs or a missing violation', async () => {
    console.log('[lab] thread-race random seed 3, v5-reviewed');
    const job = await lab.startRun({ scenario: { preset: 'thread-race' }, strategies: ['v5-reviewed'], mode: 'random', seed: 3, tags: ['t-trace-export'] });
    const id = (await lab.finished(job.jobId)).results!.runs[0].id!;
    const run = await lab.getRun(id);
    expect(run.violations.length).toBeGreaterThan(1);
    const v = run.violations[1];
    const json = await lab.exportRuns({ ids: [id], format: 'json', trace: { violation: 1 } });
    expect(json.filename).toBe(`ptlab-trace-${v.kind}-v5-reviewed-seed3.json`);
    const doc = JSON.parse(json.data) as { schema: string; expect: unknown; trace: unknown[] };
    expect(doc).toMatchObject({ schema: 'ptlab.trace/1', expect: { kind: v.kind, step: v.step } });
    expect(doc.trace).toHaveLength(v.trace.length);
    const replay = await lab.replay({ trace: doc });
    expect(replay.reproduced, replay.summary).toBe(true);
    const csv = await lab.exportRuns({ ids: [id], format: 'csv', trace: { violation: 1 } });
    const lines = csv.data.trim().split('\n');
    expect(lines[0]).toMatch(/^step,time_ns,cpu,actor,function,action,address,/);
    expect(lines).toHaveLength(v.trace.length + 1);
    const html = await lab.exportRuns({ ids: [id], format: 'html', trace: { violation: 1 } });
    expect(html.data).toContain(`${v.kind} in v5-reviewed on thread-race (seed 3)`);
    expect(html.data).toContain(v.message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const other = run.violations.find((x) => x.message !== v.message)!;
    expect(html.data).not.toContain(other.message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const printing = new Lab({ db, transport: 'in-process', pdf: async () => Buffer.from('%PDF-1.7 stand-in') });
    const pdf = await printing.exportRuns({ ids: [id], format: 'pdf', trace: {} });
    expect(pdf).toMatchObject({ mime: 'application/pdf', encoding: 'base64', filename: `ptlab-trace-${run.violations[0].kind}-v5-reviewed-seed3.pdf` });
    await printing.close();
    await expect(lab.exportRuns({ ids: [id, id], format: 'json', trace: {} })).rejects.toThrow(/exactly one run id/);
    await expect(lab.exportRuns({ ids: [id], format: 'json', trace: { violation: 999 } })).rejects.toThrow(new RegExp(`trace\\.violation: run ${id} has ${run.violations.length} recorded`));
    await expect(callLab(lab, 'exportRuns', [{ ids: [id], format: 'json', trace: { violation: -1 } }])).rejects.toThrow(/args\[0\]\.trace\.violation/);
  });

  it('exports html, csv, json and pdf, and imports json back', async () => {
    const ids = (await lab.listRuns({ tag: 't-order', limit: 2 })).rows.map((r) => r.id);
    const html = await lab.exportRuns({ ids, format: 'html' });
    expect(html.filename).toMatch(/^ptlab-thread-race-\d{4}-\d\d-\d\d\.html$/);
    expect(html.data).toContain('<html');
    const csv = await lab.exportRuns({ ids, format: 'csv' });
    expect(csv.mime).toBe('text/csv');
    const json = await lab.exportRuns({ ids, format: 'json' });
    const doc = JSON.parse(json.data) as { runs: { id: string }[] };
    // Imported ids must be UUIDs: give the copies fresh ones.
    const copies = doc.runs.map(() => randomUUID());
    doc.runs.forEach((r, i) => (r.id = copies[i]));
    const { ids: imported } = await lab.importResults(doc);
    expect(imported).toEqual(copies);
    // PDF is the same HTML report, printed (here by a stand-in printer; pdf.test.ts prints with Chromium).
    const printed: string[] = [];
    const printing = new Lab({ db, transport: 'in-process', pdf: async (page) => (printed.push(page), Buffer.from('%PDF-1.7 stand-in')) });
    const pdf = await printing.exportRuns({ ids, format: 'pdf', title: 'two runs' });
    expect(pdf).toMatchObject({ mime: 'application/pdf', encoding: 'base64', filename: expect.stringMatching(/\.pdf$/) });
    expect(Buffer.from(pdf.data, 'base64').toString()).toBe('%PDF-1.7 stand-in');
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('<title>two runs');
    await printing.close();
    await expect(lab.importResults({ schema: 'ptlab.results/1', runs: [{ scenario: 'x' }] })).rejects.toThrow(/runs\[0\]\.strategy/);
  });
});

describe('experiments and strategy variants', () => {
  const doc: ExperimentDoc = {
    schema: 'ptlab.experiment/1',
    name: 'race at 39 bits',
    scenario: { preset: 'thread-race' },
    sets: ['arch.vaBits=39'],
    strategies: [raceStrategy, { def: { id: 'my-variant', base: raceStrategy, knobs: { walkCacheTlbi: false } } }],
    mode: 'random',
    seed: 5,
    seeds: 20,
    notes: 'does the race exist at 39 bits?',
  };

  it('round-trips an experiment, updates it by name, groups runs under it, deletes it', async () => {
    const saved = await lab.saveExperiment(doc);
    expect(saved.name).toBe(doc.name);
    expect(saved.doc).toEqual(doc);
    const again = await lab.saveExperiment({ ...doc, seeds: 30, notes: 'more seeds' });
    expect(again.id).toBe(saved.id);
    const listed = (await lab.listExperiments()).filter((e) => e.name === doc.name);
    expect(listed).toHaveLength(1);
    expect(listed[0].doc?.seeds).toBe(30);
    expect(listed[0].notes).toBe('more seeds');

    const ev = await eventsOf(() => lab.startRun({ scenario: doc.scenario, sets: doc.sets, strategies: doc.strategies, mode: 'random', seeds: 1, experimentId: saved.id }).then((j) => j.jobId));
    expect(ev[ev.length - 1].type).toBe('job-finished');
    expect((await lab.listRuns({ experimentId: saved.id })).total).toBe(2);
    expect((await lab.listExperiments()).find((e) => e.id === saved.id)?.runs).toBe(2);

    expect(await lab.deleteExperiment(saved.id)).toBe(true);
    expect((await lab.listExperiments()).some((e) => e.id === saved.id)).toBe(false);
    expect(await lab.deleteExperiment(saved.id)).toBe(false);
  });

  it('saves user variants, lists them, runs them by id, and refuses the reserved built-in ids', async () => {
    for (const s of STRATEGIES) {
      await expect(lab.saveStrategy({ id: s.id, knobs: {} })).rejects.toThrow(new RegExp(`'${s.id}' is a built-in strategy id`));
      await expect(lab.deleteStrategy(s.id)).rejects.toThrow(/built-in/);
    }
    await expect(lab.saveStrategy({ id: 'bad knob', knobs: {} })).rejects.toThrow(/strategy\.id/);
    const info = await lab.saveStrategy({ id: 'no-walk-tlbi', base: raceStrategy, knobs: { walkCacheTlbi: false } });
    expect(info.builtin).toBe(false);
    expect(info.knobs.walkCacheTlbi).toBe(false);
    const cat = await lab.strategies();
    expect(cat.strategies.find((s) => s.id === 'no-walk-tlbi')?.builtin).toBe(false);
    expect(cat.strategies.filter((s) => s.builtin).map((s) => s.id)).toEqual(STRATEGIES.map((s) => s.id));
    const ev = await eventsOf(() => lab.startRun({ scenario: { preset: 'thread-race' }, strategies: ['no-walk-tlbi'], mode: 'random', save: false }).then((j) => j.jobId));
    const run = ev.find((e) => e.type === 'job-run');
    expect(run && run.type === 'job-run' ? run.run.strategy : null).toBe('no-walk-tlbi');
    expect((await lab.validateStrategy({ id: STRATEGIES[0].id })).errors[0].message).toMatch(/built-in/);
    expect(await lab.validateStrategy({ id: 'ok-variant', knobs: { teardown: 'one-pass' } })).toEqual({ ok: true, errors: [] });
    expect(await lab.deleteStrategy('no-walk-tlbi')).toBe(true);
  });
});

describe('catalog and layout', () => {
  it('layoutMap of thread-race names the shared PUD table of vmalloc and vmemmap, with full 64-bit addresses', async () => {
    const map = await lab.layoutMap({ preset: 'thread-race' });
    expect(map.vaBits).toBe(48);
    for (const r of map.regions) {
      expect(r.start).toMatch(/^[0-9a-f]{16}$/);
      expect(r.end).toMatch(/^[0-9a-f]{16}$/);
    }
    const shared = map.sharedTables.find((t) => t.regions.includes('vmalloc') && t.regions.includes('vmemmap'));
    expect(shared?.level).toBe('PUD');
    expect(shared?.emptiable).toBe(true);
    expect(map.reachability.reachable).toBe(true);
    expect(map.reachability.summary).toContain(shared!.start);
    expect(map.assumptions.join(' ')).toMatch(/KASLR/);
    const small = await lab.layoutMap({ preset: 'section-tlb' });
    expect(small.reachability.reachable).toBe(false);
  });

  it('gives presets, schemas and field-level validation', async () => {
    const presets = await lab.presets();
    expect(presets.map((p) => p.name)).toContain('thread-race');
    const schemas = await lab.schemas();
    expect(Object.keys(schemas).sort()).toEqual(['experiment', 'results', 'scenario', 'strategy', 'trace']);
    expect(schemas.results.$id).toBe('ptlab.results/1');
    const bad = await lab.validateScenario({ ...(presets[0].doc as object), arch: { pageSize: 4096, vaBits: 40, layout: 'v6' } });
    expect(bad.ok).toBe(false);
    expect(bad.errors[0].path).toBe('scenario.arch.vaBits');
    expect(await lab.validateScenario(presets[0].doc)).toEqual({ ok: true, errors: [] });
  });

  it('refuses bad arguments with one line naming the method and the argument path', async () => {
    const fail = async (method: string, args: unknown): Promise<string> => {
      try {
        await callLab(lab, method, args);
      } catch (e) {
        const f = classifyFailure(e);
        expect(f.kind).not.toBe('internal');
        expect(f.message).not.toContain('\n');
        return f.message;
      }
      throw new Error(`${method} accepted ${JSON.stringify(args)}`);
    };
    expect(await fail('listRuns', [{ limit: 0 }])).toBe('listRuns: args[0].limit: expected an integer ≥ 1, got 0');
    expect(await fail('startRun', [{ scenario: { preset: 'thread-race' }, mode: 'fast' }])).toMatch(/^startRun: args\[0\]\.mode: expected one of "timed", "random", "pct"/);
    expect(await fail('startRun', [{ scenario: { preset: 'thread-race' }, mode: 'random', seeds: 0 }])).toMatch(/^startRun: args\[0\]\.seeds: /);
    expect(await fail('deleteRuns', [[]])).toMatch(/^deleteRuns: args\[0\]: expected at least 1/);
    expect(await fail('getRun', [])).toMatch(/^getRun: args\[0\]: missing/);
    expect(await fail('saveExperiment', [{ schema: 'ptlab.experiment/1', name: 'x' }])).toMatch(/^saveExperiment: args\[0\]\.scenario: missing/);
    expect(await fail('nosuch', [])).toBe('unknown method nosuch');
    expect(await fail('getRun', ['feedface'])).toMatch(/no run feedface/);
    expect(await callLab(lab, 'getBaseline', [])).toBeNull();
  });
});
