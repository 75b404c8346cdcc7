/**
 * The `ptlab.results/1` document (and `ptlab.explore/1`'s parts it shares) as
 * a TypeBox schema: what `ptlab run --json` and exports write and what import
 * accepts, including the fields an export of saved runs adds (dates, tags,
 * note, owner, provenance). It mirrors the shapes of core/results.ts; fields
 * may be added, none renamed. Unknown extra fields are allowed (newer writers
 * may add fields) and dropped on import. db/validate.ts checks imports
 * against it and adds what a schema cannot state (calendar dates, keys that
 * reach a prototype, unique ids, size limits).
 */
import type { Static, TSchema } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import { KEY_STEP_ROLES, type ResultsDocument, type RunResult, type Series, type TraceStep, type Violation, VIOLATION_KINDS } from '../results.ts';
import { EXPECTED, oneOf } from './check.ts';

export { oneOf };

export const RUN_MODES = ['timed', 'random', 'pct', 'explore', 'replay'] as const;
export const RUN_STATUSES = ['running', 'completed', 'failed', 'interrupted', 'cancelled'] as const;

export const ViolationKindSchema = oneOf(VIOLATION_KINDS);
export const KeyStepRoleSchema = oneOf(KEY_STEP_ROLES);
export const RunModeSchema = oneOf(RUN_MODES);
export const RunStatusSchema = oneOf(RUN_STATUSES);

const MAX = Number.MAX_SAFE_INTEGER;
/** Integers are kept exact (SQLite INTEGER, JSON numbers): ±(2^53 - 1) at most. */
const Int = (options: Record<string, unknown> = {}) => Type.Integer({ minimum: -MAX, maximum: MAX, ...options });
const Count = Int({ minimum: 0 });
const NonEmpty = (options: Record<string, unknown> = {}) => Type.String({ minLength: 1, pattern: '\\S', [EXPECTED]: 'a non-empty string', ...options });
const Address = Type.String({ pattern: '^[0-9a-fA-F]{0,16}$', [EXPECTED]: 'a hex address without 0x (up to 16 digits) or ""' });
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** The ids PT Lab generates (crypto.randomUUID()); an imported id must look the same (no paths, no free text). */
export const RunIdSchema = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  [EXPECTED]: 'a UUID such as 6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab',
});

/** YYYY-MM-DD, optionally with a time (hh:mm, seconds and fraction optional) and a zone (Z or ±hh:mm); groups: year, month, day, hour, minute, second, zone hour, zone minute. */
export const ISO_DATE_PATTERN = '^(\\d{4})-(\\d{2})-(\\d{2})(?:T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?(?:Z|[+-](\\d{2}):?(\\d{2}))?)?$';
/** An ISO 8601 date or date-time (the calendar is checked on import: no February 30th). */
export const IsoDateSchema = Type.String({ pattern: ISO_DATE_PATTERN, [EXPECTED]: 'an ISO 8601 date such as 2024-05-01T09:30:00Z' });

/** A run tag: 1 to 200 characters, not only spaces, no control characters (they separate tags in the library listing). */
export const TagSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f-\\u009f]*$',
  [EXPECTED]: 'a tag without control characters (1 to 200 characters)',
});

/** A `--set` scenario override. */
export const SetSchema = Type.String({ maxLength: 10_000, pattern: '^[^=]*\\S[^=]*=', [EXPECTED]: 'a path=value override such as arch.vaBits=39' });

/** A strategy's knobs as stored with a run: plain values by name (the knob names are core/strategies.ts's, not checked here). */
export const StoredKnobsSchema = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()], { [EXPECTED]: 'a string, number or boolean' }));

export const TraceStepSchema = Type.Object(
  {
    step: Count,
    timeNs: nullable(Type.Number()),
    cpu: Count,
    actor: Type.String(),
    function: Type.String(),
    action: Type.String(),
    address: Address,
    frame: nullable(Type.Object({ pfn: Count, generation: Int(), role: Type.String() })),
    locks: Type.Array(Type.String()),
    repeat: Type.Optional(Int({ minimum: 2 })),
    key: Type.Optional(Type.Object({ role: KeyStepRoleSchema, label: Type.String() })),
  },
  { title: 'One step of a trace, in kernel terms' },
);

export const ViolationSchema = Type.Object({
  kind: ViolationKindSchema,
  step: Count,
  cpu: Count,
  actor: Type.String(),
  function: Type.String(),
  address: Address,
  // The CLI's JSON may leave `message` out; it reads back as "".
  message: Type.Optional(Type.String({ default: '' })),
  trace: Type.Array(TraceStepSchema),
  narrative: Type.Optional(Type.String()),
  keySteps: Type.Optional(Type.Array(Type.Object({ step: Count, actor: Type.String(), cpu: Type.Optional(Int()), role: KeyStepRoleSchema, label: Type.String() }))),
});

