/**
 * Field-by-field validation of documents that come from outside (imported
 * `ptlab.results/1` files). Each check throws a DbInputError naming the field
 * path and what was expected, e.g. `runs[0].metrics.vmalloc.ops: expected a number, got "12"`.
 * Unknown extra fields are allowed (newer writers may add fields) and ignored.
 */

import {
  VIOLATION_KINDS,
  type ResultsDocument,
  type RunMode,
  type RunResult,
  type RunStatus,
  type Series,
  type TraceStep,
  type Violation,
  type ViolationKind,
  KEY_STEP_ROLES,
} from '../core/results.ts';
import { isUnsafeKey } from '../core/scenario.ts';
import { DbInputError } from './errors.ts';
import { currentStrategyName } from './legacy.ts';
import { MAX_TRACE_STEPS } from './limits.ts';

export const RESULTS_SCHEMA = 'ptlab.results/1';
export const RUN_MODES: readonly RunMode[] = ['timed', 'random', 'pct', 'explore', 'replay'];
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'interrupted', 'cancelled'];

type Obj = Record<string, unknown>;

/** Describes a value for an error message, briefly. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'number':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function fail(path: string, expected: string, value: unknown): never {
  throw new DbInputError(path, `expected ${expected}, got ${describe(value)}`);
}

function missing(path: string, expected: string): never {
  throw new DbInputError(path, `expected ${expected}, but it is missing`);
}

/** `path.key`, or `path["odd key"]` when the key would not read as a plain name. */
export function fieldPath(path: string, key: string): string {
  const plain = /^[A-Za-z_$][\w$.-]*$/.test(key);
  const joined = plain ? key : `[${JSON.stringify(key)}]`;
  if (path === '') return joined;
  return plain ? `${path}.${key}` : `${path}${joined}`;
}

export function expectObject(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  return value as Obj;
}

export function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, 'an array', value);
  return value;
}

export function expectString(value: unknown, path: string, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string') fail(path, options.nonEmpty ? 'a non-empty string' : 'a string', value);
  if (options.nonEmpty && value.trim() === '') fail(path, 'a non-empty string', value);
  return value;
}

export function expectNumber(value: unknown, path: string): number {
  // JSON cannot carry NaN or Infinity, so a finite number is what a valid document holds.
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a number', value);
  return value;
}

export function expectInteger(value: unknown, path: string, options: { min?: number } = {}): number {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const expected = min === 0 ? 'a non-negative integer' : 'an integer';
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(path, expected, value);
  return value;
}

export function expectOneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

function field(object: Obj, key: string, path: string, expected: string): unknown {
  if (!Object.hasOwn(object, key) || object[key] === undefined) missing(fieldPath(path, key), expected);
  return object[key];
}

function optional(object: Obj, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The ids LabDb generates (crypto.randomUUID()); an imported id must look the same (no paths, no free text). */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function expectRunId(value: unknown, path: string): string {
  if (typeof value !== 'string' || !RUN_ID.test(value)) fail(path, 'a UUID such as 6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab', value);
  return value;
}

/** YYYY-MM-DD, optionally with a time (hh:mm, seconds and fraction optional) and a zone (Z or ±hh:mm). */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

/**
 * An ISO 8601 date or date-time, normalised to the stored form (UTC with
 * milliseconds, so text order is time order). Only the ISO forms pass:
 * "yesterday", "May 1, 2024" or February 30th do not.
 */
export function expectIsoDate(value: unknown, path: string): string {
  const m = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  const time = m ? Date.parse(value as string) : Number.NaN;
  if (m) {
    const [year, month, day, hour, minute, second, zoneHour, zoneMinute] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && zoneHour <= 23 && zoneMinute <= 59;
    if (valid && !Number.isNaN(time)) return new Date(time).toISOString();
  }
  return fail(path, 'an ISO 8601 date such as 2024-05-01T09:30:00Z', value);
}

/** A run tag: text without control characters (they separate tags in the library listing), at most 200 characters. */
export function expectTag(value: unknown, path: string): string {
  const tag = expectString(value, path, { nonEmpty: true });
  if (/\p{Cc}/u.test(tag)) throw new DbInputError(path, 'expected a tag without control characters');
  if (tag.length > 200) throw new DbInputError(path, 'expected a tag of at most 200 characters');
  return tag;
}

/** Checks that `value` is plain JSON data (what JSON.parse can return) so it survives storage unchanged. */
function expectJson(value: unknown, path: string, depth = 0): unknown {
  if (depth > 200) fail(path, 'JSON nested at most 200 deep', value);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return expectNumber(value, path);
  if (Array.isArray(value)) {
    value.forEach((item, index) => expectJson(item, `${path}[${index}]`, depth + 1));
    return value;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      expectSafeKey(key, path);
      expectJson(item, fieldPath(path, key), depth + 1);
    }
    return value;
  }
  return fail(path, 'JSON data', value);
}

