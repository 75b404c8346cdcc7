/**
 * Saved runs say what they were made from (issue 11): the strategy's knobs,
 * the `--set` overrides and the scenario file, so `list` and `show` tell a
 * variant or a modified scenario from the preset, and `replay <id>` of a
 * variant replays the variant.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { findStrategy, STRATEGIES } from '../../core/strategies.ts';
import { LabDb } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-provenance-');
const db = path.join(dir, 'lab.db');
afterAll(() => rmTmp(dir));

interface Row {
  id: string;
  scenario: string;
  strategy: string;
  strategyKnobs: Record<string, unknown> | null;
  sets: string[];
  scenarioFile: string | null;
}

const upstream = findStrategy('upstream');
const ids: Record<string, string> = {};
let scenarioFile = '';

function runJson(args: string[]): { runs: { id: string; violations: unknown[] }[] } {
  const r = runCli([...args, '--json', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { runs: { id: string; violations: unknown[] }[] };
}

beforeAll(() => {
  console.log('[provenance] thread-race upstream seed 1 (plain, --set arch.vaBits=39, from a file) and a variant of upstream, seeds 1..30');
  ids.plain = runJson(['run', '--scenario', 'thread-race', '--strategy', 'upstream']).runs[0].id;
  ids.va39 = runJson(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--set', 'arch.vaBits=39']).runs[0].id;
  scenarioFile = path.join(dir, 'my-race.json');
  fs.writeFileSync(scenarioFile, JSON.stringify({ ...(findPreset('thread-race')!.doc as object), name: 'my-race' }));
  ids.file = runJson(['run', '--scenario', scenarioFile, '--strategy', 'upstream']).runs[0].id;
  const variantFile = path.join(dir, 'variant.json');
  fs.writeFileSync(variantFile, JSON.stringify({ id: 'upstream-all-empty', base: 'upstream', knobs: { freeTables: 'all-empty' } }));
  const variant = runJson(['run', '--scenario', 'thread-race', '--strategy', variantFile, '--seeds', '30']).runs;
  ids.variant = (variant.find((r) => r.violations.length > 0) ?? variant[0]).id;
});

function listRow(id: string): Row {
  const r = runCli(['list', '--json', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runs: Row[] }).runs.find((x) => x.id === id)!;
}

function listLine(id: string): string {
  const r = runCli(['list', '--limit', '1000', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').find((l) => l.startsWith(id.slice(0, 8)))!;
}

describe('a saved run keeps its strategy knobs, --set overrides and scenario file', () => {
  it('plain preset run: the built-in knobs, no overrides, no file', () => {
    expect(listRow(ids.plain)).toMatchObject({ strategy: 'upstream', strategyKnobs: { ...upstream.knobs }, sets: [], scenarioFile: null });
    expect(listLine(ids.plain)).toMatch(/thread-race\s+upstream\s/);
  });

  it('a --set run lists as "thread-race (arch.vaBits=39)" and show lists the override', () => {
    expect(listRow(ids.va39).sets).toEqual(['arch.vaBits=39']);
    expect(listLine(ids.va39)).toContain('thread-race (arch.vaBits=39)');
    const show = runCli(['show', ids.va39, '--db', db]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/--set arch\.vaBits=39/);
  });

  it('a run from a scenario file names the file in list and show', () => {
    expect(listRow(ids.file).scenarioFile).toBe(scenarioFile);
    expect(listLine(ids.file)).toContain('my-race [my-race.json]');
    const show = runCli(['show', ids.file, '--db', db]);
    expect(show.stdout).toContain(scenarioFile);
  });

  it("a variant keeps its own id and its knobs, and show says how they differ from the built-ins'", () => {
    const row = listRow(ids.variant);
    expect(row.strategy).toBe('upstream-all-empty');
    expect(row.strategyKnobs).toEqual({ ...upstream.knobs, freeTables: 'all-empty' });
    const show = runCli(['show', ids.variant, '--db', db]);
    expect(show.stdout).toMatch(/knobs: .*freeTables=all-empty/);
  });

  it('replay <id> of a variant run replays the variant (it is not a built-in id)', () => {
    const r = runCli(['replay', ids.variant, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\breproduced\b/);
  });
});

describe('a run saved under a built-in id with other knobs (an older or imported run) is marked', () => {
  it('list shows "(knobs differ)" and show names the differences', () => {
    const other = STRATEGIES.find((s) => s.knobs.freeTables !== upstream.knobs.freeTables)!;
    const lab = LabDb.open(db);
    const id = lab.saveRunResult(
      { id: null, scenario: 'thread-race', strategy: 'upstream', mode: 'random', seed: 9, status: 'completed', violations: [], violationCounts: { 'uaf-table-write': 1 }, metrics: {} },
      { version: '0.1.0', strategyKnobs: { ...other.knobs } },
    );
    lab.close();
    expect(listLine(id)).toMatch(/upstream \(knobs differ\)/);
    const show = runCli(['show', id, '--db', db]);
    expect(show.stdout).toMatch(/not the built-in upstream.*freeTables=/);
  });
});
