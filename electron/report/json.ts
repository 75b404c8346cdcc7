/** JSON export: one `ptlab.results/1` document (SPEC §6). */
import type { ResultsDocument, ResultsSummary, RunResult, ViolationKind } from '../../core/results.ts';
import { violationKinds } from './metrics.ts';

/** Per-strategy summary: runs, runs with at least one violation, and violation counts by kind. */
export function summarize(runs: readonly RunResult[]): ResultsSummary {
  const summary = emptySummary();
  for (const r of runs) addToSummary(summary, r);
  return summary;
}

function emptySummary(): ResultsSummary {
  // Null prototypes: a strategy id or kind from an imported file is data, never a path to Object.prototype.
  return { runs: 0, byStrategy: Object.create(null) as ResultsSummary['byStrategy'] };
}

/** Counts one more run into `summary` (so a summary can be built while runs stream past). */
function addToSummary(summary: ResultsSummary, r: RunResult): void {
  summary.runs += 1;
  const s = (summary.byStrategy[r.strategy] ??= { runs: 0, violating: 0, kinds: Object.create(null) as ResultsSummary['byStrategy'][string]['kinds'] });
  s.runs += 1;
  const kinds = violationKinds(r);
  if (kinds.length > 0) s.violating += 1;
  // Runs in which each kind occurred (not occurrences: one run can count hundreds of thousands).
  for (const [k] of kinds) s.kinds[k as ViolationKind] = (s.kinds[k] ?? 0) + 1;
}

export function buildResultsDocument(runs: readonly RunResult[], version: string): ResultsDocument {
  return { schema: 'ptlab.results/1', version, runs: [...runs], summary: summarize(runs) };
}

/** The document as pretty-printed JSON (2 spaces, trailing newline). */
export function renderJson(runs: readonly RunResult[], version: string): string {
  return `${JSON.stringify(buildResultsDocument(runs, version), null, 2)}\n`;
}

/** Nesting depth below which arrays and objects are written element by element (runs → run → violations → violation → trace → step). */
const STREAM_DEPTH = 6;

/**
 * Writes `value` to `write` exactly as JSON.stringify(value, null, 2) would
 * print it at this indentation, but in pieces: the outer arrays and objects
 * element by element, what is deeper in one piece each. A run with a long
 * trace never becomes one giant string.
 */
function writeValue(write: (chunk: string) => void, value: unknown, indent: string, depth: number): void {
  const v = value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
  if (depth >= STREAM_DEPTH || v === null || typeof v !== 'object') {
    write((JSON.stringify(v, null, 2) ?? 'null').replace(/\n/g, `\n${indent}`));
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return write('[]');
    write('[\n');
    for (let i = 0; i < v.length; i++) {
      write(inner);
      // JSON.stringify prints undefined, functions and symbols in arrays as null.
      const item: unknown = v[i];
      writeValue(write, item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item, inner, depth + 1);
      write(i < v.length - 1 ? ',\n' : '\n');
    }
    return write(`${indent}]`);
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
  if (entries.length === 0) return write('{}');
  write('{\n');
  entries.forEach(([k, x], i) => {
    write(`${inner}${JSON.stringify(k)}: `);
    writeValue(write, x, inner, depth + 1);
    write(i < entries.length - 1 ? ',\n' : '\n');
  });
  write(`${indent}}`);
}

/**
 * Writes a `ptlab.results/1` document run by run, byte for byte what
 * renderJson gives for the same runs: only one run needs to be in memory at
 * a time, and the summary is counted as they pass.
 */
export function writeResultsJson(write: (chunk: string) => void, runs: Iterable<RunResult>, version: string): void {
  const summary = emptySummary();
  write(`{\n  "schema": "ptlab.results/1",\n  "version": ${JSON.stringify(version)},\n  "runs": `);
  let n = 0;
  for (const run of runs) {
    write(n++ === 0 ? '[\n    ' : ',\n    ');
    writeValue(write, run, '    ', 2);
    addToSummary(summary, run);
  }
  write(n === 0 ? '[],\n  "summary": ' : '\n  ],\n  "summary": ');
  writeValue(write, summary, '  ', 1);
  write('\n}\n');
}