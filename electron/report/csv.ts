/**
 * CSV exports (RFC 4180: comma-separated, CRLF line ends, fields quoted when they
 * hold a comma, quote, CR or LF, quotes doubled), written with csv-stringify.
 * Text cells that a spreadsheet would read as a formula (starting with = + - @,
 * tab or CR) get a leading `'` (OWASP, CSV injection): scenario names, metric
 * keys and messages can come from imported files. Number cells are left as they are.
 */
import { stringify } from 'csv-stringify/sync';
import type { RunResult } from '../../core/results.ts';
import { compareMetricKeys } from './metrics.ts';

/** Columns of {@link renderCsv}. */
export const METRICS_CSV_COLUMNS = ['run_id', 'scenario', 'strategy', 'mode', 'seed', 'status', 'key', 'value'] as const;

/** Columns of {@link renderViolationsCsv}. */
export const VIOLATIONS_CSV_COLUMNS = [
  'run_id',
  'scenario',
  'strategy',
  'mode',
  'seed',
  'kind',
  'step',
  'cpu',
  'actor',
  'function',
  'address',
  'message',
  'trace_steps',
] as const;

type Cell = string | number;

/** A text cell that cannot start a spreadsheet formula. */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function toCsv(columns: readonly string[], rows: Cell[][], header = true): string {
  return stringify(rows, {
    header,
    columns: [...columns],
    record_delimiter: '\r\n',
    eof: true,
    // Numbers are written as JavaScript prints them: no locale, full precision.
    cast: { number: (v: number) => String(v), string: neutraliseFormula },
  });
}

/** One row per (run, metric key), keys in report order. */
export function renderCsv(runs: readonly RunResult[]): string {
  return [...csvChunks(runs)].join('');
}

function metricRows(r: RunResult): Cell[][] {
  return Object.keys(r.metrics)
    .sort(compareMetricKeys)
    .map((key) => [r.id ?? '', r.scenario, r.strategy, r.mode, r.seed, r.status, key, r.metrics[key]]);
}

/** renderCsv in pieces, one run at a time (the runs may be read lazily): the header, then each run's rows. */
export function* csvChunks(runs: Iterable<RunResult>): Generator<string> {
  yield toCsv(METRICS_CSV_COLUMNS, []);
  for (const r of runs) {
    const rows = metricRows(r);
    if (rows.length > 0) yield toCsv(METRICS_CSV_COLUMNS, rows, false);
  }
}

/** One row per recorded violation (the trace itself is in the JSON and HTML exports). */
export function renderViolationsCsv(runs: readonly RunResult[]): string {
  const rows: Cell[][] = [];
  for (const r of runs) {
    for (const v of r.violations) {
      rows.push([
        r.id ?? '',
        r.scenario,
        r.strategy,
        r.mode,
        r.seed,
        v.kind,
        v.step,
        v.cpu,
        v.actor,
        v.function,
        v.address,
        v.message,
        v.trace.length,
      ]);
    }
  }
  return toCsv(VIOLATIONS_CSV_COLUMNS, rows);
}
