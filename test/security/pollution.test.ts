/**
 * Prototype pollution (issue 11): every path or key that comes from input
 * (`--set`, strategy knobs, scenario, strategy, import and trace documents)
 * refuses `__proto__`, `constructor`, `prototype` and names Object.prototype
 * already has, with a clear error (exit 2 from the CLI), and nothing reaches
 * Object.prototype.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { applyOverride, ScenarioError } from '../../core/scenario.ts';
import { defineStrategy, StrategyError } from '../../core/strategies.ts';
import { DbInputError, LabDb } from '../../db/index.ts';
import { summarize } from '../../electron/report/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-pollution-');
afterAll(() => rmTmp(dir));

const proto = Object.prototype as Record<string, unknown>;
afterEach(() => {
  // A failing test must not leave the pollution behind for the next one.
  for (const k of ['polluted', 'x', 'runs', 'violating']) delete proto[k];
});

function expectCleanPrototype(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).x).toBeUndefined();
  expect(({} as Record<string, unknown>).runs).toBeUndefined();
}

function expectBadInput(args: string[], mention: RegExp): void {
  const r = runCli(args, { db: path.join(dir, 'lab.db') });
  expect(r.status, `ptlab ${args.join(' ')}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.errLines, r.stderr).toHaveLength(1);
  expect(r.errLines[0]).toMatch(/^ptlab: /);
  expect(r.errLines[0]).toMatch(mention);
}

function writeJson(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('applyOverride refuses paths that reach the prototype', () => {
  it.each([
    '__proto__.polluted=1',
    'constructor.prototype.polluted=1',
    'arch.__proto__.polluted=1',
    'actors[0].__proto__.polluted=1',
    'toString=1',
    'arch.hasOwnProperty=1',
    'prototype.polluted=1',
  ])('%s throws a ScenarioError and pollutes nothing', (assignment) => {
    expect(() => applyOverride({}, assignment)).toThrow(ScenarioError);
    expect(() => applyOverride(structuredClone(findPreset('thread-race')!.doc), assignment)).toThrow(ScenarioError);
    expectCleanPrototype();
  });

  it('ordinary paths still work', () => {
    const doc = applyOverride(structuredClone(findPreset('thread-race')!.doc), 'arch.vaBits=39') as { arch: { vaBits: number } };
    expect(doc.arch.vaBits).toBe(39);
  });
});

describe('defineStrategy: knob names are own keys of the knob table', () => {
  it.each([
    ['{"toString":1}', /knobs\.toString: unknown knob/],
    ['{"__proto__":{"polluted":1}}', /knobs\.__proto__: unknown knob/],
    ['{"constructor":"x"}', /knobs\.constructor: unknown knob/],
    ['{"hasOwnProperty":true}', /knobs\.hasOwnProperty: unknown knob/],
  ])('knobs %s → StrategyError naming the knob', (knobs, message) => {
    const def = JSON.parse(`{"id":"mine","knobs":${knobs}}`) as unknown;
    expect(() => defineStrategy(def)).toThrow(StrategyError);
    expect(() => defineStrategy(def)).toThrow(message);
    expectCleanPrototype();
  });
});

describe('the CLI: exit 2 with one line, never a TypeError or exit 1', () => {
  it('--set __proto__.x=1', () => {
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--no-save', '--set', '__proto__.x=1'], /__proto__/);
  });

  it('--set constructor.prototype.x=1', () => {
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--no-save', '--set', 'constructor.prototype.x=1'], /constructor/);
  });

  it('a strategy file with knobs {"toString":1}', () => {
    const file = writeJson('tostring.json', '{"id":"mine","base":"upstream","knobs":{"toString":1}}');
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', file, '--no-save'], /toString/);
  });

  it('a strategy file with a "__proto__" knob', () => {
    const file = writeJson('proto-knob.json', '{"id":"mine","base":"upstream","knobs":{"__proto__":{"teardown":"one-pass"}}}');
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', file, '--no-save'], /__proto__/);
  });

  it('a scenario file with a "__proto__" key anywhere', () => {
    const doc = structuredClone(findPreset('thread-race')!.doc) as Record<string, unknown>;
    const text = JSON.stringify(doc).replace('"arch":{', '"arch":{"__proto__":{"polluted":1},');
    const file = writeJson('proto-scenario.json', text);
    expectBadInput(['run', '--scenario', file, '--strategy', 'upstream', '--no-save'], /__proto__/);
  });

  it('a scenario file with a "constructor" cost', () => {
    const doc = structuredClone(findPreset('thread-race')!.doc) as Record<string, unknown>;
    doc.cost = { constructor: 5 };
    const file = writeJson('ctor-cost.json', JSON.stringify(doc));
    expectBadInput(['run', '--scenario', file, '--strategy', 'upstream', '--no-save'], /constructor/);
  });

  it('a trace file whose strategy knobs have a "__proto__" key', () => {
    const file = writeJson(
      'proto-trace.json',
      JSON.stringify({ schema: 'ptlab.trace/1', scenario: findPreset('thread-race')!.doc, seed: 1, schedule: [0, 1], expect: null, strategy: { id: 'mine', knobs: {} } }).replace(
        '"knobs":{}',
        '"knobs":{"__proto__":{"polluted":1}}',
      ),
    );
    expectBadInput(['replay', file], /__proto__/);
  });
});

describe('imported documents', () => {
  let imports = 0;
  function runWith(extra: (run: Record<string, unknown>) => void): unknown {
    const run: Record<string, unknown> = {
      id: '6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab',
      scenario: 'thread-race',
      strategy: 'upstream',
      mode: 'random',
      seed: 1,
      status: 'completed',
      violations: [],
      violationCounts: {},
      metrics: { 'sim.steps': 10 },
    };
    extra(run);
    return JSON.parse(JSON.stringify({ schema: 'ptlab.results/1', version: '0.1.0', runs: [run] }).replace('"__PROTO__"', '"__proto__"'));
  }

  it.each([
    ['a metric key __proto__', (r: Record<string, unknown>) => (r.metrics = { __PROTO__: 1 })],
    ['a metric key constructor', (r: Record<string, unknown>) => (r.metrics = { constructor: 1 })],
    ['a config key __proto__', (r: Record<string, unknown>) => (r.config = { arch: { __PROTO__: { polluted: 1 } } })],
    ['a strategy named __proto__', (r: Record<string, unknown>) => (r.strategy = '__proto__')],
    ['a scenario named constructor', (r: Record<string, unknown>) => (r.scenario = 'constructor')],
  ])('%s is refused and nothing is written', (_name, mutate) => {
    const db = LabDb.open(path.join(dir, `import-${++imports}.db`));
    try {
      expect(() => db.importResults(runWith(mutate))).toThrow(DbInputError);
      expect(db.countRuns()).toBe(0);
      expectCleanPrototype();
    } finally {
      db.close();
    }
  });
});

describe('summaries keyed by strategy id', () => {
  it('a run whose strategy is "__proto__" does not touch Object.prototype', () => {
    const s = summarize([{ id: null, scenario: 's', strategy: '__proto__', mode: 'random', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics: {} }]);
    expectCleanPrototype();
    expect(Object.keys(s.byStrategy)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(s)).byStrategy.__proto__.runs).toBe(1);
  });
});
