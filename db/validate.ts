/**
 * Validation of documents that come from outside (imported `ptlab.results/1`
 * files). The shape of a run, a violation, a trace step, the stored-run
 * fields and the header is core/schema/results.ts's schema; this module
 * checks against it, words the first failure the way the importer always has
 * (a DbInputError naming the field path and what was expected, e.g.
 * `runs[0].metrics.vmalloc.ops: expected a number, got "12"`), and adds the
 * rules a schema cannot state: calendar dates, keys that would reach a
 * prototype, unique run ids and series names, x and y of one length, the
 * trace-length limit, plain JSON in `config`, and 0.1's strategy names.
 * Unknown extra fields are allowed (newer writers may add fields) and dropped.
 *
 * The `expect*` helpers are the typed API's argument checks (db/index.ts).
 */

import type { TSchema } from '@sinclair/typebox';
import type { ResultsDocument, RunResult, Series, Violation } from '../core/results.ts';
import { findIssue, isUnsafeKey, phrase, projectValue, type Wording } from '../core/schema/check.ts';
import {
  BareRunResultSchema,
  ISO_DATE_PATTERN,
  type RecordedRun,
  RecordedRunSchema,
  ResultsHeaderSchema,
  RUN_MODES as MODES,
  RUN_STATUSES as STATUSES,
  RunResultSchema,
  SetSchema,
  StoredKnobsSchema,
  TagSchema,
  ViolationSchema,
} from '../core/schema/results.ts';
import { DbInputError } from './errors.ts';
import { currentStrategyName } from './legacy.ts';
import { MAX_TRACE_STEPS } from './limits.ts';

export const RESULTS_SCHEMA = 'ptlab.results/1';
export const RUN_MODES: readonly RunResult['mode'][] = MODES;
export const RUN_STATUSES: readonly RunResult['status'][] = STATUSES;

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

/** The importer's dialect: `runs[0].mode: expected one of timed, random, …, got "fast"`, `…: expected a non-empty string, but it is missing`. */
const IMPORT_WORDING: Wording = {
  quoteChoices: false,
  listRequired: false,
  ranges: 'words',
  got: describe,
  missing: (expected) => `expected ${expected}, but it is missing`,
  // Only the violation counts refuse other keys: their keys are the violation kinds.
  unknown: (key, known) => `expected one of ${known.join(', ')}, got ${JSON.stringify(key)}`,
};

/** Throws a DbInputError at the first field of `value` (found under `path`) that does not fit `schema`. */
function conform(schema: TSchema, value: unknown, path: string): void {
  const issue = findIssue(schema, value);
  if (issue === null) return;
  const p = phrase(issue, IMPORT_WORDING, path);
  throw new DbInputError(p.path, p.message);
}

