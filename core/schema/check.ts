/**
 * Checking values against the TypeBox schemas of PT Lab's documents and API
 * arguments, and turning a failure into one line that names the field, e.g.
 * `args[0].limit: expected an integer ≥ 1, got 0`.
 *
 * `findIssue` / `findIssues` return what is wrong in structured form (where,
 * what kind of problem, the schema of the field and the value); `phrase`
 * words an issue in one of the documents' dialects (the lab API's, the
 * scenario's, the importer's), so every document keeps the messages its
 * users know while the rules come from one schema.
 *
 * Only `Value.Check` / `Value.Errors` are used: they interpret the schema.
 * TypeBox's TypeCompiler builds code with `new Function`, which the
 * renderer's CSP (no 'unsafe-eval') forbids, and these modules also run
 * there (the Designer validates as you type).
 */
import type { Static, TSchema } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import { Errors, type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
// Named imports, not the Value namespace: the renderer's bundle then keeps only what is used.
import { Check } from '@sinclair/typebox/value';

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
/** Schema option on an object: what its keys are called in "unknown …" messages ("cost", "knob"; default "field"). */
export const KEY_NOUN = 'x-key';
/** Schema option on an array: what one item is called in "expected at least one …" messages ("range", "actor"). */
export const ITEM_NOUN = 'x-item';

/** A union of literals (TypeBox's Union of Literal) from a constant list: a JSON Schema `anyOf` of `const`s. */
export function oneOf<const T extends readonly (string | number)[]>(values: T, options: Record<string, unknown> = {}) {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as unknown as TSchema & { static: T[number] };
}

/** A schema as a plain JSON Schema document (TypeBox's symbol-keyed metadata dropped). */
export function toJsonSchema(schema: TSchema): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...(JSON.parse(JSON.stringify(schema)) as Record<string, unknown>) };
}

/**
 * Whether a key from input would reach an object's prototype instead of its
 * data: `__proto__`, `constructor`, `prototype` and every other name
 * Object.prototype carries (`toString`, `hasOwnProperty`, …).
 */
export function isUnsafeKey(key: string): boolean {
  return key === 'prototype' || key in Object.prototype;
}

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

/** The last key of a JSON pointer, unescaped. */
function lastKey(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
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

/** A bound at ±2^53 - 1 only keeps integers exact; it is not worth saying. */
function bound(v: unknown): number | undefined {
  return typeof v === 'number' && Math.abs(v) !== Number.MAX_SAFE_INTEGER ? v : undefined;
}

function bounds(s: Loose, noun: string, style: DescribeStyle): string {
  const lo = bound(s.minimum);
  const hi = bound(s.maximum);
  const xlo = bound(s.exclusiveMinimum);
  const xhi = bound(s.exclusiveMaximum);
  if (lo !== undefined && hi !== undefined) return style.ranges === 'dots' ? `${noun} ${lo}..${hi}` : `${noun} from ${lo} to ${hi}`;
  if (noun === 'an integer' && lo === 0 && hi === undefined && xhi === undefined) return 'a non-negative integer';
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`≥ ${lo}`);
  if (xlo !== undefined) parts.push(`> ${xlo}`);
  if (hi !== undefined) parts.push(`≤ ${hi}`);
  if (xhi !== undefined) parts.push(`< ${xhi}`);
  return parts.length ? `${noun} ${parts.join(' and ')}` : noun;
}

/** The constants a schema allows when it is a choice (a literal, or a union of literals), else null. */
export function choicesOf(schema: TSchema): unknown[] | null {
  const s = schema as Loose;
  if (s.const !== undefined) return [s.const];
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0 && (s.anyOf as Loose[]).every((b) => b.const !== undefined)) return (s.anyOf as Loose[]).map((b) => b.const);
  return null;
}

/** How `describeSchema` words choices and objects. */
export interface DescribeStyle {
  /** Quote string choices: `one of "timed", "random"` (else `one of timed, random`). */
  quoteChoices: boolean;
  /** Name an object's required fields: `an object with "preset"` (else `an object`). */
  listRequired: boolean;
  /** A range of numbers: `an integer 1..256` (dots) or `an integer from 1 to 256` (words). */
  ranges: 'dots' | 'words';
}

