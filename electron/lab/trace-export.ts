/**
 * Export of one trace (ExportRequest.trace): a single violation of a single
 * saved run, for the Trace viewer's Export. JSON is the replayable
 * `ptlab.trace/1` document (`ptlab replay FILE` checks it still reproduces),
 * CSV the trace's steps one per row, HTML the report of that run narrowed to
 * that violation (its narrative, key steps and swimlanes), and PDF that
 * report printed by the caller.
 */
import { stringify } from 'csv-stringify/sync';
import type { TraceStep } from '../../core/results.ts';
import { STRATEGIES } from '../../core/strategies.ts';
import type { StoredRun } from '../../db/index.ts';
import { renderHtmlReport } from '../report/index.ts';
import type { ExportedFile, ExportFormat, TraceDocument } from './api.ts';
import { InputError } from './resolve.ts';

export interface TraceExport {
  run: StoredRun;
  /** Index into the run's violations. */
  violation: number;
  format: Exclude<ExportFormat, 'pdf'> | 'pdf';
  title?: string;
  version: string;
}

/** The violation `i` of `run`, or bad input naming how many it has. */
function violationOf(run: StoredRun, i: number) {
  const v = run.violations[i];
  if (!v) throw new InputError(`trace.violation: run ${run.id} has ${run.violations.length} recorded violation(s)`);
  return v;
}

function stemOf(run: StoredRun, kind: string): string {
  return `ptlab-trace-${kind}-${run.strategy}-seed${run.seed}`.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** The replayable document of a violation: what `ptlab replay` and the Trace viewer open. */
export function traceDocumentOfRun(run: StoredRun, i: number): TraceDocument {
  const v = violationOf(run, i);
  if (!run.schedule || run.schedule.length === 0) {
    throw new InputError(`trace: run ${run.id} has no recorded schedule, so its trace cannot replay (a timed run replays from its seed ${run.seed}); export it as HTML, PDF or CSV`);
  }
  const knobs = run.strategyKnobs ?? STRATEGIES.find((s) => s.id === run.strategy)?.knobs ?? null;
  if (knobs === null) throw new InputError(`trace: run ${run.id} ran strategy '${run.strategy}', which is not a built-in, and recorded no knobs`);
  return {
    schema: 'ptlab.trace/1',
    scenario: run.config,
    strategy: { id: run.strategy, knobs: { ...knobs } as Record<string, unknown> },
    seed: run.seed,
    schedule: run.schedule,
    expect: { kind: v.kind, step: v.step },
    trace: v.trace,
  };
}

const CSV_COLUMNS = ['step', 'time_ns', 'cpu', 'actor', 'function', 'action', 'address', 'pfn', 'generation', 'role', 'locks', 'repeat', 'key_role', 'key_label'];

function csvRow(s: TraceStep): unknown[] {
  return [s.step, s.timeNs ?? '', s.cpu, s.actor, s.function, s.action, s.address, s.frame?.pfn ?? '', s.frame?.generation ?? '', s.frame?.role ?? '', s.locks.join(' '), s.repeat ?? '', s.key?.role ?? '', s.key?.label ?? ''];
}

/** The file of one trace; PDF is left to the caller (`html` is what it prints). */
export function traceFile(req: TraceExport): ExportedFile | { printHtml: string; filename: string } {
  const v = violationOf(req.run, req.violation);
  const stem = stemOf(req.run, v.kind);
  if (req.format === 'json') return { filename: `${stem}.json`, mime: 'application/json', encoding: 'utf8', data: `${JSON.stringify(traceDocumentOfRun(req.run, req.violation), null, 2)}\n` };
  if (req.format === 'csv') return { filename: `${stem}.csv`, mime: 'text/csv', encoding: 'utf8', data: stringify([CSV_COLUMNS, ...v.trace.map(csvRow)]) };
  const title = req.title ?? `${v.kind} in ${req.run.strategy} on ${req.run.scenario} (seed ${req.run.seed})`;
  const html = renderHtmlReport([{ ...req.run, violations: [v] }], { title, version: req.version });
  if (req.format === 'html') return { filename: `${stem}.html`, mime: 'text/html', encoding: 'utf8', data: html };
  return { printHtml: html, filename: `${stem}.pdf` };
}
