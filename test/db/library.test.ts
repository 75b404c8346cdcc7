/**
 * What the Library asks of LabDb beyond saving and reading runs: a listing
 * sorted by any column in SQL (pages that join up, missing wall times last,
 * ties by start time), putting deleted runs back exactly (undo), renaming and
 * deleting experiments, named settings, and data_version.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { DbError, DbInputError, LabDb, type RunListRow, type RunSortKey } from '../../db/index.ts';

let dir: string;
let db: LabDb;
const SEED = 20261128;

/** A small deterministic generator, so the rows (and any failure) are the same every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function result(i: number, random: () => number): RunResult {
  const violating = random() < 0.3;
  return {
    id: null,
    scenario: ['thread-race', 'section-tlb', 'head-to-head'][Math.floor(random() * 3)],
    strategy: ['v5', 'opt2', 'upstream', 'v6'][Math.floor(random() * 4)],
    mode: random() < 0.5 ? 'random' : 'timed',
    // Repeated seeds and statuses: ties must fall back to start time.
    seed: Math.floor(random() * 5),
    status: random() < 0.8 ? 'completed' : 'failed',
    violations: [],
    violationCounts: violating ? { 'uaf-table-write': 1 + Math.floor(random() * 3) } : {},
    metrics: { 'wall.ms': i },
  };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-library-'));
  db = LabDb.open(path.join(dir, 'lab.db'));
  process.stdout.write(`library.test: rows from seed ${SEED}\n`);
  const random = prng(SEED);
  const base = Date.parse('2026-01-01T00:00:00Z');
  db.batch(() => {
    for (let i = 0; i < 120; i++) {
      // Each pair shares a start time, so ties on start time fall back to insertion order.
      const startedAt = new Date(base + Math.floor(i / 2) * 60_000).toISOString();
      db.saveRunResult(result(i, random), { version: 'test', startedAt, wallMs: random() < 0.15 ? null : Math.floor(random() * 50) });
    }
  });
  // Two runs still in flight: no wall time.
  db.createRun({ scenario: 'thread-race', strategy: 'v5', mode: 'random', seed: 9, version: 'test' });
  db.createRun({ scenario: 'thread-race', strategy: 'opt2', mode: 'random', seed: 9, version: 'test' });
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const VALUE: Record<RunSortKey, (r: RunListRow) => string | number | null> = {
  startedAt: (r) => r.startedAt,
  scenario: (r) => r.scenario,
  strategy: (r) => r.strategy,
  mode: (r) => r.mode,
  seed: (r) => r.seed,
  status: (r) => r.status,
  violations: (r) => r.violationCount,
  wallMs: (r) => r.wallMs,
};

describe('listRuns sorted in SQL', () => {
  const keys = Object.keys(VALUE) as RunSortKey[];

  it.each(keys.flatMap((k) => [[k, true] as const, [k, false] as const]))('by %s (descending %s): ordered, missing wall times last, ties by start time the same way', (sort, descending) => {
    const rows = db.listRuns({}, { sort, descending });
    expect(rows).toHaveLength(122);
    const dir = descending ? -1 : 1;
    for (let i = 1; i < rows.length; i++) {
      const a = VALUE[sort](rows[i - 1]);
      const b = VALUE[sort](rows[i]);
      if (a === null || b === null) {
        // Nulls only at the end, whatever the direction.
        expect(b, `row ${i}`).toBeNull();
        continue;
      }
      if (a === b) {
        const t = rows[i - 1].startedAt < rows[i].startedAt ? -1 : rows[i - 1].startedAt > rows[i].startedAt ? 1 : 0;
        expect(t === 0 || t === -dir, `tie at row ${i} ordered by start time`).toBe(true);
      } else expect((a < b ? -1 : 1) === -dir, `row ${i}: ${String(a)} then ${String(b)}`).toBe(true);
    }
  });

  it('pages join up into the whole listing, with a filter too', () => {
    for (const sort of ['seed', 'wallMs', 'scenario'] as const) {
      const whole = db.listRuns({ verdict: 'violation' }, { sort, descending: false }).map((r) => r.id);
      const paged: string[] = [];
      for (let offset = 0; offset < whole.length; offset += 7) for (const r of db.listRuns({ verdict: 'violation', limit: 7, offset }, { sort, descending: false })) paged.push(r.id);
      expect(paged).toEqual(whole);
      expect(whole.length).toBe(db.countRuns({ verdict: 'violation' }));
    }
  });

  it('rows carry their tags whatever the order', () => {
    const id = db.listRuns({ limit: 1 }, { sort: 'seed' })[0].id;
    db.addTag(id, 'sorted-tag');
    expect(db.listRuns({ limit: 1 }, { sort: 'seed' })[0].tags).toEqual(['sorted-tag']);
    db.removeTag(id, 'sorted-tag');
  });

  it('refuses an unknown sort key with a one-line input error', () => {
    expect(() => db.listRuns({}, { sort: 'id; DROP TABLE runs' as RunSortKey })).toThrow(DbInputError);
    expect(() => db.listRuns({}, { descending: 'yes' as unknown as boolean })).toThrow(DbInputError);
  });
});

describe('restoreRuns (undo of a delete)', () => {
  it('puts runs back exactly as they were, and refuses an id that exists again', () => {
    const [a, b] = db.listRuns({ limit: 2 });
    db.addTag(a.id, 'keep');
    db.setNote(a.id, 'a note');
    const before = [db.getRun(a.id)!, db.getRun(b.id)!];
    expect(db.deleteRuns([a.id, b.id])).toBe(2);
    expect(db.getRun(a.id)).toBeNull();
    expect(db.restoreRuns(before)).toBe(2);
    expect([db.getRun(a.id), db.getRun(b.id)]).toEqual(before);
    expect(() => db.restoreRuns([before[0]])).toThrow(DbError);
  });
});

describe('experiments, settings and data_version', () => {
  it('renames and deletes an experiment; its runs stay without one', () => {
    const id = db.createExperiment('draft', 'first notes');
    const run = db.saveRunResult(result(0, prng(1)), { version: 'test', experimentId: id });
    expect(db.updateExperiment(id, 'final', null)).toBe(true);
    expect(db.listExperiments().find((e) => e.id === id)).toMatchObject({ name: 'final', notes: null, runs: 1 });
    expect(db.deleteExperiment(id)).toBe(true);
    expect(db.deleteExperiment(id)).toBe(false);
    expect(db.updateExperiment(id, 'gone', null)).toBe(false);
    expect(db.getRun(run)?.experimentId).toBeNull();
  });

  it('keeps settings apart from the identity keys, and clears them with null', () => {
    expect(db.getSetting('baseline')).toBeNull();
    db.setSetting('baseline', 'abc');
    expect(db.getSetting('baseline')).toBe('abc');
    // 'application' is an identity key of ptlab_meta, not a setting.
    expect(db.getSetting('application')).toBeNull();
    db.setSetting('baseline', null);
    expect(db.getSetting('baseline')).toBeNull();
  });

  it("data_version moves on another connection's commit, not on this one's", () => {
    const v0 = db.dataVersion();
    db.setSetting('mine', 'x');
    expect(db.dataVersion()).toBe(v0);
    const other = LabDb.open(db.file);
    other.setSetting('theirs', 'y');
    other.close();
    expect(db.dataVersion()).not.toBe(v0);
  });
});
