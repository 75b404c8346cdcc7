/**
 * Scenario documents: the machine (arch, layout, memory map), the actors
 * and their workloads, run limits and cost overrides. `parseScenario`
 * validates a JSON value field by field (errors name the field path and what
 * was expected); `applyOverride` implements `--set path=value`. The built-in
 * presets are at the bottom.
 */
import type { PageSize, VaBits } from './arch.ts';
import { COST_DEFAULTS, type CostKey } from './costs.ts';
import { defaultSectionSizeBits, LAYOUT_ERA_NAMES, type LayoutEra, layoutEra } from './layout.ts';
import { PTDUMP_ENTRIES, type PtdumpEntry } from './kernel/ptdump.ts';
import { PROFILE_NAMES, type ProfileName } from './workload.ts';

export interface RangeSpec {
  start: number;
  size: number;
}

export interface HotplugRange extends RangeSpec {
  /** State at the start: absent (to be hot-added), online, or offline. */
  initial: 'absent' | 'online' | 'offline';
  /** NUMA node (0, the default, is the boot node; memory onlined in another node for the first time starts its kswapd and kcompactd). */
  node: number;
}

export interface HotremoveActor {
  kind: 'hotremove';
  range: RangeSpec;
  linear: boolean;
  offline: boolean;
  deviceLock: boolean;
  /** Remove, then add back and remove again, this many times (1 = remove once). */
  cycles: number;
  thinkNs: number;
}

export interface HotplugActor {
  kind: 'hotplug';
  range: RangeSpec;
  /** add + remove cycles; 0 = until the run ends. */
  cycles: number;
  thinkNs: number;
  linear: boolean;
  offline: boolean;
  deviceLock: boolean;
}

export interface VmallocActor {
  kind: 'vmalloc';
  count: number;
  profile: ProfileName;
  /** Operations per thread; 0 = until the run ends. */
  ops: number;
  /** Pages for fix_size (test_vmalloc's nr_pages). */
  pages: number;
  /** 'shared': all of vmalloc space; 'top-gib-per-thread': thread i uses the i-th GiB below VMALLOC_END. */
  window: 'shared' | 'top-gib-per-thread';
  touch: boolean;
  vfree: boolean;
  thinkNs: number;
}

/** Onlines present, offline memory (`echo online > .../memoryN/state`): online_pages(). */
export interface OnlineActor {
  kind: 'online';
  range: RangeSpec;
  deviceLock: boolean;
}

export interface PtdumpActor {
  kind: 'ptdump';
  /** Entry point: debugfs kernel_page_tables (ptdump_show) or the W+X check (ptdump_check_wx; at runtime only from 6.9's check_wx_pages). */
  entry: PtdumpEntry;
  /** What the walk covers: everything, the hot-pluggable ranges (linear map and vmemmap), one of those, or the whole vmemmap region. */
  region: 'all' | 'hotplug' | 'vmemmap' | 'linear' | 'vmemmap-region';
  repeats: number;
  cadenceNs: number;
}

export interface AccessActor {
  kind: 'access';
  /** Touch the linear map and the struct pages of each hot-pluggable range. */
  targets: 'hotplug';
  repeats: number;
  thinkNs: number;
}

export type ActorSpec = HotremoveActor | HotplugActor | OnlineActor | VmallocActor | PtdumpActor | AccessActor;

export interface Scenario {
  name: string;
  description: string;
  arch: { pageSize: PageSize; vaBits: VaBits; layout: LayoutEra };
  memory: {
    boot: RangeSpec[];
    hotplug: HotplugRange[];
    sectionSizeBits: number;
    kaslrLinearOffset: number;
    vmemmapMapping: 'pmd' | 'base';
    linearMapping: 'block' | 'page';
    allocatorPages: number;
    allocatorBlocks: number;
  };
  /** Number of vmalloc threads (sets the count of the first vmalloc actor group). */
  vmallocThreads?: number;
  tlb: { entries: number; walkCacheEntries: number };
  actors: ActorSpec[];
  run: {
    durationNs: number;
    maxSteps: number;
    /** random mode: chance to stay on the same CPU for the next step. */
    burst: number;
    /** random mode: chance that a may-sleep allocation sleeps, and the mean steps asleep. */
    sleepProbability: number;
    sleepSteps: number;
  };
  cost: Partial<Record<CostKey, number>>;
  sweep?: { vmallocThreads: number[] };
  /** What the scenario takes for granted about the machine, in words; every run of it carries them as notes. */
  assumptions: string[];
}

export class ScenarioError extends Error {}

