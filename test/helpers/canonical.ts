/**
 * A results document as JSON without what legitimately differs between two
 * runs of the same request (wall time, run ids): the bytes determinism tests compare.
 */
import type { ResultsDocument } from '../../core/results.ts';

export function canonical(doc: ResultsDocument): string {
  const c = structuredClone(doc);
  for (const r of c.runs) {
    delete r.metrics['wall.ms'];
    r.id = null;
  }
  return JSON.stringify(c);
}
