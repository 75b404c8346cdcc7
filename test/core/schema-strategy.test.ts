/**
 * The strategy schema is the one list of knobs: the built-in table, the
 * knob choices the UI offers, the published JSON Schema and defineStrategy's
 * checks all come from it; the reserved-id rule and the prototype-name
 * refusals survive on top of it.
 */
import Ajv from 'ajv';
import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { toJsonSchema } from '../../core/schema/check.ts';
import { KNOB_SCHEMAS, StrategyDefSchema, StrategyKnobsSchema } from '../../core/schema/strategy.ts';
import { defineStrategy, knobChoices, STRATEGIES, StrategyError } from '../../core/strategies.ts';

const published = toJsonSchema(StrategyDefSchema);
const { $schema: _declared, ...draft07 } = published;
const valid = new Ajv().compile(draft07);

function refusal(def: unknown): string | null {
  try {
    defineStrategy(def);
    return null;
  } catch (e) {
    if (!(e instanceof StrategyError)) throw e;
    return e.message;
  }
}

describe('the strategy schema', () => {
  it('every built-in has a full, valid set of knobs, and knobChoices() lists the schema’s values', () => {
    for (const s of STRATEGIES) expect(Value.Check(StrategyKnobsSchema, s.knobs), s.id).toBe(true);
    expect(Object.keys(knobChoices())).toEqual(Object.keys(KNOB_SCHEMAS));
    expect(knobChoices().freeTables).toEqual(['all-empty', 'floor-ceiling', 'never-vmemmap', 'never']);
    expect(knobChoices().blockTlbi).toEqual([true, false]);
    for (const [k, s] of Object.entries(KNOB_SCHEMAS)) expect((s as { description?: string }).description, k).toMatch(/\w{3}/);
  });

  it('the published JSON Schema (ajv) accepts variants of every built-in and what defineStrategy accepts', () => {
    for (const s of STRATEGIES) {
      for (const def of [{ id: `${s.id}-copy`, base: s.id }, { id: s.id, knobs: s.knobs }, { id: 'mine', base: s.id, knobs: { freeTables: 'never' } }]) {
        expect(valid(def), JSON.stringify(def)).toBe(true);
        expect(refusal(def), JSON.stringify(def)).toBeNull();
      }
    }
  });

  it.each([
    [{ id: 'constructor' }, /strategy\.id: expected a name/],
    [{ id: 'toString' }, /strategy\.id: expected a name/],
    [{ id: 'hasOwnProperty' }, /strategy\.id: expected a name/],
    [{ id: '../x' }, /strategy\.id: expected a name/],
    [{ id: 'x', knobs: { freeTables: 'sometimes' } }, /strategy\.knobs\.freeTables: expected one of "all-empty", "floor-ceiling", "never-vmemmap", "never", got "sometimes"/],
    [{ id: 'x', knobs: { valueOf: 1 } }, /strategy\.knobs\.valueOf: unknown knob \(known: teardown, /],
    [{ id: 'x', colour: 'red' }, /strategy\.colour: unknown field/],
    [{ id: 'x', title: 4 }, /strategy\.title: expected a string, got 4/],
  ])('%j is refused by both, naming the field', (def, message) => {
    expect(valid(def)).toBe(false);
    expect(refusal(def)).toMatch(message);
  });

  it('a built-in id with other knobs passes the schema but not defineStrategy (reserved ids are a rule on top)', () => {
    const def = { id: 'upstream', base: 'v5' };
    expect(valid(def)).toBe(true);
    expect(refusal(def)).toMatch(/^strategy\.id: 'upstream' is a built-in strategy and these knobs differ from it/);
    expect(refusal({ id: 'mine', base: 'nope' })).toMatch(/^strategy\.base: unknown strategy 'nope' \(known: v5, /);
  });

  it(`random definitions fail only with a StrategyError naming the field (fast-check seed 20261208)`, () => {
    console.log('[schema-strategy] fast-check seed 20261208');
    const knobs = fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(KNOB_SCHEMAS), 'toString', '__proto__'), fc.string()), fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(...Object.values(knobChoices()).flat())));
    const def = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ id: fc.oneof(fc.constantFrom(...STRATEGIES.map((s) => s.id), 'mine', 'constructor'), fc.string()), base: fc.option(fc.constantFrom(...STRATEGIES.map((s) => s.id), 'nope'), { nil: undefined }), knobs }, { requiredKeys: ['id'] }),
    );
    fc.assert(
      fc.property(def, (d) => {
        const r = refusal(d);
        if (r !== null) expect(r).toMatch(/^strategy(?:\.[^\s.:[]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])*: \S/);
        if (!valid(d)) expect(r).not.toBeNull();
      }),
      { seed: 20261208, numRuns: 2000 },
    );
  });
});