// ------------------------------------------------------------ parsing

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B)?$/i;

/** Parse a size or address: a number, "0x…" hex, or "128M" / "2G" / "512GiB". */
export function parseSize(v: unknown, path: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0 || !Number.isInteger(v)) throw new ScenarioError(`${path}: expected a non-negative integer, got ${v}`);
    return v;
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (/^0x[0-9a-f]+$/i.test(t)) {
      const n = Number(BigInt(t));
      if (n > Number.MAX_SAFE_INTEGER) throw new ScenarioError(`${path}: ${t} is too large`);
      return n;
    }
    const m = SIZE_RE.exec(t);
    if (m) {
      const mult = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40, P: 2 ** 50 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T' | 'P'];
      const n = Number(m[1]) * mult;
      if (Number.isInteger(n)) return n;
    }
  }
  throw new ScenarioError(`${path}: expected a size or address like 134217728, "0x8000000", "128M" or "2G", got ${JSON.stringify(v)}`);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ScenarioError(`${path}: expected an object, got ${describe(v)}`);
  return v as Obj;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  return typeof v === 'object' ? 'an object' : String(v);
}

function onlyKeys(o: Obj, keys: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ScenarioError(`${path}.${k}: unknown field (expected one of ${keys.join(', ')})`);
  }
}

