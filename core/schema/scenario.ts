/**
 * The scenario document (`ptlab.scenario/1`) as a TypeBox schema: every
 * field with its type, range, choices, default and a description (the
 * Designer shows it as the field's help text). From it come the published
 * JSON Schema (`SCENARIO_SCHEMA`, printed by `ptlab scenarios --schema`),
 * the document and parsed-scenario types, and the shape check of
 * core/scenario.ts's parseScenario. What a schema cannot say (alignment to
 * the section size, ranges inside hot-pluggable memory, defaults that depend
 * on the era) stays as code there.
 */
import type { Static, TSchema } from '@sinclair/typebox';
// The builders one by one (a namespace import), not TypeBox's `Type` object: the renderer's bundle keeps only those used.
import * as Type from '@sinclair/typebox';
import type { PageSize, VaBits } from '../arch.ts';
import { COST_DEFAULTS, type CostKey } from '../costs.ts';
import { PTDUMP_ENTRIES } from '../kernel/ptdump.ts';
import { LAYOUT_ERA_NAMES, type LayoutEra } from '../layout.ts';
import { PROFILE_NAMES } from '../workload.ts';
import { EXPECTED, ITEM_NOUN, KEY_NOUN, oneOf, toJsonSchema } from './check.ts';

/** A size or address: a number, "0x…" hex, or a decimal with a binary unit ("128M", "2G", "512GiB"); spaces around it are ignored. */
export const SIZE_PATTERN = '^\\s*(?:(0[xX][0-9a-fA-F]+)|(\\d+(?:\\.\\d+)?)\\s*([KMGTPkmgtp]?)(?:[iI]?[bB])?)\\s*$';

const SIZE_EXPECTED = 'a size or address like 134217728, "0x8000000", "128M" or "2G"';

function size(description: string, options: Record<string, unknown> = {}) {
  return Type.Union([Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ pattern: SIZE_PATTERN })], {
    [EXPECTED]: SIZE_EXPECTED,
    description,
    ...options,
  });
}

/** Longest simulated time a duration may name: one hour. */
export const MAX_NS = 3600e9;

const ns = (description: string, dflt: number, minimum = 0) => Type.Number({ minimum, maximum: MAX_NS, default: dflt, description });

function rangeSchema(description?: string) {
  return Type.Object(
    {
      start: size('physical address of the first byte'),
      size: size('length in bytes (larger than 0)'),
    },
    { additionalProperties: false, ...(description ? { description } : {}) },
  );
}

export const RangeSchema = rangeSchema();

export const HotplugRangeSchema = Type.Object(
  {
    start: size('physical address; a multiple of the section size'),
    size: size('length in bytes; a multiple of the section size'),
    initial: Type.Optional(
      oneOf(['absent', 'online', 'offline'] as const, { default: 'online', description: 'state at the start: absent (to be hot-added), online, or present and offline' }),
    ),
    node: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 63,
        default: 0,
        description: 'NUMA node; 0 is the boot node. Memory onlined in another node for the first time starts its kswapd and kcompactd',
      }),
    ),
  },
  { additionalProperties: false },
);

const hotRange = () => rangeSchema('the memory to act on: inside one of memory.hotplug, section-aligned');
const deviceLock = () => Type.Optional(Type.Boolean({ default: true, description: 'lock_device_hotplug() around it, as sysfs does' }));
const removeFields = () => ({
  linear: Type.Optional(Type.Boolean({ default: true, description: 'also tear down the linear map (not only vmemmap)' })),
  offline: Type.Optional(Type.Boolean({ default: true, description: 'offline_pages() before removing' })),
  deviceLock: deviceLock(),
});

export const HotremoveActorSchema = Type.Object(
  {
    kind: Type.Literal('hotremove', { description: 'removes a range of hot-pluggable memory: offline, then arch_remove_memory() tears down its page tables' }),
    range: hotRange(),
    ...removeFields(),
    cycles: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6, default: 1, description: 'remove, then add back and remove again, this many times (1 = remove once)' })),
    thinkNs: Type.Optional(ns('simulated ns between cycles', 1_000_000)),
  },
  { additionalProperties: false },
);

