/**
 * A replayable trace (`ptlab.trace/1`) as a TypeBox schema: the scenario
 * document, the strategy (id and knobs), the seed and the scheduler's
 * choices, and what the replay must hit. Also the parts of the other
 * documents `ptlab replay` accepts (a `ptlab.explore/1` counterexample, a
 * `ptlab.results/1` run with a schedule), and `parseTraceDocument`, which
 * checks any of them against its schema, then parses the scenario
 * (parseScenario) and builds the strategy (defineStrategy: built-in ids stay
 * reserved), and returns what a replay needs.
 */
import type { Static } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import { findPreset } from '../presets.ts';
import type { RunResult, ViolationKind } from '../results.ts';
import { parseScenario, type Scenario, ScenarioError } from '../scenario.ts';
import { defineStrategy, findStrategy, type Strategy, STRATEGIES, StrategyError } from '../strategies.ts';
import { DOCUMENT_WORDING, EXPECTED, findIssue, phrase } from './check.ts';
import { ResultsDocumentSchema, TraceStepSchema, ViolationKindSchema } from './results.ts';
import { KnobOverridesSchema, StrategyIdSchema } from './strategy.ts';

const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Schedule = Type.Array(Count, { description: "the scheduler's choices: with scenario, strategy and seed they replay the run exactly", [EXPECTED]: 'an array of actor indices' });

/** What a replay must hit: a violation of a kind at a step, or (null) no violation at all. */
export const ExpectSchema = Type.Union([Type.Object({ kind: ViolationKindSchema, step: Count }), Type.Null()], {
  description: 'the violation the replay must reproduce (kind and step), or null for none',
});

export const TraceDocumentSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    schema: Type.Literal('ptlab.trace/1'),
    scenario: Type.Unknown({ description: 'the scenario document (ptlab.scenario/1)' }),
    strategy: Type.Object(
      {
        id: StrategyIdSchema,
        base: Type.Optional(Type.String({ minLength: 1, [EXPECTED]: 'a built-in strategy id' })),
        title: Type.Optional(Type.String({ maxLength: 200 })),
        description: Type.Optional(Type.String({ maxLength: 4000 })),
        knobs: KnobOverridesSchema,
      },
      { additionalProperties: false, description: "the design: a built-in's id (its knobs must be the built-in's), or a variant's id and knobs" },
    ),
    seed: Count,
    schedule: Schedule,
    expect: ExpectSchema,
    trace: Type.Optional(Type.Array(TraceStepSchema, { description: 'the steps leading to the violation, for reading (a replay does not need them)' })),
  },
  { $id: 'ptlab.trace/1', title: 'PT Lab replayable trace' },
);

export type TraceDocumentInput = Static<typeof TraceDocumentSchema>;

/** The parts of a `ptlab.explore/1` document a replay reads. */
export const ExploreReplaySchema = Type.Object({
  schema: Type.Literal('ptlab.explore/1'),
  scenario: Type.String({ minLength: 1 }),
  strategy: StrategyIdSchema,
  seed: Type.Optional(Count),
  config: Type.Optional(Type.Unknown({ description: 'the scenario document, when it is not a preset' })),
  counterexample: Type.Union([
    Type.Object({ kind: ViolationKindSchema, schedule: Schedule, step: Type.Optional(Count), trace: Type.Optional(Type.Array(TraceStepSchema)) }),
    Type.Null(),
  ]),
});

/** Bad input in a trace document: the message names the source (when given), the field and what was expected. */
export class TraceDocumentError extends Error {
  override name = 'TraceDocumentError';
}

/** What a replay needs, from any document `ptlab replay` accepts. */
export interface ReplayInput {
  scenario: Scenario;
  /** The scenario document as written (stored with the replayed run). */
  scenarioDoc: unknown;
  strategy: Strategy;
  seed: number;
  schedule: number[];
  expect: { kind: ViolationKind; step: number } | null;
}

type Fail = (message: string) => never;