function oneOf<T extends string | number>(v: unknown, allowed: readonly T[], path: string): T {
  if (!allowed.includes(v as T)) throw new ScenarioError(`${path}: expected one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(v)}`);
  return v as T;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ScenarioError(`${path}: expected an integer from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

function num(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ScenarioError(`${path}: expected a number from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new ScenarioError(`${path}: expected true or false, got ${describe(v)}`);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new ScenarioError(`${path}: expected a string, got ${describe(v)}`);
  return v;
}

function opt<T>(o: Obj, k: string, dflt: T, parse: (v: unknown, path: string) => T, path: string): T {
  return o[k] === undefined ? dflt : parse(o[k], `${path}.${k}`);
}

function range(v: unknown, path: string): RangeSpec {
  const o = obj(v, path);
  onlyKeys(o, ['start', 'size'], path);
  if (o.start === undefined) throw new ScenarioError(`${path}.start: required`);
  if (o.size === undefined) throw new ScenarioError(`${path}.size: required`);
  const size = parseSize(o.size, `${path}.size`);
  if (size === 0) throw new ScenarioError(`${path}.size: must be larger than 0`);
  return { start: parseSize(o.start, `${path}.start`), size };
}

function list<T>(v: unknown, path: string, item: (v: unknown, path: string) => T): T[] {
  if (!Array.isArray(v)) throw new ScenarioError(`${path}: expected an array, got ${describe(v)}`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

const MAX_NS = 3600e9;

const ACTOR_KINDS = ['hotremove', 'hotplug', 'online', 'vmalloc', 'ptdump', 'access'] as const;

function actor(v: unknown, path: string): ActorSpec {
  const o = obj(v, path);
  const kind = oneOf(o.kind, ACTOR_KINDS, `${path}.kind`);
  switch (kind) {
    case 'hotremove':
    case 'hotplug': {
      onlyKeys(o, ['kind', 'range', 'linear', 'offline', 'deviceLock', 'cycles', 'thinkNs'], path);
      if (o.range === undefined) throw new ScenarioError(`${path}.range: required`);
      return {
        kind,
        range: range(o.range, `${path}.range`),
        linear: opt(o, 'linear', true, bool, path),
        offline: opt(o, 'offline', true, bool, path),
        deviceLock: opt(o, 'deviceLock', true, bool, path),
        cycles: opt(o, 'cycles', kind === 'hotremove' ? 1 : 0, (x, p) => int(x, p, 0, 1e6), path),
        thinkNs: opt(o, 'thinkNs', 1_000_000, (x, p) => num(x, p, 0, MAX_NS), path),
      } as HotremoveActor | HotplugActor;
    }
    case 'online':
      onlyKeys(o, ['kind', 'range', 'deviceLock'], path);
      if (o.range === undefined) throw new ScenarioError(`${path}.range: required`);
      return { kind, range: range(o.range, `${path}.range`), deviceLock: opt(o, 'deviceLock', true, bool, path) };
    case 'vmalloc':
      onlyKeys(o, ['kind', 'count', 'profile', 'ops', 'pages', 'window', 'touch', 'vfree', 'thinkNs'], path);
      return {
        kind,
        count: opt(o, 'count', 1, (x, p) => int(x, p, 1, 256), path),
        profile: opt(o, 'profile', 'fix_size' as ProfileName, (x, p) => oneOf(x, PROFILE_NAMES, p), path),
        ops: opt(o, 'ops', 0, (x, p) => int(x, p, 0, 1e9), path),
        pages: opt(o, 'pages', 1, (x, p) => int(x, p, 1, 65536), path),
        window: opt(o, 'window', 'shared' as const, (x, p) => oneOf(x, ['shared', 'top-gib-per-thread'] as const, p), path),
        touch: opt(o, 'touch', true, bool, path),
        vfree: opt(o, 'vfree', true, bool, path),
        thinkNs: opt(o, 'thinkNs', 0, (x, p) => num(x, p, 0, MAX_NS), path),
      };
    case 'ptdump':
      onlyKeys(o, ['kind', 'entry', 'region', 'repeats', 'cadenceNs'], path);
      return {
        kind,
        entry: opt(o, 'entry', 'ptdump_show' as PtdumpEntry, (x, p) => oneOf(x, PTDUMP_ENTRIES, p), path),
        region: opt(o, 'region', 'hotplug' as const, (x, p) => oneOf(x, ['all', 'hotplug', 'vmemmap', 'linear', 'vmemmap-region'] as const, p), path),
        repeats: opt(o, 'repeats', 1, (x, p) => int(x, p, 0, 1e6), path),
        cadenceNs: opt(o, 'cadenceNs', 10_000_000, (x, p) => num(x, p, 0, MAX_NS), path),
      };
    case 'access':
      onlyKeys(o, ['kind', 'targets', 'repeats', 'thinkNs'], path);
      return {
        kind,
        targets: opt(o, 'targets', 'hotplug' as const, (x, p) => oneOf(x, ['hotplug'] as const, p), path),
        repeats: opt(o, 'repeats', 1, (x, p) => int(x, p, 0, 1e6), path),
        thinkNs: opt(o, 'thinkNs', 1000, (x, p) => num(x, p, 0, MAX_NS), path),
      };
  }
}

const TOP_KEYS = ['name', 'description', 'assumptions', 'arch', 'memory', 'vmallocThreads', 'cpus', 'tlb', 'actors', 'run', 'cost', 'sweep', '$schema'] as const;

/** Validate and normalise a scenario document. */
export function parseScenario(v: unknown, path = 'scenario'): Scenario {
  const o = obj(v, path);
  onlyKeys(o, TOP_KEYS, path);
  const arch = obj(o.arch, `${path}.arch`);
  onlyKeys(arch, ['pageSize', 'vaBits', 'layout'], `${path}.arch`);
  for (const k of ['pageSize', 'vaBits', 'layout']) if (arch[k] === undefined) throw new ScenarioError(`${path}.arch.${k}: required`);
  const pageSize = oneOf(arch.pageSize, [4096, 16384, 65536] as const, `${path}.arch.pageSize`);
  const vaBits = oneOf(arch.vaBits, [39, 42, 47, 48] as const, `${path}.arch.vaBits`);
  // An alias (0.1's `v6`) is accepted and stands for its era from here on.
  const layout = layoutEra(oneOf(arch.layout, LAYOUT_ERA_NAMES, `${path}.arch.layout`));
  if (o.memory === undefined) throw new ScenarioError(`${path}.memory: required`);
  const m = obj(o.memory, `${path}.memory`);
  onlyKeys(m, ['boot', 'hotplug', 'sectionSizeBits', 'kaslrLinearOffset', 'vmemmapMapping', 'linearMapping', 'allocatorPages', 'allocatorBlocks'], `${path}.memory`);
  if (m.boot === undefined) throw new ScenarioError(`${path}.memory.boot: required`);
  const boot = list(m.boot, `${path}.memory.boot`, range);
  if (boot.length === 0) throw new ScenarioError(`${path}.memory.boot: expected at least one range`);
  const hotplug = list(m.hotplug ?? [], `${path}.memory.hotplug`, (x, p) => {
    const h = obj(x, p);
    onlyKeys(h, ['start', 'size', 'initial', 'node'], p);
    const r = range({ start: h.start, size: h.size }, p);
    return {
      ...r,
      initial: opt(h, 'initial', 'online' as const, (y, q) => oneOf(y, ['absent', 'online', 'offline'] as const, q), p),
      node: opt(h, 'node', 0, (y, q) => int(y, q, 0, 63), p),
    };
  });
  if (o.actors === undefined) throw new ScenarioError(`${path}.actors: required`);
  const actors = list(o.actors, `${path}.actors`, actor);
  if (actors.length === 0) throw new ScenarioError(`${path}.actors: expected at least one actor`);
  const t = o.tlb === undefined ? {} : obj(o.tlb, `${path}.tlb`);
  onlyKeys(t, ['entries', 'walkCacheEntries'], `${path}.tlb`);
  const r = o.run === undefined ? {} : obj(o.run, `${path}.run`);
  onlyKeys(r, ['durationNs', 'maxSteps', 'burst', 'sleepProbability', 'sleepSteps'], `${path}.run`);
  const c = o.cost === undefined ? {} : obj(o.cost, `${path}.cost`);
  const cost: Partial<Record<CostKey, number>> = {};
  for (const [k, val] of Object.entries(c)) {
    if (!(k in COST_DEFAULTS)) throw new ScenarioError(`${path}.cost.${k}: unknown cost (known: ${Object.keys(COST_DEFAULTS).join(', ')})`);
    cost[k as CostKey] = num(val, `${path}.cost.${k}`, 0, 1e12);
  }
  let sweep: Scenario['sweep'];
  if (o.sweep !== undefined) {
    const sw = obj(o.sweep, `${path}.sweep`);
    onlyKeys(sw, ['vmallocThreads'], `${path}.sweep`);
    sweep = { vmallocThreads: list(sw.vmallocThreads, `${path}.sweep.vmallocThreads`, (x, p) => int(x, p, 1, 256)) };
  }
  const s: Scenario = {
    name: opt(o, 'name', 'custom', str, path),
    description: opt(o, 'description', '', str, path),
    assumptions: opt(o, 'assumptions', [] as string[], (x, p) => list(x, p, str), path),
    arch: { pageSize, vaBits, layout },
    memory: {
      boot,
      hotplug,
      sectionSizeBits: opt(m, 'sectionSizeBits', defaultSectionSizeBits(layout, pageSize), (x, p) => int(x, p, 20, 40), `${path}.memory`),
      kaslrLinearOffset: opt(m, 'kaslrLinearOffset', 0, parseSize, `${path}.memory`),
      vmemmapMapping: opt(m, 'vmemmapMapping', pageSize === 4096 ? ('pmd' as const) : ('base' as const), (x, p) => oneOf(x, ['pmd', 'base'] as const, p), `${path}.memory`),
      // rodata_full is the default (RODATA_FULL_DEFAULT_ENABLED): arch_add_memory() passes NO_BLOCK_MAPPINGS | NO_CONT_MAPPINGS.
      linearMapping: opt(m, 'linearMapping', 'page' as const, (x, p) => oneOf(x, ['block', 'page'] as const, p), `${path}.memory`),
      allocatorPages: opt(m, 'allocatorPages', 0, (x, p) => int(x, p, 0, 64 * 1024 * 1024), `${path}.memory`),
      allocatorBlocks: opt(m, 'allocatorBlocks', 0, (x, p) => int(x, p, 0, 1024 * 1024), `${path}.memory`),
    },
    vmallocThreads: o.vmallocThreads === undefined ? undefined : int(o.vmallocThreads, `${path}.vmallocThreads`, 1, 256),
    tlb: {
      entries: opt(t, 'entries', 64, (x, p) => int(x, p, 1, 4096), `${path}.tlb`),
      walkCacheEntries: opt(t, 'walkCacheEntries', 16, (x, p) => int(x, p, 1, 1024), `${path}.tlb`),
    },
    actors,
    run: {
      durationNs: opt(r, 'durationNs', 1e9, (x, p) => num(x, p, 1, MAX_NS), `${path}.run`),
      maxSteps: opt(r, 'maxSteps', 50_000_000, (x, p) => int(x, p, 1, 1e10), `${path}.run`),
      burst: opt(r, 'burst', 0.5, (x, p) => num(x, p, 0, 0.999), `${path}.run`),
      sleepProbability: opt(r, 'sleepProbability', 0.5, (x, p) => num(x, p, 0, 1), `${path}.run`),
      sleepSteps: opt(r, 'sleepSteps', 2000, (x, p) => num(x, p, 0, 1e9), `${path}.run`),
    },
    cost,
    sweep,
  };
  if (o.cpus !== undefined) s.vmallocThreads = int(o.cpus, `${path}.cpus`, 1, 256);
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

/** Total vmalloc threads after applying `vmallocThreads`. */
export function vmallocCount(s: Scenario): number {
  return s.actors.reduce((n, a) => n + (a.kind === 'vmalloc' ? a.count : 0), 0);
}

/**
 * Whether a key from input would reach an object's prototype instead of its
 * data: `__proto__`, `constructor`, `prototype` and every other name
 * Object.prototype carries (`toString`, `hasOwnProperty`, …).
 */
export function isUnsafeKey(key: string): boolean {
  return key === 'prototype' || key in Object.prototype;
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
  const out = structuredClone(doc) as Obj;
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

/** A published JSON Schema (draft 2020-12) of the scenario document. */
export const SCENARIO_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'ptlab.scenario/1',
  title: 'PT Lab scenario',
  type: 'object',
  required: ['arch', 'memory', 'actors'],
  additionalProperties: false,
  $defs: {
    size: { oneOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^(0x[0-9a-fA-F]+|\\d+(\\.\\d+)?\\s*[KMGTPkmgtp]?(i?B)?)$' }] },
    range: { type: 'object', required: ['start', 'size'], additionalProperties: false, properties: { start: { $ref: '#/$defs/size' }, size: { $ref: '#/$defs/size' } } },
  },
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    assumptions: { type: 'array', items: { type: 'string' }, description: 'what the scenario takes for granted; shown as notes on every run' },
    arch: {
      type: 'object',
      required: ['pageSize', 'vaBits', 'layout'],
      additionalProperties: false,
      properties: { pageSize: { enum: [4096, 16384, 65536] }, vaBits: { enum: [39, 42, 47, 48] }, layout: { enum: [...LAYOUT_ERA_NAMES] } },
    },
    memory: {
      type: 'object',
      required: ['boot'],
      additionalProperties: false,
      properties: {
        boot: { type: 'array', minItems: 1, items: { $ref: '#/$defs/range' } },
        hotplug: {
          type: 'array',
          items: {
            type: 'object',
            required: ['start', 'size'],
            additionalProperties: false,
            properties: { start: { $ref: '#/$defs/size' }, size: { $ref: '#/$defs/size' }, initial: { enum: ['absent', 'online', 'offline'] }, node: { type: 'integer', minimum: 0, maximum: 63 } },
          },
        },
        sectionSizeBits: { type: 'integer', minimum: 20, maximum: 40 },
        kaslrLinearOffset: { $ref: '#/$defs/size' },
        vmemmapMapping: { enum: ['pmd', 'base'] },
        linearMapping: { enum: ['block', 'page'] },
        allocatorPages: { type: 'integer', minimum: 0 },
        allocatorBlocks: { type: 'integer', minimum: 0 },
      },
    },
    vmallocThreads: { type: 'integer', minimum: 1, maximum: 256 },
    cpus: { type: 'integer', minimum: 1, maximum: 256, description: 'alias of vmallocThreads' },
    tlb: { type: 'object', additionalProperties: false, properties: { entries: { type: 'integer' }, walkCacheEntries: { type: 'integer' } } },
    actors: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['kind'],
        properties: {
          kind: { enum: [...ACTOR_KINDS] },
          range: { $ref: '#/$defs/range' },
          linear: { type: 'boolean' },
          offline: { type: 'boolean' },
          deviceLock: { type: 'boolean' },
          cycles: { type: 'integer', minimum: 0 },
          thinkNs: { type: 'number', minimum: 0 },
          count: { type: 'integer', minimum: 1 },
          profile: { enum: [...PROFILE_NAMES] },
          ops: { type: 'integer', minimum: 0 },
          pages: { type: 'integer', minimum: 1 },
          window: { enum: ['shared', 'top-gib-per-thread'] },
          touch: { type: 'boolean' },
          vfree: { type: 'boolean' },
          entry: { enum: [...PTDUMP_ENTRIES] },
          region: { enum: ['all', 'hotplug', 'vmemmap', 'linear', 'vmemmap-region'] },
          repeats: { type: 'integer', minimum: 0 },
          cadenceNs: { type: 'number', minimum: 0 },
          targets: { enum: ['hotplug'] },
        },
      },
    },
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        durationNs: { type: 'number', minimum: 1 },
        maxSteps: { type: 'integer', minimum: 1 },
        burst: { type: 'number', minimum: 0, maximum: 0.999 },
        sleepProbability: { type: 'number', minimum: 0, maximum: 1 },
        sleepSteps: { type: 'number', minimum: 0 },
      },
    },
    cost: { type: 'object', additionalProperties: false, properties: Object.fromEntries(Object.keys(COST_DEFAULTS).map((k) => [k, { type: 'number', minimum: 0 }])) },
    sweep: { type: 'object', additionalProperties: false, properties: { vmallocThreads: { type: 'array', items: { type: 'integer', minimum: 1 } } } },
  },
} as const;
