/**
 * The public result shapes of PT Lab (`ptlab.results/1`, `ptlab.explore/1`).
 * Users script against these names: add fields freely, rename none.
 */

/** Stable violation kinds (SPEC §2.6). */
export const VIOLATION_KINDS = [
  'uaf-table-write',
  'uaf-table-read',
  'stale-tlb',
  'stale-walk-cache',
  'free-before-clear',
  'lost-mapping',
  'sleep-in-atomic',
  'deadlock',
  'bbm-violation',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export type RunMode = 'timed' | 'random' | 'pct' | 'explore' | 'replay';
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted' | 'cancelled';

/** One step of a trace, in kernel terms. */
export interface TraceStep {
  /** Global step number (0-based) in the run's schedule. */
  step: number;
  /** Simulated time in ns (timed mode), else null. */
  timeNs: number | null;
  cpu: number;
  /** Actor name, e.g. "vmalloc#1", "hotremove", "ptdump". */
  actor: string;
  /** The kernel function the step belongs to, e.g. "unmap_hotplug_pmd_range". */
  function: string;
  /** What the step did, e.g. "READ_ONCE(*pmdp) = table", "pmd_clear(pmdp)". */
  action: string;
  /** Full 64-bit kernel virtual address in hex (no 0x), or "" if none. */
  address: string;
  /** The table page (or frame) touched, with its generation, or null. */
  frame: { pfn: number; generation: number; role: string } | null;
  /** Locks the actor held at the step, e.g. ["init_mm.page_table_lock"]. */
  locks: string[];
  /** Present when this line stands for several like steps in a row (e.g. a 512-entry scan): how many. */
  repeat?: number;
  /** Present when the line is a key step of the violation's causal chain (never folded): its role and label, as in `Violation.keySteps`. */
  key?: { role: KeyStepRole; label: string };
}

/**
 * What a key step did in the causal chain of a violation (the Trace viewer
 * draws flow arrows between them, in step order).
 */
export const KEY_STEP_ROLES = [
  /** An actor read (or installed) the entry whose pointer it later uses. */
  'took-pointer',
  /** A teardown read an entry as none while deciding that a table is empty. */
  'checked-empty',
  /** An entry was written (a table installed, a page mapped). */
  'populated',
  /** The entry that pointed to the page was cleared. */
  'cleared',
  /** TLB maintenance (leaf-only or walk cache too). */
  'invalidated',
  /** The page went back to the allocator. */
  'freed',
  /** The freed page was allocated again. */
  'reused',
  /** The later use through the stale pointer (the violating step). */
  'stale-use',
  /** A CPU's access that filled its TLB or walk cache. */
  'cached',
  /** Hot-pluggable memory was removed. */
  'removed',
  /** An access that found no mapping (or another page). */
  'faulted',
  /** The step that took a lock another actor waits for (or that is held across a sleep). */
  'holds-lock',
  /** A blocked actor's pending step. */
  'waits',
  /** A complete() or request another actor depends on. */
  'completes',
  /** Something that may sleep, in atomic context. */
  'sleeps',
  /** A live entry overwritten without break-before-make. */
  'replaced',
] as const;
export type KeyStepRole = (typeof KEY_STEP_ROLES)[number];

/** A step of a violation's causal chain. Every key step is also a line of `Violation.trace` (same step and actor, marked with `key`). */
export interface KeyStep {
  step: number;
  actor: string;
  /** The CPU the actor runs on (absent in documents that did not record it). */
  cpu?: number;
  role: KeyStepRole;
  /** One line in kernel terms, e.g. "read the PGD entry -> PUD table pfn 0x200004c (vmap_page_range)". */
  label: string;
}

export interface Violation {
  kind: ViolationKind;
  /** Step at which the violation was detected. */
  step: number;
  cpu: number;
  actor: string;
  function: string;
  address: string;
  /** One sentence saying what went wrong. */
  message: string;
  /** The steps leading to the violation, shortened to those that matter; the key steps of every actor involved are among them. */
  trace: TraceStep[];
  /** A short paragraph telling the violation's key steps in kernel terms (absent in older documents). */
  narrative?: string;
  /** The causal chain, in step order (absent in older documents; the trace's lines carry it too, in `TraceStep.key`). */
  keySteps?: KeyStep[];
}

/** A named time series (x = simulated ns, y = value). */
export interface Series {
  name: string;
  unit: string;
  x: number[];
  y: number[];
}

export interface RunResult {
  id: string | null;
  scenario: string;
  strategy: string;
  mode: RunMode;
  seed: number;
  status: RunStatus;
  violations: Violation[];
  violationCounts: Partial<Record<ViolationKind, number>>;
  /** Stable metric keys of SPEC §2.10 (e.g. "vmalloc.latency_ns.p99"). */
  metrics: Record<string, number>;
  /** Optional time series (timed mode). */
  series?: Series[];
  /** The scheduler's choices; with scenario+strategy+seed it replays the run exactly. */
  schedule?: number[];
  /** The full scenario document the run used (after overrides). */
  config?: unknown;
  /** Plain-language notes, e.g. "no shared table can become empty". */
  notes?: string[];
}

export interface ResultsSummary {
  runs: number;
  /** PCT runs: the bug depth, the steps k the change points were drawn from, and the probability bounds. */
  pct?: { depth: number; actors: number; k: number; runs: number; perRunBound: number; boundOverRuns: number }[];
  /** Per strategy: runs, runs with at least one violation, and for each kind the number of runs in which it occurred. */
  byStrategy: Record<string, { runs: number; violating: number; kinds: Partial<Record<ViolationKind, number>> }>;
}

export interface ResultsDocument {
  schema: 'ptlab.results/1';
  version: string;
  runs: RunResult[];
  summary: ResultsSummary;
}

export type ExploreVerdict = 'violation' | 'safe' | 'bounded-safe';

export interface ExploreDocument {
  schema: 'ptlab.explore/1';
  scenario: string;
  strategy: string;
  verdict: ExploreVerdict;
  complete: boolean;
  schedules: number;
  states: number;
  elapsedMs: number;
  bounds: { maxSchedules: number | null; timeLimitS: number | null; preemptionBound: number | null };
  counterexample: { kind: ViolationKind; message: string; schedule: number[]; trace: TraceStep[]; narrative?: string; keySteps?: KeyStep[] } | null;
}
