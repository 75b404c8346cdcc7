/**
 * Teardown and locking designs as sets of knobs. The stable ids of SPEC §2.5
 * are presets, named after what was posted in the 2019 review of
 * "arm64/mm: Enable memory hot remove" (DOMAIN §1, §9); users derive variants
 * by overriding knobs
 * (`{"id": "no-walk-tlbi", "base": "v5-reviewed", "knobs": {"walkCacheTlbi": false}}`).
 * The knobs, their values and a variant's shape are core/schema/strategy.ts's
 * schemas; `defineStrategy` checks a variant against them, then applies the
 * rules a schema cannot state (the base exists, built-in ids are reserved).
 */
import { DOCUMENT_WORDING, findIssue, phrase } from './schema/check.ts';
import { knobValues, type StrategyDef, StrategyDefSchema, type StrategyKnobs } from './schema/strategy.ts';

export type { StrategyKnobs };

export interface Strategy {
  id: string;
  title: string;
  description: string;
  knobs: StrategyKnobs;
}

/** V5 with the review's ordering fixes (two passes, clear -> TLBI -> free) and V5 2/3's ptdump_show() guard. */
const REVIEWED_KNOBS: StrategyKnobs = {
  teardown: 'two-pass',
  leafOrder: 'clear-tlbi-free',
  blockTlbi: true,
  linearTlbi: 'per-entry',
  walkCacheTlbi: true,
  freeTables: 'all-empty',
  teardownLock: 'none',
  vmallocGuard: 'none',
  ptdumpGuard: 'get_online_mems',
};

const PTDUMP_SERIES = 'ptdump_show() walks under get_online_mems() (V5 2/3, "Hold memory hotplug lock while walking for kernel page table dump").';

export const STRATEGIES: readonly Strategy[] = [
  {
    id: 'v5',
    title: 'V5 as posted (29 May 2019)',
    description:
      '[PATCH V5 3/3] remove_pagetable(): one pass under init_mm.page_table_lock; section (block) entries are freed before pmd_clear() and cleared without TLB maintenance; ' +
      `every table found empty is freed, tables shared with vmalloc included. ${PTDUMP_SERIES}`,
    knobs: { ...REVIEWED_KNOBS, teardown: 'one-pass', leafOrder: 'free-clear-tlbi', blockTlbi: false, teardownLock: 'ptl' },
  },
  {
    id: 'v5-reviewed',
    title: 'V5 with the review\'s ordering (not a posted version)',
    description:
      "V5 with Mark Rutland's review of 30 May 2019 applied and nothing else: unmap_hotplug_range() clears leaves clear -> TLBI -> free, then free_empty_tables() " +
      'clears, walk-cache-invalidates and frees every empty table, the PUD table vmemmap shares with vmalloc included, with no lock against vmalloc: the ordering ' +
      `fixes alone leave the race of the thread. ${PTDUMP_SERIES} Named v6 before PT Lab 0.2 (whose v6 also left ptdump unguarded).`,
    knobs: { ...REVIEWED_KNOBS },
  },
  {
    id: 'v6',
    title: 'V6 as posted (19 Jun 2019): Option 3',
    description:
      'V6 3/3 keeps the reviewed two-pass teardown (init_mm ptl dropped) but "skip[s] freeing page table pages while tearing down vmemmap mapping": vmemmap_free() ' +
      `never calls free_empty_tables(), which is Option 3 as it was posted; the linear map's empty tables are still freed. ${PTDUMP_SERIES} Same knobs as opt3.`,
    knobs: { ...REVIEWED_KNOBS, freeTables: 'never-vmemmap' },
  },
  {
    id: 'opt1',
    title: 'Option 1 (11 Jun 2019): init_mm ptl over all of vmalloc',
    description:
      'vmalloc holds init_mm.page_table_lock for its whole duration and the teardown runs under it too (as in V5, which the options answered). Serialises every vmalloc ' +
      `on one spinlock, and is wrong besides: vmalloc allocates pages (GFP_KERNEL, may sleep) under it. ${PTDUMP_SERIES}`,
    knobs: { ...REVIEWED_KNOBS, teardownLock: 'ptl', vmallocGuard: 'ptl' },
  },
  {
    id: 'opt2',
    title: 'Option 2 (11 Jun 2019): get_online_mems() over all of vmalloc',
    description:
      'vmalloc holds mem_hotplug_lock for read (a percpu rwsem) for its whole duration; hot-remove, which holds it for write, drains in-flight vmallocs and blocks new ones. ' +
      'Safe for the teardown race (thread-race is proved safe), but it deadlocks elsewhere: online_pages() holds mem_hotplug_lock for write and, when a node comes online for the first time, ' +
      'waits for kthreadd to create kswapd and kcompactd, whose stacks kthreadd vmallocs (CONFIG_VMAP_STACK) — see the online-new-node scenario. ' +
      PTDUMP_SERIES,
    knobs: { ...REVIEWED_KNOBS, vmallocGuard: 'get_online_mems' },
  },
  {
    id: 'opt3',
    title: 'Option 3 (11 Jun 2019): never free vmemmap tables',
    description:
      'vmemmap_free() unmaps and frees the backing memory but never frees page-table pages; empty vmemmap tables leak until the range is re-added. ' +
      `Posted as V6 (the v6 strategy has the same knobs). ${PTDUMP_SERIES}`,
    knobs: { ...REVIEWED_KNOBS, freeTables: 'never-vmemmap' },
  },
  {
    id: 'upstream',
    title: 'Merged in v5.7 (bbd6ec605c0f): floor/ceiling',
    description:
      'free_empty_tables() frees a table only if its whole span lies inside [floor, ceiling) of the region being removed (as free_pgd_range() does), so tables shared with vmalloc are never freed. ' +
      'ptdump_show() walks under get_online_mems() (bf2b59f60ee1); ptdump_check_wx() walks unguarded until 59305202c67f (2025) — at runtime it is reachable only from 6.9 ' +
      '(/sys/kernel/debug/check_wx_pages, 565474afe08a); before 6.9 only mark_rodata_ro() calls it, once at boot.',
    knobs: { ...REVIEWED_KNOBS, freeTables: 'floor-ceiling' },
  },
];

export const STRATEGY_IDS = STRATEGIES.map((s) => s.id);

const KNOB_VALUES = knobValues();

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
  const issue = findIssue(StrategyDefSchema, def);
  if (issue) {
    const p = phrase(issue, DOCUMENT_WORDING, path);
    throw new StrategyError(`${p.path}: ${p.message}`);
  }
  const d = def as StrategyDef;
  let base: Strategy;
  try {
    base = findStrategy(d.base ?? 'v5-reviewed');
  } catch (e) {
    throw new StrategyError(`${path}.base: ${(e as Error).message}`);
  }
  const knobs: StrategyKnobs = { ...base.knobs, ...d.knobs };
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
    title: d.title ?? `${d.id} (from ${base.id})`,
    description: d.description ?? `${base.description} Knobs changed: ${JSON.stringify(d.knobs ?? {})}.`,
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
