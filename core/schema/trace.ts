/**
 * A replayable trace (`ptlab.trace/1`) as a TypeBox schema: the scenario
 * document, the strategy (id and full knobs), the seed and the scheduler's
 * choices, and what the replay must hit. The scenario itself is checked by
 * core/scenario.ts's parseScenario when the trace is loaded.
 */
import { type Static, Type } from '@sinclair/typebox';
import { StrategyIdSchema } from './strategy.ts';
import { TraceStepSchema, ViolationKindSchema } from './results.ts';

export const TraceDocumentSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    schema: Type.Literal('ptlab.trace/1'),
    scenario: Type.Unknown({ description: 'the scenario document (ptlab.scenario/1)' }),
    strategy: Type.Object({ id: StrategyIdSchema, knobs: Type.Record(Type.String(), Type.Unknown()) }),
    seed: Type.Integer({ minimum: 0 }),
    schedule: Type.Array(Type.Integer({ minimum: 0 })),
    expect: Type.Union([Type.Object({ kind: ViolationKindSchema, step: Type.Integer({ minimum: 0 }) }), Type.Null()]),
    trace: Type.Optional(Type.Array(TraceStepSchema)),
  },
  { $id: 'ptlab.trace/1', title: 'PT Lab replayable trace' },
);

export type TraceDocumentInput = Static<typeof TraceDocumentSchema>;
