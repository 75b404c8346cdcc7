/**
 * PT Lab export / report module (SPEC §5 Export, §6 `compare --report`, `export`).
 *
 *   renderHtmlReport(runs, opts)  one self-contained HTML file (no network, no script)
 *   renderCsv(runs)               one row per (run, metric key)
 *   renderViolationsCsv(runs)     one row per violation
 *   renderJson(runs, version)     a `ptlab.results/1` document
 */
export { htmlReportChunks, renderHtmlReport, REPORT_CSP, violationAnchor } from './html.ts';
export type { HtmlReportOptions } from './html.ts';
export { csvChunks, neutraliseFormula, renderCsv, renderViolationsCsv, METRICS_CSV_COLUMNS, VIOLATIONS_CSV_COLUMNS } from './csv.ts';
export { renderJson, buildResultsDocument, summarize, writeResultsJson } from './json.ts';
export { buildCharts, chartGroups, decimate, MAX_SERIES_POINTS } from './charts.ts';
export type { Chart } from './charts.ts';
export {
  allMetricKeys,
  baselineIndex,
  compareMetricKeys,
  groupMetricKeys,
  metricDelta,
  metricGroup,
  runLabels,
} from './metrics.ts';
export type { Delta } from './metrics.ts';
export { esc as escapeHtml } from './escape.ts';
