/**
 * Golden files (test/core/golden/): what users read and script against,
 * byte for byte, so a refactor or a speed-up of the engine cannot change it
 * unnoticed — the README's trace (`ptlab run --scenario thread-race
 * --strategy v5-reviewed --seed 3 --no-save`), explore's counterexample for
 * every strategy a race preset finds unsafe, and head-to-head's metrics and
 * series over a short timed run of every strategy.
 *
 * A deliberate change (a new trace column, a new search order) updates them
 * with `npx vitest run test/core/golden.test.ts -u`; say why in the commit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explore } from '../../core/explore/index.ts';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../../core/scenario.ts';
import { STRATEGIES } from '../../core/strategies.ts';
import { ROOT, runCli } from '../helpers/cli.ts';

function preset(name: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

/** The code block under the README's "Reading a trace". */
function readmeTrace(): string[] {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const at = readme.indexOf('## Reading a trace');
  const start = readme.indexOf('```\n', at) + 4;
  const end = readme.indexOf('```', start);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((l) => l.trim() !== '');
}

describe('golden: the README trace', () => {
  it('ptlab run --scenario thread-race --strategy v5-reviewed --seed 3 --no-save prints it, and the README shows it as printed', async () => {
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seed', '3', '--no-save']);
    expect(r.status, r.stderr).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot('golden/readme-trace.txt');
    const printed = new Set(r.stdout.split('\n').map((l) => l.trimEnd()));
    for (const line of readmeTrace()) expect(printed.has(line.trimEnd()), `README line not printed: ${line}`).toBe(true);
  }, 60_000);
});

describe('golden: explore counterexamples', () => {
  // A clock that never moves: shrinking is then bounded by its replay count alone, so the result is the same on any
  // machine under any load.
  const still = (): number => 0;
  for (const name of ['thread-race', 'section-tlb', 'online-new-node']) {
    it(`${name}: the counterexample of every strategy explore finds unsafe`, async () => {
      const sc = preset(name);
      const out: Record<string, unknown> = {};
      for (const st of STRATEGIES) {
        const r = explore(sc, st, { now: still });
        if (r.verdict !== 'violation') {
          out[st.id] = r.verdict;
          continue;
        }
        const c = r.counterexample!;
        out[st.id] = { kind: c.kind, step: c.step, actor: c.actor, function: c.function, message: c.message, foundLength: c.foundLength, schedule: c.schedule.join(' '), trace: c.trace };
      }
      console.log(`${name}:`, Object.entries(out).map(([k, v]) => `${k} ${typeof v === 'string' ? v : (v as { kind: string }).kind}`).join(', '));
      await expect(`${JSON.stringify(out, null, 1)}\n`).toMatchFileSnapshot(`golden/explore-${name}.json`);
    }, 120_000);
  }
});

describe('golden: head-to-head metrics', () => {
  it('every strategy, timed, 20 simulated ms, seed 1: metrics, violations and series', async () => {
    const sc = preset('head-to-head', ['run.durationNs=20000000']);
    const out: Record<string, unknown> = {};
    for (const st of STRATEGIES) {
      const { result } = runScenario(sc, st, { mode: 'timed', seed: 1, series: true });
      out[st.id] = { metrics: result.metrics, violationCounts: result.violationCounts, series: result.series?.map((s) => `${s.name} ${s.unit}: ${s.x.map((x, i) => `${x}=${s.y[i]}`).join(' ')}`) };
    }
    await expect(`${JSON.stringify(out, null, 1)}\n`).toMatchFileSnapshot('golden/head-to-head-metrics.json');
  }, 120_000);
});
