/**
 * Replayable trace files (`ptlab.trace/1`): the scenario document, the
 * strategy, the seed and the scheduler's choices, plus what the replay must
 * hit (violation kind and step). Also accepts a `ptlab.explore/1` or
 * `ptlab.results/1` document that carries a schedule.
 */
import { type RunResult, type Violation, VIOLATION_KINDS, type ViolationKind } from '../../core/results.ts';
import { parseScenario, type Scenario } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, STRATEGIES, type Strategy } from '../../core/strategies.ts';
import { findPreset } from '../../core/presets.ts';
import { asInputError, InputError, MAX_TRACE_FILE_BYTES, readJson } from '../lab/resolve.ts';

export interface TraceFile {
  scenario: Scenario;
  scenarioDoc: unknown;
  strategy: Strategy;
  seed: number;
  schedule: number[];
  expect: { kind: ViolationKind; step: number } | null;
}

export interface TraceDocument {
  schema: 'ptlab.trace/1';
  scenario: unknown;
  strategy: { id: string; knobs: Strategy['knobs'] };
  seed: number;
  schedule: number[];
  expect: { kind: ViolationKind; step: number } | null;
  trace?: unknown;
}

/**
 * A run's trace. Without `strategy`, the run's own: its recorded knobs when it
 * has them (a saved or exported run), else the built-in of its id.
 */
export function traceFromRun(
  r: RunResult & { strategyKnobs?: unknown },
  scenarioDoc: unknown,
  strategy: Strategy | null,
  violation: Violation | undefined = r.violations[0],
): TraceFile & { toJSON(): TraceDocument } {
  const v = violation;
  const strat = strategy ?? traceStrategy(r.strategyKnobs == null ? { id: r.strategy } : { id: r.strategy, knobs: r.strategyKnobs }, `run ${r.id ?? ''}`.trim());
  const expect = v ? { kind: v.kind, step: v.step } : null;
  return {
    scenario: parseScenario(scenarioDoc),
    scenarioDoc,
    strategy: strat,
    seed: r.seed,
    schedule: r.schedule ?? [],
    expect,
    toJSON: (): TraceDocument => ({ schema: 'ptlab.trace/1', scenario: scenarioDoc, strategy: { id: strat.id, knobs: strat.knobs }, seed: r.seed, schedule: r.schedule ?? [], expect, trace: v?.trace }),
  };
}

/**
 * The trace's strategy. A built-in id with other knobs is refused like any
 * user strategy posing as a built-in (defineStrategy), so a replay never
 * reports a variant's result under a built-in's name.
 */
function traceStrategy(value: unknown, file: string): Strategy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${file}: strategy: expected an object {id, knobs}`);
  const s = value as Record<string, unknown>;
  if (typeof s.id !== 'string') throw new InputError(`${file}: strategy.id: expected a string`);
  const builtin = STRATEGIES.some((x) => x.id === s.id);
  if (!builtin && s.knobs === undefined) throw new InputError(`${file}: strategy.knobs: expected the knobs of strategy '${s.id}' (it is not a built-in)`);
  // Knobs left out of a built-in's entry mean the built-in's own.
  return defineStrategy(builtin && s.base === undefined ? { ...s, base: s.id } : s, `${file}: strategy`);
}

function traceSeed(value: unknown, file: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new InputError(`${file}: seed: expected an integer, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value;
}

/** `expect`: null (the replay must find no violation) or a known kind at a step. */
function traceExpect(value: unknown, file: string): TraceFile['expect'] {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new InputError(`${file}: expect: expected null or {kind, step}`);
  const e = value as Record<string, unknown>;
  if (typeof e.kind !== 'string' || !(VIOLATION_KINDS as readonly string[]).includes(e.kind)) {
    throw new InputError(`${file}: expect.kind: expected one of ${VIOLATION_KINDS.join(', ')}, got ${JSON.stringify(e.kind) ?? 'nothing'}`);
  }
  if (typeof e.step !== 'number' || !Number.isSafeInteger(e.step) || e.step < 0) {
    throw new InputError(`${file}: expect.step: expected a non-negative integer, got ${JSON.stringify(e.step) ?? 'nothing'}`);
  }
  return { kind: e.kind as ViolationKind, step: e.step };
}

function isSchedule(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
}

/** Load and validate a trace file; errors name the field. */
export function loadTraceFile(file: string): TraceFile {
  const parsed = readJson(file, 'trace', MAX_TRACE_FILE_BYTES);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InputError(`${file}: expected a JSON object`);
  const doc = parsed as Record<string, unknown>;
  try {
    if (doc.schema === 'ptlab.trace/1') {
      if (!isSchedule(doc.schedule)) throw new InputError(`${file}: schedule: expected an array of actor indices`);
      return {
        scenario: parseScenario(doc.scenario),
        scenarioDoc: doc.scenario,
        strategy: traceStrategy(doc.strategy, file),
        seed: traceSeed(doc.seed, file),
        schedule: doc.schedule,
        expect: traceExpect(doc.expect, file),
      };
    }
    if (doc.schema === 'ptlab.explore/1') {
      const cx = doc.counterexample as { kind: ViolationKind; schedule: unknown; step?: number; trace?: { step: number }[] } | null;
      if (!cx || !isSchedule(cx.schedule)) throw new InputError(`${file}: counterexample.schedule: expected a recorded schedule`);
      const scDoc = (doc.config as unknown) ?? findPreset(String(doc.scenario))?.doc;
      if (!scDoc) throw new InputError(`${file}: scenario '${String(doc.scenario)}' is not a preset and the file has no config`);
      const last = cx.trace?.[cx.trace.length - 1];
      return {
        scenario: parseScenario(scDoc),
        scenarioDoc: scDoc,
        strategy: findStrategy(String(doc.strategy)),
        seed: doc.seed === undefined ? 1 : traceSeed(doc.seed, file),
        schedule: cx.schedule,
        expect: { kind: cx.kind, step: cx.step ?? last?.step ?? cx.schedule.length - 1 },
      };
    }
    if (doc.schema === 'ptlab.results/1') {
      const runs = doc.runs as RunResult[] | undefined;
      const r = runs?.find((x) => x.schedule && x.schedule.length > 0);
      if (!r) throw new InputError(`${file}: no run with a recorded schedule`);
      const scDoc = r.config ?? findPreset(r.scenario)?.doc;
      if (!scDoc) throw new InputError(`${file}: run has no config and '${r.scenario}' is not a preset`);
      return traceFromRun(r, scDoc, null);
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    return asInputError(e);
  }
  throw new InputError(`${file}: not a PT Lab trace (expected schema ptlab.trace/1, ptlab.explore/1 or ptlab.results/1)`);
}
