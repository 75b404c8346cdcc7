/**
 * Teardown and locking designs as sets of knobs. The six stable ids of SPEC
 * §2.5 are presets; users derive variants by overriding knobs
 * (`{"id": "v6-no-walk-tlbi", "base": "v6", "knobs": {"walkCacheTlbi": false}}`).
 */

export interface StrategyKnobs {
  /** 'one-pass': V5 remove_pagetable(); 'two-pass': unmap_hotplug_range() then free_empty_tables(). */
  teardown: 'one-pass' | 'two-pass';
  /** Order at a leaf that maps memory to be freed: clear -> TLBI -> free (V6+) or free -> clear -> TLBI (V5, x86). */
  leafOrder: 'clear-tlbi-free' | 'free-clear-tlbi';
  /** Invalidate the TLB after clearing a block (section) entry. V5 did not. */
  blockTlbi: boolean;
  /** Linear-map leaf TLBI: after every entry (v5.7) or once for the whole range (2026 batched flush). */
  linearTlbi: 'per-entry' | 'batched';
  /** Use TLBI VAAE1IS (walk cache too) before freeing a table; false uses the leaf-only VAALE1IS. */
  walkCacheTlbi: boolean;
  /** Which emptied tables are freed. */
  freeTables: 'all-empty' | 'floor-ceiling' | 'never-vmemmap' | 'never';
  /** Lock held around the teardown itself (V5 held init_mm.page_table_lock). */
  teardownLock: 'none' | 'ptl';
  /** What vmalloc holds for its whole duration. */
  vmallocGuard: 'none' | 'ptl' | 'get_online_mems';
  /** What ptdump holds while it walks. */
  ptdumpGuard: 'none' | 'get_online_mems';
}

export interface Strategy {
  id: string;
  title: string;
  description: string;
  knobs: StrategyKnobs;
}

const V6_KNOBS: StrategyKnobs = {
  teardown: 'two-pass',
  leafOrder: 'clear-tlbi-free',
  blockTlbi: true,
  linearTlbi: 'per-entry',
  walkCacheTlbi: true,
  freeTables: 'all-empty',
  teardownLock: 'none',
  vmallocGuard: 'none',
  ptdumpGuard: 'none',
};

export const STRATEGIES: readonly Strategy[] = [
  {
    id: 'v5',
    title: 'V5 as posted',
    description:
      'remove_pagetable(): one pass under init_mm.page_table_lock; block (section) entries freed before pmd_clear() and without TLBI; every empty table freed.',
    knobs: { ...V6_KNOBS, teardown: 'one-pass', leafOrder: 'free-clear-tlbi', blockTlbi: false, teardownLock: 'ptl' },
  },
  {
    id: 'v6',
    title: 'Reviewed teardown (V6 shape)',
    description:
      'unmap_hotplug_range() clears leaves clear->TLBI->free, then free_empty_tables() clears, walk-cache-invalidates and frees every empty table, shared ones included. No lock against vmalloc: the race remains.',
    knobs: { ...V6_KNOBS },
  },
  {
    id: 'opt1',
    title: 'Option 1: init_mm ptl over all of vmalloc',
    description:
      'vmalloc holds init_mm.page_table_lock for its whole duration and the teardown runs under it too (as in V5, which Option 1 was proposed against). Serialises vmalloc, and sleeps in atomic context: vmalloc allocates pages under a spinlock.',
    knobs: { ...V6_KNOBS, teardownLock: 'ptl', vmallocGuard: 'ptl' },
  },
  {
    id: 'opt2',
    title: 'Option 2: get_online_mems() over vmalloc',
    description:
      'vmalloc holds mem_hotplug_lock for read (percpu rwsem) for its whole duration; hot-remove, which holds it for write, waits for in-flight vmallocs to drain.',
    knobs: { ...V6_KNOBS, vmallocGuard: 'get_online_mems' },
  },
  {
    id: 'opt3',
    title: 'Option 3: never free vmemmap tables',
    description: 'vmemmap_free() unmaps and frees the backing memory but never frees page-table pages; empty vmemmap tables leak until the range is re-added.',
    knobs: { ...V6_KNOBS, freeTables: 'never-vmemmap' },
  },
  {
    id: 'upstream',
    title: 'Merged in v5.7 (floor/ceiling)',
    description:
      'free_empty_tables() frees a table only if its whole span lies inside [floor, ceiling) of the region being removed (as free_pgd_range() does), so tables shared with vmalloc are never freed; ptdump walks under get_online_mems().',
    knobs: { ...V6_KNOBS, freeTables: 'floor-ceiling', ptdumpGuard: 'get_online_mems' },
  },
];

export const STRATEGY_IDS = STRATEGIES.map((s) => s.id);

