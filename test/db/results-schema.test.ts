/**
 * Import checks a results document against core/schema/results.ts, the same
 * schema PT Lab publishes: what `ptlab run --json` and `ptlab export` write
 * conforms to the published JSON Schema (checked by ajv, a standard
 * validator), whatever that schema refuses import refuses too (with a
 * DbInputError naming the field), and fields the schema does not describe are
 * dropped rather than stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJsonSchema } from '../../core/schema/check.ts';
import { ResultsDocumentSchema } from '../../core/schema/results.ts';
import { DbInputError, LabDb } from '../../db/index.ts';
import { validateResultsDocument } from '../../db/validate.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-results-schema-');
afterAll(() => rmTmp(dir));

const { $schema: _declared, ...draft07 } = toJsonSchema(ResultsDocumentSchema);
const conforms = new Ajv().compile(draft07);

type Doc = { runs: Record<string, unknown>[] } & Record<string, unknown>;
let runJson: Doc;
let exportJson: Doc;

beforeAll(() => {
  const db = path.join(dir, 'lab.db');
  // v5 on thread-race finds the race on some seeds: the document then carries violations and traces.
  const run = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5,upstream', '--seeds', '6', '--json', '--tag', 'schema', '--db', db]);
  expect(run.status, run.stderr).toBe(0);
  runJson = JSON.parse(run.stdout) as Doc;
  const ids = (JSON.parse(runCli(['list', '--json', '--db', db]).stdout) as { runs: { id: string }[] }).runs;
  const out = path.join(dir, 'export.json');
  const exp = runCli(['export', '--format', 'json', '--out', out, '--db', db, ...ids.map((r) => r.id)]);
  expect(exp.status, exp.stderr).toBe(0);
  exportJson = JSON.parse(fs.readFileSync(out, 'utf8')) as Doc;
});

function importError(doc: unknown): DbInputError | null {
  try {
    validateResultsDocument(doc);
    return null;
  } catch (e) {
    if (!(e instanceof DbInputError)) throw e;
    return e;
  }
}

describe('the published results JSON Schema', () => {
  it('accepts what ptlab run --json writes, violations and traces included', () => {
    expect(runJson.runs.some((r) => (r.violations as unknown[]).length > 0), 'the sample has a violation').toBe(true);
    expect(conforms(runJson), JSON.stringify(conforms.errors)).toBe(true);
    expect(importError(runJson)).toBeNull();
  });

  it('accepts what ptlab export --format json writes, stored-run fields included', () => {
    expect(exportJson.runs[0]).toHaveProperty('startedAt');
    expect(exportJson.runs[0]).toHaveProperty('tags', ['schema']);
    expect(conforms(exportJson), JSON.stringify(conforms.errors)).toBe(true);
    expect(importError(exportJson)).toBeNull();
  });

  it(`import refuses whatever the schema refuses, naming the field (fast-check seed 20261209)`, () => {
    console.log('[results-schema] fast-check seed 20261209');
    const run = exportJson.runs.find((r) => (r.violations as unknown[]).length > 0)!;
    const fields = ['id', 'scenario', 'strategy', 'mode', 'seed', 'status', 'violations', 'violationCounts', 'metrics', 'schedule', 'startedAt', 'finishedAt', 'tags', 'note', 'ownerPid', 'strategyKnobs', 'sets', 'version'];
    const stepFields = ['step', 'timeNs', 'cpu', 'actor', 'function', 'action', 'address', 'frame', 'locks'];
    const mutation = fc.oneof(
      fc.record({ where: fc.constant('run' as const), key: fc.constantFrom(...fields), value: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ where: fc.constant('step' as const), key: fc.constantFrom(...stepFields), value: fc.jsonValue({ maxDepth: 2 }) }),
    );
    let refused = 0;
    fc.assert(
      fc.property(mutation, ({ where, key, value }) => {
        const r = structuredClone(run);
        const target = where === 'run' ? r : ((r.violations as { trace: Record<string, unknown>[] }[])[0].trace[0]);
        target[key] = value;
        const doc = { ...exportJson, runs: [r] };
        const e = importError(doc);
        if (!conforms(doc)) {
          expect(e, `${where}.${key} = ${JSON.stringify(value)}`).not.toBeNull();
          refused++;
        }
        if (e) expect(e.path, e.message).toMatch(/^runs\[0\]/);
      }),
      { seed: 20261209, numRuns: 600 },
    );
    expect(refused).toBeGreaterThan(100);
  });
});

describe('fields the schema does not describe', () => {
  it('are dropped on import, at every depth', () => {
    const run = structuredClone(runJson.runs.find((r) => (r.violations as unknown[]).length > 0)!);
    const violation = (run.violations as Record<string, unknown>[])[0];
    const step = (violation.trace as Record<string, unknown>[])[0];
    run.fromTheFuture = 1;
    violation.severity = 'high';
    step.registers = { x0: 1 };
    const db = LabDb.open(path.join(dir, 'extra.db'));
    try {
      const [id] = db.importResults({ ...runJson, runs: [run] });
      const stored = db.getRun(id)!;
      expect(stored).not.toHaveProperty('fromTheFuture');
      expect(stored.violations[0]).not.toHaveProperty('severity');
      expect(stored.violations[0].trace[0]).not.toHaveProperty('registers');
      expect(stored.violations[0].trace[0]).toEqual(Object.fromEntries(Object.entries(step).filter(([k]) => k !== 'registers')));
    } finally {
      db.close();
    }
  });
});
