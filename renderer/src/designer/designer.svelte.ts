/**
 * The Designer's state. The scenario's JSON text is the one source of
 * truth: the JSON editor writes it as the user types, the form writes it by
 * path (and the text is re-printed), and everything else — the parsed
 * document, every field error, whether it can run — is derived from it.
 * Errors come from core, which checks against the scenario schema the form
 * is drawn from: every field the schema refuses (scenarioFieldErrors), and
 * parseScenario's first error (which also covers the checks that span fields,
 * e.g. a range outside memory.hotplug), all in the words of the CLI.
 */
import { VIOLATION_KINDS, type ViolationKind } from '../../../core/results.ts';
import { ScenarioError, parseScenario, scenarioFieldErrors } from '../../../core/scenario.ts';
import type { ExperimentDoc, ExploreRequest, FieldError, PresetInfo, RunRequest, SavedExperiment } from '../lib/api.ts';
import { type Schema, type Segment, pathString } from './schema.ts';

export type DesignMode = 'timed' | 'random' | 'pct' | 'explore';
export const DESIGN_MODES: readonly DesignMode[] = ['timed', 'random', 'pct', 'explore'];

export type Origin = { kind: 'preset'; name: string } | { kind: 'experiment'; id: number; name: string } | { kind: 'draft' };

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
}

/** Set (or, with undefined, delete) the value at `segs` in a copy of `doc`. */
export function setAt(doc: unknown, segs: readonly Segment[], value: unknown): unknown {
  if (segs.length === 0) return value;
  const out = structuredClone(doc ?? (typeof segs[0] === 'number' ? [] : {})) as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = out;
  for (let i = 0; i < segs.length - 1; i++) {
    const k = segs[i];
    if (typeof cur[k] !== 'object' || cur[k] === null) cur[k] = typeof segs[i + 1] === 'number' ? [] : {};
    cur = cur[k] as Record<string | number, unknown>;
  }
  const last = segs[segs.length - 1];
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1);
    else delete cur[last];
  } else cur[last] = value;
  return out;
}

