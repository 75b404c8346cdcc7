/**
 * Built-in strategy ids are reserved (issue 11): a strategy file or a trace
 * file cannot pose as `upstream` with other knobs, so history never shows the
 * merged design with a violation it cannot have. Identical knobs are fine and
 * are the built-in. Strategy files refuse unknown fields and oversized files,
 * and a trace file's seed and expected violation are checked like any input.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { defineStrategy, findStrategy, STRATEGIES, StrategyError } from '../../core/strategies.ts';
import { LabDb } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-impostor-');
afterAll(() => rmTmp(dir));

const upstream = findStrategy('upstream');
// A knob set that is not upstream's: the first built-in whose knobs differ.
const other = STRATEGIES.find((s) => JSON.stringify(s.knobs) !== JSON.stringify(upstream.knobs))!;

function writeJson(name: string, doc: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

function expectBadInput(args: string[], mention: RegExp, db?: string): void {
  const r = runCli(args, { db: db ?? path.join(dir, 'unused.db') });
  expect(r.status, `ptlab ${args.join(' ')}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.errLines, r.stderr).toHaveLength(1);
  expect(r.errLines[0]).toMatch(/^ptlab: /);
  expect(r.errLines[0]).toMatch(mention);
}

describe('defineStrategy: built-in ids are reserved', () => {
  it(`{"id":"upstream","base":"${other.id}"} is refused`, () => {
    expect(() => defineStrategy({ id: 'upstream', base: other.id, knobs: {} })).toThrow(StrategyError);
    expect(() => defineStrategy({ id: 'upstream', base: other.id, knobs: {} })).toThrow(/upstream.*built-in/);
  });

  it('upstream with one knob changed is refused', () => {
    expect(() => defineStrategy({ id: 'upstream', base: 'upstream', knobs: { freeTables: 'all-empty' } })).toThrow(/built-in/);
  });

  it("upstream with upstream's own knobs is the built-in", () => {
    expect(defineStrategy({ id: 'upstream', base: 'upstream' })).toBe(upstream);
    expect(defineStrategy({ id: 'upstream', base: other.id, knobs: { ...upstream.knobs } })).toBe(upstream);
  });

  it('a variant under its own id is fine', () => {
    const s = defineStrategy({ id: 'upstream-all-empty', base: 'upstream', knobs: { freeTables: 'all-empty' } });
    expect(s.id).toBe('upstream-all-empty');
    expect(s.knobs.freeTables).toBe('all-empty');
  });

  it('unknown fields are refused, naming the field', () => {
    expect(() => defineStrategy({ id: 'mine', base: 'upstream', colour: 'red' })).toThrow(/strategy\.colour: unknown field/);
  });
});

describe('ptlab run --strategy impostor.json', () => {
  it('exits 2, saves nothing', () => {
    const db = path.join(dir, 'impostor.db');
    const file = writeJson('impostor.json', { id: 'upstream', base: other.id, knobs: {} });
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', file, '--db', db], /upstream.*built-in/, db);
    if (fs.existsSync(db)) {
      const lab = LabDb.open(db);
      expect(lab.countRuns()).toBe(0);
      lab.close();
    }
  });

  it('a strategy file with an unknown field exits 2 naming it', () => {
    const file = writeJson('unknown-field.json', { id: 'mine', base: 'upstream', knobs: {}, colour: 'red' });
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', file, '--no-save'], /colour/);
  });

  it('a 10 MB strategy file exits 2 naming the size limit', () => {
    const file = writeJson('huge.json', { id: 'mine', base: 'upstream', title: 'x'.repeat(10 * 1024 * 1024) });
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', file, '--no-save'], /larger than|limit/);
  });
});

describe('ptlab replay: the trace file is input like any other', () => {
  const base = {
    schema: 'ptlab.trace/1',
    scenario: findPreset('thread-race')!.doc,
    strategy: { id: 'upstream', knobs: upstream.knobs },
    seed: 1,
    schedule: [0, 1, 0, 1],
    expect: null as unknown,
  };

  it('a trace whose strategy claims a built-in id with other knobs exits 2', () => {
    const file = writeJson('impostor-trace.json', { ...base, strategy: { id: 'upstream', knobs: other.knobs } });
    expectBadInput(['replay', file], /upstream.*built-in/);
  });

  it("a trace with upstream's own knobs is accepted (replayed, not refused)", () => {
    const file = writeJson('honest-trace.json', base);
    const r = runCli(['replay', file]);
    expect([0, 1], r.stderr).toContain(r.status);
  });

  it.each([
    ['expect.kind "bogus"', { expect: { kind: 'bogus', step: 3 } }, /expect\.kind/],
    ['expect.step -3', { expect: { kind: 'uaf-table-write', step: -3 } }, /expect\.step/],
    ['expect.step 1.5', { expect: { kind: 'uaf-table-write', step: 1.5 } }, /expect\.step/],
    ['expect "yes"', { expect: 'yes' }, /expect/],
    ['seed "x"', { seed: 'x' }, /seed/],
    ['seed 1.5', { seed: 1.5 }, /seed/],
    ['no seed', { seed: undefined }, /seed/],
  ])('%s exits 2', (_name, patch, mention) => {
    const file = writeJson(`bad-${_name.replace(/\W+/g, '-')}.json`, { ...base, ...patch });
    expectBadInput(['replay', file], mention);
  });
});
