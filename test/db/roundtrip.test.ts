import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResult, TraceStep } from '../../core/results.ts';
import { DbError, DbInputError, LabDb } from '../../db/index.ts';
import { CHUNK_POINTS } from '../../db/series.ts';

let dir: string;
let db: LabDb;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-roundtrip-'));
  db = LabDb.open(path.join(dir, 'lab.db'));
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const trace: TraceStep[] = [
  {
    step: 0,
    timeNs: null,
    cpu: 0,
    actor: 'hotremove',
    function: 'free_empty_pte_table',
    action: 'pmd_clear(pmdp)',
    address: 'ffff7dfffe000000',
    frame: { pfn: 4242, generation: 3, role: 'pte-table' },
    locks: ['init_mm.page_table_lock', 'mem_hotplug_lock'],
  },
  {
    step: 7,
    timeNs: 1234.5,
    cpu: 1,
    actor: 'vmalloc#1',
    function: 'vmap_pte_range',
    action: 'set_pte_at(ptep)',
    address: '',
    frame: null,
    locks: [],
  },
];

/** A result with the awkward values: counts that exceed the kept traces, a zero count, NaN and huge metrics, -0 in a series. */
function sampleResult(): RunResult {
  return {
    id: null,
    scenario: 'thread-race',
    strategy: 'v6',
    mode: 'timed',
    seed: 2 ** 40 + 3,
    status: 'completed',
    violations: [
      { kind: 'uaf-table-write', step: 7, cpu: 1, actor: 'vmalloc#1', function: 'vmap_pte_range', address: 'ffff7dfffe000000', message: 'wrote into a freed PTE table', trace },
      { kind: 'stale-walk-cache', step: 9, cpu: 2, actor: 'ptdump', function: 'ptdump_walk_pgd', address: 'ffff7dfffe200000', message: 'walk cache still points at a freed table', trace: [] },
    ],
    violationCounts: { 'uaf-table-write': 5, 'stale-walk-cache': 1, deadlock: 0 },
    metrics: {
      'vmalloc.ops': 1000,
      'vmalloc.latency_ns.p99': 12345.678,
      'hotremove.latency_ns.mean': Number.NaN,
      'lock.init_mm.page_table_lock.wait_ns.max': Number.POSITIVE_INFINITY,
      'sim.steps': 2 ** 53 - 1,
      'pgtable.leaked_bytes': 0.1 + 0.2,
    },
    series: [
      { name: 'vmalloc.latency_ns', unit: 'ns', x: [0, 1.5, 3e9, 5e-324], y: [-0, Number.NaN, -1e308, 42] },
      { name: 'empty', unit: 'count', x: [], y: [] },
    ],
    schedule: [0, 1, 1, 0, 2, 7],
    config: { preset: 'thread-race', cpus: 2, layout: { va: 48, era: 'v5.4' }, note: 'éß ✓', list: [1, null, true] },
  };
}

/** A shallow copy of `value` without `keys`. */
function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = { ...value };
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}

function withoutId(result: RunResult): Omit<RunResult, 'id'> {
  return omit(result, 'id');
}

