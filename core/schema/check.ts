/**
 * Checking values against the TypeBox schemas of PT Lab's documents and API
 * arguments, and turning the first failure into one line that names the
 * field, e.g. `args[0].limit: expected an integer ≥ 1, got 0`.
 *
 * Only `Value.Check` / `Value.Errors` are used: they interpret the schema.
 * TypeBox's TypeCompiler builds code with `new Function`, which the
 * renderer's CSP (no 'unsafe-eval') forbids, and these modules also run
 * there (the Designer validates as you type).
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

/** A failed check: the dotted path of the field (relative to the checked value) and what was wrong. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** Thrown by `checkValue`: `message` is the whole line, `path` and `detail` its parts. */
export class SchemaError extends Error {
  override name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path === '' ? detail : `${path}: ${detail}`);
  }
}

/** Schema option naming what a field expects in words, where the schema alone would read badly (e.g. a pattern). */
export const EXPECTED = 'x-expected';

/** JSON pointer ("/runs/0/metrics/wall.ms") to PT Lab's dotted form ("runs[0].metrics.wall.ms"), under `base`. */
export function dottedPath(base: string, pointer: string): string {
  let out = base;
  if (pointer === '') return out;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$.-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function depth(pointer: string): number {
  return pointer === '' ? 0 : pointer.split('/').length - 1;
}

/** A value, briefly, for "got …". */
export function showValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

type Loose = Record<string, unknown>;

function bounds(s: Loose, noun: string): string {
  const lo = typeof s.minimum === 'number' ? s.minimum : undefined;
  const hi = typeof s.maximum === 'number' ? s.maximum : undefined;
  const xlo = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : undefined;
  const xhi = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : undefined;
  if (lo !== undefined && hi !== undefined) return `${noun} ${lo}..${hi}`;
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`≥ ${lo}`);
  if (xlo !== undefined) parts.push(`> ${xlo}`);
  if (hi !== undefined) parts.push(`≤ ${hi}`);
  if (xhi !== undefined) parts.push(`< ${xhi}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

/** What a schema expects, in words ("an integer ≥ 1", "one of \"timed\", \"random\""). */
export function describeSchema(schema: TSchema): string {
  const s = schema as Loose;
  if (typeof s[EXPECTED] === 'string') return s[EXPECTED];
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) {
    const branches = s.anyOf as Loose[];
    if (branches.every((b) => b.const !== undefined)) return `one of ${branches.map((b) => JSON.stringify(b.const)).join(', ')}`;
    return branches.map((b) => describeSchema(b as TSchema)).join(' or ');
  }
  switch (s.type) {
    case 'integer':
      return bounds(s, 'an integer');
    case 'number':
      return bounds(s, 'a number');
    case 'string':
      if (typeof s.minLength === 'number' && s.minLength > 0) return 'a non-empty string';
      if (typeof s.pattern === 'string') return `a string matching /${s.pattern}/`;
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return 'an array';
    case 'object': {
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      return required.length ? `an object with ${required.map((k) => `"${k}"`).join(', ')}` : 'an object';
    }
    default:
      return 'a value';
  }
}

/** The failure a user should read first: inside a union, the branch that got furthest. */
function issueOf(e: ValueError): { pointer: string; progress: number; message: string } {
  const at = depth(e.path);
  switch (e.type) {
    case ValueErrorType.Union: {
      let best: ReturnType<typeof issueOf> | null = null;
      for (const branch of e.errors) {
        const first = branch.First();
        if (!first) continue;
        const i = issueOf(first);
        if (!best || i.progress > best.progress) best = i;
      }
      if (best && best.progress > at) return best;
      return { pointer: e.path, progress: at, message: `expected ${describeSchema(e.schema)}, got ${showValue(e.value)}` };
    }
    case ValueErrorType.ObjectAdditionalProperties: {
      const props = (e.schema as Loose).properties;
      const known = props && typeof props === 'object' ? Object.keys(props) : [];
      return { pointer: e.path, progress: at - 1, message: `unknown field${known.length ? ` (known: ${known.join(', ')})` : ''}` };
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { pointer: e.path, progress: at - 1, message: `missing (expected ${describeSchema(e.schema)})` };
    case ValueErrorType.ArrayMinItems:
      return { pointer: e.path, progress: at, message: `expected at least ${String((e.schema as Loose).minItems)} item(s)` };
    case ValueErrorType.ArrayMaxItems:
      return { pointer: e.path, progress: at, message: `expected at most ${String((e.schema as Loose).maxItems)} items` };
    case ValueErrorType.StringMaxLength:
      return { pointer: e.path, progress: at, message: `expected at most ${String((e.schema as Loose).maxLength)} characters` };
    default:
      return { pointer: e.path, progress: at, message: `expected ${describeSchema(e.schema)}, got ${showValue(e.value)}` };
  }
}

/** The first problem of `value` against `schema`, or null when it conforms. */
export function firstIssue(schema: TSchema, value: unknown): SchemaIssue | null {
  if (Value.Check(schema, value)) return null;
  const first = Value.Errors(schema, value).First();
  if (!first) return null;
  const i = issueOf(first);
  return { path: dottedPath('', i.pointer), message: i.message };
}

/** Joins a base path ("args[0]", "scenario") and an issue path ("limit", "[2].id"). */
export function joinPath(base: string, path: string): string {
  if (base === '') return path;
  if (path === '') return base;
  return path.startsWith('[') ? `${base}${path}` : `${base}.${path}`;
}

/** Returns `value` typed when it conforms, else throws a SchemaError naming the field under `base`. */
export function checkValue<T extends TSchema>(schema: T, value: unknown, base = ''): Static<T> {
  const issue = firstIssue(schema, value);
  if (issue) throw new SchemaError(joinPath(base, issue.path), issue.message);
  return value as Static<T>;
}