function fail(path: string, expected: string, value: unknown): never {
  throw new DbInputError(path, `expected ${expected}, got ${describe(value)}`);
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

const ISO_DATE = new RegExp(ISO_DATE_PATTERN);

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
  conform(TagSchema, value, path);
  return value as string;
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

/**
 * Refuses a key from input that would reach a prototype when used as a property name
 * (`__proto__`, `constructor`, `toString`, …), wherever the document is read later.
 */
export function expectSafeKey(key: string, path: string): string {
  if (isUnsafeKey(key)) throw new DbInputError(fieldPath(path, key), 'expected a name other than __proto__, constructor, prototype or another Object.prototype member');
  return key;
}

function expectSafeKeys(o: object, path: string): void {
  for (const key of Object.keys(o)) expectSafeKey(key, path);
}

/** A non-empty string that is also usable as a key (scenario and strategy names key summaries). */
export function expectName(value: unknown, path: string): string {
  const name = expectString(value, path, { nonEmpty: true });
  if (isUnsafeKey(name)) fail(path, 'a name other than __proto__, constructor, prototype or another Object.prototype member', value);
  return name;
}

/** A violation's trace within PT Lab's limit. */
function checkTraceLength(v: Violation, path: string): void {
  if (v.trace.length > MAX_TRACE_STEPS) {
    throw new DbInputError(
      fieldPath(path, 'trace'),
      `expected at most ${MAX_TRACE_STEPS.toLocaleString('en-US')} steps (PT Lab's limit per violation trace), got ${v.trace.length.toLocaleString('en-US')}`,
    );
  }
}

/** A violation as stored: its shape (the schema), then the trace-length limit. An absent `message` reads back as "". */
export function validateViolation(value: unknown, path: string): Violation {
  conform(ViolationSchema, value, path);
  checkTraceLength(value as Violation, path);
  const v = projectValue<Violation>(ViolationSchema, value);
  // The CLI's JSON may leave `message` out (the schema's default).
  v.message ??= '';
  return v;
}

/** A strategy's knobs as stored: an object of plain values (the knob names are core's, not checked here). */
export function validateKnobs(value: unknown, path: string): Record<string, string | number | boolean> {
  conform(StoredKnobsSchema, value, path);
  expectSafeKeys(value as object, path);
  // fromEntries defines own properties, so a key stays data instead of changing the prototype.
  return Object.fromEntries(Object.entries(value as Obj)) as Record<string, string | number | boolean>;
}

/** `--set` overrides: `path=value` strings. */
export function validateSets(value: unknown, path: string): string[] {
  return expectArray(value, path).map((s, index) => {
    conform(SetSchema, s, `${path}[${index}]`);
    return s as string;
  });
}

/** Series names are unique within a run; x and y pair up. */
function checkSeries(series: readonly Series[], path: string): void {
  const seen = new Set<string>();
  series.forEach((s, index) => {
    const at = `${path}[${index}]`;
    if (s.x.length !== s.y.length) throw new DbInputError(at, `expected x and y of the same length, got ${s.x.length} and ${s.y.length}`);
    if (seen.has(s.name)) throw new DbInputError(`${at}.name`, `expected a unique series name, got a second "${s.name}"`);
    seen.add(s.name);
  });
}

/** A run of an imported document: the schema's shape, then the rules on top of it; returns the run without unknown fields. */
export function validateRunResult(value: unknown, path: string): RunResult {
  conform(RunResultSchema, value, path);
  const run = value as RunResult;
  expectName(run.scenario, fieldPath(path, 'scenario'));
  expectName(run.strategy, fieldPath(path, 'strategy'));
  expectSafeKeys(run.metrics, fieldPath(path, 'metrics'));
  run.violations.forEach((v, index) => checkTraceLength(v, `${fieldPath(path, 'violations')}[${index}]`));
  if (run.series !== undefined) checkSeries(run.series, fieldPath(path, 'series'));
  if (run.config !== undefined) expectJson(run.config, fieldPath(path, 'config'));
  const out = projectValue<RunResult>(BareRunResultSchema, value);
  out.id ??= null;
  for (const v of out.violations) v.message ??= '';
  return out;
}

/**
 * What the database kept about a run besides its RunResult. An export of
 * stored runs carries all of it; a `ptlab run --json` document none of it.
 */
export type RecordedRunMeta = RecordedRun;

/** The stored-run fields of an exported run, each checked; dates normalised to UTC; absent ones stay absent. */
export function validateRecordedRunMeta(value: unknown, path: string): RecordedRunMeta {
  conform(RecordedRunSchema, value, path);
  const meta = projectValue<RecordedRunMeta>(RecordedRunSchema, value);
  if (meta.startedAt !== undefined) meta.startedAt = expectIsoDate(meta.startedAt, fieldPath(path, 'startedAt'));
  if (meta.finishedAt != null) meta.finishedAt = expectIsoDate(meta.finishedAt, fieldPath(path, 'finishedAt'));
  if (meta.strategyKnobs != null) meta.strategyKnobs = validateKnobs(meta.strategyKnobs, fieldPath(path, 'strategyKnobs'));
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
  expectSafeKeys(o, '');
  conform(ResultsHeaderSchema, o, '');
  const header = o as { version?: string; summary?: ResultsDocument['summary'] };
  // The summary is derived from the runs and not stored; its shape is checked, and the keys it is read by.
  if (header.summary !== undefined) expectSafeKeys(header.summary.byStrategy, 'summary.byStrategy');
  // The CLI's documented output may omit the writer's version; runs then record it as "unknown".
  return { version: header.version ?? 'unknown', summary: header.summary };
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
  if (!Object.hasOwn(o, 'runs')) throw new DbInputError('runs', 'expected an array of runs, but it is missing');
  const ids = new RunIdSet();
  const runs = expectArray(o.runs, 'runs').map((value, index) => {
    const run = validateRunResult(value, `runs[${index}]`);
    // A document from PT Lab 0.1 names strategies as 0.1 did (its v6 is today's v5-reviewed): store them under today's names.
    run.strategy = currentStrategyName(run.strategy, header.version);
    ids.add(run.id, `runs[${index}].id`);
    return { run, meta: validateRecordedRunMeta(value, `runs[${index}]`) };
  });
  return { header, runs };
}
