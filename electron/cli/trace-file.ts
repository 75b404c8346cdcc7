/**
 * Replayable trace files for the CLI. `ptlab replay FILE` accepts a
 * `ptlab.trace/1` document (the scenario document, the strategy, the seed
 * and the scheduler's choices, plus what the replay must hit), or a
 * `ptlab.explore/1` or `ptlab.results/1` document that carries a schedule;
 * each becomes a `ptlab.trace/1` document for the lab's `replay`, which
 * checks the scenario and the strategy. Here only the file's shape is
 * checked, with errors that name the file and the field. `--save-trace`
 * writes the same document.
 */
import type { TraceDocument } from '../lab/api.ts';
import { InputError, MAX_TRACE_FILE_BYTES, readJson } from '../lab/resolve.ts';

/** What the lab knows that a trace file may leave out: preset documents and built-in knobs. */
export interface TraceCatalog {
  presetDoc(name: string): unknown | null;
  builtinKnobs(id: string): Record<string, unknown> | null;
  violationKinds: readonly string[];
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

/** `{id, knobs}`: knobs may be left out of a built-in's entry (they are the built-in's own). */
function traceStrategy(value: unknown, file: string, catalog: TraceCatalog): TraceDocument['strategy'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${file}: strategy: expected an object {id, knobs}`);
  const s = value as Record<string, unknown>;
  if (typeof s.id !== 'string') throw new InputError(`${file}: strategy.id: expected a string`);
  const builtin = catalog.builtinKnobs(s.id);
  if (s.knobs === undefined) {
    if (builtin === null) throw new InputError(`${file}: strategy.knobs: expected the knobs of strategy '${s.id}' (it is not a built-in)`);
    return { id: s.id, knobs: builtin };
  }
  if (typeof s.knobs !== 'object' || s.knobs === null || Array.isArray(s.knobs)) throw new InputError(`${file}: strategy.knobs: expected an object`);
  return { id: s.id, knobs: s.knobs as Record<string, unknown> };
}

function traceSeed(value: unknown, file: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InputError(`${file}: seed: expected a non-negative integer, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value;
}

/** `expect`: null (the replay must find no violation) or a known kind at a step. */
function traceExpect(value: unknown, file: string, catalog: TraceCatalog): TraceDocument['expect'] {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${file}: expect: expected null or {kind, step}`);
  const e = value as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !catalog.violationKinds.includes(e.kind)) {
    throw new InputError(`${file}: expect.kind: expected one of ${catalog.violationKinds.join(', ')}, got ${JSON.stringify(e.kind) ?? 'nothing'}`);
  }
  if (typeof e.step !== 'number' || !Number.isSafeInteger(e.step) || e.step < 0) {
    throw new InputError(`${file}: expect.step: expected a non-negative integer, got ${JSON.stringify(e.step) ?? 'nothing'}`);
  }
  return { kind: e.kind as NonNullable<TraceDocument['expect']>['kind'], step: e.step };
}

function isSchedule(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
}

/** Loads a trace (or explore, or results) file as a `ptlab.trace/1` document; errors name the file and the field. */
export function loadTraceFile(file: string, catalog: TraceCatalog): TraceDocument {
  const parsed = readJson(file, 'trace', MAX_TRACE_FILE_BYTES);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InputError(`${file}: expected a JSON object`);
  const doc = parsed as Record<string, unknown>;
  if (doc.schema === 'ptlab.trace/1') {
    if (!isSchedule(doc.schedule)) throw new InputError(`${file}: schedule: expected an array of actor indices`);
    return {
      schema: 'ptlab.trace/1',
      scenario: doc.scenario,
      strategy: traceStrategy(doc.strategy, file, catalog),
      seed: traceSeed(doc.seed, file),
      schedule: doc.schedule,
      expect: traceExpect(doc.expect, file, catalog),
    };
  }
  if (doc.schema === 'ptlab.explore/1') {
    const cx = doc.counterexample as { kind: unknown; schedule: unknown; step?: number; trace?: { step: number }[] } | null;
    if (!cx || !isSchedule(cx.schedule)) throw new InputError(`${file}: counterexample.schedule: expected a recorded schedule`);
    const scDoc = doc.config ?? catalog.presetDoc(String(doc.scenario));
    if (scDoc === null || scDoc === undefined) throw new InputError(`${file}: scenario '${String(doc.scenario)}' is not a preset and the file has no config`);
    const id = String(doc.strategy);
    const knobs = catalog.builtinKnobs(id);
    if (knobs === null) throw new InputError(`${file}: strategy: '${id}' is not a built-in strategy (an explore document names its strategy by id)`);
    const last = cx.trace?.[cx.trace.length - 1];
    return {
      schema: 'ptlab.trace/1',
      scenario: scDoc,
      strategy: { id, knobs },
      seed: doc.seed === undefined ? 1 : traceSeed(doc.seed, file),
      schedule: cx.schedule,
      expect: traceExpect({ kind: cx.kind, step: cx.step ?? last?.step ?? cx.schedule.length - 1 }, file, catalog),
    };
  }
  if (doc.schema === 'ptlab.results/1') {
    const runs = doc.runs as RunLike[] | undefined;
    const r = Array.isArray(runs) ? runs.find((x) => isSchedule(x.schedule) && x.schedule.length > 0) : undefined;
    if (!r) throw new InputError(`${file}: no run with a recorded schedule`);
    const scDoc = r.config ?? catalog.presetDoc(r.scenario);
    if (scDoc === null || scDoc === undefined) throw new InputError(`${file}: run has no config and '${r.scenario}' is not a preset`);
    // The replay needs no recorded steps; the run's own are left out rather than checked.
    const { trace: _steps, ...t } = traceFromRun(r, scDoc, null, catalog);
    return { ...t, expect: traceExpect(t.expect, file, catalog) };
  }
  throw new InputError(`${file}: not a PT Lab trace (expected schema ptlab.trace/1, ptlab.explore/1 or ptlab.results/1)`);
}
