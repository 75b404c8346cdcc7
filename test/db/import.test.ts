import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../core/results.ts';
import { DbInputError, LabDb } from '../../db/index.ts';
import { validateResultsDocument } from '../../db/validate.ts';

/** Imported ids are UUIDs, as LabDb makes them. */
const ELSEWHERE = '3c2f7d1e-9b4a-4f6e-8d21-5a0c7e9b1f42';
const TAKEN = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

let dir: string;
let file: string;
let db: LabDb;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-import-'));
  file = path.join(dir, 'lab.db');
  db = LabDb.open(file);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function goodDocument(): ResultsDocument {
  return {
    schema: 'ptlab.results/1',
    version: '0.1.0',
    runs: [
      {
        id: ELSEWHERE,
        scenario: 'thread-race',
        strategy: 'v6',
        mode: 'random',
        seed: 3,
        status: 'completed',
        violations: [
          {
            kind: 'uaf-table-write',
            step: 12,
            cpu: 1,
            actor: 'vmalloc#1',
            function: '__pte_alloc_kernel',
            address: 'ffff7dfffe000000',
            message: 'populated a freed PMD table',
            trace: [
              {
                step: 11,
                timeNs: null,
                cpu: 0,
                actor: 'hotremove',
                function: 'free_empty_pmd_table',
                action: 'free_hotplug_pgtable_page(pmd)',
                address: 'ffff7dfffe000000',
                frame: { pfn: 77, generation: 2, role: 'pmd-table' },
                locks: ['init_mm.page_table_lock'],
              },
            ],
          },
        ],
        violationCounts: { 'uaf-table-write': 1 },
        metrics: { 'vmalloc.ops': 40, 'sim.steps': 1200 },
        schedule: [0, 1, 0],
        config: { preset: 'thread-race' },
      },
      {
        id: null,
        scenario: 'thread-race',
        strategy: 'upstream',
        mode: 'timed',
        seed: 3,
        status: 'completed',
        violations: [],
        violationCounts: {},
        metrics: { 'vmalloc.ops': 41 },
        series: [{ name: 'vmalloc.latency_ns', unit: 'ns', x: [1, 2], y: [300, 310] }],
      },
    ],
    summary: { runs: 2, byStrategy: { v6: { runs: 1, violating: 1, kinds: { 'uaf-table-write': 1 } }, upstream: { runs: 1, violating: 0, kinds: {} } } },
  };
}

