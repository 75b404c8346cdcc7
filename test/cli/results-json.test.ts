/**
 * `ptlab run --json`: the ptlab.results/1 shape (SPEC §6) and determinism
 * (SPEC §2.7: every run replays bit-identically; a run gives the same result
 * wherever it runs, worker-generated workload or not).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ResultsJson, runCliJson, stripWall } from '../helpers/cli.ts';

const VIOLATION_KINDS = ['uaf-table-write', 'uaf-table-read', 'stale-tlb', 'stale-walk-cache', 'free-before-clear', 'lost-mapping', 'sleep-in-atomic', 'deadlock', 'bbm-violation'];
const HEX16 = /^[0-9a-fA-F]{16}$/;

const RANDOM_ARGS = ['run', '--scenario', 'thread-race', '--seeds', '5', '--json', '--no-save'];
const TIMED_ARGS = ['run', '--scenario', 'head-to-head', '--set', 'run.durationNs=5000000', '--strategy', 'opt2', '--mode', 'timed', '--json', '--no-save'];

let randomDoc: ResultsJson;

beforeAll(() => {
  console.log('[results-json] thread-race, all strategies, seeds 1..5 (random mode)');
  randomDoc = runCliJson<ResultsJson>(RANDOM_ARGS);
});

describe('ptlab run --json shape', () => {
  it('is one ptlab.results/1 document with one run per strategy × seed', () => {
    expect(randomDoc.schema).toBe('ptlab.results/1');
    expect(Array.isArray(randomDoc.runs)).toBe(true);
    expect(randomDoc.runs).toHaveLength(7 * 5);
    expect(randomDoc.summary).toBeTypeOf('object');
    const strategies = new Set(randomDoc.runs.map((r) => r.strategy));
    expect([...strategies].sort()).toEqual(['opt1', 'opt2', 'opt3', 'upstream', 'v5', 'v5-reviewed', 'v6']);
  });

  it('every run has the contract fields', () => {
    for (const r of randomDoc.runs) {
      expect(r).toHaveProperty('id');
      expect(r.id === null || typeof r.id === 'string').toBe(true);
      expect(r.scenario).toBe('thread-race');
      expect(typeof r.strategy).toBe('string');
      expect(r.mode).toBe('random');
      expect(Number.isInteger(r.seed)).toBe(true);
      expect(r.seed).toBeGreaterThanOrEqual(1);
      expect(r.seed).toBeLessThanOrEqual(5);
      expect(r.status).toBe('completed');
      expect(Array.isArray(r.violations)).toBe(true);
      expect(r.violationCounts).toBeTypeOf('object');
      expect(r.metrics).toBeTypeOf('object');
      for (const [k, v] of Object.entries(r.metrics)) expect(typeof v, `metric ${k}`).toBe('number');
      for (const key of ['sim.steps', 'wall.ms', 'pgtable.leaked_pages', 'tlbi.page']) expect(r.metrics, key).toHaveProperty([key]);
    }
  });

  it('violations carry kind, step, cpu, actor, function, address and a trace', () => {
    const violations = randomDoc.runs.flatMap((r) => r.violations.map((v) => ({ r, v })));
    expect(violations.length, 'v5 and v5-reviewed find violations on thread-race within 5 seeds').toBeGreaterThan(0);
    for (const { r, v } of violations) {
      const where = `${r.strategy} seed ${r.seed} ${v.kind}`;
      expect(VIOLATION_KINDS, where).toContain(v.kind);
      expect(Number.isInteger(v.step), where).toBe(true);
      expect(v, where).toHaveProperty('cpu');
      expect(typeof v.actor, where).toBe('string');
      expect(typeof v.function, where).toBe('string');
      expect(v.function.length, where).toBeGreaterThan(0);
      expect(v, where).toHaveProperty('address');
      expect(Array.isArray(v.trace), where).toBe(true);
      expect(v.trace.length, where).toBeGreaterThan(0);
      expect(r.violationCounts[v.kind], `${where}: counted in violationCounts`).toBeGreaterThanOrEqual(1);
      for (const s of v.trace) {
        expect(Number.isInteger(s.step), where).toBe(true);
        expect(s.step, `${where}: trace steps lead up to the violation`).toBeLessThanOrEqual(v.step);
        expect(typeof s.function, where).toBe('string');
      }
    }
  });

  it('every address in violations and traces is a full 64-bit address (16 hex digits)', () => {
    let checked = 0;
    for (const r of randomDoc.runs) {
      for (const v of r.violations) {
        // An empty/null address means "this step touches no address" (e.g. spin_lock); any address given is full.
        const addrs = [v.address, ...v.trace.map((s) => s.address)].filter((a) => a !== '' && a !== null && a !== undefined);
        for (const a of addrs) {
          expect(String(a), `${r.strategy} seed ${r.seed} ${v.kind}`).toMatch(HEX16);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('violationCounts use the stable kinds and agree with the violations.<kind> metrics', () => {
    for (const r of randomDoc.runs) {
      for (const [k, n] of Object.entries(r.violationCounts)) {
        expect(VIOLATION_KINDS).toContain(k);
        expect(n).toBeGreaterThanOrEqual(1);
        if (`violations.${k}` in r.metrics) expect(r.metrics[`violations.${k}`], `${r.strategy} seed ${r.seed} ${k}`).toBe(n);
      }
    }
  });
});

describe('determinism', () => {
  it('thread-race --seeds 5 twice: identical JSON apart from wall.ms', () => {
    const again = runCliJson<ResultsJson>(RANDOM_ARGS);
    expect(stripWall(again)).toEqual(stripWall(randomDoc));
  });

  it('short timed head-to-head run: identical twice, and with or without the workload worker (--no-worker)', () => {
    console.log('[results-json] head-to-head opt2 timed 5 ms, seed 1: worker ×2, --no-worker ×1');
    const a = runCliJson<ResultsJson>(TIMED_ARGS);
    expect(a.runs).toHaveLength(1);
    expect(a.runs[0].mode).toBe('timed');
    expect(a.runs[0].metrics['vmalloc.ops']).toBeGreaterThan(0);
    const b = runCliJson<ResultsJson>(TIMED_ARGS);
    const inProcess = runCliJson<ResultsJson>([...TIMED_ARGS, '--no-worker']);
    // Everything but the time series first (the clearer message), then the whole document.
    const noSeries = (d: ResultsJson): ResultsJson => {
      const c = stripWall(d);
      for (const r of c.runs) delete r.series;
      return c;
    };
    expect(noSeries(b), 'same command twice (without series)').toEqual(noSeries(a));
    expect(noSeries(inProcess), 'worker vs --no-worker (without series)').toEqual(noSeries(a));
    expect(stripWall(b), 'same command twice').toEqual(stripWall(a));
    expect(stripWall(inProcess), 'worker vs --no-worker').toEqual(stripWall(a));
  });
});