function validateTraceStep(value: unknown, path: string): TraceStep {
  const o = expectObject(value, path);
  const timeNs = field(o, 'timeNs', path, 'a number or null');
  const frame = field(o, 'frame', path, 'an object or null');
  let frameValue: TraceStep['frame'] = null;
  if (frame !== null) {
    const framePath = fieldPath(path, 'frame');
    const f = expectObject(frame, framePath);
    frameValue = {
      pfn: expectInteger(field(f, 'pfn', framePath, 'a non-negative integer'), fieldPath(framePath, 'pfn'), { min: 0 }),
      generation: expectInteger(field(f, 'generation', framePath, 'an integer'), fieldPath(framePath, 'generation')),
      role: expectString(field(f, 'role', framePath, 'a string'), fieldPath(framePath, 'role')),
    };
  }
  const locksPath = fieldPath(path, 'locks');
  return {
    step: expectInteger(field(o, 'step', path, 'a non-negative integer'), fieldPath(path, 'step'), { min: 0 }),
    timeNs: timeNs === null ? null : expectNumber(timeNs, fieldPath(path, 'timeNs')),
    cpu: expectInteger(field(o, 'cpu', path, 'a non-negative integer'), fieldPath(path, 'cpu'), { min: 0 }),
    actor: expectString(field(o, 'actor', path, 'a string'), fieldPath(path, 'actor')),
    function: expectString(field(o, 'function', path, 'a string'), fieldPath(path, 'function')),
    action: expectString(field(o, 'action', path, 'a string'), fieldPath(path, 'action')),
    address: expectAddress(field(o, 'address', path, 'a hex address string'), fieldPath(path, 'address')),
    frame: frameValue,
    locks: expectArray(field(o, 'locks', path, 'an array of strings'), locksPath).map((lock, index) =>
      expectString(lock, `${locksPath}[${index}]`),
    ),
    ...(o.repeat === undefined ? {} : { repeat: expectInteger(o.repeat, fieldPath(path, 'repeat'), { min: 2 }) }),
    ...(o.key === undefined ? {} : { key: validateKeyMark(o.key, fieldPath(path, 'key')) }),
  };
}

/** A trace line's key-step mark: {role, label}. */
function validateKeyMark(value: unknown, path: string): NonNullable<TraceStep['key']> {
  const o = expectObject(value, path);
  return {
    role: expectOneOf(field(o, 'role', path, 'a key step role'), fieldPath(path, 'role'), KEY_STEP_ROLES),
    label: expectString(field(o, 'label', path, 'a string'), fieldPath(path, 'label')),
  };
}

function validateKeySteps(value: unknown, path: string): NonNullable<Violation['keySteps']> {
  return expectArray(value, path).map((item, index) => {
    const p = `${path}[${index}]`;
    const o = expectObject(item, p);
    return {
      step: expectInteger(field(o, 'step', p, 'a non-negative integer'), fieldPath(p, 'step'), { min: 0 }),
      actor: expectString(field(o, 'actor', p, 'a string'), fieldPath(p, 'actor')),
      cpu: expectInteger(field(o, 'cpu', p, 'an integer'), fieldPath(p, 'cpu')),
      role: expectOneOf(field(o, 'role', p, 'a key step role'), fieldPath(p, 'role'), KEY_STEP_ROLES),
      label: expectString(field(o, 'label', p, 'a string'), fieldPath(p, 'label')),
    };
  });
}

function expectAddress(value: unknown, path: string): string {
  const text = expectString(value, path);
  if (!/^[0-9a-fA-F]{0,16}$/.test(text)) fail(path, 'a hex address without 0x (up to 16 digits) or ""', value);
  return text;
}