export const SeriesSchema = Type.Object({
  name: NonEmpty(),
  unit: Type.String(),
  x: Type.Array(Type.Number()),
  y: Type.Array(Type.Number()),
});

/** Counts per violation kind: only the stable kinds are keys. */
export const ViolationCountsSchema = Type.Object(Object.fromEntries(VIOLATION_KINDS.map((k) => [k, Type.Optional(Count)])), { additionalProperties: false });

/** What an export of saved runs adds to each run (a `ptlab run --json` document has none of it). */
export const RecordedRunFields = {
  version: Type.Optional(NonEmpty({ description: 'the PT Lab version that made the run' })),
  experimentName: Type.Optional(nullable(NonEmpty())),
  startedAt: Type.Optional(IsoDateSchema),
  finishedAt: Type.Optional(nullable(IsoDateSchema)),
  wallMs: Type.Optional(nullable(Type.Number())),
  error: Type.Optional(nullable(Type.String())),
  ownerPid: Type.Optional(nullable(Count)),
  ownerHost: Type.Optional(nullable(Type.String())),
  tags: Type.Optional(Type.Array(TagSchema)),
  note: Type.Optional(nullable(Type.String())),
  strategyKnobs: Type.Optional(nullable(StoredKnobsSchema)),
  sets: Type.Optional(Type.Array(SetSchema)),
  scenarioFile: Type.Optional(nullable(NonEmpty())),
};

export const RecordedRunSchema = Type.Object(RecordedRunFields);

/** A run's own fields (core/results.ts's RunResult). */
const runFields = {
  id: Type.Optional(nullable(RunIdSchema)),
  scenario: NonEmpty(),
  strategy: NonEmpty(),
  mode: RunModeSchema,
  seed: Int(),
  status: RunStatusSchema,
  violations: Type.Array(ViolationSchema),
  violationCounts: ViolationCountsSchema,
  metrics: Type.Record(Type.String(), Type.Number()),
  series: Type.Optional(Type.Array(SeriesSchema)),
  schedule: Type.Optional(Type.Array(Count)),
  config: Type.Optional(Type.Unknown({ description: 'the scenario document the run used (ptlab.scenario/1)' })),
  notes: Type.Optional(Type.Array(Type.String())),
};

/** A run without the stored-run fields: what a run is once imported, whatever else its document carried. */
export const BareRunResultSchema = Type.Object(runFields);

/** A run of a results document: its own fields, and those an export of saved runs adds. */
export const RunResultSchema = Type.Object({ ...runFields, ...RecordedRunFields });

const StrategySummary = Type.Object({ runs: Count, violating: Count, kinds: ViolationCountsSchema });

/** Every top-level field of a results document but `runs` (import reads `runs` one run at a time). */
const headerFields = {
  $schema: Type.Optional(Type.String()),
  schema: Type.Literal('ptlab.results/1'),
  version: Type.Optional(NonEmpty()),
  summary: Type.Optional(Type.Object({ runs: Count, byStrategy: Type.Record(Type.String(), StrategySummary) })),
};

export const ResultsHeaderSchema = Type.Object(headerFields);

export const ResultsDocumentSchema = Type.Object(
  { $schema: headerFields.$schema, schema: headerFields.schema, version: headerFields.version, runs: Type.Array(RunResultSchema), summary: headerFields.summary },
  { $id: 'ptlab.results/1', title: 'PT Lab results (runs with their metrics, violations and series)' },
);

export type ResultsDocumentInput = Static<typeof ResultsDocumentSchema>;
export type RecordedRun = Static<typeof RecordedRunSchema>;

// The schema and the core types must describe the same data: each direction is checked at compile time.
const _step = (x: Static<typeof TraceStepSchema>): TraceStep => x;
const _stepBack = (x: TraceStep): Static<typeof TraceStepSchema> => x;
const _violation = (x: Violation): Static<typeof ViolationSchema> => x;
const _series = (x: Series): Static<typeof SeriesSchema> => x;
const _seriesBack = (x: Static<typeof SeriesSchema>): Series => x;
const _run = (x: RunResult): Static<typeof RunResultSchema> => x;
const _doc = (x: ResultsDocument): ResultsDocumentInput => x;
void [_step, _stepBack, _violation, _series, _seriesBack, _run, _doc];
