/** JSON export: one `ptlab.results/1` document (SPEC §6). */
import type { ResultsDocument, ResultsSummary, RunResult, ViolationKind } from '../../core/results.ts';
import { violationKinds } from './metrics.ts';

/** Per-strategy summary: runs, runs with at least one violation, and violation counts by kind. */
export function summarize(runs: readonly RunResult[]): ResultsSummary {
  // Null prototypes: a strategy id or kind from an imported file is data, never a path to Object.prototype.
  const byStrategy: ResultsSummary['byStrategy'] = Object.create(null) as ResultsSummary['byStrategy'];
  for (const r of runs) {
    const s = (byStrategy[r.strategy] ??= { runs: 0, violating: 0, kinds: Object.create(null) as ResultsSummary['byStrategy'][string]['kinds'] });
    s.runs += 1;
    const kinds = violationKinds(r);
    if (kinds.length > 0) s.violating += 1;
    // Runs in which each kind occurred (not occurrences: one run can count hundreds of thousands).
    for (const [k] of kinds) s.kinds[k as ViolationKind] = (s.kinds[k] ?? 0) + 1;
  }
  return { runs: runs.length, byStrategy };
}

export function buildResultsDocument(runs: readonly RunResult[], version: string): ResultsDocument {
  return { schema: 'ptlab.results/1', version, runs: [...runs], summary: summarize(runs) };
}

/** The document as pretty-printed JSON (2 spaces, trailing newline). */
export function renderJson(runs: readonly RunResult[], version: string): string {
  return `${JSON.stringify(buildResultsDocument(runs, version), null, 2)}\n`;
}
