/**
 * Plain-text rendering of results and traces for the terminal, and the
 * sanitizer every line goes through: scenario names, metric keys, messages
 * and trace text come from files and the database, so they must not drive
 * the terminal.
 */
import type { ResultsDocument, RunResult, TraceStep, Violation } from '../../core/results.ts';
import { knobDifferences, STRATEGIES } from '../../core/strategies.ts';
import { noViolationVerdict } from '../report/metrics.ts';

/**
 * ESC sequences, whole: CSI (parameters and final byte), OSC/DCS/PM/APC
 * strings up to BEL or ST (never past the line), and two-byte escapes. A raw
 * ESC never occurs in JSON.stringify output, so JSON passes untouched. 8-bit
 * introducers (CSI U+009B, OSC U+009D, …) are C1 controls, escaped below,
 * which leaves what follows them inert text.
 */
const ESCAPE_SEQUENCES = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b\u009c\n]*(?:\u0007|\u001b\\|\u009c)?|[ -~]?)/g;
/** C0 controls but tab and newline, and DEL. */
const C0 = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
/** C1 controls and the bidi overrides and isolates ("Trojan Source"). */
const C1_AND_BIDI = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text made safe for a terminal: escape sequences and C0 controls (but tab
 * and newline) are removed; C1 and bidi controls become `\u009b`-style
 * escapes, which is also exactly how JSON may write them, so a JSON document
 * passes through unchanged in meaning.
 */
