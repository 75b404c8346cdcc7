import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/results.ts';
import { REPORT_CSP, chartGroups, decimate, renderHtmlReport } from '../../electron/report/index.ts';
import { UAF_ADDRESS, UAF_TRACE, sampleRuns, sampleRunsWithSeries } from './fixtures.ts';

/** The few DOM members the assertions read (the project compiles without the DOM lib). */
interface El {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly attributes: ArrayLike<{ name: string; value: string }>;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}
interface Doc {
  readonly documentElement: El;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}

function parse(html: string): Doc {
  return (parseHTML(html) as unknown as { document: Doc }).document;
}

const all = (d: Doc | El, sel: string): El[] => Array.from(d.querySelectorAll(sel));

const OPTS = { title: 'v6 vs opt2 vs upstream', generatedAt: '2025-11-25T18:00:00.000Z', version: '0.1.0' };

function cell(doc: Doc, key: string, run: number): El {
  const c = doc.querySelector(`table.metrics td[data-key="${key}"][data-run="${run}"]`);
  if (!c) throw new Error(`no cell ${key} run ${run}`);
  return c;
}

describe('renderHtmlReport', () => {
  const runs = sampleRuns();
  const html = renderHtmlReport(runs, OPTS);
  const doc = parse(html);

  it('is self-contained: no script, no external reference, strict CSP', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(all(doc, 'link, script, iframe, object, embed, img')).toHaveLength(0);
    for (const el of all(doc, '*')) {
      for (const a of Array.from(el.attributes)) {
        expect(a.name.startsWith('on'), `${el.tagName} ${a.name}`).toBe(false);
        if (a.name === 'href') expect(a.value.startsWith('#'), a.value).toBe(true);
        if (a.name === 'src') expect(a.value.startsWith('data:'), a.value).toBe(true);
      }
    }
    const csp = doc.querySelector('meta[http-equiv="Content-Security-Policy"]');
    expect(csp?.getAttribute('content')).toBe(REPORT_CSP);
    expect(REPORT_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    expect(html).toContain('prefers-color-scheme:dark');
  });

  it('has a header with title, date, version and scenario', () => {
    const header = doc.querySelector('header')?.textContent ?? '';
    expect(header).toContain('v6 vs opt2 vs upstream');
    expect(header).toContain('2025-11-25 18:00 UTC');
    expect(header).toContain('PT Lab 0.1.0');
    expect(header).toContain('head-to-head');
  });

  it('draws one chart figure per metric group present, each an svg with a caption', () => {
    const groups = chartGroups(runs);
    expect(groups).toEqual(['vmalloc', 'vfree', 'hotremove', 'hotadd', 'lock', 'tlbi', 'pgtable']);
    const figs = all(doc, 'figure.chart');
    expect(figs.map((f) => f.getAttribute('data-group'))).toEqual(groups);
    for (const f of figs) {
      expect(all(f, ':scope > svg').length, f.getAttribute('data-group') ?? '').toBe(1);
      expect(f.querySelector('figcaption')?.textContent?.length ?? 0).toBeGreaterThan(20);
      // axis labels and a legend with every run
      expect(f.querySelector('svg [aria-label$="axis label"]')).not.toBeNull();
      const legend = f.textContent ?? '';
      for (const s of ['v6', 'opt2', 'upstream']) expect(legend).toContain(s);
    }
    // lock chart names both locks
    const lock = doc.querySelector('figure.chart[data-group="lock"]')?.textContent ?? '';
    expect(lock).toContain('init_mm.page_table_lock');
    expect(lock).toContain('mem_hotplug_lock');
  });

  it('adds a line chart per series name when runs carry series, decimated', () => {
    const withSeries = sampleRunsWithSeries();
    const d = parse(renderHtmlReport(withSeries, OPTS));
    const groups = chartGroups(withSeries);
    expect(groups.at(-1)).toBe('series:vmalloc.inflight');
    expect(all(d, 'figure.chart')).toHaveLength(groups.length);
    const fig = d.querySelector('figure.chart[data-group="series:vmalloc.inflight"]');
    expect(fig?.querySelectorAll('svg path[d]').length).toBeGreaterThan(0);
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const pts = decimate(xs, xs.map((i) => (i === 5_001 ? 1e6 : i % 7)), 500);
    expect(pts.length).toBeLessThanOrEqual(500);
    expect(pts.some(([, y]) => y === 1e6)).toBe(true);
    expect(pts.map(([x]) => x)).toEqual([...pts.map(([x]) => x)].sort((a, b) => a - b));
  });

  it('has a verdict per strategy linking each violation kind to its trace', () => {
    const rows = all(doc, 'table.verdict tbody tr');
    expect(rows).toHaveLength(3);
    const link = rows[0].querySelector('td.verdict a');
    expect(link?.textContent).toBe('uaf-table-write × 1');
    const href = link?.getAttribute('href') ?? '';
    expect(href).toBe('#v-0-0');
    expect(doc.querySelector(`article${href}`)).not.toBeNull();
    expect(rows[1].querySelector('td.verdict')?.textContent).toBe('safe');
    expect(rows[2].querySelector('td.verdict')?.textContent).toBe('safe');
  });

  it('writes the trace table in step order with full hex addresses, message above', () => {
    const art = doc.querySelector('article#v-0-0');
    if (!art) throw new Error('no violation article');
    expect(art.querySelector('p.msg')?.textContent).toContain('freed at step 123');
    const headers = all(art, 'table.trace thead th').map((h) => h.textContent);
    expect(headers).toEqual(['step', 'cpu', 'actor', 'kernel function', 'action', 'address', 'frame pfn', 'gen', 'role', 'locks held']);
    const trs = all(art, 'table.trace tbody tr');
    expect(trs.map((r) => Number(r.getAttribute('data-step')))).toEqual(UAF_TRACE.map((s) => s.step));
    trs.forEach((tr, i) => {
      const s = UAF_TRACE[i];
      const tds = all(tr, 'td').map((td) => td.textContent ?? '');
      expect(tds[0]).toBe(String(s.step));
      expect(tds[1]).toBe(String(s.cpu));
      expect(tds[2]).toBe(s.actor);
      expect(tds[3]).toBe(s.function);
      expect(tds[4]).toBe(s.action);
      expect(tds[5]).toBe(s.address === '' ? '—' : `0x${s.address}`);
      expect(tds[6]).toBe(s.frame ? `0x${s.frame.pfn.toString(16)}` : '—');
      expect(tds[7]).toBe(s.frame ? String(s.frame.generation) : '—');
      expect(tds[8]).toBe(s.frame ? s.frame.role : '—');
      expect(tds[9]).toBe(s.locks.length ? s.locks.join('') : '—');
    });
    expect(trs[4].getAttribute('class')).toBe('hit');
    expect(html).toContain(`0x${UAF_ADDRESS}`);
    expect(UAF_ADDRESS).toHaveLength(16);
  });

  it('groups metric rows and computes deltas against the first run by default', () => {
    const groups = all(doc, 'table.metrics tr.group th').map((th) => th.textContent);
    expect(groups).toEqual(['vmalloc.*', 'vfree.*', 'hotremove.*', 'hotadd.*', 'lock.*', 'tlbi.*', 'pgtable.*', 'sim.*', 'wall.*', 'violations.*']);
    const keys = all(doc, 'table.metrics td.key').map((td) => td.textContent);
    expect(keys.slice(0, 6)).toEqual([
      'vmalloc.ops',
      'vmalloc.latency_ns.p50',
      'vmalloc.latency_ns.p90',
      'vmalloc.latency_ns.p99',
      'vmalloc.latency_ns.max',
      'vmalloc.latency_ns.mean',
    ]);
    expect(all(doc, 'table.metrics thead th[data-run]')).toHaveLength(3);
    expect(doc.querySelector('table.metrics thead th[data-run="0"]')?.textContent).toContain('baseline');

    // opt2 vmalloc p99 = 7900 × 1.25 = 9875 against 7900: +1975, +25 %
    const p99 = cell(doc, 'vmalloc.latency_ns.p99', 1);
    expect(Number(p99.getAttribute('data-delta'))).toBe(1975);
    expect(Number(p99.getAttribute('data-delta-pct'))).toBeCloseTo(25, 10);
    expect(p99.textContent).toBe('9,875+1,975 (+25.0%)');
    expect(p99.querySelector('.delta')?.getAttribute('class')).toBe('delta worse');
    // opt2 vmalloc.ops = 145920 against 182400: −36480, −20 %
    const ops = cell(doc, 'vmalloc.ops', 1);
    expect(ops.querySelector('.delta')?.textContent).toBe('−36,480 (−20.0%)');
    // upstream leaked 6 against 0: no relative delta
    const leaked = cell(doc, 'pgtable.leaked_pages', 2);
    expect(leaked.querySelector('.delta')?.textContent).toBe('+6 (n/a)');
    // upstream tlbi.pgtable 80 against 120: −40, −33.3 %, better
    const tlbi = cell(doc, 'tlbi.pgtable', 2);
    expect(tlbi.querySelector('.delta')?.textContent).toBe('−40 (−33.3%)');
    expect(tlbi.querySelector('.delta')?.getAttribute('class')).toBe('delta better');
    // the baseline has no delta; equal values show ±0
    expect(cell(doc, 'vmalloc.latency_ns.p99', 0).querySelector('.delta')).toBeNull();
    expect(cell(doc, 'hotremove.latency_ns.p99', 1).querySelector('.delta')?.textContent).toBe('±0 (±0.0%)');
  });

  it('uses baselineId when given and rejects an unknown one', () => {
    const d = parse(renderHtmlReport(runs, { ...OPTS, baselineId: 'run-opt2' }));
    expect(d.querySelector('table.metrics thead th[data-run="1"]')?.textContent).toContain('baseline');
    const p99 = cell(d, 'vmalloc.latency_ns.p99', 0);
    expect(Number(p99.getAttribute('data-delta'))).toBe(-1975);
    expect(Number(p99.getAttribute('data-delta-pct'))).toBeCloseTo(-20, 10);
    expect(p99.querySelector('.delta')?.textContent).toBe('−1,975 (−20.0%)');
    expect(cell(d, 'vmalloc.latency_ns.p99', 1).querySelector('.delta')).toBeNull();
    expect(() => renderHtmlReport(runs, { baselineId: 'nope' })).toThrow(/baseline run "nope"/);
  });

  it('escapes all text: a <script> in a scenario or strategy name stays text', () => {
    const evil: RunResult[] = sampleRuns().map((r, i) => ({
      ...r,
      scenario: `<script>alert("x")</script> see https://example.invalid/a?b=1&c=2`,
      strategy: i === 1 ? `opt2<img src=x onerror=alert(1)>` : r.strategy,
      violations: r.violations.map((v) => ({ ...v, message: `</p><script>alert(2)</script>`, actor: `a"b'c` })),
    }));
    const out = renderHtmlReport(evil, { ...OPTS, title: '<b>title</b>' });
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/<img/i);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(out).toContain('&lt;/p&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(out).toContain('&lt;b&gt;title&lt;/b&gt;');
    const d = parse(out);
    expect(d.querySelector('h1')?.textContent).toBe('<b>title</b>');
    expect(d.querySelector('table.verdict tbody tr td:nth-child(3)')?.textContent).toBe(evil[0].scenario);
    expect(d.querySelector('article p.msg')?.textContent).toBe('</p><script>alert(2)</script>');
    // the URL appears only as text, never as an attribute or a reference
    const raw = out.match(/https?:\/\//g)?.length ?? 0;
    const text = d.documentElement.textContent?.match(/https?:\/\//g)?.length ?? 0;
    expect(raw).toBeGreaterThan(0);
    expect(raw).toBe(text);
    // the strategy name with markup is text in the chart legend too
    expect(d.querySelector('figure.chart[data-group="tlbi"]')?.textContent).toContain('opt2<img src=x onerror=alert(1)>');
    expect(all(d, 'img')).toHaveLength(0);
  });

  it('renders an empty or metric-less set without failing', () => {
    const d = parse(renderHtmlReport([], OPTS));
    expect(all(d, 'figure.chart')).toHaveLength(0);
    expect(d.querySelector('#metrics')?.textContent).toContain('No metrics');
  });
});