/** Everything stored, read back through the API: an import that fails must leave it unchanged. */
function snapshot(): string {
  const rows = db.listRuns().map((r) => db.getRun(r.id));
  return crypto.createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

const REMOVE = Symbol('remove');
type Key = string | number;

/** A copy of the good document with the value at `at` replaced (or removed). */
function edited(at: readonly Key[], value: unknown): unknown {
  const doc = JSON.parse(JSON.stringify(goodDocument())) as unknown;
  let parent = doc as Record<Key, unknown>;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<Key, unknown>;
  const last = at[at.length - 1];
  if (value === REMOVE) delete parent[last];
  else parent[last] = value;
  return doc;
}

/** Expects importing `doc` to fail with `message`, writing nothing. */
function expectRejected(doc: unknown, message: string | RegExp): void {
  const before = snapshot();
  let caught: unknown;
  try {
    db.importResults(doc);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DbInputError);
  const error = caught as DbInputError;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  expect(error.code).toBe('invalid-input');
  expect(snapshot()).toBe(before);
}

describe('importResults', () => {
  it('imports every run and reads them back as they were', () => {
    const doc = goodDocument();
    const ids = db.importResults(JSON.parse(JSON.stringify(doc)));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ELSEWHERE);
    const [first, second] = ids.map((id) => db.getRun(id)!);
    // A 0.1 document's v6 is stored under its 0.2 name (test/db/strategy-names.test.ts has the details).
    expect(first).toMatchObject({ ...doc.runs[0], id: ELSEWHERE, strategy: 'v5-reviewed' });
    expect(second).toMatchObject({ ...doc.runs[1], id: ids[1] });
    expect(first.version).toBe('0.1.0');
    expect(first.ownerPid).toBeNull();
  });

  it('names the field and what was expected', () => {
    const violation = ['runs', 0, 'violations', 0];
    const step = [...violation, 'trace', 0];
    const cases: [Key[], unknown, string | RegExp][] = [
      [['runs', 0, 'metrics', 'vmalloc.ops'], '40', 'runs[0].metrics.vmalloc.ops: expected a number, got "40"'],
      [['schema'], 'ptlab.results/2', 'schema: expected "ptlab.results/1", got "ptlab.results/2"'],
      [['runs', 1, 'scenario'], REMOVE, 'runs[1].scenario: expected a non-empty string, but it is missing'],
      [['runs', 0, 'mode'], 'fast', 'runs[0].mode: expected one of timed, random, pct, explore, replay, got "fast"'],
      [['runs', 0, 'seed'], 1.5, 'runs[0].seed: expected an integer, got 1.5'],
      [[...violation, 'kind'], 'oops', /^runs\[0\]\.violations\[0\]\.kind: expected one of uaf-table-write, .*, got "oops"$/],
      [[...step, 'frame', 'pfn'], -1, 'runs[0].violations[0].trace[0].frame.pfn: expected a non-negative integer, got -1'],
      [[...step, 'locks'], 'ptl', 'runs[0].violations[0].trace[0].locks: expected an array, got "ptl"'],
      [['runs', 0, 'violationCounts', 'stale-tlb'], -2, 'runs[0].violationCounts.stale-tlb: expected a non-negative integer, got -2'],
      [['runs', 1, 'series', 0, 'y'], [1], 'runs[1].series[0]: expected x and y of the same length, got 2 and 1'],
      [['runs', 1, 'series', 0, 'x', 1], null, 'runs[1].series[0].x[1]: expected a number, got null'],
      [['runs', 0, 'schedule'], [0, -1], 'runs[0].schedule[1]: expected a non-negative integer, got -1'],
      [['runs'], {}, 'runs: expected an array, got an object'],
      [['runs', 1, 'id'], ELSEWHERE, `runs[1].id: expected a unique run id, got a second "${ELSEWHERE}"`],
      [['runs', 0, 'metrics'], { 'odd key': true }, 'runs[0].metrics["odd key"]: expected a number, got boolean'],
      [['summary', 'byStrategy', 'v6', 'runs'], 'one', 'summary.byStrategy.v6.runs: expected a non-negative integer, got "one"'],
    ];
    for (const [at, value, message] of cases) expectRejected(edited(at, value), message);
    // A good run before a bad one is not written either.
    expect(db.listRuns()).toEqual([]);
  });

  it('rejects a document that is not an object', () => {
    for (const doc of [null, 'ptlab', 42, []]) {
      expect(() => db.importResults(doc)).toThrow(/^\(document\): expected an object, got /);
    }
    expect(db.listRuns()).toEqual([]);
  });

  it('writes nothing when a later run clashes with a stored one', () => {
    db.importResults({ ...goodDocument(), runs: [goodDocument().runs[1]].map((r) => ({ ...r, id: TAKEN })) });
    const doc = goodDocument();
    doc.runs[1].id = TAKEN;
    expect(() => db.importResults(doc)).toThrow(expect.objectContaining({ code: 'conflict', message: expect.stringContaining(`run ${TAKEN} already exists`) }));
    expect(db.listRuns().map((r) => r.id)).toEqual([TAKEN]);
    expect(db.getRun(ELSEWHERE)).toBeNull();
  });

  it('accepts the CLI output shape without version, message or summary', () => {
    const doc = edited(['runs', 0, 'violations', 0, 'message'], REMOVE) as Record<string, unknown>;
    delete doc.version;
    delete doc.summary;
    const [id] = db.importResults(doc);
    expect(db.getRun(id)).toMatchObject({ version: 'unknown', violations: [{ message: '' }] });
  });

  it('validates without a database too', () => {
    expect(validateResultsDocument(goodDocument()).runs).toHaveLength(2);
  });
});
