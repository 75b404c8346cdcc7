/**
 * Each built-in strategy's safety on the safety presets, as the README's
 * verdict table has it (random runs over N seeds, explore where it proves),
 * for the fake lab's `safety()`: a verdict, what backs it, and the run that
 * shows it. A few cells are left unchecked ("unknown") or bounded on
 * purpose, so the Compare screen's other states can be seen and tested.
 */
import type { ViolationKind } from '../../../../core/results.ts';
import type { SafetyVerdict } from '../api.ts';

type Counts = Partial<Record<ViolationKind, number>>;

/** The presets `safety()` consults by default, with the seeds the README's table ran. */
export const SAFETY_PRESETS: readonly { name: string; seeds: number }[] = [
  { name: 'thread-race', seeds: 100 },
  { name: 'section-tlb', seeds: 30 },
  { name: 'ptdump-race', seeds: 40 },
  { name: 'ptdump-check-wx', seeds: 3 },
  { name: 'online-new-node', seeds: 20 },
];

export interface SafetyCell {
  verdict: SafetyVerdict['verdict'];
  /** Runs in which each kind occurred. */
  kinds: Counts;
  /** How the evidence was made. */
  mode: 'explore' | 'random';
  /** Runs (random) or schedules (explore) behind it. */
  runs: number;
}

const none = (seeds: number): SafetyCell => ({ verdict: 'no-violation', kinds: {}, mode: 'random', runs: seeds });
const proved = (schedules: number): SafetyCell => ({ verdict: 'proved-safe', kinds: {}, mode: 'explore', runs: schedules });
const broken = (kinds: Counts, runs: number): SafetyCell => ({ verdict: 'violation', kinds, mode: 'random', runs });

/** The cell of one (preset, built-in strategy), or null for a strategy nobody checked there. */
export function safetyCell(scenario: string, strategy: string): SafetyCell | null {
  const seeds = SAFETY_PRESETS.find((p) => p.name === scenario)?.seeds ?? 20;
  switch (scenario) {
    case 'thread-race':
      if (strategy === 'v5') return broken({ 'uaf-table-write': 58, 'uaf-table-read': 60, 'free-before-clear': 100, 'lost-mapping': 41 }, seeds);
      if (strategy === 'v5-reviewed') return broken({ 'uaf-table-write': 35, 'uaf-table-read': 35, 'lost-mapping': 33 }, seeds);
      if (strategy === 'opt1') return broken({ 'sleep-in-atomic': 100 }, seeds);
      if (strategy === 'opt2' || strategy === 'upstream') return proved(strategy === 'opt2' ? 1_186_450 : 642_311);
      return none(seeds);
    case 'section-tlb':
      return strategy === 'v5' ? broken({ 'stale-tlb': 30, 'free-before-clear': 30 }, seeds) : none(seeds);
    case 'ptdump-race':
      return strategy === 'v5' ? broken({ 'free-before-clear': 40 }, seeds) : none(seeds);
    case 'ptdump-check-wx':
      return broken({ 'uaf-table-read': 3 }, seeds);
    case 'online-new-node':
      if (strategy === 'opt1') return broken({ 'sleep-in-atomic': 20 }, seeds);
      if (strategy === 'opt2') return broken({ deadlock: 20 }, seeds);
      if (strategy === 'opt3') return { verdict: 'bounded', kinds: {}, mode: 'explore', runs: 100_000 };
      if (strategy === 'v6') return null;
      return none(seeds);
    default:
      return null;
  }
}

const n = (k: number): string => k.toLocaleString('en-US');

/** What backs a verdict, in words. */
export function backingOf(scenario: string, strategy: string, cell: SafetyCell | null): string {
  if (!cell) return `unknown: no saved explore or random run of ${strategy} on ${scenario}`;
  switch (cell.verdict) {
    case 'proved-safe':
      return `proved safe (explore, complete, on ${scenario}: ${n(cell.runs)} schedules)`;
    case 'no-violation':
      return `no violation in ${n(cell.runs)} runs (random, on ${scenario})`;
    case 'bounded':
      return `bounded: explore found no violation in ${n(cell.runs)} schedules but hit its bound (on ${scenario})`;
    case 'violation': {
      const kinds = Object.entries(cell.kinds).map(([k, c]) => `${k} ×${c}`);
      const worst = Object.values(cell.kinds).reduce((m: number, c) => Math.max(m, c ?? 0), 0);
      return `violation (${kinds.join(', ')}) in ${n(worst)} of ${n(cell.runs)} runs on ${scenario}`;
    }
    default:
      return `unknown on ${scenario}`;
  }
}
