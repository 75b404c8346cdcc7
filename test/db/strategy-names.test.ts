/**
 * PT Lab 0.2 renamed the strategy 0.1 called `v6` to `v5-reviewed` (SPEC
 * §2.5). A 0.1 database (made here by migrations 1-3 alone, with 0.1 rows)
 * opens with its v6 runs as v5-reviewed runs, data intact; saved strategy
 * documents keep the design they described; an imported 0.1 results document
 * is mapped the same way, and a 0.2 one is not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineStrategy, findStrategy } from '../../core/strategies.ts';
import type { ResultsDocument } from '../../core/results.ts';
import { LabDb } from '../../db/index.ts';
import { currentStrategyName, writtenBefore02 } from '../../db/legacy.ts';
import { migrate } from '../../db/migrations/index.ts';
import { upgradeSavedStrategy } from '../../db/migrations/004-strategy-names-0.2.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlab-db-names-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const TRACE = [{ step: 9, timeNs: null, cpu: 2, actor: 'vmalloc#2', function: '__pmd_alloc', action: 'pud_populate(&init_mm, pudp, new)', address: 'fffffdff40000000', frame: { pfn: 7, generation: 1, role: 'pud table' }, locks: ['init_mm.page_table_lock'] }];

/** A database as PT Lab 0.1 left it: schema version 3, runs written by 0.1 (and one labelled 0.2, which must keep its name). */
function database01(file: string): void {
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  migrate(raw, 3);
  const run = raw.prepare(
    `INSERT INTO runs (id, scenario, strategy, mode, seed, status, version, config, schedule, started_at, finished_at, wall_ms)
     VALUES (?, 'thread-race', ?, 'random', ?, 'completed', ?, '{"arch":{"layout":"v6"}}', '[0,1,1,0]', '2025-11-20T10:00:00.000Z', '2025-11-20T10:00:01.000Z', 12)`,
  );
  run.run('race-v6', 'v6', 3, '0.1.0');
  run.run('race-upstream', 'upstream', 3, '0.1.0');
  run.run('later-v6', 'v6', 4, '0.2.0');
  raw.prepare("INSERT INTO metrics (run_id, key, value) VALUES ('race-v6', 'sim.steps', 1058), ('race-v6', 'vmalloc.ops', 2)").run();
  raw.prepare("INSERT INTO violation_counts (run_id, kind, n) VALUES ('race-v6', 'uaf-table-write', 1)").run();
  raw.prepare('UPDATE runs SET violation_count = 1, violation_kinds = ? WHERE id = ?').run('uaf-table-write', 'race-v6');
  raw
    .prepare("INSERT INTO violations (run_id, kind, step, cpu, actor, function, address, message, trace) VALUES ('race-v6', 'uaf-table-write', 9, 2, 'vmalloc#2', '__pmd_alloc', 'fffffdff40000000', 'wrote into a freed table', ?)")
    .run(JSON.stringify(TRACE));
  raw.prepare("INSERT INTO tags (run_id, tag) VALUES ('race-v6', 'review')").run();
  const saved = raw.prepare("INSERT INTO saved_strategies (name, json, created_at, updated_at) VALUES (?, ?, '2025-11-20', '2025-11-20')");
  saved.run('no-walk-tlbi', JSON.stringify({ id: 'no-walk-tlbi', base: 'v6', knobs: { walkCacheTlbi: false } }));
  saved.run('default-base', JSON.stringify({ id: 'default-base', knobs: { blockTlbi: false } }));
  saved.run('upstream-batched', JSON.stringify({ id: 'upstream-batched', base: 'upstream', knobs: { linearTlbi: 'batched' } }));
  saved.run('not-json-object', JSON.stringify([1, 2]));
  raw.close();
}

