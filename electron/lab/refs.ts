/**
 * Turning the lab API's references into validated core objects: a scenario
 * (`{preset}` or `{doc}`, with `path=value` overrides) and strategies
 * (built-in ids, saved variants by id, or inline variant definitions). Over
 * a transport nothing here touches the file system: a preset name is only
 * ever a preset. Every failure is an InputError with one line.
 */
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { findPreset, PRESETS } from '../../core/presets.ts';
import { defineStrategy, type Strategy, STRATEGIES } from '../../core/strategies.ts';
import type { ScenarioRef, StrategyRef } from './api.ts';
import { asInputError, checkLayout, InputError } from './resolve.ts';

export interface ResolvedScenarioRef {
  /** The document after overrides: what a run stores as its config. */
  doc: unknown;
  scenario: Scenario;
}

export function resolveScenarioRef(ref: ScenarioRef, sets: readonly string[] = []): ResolvedScenarioRef {
  let doc: unknown;
  if ('preset' in ref) {
    const preset = findPreset(ref.preset);
    if (!preset) throw new InputError(`unknown preset '${ref.preset}' (presets: ${PRESETS.map((p) => p.name).join(', ')})`);
    doc = preset.doc;
  } else doc = ref.doc;
  try {
    for (const s of sets) doc = applyOverride(doc, s);
    const scenario = parseScenario(doc);
    // What only the layout can tell (a KASLR offset off ARM64_MEMSTART_ALIGN) is bad input here too, not a failed run.
    checkLayout(scenario);
    return { doc, scenario };
  } catch (e) {
    return asInputError(e);
  }
}

export function isBuiltinStrategy(id: string): boolean {
  return STRATEGIES.some((s) => s.id === id);
}

/** A variant definition, refused when it takes a built-in id (runs under that id would not be what it names). */
export function defineVariant(def: unknown, path: string): Strategy {
  const id = typeof def === 'object' && def !== null && 'id' in def ? (def as { id: unknown }).id : undefined;
  if (typeof id === 'string' && isBuiltinStrategy(id)) {
    throw new InputError(`${path}.id: '${id}' is a built-in strategy id; give the variant its own id`);
  }
  try {
    return defineStrategy(def, path);
  } catch (e) {
    return asInputError(e);
  }
}

/**
 * Strategies by reference, in order, without duplicates; empty or absent
 * means every built-in. `saved(id)` looks up a saved variant's definition.
 */
export function resolveStrategyRefs(refs: readonly StrategyRef[] | undefined, saved: (id: string) => unknown | null, path = 'strategies'): Strategy[] {
  if (!refs || refs.length === 0) return [...STRATEGIES];
  const out: Strategy[] = [];
  refs.forEach((ref, i) => {
    let s: Strategy;
    if (typeof ref === 'string') {
      const builtin = STRATEGIES.find((x) => x.id === ref);
      if (builtin) s = builtin;
      else {
        const def = saved(ref);
        if (def === null) throw new InputError(`${path}[${i}]: unknown strategy '${ref}' (built-in: ${STRATEGIES.map((x) => x.id).join(', ')}; or a saved variant)`);
        s = defineVariant(def, `${path}[${i}]`);
      }
    } else s = defineVariant(ref.def, `${path}[${i}].def`);
    if (out.some((x) => x.id === s.id)) throw new InputError(`${path}[${i}]: strategy '${s.id}' is listed twice`);
    out.push(s);
  });
  return out;
}

/** The strategy a recorded run or trace names: the built-in or saved one of that id, or one rebuilt from its knobs. */
export function strategyFromRecord(id: string, knobs: Record<string, unknown> | null, saved: (id: string) => unknown | null): Strategy {
  const builtin = STRATEGIES.find((x) => x.id === id);
  const same = (s: Strategy): boolean => knobs === null || JSON.stringify(Object.entries(s.knobs).sort()) === JSON.stringify(Object.entries(knobs).sort());
  if (builtin && same(builtin)) return builtin;
  if (!builtin) {
    const def = saved(id);
    if (def !== null) {
      const s = defineVariant(def, `strategy '${id}'`);
      if (same(s)) return s;
    }
  }
  if (knobs === null) throw new InputError(`strategy '${id}' is neither built in nor saved, and the record has no knobs`);
  try {
    // All knobs are given, so the base only supplies the title; any built-in will do.
    const s = defineStrategy({ id: 'recorded', base: STRATEGIES[0].id, knobs }, 'strategy');
    return { ...s, id, title: `${id} (as recorded)` };
  } catch (e) {
    return asInputError(e);
  }
}