export const HotplugActorSchema = Type.Object(
  {
    kind: Type.Literal('hotplug', { description: 'adds and removes a range of hot-pluggable memory in a loop' }),
    range: hotRange(),
    ...removeFields(),
    cycles: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6, default: 0, description: 'add + remove cycles; 0 = until the run ends' })),
    thinkNs: Type.Optional(ns('simulated ns between cycles', 1_000_000)),
  },
  { additionalProperties: false },
);

export const OnlineActorSchema = Type.Object(
  {
    kind: Type.Literal('online', { description: 'onlines present, offline memory (echo online > /sys/devices/system/memory/memoryN/state): online_pages()' }),
    range: hotRange(),
    deviceLock: deviceLock(),
  },
  { additionalProperties: false },
);

export const VmallocActorSchema = Type.Object(
  {
    kind: Type.Literal('vmalloc', { description: 'threads calling vmalloc()/vfree() as lib/test_vmalloc.c does' }),
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, default: 1, description: 'threads (each on its own CPU)' })),
    profile: Type.Optional(oneOf(PROFILE_NAMES, { default: 'fix_size', description: 'test_vmalloc test case the threads run' })),
    ops: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9, default: 0, description: 'operations per thread; 0 = until the run ends' })),
    pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 65536, default: 1, description: "pages per allocation (fix_size: test_vmalloc's nr_pages)" })),
    window: Type.Optional(
      oneOf(['shared', 'top-gib-per-thread'] as const, {
        default: 'shared',
        description: "where each thread's areas go: all of vmalloc space, or thread i in the i-th GiB below VMALLOC_END",
      }),
    ),
    touch: Type.Optional(Type.Boolean({ default: true, description: 'write each page after mapping it (through the TLB)' })),
    vfree: Type.Optional(Type.Boolean({ default: true, description: 'vfree() each area after use' })),
    thinkNs: Type.Optional(ns('simulated ns between operations', 0)),
  },
  { additionalProperties: false },
);

export const PtdumpActorSchema = Type.Object(
  {
    kind: Type.Literal('ptdump', { description: 'walks the kernel page tables as ptdump does' }),
    entry: Type.Optional(
      oneOf(PTDUMP_ENTRIES, {
        default: 'ptdump_show',
        description: "entry point: debugfs kernel_page_tables (ptdump_show) or the W+X check (ptdump_check_wx; at runtime only from 6.9's check_wx_pages)",
      }),
    ),
    region: Type.Optional(
      oneOf(['all', 'hotplug', 'vmemmap', 'linear', 'vmemmap-region'] as const, {
        default: 'hotplug',
        description: 'what the walk covers: everything, the hot-pluggable ranges (linear map and vmemmap), one of those, or the whole vmemmap region',
      }),
    ),
    repeats: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6, default: 1, description: 'walks' })),
    cadenceNs: Type.Optional(ns('simulated ns between walks', 10_000_000)),
  },
  { additionalProperties: false },
);

export const AccessActorSchema = Type.Object(
  {
    kind: Type.Literal('access', { description: 'a CPU reading memory through its TLB' }),
    targets: Type.Optional(oneOf(['hotplug'] as const, { default: 'hotplug', description: 'touch the linear map and the struct pages of each hot-pluggable range' })),
    repeats: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e6, default: 1, description: 'passes over the targets' })),
    thinkNs: Type.Optional(ns('simulated ns between accesses', 1000)),
  },
  { additionalProperties: false },
);

export const ActorSchema = Type.Union([HotremoveActorSchema, HotplugActorSchema, OnlineActorSchema, VmallocActorSchema, PtdumpActorSchema, AccessActorSchema], {
  description: 'what one CPU (or group of CPUs) does; `kind` says which',
});

/** Each actor kind's schema. */
export const ACTOR_SCHEMAS = {
  hotremove: HotremoveActorSchema,
  hotplug: HotplugActorSchema,
  online: OnlineActorSchema,
  vmalloc: VmallocActorSchema,
  ptdump: PtdumpActorSchema,
  access: AccessActorSchema,
} as const;

