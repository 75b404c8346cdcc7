/**
 * The scenario schema is the one definition of a scenario document: the JSON
 * Schema it publishes (`ptlab scenarios --schema`) accepts every preset, a
 * standard JSON Schema validator and parseScenario agree on what is
 * malformed, and no document — however random — makes parseScenario fail
 * with anything but a ScenarioError that names the field.
 */
import Ajv from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../core/presets.ts';
import { parseScenario, SCENARIO_SCHEMA, ScenarioError } from '../../core/scenario.ts';
import { runCli } from '../helpers/cli.ts';

/** ajv 6 (draft-07) is what is installed: the documents use nothing newer than draft-07 but declare 2020-12. */
function standardValidator(): (doc: unknown) => boolean {
  const { $schema: _declared, ...schema } = SCENARIO_SCHEMA;
  const validate = new Ajv({ allErrors: false }).compile(schema);
  return (doc) => validate(doc) === true;
}

type Seg = string | number;

/** Every path in a JSON document (objects' keys and arrays' indices), the root included. */
function pathsOf(v: unknown, at: Seg[] = [], out: Seg[][] = []): Seg[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

/** A copy of `doc` with the value at `at` replaced (or removed, for undefined). */
function edit(doc: unknown, at: Seg[], value: unknown): unknown {
  if (at.length === 0) return value;
  const out = structuredClone(doc) as Record<Seg, unknown>;
  let cur = out;
  for (const k of at.slice(0, -1)) cur = cur[k] as Record<Seg, unknown>;
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(last as number, 1);
    else delete cur[last];
  } else cur[last] = value;
  return out;
}

/** One edit of a preset: a field replaced by any JSON value, removed, or an extra field added. */
const mutatedPreset = fc
  .constantFrom(...PRESETS.map((p) => p.doc))
  .chain((doc) =>
    fc.oneof(
      fc.record({ doc: fc.constant(doc), at: fc.constantFrom(...pathsOf(doc)), value: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({ doc: fc.constant(doc), at: fc.constantFrom(...pathsOf(doc).filter((p) => p.length > 0)), value: fc.constant(undefined) }),
      fc.record({
        doc: fc.constant(doc),
        at: fc.constantFrom(...pathsOf(doc).filter((p) => typeof p[p.length - 1] === 'string')),
        value: fc.jsonValue({ maxDepth: 1 }),
      }),
    ),
  )
  .map(({ doc, at, value }) => edit(doc, at, value));

/** A few of parseScenario's own sizes and numbers next to the schema's bounds. */
const edgeValues = fc.constantFrom<unknown>(0, -1, 1, 1.5, 256, 257, 2 ** 53, 1e300, '', '0x', '0x10', '128M', '1.5K', '1.3', ' 2G ', '99999999999T', null, true, [], {});
const edgePreset = fc
  .constantFrom(...PRESETS.map((p) => p.doc))
  .chain((doc) => fc.record({ doc: fc.constant(doc), at: fc.constantFrom(...pathsOf(doc).filter((p) => p.length > 0)), value: edgeValues }))
  .map(({ doc, at, value }) => edit(doc, at, value));

const PATH_LINE = /^scenario(?:\.[^\s.:[]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*: \S/;

function outcome(doc: unknown): 'ok' | string {
  try {
    parseScenario(doc);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return e.message;
  }
}

describe('the published scenario JSON Schema', () => {
  const valid = standardValidator();

  it('is generated from the TypeBox schema and declares itself', () => {
    expect(SCENARIO_SCHEMA.$id).toBe('ptlab.scenario/1');
    expect(SCENARIO_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(SCENARIO_SCHEMA.additionalProperties).toBe(false);
  });

  it('accepts every preset document (checked by ajv, a standard JSON Schema validator)', () => {
    for (const p of PRESETS) expect(valid(p.doc), p.name).toBe(true);
  });

  it('refuses what parseScenario refuses field by field', () => {
    const doc = PRESETS[0].doc;
    for (const [at, value] of [
      [['arch', 'pageSize'], 123],
      [['memory', 'boot'], []],
      [['actors', 0, 'kind'], 'reboot'],
      [['actors', 1, 'count'], 0],
      [['cost'], { nope: 1 }],
      [['memory', 'kaslrLinearOffset'], '12Q'],
      [['colour'], 'red'],
    ] as [Seg[], unknown][]) {
      const bad = edit(doc, at, value);
      expect(valid(bad), at.join('.')).toBe(false);
      expect(outcome(bad), at.join('.')).not.toBe('ok');
    }
  });

  it('describes every field (the Designer shows descriptions as help text)', () => {
    const undocumented: string[] = [];
    const visit = (node: Record<string, unknown>, at: string): void => {
      const props = node.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [k, p] of Object.entries(props ?? {})) {
        // `kind` is described by each actor's literal; the union says what an actor is.
        if (typeof p.description !== 'string' || p.description.length < 3) undocumented.push(`${at}.${k}`);
        visit(p, `${at}.${k}`);
        if (p.items) visit(p.items as Record<string, unknown>, `${at}.${k}[]`);
      }
      for (const b of (node.anyOf as Record<string, unknown>[] | undefined) ?? []) visit(b, at);
      if (node.items) visit(node.items as Record<string, unknown>, `${at}[]`);
    };
    visit(SCENARIO_SCHEMA, 'scenario');
    expect(undocumented).toEqual([]);
  });
});

describe('parseScenario under random documents (fast-check)', () => {
  const seed = 20261207;
  const valid = standardValidator();

  it(`fails only with a ScenarioError naming the field, and never accepts what the JSON Schema refuses (seed ${seed})`, () => {
    console.log(`[schema-scenario] fast-check seed ${seed}`);
    fc.assert(
      fc.property(fc.oneof(mutatedPreset, edgePreset, fc.jsonValue({ maxDepth: 4 })), (doc) => {
        const r = outcome(doc);
        if (r !== 'ok') expect(r).toMatch(PATH_LINE);
        if (!valid(doc)) expect(r, 'parseScenario accepted a document the published schema refuses').not.toBe('ok');
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('edits of presets keep parsing when the schema and the cross-field rules allow them', () => {
    // Guard against a fuzz that only ever fails: some edits must parse.
    let parsed = 0;
    fc.assert(
      fc.property(mutatedPreset, (doc) => {
        if (outcome(doc) === 'ok') parsed++;
      }),
      { seed, numRuns: 500 },
    );
    expect(parsed).toBeGreaterThan(20);
  });
});

describe('ptlab scenarios --schema', () => {
  it('prints the generated schema', () => {
    const r = runCli(['scenarios', '--schema']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(SCENARIO_SCHEMA);
  });
});