const KNOB_VALUES: { [K in keyof StrategyKnobs]: readonly StrategyKnobs[K][] } = {
  teardown: ['one-pass', 'two-pass'],
  leafOrder: ['clear-tlbi-free', 'free-clear-tlbi'],
  blockTlbi: [true, false],
  linearTlbi: ['per-entry', 'batched'],
  walkCacheTlbi: [true, false],
  freeTables: ['all-empty', 'floor-ceiling', 'never-vmemmap', 'never'],
  teardownLock: ['none', 'ptl'],
  vmallocGuard: ['none', 'ptl', 'get_online_mems'],
  ptdumpGuard: ['none', 'get_online_mems'],
};

export function knobChoices(): typeof KNOB_VALUES {
  return KNOB_VALUES;
}

export class StrategyError extends Error {}

export function findStrategy(id: string): Strategy {
  const s = STRATEGIES.find((x) => x.id === id);
  if (!s) throw new StrategyError(`unknown strategy '${id}' (known: ${STRATEGY_IDS.join(', ')})`);
  return s;
}

/**
 * Build a strategy from a user definition: `{id, base?, title?, description?, knobs?}`.
 * Errors name the field and the allowed values.
 */
export function defineStrategy(def: unknown, path = 'strategy'): Strategy {
  if (typeof def !== 'object' || def === null || Array.isArray(def)) throw new StrategyError(`${path}: expected an object`);
  const d = def as Record<string, unknown>;
  const fields = ['$schema', 'id', 'base', 'title', 'description', 'knobs'];
  for (const k of Object.keys(d)) {
    if (!fields.includes(k)) throw new StrategyError(`${path}.${k}: unknown field (expected one of ${fields.join(', ')})`);
  }
  if (typeof d.id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(d.id) || d.id in Object.prototype) {
    throw new StrategyError(`${path}.id: expected a name of letters, digits, '.', '_' or '-'`);
  }
  const base = d.base === undefined ? findStrategy('v6') : typeof d.base === 'string' ? findStrategy(d.base) : null;
  if (!base) throw new StrategyError(`${path}.base: expected a strategy id`);
  const knobs: StrategyKnobs = { ...base.knobs };
  if (d.knobs !== undefined) {
    if (typeof d.knobs !== 'object' || d.knobs === null || Array.isArray(d.knobs)) throw new StrategyError(`${path}.knobs: expected an object`);
    for (const [k, v] of Object.entries(d.knobs as Record<string, unknown>)) {
      // Own keys only: `toString` or `__proto__` are in every object, but they are not knobs.
      if (!Object.hasOwn(KNOB_VALUES, k)) throw new StrategyError(`${path}.knobs.${k}: unknown knob (known: ${Object.keys(KNOB_VALUES).join(', ')})`);
      const allowed = KNOB_VALUES[k as keyof StrategyKnobs] as readonly unknown[];
      if (!allowed.includes(v)) throw new StrategyError(`${path}.knobs.${k}: expected one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}`);
      (knobs as unknown as Record<string, unknown>)[k] = v;
    }
  }
  for (const f of ['title', 'description'] as const) {
    if (d[f] !== undefined && typeof d[f] !== 'string') throw new StrategyError(`${path}.${f}: expected a string`);
  }
  const builtin = STRATEGIES.find((s) => s.id === d.id);
  if (builtin) {
    // A built-in id always means the built-in design, so saved history can trust it.
    const changed = knobDifferences(builtin.knobs, knobs);
    if (changed.length === 0) return builtin;
    throw new StrategyError(
      `${path}.id: '${builtin.id}' is a built-in strategy and these knobs differ from it (${changed.join(', ')}); give the variant its own id, e.g. '${builtin.id}-variant'`,
    );
  }
  return {
    id: d.id,
    title: typeof d.title === 'string' ? d.title : `${d.id} (from ${base.id})`,
    description: typeof d.description === 'string' ? d.description : `${base.description} Knobs changed: ${JSON.stringify(d.knobs ?? {})}.`,
    knobs,
  };
}

/** `knob=value` for each knob of `b` that differs from `a` (empty when the designs are the same). */
export function knobDifferences(a: Readonly<StrategyKnobs>, other: object): string[] {
  const b = other as Readonly<Record<string, unknown>>;
  const out: string[] = [];
  for (const k of Object.keys(KNOB_VALUES) as (keyof StrategyKnobs)[]) {
    if (Object.hasOwn(b, k) && a[k] !== b[k]) out.push(`${k}=${String(b[k])}`);
    else if (!Object.hasOwn(b, k)) out.push(`${k} unset`);
  }
  for (const k of Object.keys(b)) if (!Object.hasOwn(KNOB_VALUES, k)) out.push(`${k}=${String(b[k])}`);
  return out;
}