function conform(schema: Parameters<typeof findIssue>[0], value: unknown, fail: Fail): void {
  const issue = findIssue(schema, value);
  if (!issue) return;
  const p = phrase(issue, DOCUMENT_WORDING);
  fail(p.path === '' ? p.message : `${p.path}: ${p.message}`);
}

/**
 * The trace's strategy. A built-in id with other knobs is refused like any
 * user strategy posing as a built-in (defineStrategy), so a replay never
 * reports a variant's result under a built-in's name. Knobs a built-in's
 * entry leaves out are the built-in's own.
 */
function traceStrategy(s: { id: string; base?: string; knobs?: object }, fail: Fail): Strategy {
  const builtin = STRATEGIES.some((x) => x.id === s.id);
  if (!builtin && s.knobs === undefined) fail(`strategy.knobs: required for '${s.id}', which is not a built-in`);
  return defineStrategy(builtin && s.base === undefined ? { ...s, base: s.id } : s, 'strategy');
}

/** A run's replay: its recorded knobs when it has them (a saved or exported run), else the built-in of its id. */
function fromRun(r: RunResult & { strategyKnobs?: object | null }, fail: Fail): ReplayInput {
  const scenarioDoc = r.config ?? findPreset(r.scenario)?.doc;
  if (scenarioDoc === undefined) fail(`run has no config and '${r.scenario}' is not a preset`);
  const v = r.violations[0];
  return {
    scenario: parseScenario(scenarioDoc),
    scenarioDoc,
    strategy: traceStrategy(r.strategyKnobs == null ? { id: r.strategy } : { id: r.strategy, knobs: r.strategyKnobs }, fail),
    seed: r.seed,
    schedule: r.schedule ?? [],
    expect: v ? { kind: v.kind, step: v.step } : null,
  };
}

/**
 * Checks a replayable document — `ptlab.trace/1`, a `ptlab.explore/1` with a
 * counterexample, or a `ptlab.results/1` with a run that recorded its
 * schedule — and returns what a replay needs. Every failure is a
 * TraceDocumentError whose message starts with `source: ` when a source
 * (the file name) is given, then names the field.
 */
export function parseTraceDocument(doc: unknown, source?: string): ReplayInput {
  const fail: Fail = (message) => {
    throw new TraceDocumentError(source === undefined ? message : `${source}: ${message}`);
  };
  try {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('expected a JSON object');
    const kind = (doc as { schema?: unknown }).schema;
    if (kind === 'ptlab.trace/1') {
      conform(TraceDocumentSchema, doc, fail);
      const t = doc as TraceDocumentInput;
      return { scenario: parseScenario(t.scenario), scenarioDoc: t.scenario, strategy: traceStrategy(t.strategy, fail), seed: t.seed, schedule: t.schedule, expect: t.expect };
    }
    if (kind === 'ptlab.explore/1') {
      conform(ExploreReplaySchema, doc, fail);
      const e = doc as Static<typeof ExploreReplaySchema>;
      const cx = e.counterexample;
      if (cx === null) return fail('counterexample: null (the search found no violation, so there is nothing to replay)');
      const scenarioDoc = e.config ?? findPreset(e.scenario)?.doc;
      if (scenarioDoc === undefined) return fail(`scenario '${e.scenario}' is not a preset and the file has no config`);
      const last = cx.trace?.[cx.trace.length - 1];
      return {
        scenario: parseScenario(scenarioDoc),
        scenarioDoc,
        strategy: findStrategy(e.strategy),
        seed: e.seed ?? 1,
        schedule: cx.schedule,
        expect: { kind: cx.kind, step: cx.step ?? last?.step ?? cx.schedule.length - 1 },
      };
    }
    if (kind === 'ptlab.results/1') {
      conform(ResultsDocumentSchema, doc, fail);
      const run = (doc as { runs: RunResult[] }).runs.find((x) => x.schedule && x.schedule.length > 0);
      if (!run) return fail('no run with a recorded schedule');
      return fromRun(run, fail);
    }
    return fail('not a PT Lab trace (expected schema ptlab.trace/1, ptlab.explore/1 or ptlab.results/1)');
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof StrategyError) fail(e.message);
    throw e;
  }
}
