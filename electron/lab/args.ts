/**
 * Argument schemas of every lab API method (LAB_METHODS) and the check every
 * transport runs before a method runs: HTTP (`POST /api/<method>`) and
 * Electron IPC (`ptlab:<method>`) alike. A bad argument is refused with one
 * line naming the method and the argument path, e.g.
 * `listRuns: args[0].limit: expected an integer ≥ 1, got 0`.
 *
 * The schemas are TypeBox (checked with Value.Check/Value.Errors, never the
 * eval-based compiler); compile-time checks below keep each method's schema
 * in step with its TypeScript signature in api.ts. Documents are checked
 * against their own schemas from core/schema/ (the results document to
 * import, a strategy variant, an experiment, tags and overrides); a scenario
 * document only as an object of the scenario's fields, because the request's
 * overrides apply before parseScenario checks it.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { checkValue, joinPath, SchemaError } from '../../core/schema/check.ts';
import {
  ExperimentDocSchema,
  ExploreBoundsSchema,
  PctDepthSchema,
  ScenarioRefSchema,
  SeedSchema,
  SeedsSchema,
  SetsSchema,
  SimModeSchema,
  StrategiesSchema,
  TagSchema,
  TagsSchema,
} from '../../core/schema/experiment.ts';
import { oneOf, ResultsDocumentSchema, RunModeSchema, RunStatusSchema } from '../../core/schema/results.ts';
import { StrategyDefSchema, StrategyIdSchema } from '../../core/schema/strategy.ts';
import { LAB_METHODS, type LabApi, type LabMethod } from './api.ts';

/** A method's parameters: the first `required` must be given, the rest may be left off. */
export interface MethodArgs {
  params: readonly TSchema[];
  required: number;
}

type StaticList<T extends readonly TSchema[]> = { [K in keyof T]: T[K] extends TSchema ? Static<T[K]> : never };
type OptionalList<T extends readonly unknown[]> = { [K in keyof T]?: T[K] };
interface TypedArgs<R extends readonly TSchema[], O extends readonly TSchema[]> extends MethodArgs {
  /** Phantom: the argument tuple these schemas accept. */
  readonly _static?: [...StaticList<R>, ...OptionalList<StaticList<O>>];
}

function args<const R extends readonly TSchema[] = [], const O extends readonly TSchema[] = []>(required?: R, optional?: O): TypedArgs<R, O> {
  const r = (required ?? []) as readonly TSchema[];
  return { params: [...r, ...((optional ?? []) as readonly TSchema[])], required: r.length };
}

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Ids = Type.Array(Id, { minItems: 1, maxItems: 1_000_000 });
const JobId = Type.String({ minLength: 1, maxLength: 100 });
const Iso = Type.String({ minLength: 1, maxLength: 64 });

export const RunRequestSchema = Type.Object(
  {
    scenario: ScenarioRefSchema,
    sets: Type.Optional(SetsSchema),
    strategies: Type.Optional(StrategiesSchema),
    mode: SimModeSchema,
    seed: Type.Optional(SeedSchema),
    seeds: Type.Optional(SeedsSchema),
    pctDepth: Type.Optional(PctDepthSchema),
    save: Type.Optional(Type.Boolean()),
    tags: Type.Optional(TagsSchema),
    experimentId: Type.Optional(Type.Integer({ minimum: 1 })),
    useWorker: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Most threads one explore may ask for (core/explore/parallel.ts; each holds its own machines). */
export const MAX_EXPLORE_JOBS = 64;

export const ExploreRequestSchema = Type.Composite(
  [
    Type.Object({
      scenario: ScenarioRefSchema,
      sets: Type.Optional(SetsSchema),
      strategies: Type.Optional(StrategiesSchema),
      seed: Type.Optional(SeedSchema),
      save: Type.Optional(Type.Boolean()),
      tags: Type.Optional(TagsSchema),
      experimentId: Type.Optional(Type.Integer({ minimum: 1 })),
      jobs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPLORE_JOBS })),
    }),
    ExploreBoundsSchema,
  ],
  { additionalProperties: false },
);

