/**
 * The saved history through the CLI (SPEC §4, §6): a saved run reads back as
 * printed; list and its filters; compare with an HTML report; export as
 * csv/json/html; delete; import (round trip, and refusal of a bad file with
 * the database unchanged).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListJson, type ResultsJson, type RunJson, rmTmp, runCli, runCliJson, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir();
const db = path.join(dir, 'history.db');
afterAll(() => rmTmp(dir));

const V6_SEEDS = 5;
const exportFile = path.join(dir, 'export.json');
let v6: RunJson[];
let safe: RunJson;
let violating: RunJson;

const listIds = (...filters: string[]): string[] => runCliJson<ListJson>(['list', '--json', '--db', db, ...filters]).runs.map((r) => r.id).sort();
const show = (id: string): RunJson => runCliJson<RunJson>(['show', id, '--json', '--db', db]);

/** The contract fields of a run that must survive saving, exporting and importing. */
function contract(r: RunJson): Record<string, unknown> {
  return {
    scenario: r.scenario,
    strategy: r.strategy,
    mode: r.mode,
    seed: r.seed,
    status: r.status,
    violations: r.violations,
    violationCounts: r.violationCounts,
    metrics: r.metrics,
    schedule: r.schedule,
  };
}

function externalRefs(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\/[^"'\s>]*/gi)].map((m) => m[0]);
}

beforeAll(() => {
  console.log(`[history] thread-race v5-reviewed seeds 1..${V6_SEEDS} tagged x; thread-race upstream seed 1`);
  v6 = runCliJson<ResultsJson>(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', String(V6_SEEDS), '--json', '--tag', 'x', '--db', db]).runs;
  safe = runCliJson<ResultsJson>(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--seed', '1', '--json', '--db', db]).runs[0];
  violating = v6.find((r) => r.violations.length > 0)!;
});

describe('a saved run reads back exactly as printed', () => {
  it('runs saved with --db get ids', () => {
    expect(v6).toHaveLength(V6_SEEDS);
    for (const r of [...v6, safe]) expect(typeof r.id).toBe('string');
    expect(violating, `v5-reviewed finds a violation on thread-race within seeds 1..${V6_SEEDS}`).toBeDefined();
    expect(safe.violations).toHaveLength(0);
  });

  it('show --json of a violating run equals the printed run (violations with traces, counts, metrics, schedule)', () => {
    const stored = show(violating.id!);
    expect(stored.id).toBe(violating.id);
    expect(contract(stored)).toEqual(contract(violating));
  });

  it('show --json of a safe run (by id prefix) equals the printed run', () => {
    const stored = show(safe.id!.slice(0, 8));
    expect(stored.id).toBe(safe.id);
    expect(contract(stored)).toEqual(contract(safe));
  });
});

describe('ptlab list', () => {
  it('lists every saved run, completed', () => {
    const all = runCliJson<ListJson>(['list', '--json', '--db', db]);
    expect(all.schema).toBe('ptlab.list/1');
    expect(all.runs.map((r) => r.id).sort()).toEqual([...v6, safe].map((r) => r.id).sort());
    for (const r of all.runs) expect(r.status).toBe('completed');
  });

  it('--strategy filters by strategy', () => {
    expect(listIds('--strategy', 'upstream')).toEqual([safe.id]);
  });

  it('--verdict safe / violation split the runs by whether they found a violation', () => {
    const all = [...v6, safe];
    expect(listIds('--verdict', 'safe')).toEqual(all.filter((r) => r.violations.length === 0).map((r) => r.id).sort());
    expect(listIds('--verdict', 'violation')).toEqual(all.filter((r) => r.violations.length > 0).map((r) => r.id).sort());
  });

  it('--tag finds the runs tagged by `run --tag`', () => {
    expect(listIds('--tag', 'x')).toEqual(v6.map((r) => r.id).sort());
  });
});

describe('ptlab compare and export', () => {
  it('compare two ids with --report writes a self-contained HTML report', () => {
    const file = path.join(dir, 'reports', 'compare.html');
    const r = runCli(['compare', safe.id!, violating.id!, '--report', file, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('upstream');
    expect(r.stdout).toContain('v5-reviewed');
    expect(fs.existsSync(file)).toBe(true);
    const html = fs.readFileSync(file, 'utf8');
    expect(html.toLowerCase()).toContain('<html');
    expect(externalRefs(html), 'no network references').toEqual([]);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?(?!#|data:)/i);
  });

  it('export --format csv has a row per metric of each run', () => {
    const r = runCli(['export', safe.id!, violating.id!, '--format', 'csv', '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parseCsv(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((x) => x.run_id))).toEqual(new Set([safe.id, violating.id]));
    const steps = rows.find((x) => x.run_id === violating.id && x.key === 'sim.steps');
    expect(Number(steps?.value)).toBe(violating.metrics['sim.steps']);
  });

  it('export --format json is a ptlab.results/1 document of the runs', () => {
    const r = runCli(['export', safe.id!, violating.id!, '--format', 'json', '--out', exportFile, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(fs.readFileSync(exportFile, 'utf8')) as ResultsJson;
    expect(doc.schema).toBe('ptlab.results/1');
    expect(doc.runs.map((r) => r.id)).toEqual([safe.id, violating.id]);
    expect(contract(doc.runs[1])).toEqual(contract(violating));
  });

  it('export --format html --out writes a self-contained report', () => {
    const file = path.join(dir, 'export.html');
    const r = runCli(['export', violating.id!, '--format', 'html', '--out', file, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html.toLowerCase()).toContain('<html');
    expect(html).toContain(violating.violations[0].kind);
    expect(externalRefs(html)).toEqual([]);
  });
});

describe('ptlab delete and import', () => {
  it('delete, then import of the exported JSON restores the runs exactly (round trip)', () => {
    const ids = [safe.id!, violating.id!];
    const before = JSON.parse(fs.readFileSync(exportFile, 'utf8')) as ResultsJson;
    expect(before.runs.map((r) => r.id)).toEqual(ids);

    const del = runCli(['delete', ...ids, '--db', db]);
    expect(del.status, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/deleted 2 run/);
    expect(listIds()).toEqual(v6.filter((r) => r.id !== violating.id).map((r) => r.id).sort());

    const imp = runCli(['import', exportFile, '--db', db]);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/imported 2 run/);
    const after = runCliJson<ResultsJson>(['export', ...ids, '--format', 'json', '--db', db]);
    expect(after.runs.map((r) => r.id)).toEqual(ids);
    expect(after.runs.map(contract)).toEqual(before.runs.map(contract));
    expect(listIds()).toEqual([...v6, safe].map((r) => r.id).sort());
  });

  it('a malformed file is refused with exit 2 naming the field, and the database is unchanged', () => {
    const good = JSON.parse(fs.readFileSync(exportFile, 'utf8')) as ResultsJson;
    const n = [...v6, safe].length;
    const badFile = path.join(dir, 'bad.json');

    // First run is new and valid, second is bad: all or nothing.
    const bad = structuredClone(good);
    bad.runs[0].id = randomUUID();
    (bad.runs[1] as unknown as Record<string, unknown>).seed = 'not-a-seed';
    fs.writeFileSync(badFile, JSON.stringify(bad));
    const r = runCli(['import', badFile, '--db', db]);
    expect(r.status).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab:/);
    expect(r.errLines[0]).toContain('runs[1].seed');

    const bad2 = structuredClone(good);
    bad2.runs[0].id = randomUUID();
    bad2.runs[0].violations = [{ kind: 'no-such-kind' } as unknown as RunJson['violations'][number]];
    const badFile2 = path.join(dir, 'bad2.json');
    fs.writeFileSync(badFile2, JSON.stringify(bad2));
    const r2 = runCli(['import', badFile2, '--db', db]);
    expect(r2.status).toBe(2);
    expect(r2.errLines).toHaveLength(1);
    expect(r2.errLines[0]).toContain('runs[0].violations[0].kind');

    const badFile3 = path.join(dir, 'bad3.json');
    fs.writeFileSync(badFile3, '{"schema": "ptlab.results/1", "runs": [');
    const r3 = runCli(['import', badFile3, '--db', db]);
    expect(r3.status).toBe(2);
    expect(r3.errLines).toHaveLength(1);
    expect(r3.errLines[0]).toMatch(/^ptlab:/);

    // Row count unchanged, and the valid first run of the half-bad file was not written.
    const ids = listIds();
    expect(ids).toHaveLength(n);
    expect(ids).not.toContain(bad.runs[0].id);
    expect(ids).not.toContain(bad2.runs[0].id);
  });
});
