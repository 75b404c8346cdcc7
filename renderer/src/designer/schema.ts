/**
 * The scenario form's view of a JSON Schema (draft 2020-12, as the lab
 * publishes it): what kind of field a node is, its choices, its properties,
 * and a validator that reports every error with the dotted path core uses
 * ("scenario.actors[1].count"). It reads the subset the lab's schemas use:
 * $ref into $defs, type, enum/const, anyOf/oneOf, properties/required/
 * additionalProperties, items/minItems, minimum/maximum, pattern.
 */
import type { FieldError } from '../lib/api.ts';

export type Schema = Record<string, unknown>;
export type Segment = string | number;

/** "scenario" + segments, as core writes paths: scenario.memory.boot[0].size. */
export function pathString(root: string, segs: readonly Segment[]): string {
  let out = root;
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : `.${s}`;
  return out;
}

/** The segments of a dotted path after its root ("scenario.actors[1].count" -> ["actors", 1, "count"]). */
export function parsePath(path: string, root = 'scenario'): Segment[] {
  const rest = path.startsWith(root) ? path.slice(root.length) : path;
  const out: Segment[] = [];
  for (const m of rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) out.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return out;
}

/** Follow local $refs ("#/$defs/size", "#/definitions/x"). */
export function resolve(node: unknown, root: Schema): Schema {
  let n = (node ?? {}) as Schema;
  for (let guard = 0; typeof n.$ref === 'string' && guard < 16; guard++) {
    const ref = n.$ref as string;
    if (!ref.startsWith('#/')) break;
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!target) break;
    const { $ref: _ref, ...rest } = n;
    n = { ...(target as Schema), ...rest };
  }
  return n;
}

function branches(n: Schema): Schema[] | null {
  const list = (n.anyOf ?? n.oneOf) as unknown;
  return Array.isArray(list) ? (list as Schema[]) : null;
}

/** The allowed values when the node is a choice (enum, or anyOf/oneOf of consts). */
export function choicesOf(node: unknown, root: Schema): unknown[] | null {
  const n = resolve(node, root);
  if (Array.isArray(n.enum)) return n.enum;
  if ('const' in n) return [n.const];
  const b = branches(n);
  if (b && b.length > 0) {
    const rs = b.map((x) => resolve(x, root));
    if (rs.every((x) => 'const' in x || Array.isArray(x.enum))) return rs.flatMap((x) => ('const' in x ? [x.const] : (x.enum as unknown[])));
  }
  return null;
}

export type FieldKind = 'object' | 'array' | 'choice' | 'boolean' | 'integer' | 'number' | 'string' | 'size' | 'any';

function typesOf(n: Schema): string[] {
  if (Array.isArray(n.type)) return n.type as string[];
  if (typeof n.type === 'string') return [n.type];
  return [];
}

/** What control a node gets. A union of integer and string (sizes like "128M" or 0x8000000) is a "size". */
export function kindOf(node: unknown, root: Schema): FieldKind {
  const n = resolve(node, root);
  if (choicesOf(n, root)) return 'choice';
  const b = branches(n);
  if (b) {
    const types = new Set(b.flatMap((x) => typesOf(resolve(x, root))));
    if (types.has('string') && (types.has('integer') || types.has('number'))) return 'size';
    if (b.some((x) => typesOf(resolve(x, root)).includes('object') || resolve(x, root).properties)) return 'object';
    return 'any';
  }
  const t = typesOf(n);
  if (t.includes('object') || n.properties) return 'object';
  if (t.includes('array') || n.items) return 'array';
  if (t.includes('boolean')) return 'boolean';
  if (t.includes('integer')) return 'integer';
  if (t.includes('number')) return 'number';
  if (t.includes('string')) return 'string';
  return 'any';
}

/**
 * The object schema that applies to `value`: the node itself, or, for a
 * union of objects, the branch whose discriminating constant (e.g. kind)
 * matches the value, merged over the others' properties when none does.
 */
export function objectSchema(node: unknown, root: Schema, value: unknown): Schema {
  const n = resolve(node, root);
  const b = branches(n);
  if (!b) return n;
  const objs = b.map((x) => resolve(x, root)).filter((x) => x.properties);
  const v = (value ?? {}) as Record<string, unknown>;
  const match = objs.find((o) =>
    Object.entries(o.properties as Record<string, Schema>).some(([k, p]) => {
      const c = choicesOf(p, root);
      return c !== null && c.length === 1 && v[k] === c[0];
    }),
  );
  if (match) return match;
  const properties: Record<string, unknown> = {};
  for (const o of objs) Object.assign(properties, o.properties);
  return { type: 'object', properties };
}

