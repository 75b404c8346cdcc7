import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ResultsDocument, RunResult } from '../../core/results.ts';
import {
  METRICS_CSV_COLUMNS,
  VIOLATIONS_CSV_COLUMNS,
  renderCsv,
  renderJson,
  renderViolationsCsv,
} from '../../electron/report/index.ts';
import { UAF, UAF_ADDRESS, sampleRuns } from './fixtures.ts';

function parseCsv(text: string): string[][] {
  return parse(text, { relax_column_count: false, record_delimiter: '\r\n' }) as string[][];
}

/** A run whose names need every kind of RFC 4180 quoting. */
function awkward(): RunResult {
  const base = sampleRuns()[0];
  return {
    ...base,
    id: null,
    scenario: 'thread-race, "tiny"\r\nsecond line',
    strategy: 'opt2 "guarded"',
    seed: 7,
    metrics: { 'vmalloc.latency_ns.p99': 1234.5, 'sim.steps': 1e21, 'lock.a,b.wait_ns.total': -3 },
    violations: [{ ...UAF, message: 'wrote "pmd" into freed table,\nthen crashed' }],
  };
}

describe('renderCsv', () => {
  it('writes one row per (run, metric key) that parses back', () => {
    const runs = sampleRuns();
    const text = renderCsv(runs);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...METRICS_CSV_COLUMNS]);
    const body = rows.slice(1);
    const total = runs.reduce((n, r) => n + Object.keys(r.metrics).length, 0);
    expect(body).toHaveLength(total);
    for (const row of body) expect(row).toHaveLength(METRICS_CSV_COLUMNS.length);
    const p99 = body.find((r) => r[0] === 'run-opt2' && r[6] === 'vmalloc.latency_ns.p99');
    expect(p99).toEqual(['run-opt2', 'head-to-head', 'opt2', 'timed', '42', 'completed', 'vmalloc.latency_ns.p99', '9875']);
    // keys in report order within a run
    const v6keys = body.filter((r) => r[0] === 'run-v6').map((r) => r[6]);
    expect(v6keys.slice(0, 3)).toEqual(['vmalloc.ops', 'vmalloc.latency_ns.p50', 'vmalloc.latency_ns.p90']);
    expect(v6keys.at(-1)).toBe('violations.uaf-table-write');
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and round-trips them', () => {
    const r = awkward();
    const text = renderCsv([r]);
    expect(text).toContain('"thread-race, ""tiny""\r\nsecond line"');
    expect(text).toContain('"opt2 ""guarded"""');
    const rows = parseCsv(text).slice(1);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row[0]).toBe('');
      expect(row[1]).toBe(r.scenario);
      expect(row[2]).toBe(r.strategy);
      expect(Number(row[7])).toBe(r.metrics[row[6]]);
    }
    expect(rows.map((x) => x[6])).toEqual(['vmalloc.latency_ns.p99', 'lock.a,b.wait_ns.total', 'sim.steps']);
  });

  it('writes just the header for no runs', () => {
    expect(parseCsv(renderCsv([]))).toEqual([[...METRICS_CSV_COLUMNS]]);
  });
});

describe('renderViolationsCsv', () => {
  it('writes one row per violation that parses back', () => {
    const runs = [...sampleRuns(), awkward()];
    const rows = parseCsv(renderViolationsCsv(runs));
    expect(rows[0]).toEqual([...VIOLATIONS_CSV_COLUMNS]);
    expect(rows.slice(1)).toEqual([
      ['run-v6', 'head-to-head', 'v6', 'timed', '42', 'uaf-table-write', '124', '1', 'vmalloc#1', '__pte_alloc_kernel', UAF_ADDRESS, UAF.message, '5'],
      [
        '',
        'thread-race, "tiny"\r\nsecond line',
        'opt2 "guarded"',
        'timed',
        '7',
        'uaf-table-write',
        '124',
        '1',
        'vmalloc#1',
        '__pte_alloc_kernel',
        UAF_ADDRESS,
        'wrote "pmd" into freed table,\nthen crashed',
        '5',
      ],
    ]);
  });
});

describe('renderJson', () => {
  it('writes a ptlab.results/1 document with a per-strategy summary', () => {
    const runs = [...sampleRuns(), { ...sampleRuns()[0], id: 'run-v6-b', seed: 43, violations: [], violationCounts: {} }];
    const text = renderJson(runs, '0.1.0');
    const doc = JSON.parse(text) as ResultsDocument;
    expect(doc.schema).toBe('ptlab.results/1');
    expect(doc.version).toBe('0.1.0');
    expect(doc.runs).toHaveLength(4);
    expect(doc.runs[0].violations[0].trace.map((s) => s.step)).toEqual([118, 121, 122, 123, 124]);
    expect(doc.runs[0].violations[0].address).toBe(UAF_ADDRESS);
    expect(doc.runs[1].metrics['vmalloc.latency_ns.p99']).toBe(9875);
    expect(doc.summary).toEqual({
      runs: 4,
      byStrategy: {
        v6: { runs: 2, violating: 1, kinds: { 'uaf-table-write': 1 } },
        opt2: { runs: 1, violating: 0, kinds: {} },
        upstream: { runs: 1, violating: 0, kinds: {} },
      },
    });
    // only the documented top-level fields
    expect(Object.keys(doc).sort()).toEqual(['runs', 'schema', 'summary', 'version']);
  });

  it('counts the runs in which each kind occurred, from violationCounts even when traces were not all kept', () => {
    const r: RunResult = { ...sampleRuns()[0], violationCounts: { 'uaf-table-write': 7, 'stale-tlb': 2 } };
    const doc = JSON.parse(renderJson([r, r], 'x')) as ResultsDocument;
    expect(doc.summary.byStrategy.v6).toEqual({ runs: 2, violating: 2, kinds: { 'uaf-table-write': 2, 'stale-tlb': 2 } });
  });
});
