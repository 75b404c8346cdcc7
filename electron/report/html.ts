/**
 * The self-contained HTML report (SPEC §5 Export, `ptlab compare --report`).
 *
 * One file, no network: inline CSS, charts as static inline SVG rendered at export
 * time, no script at all, and a CSP that forbids everything else.
 */
import type { RunResult, TraceStep, Violation, ViolationKind } from '../../core/results.ts';
import { buildCharts } from './charts.ts';
import { SWIMLANE_CSS, swimlaneSvg } from './swimlanes.ts';
import { esc } from './escape.ts';
import {
  allMetricKeys,
  baselineIndex,
  formatDeltaAbs,
  formatDeltaPct,
  formatNumber,
  groupMetricKeys,
  metricDelta,
  metricDirection,
  noViolationVerdict,
  runLabels,
  violationKinds,
} from './metrics.ts';

export interface HtmlReportOptions {
  /** Report title; default "PT Lab report". */
  title?: string;
  /** Id of the run deltas are computed against; default the first run. */
  baselineId?: string;
  /** When the report was generated (ISO 8601 preferred); default now. */
  generatedAt?: string;
  /** PT Lab version written in the header. */
  version?: string;
  /** Violations whose trace is written out, per run and kind (default 5); the rest are counted. */
  maxTracesPerKind?: number;
}