export function validateViolation(value: unknown, path: string): Violation {
  const o = expectObject(value, path);
  const tracePath = fieldPath(path, 'trace');
  return {
    kind: expectOneOf(field(o, 'kind', path, 'a violation kind'), fieldPath(path, 'kind'), VIOLATION_KINDS),
    step: expectInteger(field(o, 'step', path, 'a non-negative integer'), fieldPath(path, 'step'), { min: 0 }),
    cpu: expectInteger(field(o, 'cpu', path, 'a non-negative integer'), fieldPath(path, 'cpu'), { min: 0 }),
    actor: expectString(field(o, 'actor', path, 'a string'), fieldPath(path, 'actor')),
    function: expectString(field(o, 'function', path, 'a string'), fieldPath(path, 'function')),
    address: expectAddress(field(o, 'address', path, 'a hex address string'), fieldPath(path, 'address')),
    // The CLI's JSON lists `message` as optional; an absent one reads back as "".
    message: o.message === undefined ? '' : expectString(o.message, fieldPath(path, 'message')),
    trace: expectTrace(field(o, 'trace', path, 'an array of trace steps'), tracePath),
    ...(o.narrative === undefined ? {} : { narrative: expectString(o.narrative, fieldPath(path, 'narrative')) }),
    ...(o.keySteps === undefined ? {} : { keySteps: validateKeySteps(o.keySteps, fieldPath(path, 'keySteps')) }),
  };
}

function expectTrace(value: unknown, path: string): TraceStep[] {
  const steps = expectArray(value, path);
  if (steps.length > MAX_TRACE_STEPS) {
    throw new DbInputError(path, `expected at most ${MAX_TRACE_STEPS.toLocaleString('en-US')} steps (PT Lab's limit per violation trace), got ${steps.length.toLocaleString('en-US')}`);
  }
  const out: TraceStep[] = [];
  for (let index = 0; index < steps.length; index++) out.push(validateTraceStep(steps[index], `${path}[${index}]`));
  return out;
}

export function validateSeries(value: unknown, path: string): Series {
  const o = expectObject(value, path);
  const xPath = fieldPath(path, 'x');
  const yPath = fieldPath(path, 'y');
  const x = expectArray(field(o, 'x', path, 'an array of numbers'), xPath);
  const y = expectArray(field(o, 'y', path, 'an array of numbers'), yPath);
  if (x.length !== y.length) {
    throw new DbInputError(path, `expected x and y of the same length, got ${x.length} and ${y.length}`);
  }
  x.forEach((item, index) => expectNumber(item, `${xPath}[${index}]`));
  y.forEach((item, index) => expectNumber(item, `${yPath}[${index}]`));
  return {
    name: expectString(field(o, 'name', path, 'a non-empty string'), fieldPath(path, 'name'), { nonEmpty: true }),
    unit: expectString(field(o, 'unit', path, 'a string'), fieldPath(path, 'unit')),
    x: x as number[],
    y: y as number[],
  };
}

/**
 * Refuses a key from input that would reach a prototype when used as a property name
 * (`__proto__`, `constructor`, `toString`, …), wherever the document is read later.
 */
export function expectSafeKey(key: string, path: string): string {
  if (isUnsafeKey(key)) throw new DbInputError(fieldPath(path, key), 'expected a name other than __proto__, constructor, prototype or another Object.prototype member');
  return key;
}

/** A non-empty string that is also usable as a key (scenario and strategy names key summaries). */
export function expectName(value: unknown, path: string): string {
  const name = expectString(value, path, { nonEmpty: true });
  if (isUnsafeKey(name)) fail(path, 'a name other than __proto__, constructor, prototype or another Object.prototype member', value);
  return name;
}

/** A strategy's knobs as stored: an object of plain values (the knob names are core's, not checked here). */
export function validateKnobs(value: unknown, path: string): Record<string, string | number | boolean> {
  return validateRecord(value, path, (v, p) => {
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) fail(p, 'a string, number or boolean', v);
    return v;
  });
}

/** `--set` overrides: `path=value` strings. */
export function validateSets(value: unknown, path: string): string[] {
  return expectArray(value, path).map((s, index) => {
    const text = expectString(s, `${path}[${index}]`, { nonEmpty: true });
    if (!text.includes('=')) fail(`${path}[${index}]`, 'a path=value override', text);
    return text;
  });
}

function validateRecord<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): Record<string, T> {
  const o = expectObject(value, path);
  for (const key of Object.keys(o)) expectSafeKey(key, path);
  // fromEntries defines own properties, so a "__proto__" key stays data instead of changing the prototype.
  return Object.fromEntries(Object.entries(o).map(([key, entry]) => [key, item(entry, fieldPath(path, key))]));
}

