/**
 * A user strategy variant (`{id, base?, title?, description?, knobs?}`) as a
 * TypeBox schema: the shape `defineStrategy` (core/strategies.ts) accepts.
 * Knob names and values come from the strategy module itself, so the schema
 * follows any knob added there.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { knobChoices, type StrategyKnobs } from '../strategies.ts';
import { EXPECTED } from './check.ts';

/** A strategy id: letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const StrategyIdSchema = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  maxLength: 64,
  [EXPECTED]: "a name of letters, digits, '.', '_' or '-' (at most 64)",
});

function knobSchema(values: readonly unknown[]): TSchema {
  return Type.Union(values.map((v) => Type.Literal(v as string | boolean)));
}

const KnobsSchema = Type.Object(
  Object.fromEntries(Object.entries(knobChoices()).map(([k, values]) => [k, Type.Optional(knobSchema(values))])),
  { additionalProperties: false },
) as unknown as TSchema & { static: Partial<StrategyKnobs> };

export const StrategyDefSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: StrategyIdSchema,
    base: Type.Optional(Type.String({ minLength: 1, [EXPECTED]: 'a built-in strategy id' })),
    title: Type.Optional(Type.String({ maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    knobs: Type.Optional(KnobsSchema),
  },
  { additionalProperties: false, $id: 'ptlab.strategy/1', title: 'PT Lab strategy variant (a built-in design with knobs changed)' },
);

export type StrategyDef = Static<typeof StrategyDefSchema>;