const LAB_STYLE: DescribeStyle = { quoteChoices: true, listRequired: true, ranges: 'dots' };

/** What a schema expects, in words ("an integer ≥ 1", "one of \"timed\", \"random\""). */
export function describeSchema(schema: TSchema, style: DescribeStyle = LAB_STYLE): string {
  const { quoteChoices } = style;
  const s = schema as Loose;
  if (typeof s[EXPECTED] === 'string') return s[EXPECTED];
  const choices = choicesOf(schema);
  if (choices && choices.length > 1) return `one of ${choices.map((c) => (quoteChoices || typeof c !== 'string' ? JSON.stringify(c) : c)).join(', ')}`;
  if (choices) return JSON.stringify(choices[0]);
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).map((b) => describeSchema(b, style)).join(' or ');
  switch (s.type) {
    case 'integer':
      return bounds(s, 'an integer', style);
    case 'number':
      return bounds(s, 'a number', style);
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
      const required = Array.isArray(s.required) && style.listRequired ? (s.required as string[]) : [];
      return required.length ? `an object with ${required.map((k) => `"${k}"`).join(', ')}` : 'an object';
    }
    default:
      return 'a value';
  }
}

/** What is wrong with a field. */
export type IssueKind =
  /** A required field is absent. `schema` is the field's. */
  | 'missing'
  /** A field the object does not have (additionalProperties false). `schema` is the object's; the pointer ends in the key. */
  | 'unknown'
  /** The value does not fit the field's schema (type, range, choice, pattern). */
  | 'invalid'
  /** Fewer array items than `minItems`. */
  | 'too-few'
  /** More array items than `maxItems`. */
  | 'too-many'
  /** A string longer than `maxLength`. */
  | 'too-long';

export interface Issue {
  /** JSON pointer of the field, relative to the checked value ("" is the value itself). */
  pointer: string;
  kind: IssueKind;
  schema: TSchema;
  value: unknown;
}

/**
 * A union of objects that share a property holding a different constant in
 * each (the actors' `kind`): the property's name, else null.
 */
function discriminator(branches: readonly Loose[]): string | null {
  if (branches.length < 2 || !branches.every((b) => b.type === 'object' && b.properties)) return null;
  const first = branches[0].properties as Record<string, Loose>;
  for (const key of Object.keys(first)) {
    const values = branches.map((b) => (b.properties as Record<string, Loose>)[key]?.const);
    if (values.every((v) => v !== undefined) && new Set(values).size === values.length) return key;
  }
  return null;
}

function prefixed(pointer: string, issue: Issue): Issue {
  return { ...issue, pointer: pointer + issue.pointer };
}

/** An issue of `value` against a union: the branch the value means, or the one that got furthest. */
function unionIssue(e: ValueError): Issue {
  const s = e.schema as Loose;
  const branches = (s.anyOf ?? []) as Loose[];
  const here: Issue = { pointer: e.path, kind: 'invalid', schema: e.schema, value: e.value };
  if (typeof s[EXPECTED] === 'string' || choicesOf(e.schema)) return here;
  // An object (or array) or null, given an object (array) that does not fit: say what inside it is wrong.
  const nonNull = branches.filter((b) => b.type !== 'null');
  const container = nonNull.length === 1 && branches.length === 2 ? nonNull[0] : null;
  if (container && ((container.type === 'object' && isObjectLike(e.value)) || (container.type === 'array' && Array.isArray(e.value)))) {
    return issueAt(container as unknown as TSchema, e.value, e.path);
  }
  const key = discriminator(branches);
  if (key !== null) {
    const v = e.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ...here, schema: Type.Object({}) };
    const tag = Object.hasOwn(v, key) ? (v as Loose)[key] : undefined;
    const branch = branches.find((b) => (b.properties as Record<string, Loose>)[key].const === tag);
    const tags = { anyOf: branches.map((b) => (b.properties as Record<string, Loose>)[key]) } as unknown as TSchema;
    if (!branch) return { pointer: `${e.path}/${key}`, kind: tag === undefined ? 'missing' : 'invalid', schema: tags, value: tag };
    const inner = findIssue(branch as unknown as TSchema, v);
    return inner ? prefixed(e.path, inner) : here;
  }
  let best: { issue: Issue; branch: number } | null = null;
  e.errors.forEach((errors, branch) => {
    const first = errors.First();
    if (!first) return;
    const issue = issueOf(first);
    if (!best || progress(issue) > progress(best.issue)) best = { issue, branch };
  });
  const found = best as { issue: Issue; branch: number } | null;
  if (!found || progress(found.issue) <= depth(e.path)) return here;
  // The furthest branch's first problem in document order, as findIssue would report it.
  return issueAt(branches[found.branch] as unknown as TSchema, e.value, e.path);
}