describe('saveRunResult / getRun', () => {
  it('reads back exactly what was saved', () => {
    const result = sampleResult();
    const id = db.saveRunResult(result, { version: '0.1.0', tags: ['baseline'], note: 'first try' });
    const stored = db.getRun(id);
    expect(stored).not.toBeNull();
    expect(stored!.id).toBe(id);
    const expected = withoutId(result);
    const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, stored![key as keyof typeof stored]]));
    expect(picked).toStrictEqual(expected);
    expect(Object.is(stored!.series[0].y[0], -0)).toBe(true);
    expect(stored!.version).toBe('0.1.0');
    expect(stored!.tags).toEqual(['baseline']);
    expect(stored!.note).toBe('first try');
    expect(stored!.finishedAt).not.toBeNull();
  });

  it('survives closing and reopening the file', () => {
    const result = sampleResult();
    const id = db.saveRunResult({ ...result, id: 'fixed-id-1' }, { version: '0.1.0' });
    expect(id).toBe('fixed-id-1');
    db.close();
    db = LabDb.open(path.join(dir, 'lab.db'));
    expect(withoutId(db.getRun(id)!)).toMatchObject(withoutId(result));
  });

  it('omits schedule and config when the result had none, and returns empty series', () => {
    const bare = omit(sampleResult(), 'schedule', 'config', 'series');
    const stored = db.getRun(db.saveRunResult(bare, { version: '0.1.0' }))!;
    expect('schedule' in stored).toBe(false);
    expect('config' in stored).toBe(false);
    expect(stored.series).toEqual([]);
  });

  it('keeps a series longer than one chunk in order', () => {
    const count = CHUNK_POINTS * 2 + 17;
    const x = Array.from({ length: count }, (_, i) => i);
    const y = Array.from({ length: count }, (_, i) => i * 0.5);
    const id = db.saveRunResult({ ...sampleResult(), series: [{ name: 'big', unit: 'ns', x, y }] }, { version: '0.1.0' });
    const series = db.getSeries(id, 'big')!;
    expect(series.x).toEqual(x);
    expect(series.y).toEqual(y);
    expect(db.listSeries(id)).toEqual([{ name: 'big', unit: 'ns', points: count }]);
  });

  it('refuses a second run with the same id and writes nothing', () => {
    db.saveRunResult({ ...sampleResult(), id: 'dup' }, { version: '0.1.0' });
    expect(() => db.saveRunResult({ ...sampleResult(), id: 'dup', scenario: 'other' }, { version: '0.1.0' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    expect(db.listRuns()).toHaveLength(1);
    expect(db.getRun('dup')!.scenario).toBe('thread-race');
  });

  it('rolls back everything when one part of a result is bad', () => {
    const bad = sampleResult();
    bad.series = [{ name: 'ok', unit: 'ns', x: [1], y: [1] }, { name: 'broken', unit: 'ns', x: [1, 2], y: [1] }];
    expect(() => db.saveRunResult(bad, { version: '0.1.0' })).toThrow(DbInputError);
    expect(db.listRuns()).toEqual([]);
  });
});

describe('writing a run as it goes', () => {
  it('appends metrics, series in batches and violations, then finishes', () => {
    const id = db.createRun({ scenario: 'head-to-head', strategy: 'opt2', mode: 'timed', seed: 7, version: '0.1.0', config: { cpus: 8 } });
    let run = db.getRun(id)!;
    expect(run.status).toBe('running');
    expect(run.ownerPid).toBe(process.pid);
    expect(run.ownerHost).toBe(os.hostname());

    db.appendMetrics(id, { 'vmalloc.ops': 1, 'sim.steps': 10 });
    db.appendMetrics(id, { 'vmalloc.ops': 2 });
    for (let batch = 0; batch < 5; batch++) {
      const x = Array.from({ length: 100 }, (_, i) => batch * 100 + i);
      db.appendSeries(id, { name: 'lock.wait_ns', unit: 'ns', x, y: x.map((v) => v * 2) });
    }
    const violation = sampleResult().violations[0];
    db.addViolations(id, [violation, violation]);
    db.addViolations(id, [{ ...violation, kind: 'stale-tlb' }]);
    db.finishRun(id, { status: 'completed', wallMs: 12.5, schedule: [1, 0, 1] });

    run = db.getRun(id)!;
    expect(run.status).toBe('completed');
    expect(run.wallMs).toBe(12.5);
    expect(run.schedule).toEqual([1, 0, 1]);
    expect(run.config).toEqual({ cpus: 8 });
    expect(run.metrics).toEqual({ 'vmalloc.ops': 2, 'sim.steps': 10 });
    expect(run.violationCounts).toEqual({ 'uaf-table-write': 2, 'stale-tlb': 1 });
    expect(run.violations.map((v) => v.kind)).toEqual(['uaf-table-write', 'uaf-table-write', 'stale-tlb']);
    expect(run.violations[0].trace).toEqual(trace);
    const series = run.series[0];
    expect(series.x).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(series.y).toEqual(Array.from({ length: 500 }, (_, i) => i * 2));
  });

  it('groups several writes in one transaction with batch()', () => {
    const id = db.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: '0.1.0' });
    expect(() =>
      db.batch(() => {
        db.appendMetrics(id, { a: 1 });
        db.appendSeries(id, { name: 'x', unit: 'ns', x: [1], y: [2] });
        throw new Error('simulator failed mid-slice');
      }),
    ).toThrow('simulator failed mid-slice');
    const run = db.getRun(id)!;
    expect(run.metrics).toEqual({});
    expect(run.series).toEqual([]);
  });

  it('says which run is missing and refuses a changed series unit', () => {
    expect(() => db.appendMetrics('nope', { a: 1 })).toThrow(expect.objectContaining({ code: 'not-found', message: expect.stringContaining('nope') }));
    const id = db.createRun({ scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: '0.1.0' });
    db.appendSeries(id, { name: 'x', unit: 'ns', x: [1], y: [2] });
    expect(() => db.appendSeries(id, { name: 'x', unit: 'us', x: [2], y: [3] })).toThrow(/series\.unit: expected "ns"/);
    expect(() => db.finishRun(id, { status: 'running' as 'completed', wallMs: 1 })).toThrow(/status: expected one of completed/);
  });
});

