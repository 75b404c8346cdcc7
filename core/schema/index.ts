/**
 * PT Lab's document schemas (TypeBox, emitted as JSON Schema draft 2020-12
 * documents): scenario, strategy, results, trace and experiment, and the
 * checker that finds the first bad field and words it in one line. Each
 * schema is the one definition of its document: core validation, the
 * published JSON Schemas, the lab API's argument checks, import and the
 * Designer's form all read it.
 */
export {
  checkValue,
  describeSchema,
  dottedPath,
  EXPECTED,
  findIssue,
  findIssues,
  firstIssue,
  isUnsafeKey,
  joinPath,
  phrase,
  SchemaError,
  type SchemaIssue,
  showValue,
  toJsonSchema,
} from './check.ts';
export { ExperimentDocSchema, ScenarioRefSchema, StrategyRefSchema } from './experiment.ts';
export { ResultsDocumentSchema, RunResultSchema, TraceStepSchema, ViolationSchema } from './results.ts';
export { SCENARIO_SCHEMA, ScenarioDocSchema } from './scenario.ts';
export { StrategyDefSchema, StrategyIdSchema } from './strategy.ts';
export { parseTraceDocument, type ReplayInput, TraceDocumentError, TraceDocumentSchema } from './trace.ts';
