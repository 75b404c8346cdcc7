/**
 * Strategy knobs and a user strategy variant (`ptlab.strategy/1`:
 * `{id, base?, title?, description?, knobs?}`) as TypeBox schemas. The knob
 * schemas are the one list of knobs, their values and what each means:
 * core/strategies.ts takes its knob table and types from here and
 * `defineStrategy` checks a variant against `StrategyDefSchema`.
 */
import type { Static, TSchema } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import { choicesOf, EXPECTED, KEY_NOUN, oneOf } from './check.ts';

/** Names a strategy id may not take: they are Object.prototype's (`constructor`, `toString`, …), which ids key maps with. */
const PROTOTYPE_NAMES = ['prototype', ...Object.getOwnPropertyNames(Object.prototype)].filter((n) => /^[A-Za-z0-9]/.test(n)).sort();

/** A strategy id: letters, digits, '.', '_' or '-', starting with a letter or digit, and not an Object.prototype name. */
export const StrategyIdSchema = Type.String({
  pattern: `^(?!(?:${PROTOTYPE_NAMES.join('|')})$)[A-Za-z0-9][A-Za-z0-9._-]*$`,
  maxLength: 64,
  [EXPECTED]: "a name of letters, digits, '.', '_' or '-', at most 64 long",
  description: 'the name runs are saved under; a built-in id always means the built-in design',
});

const bool = (description: string) => Type.Boolean({ description });

/** Every knob: its values (the first listed is not a default; a variant starts from its base's) and what it means in the kernel's terms. */
export const KNOB_SCHEMAS = {
  teardown: oneOf(['one-pass', 'two-pass'] as const, {
    description: 'one-pass: V5 remove_pagetable(); two-pass: unmap_hotplug_range() then free_empty_tables()',
  }),
  leafOrder: oneOf(['clear-tlbi-free', 'free-clear-tlbi'] as const, {
    description: 'order at a leaf that maps memory to be freed: clear -> TLBI -> free (V6 on) or free -> clear -> TLBI (V5, x86)',
  }),
  blockTlbi: bool('invalidate the TLB after clearing a block (section) entry; V5 did not'),
  linearTlbi: oneOf(['per-entry', 'batched'] as const, {
    description: 'linear-map leaf TLBI after every entry (v5.7) or once for the whole range (2026 batched flush)',
  }),
  walkCacheTlbi: bool('TLBI VAAE1IS (walk cache too) before freeing a table; false uses the leaf-only VAALE1IS'),
  freeTables: oneOf(['all-empty', 'floor-ceiling', 'never-vmemmap', 'never'] as const, { description: 'which emptied tables are freed' }),
  teardownLock: oneOf(['none', 'ptl'] as const, { description: 'lock held around the teardown itself (V5 held init_mm.page_table_lock)' }),
  vmallocGuard: oneOf(['none', 'ptl', 'get_online_mems'] as const, { description: 'what vmalloc holds for its whole duration' }),
  ptdumpGuard: oneOf(['none', 'get_online_mems', 'ptdump_walk_pgd'] as const, {
    description:
      'which ptdump entry points walk under get_online_mems(): none (arm64 before bf2b59f60ee1); get_online_mems: ptdump_show() only (V5 2/3, merged in v5.7), ' +
      'ptdump_check_wx() walks unguarded; ptdump_walk_pgd: inside the generic ptdump_walk_pgd(), so every entry point (59305202c67f, 2025)',
  }),
};

/** A design's full set of knobs. */
export const StrategyKnobsSchema = Type.Object(KNOB_SCHEMAS, { additionalProperties: false, [KEY_NOUN]: 'knob' });
export type StrategyKnobs = Static<typeof StrategyKnobsSchema>;

/** A variant's knobs: those it changes from its base. */
export const KnobOverridesSchema = Type.Partial(StrategyKnobsSchema, {
  additionalProperties: false,
  [KEY_NOUN]: 'knob',
  description: 'the knobs that differ from the base design',
});

/** Each knob's values, in the schema's order. */
export function knobValues(): { [K in keyof StrategyKnobs]: readonly StrategyKnobs[K][] } {
  return Object.fromEntries(Object.entries(KNOB_SCHEMAS).map(([k, s]: [string, TSchema]) => [k, choicesOf(s) ?? [true, false]])) as unknown as {
    [K in keyof StrategyKnobs]: readonly StrategyKnobs[K][];
  };
}

export const StrategyDefSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'the JSON Schema this document follows (ignored)' })),
    id: StrategyIdSchema,
    base: Type.Optional(Type.String({ minLength: 1, [EXPECTED]: 'a built-in strategy id', description: 'the built-in design the variant starts from (default v5-reviewed)' })),
    title: Type.Optional(Type.String({ maxLength: 200, description: 'one line naming the design' })),
    description: Type.Optional(Type.String({ maxLength: 4000, description: 'what the design does, in words' })),
    knobs: Type.Optional(KnobOverridesSchema),
  },
  { additionalProperties: false, $id: 'ptlab.strategy/1', title: 'PT Lab strategy variant (a built-in design with knobs changed)' },
);

export type StrategyDef = Static<typeof StrategyDefSchema>;