describe('a 0.1 database opened by 0.2', () => {
  it('shows its v6 runs as v5-reviewed runs with their data intact', () => {
    const file = path.join(dir, 'lab-0.1.db');
    database01(file);
    const db = LabDb.open(file);
    try {
      expect(db.schemaVersion()).toBeGreaterThanOrEqual(4);
      const run = db.getRun('race-v6')!;
      expect(run).toMatchObject({
        strategy: 'v5-reviewed',
        scenario: 'thread-race',
        seed: 3,
        version: '0.1.0',
        schedule: [0, 1, 1, 0],
        config: { arch: { layout: 'v6' } },
        metrics: { 'sim.steps': 1058, 'vmalloc.ops': 2 },
        violationCounts: { 'uaf-table-write': 1 },
        tags: ['review'],
      });
      expect(run.violations).toMatchObject([{ kind: 'uaf-table-write', step: 9, trace: TRACE }]);
      expect(db.getRun('race-upstream')!.strategy).toBe('upstream');
      // Written by 0.2 (only possible after a downgrade): its v6 is already V6 as posted.
      expect(db.getRun('later-v6')!.strategy).toBe('v6');
      expect(db.listRuns({ strategy: 'v5-reviewed' }).map((r) => r.id)).toEqual(['race-v6']);
      expect(db.listRuns({ strategy: 'v6' }).map((r) => r.id)).toEqual(['later-v6']);
    } finally {
      db.close();
    }
  });

  it('keeps saved strategy variants meaning the design they were saved as', () => {
    const file = path.join(dir, 'lab-0.1-saved.db');
    database01(file);
    const db = LabDb.open(file);
    try {
      const json = (name: string): unknown => db.getStrategy(name)!.json;
      expect(json('no-walk-tlbi')).toEqual({ id: 'no-walk-tlbi', base: 'v5-reviewed', knobs: { walkCacheTlbi: false, ptdumpGuard: 'none' } });
      expect(json('default-base')).toEqual({ id: 'default-base', knobs: { blockTlbi: false, ptdumpGuard: 'none' } });
      expect(json('upstream-batched')).toEqual({ id: 'upstream-batched', base: 'upstream', knobs: { linearTlbi: 'batched' } });
      expect(json('not-json-object')).toEqual([1, 2]);
      // 0.1's v6 knobs, rebuilt in 0.2 from the migrated document: the reviewed teardown with ptdump unguarded.
      const rebuilt = defineStrategy(json('no-walk-tlbi'));
      expect(rebuilt.knobs).toEqual({ ...findStrategy('v5-reviewed').knobs, walkCacheTlbi: false, ptdumpGuard: 'none' });
    } finally {
      db.close();
    }
  });

  it('upgradeSavedStrategy leaves documents it does not understand alone', () => {
    for (const doc of [null, 'v6', 7, { base: 3 }, { base: 'v6', knobs: 'fast' }, { base: 'upstream' }, { base: 'v5', knobs: { ptdumpGuard: 'get_online_mems' } }]) {
      expect(upgradeSavedStrategy(doc), JSON.stringify(doc)).toBeNull();
    }
  });
});

function resultsDocument(version: string | undefined, strategy: string): unknown {
  const doc: Partial<ResultsDocument> & { schema: 'ptlab.results/1' } = {
    schema: 'ptlab.results/1',
    runs: [{ id: null, scenario: 'thread-race', strategy, mode: 'random', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics: { 'sim.steps': 10 } }],
  };
  if (version !== undefined) doc.version = version;
  return doc;
}

describe('importing ptlab.results/1 documents', () => {
  it('stores a 0.1 document\'s v6 runs as v5-reviewed, and keeps a 0.2 document\'s v6 (V6 as posted)', () => {
    const db = LabDb.open(path.join(dir, 'import.db'));
    try {
      const [old] = db.importResults(resultsDocument('0.1.0', 'v6'));
      const [current] = db.importResults(resultsDocument('0.2.0', 'v6'));
      const [unknown] = db.importResults(resultsDocument(undefined, 'v6'));
      const [other] = db.importResults(resultsDocument('0.1.0', 'opt2'));
      expect(db.getRun(old)).toMatchObject({ strategy: 'v5-reviewed', version: '0.1.0', metrics: { 'sim.steps': 10 } });
      expect(db.getRun(current)).toMatchObject({ strategy: 'v6', version: '0.2.0' });
      // Without a version the writer is not known to have used the old name: left as written.
      expect(db.getRun(unknown)).toMatchObject({ strategy: 'v6', version: 'unknown' });
      expect(db.getRun(other)!.strategy).toBe('opt2');
    } finally {
      db.close();
    }
  });

  it('tells the releases apart by their version strings', () => {
    for (const v of ['0.1.0', '0.1.3', '0.0.1', '0.1.0-rc.1']) expect(writtenBefore02(v), v).toBe(true);
    for (const v of ['0.2.0', '0.10.1', '1.0.0', 'unknown', 'bench', '']) expect(writtenBefore02(v), v).toBe(false);
    expect(currentStrategyName('v6', '0.1.0')).toBe('v5-reviewed');
    expect(currentStrategyName('v6', '0.2.0')).toBe('v6');
  });
});
