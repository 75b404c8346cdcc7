/**
 * A saved experiment (`ptlab.experiment/1`): what the Designer holds under a
 * name (scenario, overrides, strategies, mode, seeds, explore bounds). Also
 * the pieces the lab API's requests share with it: scenario and strategy
 * references and the run parameters with their limits.
 */
import type { TSchema } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import { oneOf, SetSchema, TagSchema as RunTagSchema, ViolationKindSchema } from './results.ts';
import { ScenarioDocSchema } from './scenario.ts';
import { StrategyIdSchema } from './strategy.ts';

/**
 * A scenario document as a request carries it: an object of the scenario's
 * own fields (an unknown one is refused at once), each checked by
 * parseScenario when used — after the request's `--set` overrides, which may
 * supply or fix fields, so nothing deeper can be required here.
 */
export const ScenarioDocArgSchema = Type.Object(Object.fromEntries(Object.keys(ScenarioDocSchema.properties).map((k) => [k, Type.Optional(Type.Unknown())])), {
  additionalProperties: false,
  description: 'a scenario document (ptlab.scenario/1), checked field by field after the overrides',
}) as unknown as TSchema & { static: unknown };

/** A preset by name, or a whole scenario document (checked by parseScenario when used). */
export const ScenarioRefSchema = Type.Union([
  Type.Object({ preset: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  Type.Object({ doc: ScenarioDocArgSchema }, { additionalProperties: false }),
]);

/** A built-in or saved strategy id, or a variant definition (checked by defineStrategy when used). */
export const StrategyRefSchema = Type.Union([StrategyIdSchema, Type.Object({ def: Type.Unknown({ description: 'a strategy variant (ptlab.strategy/1)' }) }, { additionalProperties: false })]);

export const SimModeSchema = oneOf(['timed', 'random', 'pct'] as const);
export const ExperimentModeSchema = oneOf(['timed', 'random', 'pct', 'explore'] as const);

/** `path=value` scenario overrides (`--set`). */
export const SetsSchema = Type.Array(SetSchema, { maxItems: 1000 });
export const StrategiesSchema = Type.Array(StrategyRefSchema, { maxItems: 256 });
export const SeedSchema = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const SeedsSchema = Type.Integer({ minimum: 1, maximum: 1_000_000 });
export const PctDepthSchema = Type.Integer({ minimum: 1, maximum: 10 });
export const TagSchema = RunTagSchema;
export const TagsSchema = Type.Array(TagSchema, { maxItems: 100 });

export const ExploreBoundsSchema = Type.Object(
  {
    maxSchedules: Type.Optional(Type.Integer({ minimum: 1 })),
    timeLimitS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 3600 })),
    preemptionBound: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1000 }), Type.Null()])),
    kinds: Type.Optional(Type.Array(ViolationKindSchema, { minItems: 1 })),
  },
  { additionalProperties: false },
);

export const ExperimentDocSchema = Type.Object(
  {
    schema: Type.Literal('ptlab.experiment/1'),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scenario: ScenarioRefSchema,
    sets: SetsSchema,
    strategies: StrategiesSchema,
    mode: ExperimentModeSchema,
    seed: SeedSchema,
    seeds: SeedsSchema,
    pctDepth: Type.Optional(PctDepthSchema),
    explore: Type.Optional(ExploreBoundsSchema),
    notes: Type.Optional(Type.String({ maxLength: 100_000 })),
  },
  { additionalProperties: false, $id: 'ptlab.experiment/1', title: 'PT Lab experiment (what the Designer holds, under a name)' },
);