export const ArchSchema = Type.Object(
  {
    pageSize: oneOf([4096, 16384, 65536] as const, { description: 'PAGE_SIZE: the 4K, 16K or 64K granule, in bytes' }),
    vaBits: oneOf([39, 42, 47, 48] as const, { description: 'VA_BITS: bits of kernel virtual address' }),
    layout: oneOf(LAYOUT_ERA_NAMES, { description: 'kernel VA layout of this release era (v6 is an old name of v6.9)' }),
  },
  { additionalProperties: false, description: 'the CPU and the kernel configuration' },
);

export const MemorySchema = Type.Object(
  {
    boot: Type.Array(RangeSchema, { minItems: 1, [ITEM_NOUN]: 'range', description: 'memory present at boot (never removed); page-aligned' }),
    hotplug: Type.Optional(Type.Array(HotplugRangeSchema, { default: [], description: 'hot-pluggable memory: what the actors add, online and remove' })),
    sectionSizeBits: Type.Optional(
      Type.Integer({
        minimum: 20,
        maximum: 40,
        description: 'SECTION_SIZE_BITS; default by era: 30 up to v5.11, then 27 (4K, 16K pages) or 29 (64K pages)',
      }),
    ),
    kaslrLinearOffset: Type.Optional(size('how far linear-map KASLR moved memstart_addr down; a multiple of ARM64_MEMSTART_ALIGN', { default: 0 })),
    vmemmapMapping: Type.Optional(oneOf(['pmd', 'base'] as const, { description: 'vmemmap mapped by PMD blocks or base pages; default pmd with 4K pages, else base' })),
    linearMapping: Type.Optional(
      oneOf(['block', 'page'] as const, {
        default: 'page',
        description: 'linear map of hot-added memory by block or page entries (page: rodata_full, the default, so arch_add_memory() passes NO_BLOCK_MAPPINGS)',
      }),
    ),
    allocatorPages: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 * 1024 * 1024, default: 0, description: "pages in the page allocator's pool; 0 = sized from the scenario" })),
    allocatorBlocks: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024 * 1024, default: 0, description: 'PMD-sized blocks in the pool (for vmemmap); 0 = sized from the scenario' })),
  },
  { additionalProperties: false, description: 'the physical memory map' },
);

export const TlbSchema = Type.Object(
  {
    entries: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'TLB entries per CPU' })),
    walkCacheEntries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, default: 16, description: 'walk-cache (intermediate table) entries per CPU' })),
  },
  { additionalProperties: false, default: {}, description: 'the TLB and walk cache of each CPU' },
);

export const RunLimitsSchema = Type.Object(
  {
    durationNs: Type.Optional(ns('timed mode: simulated ns to run', 1e9, 1)),
    maxSteps: Type.Optional(Type.Integer({ minimum: 1, maximum: 1e10, default: 50_000_000, description: 'stop after this many steps' })),
    burst: Type.Optional(Type.Number({ minimum: 0, maximum: 0.999, default: 0.5, description: 'random mode: chance that the same CPU takes the next step too' })),
    sleepProbability: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'random mode: chance that an allocation that may sleep does' })),
    sleepSteps: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, default: 2000, description: 'random mode: mean steps a sleeping CPU stays asleep' })),
  },
  { additionalProperties: false, default: {}, description: 'run limits and the random scheduler' },
);

export const CostSchema = Type.Object(
  Object.fromEntries(
    Object.entries(COST_DEFAULTS).map(([k, c]) => [k, Type.Optional(Type.Number({ minimum: 0, maximum: 1e12, description: `${c.note} (default ${c.value})` }))]),
  ),
  { additionalProperties: false, default: {}, [KEY_NOUN]: 'cost', description: 'cost model overrides (ns unless the cost says otherwise)' },
) as unknown as TSchema & { static: Partial<Record<CostKey, number>> };

