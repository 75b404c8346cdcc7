/**
 * The scenario form's view of a JSON Schema (draft 2020-12, as the lab
 * publishes it from core/schema/scenario.ts): what kind of field a node is,
 * its choices, default, properties and help text, and the dotted paths core
 * uses ("scenario.actors[1].count"). It reads the subset the lab's schemas
 * use: $ref into $defs, type, enum/const, anyOf/oneOf, properties/required,
 * items, minimum, default, description. Checking a value is not done here:
 * core's scenarioFieldErrors and parseScenario do it, from the same schema.
 */

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

/**
 * The help text of a field: its description; for an item of a union of
 * objects (an actor), the description of the branch its value names (what a
 * hotremove actor does) rather than the union's.
 */
export function helpOf(node: unknown, root: Schema, value: unknown): string | undefined {
  const n = resolve(node, root);
  if (branches(n) && typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    for (const [k, p] of Object.entries(propertiesOf(objectSchema(n, root, value)))) {
      const c = choicesOf(p, root);
      const text = resolve(p, root).description;
      if (c?.length === 1 && c[0] === v[k] && typeof text === 'string') return text;
    }
  }
  return typeof n.description === 'string' ? n.description : undefined;
}

/** "(default 64)" for an optional field whose schema names its default, else "(default)". */
export function defaultLabel(node: unknown, root: Schema): string {
  const d = resolve(node, root).default;
  return d === undefined || (typeof d === 'object' && d !== null) ? '(default)' : `(default ${typeof d === 'string' ? d : JSON.stringify(d)})`;
}

/** A value for a new field or array item: its default, the first choice, the minimum, or an empty container with its required fields. */
export function initialValue(node: unknown, root: Schema, depth = 0): unknown {
  const n = resolve(node, root);
  if (n.default !== undefined) return structuredClone(n.default);
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
