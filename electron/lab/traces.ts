/**
 * The Trace viewer's traces (lab API part 2: openTrace, traceSteps,
 * traceState, closeTrace). Opening a trace replays its run once with the
 * whole step log and the history of the machine (core/inspect.ts): a saved
 * run's violation (its scenario document, its recorded strategy knobs, seed
 * and schedule) or a trace document (`ptlab.trace/1`, or an explore
 * counterexample `ptlab.explore/1` with its `config`). It decides
 * "reproduced" exactly as `ptlab replay` does, and keeps a few open traces
 * (least recently used first out). Every failure is an InputError with one
 * line.
 */
import { randomUUID } from 'node:crypto';
import { focusOf, type Focus, TraceRecording } from '../../core/inspect.ts';
import { findPreset } from '../../core/presets.ts';
import { type TraceStep, type Violation, VIOLATION_KINDS, type ViolationKind } from '../../core/results.ts';
import { parseScenario, type Scenario, ScenarioError } from '../../core/scenario.ts';
import { checkValue, SchemaError } from '../../core/schema/check.ts';
import { TraceDocumentSchema } from '../../core/schema/trace.ts';
import { sourceBaseOf, sourceFileOf } from '../../core/sources.ts';
import type { Strategy } from '../../core/strategies.ts';
import type { StoredRun } from '../../db/types.ts';
import type { MachineState, TraceInfo, TraceSource } from './api.ts';
import { strategyFromRecord } from './refs.ts';
import { InputError } from './resolve.ts';

/** Open traces kept at once; opening another closes the least recently used. */
export const MAX_OPEN_TRACES = 4;
/** At most this many steps per traceSteps() page (args.ts allows no more). */
const MAX_PAGE = 100_000;

export interface TraceStoreDeps {
  getRun(id: string): Promise<StoredRun>;
  /** A saved strategy variant's definition by id, or null. */
  savedStrategy(id: string): unknown | null;
}

interface OpenTrace {
  info: TraceInfo;
  rec: TraceRecording;
  focus: Focus;
  /** Key steps by "step/actor", to mark the log's lines. */
  keys: Map<string, NonNullable<TraceStep['key']>>;
}

interface Resolved {
  scenario: Scenario;
  strategy: Strategy;
  seed: number;
  schedule: number[];
  expect: { kind: ViolationKind; step: number } | null;
  /** The violation as recorded (used when the replay no longer hits it). */
  recorded: Violation | null;
}

/** The verdict of a replay, worded as `ptlab replay` (and Lab.replay) word it. */
export function replayVerdict(
  expect: { kind: ViolationKind; step: number } | null,
  violations: readonly Violation[],
  diverged: boolean,
  scheduleLength: number,
): { reproduced: boolean; summary: string } {
  const v = expect ? violations.find((x) => x.kind === expect.kind) : undefined;
  const reproduced = expect ? v !== undefined && v.step === expect.step && !diverged : violations.length === 0 && !diverged;
  let summary: string;
  if (reproduced) summary = expect ? `reproduced: ${expect.kind} at step ${expect.step}` : 'reproduced: no violation, as recorded';
  else if (diverged) summary = `diverged: the recorded schedule (${scheduleLength} choices) no longer fits the model`;
  else if (expect) summary = `not reproduced: expected ${expect.kind} at step ${expect.step}, got ${v ? `it at step ${v.step}` : violations.map((x) => `${x.kind}@${x.step}`).join(', ') || 'no violation'}`;
  else summary = `not reproduced: expected no violation, got ${violations.map((x) => x.kind).join(', ')}`;
  return { reproduced, summary };
}

export class TraceStore {
  private readonly deps: TraceStoreDeps;
  /** Insertion order is recency: the first entry is the least recently used. */
  private readonly open = new Map<string, OpenTrace>();

  constructor(deps: TraceStoreDeps) {
    this.deps = deps;
  }

