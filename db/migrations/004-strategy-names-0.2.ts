/**
 * Migration 4: strategy names as PT Lab 0.2 has them (SPEC §2.5). The design
 * 0.1 called `v6` (the reviewed two-pass teardown that still frees every empty
 * table) was no posted version; 0.2 calls it `v5-reviewed`, and `v6` now names
 * V6 as posted (Option 3). Stored runs written before 0.2 under `v6` are
 * renamed, so a library of 0.1 runs keeps meaning what it measured.
 *
 * Saved strategy documents are rewritten to keep the design they described:
 * a `base` of `v6` becomes `v5-reviewed`, and since 0.2 gives every strategy
 * from the 2019 series V5 2/3's ptdump_show() guard, a variant built on one
 * of them (or on the default base) that did not set `ptdumpGuard` gets the
 * 0.1 value, `"none"`, written out. Documents that are not such objects are
 * left as they are.
 */

import type Database from 'better-sqlite3';
import { LEGACY_STRATEGY_NAMES, writtenBefore02 } from '../legacy.ts';
import type { Migration } from './types.ts';

/** Bases whose 0.1 knobs walked ptdump unguarded (undefined: the default base, 0.1's v6). */
const UNGUARDED_IN_01 = new Set<string | undefined>([undefined, 'v5', 'v6', 'opt1', 'opt2', 'opt3']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The 0.2 form of a 0.1 saved strategy document, or null if it needs no change. */
export function upgradeSavedStrategy(doc: unknown): Record<string, unknown> | null {
  if (!isObject(doc)) return null;
  const base = doc.base;
  if (base !== undefined && typeof base !== 'string') return null;
  if (doc.knobs !== undefined && !isObject(doc.knobs)) return null;
  const out: Record<string, unknown> = { ...doc };
  let changed = false;
  if (base !== undefined && Object.hasOwn(LEGACY_STRATEGY_NAMES, base)) {
    out.base = LEGACY_STRATEGY_NAMES[base];
    changed = true;
  }
  const knobs = (doc.knobs ?? {}) as Record<string, unknown>;
  if (UNGUARDED_IN_01.has(base) && knobs.ptdumpGuard === undefined) {
    out.knobs = { ...knobs, ptdumpGuard: 'none' };
    changed = true;
  }
  return changed ? out : null;
}

export const migration004: Migration = {
  version: 4,
  name: 'strategy-names-0.2',
  up(db: Database.Database): void {
    const runs = db.prepare<[string], { id: string; version: string }>('SELECT id, version FROM runs WHERE strategy = ?');
    const rename = db.prepare<[string, string]>('UPDATE runs SET strategy = ? WHERE id = ?');
    for (const [old, renamed] of Object.entries(LEGACY_STRATEGY_NAMES)) {
      for (const run of runs.all(old)) if (writtenBefore02(run.version)) rename.run(renamed, run.id);
    }
    const saved = db.prepare<[], { name: string; json: string }>('SELECT name, json FROM saved_strategies').all();
    const update = db.prepare<[string, string]>('UPDATE saved_strategies SET json = ? WHERE name = ?');
    for (const row of saved) {
      let doc: unknown;
      try {
        doc = JSON.parse(row.json);
      } catch {
        continue; // not ours to repair
      }
      const upgraded = upgradeSavedStrategy(doc);
      if (upgraded) update.run(JSON.stringify(upgraded), row.name);
    }
  },
};