export const ReplayRequestSchema = Type.Union([
  Type.Object({ runId: Id, violation: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
  Type.Object({ trace: Type.Unknown({ description: 'a ptlab.trace/1 document' }) }, { additionalProperties: false }),
]);

export const ListRequestSchema = Type.Object(
  {
    scenario: Type.Optional(Type.String()),
    strategy: Type.Optional(Type.String()),
    mode: Type.Optional(RunModeSchema),
    verdict: Type.Optional(oneOf(['safe', 'violation'] as const)),
    status: Type.Optional(RunStatusSchema),
    tag: Type.Optional(Type.String()),
    experimentId: Type.Optional(Type.Integer({ minimum: 1 })),
    since: Type.Optional(Iso),
    until: Type.Optional(Iso),
    text: Type.Optional(Type.String({ maxLength: 1000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1 })),
    offset: Type.Optional(Type.Integer({ minimum: 0 })),
    sort: Type.Optional(oneOf(['startedAt', 'scenario', 'strategy', 'mode', 'seed', 'status', 'violations', 'wallMs'] as const)),
    descending: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ExportRequestSchema = Type.Object(
  {
    ids: Ids,
    format: oneOf(['html', 'csv', 'json', 'pdf'] as const),
    baselineId: Type.Optional(Id),
    title: Type.Optional(Type.String({ maxLength: 500 })),
    trace: Type.Optional(Type.Object({ violation: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const TraceSourceSchema = Type.Union([
  Type.Object({ runId: Id, violation: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ trace: Type.Unknown({ description: 'a ptlab.trace/1 document' }) }, { additionalProperties: false }),
]);

export const SafetyRequestSchema = Type.Object(
  {
    strategies: Type.Array(Type.Union([StrategyIdSchema, Type.Object({ def: Type.Unknown() }, { additionalProperties: false })]), { minItems: 1, maxItems: 1000 }),
    scenarios: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const SeriesRequestSchema = Type.Object(
  {
    runId: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    from: Type.Optional(Type.Number()),
    to: Type.Optional(Type.Number()),
    points: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);

export const GetRunOptionsSchema = Type.Object({ series: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

export const SaveFileRequestSchema = Type.Object(
  {
    file: Type.Object(
      {
        filename: Type.String({ minLength: 1, maxLength: 255 }),
        mime: Type.String({ minLength: 1, maxLength: 200 }),
        encoding: oneOf(['utf8', 'base64'] as const),
        data: Type.String(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Every method's argument schemas, in LAB_METHODS order. */
export const LAB_ARGS = {
  appInfo: args(),
  presets: args(),
  strategies: args(),
  schemas: args(),
  validateScenario: args([Type.Unknown({ description: 'a scenario document' })]),
  validateStrategy: args([Type.Unknown({ description: 'a strategy variant' })]),
  layoutMap: args([ScenarioRefSchema], [SetsSchema]),
  startRun: args([RunRequestSchema]),
  startExplore: args([ExploreRequestSchema]),
  cancelJob: args([JobId]),
  jobs: args(),
  replay: args([ReplayRequestSchema]),
  listRuns: args([ListRequestSchema]),
  getRun: args([Id], [GetRunOptionsSchema]),
  deleteRuns: args([Ids]),
  undoDelete: args([Type.String({ minLength: 1, maxLength: 100 })]),
  importResults: args([ResultsDocumentSchema]),
  exportRuns: args([ExportRequestSchema]),
  addTags: args([Ids, Type.Array(TagSchema, { minItems: 1, maxItems: 100 })]),
  removeTag: args([Id, TagSchema]),
  setNote: args([Id, Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()])]),
  getBaseline: args(),
  setBaseline: args([Type.Union([Id, Type.Null()])]),
  openTrace: args([TraceSourceSchema]),
  traceSteps: args([JobId, Type.Integer({ minimum: 0 }), Type.Integer({ minimum: 1, maximum: 100_000 })]),
  traceState: args([JobId, Type.Integer({ minimum: -1 })]),
  closeTrace: args([JobId]),
  safety: args([SafetyRequestSchema]),
  startSafetyCheck: args([SafetyRequestSchema]),
  listSeries: args([Id]),
  getSeries: args([SeriesRequestSchema]),
  saveFile: args([SaveFileRequestSchema]),
  listExperiments: args(),
  saveExperiment: args([ExperimentDocSchema]),
  deleteExperiment: args([Type.Integer({ minimum: 1 })]),
  saveStrategy: args([StrategyDefSchema]),
  deleteStrategy: args([StrategyIdSchema]),
} as const satisfies Record<LabMethod, MethodArgs>;

// Compile-time: what each method's schemas accept is what its signature in api.ts takes.
type Accepted<M extends LabMethod> = NonNullable<(typeof LAB_ARGS)[M]['_static']>;
/** Methods whose signature takes `unknown` but whose transport check applies the document's schema. */
type DocumentArg = 'importResults' | 'saveStrategy';
type Fits<M extends LabMethod> = Accepted<M> extends Parameters<LabApi[M]> ? (M extends DocumentArg ? true : Parameters<LabApi[M]> extends Accepted<M> ? true : M) : M;
type Misfits = { [M in LabMethod]: Fits<M> }[LabMethod];
const _argsFit: [Misfits] extends [true] ? true : Exclude<Misfits, true> = true;
void _argsFit;

/** Bad arguments: the message is the whole line (method, argument path, what was expected). */
export class ArgsError extends Error {
  override name = 'ArgsError';
}

export function isLabMethod(name: string): name is LabMethod {
  return (LAB_METHODS as readonly string[]).includes(name);
}

/**
 * Checks a call's positional arguments against the method's schemas; returns
 * them (trailing optional ones may be absent) or throws ArgsError.
 */
export function checkArgs(method: LabMethod, argv: unknown): unknown[] {
  const spec: MethodArgs = LAB_ARGS[method];
  if (!Array.isArray(argv)) throw new ArgsError(`${method}: args: expected an array of arguments`);
  if (argv.length > spec.params.length) {
    throw new ArgsError(`${method}: expected at most ${spec.params.length} argument(s), got ${argv.length}`);
  }
  // JSON has no undefined: a trailing null stands for a left-off optional argument.
  const given = argv.slice();
  while (given.length > spec.required && (given[given.length - 1] === undefined || given[given.length - 1] === null) && !acceptsNull(spec.params[given.length - 1])) given.pop();
  for (let i = 0; i < spec.params.length; i++) {
    if (i >= given.length) {
      if (i < spec.required) throw new ArgsError(`${method}: args[${i}]: missing (expected ${spec.required} argument(s), got ${given.length})`);
      break;
    }
    try {
      checkValue(spec.params[i], given[i], `args[${i}]`);
    } catch (e) {
      if (e instanceof SchemaError) throw new ArgsError(`${method}: ${e.message}`);
      throw e;
    }
  }
  return given;
}

function acceptsNull(schema: TSchema | undefined): boolean {
  if (!schema) return false;
  const s = schema as { type?: unknown; anyOf?: { type?: unknown }[] };
  return s.type === 'null' || (Array.isArray(s.anyOf) && s.anyOf.some((b) => b.type === 'null'));
}

/** JSON Schema of each method's arguments (for documentation and the web host's error messages). */
export function argumentsJsonSchema(method: LabMethod): Record<string, unknown> {
  const spec: MethodArgs = LAB_ARGS[method];
  return {
    type: 'array',
    prefixItems: spec.params.map((p) => JSON.parse(JSON.stringify(p)) as unknown),
    minItems: spec.required,
    maxItems: spec.params.length,
  };
}

export { joinPath };