  async openTrace(source: TraceSource): Promise<TraceInfo> {
    const r = await this.resolve(source);
    // History is kept up to the recorded violation's step: the trace ends there (the replay still runs the whole schedule).
    const until = r.expect ? r.expect.step + 1 : undefined;
    const rec = TraceRecording.record({ scenario: r.scenario, strategy: r.strategy, seed: r.seed, schedule: r.schedule, recordUntil: until });
    const { reproduced, summary } = replayVerdict(r.expect, rec.result.violations, rec.diverged, r.schedule.length);
    const replayed = r.expect ? (rec.result.violations.find((x) => x.kind === r.expect!.kind) ?? null) : null;
    const violation = replayed ?? r.recorded;
    // The trace ends at the violation's step (a lost mapping found when the run ended: at the end).
    const total = Math.min(violation && violation.step < rec.steps ? violation.step + 1 : rec.steps, until ?? Infinity);
    const functions = new Set<string>();
    for (let s = 0; s < total; s++) functions.add(rec.sim.loggedFn(s));
    const era = rec.sim.layout.era;
    const functionFiles: Record<string, string> = {};
    for (const fn of [...functions].sort()) {
      const file = sourceFileOf(fn, era);
      if (file) functionFiles[fn] = file;
    }
    const traceId = randomUUID();
    const info: TraceInfo = {
      traceId,
      scenario: r.scenario.name,
      strategy: r.strategy.id,
      seed: r.seed,
      violation,
      totalSteps: total,
      actors: rec.sim.actors.map((a) => ({ name: a.name, cpu: a.cpu, kind: a.kind })).sort((a, b) => a.cpu - b.cpu),
      reproduced,
      replaySummary: summary,
      sourceBase: sourceBaseOf(era),
      functionFiles,
    };
    const keys = new Map<string, NonNullable<TraceStep['key']>>();
    for (const k of violation?.keySteps ?? []) keys.set(`${k.step}/${k.actor}`, { role: k.role, label: k.label });
    this.open.set(traceId, { info, rec, focus: focusOf(rec, violation), keys });
    while (this.open.size > MAX_OPEN_TRACES) this.open.delete(this.open.keys().next().value as string);
    return structuredClone(info);
  }

