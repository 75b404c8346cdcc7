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
} from '../core/results.ts';
import { DbInputError } from './errors.ts';
import { currentStrategyName } from './legacy.ts';

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
  if (!(key in object) || object[key] === undefined) missing(fieldPath(path, key), expected);
  return object[key];
}

function optional(object: Obj, key: string): unknown {
  return object[key];
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
    for (const [key, item] of Object.entries(value)) expectJson(item, fieldPath(path, key), depth + 1);
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
  };
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
    trace: expectArray(field(o, 'trace', path, 'an array of trace steps'), tracePath).map((step, index) =>
      validateTraceStep(step, `${tracePath}[${index}]`),
    ),
  };
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

function validateRecord<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): Record<string, T> {
  const o = expectObject(value, path);
  // fromEntries defines own properties, so a "__proto__" key stays data instead of changing the prototype.
  return Object.fromEntries(Object.entries(o).map(([key, entry]) => [key, item(entry, fieldPath(path, key))]));
}

export function validateRunResult(value: unknown, path: string): RunResult {
  const o = expectObject(value, path);
  const id = o.id ?? null;
  const countsPath = fieldPath(path, 'violationCounts');
  const counts = validateRecord(field(o, 'violationCounts', path, 'an object'), countsPath, (n, p) =>
    expectInteger(n, p, { min: 0 }),
  );
  for (const kind of Object.keys(counts)) expectOneOf(kind, fieldPath(countsPath, kind), VIOLATION_KINDS);

  const violationsPath = fieldPath(path, 'violations');
  const run: RunResult = {
    id: id === null ? null : expectString(id, fieldPath(path, 'id'), { nonEmpty: true }),
    scenario: expectString(field(o, 'scenario', path, 'a non-empty string'), fieldPath(path, 'scenario'), { nonEmpty: true }),
    strategy: expectString(field(o, 'strategy', path, 'a non-empty string'), fieldPath(path, 'strategy'), { nonEmpty: true }),
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

/** Validates a whole `ptlab.results/1` document; returns it typed, or throws DbInputError at the first bad field. */
export function validateResultsDocument(doc: unknown): ResultsDocument {
  const o = expectObject(doc, '(document)');
  const schema = field(o, 'schema', '', `"${RESULTS_SCHEMA}"`);
  if (schema !== RESULTS_SCHEMA) fail('schema', `"${RESULTS_SCHEMA}"`, schema);
  const runs = expectArray(field(o, 'runs', '', 'an array of runs'), 'runs').map((run, index) =>
    validateRunResult(run, `runs[${index}]`),
  );
  const ids = new Set<string>();
  runs.forEach((run, index) => {
    if (run.id === null) return;
    if (ids.has(run.id)) throw new DbInputError(`runs[${index}].id`, `expected a unique run id, got a second "${run.id}"`);
    ids.add(run.id);
  });
  // The summary is derived from the runs and not stored; check its shape only when present.
  let summary: ResultsDocument['summary'] = { runs: runs.length, byStrategy: {} };
  if (o.summary !== undefined) {
    const s = expectObject(o.summary, 'summary');
    const byStrategy = validateRecord(field(s, 'byStrategy', 'summary', 'an object'), 'summary.byStrategy', (entry, p) => {
      const e = expectObject(entry, p);
      return {
        runs: expectInteger(field(e, 'runs', p, 'a non-negative integer'), fieldPath(p, 'runs'), { min: 0 }),
        violating: expectInteger(field(e, 'violating', p, 'a non-negative integer'), fieldPath(p, 'violating'), { min: 0 }),
        kinds: validateRecord(field(e, 'kinds', p, 'an object'), fieldPath(p, 'kinds'), (n, q) => expectInteger(n, q, { min: 0 })),
      };
    });
    summary = {
      runs: expectInteger(field(s, 'runs', 'summary', 'a non-negative integer'), 'summary.runs', { min: 0 }),
      byStrategy,
    };
  }
  // The CLI's documented output may omit the writer's version; runs then record it as "unknown".
  const version = o.version === undefined ? 'unknown' : expectString(o.version, 'version', { nonEmpty: true });
  // A document from PT Lab 0.1 names strategies as 0.1 did (its v6 is today's v5-reviewed): store them under today's names.
  for (const run of runs) run.strategy = currentStrategyName(run.strategy, version);
  return { schema: RESULTS_SCHEMA, version, runs, summary };
}