export function propertiesOf(n: Schema): Record<string, Schema> {
  return (n.properties ?? {}) as Record<string, Schema>;
}

export function requiredOf(n: Schema): string[] {
  return Array.isArray(n.required) ? (n.required as string[]) : [];
}

/** A value for a new field or array item: the first choice, the minimum, or an empty container with its required fields. */
export function initialValue(node: unknown, root: Schema, depth = 0): unknown {
  const n = resolve(node, root);
  const choices = choicesOf(n, root);
  if (choices) return choices[0];
  switch (kindOf(n, root)) {
    case 'object': {
      const o = objectSchema(n, root, undefined);
      const out: Record<string, unknown> = {};
      if (depth < 4) for (const k of requiredOf(o)) out[k] = initialValue(propertiesOf(o)[k], root, depth + 1);
      return out;
    }
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return typeof n.minimum === 'number' ? n.minimum : 0;
    case 'size':
      return '0x0';
    default:
      return '';
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? 'an object' : String(v);
}

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      return true;
  }
}

const ARTICLE: Record<string, string> = { object: 'an object', array: 'an array', integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', null: 'null' };

/** Every schema error in `value`, each at the path of the field it is about. */
export function validate(value: unknown, node: unknown, root: Schema, path: string): FieldError[] {
  const n = resolve(node, root);
  const out: FieldError[] = [];
  const choices = choicesOf(n, root);
  if (choices) {
    if (!choices.some((c) => c === value)) out.push({ path, message: `expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(value)}` });
    return out;
  }
  const b = branches(n);
  if (b) {
    const kind = kindOf(n, root);
    if (kind === 'object' && typeOk('object', value)) return validate(value, objectSchema(n, root, value), root, path);
    const results = b.map((x) => validate(value, x, root, path));
    if (results.some((r) => r.length === 0)) return out;
    if (kind === 'size') out.push({ path, message: `expected a size or address like 134217728, "0x8000000", "128M" or "2G", got ${describe(value)}` });
    else for (const e of results.sort((p, q) => p.length - q.length)[0]) out.push(e);
    return out;
  }
  const types = typesOf(n);
  if (types.length && !types.some((t) => typeOk(t, value))) {
    out.push({ path, message: `expected ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}, got ${describe(value)}` });
    return out;
  }
  if (typeof value === 'number') {
    const lo = typeof n.minimum === 'number' ? n.minimum : null;
    const hi = typeof n.maximum === 'number' ? n.maximum : null;
    if ((lo !== null && value < lo) || (hi !== null && value > hi)) {
      const what = types.includes('integer') ? 'an integer' : 'a number';
      const range = lo !== null && hi !== null ? `from ${lo} to ${hi}` : lo !== null ? `≥ ${lo}` : `≤ ${hi}`;
      out.push({ path, message: `expected ${what} ${range}, got ${value}` });
    }
  }
  if (typeof value === 'string' && typeof n.pattern === 'string' && !new RegExp(n.pattern).test(value)) out.push({ path, message: `${describe(value)} does not have the expected form` });
  if (Array.isArray(value)) {
    if (typeof n.minItems === 'number' && value.length < n.minItems) out.push({ path, message: `expected at least ${n.minItems} ${n.minItems === 1 ? 'item' : 'items'}` });
    if (n.items) value.forEach((item, i) => { for (const e of validate(item, n.items, root, `${path}[${i}]`)) out.push(e); });
  }
  if (typeOk('object', value) && (n.properties || types.includes('object'))) {
    const v = value as Record<string, unknown>;
    const props = propertiesOf(n);
    for (const k of requiredOf(n)) if (v[k] === undefined) out.push({ path: `${path}.${k}`, message: 'required' });
    for (const [k, item] of Object.entries(v)) {
      if (k in props) { for (const e of validate(item, props[k], root, `${path}.${k}`)) out.push(e); }
      else if (n.additionalProperties === false) out.push({ path: `${path}.${k}`, message: `unknown field (expected one of ${Object.keys(props).join(', ')})` });
    }
  }
  return out;
}
