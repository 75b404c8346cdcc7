/**
 * `import` reads the file one run at a time (issue 11): the result equals
 * importing the parsed document, whatever the field order, whitespace or
 * chunk boundaries; malformed files and runs past the documented limits
 * (trace steps per violation) fail with a clear error and write nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult, TraceStep } from '../../core/results.ts';
import { DbInputError, LabDb, MAX_TRACE_STEPS } from '../../db/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-import-stream-');
afterAll(() => rmTmp(dir));

let files = 0;
function file(text: string | Buffer): string {
  const f = path.join(dir, `doc-${++files}.json`);
  fs.writeFileSync(f, text);
  return f;
}
function freshDb(): LabDb {
  return LabDb.open(path.join(dir, `db-${++files}.db`));
}

function uuid(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

function run(i: number, extra: Partial<RunResult> & Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uuid(i),
    scenario: 'thread-race',
    strategy: 'upstream',
    mode: 'random',
    seed: i,
    status: 'completed',
    violations: [],
    violationCounts: {},
    metrics: { 'sim.steps': i },
    ...extra,
  };
}

/** The stored runs, without the import times (a run that carries no startedAt/finishedAt gets "now"). */
function stored(db: LabDb): unknown[] {
  return db.listRuns().map((r) => ({ ...db.getRun(r.id), startedAt: undefined, finishedAt: undefined }));
}

describe('importResultsFile equals importResults of the parsed document', () => {
  const tricky = 'braces } { ] [ , : and "quotes" and \\ backslashes and \u20ac\u{1F600} and \n newlines';
  const doc = {
    schema: 'ptlab.results/1',
    version: '0.1.5',
    runs: [
      run(1, { note: tricky, tags: ['a', 'b'] }),
      // A run of 1.8 MB: its multi-byte characters straddle the reader's 1 MiB pieces.
      run(2, { note: '\u20ac'.repeat(600_000), config: { nested: [[[{ deep: '}' }]]] } }),
      run(3),
    ],
    summary: { runs: 3, byStrategy: {} },
  };

  it.each([
    ['pretty-printed', JSON.stringify(doc, null, 2)],
    ['compact', JSON.stringify(doc)],
    ['runs first, then schema and version, with odd whitespace and a BOM', `\ufeff \r\n{ "runs" :\t${JSON.stringify(doc.runs)} , "version":"0.1.5","schema" : "ptlab.results/1" }\n\n`],
  ])('%s', (_name, text) => {
    const a = freshDb();
    const b = freshDb();
    try {
      const ids = a.importResultsFile(file(text));
      expect(ids).toEqual([uuid(1), uuid(2), uuid(3)]);
      b.importResults(JSON.parse(JSON.stringify(doc)));
      expect(stored(a)).toEqual(stored(b));
      expect(a.getRun(uuid(1))!.note).toBe(tricky);
      expect(a.getRun(uuid(1))!.version).toBe('0.1.5');
    } finally {
      a.close();
      b.close();
    }
  });

  it('an empty runs array imports nothing', () => {
    const db = freshDb();
    expect(db.importResultsFile(file('{"schema":"ptlab.results/1","runs":[]}'))).toEqual([]);
    db.close();
  });
});

describe('bad files write nothing and name the problem', () => {
  const good = JSON.stringify({ schema: 'ptlab.results/1', runs: [run(1), run(2)] });
  it.each([
    ['truncated', good.slice(0, good.length - 10), /not valid JSON/],
    ['trailing data', `${good} {}`, /unexpected data after the document/],
    ['a missing comma between runs', good.replace('},{', '}{'), /expected ',' or '\]' after a run/],
    ['not an object', '[1,2]', /expected a JSON object/],
    ['runs not an array', '{"schema":"ptlab.results/1","runs":{"a":1}}', /runs: expected an array, got an object/],
    ['no runs', '{"schema":"ptlab.results/1"}', /runs: expected an array of runs, but it is missing/],
    ['two runs fields', `{"schema":"ptlab.results/1","runs":[],"runs":[]}`, /runs: expected one field of this name/],
    ['wrong schema after the runs', `{"runs":[${JSON.stringify(run(1))}],"schema":"ptlab.results/9"}`, /schema: expected "ptlab.results\/1"/],
    ['a bad run in the middle', JSON.stringify({ schema: 'ptlab.results/1', runs: [run(1), run(2, { seed: 'x' as unknown as number }), run(3)] }), /runs\[1\]\.seed: expected an integer/],
    ['a broken run in the middle', good.replace('"seed":2', '"seed":2,,'), /runs\[1\]/],
  ])('%s', (_name, text, message) => {
    const db = freshDb();
    try {
      expect(() => db.importResultsFile(file(text))).toThrow(message);
      expect(db.countRuns()).toBe(0);
    } finally {
      db.close();
    }
  });

  it(`a trace longer than ${MAX_TRACE_STEPS.toLocaleString('en-US')} steps is refused, naming the limit (also from the CLI: exit 2)`, () => {
    const step: TraceStep = { step: 1, timeNs: null, cpu: 0, actor: 'a', function: 'f', action: 'x', address: '', frame: null, locks: [] };
    const trace = Array.from({ length: MAX_TRACE_STEPS + 1 }, () => step);
    const big = file(
      JSON.stringify({ schema: 'ptlab.results/1', runs: [run(1, { violations: [{ kind: 'stale-tlb', step: 1, cpu: 0, actor: 'a', function: 'f', address: '', message: '', trace }], violationCounts: { 'stale-tlb': 1 } })] }),
    );
    const db = freshDb();
    try {
      expect(() => db.importResultsFile(big)).toThrow(DbInputError);
      expect(() => db.importResultsFile(big)).toThrow(/runs\[0\]\.violations\[0\]\.trace: expected at most 200,000 steps .*got 200,001/);
      expect(db.countRuns()).toBe(0);
    } finally {
      db.close();
    }
    const cliDb = path.join(dir, 'cli.db');
    const r = runCli(['import', big, '--db', cliDb]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab: runs\[0\]\.violations\[0\]\.trace: expected at most 200,000 steps/);
  });

  it('saving a run with a trace past the limit through the API is refused too', () => {
    const db = freshDb();
    try {
      const trace = Array.from({ length: MAX_TRACE_STEPS + 1 }, (): TraceStep => ({ step: 1, timeNs: null, cpu: 0, actor: 'a', function: 'f', action: 'x', address: '', frame: null, locks: [] }));
      const r = { ...(run(1) as unknown as RunResult), id: null, violations: [{ kind: 'stale-tlb' as const, step: 1, cpu: 0, actor: 'a', function: 'f', address: '', message: '', trace }] };
      expect(() => db.saveRunResult(r, { version: 'x' })).toThrow(/at most 200,000 steps/);
    } finally {
      db.close();
    }
  });

  it('a file that does not exist is a clear error', () => {
    const db = freshDb();
    expect(() => db.importResultsFile(path.join(dir, 'nope.json'))).toThrow(/cannot read .*nope\.json: ENOENT/);
    db.close();
  });
});