export function getAt(doc: unknown, segs: readonly Segment[]): unknown {
  let cur = doc;
  for (const s of segs) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/** Core's first error, split into path and message ("scenario.arch.vaBits: expected one of ..."). */
function coreError(doc: unknown): FieldError | null {
  try {
    parseScenario(doc);
    return null;
  } catch (e) {
    if (!(e instanceof ScenarioError)) return { path: 'scenario', message: e instanceof Error ? e.message : String(e) };
    const i = e.message.indexOf(': ');
    return i > 0 ? { path: e.message.slice(0, i), message: e.message.slice(i + 2) } : { path: 'scenario', message: e.message };
  }
}

/** The path an error is shown at: the deepest part of its path that exists in the document. */
export function placeOf(path: string, doc: unknown): string {
  const segs: Segment[] = [];
  for (const m of path.replace(/^scenario/, '').matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[1] !== undefined ? m[1] : Number(m[2]));
  let keep = 0;
  let cur = doc;
  for (const s of segs) {
    if (typeof cur !== 'object' || cur === null || !(s in (cur as object))) break;
    cur = (cur as Record<string | number, unknown>)[s];
    keep++;
  }
  // A missing required field is shown at its own row when the form draws it (required fields always are).
  if (keep === segs.length - 1 && segs.length > 0) return path;
  return pathString('scenario', segs.slice(0, keep));
}

export interface DraftSnapshot {
  text: string;
  origin: Origin;
  name: string;
  strategies: string[];
  mode: DesignMode;
  seed: number;
  seeds: number;
  pctDepth: number;
  maxSchedules: number | null;
  timeLimitS: number | null;
  preemptionBound: number | null;
  kinds: ViolationKind[];
}

export class DesignerState {
  text = $state('');
  origin = $state<Origin>({ kind: 'draft' });
  /** The experiment name to save under. */
  name = $state('');
  strategies = $state.raw<string[]>([]);
  mode = $state<DesignMode>('random');
  seed = $state(1);
  seeds = $state(50);
  pctDepth = $state(2);
  maxSchedules = $state<number | null>(null);
  timeLimitS = $state<number | null>(60);
  preemptionBound = $state<number | null>(null);
  kinds = $state.raw<ViolationKind[]>([]);
  /** The scenario JSON Schema from the lab (null until the catalog arrives). */
  schema = $state.raw<Schema | null>(null);
  /** The last document that parsed, shown by the form while the text has a syntax error. */
  lastGood = $state.raw<unknown>({});

  readonly parsed = $derived(parseJson(this.text));
  readonly doc = $derived(this.parsed.ok ? this.parsed.value : this.lastGood);

  readonly errors = $derived.by((): FieldError[] => {
    if (!this.parsed.ok) return [];
    const doc = this.parsed.value;
    const core = coreError(doc);
    const out = core ? [core] : [];
    for (const e of scenarioFieldErrors(doc)) if (!out.some((x) => x.path === e.path)) out.push(e);
    return out;
  });

  /** Errors by the path of the field that shows them. */
  readonly errorsAt = $derived.by(() => {
    const m = new Map<string, string[]>();
    for (const e of this.errors) {
      const at = placeOf(e.path, this.doc);
      const text = at === e.path ? e.message : `${e.path.slice(at.length).replace(/^\./, '')}: ${e.message}`;
      m.set(at, [...(m.get(at) ?? []), text]);
    }
    return m;
  });

  readonly valid = $derived(this.parsed.ok && this.errors.length === 0);

  /** Why Run is disabled, in words, or null. */
  readonly blocker = $derived.by((): string | null => {
    if (!this.parsed.ok) return `the JSON has a syntax error: ${this.parsed.message}`;
    if (this.errors.length) return `${this.errors.length} ${this.errors.length === 1 ? 'field needs' : 'fields need'} fixing (${this.errors[0].path}: ${this.errors[0].message})`;
    if (this.strategies.length === 0) return 'no strategy is chosen';
    if (!Number.isInteger(this.seeds) || this.seeds < 1) return 'seeds must be a whole number ≥ 1';
    if (!Number.isInteger(this.seed) || this.seed < 0) return 'the first seed must be a whole number ≥ 0';
    return null;
  });

  /** Replace the text (the JSON editor, or a loaded scenario). */
  setText(text: string): void {
    this.text = text;
    const p = parseJson(text);
    if (p.ok) this.lastGood = p.value;
  }

  /** Set or (with undefined) remove one field of the scenario; the text is re-printed. */
  setField(segs: readonly Segment[], value: unknown): void {
    this.setText(JSON.stringify(setAt(this.doc, segs, value), null, 2));
  }

  field(segs: readonly Segment[]): unknown {
    return getAt(this.doc, segs);
  }

  loadPreset(p: PresetInfo): void {
    this.setText(JSON.stringify(p.doc, null, 2));
    this.origin = { kind: 'preset', name: p.name };
    if (!this.name) this.name = p.name;
  }

  loadExperiment(e: SavedExperiment, presets: PresetInfo[]): string | null {
    const d = e.doc;
    if (!d) return `experiment "${e.name}" has no saved design`;
    let scenario: unknown;
    if ('preset' in d.scenario) {
      const preset = d.scenario.preset;
      const p = presets.find((x) => x.name === preset);
      if (!p) return `experiment "${e.name}" uses an unknown preset '${preset}'`;
      scenario = p.doc;
    } else scenario = d.scenario.doc;
    this.setText(JSON.stringify(scenario, null, 2));
    this.origin = { kind: 'experiment', id: e.id, name: e.name };
    this.name = d.name;
    this.strategies = d.strategies.map((s) => (typeof s === 'string' ? s : String((s.def as { id?: unknown })?.id ?? '')));
    this.mode = d.mode;
    this.seed = d.seed;
    this.seeds = d.seeds;
    if (d.pctDepth) this.pctDepth = d.pctDepth;
    if (d.explore) {
      this.maxSchedules = d.explore.maxSchedules ?? null;
      this.timeLimitS = d.explore.timeLimitS ?? null;
      this.preemptionBound = d.explore.preemptionBound ?? null;
      this.kinds = d.explore.kinds ?? [];
    }
    return null;
  }

  toggleStrategy(id: string, on: boolean): void {
    this.strategies = on ? [...new Set([...this.strategies, id])] : this.strategies.filter((s) => s !== id);
  }

  toggleKind(k: ViolationKind, on: boolean): void {
    const next = on ? [...this.kinds, k] : this.kinds.filter((x) => x !== k);
    this.kinds = VIOLATION_KINDS.filter((x) => next.includes(x));
  }

  runRequest(experimentId?: number): RunRequest {
    const mode = this.mode === 'explore' ? 'random' : this.mode;
    return {
      scenario: { doc: this.doc },
      strategies: [...this.strategies],
      mode,
      seed: this.seed,
      seeds: this.seeds,
      ...(mode === 'pct' ? { pctDepth: this.pctDepth } : {}),
      ...(experimentId !== undefined ? { experimentId } : {}),
    };
  }

  exploreRequest(experimentId?: number): ExploreRequest {
    return {
      scenario: { doc: this.doc },
      strategies: [...this.strategies],
      seed: this.seed,
      ...(this.maxSchedules !== null ? { maxSchedules: this.maxSchedules } : {}),
      ...(this.timeLimitS !== null ? { timeLimitS: this.timeLimitS } : {}),
      preemptionBound: this.preemptionBound,
      ...(this.kinds.length ? { kinds: [...this.kinds] } : {}),
      ...(experimentId !== undefined ? { experimentId } : {}),
    };
  }

  experimentDoc(presetDoc: unknown): ExperimentDoc {
    // A scenario that is still exactly its preset is saved by name, so it follows fixes to the preset.
    const same = this.origin.kind === 'preset' && JSON.stringify(presetDoc) === JSON.stringify(this.doc);
    return {
      schema: 'ptlab.experiment/1',
      name: this.name.trim(),
      scenario: same && this.origin.kind === 'preset' ? { preset: this.origin.name } : { doc: this.doc },
      sets: [],
      strategies: [...this.strategies],
      mode: this.mode,
      seed: this.seed,
      seeds: this.seeds,
      ...(this.mode === 'pct' ? { pctDepth: this.pctDepth } : {}),
      ...(this.mode === 'explore'
        ? { explore: { ...(this.maxSchedules !== null ? { maxSchedules: this.maxSchedules } : {}), ...(this.timeLimitS !== null ? { timeLimitS: this.timeLimitS } : {}), preemptionBound: this.preemptionBound, ...(this.kinds.length ? { kinds: [...this.kinds] } : {}) } }
        : {}),
    };
  }

  snapshot(): DraftSnapshot {
    return {
      text: this.text,
      origin: this.origin,
      name: this.name,
      strategies: this.strategies,
      mode: this.mode,
      seed: this.seed,
      seeds: this.seeds,
      pctDepth: this.pctDepth,
      maxSchedules: this.maxSchedules,
      timeLimitS: this.timeLimitS,
      preemptionBound: this.preemptionBound,
      kinds: this.kinds,
    };
  }

  restore(s: DraftSnapshot): void {
    this.setText(s.text);
    this.origin = s.origin;
    this.name = s.name;
    this.strategies = s.strategies;
    this.mode = DESIGN_MODES.includes(s.mode) ? s.mode : 'random';
    this.seed = s.seed;
    this.seeds = s.seeds;
    this.pctDepth = s.pctDepth;
    this.maxSchedules = s.maxSchedules;
    this.timeLimitS = s.timeLimitS;
    this.preemptionBound = s.preemptionBound;
    this.kinds = s.kinds;
  }
}

/** A saved draft that still has the shape this version writes. */
export function isDraft(v: unknown): boolean {
  const d = v as Partial<DraftSnapshot> | null;
  return !!d && typeof d.text === 'string' && Array.isArray(d.strategies) && typeof d.mode === 'string' && typeof d.seeds === 'number';
}
