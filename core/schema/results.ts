/**
 * The `ptlab.results/1` document (and `ptlab.explore/1`'s parts it shares) as
 * a TypeBox schema: what `ptlab run --json` and exports write and what import
 * accepts. It mirrors the shapes of core/results.ts; fields may be added,
 * none renamed. Unknown extra fields are allowed (newer writers may add
 * fields), as db/validate.ts allows them.
 */
import { type Static, Type } from '@sinclair/typebox';
import { type ResultsDocument, type RunResult, type Series, type TraceStep, type Violation, VIOLATION_KINDS } from '../results.ts';
import { EXPECTED, oneOf } from './check.ts';

export { oneOf };

export const ViolationKindSchema = oneOf(VIOLATION_KINDS);
export const RunModeSchema = oneOf(['timed', 'random', 'pct', 'explore', 'replay'] as const);
export const RunStatusSchema = oneOf(['running', 'completed', 'failed', 'interrupted', 'cancelled'] as const);

const Count = Type.Integer({ minimum: 0 });
const Address = Type.String({ pattern: '^[0-9a-fA-F]{0,16}$', [EXPECTED]: 'a hex address without 0x (up to 16 digits) or ""' });

export const TraceStepSchema = Type.Object(
  {
    step: Count,
    timeNs: Type.Union([Type.Number(), Type.Null()]),
    cpu: Count,
    actor: Type.String(),
    function: Type.String(),
    action: Type.String(),
    address: Address,
    frame: Type.Union([Type.Object({ pfn: Count, generation: Type.Integer(), role: Type.String() }), Type.Null()]),
    locks: Type.Array(Type.String()),
    repeat: Type.Optional(Type.Integer({ minimum: 2 })),
  },
  { $id: 'ptlab.trace-step', title: 'One step of a trace, in kernel terms' },
);

export const ViolationSchema = Type.Object({
  kind: ViolationKindSchema,
  step: Count,
  cpu: Count,
  actor: Type.String(),
  function: Type.String(),
  address: Address,
  message: Type.Optional(Type.String()),
  trace: Type.Array(TraceStepSchema),
});

export const SeriesSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  unit: Type.String(),
  x: Type.Array(Type.Number()),
  y: Type.Array(Type.Number()),
});

/** Counts per violation kind: only the stable kinds are keys. */
export const ViolationCountsSchema = Type.Object(Object.fromEntries(VIOLATION_KINDS.map((k) => [k, Type.Optional(Count)])), { additionalProperties: false });

export const RunResultSchema = Type.Object({
  id: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  scenario: Type.String({ minLength: 1 }),
  strategy: Type.String({ minLength: 1 }),
  mode: RunModeSchema,
  seed: Type.Integer(),
  status: RunStatusSchema,
  violations: Type.Array(ViolationSchema),
  violationCounts: ViolationCountsSchema,
  metrics: Type.Record(Type.String(), Type.Number()),
  series: Type.Optional(Type.Array(SeriesSchema)),
  schedule: Type.Optional(Type.Array(Count)),
  config: Type.Optional(Type.Unknown()),
  notes: Type.Optional(Type.Array(Type.String())),
});

const StrategySummary = Type.Object({ runs: Count, violating: Count, kinds: ViolationCountsSchema });

export const ResultsDocumentSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    schema: Type.Literal('ptlab.results/1'),
    version: Type.Optional(Type.String({ minLength: 1 })),
    runs: Type.Array(RunResultSchema),
    summary: Type.Optional(Type.Object({ runs: Count, byStrategy: Type.Record(Type.String(), StrategySummary) })),
  },
  { $id: 'ptlab.results/1', title: 'PT Lab results (runs with their metrics, violations and series)' },
);

export type ResultsDocumentInput = Static<typeof ResultsDocumentSchema>;

// The schema and the core types must describe the same data: each direction is checked at compile time.
const _step = (x: Static<typeof TraceStepSchema>): TraceStep => x;
const _stepBack = (x: TraceStep): Static<typeof TraceStepSchema> => x;
const _violation = (x: Violation): Static<typeof ViolationSchema> => x;
const _series = (x: Series): Static<typeof SeriesSchema> => x;
const _seriesBack = (x: Static<typeof SeriesSchema>): Series => x;
const _run = (x: RunResult): Static<typeof RunResultSchema> => x;
const _doc = (x: ResultsDocument): ResultsDocumentInput => x;
void [_step, _stepBack, _violation, _series, _seriesBack, _run, _doc];
