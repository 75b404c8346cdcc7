/**
 * What a run's verdict column says. A violation wins over everything (a
 * cancelled run can still have found one); otherwise the status decides:
 * only a completed run with no violation is "safe".
 */
import type { RunRow } from './api.ts';

export type VerdictTone = 'violation' | 'safe' | 'interrupted' | 'cancelled' | 'failed' | 'running';

export interface VerdictView {
  tone: VerdictTone;
  /** Short label for the badge. */
  label: string;
  /** The violation kinds, for the red text beside the badge. */
  kinds: string[];
  /** One sentence for a tooltip or a screen reader. */
  title: string;
}

export function verdictOf(row: Pick<RunRow, 'status' | 'violationCount' | 'kinds'>): VerdictView {
  if (row.violationCount > 0) {
    return {
      tone: 'violation',
      label: `${row.violationCount} violation${row.violationCount === 1 ? '' : 's'}`,
      kinds: row.kinds,
      title: `${row.violationCount} violation${row.violationCount === 1 ? '' : 's'}: ${row.kinds.join(', ')}${row.status !== 'completed' ? ` (run ${row.status})` : ''}`,
    };
  }
  switch (row.status) {
    case 'completed':
      return { tone: 'safe', label: 'safe', kinds: [], title: 'completed with no violation' };
    case 'interrupted':
      return { tone: 'interrupted', label: 'interrupted', kinds: [], title: 'the app stopped before the run finished: no verdict' };
    case 'cancelled':
      return { tone: 'cancelled', label: 'cancelled', kinds: [], title: 'cancelled before it finished, with no violation so far: no verdict' };
    case 'failed':
      return { tone: 'failed', label: 'failed', kinds: [], title: 'the run failed: no verdict' };
    default:
      return { tone: 'running', label: 'running', kinds: [], title: 'still running' };
  }
}
