/**
 * The swimlanes' rows: the trace's steps, filtered (hidden lanes, a
 * function, a kind of step) and folded — a run of like steps of one actor
 * (an emptiness scan reading 512 entries) becomes one row `×512` unless the
 * user expands it; a key step of the race always keeps a row of its own.
 * Pure: built again from the steps whenever a filter or a fold changes.
 */
import type { TraceStep } from '../../../core/results.ts';
import type { KeyStep } from '../lib/story.ts';

export type StepKind = 'read' | 'write' | 'clear' | 'free' | 'alloc' | 'tlbi' | 'lock' | 'other';

export const STEP_KINDS: readonly { kind: StepKind; words: string }[] = [
  { kind: 'read', words: 'reads of an entry' },
  { kind: 'write', words: 'writes (populate, set)' },
  { kind: 'clear', words: 'clears' },
  { kind: 'tlbi', words: 'TLB invalidations' },
  { kind: 'free', words: 'frees' },
  { kind: 'alloc', words: 'allocations' },
  { kind: 'lock', words: 'locks' },
  { kind: 'other', words: 'other steps' },
];

/** What a step does, from its kernel action. */
export function kindOf(action: string): StepKind {
  if (/flush_tlb|tlbi/i.test(action)) return 'tlbi';
  if (/_clear\(|get_and_clear\(/.test(action)) return 'clear';
  if (/^free_|__free_pages|free_hotplug|vfree\(/.test(action)) return 'free';
  if (/_populate|set_pte_at|WRITE_ONCE|set_p[mu]d\(|\*\(u8 \*\)addr = /.test(action)) return 'write';
  if (/alloc/.test(action)) return 'alloc';
  if (/(^|[^a-z_])(spin_|mutex_|percpu_|down_|up_)[a-z_]*\(|lock\(/.test(action)) return 'lock';
  if (/READ_ONCE|_none\(|_offset(_kernel)?\(|_present\(| = (none|table|block|page)/.test(action)) return 'read';
  return 'other';
}

/** Like steps fold: same actor, function and action up to the numbers in it (pfns, indices). */
export function foldKey(s: TraceStep): string {
  return `${s.actor}\u0000${s.function}\u0000${s.action.replace(/0x[0-9a-f]+/gi, '#').replace(/\d+/g, '#')}`;
}

/** Fewer like steps than this in a row stay unfolded. */
export const FOLD_MIN = 3;

export interface Row {
  /** First and last step numbers of the row (equal unless folded). */
  from: number;
  to: number;
  /** Steps the row stands for (folded rows: more than one). */
  count: number;
  /** The first step (what the row shows). */
  step: TraceStep;
  lane: number;
  kind: StepKind;
  key: KeyStep | null;
}

export interface RowFilter {
  hiddenActors: ReadonlySet<string>;
  /** Substring of the function name (case-insensitive), or ''. */
  fn: string;
  /** Step kinds to show (empty: all). */
  kinds: ReadonlySet<StepKind>;
  /** Folded rows the user expanded (by their first step). */
  expanded: ReadonlySet<number>;
  /** No folding at all. */
  unfold: boolean;
}

export function visible(s: TraceStep, f: RowFilter): boolean {
  if (f.hiddenActors.has(s.actor)) return false;
  if (f.fn && !s.function.toLowerCase().includes(f.fn.toLowerCase())) return false;
  if (f.kinds.size && !f.kinds.has(kindOf(s.action))) return false;
  return true;
}

/**
 * Rows of `steps` (in step order), folding runs of like visible steps;
 * `laneOf` maps an actor to its lane. A run is known by its first step,
 * which is what `expanded` holds.
 */
export function buildRows(steps: readonly TraceStep[], f: RowFilter, keys: ReadonlyMap<number, KeyStep>, laneOf: (actor: string) => number): Row[] {
  const rows: Row[] = [];
  const single = (s: TraceStep, key: KeyStep | null): Row => ({ from: s.step - ((s.repeat ?? 1) - 1), to: s.step, count: s.repeat ?? 1, step: s, lane: laneOf(s.actor), kind: kindOf(s.action), key });
  let run: TraceStep[] = [];
  let runKey = '';
  const flush = (): void => {
    if (run.length === 0) return;
    const first = single(run[0], null);
    if (run.length >= FOLD_MIN && !f.unfold && !f.expanded.has(first.from)) {
      const last = run[run.length - 1];
      rows.push({ ...first, to: last.step, count: run.reduce((n, s) => n + (s.repeat ?? 1), 0) });
    } else for (const s of run) rows.push(single(s, null));
    run = [];
  };
  for (const s of steps) {
    if (!visible(s, f)) continue;
    const key = keys.get(s.step);
    if (key) {
      // A key step of the race is never folded into its neighbours.
      flush();
      rows.push(single(s, key));
      continue;
    }
    const k = foldKey(s);
    if (run.length && k !== runKey) flush();
    runKey = k;
    run.push(s);
  }
  flush();
  return rows;
}

/** The row showing step `step` (the fold that holds it), or the nearest row after it; -1 if none. */
export function rowOfStep(rows: readonly Row[], step: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].to < step) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
