/**
 * A violation's trace as static swimlanes for the HTML report: one lane per
 * actor (in CPU order), the trace's lines left to right in step order, the
 * key steps of the causal chain marked with their role and joined by arrows
 * in step order. Plain inline SVG (no script, no external reference, no
 * namespace URL), sized for the page; its colours follow the report's CSS
 * variables, so it reads in light and dark mode and in print.
 */
import type { TraceStep, Violation } from '../../core/results.ts';
import { esc } from './escape.ts';

/** At most this many plain (non-key) lines are drawn; longer traces are thinned evenly (the table below has every line). */
const MAX_PLAIN = 1500;
const LANE_H = 34;
const LEFT = 120;
const TOP = 28;
const MIN_DX = 3;
const MAX_DX = 36;
const MAX_WIDTH = 1180;

interface Mark {
  /** Index of the line in the trace. */
  i: number;
  x: number;
  lane: number;
  line: TraceStep;
}

function laneOrder(trace: readonly TraceStep[]): string[] {
  const cpu = new Map<string, number>();
  for (const t of trace) if (!cpu.has(t.actor)) cpu.set(t.actor, t.cpu);
  return [...cpu.keys()].sort((a, b) => cpu.get(a)! - cpu.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** The key lines of a trace, in step order: the lines marked `key`, or those matching `Violation.keySteps`. */
function keyLines(v: Pick<Violation, 'trace' | 'keySteps'>): Set<number> {
  const out = new Set<number>();
  v.trace.forEach((t, i) => {
    if (t.key || v.keySteps?.some((k) => k.step === t.step && k.actor === t.actor)) out.add(i);
  });
  return out;
}

function roleOf(v: Pick<Violation, 'keySteps'>, t: TraceStep): string {
  return t.key?.role ?? v.keySteps?.find((k) => k.step === t.step && k.actor === t.actor)?.role ?? '';
}

function labelOf(v: Pick<Violation, 'keySteps'>, t: TraceStep): string {
  return t.key?.label ?? v.keySteps?.find((k) => k.step === t.step && k.actor === t.actor)?.label ?? '';
}

/**
 * The swimlane SVG of a violation, in pieces (each a few KiB at most).
 * `id` makes the arrowhead marker's id unique within the page.
 */
export function* swimlaneSvg(v: Pick<Violation, 'trace' | 'keySteps' | 'kind' | 'step'>, id: string): Generator<string> {
  const trace = v.trace;
  if (trace.length === 0) return;
  const lanes = laneOrder(trace);
  const laneOf = new Map(lanes.map((a, i) => [a, i]));
  const keys = keyLines(v);
  // Which lines to draw: every key line, and the plain ones thinned to MAX_PLAIN.
  const plain = trace.length - keys.size;
  const every = plain > MAX_PLAIN ? plain / MAX_PLAIN : 1;
  const drawn: number[] = [];
  let seen = 0;
  let next = 0;
  trace.forEach((_, i) => {
    if (keys.has(i)) drawn.push(i);
    else {
      if (seen >= next) {
        drawn.push(i);
        next += every;
      }
      seen++;
    }
  });
  const dx = Math.max(MIN_DX, Math.min(MAX_DX, (MAX_WIDTH - LEFT - 40) / Math.max(1, drawn.length)));
  const width = Math.round(LEFT + 40 + dx * drawn.length);
  const height = TOP + LANE_H * lanes.length + 22;
  const marks: Mark[] = drawn.map((i, n) => ({ i, x: LEFT + 20 + n * dx, lane: laneOf.get(trace[i].actor) ?? 0, line: trace[i] }));
  const y = (lane: number): number => TOP + lane * LANE_H + LANE_H / 2;
  const title = `Swimlanes of the ${v.kind} at step ${v.step}: ${lanes.length} actor${lanes.length === 1 ? '' : 's'}, ${trace.length} trace line${trace.length === 1 ? '' : 's'}${
    drawn.length < trace.length ? ` (${drawn.length} drawn)` : ''
  }, key steps joined by arrows`;
  yield `<svg class="swimlanes" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${esc(title)}">
<title>${esc(title)}</title>
<defs><marker id="${esc(id)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="arrowhead"/></marker></defs>
`;
  const lanesSvg = lanes.map((a, i) => {
    const cpu = trace.find((t) => t.actor === a)?.cpu;
    return `<g class="lane"><rect x="0" y="${TOP + i * LANE_H}" width="${width}" height="${LANE_H}" class="${i % 2 ? 'odd' : 'even'}"/><text x="8" y="${y(i) + 4}" class="lane-name">${esc(a)}<tspan class="lane-cpu"> cpu ${esc(cpu)}</tspan></text></g>`;
  });
  yield `${lanesSvg.join('\n')}\n`;
  // Plain lines as ticks, in pieces.
  const plainMarks = marks.filter((m) => !keys.has(m.i));
  for (let s = 0; s < plainMarks.length; s += 500) {
    yield `${plainMarks
      .slice(s, s + 500)
      .map((m) => `<rect class="step" x="${(m.x - 1.5).toFixed(1)}" y="${y(m.lane) - 6}" width="3" height="12"><title>${esc(stepTitle(m.line))}</title></rect>`)
      .join('\n')}\n`;
  }
  // Key steps: arrows in step order, then the markers and their roles on top.
  const keyMarks = marks.filter((m) => keys.has(m.i));
  const arrows: string[] = [];
  for (let k = 1; k < keyMarks.length; k++) {
    const p = keyMarks[k - 1];
    const q = keyMarks[k];
    const [x1, y1, x2, y2] = [p.x, y(p.lane), q.x, y(q.lane)];
    const mid = (x1 + x2) / 2;
    arrows.push(`<path class="flow" d="M${x1.toFixed(1)} ${y1}C${mid.toFixed(1)} ${y1} ${mid.toFixed(1)} ${y2} ${(x2 - 7).toFixed(1)} ${y2}" marker-end="url(#${esc(id)}-arrow)"/>`);
  }
  yield `${arrows.join('\n')}\n`;
  const labels = keyMarks.map((m, k) => {
    const role = roleOf(v, m.line);
    const above = k % 2 === 0;
    return `<g class="key" data-step="${esc(m.line.step)}" data-role="${esc(role)}"><circle cx="${m.x.toFixed(1)}" cy="${y(m.lane)}" r="6"/><text x="${m.x.toFixed(1)}" y="${y(m.lane) + (above ? -9 : 17)}" text-anchor="middle" class="key-label">${esc(
      `${role} ${m.line.step}`,
    )}</text><title>${esc(`${stepTitle(m.line)}\n${role}: ${labelOf(v, m.line)}`)}</title></g>`;
  });
  yield `${labels.join('\n')}\n<text x="${LEFT + 20}" y="${height - 6}" class="axis">step ${esc(trace[0].step)} → ${esc(trace[trace.length - 1].step)}</text>\n</svg>`;
}

function stepTitle(t: TraceStep): string {
  return `step ${t.step}${t.repeat ? ` (x${t.repeat})` : ''} · ${t.actor} (cpu ${t.cpu}) · ${t.function}: ${t.action}${t.address ? ` @ ${t.address}` : ''}`;
}

/** CSS for the swimlanes (inside the report's style element). */
export const SWIMLANE_CSS = `
figure.swimlanes{margin:8px 0 10px;overflow-x:auto}
figure.swimlanes figcaption{color:var(--muted);font-size:12px;margin-bottom:4px}
svg.swimlanes{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;max-width:none}
svg.swimlanes rect.even{fill:var(--zebra)}
svg.swimlanes rect.odd{fill:var(--bg)}
svg.swimlanes .lane-name{fill:var(--fg);font-weight:600}
svg.swimlanes .lane-cpu{fill:var(--muted);font-weight:400}
svg.swimlanes rect.step{fill:var(--muted);opacity:.55}
svg.swimlanes g.key circle{fill:var(--bad);stroke:var(--bg);stroke-width:1.5}
svg.swimlanes .key-label{fill:var(--bad);font-size:10px;font-weight:600}
svg.swimlanes path.flow{fill:none;stroke:var(--bad);stroke-width:1.6;opacity:.8}
svg.swimlanes .arrowhead{fill:var(--bad)}
svg.swimlanes .axis{fill:var(--muted);font-size:10px}
p.narrative{margin:4px 0 8px;padding:6px 10px;border-left:3px solid var(--accent);background:var(--head)}
`;
