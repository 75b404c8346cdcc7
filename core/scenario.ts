/**
 * Scenario documents: the machine (arch, layout, memory map), the actors
 * and their workloads, run limits and cost overrides. The document's shape,
 * ranges, choices and defaults are core/schema/scenario.ts's schema;
 * `parseScenario` checks a JSON value against it (errors name the field path
 * and what was expected), then parses sizes, fills the defaults that depend
 * on the era, and checks what spans fields (alignment, ranges inside
 * hot-pluggable memory). `applyOverride` implements `--set path=value`.
 */
import { Default } from '@sinclair/typebox/value';
import { defaultSectionSizeBits, layoutEra } from './layout.ts';
import { DOCUMENT_WORDING, findIssue, findIssues, isUnsafeKey, phrase, type SchemaIssue } from './schema/check.ts';
import {
  ACTOR_SCHEMAS,
  type ActorSpec,
  type Complete,
  type Scenario,
  type ScenarioDoc,
  ScenarioDocSchema,
  SIZE_PATTERN,
  type RangeSpec,
  RunLimitsSchema,
  TlbSchema,
} from './schema/scenario.ts';

export type {
  AccessActor,
  ActorSpec,
  HotplugActor,
  HotplugRange,
  HotremoveActor,
  OnlineActor,
  PtdumpActor,
  RangeSpec,
  Scenario,
  ScenarioDoc,
  VmallocActor,
} from './schema/scenario.ts';
export { SCENARIO_SCHEMA } from './schema/scenario.ts';
export { isUnsafeKey };

export class ScenarioError extends Error {}

// ------------------------------------------------------------ parsing

const SIZE_RE = new RegExp(SIZE_PATTERN);
const UNIT = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 } as const;

/** Parse a size or address: a number, "0x…" hex, or "128M" / "2G" / "512GiB". */
export function parseSize(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  const m = typeof v === 'string' ? SIZE_RE.exec(v) : null;
  if (m) {
    const n = m[1] !== undefined ? Number(BigInt(m[1])) : Number(m[2]) * UNIT[m[3].toUpperCase() as keyof typeof UNIT];
    if (n > Number.MAX_SAFE_INTEGER) throw new ScenarioError(`${path}: ${(v as string).trim()} is too large`);
    if (Number.isInteger(n)) return n;
  }
  throw new ScenarioError(`${path}: expected a size or address like 134217728, "0x8000000", "128M" or "2G", got ${JSON.stringify(v)}`);
}

/** A document that passed the schema check, with the schema's defaults filled in (sizes still as written). */
type NoDefault = '$schema' | 'vmallocThreads' | 'cpus' | 'sweep';
type EraDefault = 'sectionSizeBits' | 'vmemmapMapping';
type Defaulted = Complete<Omit<ScenarioDoc, NoDefault | 'memory'>, number | string> &
  Pick<ScenarioDoc, NoDefault> & { memory: Complete<Omit<ScenarioDoc['memory'], EraDefault>, number | string> & Pick<ScenarioDoc['memory'], EraDefault> };

function range(r: { start: number | string; size: number | string }, path: string): RangeSpec {
  const size = parseSize(r.size, `${path}.size`);
  if (size === 0) throw new ScenarioError(`${path}.size: must be larger than 0`);
  return { start: parseSize(r.start, `${path}.start`), size };
}

/** `o`'s fields in the order its schema lists them: equal scenarios print alike, whatever order their documents used. */
function inSchemaOrder<T extends object>(schema: { properties: object }, o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(schema.properties)) if (Object.hasOwn(o, k)) out[k] = (o as Record<string, unknown>)[k];
  return out as T;
}

/**
 * Every field error the schema finds in a scenario document, in parseScenario's
 * words, one per field (what the Designer shows as you type). The rules that
 * span fields are parseScenario's alone: it reports the first of those.
 */
export function scenarioFieldErrors(v: unknown, path = 'scenario'): SchemaIssue[] {
  return findIssues(ScenarioDocSchema, v).map((issue) => phrase(issue, DOCUMENT_WORDING, path));
}

/** Validate and normalise a scenario document. */
export function parseScenario(v: unknown, path = 'scenario'): Scenario {
  const issue = findIssue(ScenarioDocSchema, v);
  if (issue) {
    const p = phrase(issue, DOCUMENT_WORDING, path);
    throw new ScenarioError(`${p.path}: ${p.message}`);
  }
  // Default fills in place: work on a copy so the caller's document (stored as the run's config) stays as written.
  const d = Default(ScenarioDocSchema, structuredClone(v)) as Defaulted;
  const { pageSize, vaBits } = d.arch;
  // An alias (0.1's `v6`) is accepted and stands for its era from here on.
  const layout = layoutEra(d.arch.layout);
  const m = d.memory;
  const actors = d.actors.map((a, i): ActorSpec => {
    const parsed = a.kind === 'hotremove' || a.kind === 'hotplug' || a.kind === 'online' ? { ...a, range: range(a.range, `${path}.actors[${i}].range`) } : a;
    return inSchemaOrder(ACTOR_SCHEMAS[a.kind], parsed);
  });
  const s: Scenario = {
    name: d.name,
    description: d.description,
    assumptions: d.assumptions,
    arch: { pageSize, vaBits, layout },
    memory: {
      boot: m.boot.map((r, i) => range(r, `${path}.memory.boot[${i}]`)),
      hotplug: m.hotplug.map((h, i) => ({ ...range(h, `${path}.memory.hotplug[${i}]`), initial: h.initial, node: h.node })),
      sectionSizeBits: m.sectionSizeBits ?? defaultSectionSizeBits(layout, pageSize),
      kaslrLinearOffset: parseSize(m.kaslrLinearOffset, `${path}.memory.kaslrLinearOffset`),
      vmemmapMapping: m.vmemmapMapping ?? (pageSize === 4096 ? 'pmd' : 'base'),
      linearMapping: m.linearMapping,
      allocatorPages: m.allocatorPages,
      allocatorBlocks: m.allocatorBlocks,
    },
    // `cpus` is an alias of vmallocThreads and wins over it.
    vmallocThreads: d.cpus ?? d.vmallocThreads,
    tlb: inSchemaOrder(TlbSchema, d.tlb),
    actors,
    run: inSchemaOrder(RunLimitsSchema, d.run),
    cost: d.cost,
    sweep: d.sweep,
  };
  checkConsistency(s, path);
  return s;
}