/** The Content-Security-Policy of every report. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Anchor id of a violation's trace. */
export function violationAnchor(runIndex: number, violationIndex: number): string {
  return `v-${runIndex}-${violationIndex}`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1d2330;--muted:#5b6475;--border:#d8dce4;--head:#f1f3f7;--zebra:#fafbfc;
--accent:#2f5bd3;--ok:#1a7f37;--okbg:#dafbe1;--bad:#b42318;--badbg:#fee4e2;--warn:#8a5a00;--warnbg:#fff4c2;--hl:#fff1c7;--code:#f3f4f6}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--fg:#e3e7ee;--muted:#9aa3b2;--border:#323846;--head:#1e232c;--zebra:#181c23;
--accent:#8ab4ff;--ok:#56d364;--okbg:#12351e;--bad:#ff8a80;--badbg:#451a1a;--warn:#e3b341;--warnbg:#3a2e0a;--hl:#3b3314;--code:#222833}}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--fg)}
body{margin:0 auto;max-width:1280px;padding:24px 28px 48px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--border)}
h3{font-size:15px;margin:20px 0 8px}
h4{font-size:14px;margin:0 0 6px;display:flex;flex-wrap:wrap;gap:8px;align-items:center}
a{color:var(--accent)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
code{background:var(--code);padding:1px 4px;border-radius:4px}
.meta{color:var(--muted);margin:2px 0}
.meta strong{color:var(--fg);font-weight:600}
nav.toc{margin:12px 0 0;display:flex;gap:14px;flex-wrap:wrap;font-size:13px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{border:1px solid var(--border);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--head);font-weight:600;position:sticky;top:0}
tbody tr:nth-child(even) td{background:var(--zebra)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.group th{background:var(--head);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;color:var(--muted);text-align:left}
td.key{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12.5px;white-space:nowrap}
.sub{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
.delta{display:block;font-size:11.5px;color:var(--muted)}
.delta.better{color:var(--ok)}
.delta.worse{color:var(--bad)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;text-decoration:none;margin:1px 4px 1px 0}
.badge.ok{background:var(--okbg);color:var(--ok)}
.badge.bad{background:var(--badbg);color:var(--bad)}
.badge.warn{background:var(--warnbg);color:var(--warn)}
.badge.base{background:var(--head);color:var(--muted);border:1px solid var(--border)}
a.badge:hover{text-decoration:underline}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:18px}
figure.chart{margin:0;padding:12px 14px;border:1px solid var(--border);border-radius:8px;background:var(--bg);break-inside:avoid}
figure.chart figcaption{margin:0 0 8px;color:var(--muted);font-size:12.5px}
figure.chart figcaption strong{display:block;color:var(--fg);font-size:14px;margin-bottom:2px}
figure.chart svg{--plot-background:var(--bg);max-width:100%;height:auto;color:var(--fg)}
figure.chart [class$="-swatches"]{font-size:12px!important;color:var(--fg)}
article.violation{border:1px solid var(--border);border-left:4px solid var(--bad);border-radius:6px;padding:10px 14px;margin:12px 0;scroll-margin-top:12px}
article.violation:target{box-shadow:0 0 0 3px var(--hl)}
p.msg{margin:4px 0 8px;font-weight:500}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 8px;font-size:13px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
table.trace td{white-space:nowrap}
table.trace td.action{white-space:normal;min-width:220px}
table.trace tr.hit td{background:var(--hl)}
table.trace tr.key td:first-child{box-shadow:inset 3px 0 var(--bad);font-weight:600}
.note{color:var(--muted);font-size:12.5px}
footer{margin-top:36px;color:var(--muted);font-size:12px;border-top:1px solid var(--border);padding-top:8px}
${SWIMLANE_CSS}
@media print{body{max-width:none;padding:0}.charts{display:block}figure.chart{margin-bottom:12px}thead th{position:static}}
`;

function fmtAddress(a: string): string {
  if (a === '') return '—';
  const hex = a.replace(/^0x/i, '');
  return /^[0-9a-f]+$/i.test(hex) ? `0x${hex.toLowerCase()}` : a;
}

function fmtDate(s: string): string {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function header(runs: RunResult[], labels: string[], base: number, opts: HtmlReportOptions, generatedAt: string): string {
  const scenarios = unique(runs.map((r) => r.scenario));
  const strategies = unique(runs.map((r) => r.strategy));
  const modes = unique(runs.map((r) => r.mode));
  return `<header>
<h1>${esc(opts.title ?? 'PT Lab report')}</h1>
<p class="meta">Generated <time datetime="${esc(generatedAt)}"><strong>${esc(fmtDate(generatedAt))}</strong></time> · PT Lab <strong>${esc(
    opts.version ?? 'unknown',
  )}</strong> · ${runs.length} run${runs.length === 1 ? '' : 's'} · mode ${modes.map((m) => `<strong>${esc(m)}</strong>`).join(', ') || '—'}</p>
<p class="meta">Scenario${scenarios.length === 1 ? '' : 's'}: ${scenarios.map((s) => `<code>${esc(s)}</code>`).join(', ') || '—'} · strateg${
    strategies.length === 1 ? 'y' : 'ies'
  }: ${strategies.map((s) => `<code>${esc(s)}</code>`).join(', ') || '—'}${
    runs.length > 0 ? ` · baseline: <strong>${esc(labels[base])}</strong>` : ''
  }</p>
<nav class="toc"><a href="#verdict">Verdict</a><a href="#metrics">Metrics</a><a href="#charts">Charts</a><a href="#traces">Violation traces</a></nav>
</header>`;
}

/** First violation index of each kind in a run. */
function firstOfKind(run: RunResult): Map<ViolationKind, number> {
  const m = new Map<ViolationKind, number>();
  run.violations.forEach((v, i) => {
    if (!m.has(v.kind)) m.set(v.kind, i);
  });
  return m;
}

function verdictCell(run: RunResult, ri: number): string {
  const kinds = violationKinds(run);
  if (kinds.length === 0) {
    if (run.status === 'completed') return '<span class="badge ok">safe</span>';
    return `<span class="badge warn">${esc(noViolationVerdict([run]))}</span>`;
  }
  const first = firstOfKind(run);
  return kinds
    .map(([kind, n]) => {
      const text = `${esc(kind)} × ${esc(formatNumber(n))}`;
      const vi = first.get(kind);
      return vi === undefined
        ? `<span class="badge bad" title="trace not recorded">${text}</span>`
        : `<a class="badge bad" href="#${violationAnchor(ri, vi)}">${text}</a>`;
    })
    .join('');
}

function verdictSection(runs: RunResult[], labels: string[]): string {
  const rows = runs
    .map(
      (r, i) => `<tr data-run="${i}"><td><strong>${esc(r.strategy)}</strong>${
        labels[i] !== r.strategy ? `<span class="sub">${esc(labels[i])}</span>` : ''
      }</td><td class="mono">${esc(r.id ?? '—')}</td><td>${esc(r.scenario)}</td><td>${esc(r.mode)}</td><td class="num">${esc(
        r.seed,
      )}</td><td>${esc(r.status)}</td><td class="verdict">${verdictCell(r, i)}</td></tr>`,
    )
    .join('\n');
  let summary = '';
  const strategies = unique(runs.map((r) => r.strategy));
  if (strategies.length < runs.length) {
    const srows = strategies
      .map((s) => {
        const rs = runs.filter((r) => r.strategy === s);
        const violating = rs.filter((r) => violationKinds(r).length > 0).length;
        const kinds = new Map<string, number>();
        for (const r of rs) for (const [k, n] of violationKinds(r)) kinds.set(k, (kinds.get(k) ?? 0) + n);
        const verdict =
          kinds.size === 0
            ? rs.every((r) => r.status === 'completed')
              ? '<span class="badge ok">safe</span>'
              : `<span class="badge warn">${esc(noViolationVerdict(rs))}</span>`
            : [...kinds].map(([k, n]) => `<span class="badge bad">${esc(k)} × ${esc(formatNumber(n))}</span>`).join('');
        return `<tr><td><strong>${esc(s)}</strong></td><td class="num">${rs.length}</td><td class="num">${violating}</td><td>${verdict}</td></tr>`;
      })
      .join('\n');
    summary = `<h3>By strategy</h3>
<table class="verdict-summary"><thead><tr><th>Strategy</th><th class="num">Runs</th><th class="num">Violating</th><th>Verdict</th></tr></thead>
<tbody>${srows}</tbody></table>
<h3>By run</h3>`;
  }
  return `<section id="verdict"><h2>Verdict</h2>
${summary}<div class="scroll"><table class="verdict"><thead><tr><th>Strategy</th><th>Run</th><th>Scenario</th><th>Mode</th><th class="num">Seed</th><th>Status</th><th>Verdict</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="7">No runs.</td></tr>'}
</tbody></table></div></section>`;
}

function metricsSection(runs: RunResult[], labels: string[], base: number): string {
  const keys = allMetricKeys(runs);
  if (runs.length === 0 || keys.length === 0) {
    return '<section id="metrics"><h2>Metrics</h2><p class="note">No metrics recorded.</p></section>';
  }
  const head = runs
    .map(
      (r, i) =>
        `<th class="num" scope="col" data-run="${i}">${esc(labels[i])}${
          i === base ? ' <span class="badge base">baseline</span>' : ''
        }<span class="sub">${esc(r.scenario)} · ${esc(r.mode)} · seed ${esc(r.seed)}</span></th>`,
    )
    .join('');
  const baseRun = runs[base];
  const body = groupMetricKeys(keys)
    .map(({ group, keys: gkeys }) => {
      const rows = gkeys
        .map((k) => {
          const dir = metricDirection(k);
          const cells = runs
            .map((r, i) => {
              const v = r.metrics[k];
              if (v === undefined) return `<td class="num missing" data-key="${esc(k)}" data-run="${i}">—</td>`;
              let delta = '';
              let attrs = `data-key="${esc(k)}" data-run="${i}" data-value="${esc(v)}"`;
              if (i !== base) {
                const d = metricDelta(v, baseRun.metrics[k]);
                if (d) {
                  const cls = d.abs === 0 || dir === 0 ? '' : Math.sign(d.abs) === dir ? ' better' : ' worse';
                  attrs += ` data-delta="${esc(d.abs)}" data-delta-pct="${d.pct === null ? '' : esc(d.pct)}"`;
                  delta = `<span class="delta${cls}">${esc(formatDeltaAbs(d.abs))} (${esc(formatDeltaPct(d.pct))})</span>`;
                }
              }
              return `<td class="num" ${attrs}>${esc(formatNumber(v))}${delta}</td>`;
            })
            .join('');
          return `<tr><td class="key">${esc(k)}</td>${cells}</tr>`;
        })
        .join('\n');
      return `<tr class="group"><th colspan="${runs.length + 1}" scope="colgroup">${esc(group)}.*</th></tr>\n${rows}`;
    })
    .join('\n');
  return `<section id="metrics"><h2>Metrics</h2>
<p class="note">Deltas are against the baseline run <strong>${esc(labels[base])}</strong>: absolute, then relative. Green is better, red is worse, where the direction is known.</p>
<div class="scroll"><table class="metrics"><thead><tr><th scope="col">metric</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table></div></section>`;
}

function chartsSection(runs: RunResult[], labels: string[]): string {
  const charts = buildCharts(runs, labels);
  if (charts.length === 0) return '<section id="charts"><h2>Charts</h2><p class="note">No chartable metrics.</p></section>';
  const figs = charts
    .map(
      (c) =>
        `<figure class="chart" data-group="${esc(c.group)}"><figcaption><strong>${esc(c.title)}</strong>${esc(c.caption)}</figcaption>\n${c.markup}\n</figure>`,
    )
    .join('\n');
  return `<section id="charts"><h2>Charts</h2>\n<div class="charts">\n${figs}\n</div></section>`;
}

/** Trace rows per chunk: a 140 000-step trace is written in pieces, never as one string. */
const ROWS_PER_CHUNK = 2000;

/** A trace row's class: the violating step ("hit") and the key steps of the causal chain ("key", with the role). */
function rowClass(v: Violation, s: TraceStep): string {
  const cls = [s.step === v.step ? 'hit' : '', s.key ? 'key' : ''].filter(Boolean).join(' ');
  return `${cls ? ` class="${cls}"` : ''}${s.key ? ` data-role="${esc(s.key.role)}" title="${esc(`${s.key.role}: ${s.key.label}`)}"` : ''}`;
}

function* traceTable(v: Violation): Generator<string> {
  const hasTime = v.trace.some((s) => s.timeNs !== null);
  const row = (s: TraceStep): string =>
    `<tr data-step="${esc(s.step)}"${rowClass(v, s)}><td class="num">${esc(s.step)}${s.repeat ? `<span class="sub">×${esc(s.repeat)}</span>` : ''}</td>${
      hasTime ? `<td class="num">${s.timeNs === null ? '—' : esc(formatNumber(s.timeNs))}</td>` : ''
    }<td class="num">${esc(s.cpu)}</td><td>${esc(s.actor)}</td><td class="mono">${esc(s.function)}</td><td class="mono action">${esc(
      s.action,
    )}</td><td class="mono">${esc(fmtAddress(s.address))}</td><td class="mono num">${
      s.frame ? esc(`0x${s.frame.pfn.toString(16)}`) : '—'
    }</td><td class="num">${s.frame ? esc(s.frame.generation) : '—'}</td><td>${s.frame ? esc(s.frame.role) : '—'}</td><td class="mono">${
      s.locks.length > 0 ? s.locks.map((l) => esc(l)).join('<br>') : '—'
    }</td></tr>`;
  yield `<div class="scroll"><table class="trace"><thead><tr><th class="num">step</th>${
    hasTime ? '<th class="num">time (ns)</th>' : ''
  }<th class="num">cpu</th><th>actor</th><th>kernel function</th><th>action</th><th>address</th><th class="num">frame pfn</th><th class="num">gen</th><th>role</th><th>locks held</th></tr></thead>
<tbody>
`;
  if (v.trace.length === 0) yield `<tr><td colspan="${hasTime ? 11 : 10}">No trace recorded.</td></tr>`;
  for (let start = 0; start < v.trace.length; start += ROWS_PER_CHUNK) {
    const rows: string[] = [];
    for (let i = start; i < Math.min(v.trace.length, start + ROWS_PER_CHUNK); i++) rows.push(row(v.trace[i]));
    yield (start === 0 ? '' : '\n') + rows.join('\n');
  }
  yield '\n</tbody></table></div>';
}

function* tracesSection(runs: RunResult[], labels: string[], maxPerKind: number): Generator<string> {
  yield '<section id="traces"><h2>Violation traces</h2>\n';
  let parts = 0;
  for (let ri = 0; ri < runs.length; ri++) {
    const r = runs[ri];
    if (r.violations.length === 0) continue;
    yield `${parts++ > 0 ? '\n' : ''}<h3>${esc(labels[ri])} <span class="note">(${esc(r.scenario)})</span></h3>\n`;
    const shown = new Map<string, number>();
    let articles = 0;
    for (let vi = 0; vi < r.violations.length; vi++) {
      const v = r.violations[vi];
      const n = shown.get(v.kind) ?? 0;
      shown.set(v.kind, n + 1);
      if (n >= maxPerKind) continue;
      yield `${articles++ > 0 ? '\n' : ''}<article class="violation" id="${violationAnchor(ri, vi)}" data-kind="${esc(v.kind)}">
<h4><span class="badge bad">${esc(v.kind)}</span> detected at step ${esc(v.step)} on CPU ${esc(v.cpu)}</h4>
<p class="msg">${esc(v.message)}</p>
${v.narrative ? `<p class="narrative">${esc(v.narrative)}</p>
` : ''}<dl class="facts"><dt>run</dt><dd>${esc(labels[ri])} — ${esc(r.scenario)}, ${esc(r.mode)}, seed ${esc(r.seed)}${
        r.id ? `, id <code>${esc(r.id)}</code>` : ''
      }</dd><dt>actor</dt><dd>${esc(v.actor)}</dd><dt>function</dt><dd class="mono">${esc(v.function)}</dd><dt>address</dt><dd class="mono">${esc(
        fmtAddress(v.address),
      )}</dd></dl>
`;
      if (v.trace.length > 0) {
        yield `<figure class="swimlanes"><figcaption>One lane per actor, steps in order; the key steps of the race are marked and joined by arrows.</figcaption>\n`;
        yield* swimlaneSvg(v, violationAnchor(ri, vi));
        yield '\n</figure>\n';
      }
      yield* traceTable(v);
      yield '\n</article>';
    }
    const omitted = [...shown].filter(([, n]) => n > maxPerKind).map(([k, n]) => `${n - maxPerKind} more ${k}`);
    if (omitted.length > 0) yield `\n<p class="note">Not shown: ${esc(omitted.join(', '))}.</p>`;
  }
  if (parts === 0) yield '<p class="note">No violations: nothing to trace.</p>';
  yield '\n</section>';
}

/** Render the self-contained HTML report for these runs. */
export function renderHtmlReport(runs: RunResult[], opts: HtmlReportOptions = {}): string {
  return [...htmlReportChunks(runs, opts)].join('');
}

/**
 * The same report in pieces, in order, for writing to a file as it is made:
 * long traces never become one giant string (V8 caps a string near 512 MiB).
 */
export function* htmlReportChunks(runs: RunResult[], opts: HtmlReportOptions = {}): Generator<string> {
  const base = runs.length > 0 ? baselineIndex(runs, opts.baselineId) : 0;
  const labels = runLabels(runs);
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  const maxPerKind = Math.max(1, Math.floor(opts.maxTracesPerKind ?? 5));
  const title = opts.title ?? 'PT Lab report';
  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="PT Lab ${esc(opts.version ?? 'unknown')}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(runs, labels, base, opts, generatedAt)}
<main>
${verdictSection(runs, labels)}
${metricsSection(runs, labels, base)}
${chartsSection(runs, labels)}
`;
  yield* tracesSection(runs, labels, maxPerKind);
  yield `
</main>
<footer>Generated by PT Lab ${esc(opts.version ?? 'unknown')}. This file is self-contained: no scripts, no network requests; charts are static SVG.</footer>
</body>
</html>
`;
}
