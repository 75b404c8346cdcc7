/**
 * The HTML report explains each violation: its narrative above the trace,
 * an inline SVG of the swimlanes (one lane per actor, the key steps marked
 * and joined by arrows in step order), and the key steps marked in the
 * trace table. Still self-contained, and still written in bounded pieces.
 */
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { runScenario } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';
import { htmlReportChunks, renderHtmlReport } from '../../electron/report/index.ts';

interface El {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}
const all = (d: El, sel: string): El[] => Array.from(d.querySelectorAll(sel));

function race(): RunResult {
  console.log('thread-race v5-reviewed random seed 3');
  return runScenario(parseScenario(findPreset('thread-race')!.doc), findStrategy('v5-reviewed'), { mode: 'random', seed: 3 }).result;
}

describe('the report explains each violation', () => {
  const run = race();
  const html = renderHtmlReport([run], { generatedAt: '2026-01-01T00:00:00Z', version: 'test' });
  const doc = (parseHTML(html) as unknown as { document: El }).document;
  const v = run.violations.find((x) => x.kind === 'uaf-table-write')!;
  const art = all(doc, 'article.violation').find((a) => a.getAttribute('data-kind') === 'uaf-table-write')!;

  it('prints the narrative above the trace', () => {
    expect(art.querySelector('p.narrative')?.textContent).toBe(v.narrative);
    expect(v.narrative).toContain('hotremove cleared the PGD entry');
  });

  it('draws one lane per actor of the trace and marks every key step, joined by arrows in step order', () => {
    const svg = art.querySelector('svg.swimlanes');
    if (!svg) throw new Error('no swimlane svg');
    const actors = [...new Set(v.trace.map((t) => t.actor))];
    expect(all(svg, 'g.lane').map((g) => g.querySelector('text')?.textContent?.split(' ')[0])).toEqual(['hotremove', 'vmalloc#1', 'vmalloc#2'].filter((a) => actors.includes(a)));
    const keys = all(svg, 'g.key');
    expect(keys.map((g) => Number(g.getAttribute('data-step')))).toEqual(v.keySteps!.map((k) => k.step));
    expect(keys.map((g) => g.getAttribute('data-role'))).toEqual(v.keySteps!.map((k) => k.role));
    expect(all(svg, 'path.flow')).toHaveLength(v.keySteps!.length - 1);
  });

  it('marks the key steps in the trace table', () => {
    const marked = all(art, 'table.trace tr.key').map((r) => [Number(r.getAttribute('data-step')), r.getAttribute('data-role')]);
    expect(marked).toEqual(v.keySteps!.map((k) => [k.step, k.role]));
  });

  it('stays self-contained: no script, no URL', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('a 140,000-step trace with key steps still comes out in bounded pieces and draws a bounded SVG', () => {
    const base = v.trace[0];
    const trace = Array.from({ length: 140_000 }, (_, i) => ({ ...base, step: i, actor: i % 3 === 0 ? 'hotremove' : 'vmalloc#1', key: undefined as typeof base.key }));
    trace[10].key = { role: 'took-pointer', label: 'read' };
    trace[139_990].key = { role: 'stale-use', label: 'write' };
    const long: RunResult = { ...run, violations: [{ ...v, trace, keySteps: undefined }] };
    const chunks = [...htmlReportChunks([long], { generatedAt: '2026-01-01T00:00:00Z' })];
    expect(chunks.reduce((m, c) => Math.max(m, c.length), 0)).toBeLessThan(2 * 1024 * 1024);
    const text = chunks.join('');
    const svg = text.slice(text.indexOf('<svg class="swimlanes"'), text.indexOf('</svg>', text.indexOf('<svg class="swimlanes"')));
    expect(svg.match(/<rect class="step"/g)!.length).toBeLessThanOrEqual(1500);
    expect(svg.match(/<g class="key"/g)).toHaveLength(2);
  });
});