function checkConsistency(s: Scenario, path: string): void {
  const ps = s.arch.pageSize;
  const sec = 2 ** s.memory.sectionSizeBits;
  s.memory.boot.forEach((b, i) => {
    if (b.start % ps || b.size % ps) throw new ScenarioError(`${path}.memory.boot[${i}]: start and size must be multiples of the page size (${ps})`);
  });
  s.memory.hotplug.forEach((h, i) => {
    if (h.start % sec || h.size % sec) throw new ScenarioError(`${path}.memory.hotplug[${i}]: start and size must be multiples of the section size (2^${s.memory.sectionSizeBits})`);
    for (const b of s.memory.boot) {
      if (h.start < b.start + b.size && b.start < h.start + h.size) throw new ScenarioError(`${path}.memory.hotplug[${i}]: overlaps boot memory`);
    }
  });
  s.actors.forEach((a, i) => {
    if (a.kind !== 'hotremove' && a.kind !== 'hotplug' && a.kind !== 'online') return;
    const h = s.memory.hotplug.find((x) => a.range.start >= x.start && a.range.start + a.range.size <= x.start + x.size);
    if (!h) throw new ScenarioError(`${path}.actors[${i}].range: must lie inside one of memory.hotplug`);
    if (a.range.start % sec || a.range.size % sec) throw new ScenarioError(`${path}.actors[${i}].range: start and size must be multiples of the section size`);
    if (a.kind === 'online' && h.initial !== 'offline') throw new ScenarioError(`${path}.actors[${i}]: an online actor needs memory that is present and offline (memory.hotplug initial "offline")`);
  });
}

/** `--set path=value`: set a field of the raw document (before validation). */
export function applyOverride(doc: unknown, assignment: string): unknown {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ScenarioError(`--set ${assignment}: expected <path>=<value>, e.g. arch.vaBits=39`);
  const path = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1).trim();
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw; // a bare string such as v5.4 or 128M
  }
  const parts = path.split('.').flatMap((p) => {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(p);
    if (!m) throw new ScenarioError(`--set ${path}: '${p}' is not a field name`);
    if (isUnsafeKey(m[1])) throw new ScenarioError(`--set ${path}: '${m[1]}' is not a scenario field`);
    return [m[1], ...[...m[2].matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]))];
  });
  const out = structuredClone(doc) as Record<string, unknown>;
  let cur: unknown = out;
  for (let i = 0; i < parts.length; i++) {
    const at = overridePrefix(parts, i);
    const key = overrideKey(cur, parts[i], path, at);
    const c = cur as Record<string | number, unknown>;
    if (i === parts.length - 1) {
      c[key] = value;
      break;
    }
    // Own properties only: an inherited value is never descended into or written through.
    if (!Object.hasOwn(c, key) || c[key] === undefined) c[key] = typeof parts[i + 1] === 'number' ? [] : {};
    cur = c[key];
    if (typeof cur !== 'object' || cur === null) throw new ScenarioError(`--set ${path}: ${at} is not an object`);
  }
  return out;
}

/** `actors[1].count` style name of the path up to and including part `i`. */
function overridePrefix(parts: readonly (string | number)[], i: number): string {
  let s = '';
  for (let j = 0; j <= i; j++) s += typeof parts[j] === 'number' ? `[${parts[j]}]` : `${j === 0 ? '' : '.'}${parts[j]}`;
  return s;
}

/**
 * The key `part` names in `container`. An array takes only an index, and at
 * most one past its end (so `actors[2]` appends to two actors): a huge index
 * would otherwise allocate, or silently become a non-index property.
 */
function overrideKey(container: unknown, part: string | number, path: string, at: string): string | number {
  if (!Array.isArray(container)) return part;
  const index = typeof part === 'number' ? part : /^\d+$/.test(part) ? Number(part) : Number.NaN;
  if (Number.isNaN(index)) throw new ScenarioError(`--set ${path}: ${at} indexes an array; expected [n]`);
  if (index > container.length) {
    throw new ScenarioError(`--set ${path}: ${at} is past the end of an array of ${container.length} (the next entry is [${container.length}])`);
  }
  return index;
}

/** Apply `vmallocThreads` to the first vmalloc group; returns the actors to instantiate. */
export function resolvedActors(s: Scenario): ActorSpec[] {
  let applied = false;
  return s.actors.map((a) => {
    if (a.kind === 'vmalloc' && s.vmallocThreads !== undefined && !applied) {
      applied = true;
      return { ...a, count: s.vmallocThreads };
    }
    return a;
  });
}
