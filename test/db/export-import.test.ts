/**
 * History round-trips (issue 11): `ptlab export --format json` then
 * `ptlab import` into another database gives back every field of every
 * stored run (tags, note, startedAt/finishedAt, the owner, wall time, error,
 * the experiment, what the run was made from, …), compared field by field
 * over whatever StoredRun holds. Imported ids must be UUIDs and dates ISO 8601.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { findStrategy } from '../../core/strategies.ts';
import { DbInputError, LabDb, type StoredRun } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-export-import-');
const fileA = path.join(dir, 'a.db');
const fileB = path.join(dir, 'b.db');
const exported = path.join(dir, 'export.json');
afterAll(() => rmTmp(dir));

const ids: string[] = [];

function sampleRun(seed: number): RunResult {
  return {
    id: null,
    scenario: 'thread-race',
    strategy: 'upstream-all-empty',
    mode: 'random',
    seed,
    status: 'completed',
    violations: [
      {
        kind: 'uaf-table-write',
        step: 57,
        cpu: 1,
        actor: 'vmalloc#1',
        function: 'vmap_pte_range',
        address: 'ffff800080001000',
        message: 'set_pte_at() into a freed PTE table',
        trace: [
          { step: 55, timeNs: null, cpu: 0, actor: 'hotremove', function: 'free_empty_pte_table', action: 'free_hotplug_pgtable_page(pte)', address: 'ffff800080000000', frame: { pfn: 0x40a31, generation: 3, role: 'pte-table' }, locks: ['mem_hotplug_lock(w)'] },
          { step: 57, timeNs: 1234.5, cpu: 1, actor: 'vmalloc#1', function: 'vmap_pte_range', action: 'set_pte_at()', address: 'ffff800080001000', frame: null, locks: [], repeat: 3 },
        ],
      },
    ],
    violationCounts: { 'uaf-table-write': 4, 'stale-tlb': 0 },
    metrics: { 'vmalloc.ops': 12, 'sim.steps': 1057, 'vmalloc.latency_ns.p50': 812.25, 'wall.ms': 3 },
    series: [{ name: 'vmalloc.ops', unit: 'ops', x: [0, 1e6, 2e6], y: [0, 5, 7.25] }],
    schedule: [0, 1, 1, 0, 2],
    config: { name: 'thread-race', arch: { vaBits: 39 }, nested: [{ a: null, b: 'x' }] },
  };
}

beforeAll(() => {
  const a = LabDb.open(fileA);
  const experiment = a.createExperiment('reviewed teardown vs merged', 'for the list reply');
  ids.push(
    a.saveRunResult(sampleRun(7), {
      version: '0.1.9',
      experimentId: experiment,
      startedAt: '2024-05-01T09:30:00.125Z',
      finishedAt: '2024-05-01T09:31:02.500Z',
      wallMs: 62375.5,
      error: null,
      tags: ['review', 'demo two'],
      note: 'the counterexample for the reply\nsecond line',
      strategyKnobs: { ...findStrategy('upstream').knobs, freeTables: 'all-empty' },
      sets: ['arch.vaBits=39', 'actors[1].count=3'],
      scenarioFile: '/home/me/scenarios/thread-race-39.json',
    }),
  );
  // A run that a killed writer left behind: interrupted, with an error, partial metrics and no violations.
  const partial = a.createRun({ scenario: 'large', strategy: 'opt3', mode: 'timed', seed: 1, version: '0.1.9', config: { name: 'large' }, startedAt: '2024-06-02T00:00:00.000Z' });
  a.appendMetrics(partial, { 'sim.steps': 1350000, 'vmalloc.ops': 77 });
  a.finishRun(partial, { status: 'interrupted', wallMs: 1717, error: 'interrupted: the process writing it ended before it finished' });
  a.setNote(partial, 'killed on purpose');
  ids.push(partial);
  a.close();

  console.log(`[export-import] export ${ids.join(' ')} from ${fileA}, import into ${fileB}`);
  const exp = runCli(['export', ...ids, '--format', 'json', '--out', exported, '--db', fileA]);
  expect(exp.status, exp.stderr).toBe(0);
  const imp = runCli(['import', exported, '--db', fileB]);
  expect(imp.status, imp.stderr).toBe(0);
  expect(imp.stdout).toMatch(/imported 2 run/);
});

function read(file: string, id: string): { run: StoredRun; experiment: string | null } {
  const db = LabDb.open(file, { readonly: true });
  try {
    const run = db.getRun(id)!;
    const experiment = db.listExperiments().find((e) => e.id === run.experimentId)?.name ?? null;
    return { run, experiment };
  } finally {
    db.close();
  }
}

describe('export --format json, then import into another database', () => {
  it.each([0, 1])('run %i compares equal field for field (every field StoredRun has)', (i) => {
    const before = read(fileA, ids[i]);
    const after = read(fileB, ids[i]);
    const fields = Object.keys(before.run).sort();
    expect(Object.keys(after.run).sort()).toEqual(fields);
    for (const field of fields) {
      if (field === 'experimentId') {
        // Experiment ids are local to a database; the experiment itself (by name) must carry over.
        expect(after.experiment, 'experiment').toBe(before.experiment);
        continue;
      }
      expect((after.run as unknown as Record<string, unknown>)[field], field).toEqual((before.run as unknown as Record<string, unknown>)[field]);
    }
  });

  it('the experiment arrived with its name, and the run is in it', () => {
    expect(read(fileB, ids[0]).experiment).toBe('reviewed teardown vs merged');
  });

  it('importing the same file again is refused as a conflict and changes nothing', () => {
    const r = runCli(['import', exported, '--db', fileB]);
    expect(r.status).toBe(2);
    expect(r.errLines[0]).toMatch(/already exists/);
  });
});

describe('imported ids and dates are checked', () => {
  function docWith(patch: Record<string, unknown>): unknown {
    return { schema: 'ptlab.results/1', version: '0.1.0', runs: [{ ...sampleRun(1), id: '6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab', ...patch }] };
  }

  function expectRefused(patch: Record<string, unknown>, message: RegExp): void {
    const db = LabDb.open(path.join(dir, 'checks.db'));
    try {
      expect(() => db.importResults(docWith(patch))).toThrow(DbInputError);
      expect(() => db.importResults(docWith(patch))).toThrow(message);
      expect(db.countRuns()).toBe(0);
    } finally {
      db.close();
    }
  }

  it.each(['../../etc/passwd', 'run-from-elsewhere', '', '6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab/..', ' 6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab'])('id %j is refused', (id) => {
    expectRefused({ id }, /runs\[0\]\.id: expected a UUID/);
  });

  it.each([
    ['startedAt', 'yesterday'],
    ['startedAt', 'May 1, 2024'],
    ['startedAt', '2024-02-30T00:00:00Z'],
    ['finishedAt', '2024-13-01T00:00:00Z'],
    ['startedAt', 1714555800000],
  ])('%s %j is refused', (field, value) => {
    expectRefused({ [field]: value }, new RegExp(`runs\\[0\\]\\.${field}: expected an ISO 8601 date`));
  });

  it.each([
    ['tags', ['ok', 'bad\u0007tag'], /runs\[0\]\.tags\[1\]/],
    ['ownerPid', -1, /runs\[0\]\.ownerPid/],
    ['note', 42, /runs\[0\]\.note/],
    ['strategyKnobs', { freeTables: { nested: true } }, /runs\[0\]\.strategyKnobs\.freeTables/],
    ['sets', ['no-equals-sign'], /runs\[0\]\.sets\[0\]/],
  ])('%s %j is refused', (field, value, message) => {
    expectRefused({ [field]: value }, message);
  });

  it('a UUID id and ISO dates are accepted', () => {
    const db = LabDb.open(path.join(dir, 'ok.db'));
    try {
      const [id] = db.importResults(docWith({ startedAt: '2024-05-01T09:30:00+02:00' }));
      expect(id).toBe('6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab');
      expect(db.getRun(id)!.startedAt).toBe('2024-05-01T07:30:00.000Z');
    } finally {
      db.close();
    }
  });

  it('export file written by the CLI is valid JSON in pieces (no single giant string needed)', () => {
    expect(() => JSON.parse(fs.readFileSync(exported, 'utf8'))).not.toThrow();
  });
});
