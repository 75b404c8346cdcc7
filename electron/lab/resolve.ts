/**
 * Turning user input (preset names, scenario files, strategy lists, `--set`
 * overrides) into validated scenarios and strategies. Every failure is an
 * InputError with one clear line; the CLI maps it to exit code 2.
 */
import { readFileSync, statSync } from 'node:fs';
import { computeLayout, memstartAddr } from '../../core/layout.ts';
import { findPreset, PRESETS } from '../../core/presets.ts';
import { applyOverride, isUnsafeKey, parseScenario, type Scenario, ScenarioError } from '../../core/scenario.ts';
import { defineStrategy, findStrategy, type Strategy, STRATEGIES, StrategyError } from '../../core/strategies.ts';

export class InputError extends Error {}

/** Wrap core validation errors as input errors. */
export function asInputError(e: unknown): never {
  if (e instanceof ScenarioError || e instanceof StrategyError) throw new InputError(e.message);
  throw e;
}

/**
 * The path of the first key in `value` that would reach a prototype
 * (`__proto__`, `constructor`, `toString`, …; see isUnsafeKey), or null.
 * Iterative, so a deeply nested document cannot overflow the stack.
 */
export function unsafeKeyPath(value: unknown, root = ''): string | null {
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${at}[${i}]`]);
      continue;
    }
    for (const k of Object.keys(v)) {
      const here = at === '' ? k : `${at}.${k}`;
      if (isUnsafeKey(k)) return here;
      stack.push([(v as Record<string, unknown>)[k], here]);
    }
  }
  return null;
}

/** Refuses a document from input that has a prototype-reaching key anywhere. */
export function checkKeys(doc: unknown, what: string): void {
  const bad = unsafeKeyPath(doc);
  if (bad !== null) throw new InputError(`${what}: ${bad}: a field may not be named __proto__, constructor, prototype or like another Object.prototype member`);
}

/** Largest scenario or strategy file read (the presets are a few KiB). */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
/** Largest trace file `ptlab replay` reads. */
export const MAX_TRACE_FILE_BYTES = 256 * 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MiB`;
}

/** Reads a JSON document of at most `maxBytes` from a file; `what` names it in errors. */
export function readJson(file: string, what: string, maxBytes = MAX_DEFINITION_BYTES): unknown {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > maxBytes) throw new InputError(`${what} ${file} is ${mib(size)}, larger than the limit of ${mib(maxBytes)}`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  checkKeys(doc, file);
  return doc;
}

export interface ResolvedScenario {
  /** The raw document after overrides (what is stored as the run's config). */
  doc: unknown;
  scenario: Scenario;
}

/** A preset name or a path to a scenario JSON file, with `--set` overrides applied before validation. */
export function resolveScenario(nameOrFile: string, sets: readonly string[] = []): ResolvedScenario {
  const preset = findPreset(nameOrFile);
  let doc: unknown;
  if (preset) doc = preset.doc;
  else if (nameOrFile.endsWith('.json') || nameOrFile.includes('/')) doc = readJson(nameOrFile, 'scenario file');
  else throw new InputError(`unknown scenario '${nameOrFile}' (presets: ${PRESETS.map((p) => p.name).join(', ')}; or give a .json file)`);
  if (!preset) checkKeys(doc, nameOrFile);
  try {
    for (const s of sets) doc = applyOverride(doc, s);
    const scenario = parseScenario(doc);
    checkLayout(scenario);
    return { doc, scenario };
  } catch (e) {
    return asInputError(e);
  }
}

/**
 * What only the address layout can tell (a KASLR offset that is not a multiple
 * of ARM64_MEMSTART_ALIGN, …). Core reports these as plain Errors when a run
 * starts; caught here they are bad input (exit 2), not a bug (exit 70).
 */
export function checkLayout(scenario: Scenario): void {
  try {
    memstartAddr(computeLayout(scenario.arch.layout, { pageSize: scenario.arch.pageSize, vaBits: scenario.arch.vaBits }), scenario.memory);
  } catch (e) {
    throw new InputError(`scenario: ${(e as Error).message}`);
  }
}

/** "all", a comma list of ids, or a JSON file of user strategies (one object or an array), possibly mixed. */
export function resolveStrategies(spec: string | undefined): Strategy[] {
  if (!spec || spec === 'all') return [...STRATEGIES];
  const out: Strategy[] = [];
  try {
    for (const part of spec.split(',').map((x) => x.trim()).filter(Boolean)) {
      if (part.endsWith('.json')) {
        const v = readJson(part, 'strategy file');
        const defs = Array.isArray(v) ? v : [v];
        defs.forEach((d, i) => out.push(defineStrategy(d, Array.isArray(v) ? `${part}[${i}]` : part)));
      } else out.push(findStrategy(part));
    }
  } catch (e) {
    return asInputError(e);
  }
  if (out.length === 0) throw new InputError('--strategy: expected at least one strategy id');
  // Runs are saved under the strategy id: one id must mean one design within a batch.
  const byId = new Map<string, Strategy>();
  for (const s of out) {
    const seen = byId.get(s.id);
    if (seen && JSON.stringify(seen.knobs) !== JSON.stringify(s.knobs)) throw new InputError(`--strategy: two different strategies are both named '${s.id}'`);
    byId.set(s.id, s);
  }
  return out;
}

/** Parse an integer flag within [min, max]; the error says which bound was crossed ("--seeds: must be ≥ 1, got -1"). */
export function intFlag(name: string, v: string | undefined, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v.trim())) throw new InputError(`${name}: expected an integer, got '${v}'`);
  const n = Number(v);
  if (n < min) throw new InputError(`${name}: must be ≥ ${min}, got ${v.trim()}`);
  if (n > max) throw new InputError(`${name}: must be ≤ ${max}, got ${v.trim()}`);
  return n;
}