export function sanitizeForTerminal(s: string): string {
  return s
    .replace(ESCAPE_SEQUENCES, '')
    .replace(C0, '')
    .replace(C1_AND_BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One table cell: sanitized, on one line. */
function cellText(s: string | undefined): string {
  return s === undefined ? '' : sanitizeForTerminal(s).replace(/[\t\n]/g, ' ');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** A fixed-width table. Any number of rows (no spread into a call: 200 000 rows must not overflow the stack). */
export function table(header: string[], rows: string[][]): string {
  const head = header.map(cellText);
  const body = rows.map((r) => head.map((_, i) => cellText(r[i])));
  const w = head.map((h) => h.length);
  for (const r of body) for (let i = 0; i < w.length; i++) if (r[i].length > w[i]) w[i] = r[i].length;
  const line = (r: string[]): string => r.map((c, i) => pad(c, w[i])).join('  ').trimEnd();
  const out = [line(head), line(w.map((n) => '-'.repeat(n)))];
  for (const r of body) out.push(line(r));
  return out.join('\n');
}

/**
 * A trace as a kernel developer reads it: one line per step, oldest first.
 * When the trace carries its causal chain, a `key` column names each key
 * step's role (took-pointer, cleared, freed, stale-use, ...).
 */
export function formatTrace(trace: TraceStep[]): string {
  const keys = keyStepLines(trace.flatMap((t) => (t.key ? [{ step: t.step, actor: t.actor, role: t.key.role, label: t.key.label }] : [])));
  return keys ? `${keys}\n\n${traceTable(trace)}` : traceTable(trace);
}

/** "  key steps:" and one line per key step, or "" when there is none. */
function keyStepLines(keys: readonly { step: number; actor: string; role: string; label: string }[]): string {
  if (keys.length === 0) return '';
  const w = keys.reduce((m, k) => Math.max(m, String(k.step).length), 0);
  return ['  key steps:', ...keys.map((k) => `    ${String(k.step).padStart(w)}  ${cellText(k.actor)}  ${k.role}: ${cellText(k.label)}`)].join('\n');
}

/** The trace table alone (when the narrative and key steps were printed above it). */
export function formatTraceTable(trace: TraceStep[]): string {
  return traceTable(trace);
}

function traceTable(trace: TraceStep[]): string {
  const hasKey = trace.some((t) => t.key !== undefined);
  const rows = trace.map((t) => [
    String(t.step) + (t.repeat ? ` (x${t.repeat})` : ''),
    t.key ? `<- ${t.key.role}` : '',
    t.timeNs === null ? '' : `${(t.timeNs / 1000).toFixed(3)}us`,
    String(t.cpu),
    t.actor,
    t.function,
    t.action,
    t.address,
    t.frame ? `pfn 0x${t.frame.pfn.toString(16)} gen ${t.frame.generation} (${t.frame.role})` : '',
    t.locks.join(', '),
  ]);
  const header = ['step', 'key', 'time', 'cpu', 'actor', 'function', 'action', 'address', 'page', 'locks held'];
  const hasTime = trace.some((t) => t.timeNs !== null);
  const keep = header.map((_, i) => (i !== 1 || hasKey) && (i !== 2 || hasTime));
  return table(
    header.filter((_, i) => keep[i]),
    rows.map((r) => r.filter((_, i) => keep[i])),
  );
}

/** Words wrapped to `width` columns, each line indented. */
export function wrap(text: string, width: number, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line.length > 0 && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(indent + line);
  return lines.join('\n');
}

/**
 * The violation's narrative, wrapped, then its key steps one per line (from
 * `keySteps`, or from the trace's marks for a violation stored without
 * them); nothing for a violation recorded before narratives.
 */
export function formatNarrative(v: Pick<Violation, 'narrative' | 'keySteps' | 'trace'>): string {
  const out: string[] = [];
  if (v.narrative) out.push(wrap(sanitizeForTerminal(v.narrative), 100, '  '));
  const keys = keyStepLines(v.keySteps ?? v.trace.flatMap((t) => (t.key ? [{ step: t.step, actor: t.actor, role: t.key.role, label: t.key.label }] : [])));
  if (keys) {
    if (out.length > 0) out.push('');
    out.push(keys);
  }
  return out.join('\n');
}

/** A violation: what and where, the narrative and key steps, then the trace table. */
export function formatViolation(r: RunResult, v: Violation): string {
  const story = formatNarrative(v);
  return [`${v.kind}: ${r.strategy}, ${r.mode} seed ${r.seed}, at step ${v.step}`, `  ${v.message}`, ...(story ? ['', story] : []), '', traceTable(v.trace)].join('\n');
}

const KEY_METRICS: [string, string][] = [
  ['vmalloc.ops', 'vmalloc ops'],
  ['vmalloc.latency_ns.p50', 'vmalloc p50 ns'],
  ['vmalloc.latency_ns.p99', 'vmalloc p99 ns'],
  ['vfree.latency_ns.p99', 'vfree p99 ns'],
  ['hotremove.ops', 'hot-removes'],
  ['hotremove.latency_ns.p50', 'hot-remove p50 ns'],
  ['lock.init_mm.page_table_lock.wait_ns.total', 'ptl wait ns'],
  ['lock.mem_hotplug_lock.wait_ns.total', 'hotplug-lock wait ns'],
  ['tlbi.page', 'TLBI page'],
  ['tlbi.pgtable', 'TLBI pgtable'],
  ['tlbi.all', 'TLBI all'],
  ['pgtable.leaked_pages', 'leaked tables'],
];

/** The human summary of a results document. */
export function formatResults(doc: ResultsDocument, opts: { traces: boolean }): string {
  const out: string[] = [];
  const timed = doc.runs.filter((r) => r.mode === 'timed');
  const byStrat = doc.summary.byStrategy;
  out.push(
    table(
      ['strategy', 'runs', 'violating', 'verdict'],
      Object.entries(byStrat).map(([s, e]) => [
        s,
        String(e.runs),
        String(e.violating),
        e.violating === 0 ? noViolationVerdict(doc.runs.filter((r) => r.strategy === s)) : Object.entries(e.kinds).map(([k, n]) => `${k} (${n} run${n === 1 ? '' : 's'})`).join(', '),
      ]),
    ),
  );
  if (timed.length > 0) {
    const keys = KEY_METRICS.filter(([k]) => timed.some((r) => r.metrics[k] !== undefined));
    const cpus = (r: RunResult): string => {
      const c = r.config as { vmallocThreads?: unknown } | undefined;
      return typeof c?.vmallocThreads === 'number' ? String(c.vmallocThreads) : '';
    };
    const sweep = new Set(timed.map(cpus)).size > 1;
    out.push(
      '',
      table(
        ['strategy', 'seed', ...(sweep ? ['vmalloc CPUs'] : []), ...keys.map(([, l]) => l)],
        timed.map((r) => [r.strategy, String(r.seed), ...(sweep ? [cpus(r)] : []), ...keys.map(([k]) => fmtNum(r.metrics[k]))]),
      ),
    );
  }
  if (doc.summary.pct) {
    out.push('', 'PCT (Burckhardt et al., ASPLOS 2010): a bug of depth d is hit by one run with probability at least 1/(n·k^(d-1))');
    const strategies = Object.keys(doc.summary.byStrategy);
    out.push(
      table(
        ['strategy', 'depth d', 'actors n', 'steps k', 'runs', 'per run >=', 'over the runs >='],
        doc.summary.pct.map((p, i) => [strategies[i] ?? '', String(p.depth), String(p.actors), String(p.k), String(p.runs), p.perRunBound.toExponential(2), p.boundOverRuns.toExponential(2)]),
      ),
    );
  }
  const notes = [...new Set(doc.runs.flatMap((r) => r.notes ?? []))];
  for (const n of notes) out.push('', `note: ${n}`);
  if (opts.traces) for (const { run, violation } of printedViolations(doc)) out.push('', formatViolation(run, violation));
  return out.join('\n');
}

/**
 * The violations formatResults prints, in order: the first of each kind per
 * strategy, from the run where it came earliest. `--save-trace` saves the
 * first of them, so the file holds the trace that was on the screen.
 */
export function printedViolations(doc: ResultsDocument): { run: RunResult; violation: Violation }[] {
  const shown = new Set<string>();
  const out: { run: RunResult; violation: Violation }[] = [];
  const ordered = [...doc.runs].sort((a, b) => (a.violations[0]?.step ?? Infinity) - (b.violations[0]?.step ?? Infinity));
  for (const run of ordered) {
    for (const violation of run.violations) {
      const key = `${run.strategy}/${violation.kind}`;
      if (shown.has(key)) continue;
      shown.add(key);
      out.push({ run, violation });
    }
  }
  return out;
}

function fmtNum(v: number | undefined): string {
  if (v === undefined) return '';
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** What a saved run was made from (the fields db/ keeps beside the names). */
export interface Provenance {
  scenario: string;
  strategy: string;
  strategyKnobs: Record<string, unknown> | null;
  sets: string[];
  scenarioFile: string | null;
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** `thread-race`, `thread-race (arch.vaBits=39)`, `my-race [my-race.json]`. */
export function scenarioLabel(p: Provenance): string {
  return `${p.scenario}${p.scenarioFile ? ` [${baseName(p.scenarioFile)}]` : ''}${p.sets.length > 0 ? ` (${p.sets.join(', ')})` : ''}`;
}

/** Whether a run under a built-in id was made with other knobs (an older or imported run). */
export function knobsDifferFromBuiltin(p: Provenance): boolean {
  const builtin = STRATEGIES.find((s) => s.id === p.strategy);
  return builtin !== undefined && p.strategyKnobs !== null && knobDifferences(builtin.knobs, p.strategyKnobs).length > 0;
}

/** `upstream`, or `upstream (knobs differ)` when the run was not the built-in design. */
export function strategyLabel(p: Provenance): string {
  return knobsDifferFromBuiltin(p) ? `${p.strategy} (knobs differ)` : p.strategy;
}

/** The lines `ptlab show` prints about what the run was made from. */
export function describeProvenance(p: Provenance): string[] {
  const lines = [
    `scenario: ${p.scenario} ${p.scenarioFile ? `from the file ${p.scenarioFile}` : '(preset)'}${p.sets.length > 0 ? `, with ${p.sets.map((x) => `--set ${x}`).join(' ')}` : ''}`,
  ];
  const builtin = STRATEGIES.find((s) => s.id === p.strategy);
  if (p.strategyKnobs === null) lines.push(`strategy: ${p.strategy} (knobs not recorded)`);
  else if (builtin) {
    const diff = knobDifferences(builtin.knobs, p.strategyKnobs);
    lines.push(diff.length === 0 ? `strategy: ${p.strategy} (built-in)` : `strategy: ${p.strategy}, but not the built-in ${p.strategy}: knobs ${diff.join(', ')}`);
  } else {
    // A user strategy: describe it against the built-in it is closest to.
    let closest = STRATEGIES[0];
    let diff = knobDifferences(closest.knobs, p.strategyKnobs);
    for (const s of STRATEGIES) {
      const d = knobDifferences(s.knobs, p.strategyKnobs);
      if (d.length < diff.length) [closest, diff] = [s, d];
    }
    lines.push(`strategy: ${p.strategy} (user strategy: as ${closest.id} but ${diff.join(', ')})`);
  }
  if (p.strategyKnobs !== null) lines.push(`knobs: ${Object.entries(p.strategyKnobs).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  return lines;
}
