/**
 * Replayable trace files for the CLI. `ptlab replay FILE` accepts a
 * `ptlab.trace/1` document (the scenario document, the strategy, the seed
 * and the scheduler's choices, plus what the replay must hit), or a
 * `ptlab.explore/1` or `ptlab.results/1` document that carries a schedule;
 * each is checked against its schema (errors name the file and the field)
 * and becomes a `ptlab.trace/1` document for the lab's `replay`.
 * `--save-trace` writes the same document.
 */
import { parseTraceDocument, type ReplayInput, TraceDocumentError } from '../../core/schema/trace.ts';
import type { TraceDocument } from '../lab/api.ts';
import { InputError, MAX_TRACE_FILE_BYTES, readJson } from '../lab/resolve.ts';

/** What the lab knows that a trace file may leave out: preset documents and built-in knobs. */
export interface TraceCatalog {
  presetDoc(name: string): unknown | null;
  builtinKnobs(id: string): Record<string, unknown> | null;
}

interface RunLike {
  id: string | null;
  scenario: string;
  strategy: string;
  seed: number;
  schedule?: number[];
  config?: unknown;
  strategyKnobs?: Record<string, unknown> | null;
  violations: { kind: string; step: number; trace: unknown[] }[];
}

/**
 * The trace of a run's violation (default: its first) as a document. The
 * strategy is the one given, else the run's recorded knobs, else the
 * built-in of its id.
 */
export function traceFromRun(
  r: RunLike,
  scenarioDoc: unknown,
  strategy: { id: string; knobs: Record<string, unknown> } | null,
  catalog: TraceCatalog,
  violation: RunLike['violations'][number] | undefined = r.violations[0],
): TraceDocument {
  const what = `run ${r.id ?? ''}`.trim();
  const knobs = strategy?.knobs ?? r.strategyKnobs ?? catalog.builtinKnobs(r.strategy);
  if (knobs === null) throw new InputError(`${what}: strategy '${r.strategy}' is not a built-in and the run has no recorded knobs`);
  const v = violation;
  return {
    schema: 'ptlab.trace/1',
    scenario: scenarioDoc,
    strategy: { id: strategy?.id ?? r.strategy, knobs },
    seed: r.seed,
    schedule: r.schedule ?? [],
    expect: v ? { kind: v.kind as NonNullable<TraceDocument['expect']>['kind'], step: v.step } : null,
    ...(v ? { trace: v.trace as NonNullable<TraceDocument['trace']> } : {}),
  };
}

/**
 * Loads a trace (or explore, or results) file as what a replay needs;
 * errors name the file and the field (core/schema/trace.ts checks every
 * document kind against its schema).
 */
export function loadTraceFile(file: string): ReplayInput {
  const parsed = readJson(file, 'trace', MAX_TRACE_FILE_BYTES);
  try {
    return parseTraceDocument(parsed, file);
  } catch (e) {
    if (e instanceof TraceDocumentError) throw new InputError(e.message);
    throw e;
  }
}

/** A replay's input as the `ptlab.trace/1` document the lab's `replay` takes. */
export function traceDocumentOf(r: ReplayInput): TraceDocument {
  return { schema: 'ptlab.trace/1', scenario: r.scenarioDoc, strategy: { id: r.strategy.id, knobs: { ...r.strategy.knobs } }, seed: r.seed, schedule: r.schedule, expect: r.expect };
}