describe('the library', () => {
  function addRun(scenario: string, strategy: string, violating: boolean, startedAt: string, status: RunResult['status'] = 'completed'): string {
    const base = sampleResult();
    return db.saveRunResult(
      {
        ...base,
        scenario,
        strategy,
        status,
        violations: violating ? base.violations : [],
        violationCounts: violating ? base.violationCounts : {},
      },
      { version: '0.1.0', startedAt },
    );
  }

  it('filters by scenario, strategy, verdict, status, tag, dates and text', () => {
    const a = addRun('thread-race', 'v6', true, '2025-01-01T10:00:00Z');
    const b = addRun('thread-race', 'opt2', false, '2025-02-01T10:00:00Z');
    const c = addRun('ptdump-race', 'upstream', false, '2025-03-01T10:00:00Z');
    const d = addRun('ptdump-race', 'v6', false, '2025-04-01T10:00:00Z', 'failed');
    db.addTag(b, 'option 2');
    db.addTag(b, 'baseline');
    db.addTag(c, 'baseline');
    db.setNote(d, 'simulator crashed in __pte_alloc_kernel');

    const ids = (filter: Parameters<LabDb['listRuns']>[0]): string[] => db.listRuns(filter).map((row) => row.id);
    expect(ids({})).toEqual([d, c, b, a]);
    expect(ids({ scenario: 'thread-race' })).toEqual([b, a]);
    expect(ids({ strategy: 'v6' })).toEqual([d, a]);
    expect(ids({ verdict: 'violation' })).toEqual([a]);
    expect(ids({ verdict: 'safe' })).toEqual([c, b]);
    expect(ids({ status: 'failed' })).toEqual([d]);
    expect(ids({ tag: 'baseline' })).toEqual([c, b]);
    expect(ids({ since: '2025-02-01T10:00:00Z', until: '2025-04-01T10:00:00Z' })).toEqual([c, b]);
    expect(ids({ text: 'PTE_ALLOC' })).toEqual([d]);
    expect(ids({ text: 'option' })).toEqual([b]);
    expect(ids({ text: '100%' })).toEqual([]);
    expect(ids({ limit: 2, offset: 1 })).toEqual([c, b]);
    expect(db.countRuns({ scenario: 'ptdump-race' })).toBe(2);

    const row = db.listRuns({ verdict: 'violation' })[0];
    expect(row).toEqual({
      id: a,
      experimentId: null,
      scenario: 'thread-race',
      strategy: 'v6',
      mode: 'timed',
      seed: 2 ** 40 + 3,
      status: 'completed',
      startedAt: '2025-01-01T10:00:00.000Z',
      finishedAt: expect.any(String),
      wallMs: null,
      violationCount: 6,
      kinds: ['stale-walk-cache', 'uaf-table-write'],
      tags: [],
      strategyKnobs: null,
      sets: [],
      scenarioFile: null,
    });
    expect(db.listRuns({ tag: 'baseline' })[1].tags).toEqual(['baseline', 'option 2']);

    expect(() => db.addTag(b, 'a\u001fb')).toThrow(/tag: expected a tag without control characters/);
    expect(db.removeTag(b, 'baseline')).toBe(true);
    expect(ids({ tag: 'baseline' })).toEqual([c]);
    expect(() => db.listRuns({ since: 'last tuesday' })).toThrow(/since: expected an ISO 8601 date/);
  });

  it('deletes runs with everything they own', () => {
    const a = addRun('thread-race', 'v6', true, '2025-01-01T10:00:00Z');
    const b = addRun('thread-race', 'v5', true, '2025-01-02T10:00:00Z');
    db.addTag(a, 'x');
    expect(db.deleteRuns([a, 'missing'])).toBe(1);
    expect(db.getRun(a)).toBeNull();
    expect(db.listRuns().map((r) => r.id)).toEqual([b]);
    // Nothing of the deleted run is left behind in the child tables.
    const file = path.join(dir, 'lab.db');
    db.close();
    db = LabDb.open(file);
    expect(db.getRun(b)!.series).toHaveLength(2);
    expect(db.listRuns({ tag: 'x' })).toEqual([]);
  });

  it('resolves short run ids', () => {
    const id = db.saveRunResult({ ...sampleResult(), id: 'abc123' }, { version: '0.1.0' });
    db.saveRunResult({ ...sampleResult(), id: 'abd999' }, { version: '0.1.0' });
    expect(db.resolveRunId('abc')).toBe(id);
    expect(() => db.resolveRunId('ab')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(() => db.resolveRunId('zz')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('groups runs in experiments', () => {
    const experiment = db.createExperiment('options 1-3', 'the thread’s three options');
    const id = db.createRun({ experimentId: experiment, scenario: 's', strategy: 'opt1', mode: 'random', seed: 1, version: '0.1.0' });
    expect(db.getRun(id)!.experimentId).toBe(experiment);
    expect(db.listExperiments()).toEqual([
      { id: experiment, name: 'options 1-3', createdAt: expect.any(String), notes: 'the thread’s three options', runs: 1 },
    ]);
    expect(db.listRuns({ experimentId: experiment }).map((r) => r.id)).toEqual([id]);
    expect(() => db.createRun({ experimentId: 999, scenario: 's', strategy: 'v6', mode: 'random', seed: 1, version: '0.1.0' })).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
  });

  it('saves scenarios, strategies and reports', () => {
    db.saveScenario('my-race', { preset: 'thread-race', cpus: 4 });
    db.saveScenario('my-race', { preset: 'thread-race', cpus: 8 });
    db.saveStrategy('v6-no-walk-tlbi', { base: 'v6', walkCacheTlbi: false });
    expect(db.listScenarios()).toEqual([{ name: 'my-race', json: { preset: 'thread-race', cpus: 8 }, createdAt: expect.any(String), updatedAt: expect.any(String) }]);
    expect(db.getStrategy('v6-no-walk-tlbi')!.json).toEqual({ base: 'v6', walkCacheTlbi: false });
    expect(db.listStrategies().map((s) => s.name)).toEqual(['v6-no-walk-tlbi']);
    expect(db.deleteScenario('my-race')).toBe(true);
    expect(db.getScenario('my-race')).toBeNull();

    const html = db.saveReport({ format: 'html', title: 'opt2 vs upstream', body: '<html></html>', runIds: ['a', 'b'] });
    const pdfBytes = Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    const pdf = db.saveReport({ format: 'pdf', title: 'paper', body: pdfBytes });
    expect(db.getReport(html)).toEqual({ id: html, createdAt: expect.any(String), format: 'html', title: 'opt2 vs upstream', runIds: ['a', 'b'], body: '<html></html>' });
    expect(Uint8Array.from(db.getReport(pdf)!.body as Buffer)).toEqual(pdfBytes);
    expect(db.listReports().map((r) => r.id).sort()).toEqual([html, pdf].sort());
    expect(() => db.saveReport({ format: 'docx' as 'html', title: 't', body: '' })).toThrow(/format: expected one of html/);
  });

  it('works in memory too (for runs that are not saved)', () => {
    const memory = LabDb.open(':memory:');
    const id = memory.saveRunResult(sampleResult(), { version: '0.1.0' });
    expect(memory.getRun(id)!.metrics['vmalloc.ops']).toBe(1000);
    memory.close();
  });

  it('refuses use after close with a clear error', () => {
    db.close();
    expect(() => db.listRuns()).toThrow(DbError);
    expect(() => db.listRuns()).toThrow(/has been closed/);
  });
});