/** How far into the value a branch got before failing: a missing or unknown field says nothing about its object's own fit. */
function progress(i: Issue): number {
  return depth(i.pointer) - (i.kind === 'missing' || i.kind === 'unknown' ? 1 : 0);
}

function issueOf(e: ValueError): Issue {
  switch (e.type) {
    case ValueErrorType.Union:
      return unionIssue(e);
    case ValueErrorType.ObjectAdditionalProperties:
      return { pointer: e.path, kind: 'unknown', schema: e.schema, value: e.value };
    case ValueErrorType.ObjectRequiredProperty:
      return { pointer: e.path, kind: 'missing', schema: e.schema, value: undefined };
    case ValueErrorType.ArrayMinItems:
      return { pointer: e.path, kind: 'too-few', schema: e.schema, value: e.value };
    case ValueErrorType.ArrayMaxItems:
      return { pointer: e.path, kind: 'too-many', schema: e.schema, value: e.value };
    case ValueErrorType.StringMaxLength:
      return { pointer: e.path, kind: 'too-long', schema: e.schema, value: e.value };
    default:
      return { pointer: e.path, kind: 'invalid', schema: e.schema, value: e.value };
  }
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObjectLike(v: unknown): v is Loose {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The first problem of `value` (which fails `schema`), at `pointer`, in the
 * order a reader meets it: an object's unknown fields first (a misspelt name
 * explains the "required" that follows), then its fields in the schema's
 * order, each field missing or wrong as it comes. TypeBox reports every
 * missing field of an object before any wrong one, so objects, and the
 * arrays and records that hold them, are walked here.
 */
function issueAt(schema: TSchema, value: unknown, pointer: string): Issue {
  const s = schema as Loose;
  if (s.type === 'object' && s.properties && isObjectLike(value)) {
    const props = s.properties as Record<string, TSchema>;
    const required = Array.isArray(s.required) ? (s.required as string[]) : [];
    if (s.additionalProperties === false) {
      for (const k of Object.getOwnPropertyNames(value)) if (!Object.hasOwn(props, k)) return { pointer: `${pointer}/${escapeKey(k)}`, kind: 'unknown', schema, value: value[k] };
    }
    for (const [k, p] of Object.entries(props)) {
      const v = Object.hasOwn(value, k) ? value[k] : undefined;
      const at = `${pointer}/${escapeKey(k)}`;
      if (v === undefined) {
        if (required.includes(k)) return { pointer: at, kind: 'missing', schema: p, value: undefined };
      } else if (!Check(p, v)) return issueAt(p, v, at);
    }
  }
  const first = Errors(schema, value).First();
  if (!first) return { pointer, kind: 'invalid', schema, value };
  if (first.path !== '' && first.type !== ValueErrorType.Union) {
    // An item of an array or a value of a record: walk into it, so objects inside are read in order too.
    const seg = first.path.split('/')[1];
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    const child: unknown = Array.isArray(value) ? value[Number(key)] : isObjectLike(value) ? value[key] : undefined;
    const childSchema = s.type === 'array' ? s.items : s.patternProperties && typeof s.patternProperties === 'object' ? Object.values(s.patternProperties)[0] : undefined;
    if (child !== undefined && childSchema && typeof childSchema === 'object' && !Array.isArray(childSchema) && !Check(childSchema as TSchema, child)) {
      return issueAt(childSchema as TSchema, child, `${pointer}/${seg}`);
    }
  }
  return prefixed(pointer, issueOf(first));
}

/** The first problem of `value` against `schema`, in document order (see issueAt), or null when it conforms. */
export function findIssue(schema: TSchema, value: unknown): Issue | null {
  return Check(schema, value) ? null : issueAt(schema, value, '');
}

/** Every problem, one per field (the first at each), at most `limit` of them: what a form shows as you type. */
export function findIssues(schema: TSchema, value: unknown, limit = 200): Issue[] {
  const out: Issue[] = [];
  const seen = new Set<string>();
  const add = (issue: Issue): void => {
    if (seen.has(issue.pointer) || out.length >= limit) return;
    seen.add(issue.pointer);
    out.push(issue);
  };
  const visit = (s: TSchema, v: unknown, pointer: string): void => {
    if (Check(s, v)) return;
    for (const e of Errors(s, v)) {
      if (out.length >= limit) return;
      const branch = e.type === ValueErrorType.Union ? meantBranch(e) : null;
      // An actor with several bad fields: each of them, in the branch its kind names.
      if (branch) visit(branch, e.value, pointer + e.path);
      else add(prefixed(pointer, issueOf(e)));
    }
  };
  visit(schema, value, '');
  return out;
}

/** The branch of a discriminated union (the actors' `kind`) an object value names, or null. */
function meantBranch(e: ValueError): TSchema | null {
  const branches = ((e.schema as Loose).anyOf ?? []) as Loose[];
  const key = discriminator(branches);
  if (key === null || !isObjectLike(e.value) || !Object.hasOwn(e.value, key)) return null;
  const tag = e.value[key];
  return (branches.find((b) => (b.properties as Record<string, Loose>)[key].const === tag) as unknown as TSchema | undefined) ?? null;
}

/**
 * A copy of `value` (which conforms to `schema`) with only what the schema
 * describes: fields an object schema does not list are dropped, at every
 * depth; `Unknown` parts are kept as they are. What a checked document is
 * stored as, so fields a newer writer added never reach the database.
 */
export function projectValue<T>(schema: TSchema, value: unknown): T {
  return project(schema, value) as T;
}

/** A schema whose values are never objects or arrays: nothing inside to drop. */
function isScalar(s: Loose): boolean {
  if (Array.isArray(s.anyOf)) return (s.anyOf as Loose[]).every(isScalar);
  return s.type === 'string' || s.type === 'number' || s.type === 'integer' || s.type === 'boolean' || s.type === 'null';
}

const propertyLists = new WeakMap<object, [string, TSchema][]>();

function propertyList(s: Loose): [string, TSchema][] {
  let list = propertyLists.get(s);
  if (!list) propertyLists.set(s, (list = Object.entries(s.properties as Record<string, TSchema>)));
  return list;
}

const soleContainers = new WeakMap<object, TSchema | null>();

/** The one object or array branch of a union (X or null, X or a string…), or null when there are several: no need to try each. */
function soleContainer(s: Loose): TSchema | null {
  let found = soleContainers.get(s);
  if (found === undefined) {
    const containers = (s.anyOf as Loose[]).filter((b) => b.type === 'object' || b.type === 'array');
    soleContainers.set(s, (found = containers.length === 1 ? (containers[0] as unknown as TSchema) : null));
  }
  return found;
}

function project(schema: TSchema, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const s = schema as Loose;
  if (Array.isArray(s.anyOf)) {
    const only = soleContainer(s);
    const branch = only ?? (s.anyOf as TSchema[]).find((b) => Check(b, value));
    return branch ? project(branch, value) : value;
  }
  if (s.type === 'array' && Array.isArray(value) && s.items && !Array.isArray(s.items)) {
    const items = s.items as TSchema;
    return isScalar(items as Loose) ? value.slice() : value.map((x) => project(items, x));
  }
  if (s.type === 'object' && isObjectLike(value)) {
    const out: Loose = {};
    if (s.properties) {
      for (const [k, p] of propertyList(s)) if (Object.hasOwn(value, k) && value[k] !== undefined) out[k] = project(p, value[k]);
    } else if (s.patternProperties) {
      const item = Object.values(s.patternProperties as Record<string, TSchema>)[0];
      for (const [k, v] of Object.entries(value)) {
        // defineProperty: a key such as "__proto__" stays data instead of setting the prototype.
        if (k === '__proto__') Object.defineProperty(out, k, { value: project(item, v), enumerable: true, writable: true, configurable: true });
        else out[k] = project(item, v);
      }
    }
    return out;
  }
  return value;
}

/** How a document's messages are worded: the parts in which the dialects differ. */
export interface Wording extends DescribeStyle {
  /** A value, briefly, for "got …". */
  got(value: unknown): string;
  /** A required field is absent; `expected` says what it should be. */
  missing(expected: string): string;
  /** `key` is not a field of an object whose fields are `known`, called `noun`s. */
  unknown(key: string, known: readonly string[], noun: string): string;
}

/** The lab API's dialect (and the default). */
export const LAB_WORDING: Wording = {
  ...LAB_STYLE,
  got: showValue,
  missing: (expected) => `missing (expected ${expected})`,
  unknown: (_key, known, noun) => `unknown ${noun}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
};

/**
 * The dialect of parseScenario and defineStrategy (documents a user writes by hand):
 * `scenario.arch.vaBits: required (one of 39, 42, 47, 48)`, `…: expected an integer from 1 to 256, got 0`.
 */
export const DOCUMENT_WORDING: Wording = {
  quoteChoices: true,
  listRequired: false,
  ranges: 'words',
  got: showValue,
  missing: (expected) => (/^an? (object|array)$/.test(expected) ? 'required' : `required (${expected})`),
  unknown: (_key, known, noun) => `unknown ${noun} (known: ${known.join(', ')})`,
};

/** An issue in words: the field's path under `base` and the message. */
export function phrase(issue: Issue, wording: Wording = LAB_WORDING, base = ''): SchemaIssue {
  const path = dottedPath(base, issue.pointer);
  const s = issue.schema as Loose;
  switch (issue.kind) {
    case 'missing':
      return { path, message: wording.missing(describeSchema(issue.schema, wording)) };
    case 'unknown': {
      const props = s.properties && typeof s.properties === 'object' ? Object.keys(s.properties) : [];
      return { path, message: wording.unknown(lastKey(issue.pointer), props, typeof s[KEY_NOUN] === 'string' ? s[KEY_NOUN] : 'field') };
    }
    case 'too-few': {
      const n = Number(s.minItems);
      const noun = typeof s[ITEM_NOUN] === 'string' ? s[ITEM_NOUN] : null;
      return { path, message: noun && n === 1 ? `expected at least one ${noun}` : `expected at least ${n} item${n === 1 ? '' : 's'}` };
    }
    case 'too-many':
      return { path, message: `expected at most ${String(s.maxItems)} items, got ${Array.isArray(issue.value) ? issue.value.length : '?'}` };
    case 'too-long':
      return { path, message: `expected at most ${String(s.maxLength)} characters${typeof issue.value === 'string' ? `, got ${issue.value.length}` : ''}` };
    case 'invalid':
      return { path, message: `expected ${describeSchema(issue.schema, wording)}, got ${wording.got(issue.value)}` };
  }
}

/** The first problem of `value` against `schema` in the lab API's words, or null when it conforms. */
export function firstIssue(schema: TSchema, value: unknown): SchemaIssue | null {
  const issue = findIssue(schema, value);
  return issue ? phrase(issue) : null;
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
