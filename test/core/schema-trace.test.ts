/**
 * core/schema/trace.ts carries every rule the CLI's trace-file reader
 * (electron/cli/trace-file.ts) checks by hand, so the CLI can switch to
 * parseTraceDocument: on the documents PT Lab writes (a saved trace, an
 * explore counterexample, a results document) both give the same replay, and
 * every malformed or impostor document both refuse, naming the same field.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { toJsonSchema } from '../../core/schema/check.ts';
import { parseTraceDocument, type ReplayInput, TraceDocumentError, TraceDocumentSchema } from '../../core/schema/trace.ts';
import { findStrategy, STRATEGIES } from '../../core/strategies.ts';
import { loadTraceFile } from '../../electron/cli/trace-file.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-schema-trace-');
afterAll(() => rmTmp(dir));

let n = 0;
function write(doc: unknown): string {
  const file = path.join(dir, `doc-${++n}.json`);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

/** What the CLI reader makes of a document: the replay, or its one-line refusal. */
function viaCli(doc: unknown): ReplayInput | string {
  try {
    return loadTraceFile(write(doc));
  } catch (e) {
    return (e as Error).message;
  }
}

function viaSchema(doc: unknown): ReplayInput | string {
  try {
    return parseTraceDocument(doc, 'file.json');
  } catch (e) {
    expect(e).toBeInstanceOf(TraceDocumentError);
    return (e as Error).message;
  }
}

function summary(r: ReplayInput): unknown {
  return { scenario: r.scenario, scenarioDoc: r.scenarioDoc, strategy: r.strategy, seed: r.seed, schedule: r.schedule, expect: r.expect };
}

let saved: Record<string, unknown>;
let explore: Record<string, unknown>;
let results: Record<string, unknown>;

beforeAll(() => {
  const traceFile = path.join(dir, 'saved-trace.json');
  const run = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', '20', '--no-save', '--save-trace', traceFile]);
  expect(run.status, run.stderr).toBe(0);
  saved = JSON.parse(fs.readFileSync(traceFile, 'utf8')) as Record<string, unknown>;
  const ex = runCli(['explore', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--json'], { db: path.join(dir, 'explore.db') });
  expect(ex.status, ex.stderr).toBe(0);
  explore = JSON.parse(ex.stdout) as Record<string, unknown>;
  const rs = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', '3', '--no-save', '--json']);
  expect(rs.status, rs.stderr).toBe(0);
  results = JSON.parse(rs.stdout) as Record<string, unknown>;
});

describe('documents PT Lab writes', () => {
  it('a saved trace conforms to the published trace JSON Schema (ajv)', () => {
    const { $schema: _declared, ...draft07 } = toJsonSchema(TraceDocumentSchema);
    const valid = new Ajv().compile(draft07);
    expect(valid(saved), JSON.stringify(valid.errors)).toBe(true);
  });

  it.each(['saved trace', 'explore counterexample', 'results document'])('%s: the same replay as the CLI reader', (which) => {
    const doc = which === 'saved trace' ? saved : which === 'explore counterexample' ? explore : results;
    const cli = viaCli(doc);
    const schema = viaSchema(doc);
    expect(typeof cli, String(cli)).toBe('object');
    expect(summary(schema as ReplayInput)).toEqual(summary(cli as ReplayInput));
  });
});

describe('every rule of the CLI reader', () => {
  const base = (): Record<string, unknown> => ({
    schema: 'ptlab.trace/1',
    scenario: findPreset('thread-race')!.doc,
    strategy: { id: 'upstream', knobs: findStrategy('upstream').knobs },
    seed: 1,
    schedule: [0, 1, 0, 1],
    expect: null,
  });
  const other = STRATEGIES.find((s) => JSON.stringify(s.knobs) !== JSON.stringify(findStrategy('upstream').knobs))!;
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /expected a JSON object/],
    ['an unknown schema', { schema: 'ptlab.trace/9' }, /not a PT Lab trace/],
    ['schedule not indices', { ...base(), schedule: [0, -1] }, /schedule/],
    ['schedule missing', { ...base(), schedule: undefined }, /schedule/],
    ['seed "x"', { ...base(), seed: 'x' }, /seed/],
    ['seed 1.5', { ...base(), seed: 1.5 }, /seed/],
    ['no seed', { ...base(), seed: undefined }, /seed/],
    ['expect.kind "bogus"', { ...base(), expect: { kind: 'bogus', step: 3 } }, /expect\.kind/],
    ['expect.step -3', { ...base(), expect: { kind: 'uaf-table-write', step: -3 } }, /expect\.step/],
    ['expect.step 1.5', { ...base(), expect: { kind: 'uaf-table-write', step: 1.5 } }, /expect\.step/],
    ['expect "yes"', { ...base(), expect: 'yes' }, /expect/],
    ['strategy not an object', { ...base(), strategy: 'upstream' }, /strategy/],
    ['strategy.id not a string', { ...base(), strategy: { id: 7, knobs: {} } }, /strategy\.id/],
    ['a variant without knobs', { ...base(), strategy: { id: 'mine' } }, /strategy\.knobs/],
    ['an impostor built-in', { ...base(), strategy: { id: 'upstream', knobs: other.knobs } }, /upstream.*built-in/],
    ['an unknown knob', { ...base(), strategy: { id: 'mine', knobs: { colour: 'red' } } }, /strategy\.knobs\.colour/],
    ['a bad knob value', { ...base(), strategy: { id: 'mine', knobs: { freeTables: 'sometimes' } } }, /strategy\.knobs\.freeTables/],
    ['a bad scenario', { ...base(), scenario: { ...findPreset('thread-race')!.doc, arch: { pageSize: 123, vaBits: 48, layout: 'v6.9' } } }, /scenario\.arch\.pageSize/],
    ['explore without a counterexample', { schema: 'ptlab.explore/1', scenario: 'thread-race', strategy: 'upstream', counterexample: null }, /counterexample/],
    ['explore of a scenario that is no preset, without config', { schema: 'ptlab.explore/1', scenario: 'mine', strategy: 'upstream', counterexample: { kind: 'uaf-table-write', schedule: [0] } }, /'mine' is not a preset/],
    ['explore of an unknown strategy', { schema: 'ptlab.explore/1', scenario: 'thread-race', strategy: 'nope', counterexample: { kind: 'uaf-table-write', schedule: [0] } }, /nope/],
    ['results without a schedule', { schema: 'ptlab.results/1', runs: [] }, /no run with a recorded schedule/],
  ];

  it.each(cases)('%s: both refuse, naming it', (_name, doc, mention) => {
    const cli = viaCli(doc);
    const schema = viaSchema(doc);
    expect(typeof cli, 'the CLI reader refuses it').toBe('string');
    expect(cli).toMatch(mention);
    expect(typeof schema, 'parseTraceDocument refuses it').toBe('string');
    expect(schema).toMatch(/^file\.json: /);
    expect(schema).toMatch(mention);
  });

  it('a __proto__ knob is refused and pollutes nothing', () => {
    const doc = JSON.parse(JSON.stringify(base()).replace('"knobs":{', '"knobs":{"__proto__":{"polluted":1},')) as unknown;
    expect(viaSchema(doc)).toMatch(/strategy\.knobs\.__proto__: unknown knob/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a built-in's entry without knobs means the built-in", () => {
    const r = parseTraceDocument({ ...base(), strategy: { id: 'upstream', knobs: {} } });
    expect(r.strategy).toBe(findStrategy('upstream'));
  });
});