export function validateRunResult(value: unknown, path: string): RunResult {
  const o = expectObject(value, path);
  const id = optional(o, 'id') ?? null;
  const countsPath = fieldPath(path, 'violationCounts');
  const counts = validateRecord(field(o, 'violationCounts', path, 'an object'), countsPath, (n, p) =>
    expectInteger(n, p, { min: 0 }),
  );
  for (const kind of Object.keys(counts)) expectOneOf(kind, fieldPath(countsPath, kind), VIOLATION_KINDS);

  const violationsPath = fieldPath(path, 'violations');
  const run: RunResult = {
    id: id === null ? null : expectRunId(id, fieldPath(path, 'id')),
    scenario: expectName(field(o, 'scenario', path, 'a non-empty string'), fieldPath(path, 'scenario')),
    strategy: expectName(field(o, 'strategy', path, 'a non-empty string'), fieldPath(path, 'strategy')),
    mode: expectOneOf(field(o, 'mode', path, 'a run mode'), fieldPath(path, 'mode'), RUN_MODES),
    seed: expectInteger(field(o, 'seed', path, 'an integer'), fieldPath(path, 'seed')),
    status: expectOneOf(field(o, 'status', path, 'a run status'), fieldPath(path, 'status'), RUN_STATUSES),
    violations: expectArray(field(o, 'violations', path, 'an array'), violationsPath).map((v, index) =>
      validateViolation(v, `${violationsPath}[${index}]`),
    ),
    violationCounts: counts as Partial<Record<ViolationKind, number>>,
    metrics: validateRecord(field(o, 'metrics', path, 'an object of numbers'), fieldPath(path, 'metrics'), expectNumber),
  };
  if (optional(o, 'series') !== undefined) {
    const seriesPath = fieldPath(path, 'series');
    const series = expectArray(o.series, seriesPath).map((s, index) => validateSeries(s, `${seriesPath}[${index}]`));
    const seen = new Set<string>();
    series.forEach((s, index) => {
      if (seen.has(s.name)) throw new DbInputError(`${seriesPath}[${index}].name`, `expected a unique series name, got a second "${s.name}"`);
      seen.add(s.name);
    });
    run.series = series;
  }
  if (optional(o, 'schedule') !== undefined) {
    const schedulePath = fieldPath(path, 'schedule');
    run.schedule = expectArray(o.schedule, schedulePath).map((choice, index) =>
      expectInteger(choice, `${schedulePath}[${index}]`, { min: 0 }),
    );
  }
  if (optional(o, 'config') !== undefined) run.config = expectJson(o.config, fieldPath(path, 'config'));
  return run;
}

/**
 * What the database kept about a run besides its RunResult. An export of
 * stored runs carries all of it; a `ptlab run --json` document none of it.
 */
export interface RecordedRunMeta {
  version?: string;
  experimentName?: string | null;
  startedAt?: string;
  finishedAt?: string | null;
  wallMs?: number | null;
  error?: string | null;
  ownerPid?: number | null;
  ownerHost?: string | null;
  tags?: string[];
  note?: string | null;
  strategyKnobs?: Record<string, string | number | boolean> | null;
  sets?: string[];
  scenarioFile?: string | null;
}

function nullable<T>(o: Obj, key: string, path: string, check: (value: unknown, path: string) => T): T | null | undefined {
  const value = optional(o, key);
  if (value === undefined) return undefined;
  return value === null ? null : check(value, fieldPath(path, key));
}

/** The stored-run fields of an exported run, each checked; absent ones stay absent. */
export function validateRecordedRunMeta(value: unknown, path: string): RecordedRunMeta {
  const o = expectObject(value, path);
  const meta: RecordedRunMeta = {};
  const text = (v: unknown, p: string): string => expectString(v, p);
  const version = optional(o, 'version');
  if (version !== undefined) meta.version = expectString(version, fieldPath(path, 'version'), { nonEmpty: true });
  const startedAt = optional(o, 'startedAt');
  if (startedAt !== undefined) meta.startedAt = expectIsoDate(startedAt, fieldPath(path, 'startedAt'));
  const entries: [keyof RecordedRunMeta, unknown][] = [
    ['experimentName', nullable(o, 'experimentName', path, (v, p) => expectString(v, p, { nonEmpty: true }))],
    ['finishedAt', nullable(o, 'finishedAt', path, expectIsoDate)],
    ['wallMs', nullable(o, 'wallMs', path, expectNumber)],
    ['error', nullable(o, 'error', path, text)],
    ['ownerPid', nullable(o, 'ownerPid', path, (v, p) => expectInteger(v, p, { min: 0 }))],
    ['ownerHost', nullable(o, 'ownerHost', path, text)],
    ['note', nullable(o, 'note', path, text)],
    ['strategyKnobs', nullable(o, 'strategyKnobs', path, validateKnobs)],
    ['scenarioFile', nullable(o, 'scenarioFile', path, (v, p) => expectString(v, p, { nonEmpty: true }))],
  ];
  for (const [key, v] of entries) if (v !== undefined) (meta as Record<string, unknown>)[key] = v;
  const tags = optional(o, 'tags');
  if (tags !== undefined) {
    const tagsPath = fieldPath(path, 'tags');
    meta.tags = expectArray(tags, tagsPath).map((tag, index) => expectTag(tag, `${tagsPath}[${index}]`));
  }
  const sets = optional(o, 'sets');
  if (sets !== undefined) meta.sets = validateSets(sets, fieldPath(path, 'sets'));
  return meta;
}

