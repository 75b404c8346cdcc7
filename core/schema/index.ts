/**
 * PT Lab's document schemas (TypeBox, emitted as JSON Schema draft 2020-12
 * documents) and the checker that reports the first bad field in one line.
 * The scenario keeps its hand-written schema and field-precise parser in
 * core/scenario.ts for now.
 */
export { checkValue, describeSchema, dottedPath, EXPECTED, firstIssue, joinPath, SchemaError, type SchemaIssue, showValue } from './check.ts';
export { ExperimentDocSchema, ScenarioRefSchema, StrategyRefSchema } from './experiment.ts';
export { ResultsDocumentSchema, RunResultSchema, TraceStepSchema, ViolationSchema } from './results.ts';
export { StrategyDefSchema, StrategyIdSchema } from './strategy.ts';
export { TraceDocumentSchema } from './trace.ts';

import type { TSchema } from '@sinclair/typebox';

/** A schema as a plain JSON Schema document (TypeBox's symbol-keyed metadata dropped). */
export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>) };
}
