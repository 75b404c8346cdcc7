/**
 * `ptlab replay` (SPEC §2.7, §6): a recorded schedule replays step for step;
 * a tampered one is reported as not reproduced (exit 1); a saved run id
 * replays from the database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResultsJson, rmTmp, runCli, runCliJson, tmpDir } from '../helpers/cli.ts';

interface TraceDoc {
  schema: string;
  seed: number;
  schedule: number[];
  expect: { kind: string; step: number } | null;
  [k: string]: unknown;
}

const dir = tmpDir();
const traceFile = path.join(dir, 't.json');
let trace: TraceDoc;
afterAll(() => rmTmp(dir));

beforeAll(() => {
  console.log('[replay] thread-race v5-reviewed seeds 1..30 --save-trace');
  const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', '30', '--save-trace', traceFile, '--no-save']);
  expect(r.status, r.stderr).toBe(0);
  trace = JSON.parse(fs.readFileSync(traceFile, 'utf8')) as TraceDoc;
  console.log(`[replay] trace: seed ${trace.seed}, ${trace.schedule.length} choices, expects ${trace.expect?.kind} at step ${trace.expect?.step}`);
});

function writeTampered(name: string, f: (t: TraceDoc) => void): string {
  const t = structuredClone(trace);
  f(t);
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(t));
  return file;
}

describe('ptlab replay <trace.json>', () => {
  it('the saved trace is a ptlab.trace/1 with a schedule and the violation it must hit', () => {
    expect(trace.schema).toBe('ptlab.trace/1');
    expect(trace.schedule.length).toBeGreaterThan(0);
    expect(trace.expect).not.toBeNull();
  });

  it('replays and reproduces (exit 0)', () => {
    const r = runCli(['replay', traceFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\breproduced\b/);
    expect(r.stdout).not.toMatch(/NOT reproduced|diverged/);
    expect(r.stdout).toContain(trace.expect!.kind);
  });

  it('a schedule truncated to half does not reproduce (exit 1)', () => {
    const file = writeTampered('half.json', (t) => {
      t.schedule = t.schedule.slice(0, Math.floor(t.schedule.length / 2));
    });
    const r = runCli(['replay', file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/NOT reproduced|diverged/);
  });

  it('a schedule with actor indices swapped does not reproduce (exit 1)', () => {
    const file = writeTampered('swapped.json', (t) => {
      t.schedule = t.schedule.map((a) => (a === 0 ? 1 : a === 1 ? 0 : a));
    });
    const r = runCli(['replay', file]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/NOT reproduced|diverged/);
  });

  it('a malformed trace file exits 2 naming the field', () => {
    const file = writeTampered('malformed.json', (t) => {
      (t as Record<string, unknown>).schedule = 'not a schedule';
    });
    const r = runCli(['replay', file]);
    expect(r.status).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab:.*schedule/);
  });
});

describe('ptlab replay <run-id>', () => {
  it('replays saved random-mode runs from the database', () => {
    const db = path.join(dir, 'replay.db');
    console.log('[replay] thread-race v5-reviewed seeds 1..8 saved, then replay by id');
    const doc = runCliJson<ResultsJson>(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', '8', '--json', '--db', db]);
    const bad = doc.runs.find((r) => r.violations.length > 0);
    const ok = doc.runs.find((r) => r.violations.length === 0);
    expect(bad, 'some v5-reviewed seed in 1..8 finds a violation').toBeDefined();

    const r = runCli(['replay', bad!.id!.slice(0, 8), '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\breproduced\b/);
    expect(r.stdout).not.toMatch(/NOT reproduced/);
    expect(r.stdout).toContain(bad!.violations[0].kind);

    if (ok) {
      const s = runCli(['replay', ok.id!, '--db', db]);
      expect(s.status, s.stderr).toBe(0);
      expect(s.stdout).toMatch(/reproduced: no violation/);
    }
  });
});
