/**
 * Large exports are written in pieces (issue 11): the JSON writer gives
 * byte for byte what JSON.stringify(doc, null, 2) gives, one run at a time;
 * the HTML report's long traces come out in bounded chunks; CSV run by run.
 */
import { describe, expect, it } from 'vitest';
import type { RunResult, TraceStep } from '../../core/results.ts';
import { csvChunks, htmlReportChunks, renderCsv, renderHtmlReport, renderJson, writeResultsJson } from '../../electron/report/index.ts';
import { sampleRuns, sampleRunsWithSeries } from './fixtures.ts';

function streamed(runs: RunResult[], version: string): { text: string; chunks: string[] } {
  const chunks: string[] = [];
  writeResultsJson((c) => chunks.push(c), runs, version);
  return { text: chunks.join(''), chunks };
}

function longTraceRun(steps: number): RunResult {
  const trace: TraceStep[] = [];
  for (let step = 0; step < steps; step++) trace.push({ step, timeNs: step * 1.5, cpu: step % 4, actor: 'vmalloc#1', function: 'vmap_pte_range', action: 'set_pte_at()', address: 'ffff800080000000', frame: { pfn: step, generation: 1, role: 'pte-table' }, locks: ['a', 'b'] });
  return {
    id: '6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab',
    scenario: 'thread-race',
    strategy: 'v6',
    mode: 'random',
    seed: 1,
    status: 'completed',
    violations: [{ kind: 'uaf-table-write', step: steps - 1, cpu: 1, actor: 'vmalloc#1', function: 'vmap_pte_range', address: 'ffff800080000000', message: 'm', trace }],
    violationCounts: { 'uaf-table-write': 1 },
    metrics: { 'sim.steps': steps },
  };
}

describe('writeResultsJson', () => {
  it.each([
    ['the sample runs', sampleRuns()],
    ['runs with series', sampleRunsWithSeries()],
    ['no runs', []],
    ['odd values', [{ ...sampleRuns()[0], config: { a: undefined, b: [undefined, 1, null], c: {}, d: [], e: 'quote " and \\n newline', f: -0 }, metrics: { x: Number.NaN, y: 1e21, z: -1.5e-7 } } as RunResult]],
  ])('%s: byte for byte renderJson', (_name, runs) => {
    expect(streamed(runs, '0.2.0').text).toBe(renderJson(runs, '0.2.0'));
  });

  it('a run with a 140,000-step trace is written in pieces of at most a few KiB', () => {
    const run = longTraceRun(140_000);
    const { text, chunks } = streamed([run], 'x');
    expect(chunks.reduce((m, c) => Math.max(m, c.length), 0)).toBeLessThan(4096);
    expect(JSON.parse(text).runs[0].violations[0].trace).toHaveLength(140_000);
  });

  it('reads the runs lazily (an iterable, one at a time)', () => {
    let live = 0;
    let maxLive = 0;
    function* runs(): Generator<RunResult> {
      for (let i = 0; i < 5; i++) {
        live++;
        maxLive = Math.max(maxLive, live);
        yield { ...sampleRuns()[0], seed: i };
        live--;
      }
    }
    const chunks: string[] = [];
    writeResultsJson((c) => chunks.push(c), runs(), 'x');
    expect(maxLive).toBe(1);
    expect(JSON.parse(chunks.join('')).summary.runs).toBe(5);
  });
});

describe('htmlReportChunks and csvChunks', () => {
  it('the HTML report of a 140,000-step trace comes out in chunks of bounded size, all rows present', () => {
    const run = longTraceRun(140_000);
    const chunks = [...htmlReportChunks([run], { generatedAt: '2024-01-01T00:00:00Z' })];
    const largest = chunks.reduce((m, c) => Math.max(m, c.length), 0);
    expect(largest).toBeLessThan(2 * 1024 * 1024);
    const html = chunks.join('');
    expect(html.match(/<tr data-step=/g)).toHaveLength(140_000);
    expect(html).toBe(renderHtmlReport([run], { generatedAt: '2024-01-01T00:00:00Z' }));
  });

  it('CSV in chunks is the CSV, header first, one piece per run', () => {
    const runs = sampleRuns();
    const chunks = [...csvChunks(runs)];
    expect(chunks.join('')).toBe(renderCsv(runs));
    expect(chunks[0].split('\r\n')[0]).toBe('run_id,scenario,strategy,mode,seed,status,key,value');
    expect([...csvChunks([])].join('')).toBe('run_id,scenario,strategy,mode,seed,status,key,value\r\n');
  });
});