/** The parts of a `ptlab.results/1` document besides its runs. */
export interface ResultsHeader {
  version: string;
  summary: ResultsDocument['summary'] | undefined;
}

/**
 * Checks the schema, version and summary of a `ptlab.results/1` document
 * (`o` holds every top-level field but `runs`, which may be read apart).
 */
export function validateResultsHeader(o: Obj): ResultsHeader {
  for (const key of Object.keys(o)) expectSafeKey(key, '');
  const schema = field(o, 'schema', '', `"${RESULTS_SCHEMA}"`);
  if (schema !== RESULTS_SCHEMA) fail('schema', `"${RESULTS_SCHEMA}"`, schema);
  let summary: ResultsDocument['summary'] | undefined;
  // The summary is derived from the runs and not stored; check its shape only when present.
  if (optional(o, 'summary') !== undefined) summary = validateSummary(o.summary);
  return {
    // The CLI's documented output may omit the writer's version; runs then record it as "unknown".
    version: optional(o, 'version') === undefined ? 'unknown' : expectString(o.version, 'version', { nonEmpty: true }),
    summary,
  };
}

/** Refuses a second run with the same id in one document. */
export class RunIdSet {
  private readonly ids = new Set<string>();

  add(id: string | null, path: string): void {
    if (id === null) return;
    if (this.ids.has(id)) throw new DbInputError(path, `expected a unique run id, got a second "${id}"`);
    this.ids.add(id);
  }
}

/** Validates a whole `ptlab.results/1` document; returns it typed, or throws DbInputError at the first bad field. */
export function validateResultsDocument(doc: unknown): ResultsDocument {
  const { header, runs } = validateResultsDocumentWithMeta(doc);
  return { schema: RESULTS_SCHEMA, version: header.version, runs: runs.map((r) => r.run), summary: header.summary ?? { runs: runs.length, byStrategy: {} } };
}

/** Like validateResultsDocument, with each run's stored-run fields (what an export of saved runs carries). */
export function validateResultsDocumentWithMeta(doc: unknown): { header: ResultsHeader; runs: { run: RunResult; meta: RecordedRunMeta }[] } {
  const o = expectObject(doc, '(document)');
  const header = validateResultsHeader(Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'runs')));
  const ids = new RunIdSet();
  const runs = expectArray(field(o, 'runs', '', 'an array of runs'), 'runs').map((value, index) => {
    const run = validateRunResult(value, `runs[${index}]`);
    // A document from PT Lab 0.1 names strategies as 0.1 did (its v6 is today's v5-reviewed): store them under today's names.
    run.strategy = currentStrategyName(run.strategy, header.version);
    ids.add(run.id, `runs[${index}].id`);
    return { run, meta: validateRecordedRunMeta(value, `runs[${index}]`) };
  });
  return { header, runs };
}

function validateSummary(value: unknown): ResultsDocument['summary'] {
  const s = expectObject(value, 'summary');
  const byStrategy = validateRecord(field(s, 'byStrategy', 'summary', 'an object'), 'summary.byStrategy', (entry, p) => {
    const e = expectObject(entry, p);
    return {
      runs: expectInteger(field(e, 'runs', p, 'a non-negative integer'), fieldPath(p, 'runs'), { min: 0 }),
      violating: expectInteger(field(e, 'violating', p, 'a non-negative integer'), fieldPath(p, 'violating'), { min: 0 }),
      kinds: validateRecord(field(e, 'kinds', p, 'an object'), fieldPath(p, 'kinds'), (n, q) => expectInteger(n, q, { min: 0 })),
    };
  });
  return {
    runs: expectInteger(field(s, 'runs', 'summary', 'a non-negative integer'), 'summary.runs', { min: 0 }),
    byStrategy,
  };
}