export const SweepSchema = Type.Object(
  {
    vmallocThreads: Type.Array(Type.Integer({ minimum: 1, maximum: 256 }), { description: 'run once per value, with that many vmalloc threads' }),
  },
  { additionalProperties: false, description: 'parameters a sweep steps through' },
);

const VMALLOC_THREADS = 'CPUs running vmalloc: sets the count of the first vmalloc actor';

/** The scenario document: what a scenario file holds and `--set` edits. */
export const ScenarioDocSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'the JSON Schema this document follows (ignored)' })),
    name: Type.Optional(Type.String({ default: 'custom', description: 'the name runs are saved under' })),
    description: Type.Optional(Type.String({ default: '', description: 'what the scenario shows, in words' })),
    assumptions: Type.Optional(Type.Array(Type.String(), { default: [], description: 'what the scenario takes for granted about the machine; shown as notes on every run' })),
    arch: ArchSchema,
    memory: MemorySchema,
    vmallocThreads: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: VMALLOC_THREADS })),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'alias of vmallocThreads (wins over it)' })),
    tlb: Type.Optional(TlbSchema),
    actors: Type.Array(ActorSchema, { minItems: 1, [ITEM_NOUN]: 'actor', description: 'the CPUs and what each does' }),
    run: Type.Optional(RunLimitsSchema),
    cost: Type.Optional(CostSchema),
    sweep: Type.Optional(SweepSchema),
  },
  { additionalProperties: false, $id: 'ptlab.scenario/1', title: 'PT Lab scenario' },
);

export type ScenarioDoc = Static<typeof ScenarioDocSchema>;

/** The published JSON Schema of the scenario document (`ptlab scenarios --schema`, the lab's `schemas()`). */
export const SCENARIO_SCHEMA: Record<string, unknown> = toJsonSchema(ScenarioDocSchema);

/**
 * `T` with every optional field present (the defaults filled in) and each
 * size (`number | string` in a document) as `Size`: with `number`, the
 * parsed form parseScenario returns.
 */
export type Complete<T, Size = number> = [T] extends [string | number]
  ? [string | number] extends [T]
    ? Size
    : T
  : T extends readonly (infer E)[]
    ? Complete<E, Size>[]
    : T extends object
      ? { [K in keyof T]-?: Complete<Exclude<T[K], undefined>, Size> }
      : T;

export type RangeSpec = Complete<Static<typeof RangeSchema>>;
export type HotplugRange = Complete<Static<typeof HotplugRangeSchema>>;
export type HotremoveActor = Complete<Static<typeof HotremoveActorSchema>>;
export type HotplugActor = Complete<Static<typeof HotplugActorSchema>>;
export type OnlineActor = Complete<Static<typeof OnlineActorSchema>>;
export type VmallocActor = Complete<Static<typeof VmallocActorSchema>>;
export type PtdumpActor = Complete<Static<typeof PtdumpActorSchema>>;
export type AccessActor = Complete<Static<typeof AccessActorSchema>>;
export type ActorSpec = Complete<Static<typeof ActorSchema>>;

/** A parsed scenario: every default filled in, sizes in bytes, the layout's alias resolved, `cpus` folded into `vmallocThreads`. */
export interface Scenario {
  name: string;
  description: string;
  arch: { pageSize: PageSize; vaBits: VaBits; layout: LayoutEra };
  memory: Complete<Static<typeof MemorySchema>>;
  /** Number of vmalloc threads (sets the count of the first vmalloc actor group). */
  vmallocThreads?: number;
  tlb: Complete<Static<typeof TlbSchema>>;
  actors: ActorSpec[];
  run: Complete<Static<typeof RunLimitsSchema>>;
  cost: Partial<Record<CostKey, number>>;
  sweep?: Static<typeof SweepSchema>;
  /** What the scenario takes for granted about the machine, in words; every run of it carries them as notes. */
  assumptions: string[];
}

// The schema's choices and the core types must agree: checked at compile time.
const _pageSize = (x: Static<typeof ArchSchema>['pageSize']): PageSize => x;
const _vaBits = (x: Static<typeof ArchSchema>['vaBits']): VaBits => x;
void [_pageSize, _vaBits];