  /** Steps [offset, offset + limit) of the trace's log, rendered; key steps carry their role. */
  async traceSteps(traceId: string, offset: number, limit: number): Promise<TraceStep[]> {
    const t = this.get(traceId);
    if (!Number.isInteger(offset) || offset < 0) throw new InputError(`offset: expected a step number from 0, got ${offset}`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InputError(`limit: expected 1..${MAX_PAGE}, got ${limit}`);
    const end = Math.min(t.info.totalSteps, offset + limit);
    const out: TraceStep[] = [];
    for (let s = offset; s < end; s++) {
      const step = t.rec.sim.traceStep(s);
      const key = t.keys.get(`${s}/${step.actor}`);
      if (key) step.key = { ...key };
      out.push(step);
    }
    return out;
  }

  /** The machine after `step` (-1: before the first step). */
  async traceState(traceId: string, step: number): Promise<MachineState> {
    const t = this.get(traceId);
    if (!Number.isInteger(step) || step < -1 || step >= t.info.totalSteps) throw new InputError(`step: expected -1..${t.info.totalSteps - 1} (the trace has ${t.info.totalSteps} steps), got ${step}`);
    return t.rec.stateAt(step, t.focus);
  }

  async closeTrace(traceId: string): Promise<void> {
    this.open.delete(traceId);
  }

  /** Open trace ids, least recently used first (for tests and diagnostics). */
  openIds(): string[] {
    return [...this.open.keys()];
  }

  private get(traceId: string): OpenTrace {
    const t = this.open.get(traceId);
    if (!t) throw new InputError(`no open trace ${traceId} (closed, or closed to make room for newer ones: open it again)`);
    // Most recently used goes last.
    this.open.delete(traceId);
    this.open.set(traceId, t);
    return t;
  }

  private async resolve(source: TraceSource): Promise<Resolved> {
    if ('runId' in source) return this.fromRun(source.runId, source.violation);
    return this.fromDocument(source.trace);
  }

  private async fromRun(runId: string, index: number): Promise<Resolved> {
    const run = await this.deps.getRun(runId);
    if (!Number.isInteger(index) || index < 0 || index >= run.violations.length) {
      throw new InputError(`violation: run ${runId} has ${run.violations.length} recorded violation(s); got index ${index}`);
    }
    if (!run.schedule || run.schedule.length === 0) {
      throw new InputError(`run ${runId} has no recorded schedule (a ${run.mode} run${run.mode === 'timed' ? ': timed runs replay from their seed; run the scenario in random or explore mode for a trace' : ''})`);
    }
    if (run.config === undefined) throw new InputError(`run ${runId} has no stored scenario document`);
    let scenario: Scenario;
    try {
      scenario = parseScenario(run.config);
    } catch (e) {
      throw new InputError(`run ${runId}: its stored scenario no longer validates: ${(e as Error).message}`);
    }
    const strategy = strategyFromRecord(run.strategy, run.strategyKnobs, (id) => this.deps.savedStrategy(id));
    const v = run.violations[index];
    return { scenario, strategy, seed: run.seed, schedule: run.schedule, expect: { kind: v.kind, step: v.step }, recorded: v };
  }

  private fromDocument(doc: unknown): Resolved {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError('trace: expected a ptlab.trace/1 or ptlab.explore/1 document');
    const schema = (doc as { schema?: unknown }).schema;
    if (schema === 'ptlab.explore/1') return this.fromExplore(doc as Record<string, unknown>);
    let t;
    try {
      t = checkValue(TraceDocumentSchema, doc, 'trace');
    } catch (e) {
      if (e instanceof SchemaError) throw new InputError(e.message);
      throw e;
    }
    const scenario = scenarioOf(t.scenario, 'trace.scenario');
    const strategy = strategyFromRecord(t.strategy.id, t.strategy.knobs, (id) => this.deps.savedStrategy(id));
    const recorded: Violation | null = t.expect ? recordedViolation(t.expect, (t.trace ?? []) as TraceStep[], '') : null;
    return { scenario, strategy, seed: t.seed, schedule: t.schedule, expect: t.expect, recorded };
  }

  /** An explore document with its counterexample (the `job-explore` event carries its scenario as `config`). */
  private fromExplore(doc: Record<string, unknown>): Resolved {
    const cx = doc.counterexample as { kind?: unknown; message?: unknown; schedule?: unknown; step?: unknown; trace?: unknown } | null | undefined;
    if (!cx || typeof cx !== 'object') throw new InputError('trace.counterexample: the explore document has no counterexample to open');
    if (!Array.isArray(cx.schedule) || !cx.schedule.every((x) => Number.isInteger(x) && x >= 0)) throw new InputError('trace.counterexample.schedule: expected an array of actor indices');
    if (typeof cx.kind !== 'string' || !(VIOLATION_KINDS as readonly string[]).includes(cx.kind)) throw new InputError(`trace.counterexample.kind: expected one of ${VIOLATION_KINDS.join(', ')}`);
    const scDoc = doc.config ?? (typeof doc.scenario === 'string' ? findPreset(doc.scenario)?.doc : undefined);
    if (scDoc === undefined) throw new InputError(`trace.config: the explore document has no scenario document and '${String(doc.scenario)}' is not a preset`);
    const scenario = scenarioOf(scDoc, 'trace.config');
    if (typeof doc.strategy !== 'string') throw new InputError('trace.strategy: expected a strategy id');
    const strategy = strategyFromRecord(doc.strategy, null, (id) => this.deps.savedStrategy(id));
    const trace = (Array.isArray(cx.trace) ? cx.trace : []) as TraceStep[];
    const schedule = cx.schedule as number[];
    const step = typeof cx.step === 'number' ? cx.step : (trace[trace.length - 1]?.step ?? schedule.length - 1);
    const seed = typeof doc.seed === 'number' && Number.isInteger(doc.seed) ? doc.seed : 1;
    const expect = { kind: cx.kind as ViolationKind, step };
    return { scenario, strategy, seed, schedule, expect, recorded: recordedViolation(expect, trace, typeof cx.message === 'string' ? cx.message : '') };
  }
}

function scenarioOf(doc: unknown, path: string): Scenario {
  try {
    return parseScenario(doc);
  } catch (e) {
    if (e instanceof ScenarioError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}

/** The violation a document recorded, for a trace that no longer reproduces it. */
function recordedViolation(expect: { kind: ViolationKind; step: number }, trace: TraceStep[], message: string): Violation {
  const at = trace.find((t) => t.step === expect.step) ?? trace[trace.length - 1];
  return { kind: expect.kind, step: expect.step, cpu: at?.cpu ?? 0, actor: at?.actor ?? '', function: at?.function ?? '', address: at?.address ?? '', message, trace };
}
