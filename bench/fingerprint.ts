/**
 * A fingerprint of many runs' outputs, for engine work that must not change
 * them: random, pct and timed runs of every strategy over the presets, and
 * explore's verdict on thread-race, each hashed. The first call writes the
 * file; later calls compare against it and name what differs. Run it on the
 * unchanged tree first, then after each change (a development tool, not a test:
 * the golden files and test/core check the results themselves).
 *
 *   node bin/bundled.mjs bench/fingerprint.ts <file.json>
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { explore } from '../core/explore/index.ts';
import { findPreset } from '../core/presets.ts';
import { runScenario } from '../core/run/runner.ts';
import { applyOverride, parseScenario, type Scenario } from '../core/scenario.ts';
import { STRATEGIES } from '../core/strategies.ts';

function scenario(name: string, sets: string[] = []): Scenario {
  let doc: unknown = findPreset(name)!.doc;
  for (const s of sets) doc = applyOverride(doc, s);
  return parseScenario(doc);
}

const hash = (x: unknown): string => createHash('sha1').update(JSON.stringify(x)).digest('hex').slice(0, 16);

export function fingerprint(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['thread-race', 'section-tlb', 'ptdump-race', 'ptdump-check-wx', 'online-new-node']) {
    const sc = scenario(name);
    for (const st of STRATEGIES) {
      for (let seed = 1; seed <= (name === 'ptdump-check-wx' ? 3 : 10); seed++) out[`random/${name}/${st.id}/${seed}`] = hash(runScenario(sc, st, { mode: 'random', seed }).result);
    }
  }
  const timed: [string, string[], number][] = [
    ['head-to-head', ['run.durationNs=40000000'], 1],
    ['head-to-head', ['run.durationNs=40000000'], 3],
    ['scaling', ['run.durationNs=5000000', 'vmallocThreads=3'], 2],
    ['large', ['run.durationNs=2000000'], 5],
    ['thread-race', [], 4],
    ['ptdump-race', [], 4],
    ['online-new-node', [], 4],
  ];
  for (const st of STRATEGIES) {
    for (const [name, sets, seed] of timed) {
      const r = runScenario(scenario(name, sets), st, { mode: 'timed', seed, series: true }).result;
      out[`timed/${name}/${st.id}/${seed}`] = `${hash(r)} steps=${r.metrics['sim.steps']}`;
    }
    for (let seed = 1; seed <= 5; seed++) out[`pct/thread-race/${st.id}/${seed}`] = hash(runScenario(scenario('thread-race'), st, { mode: 'pct', seed, pctDepth: 3 }).result);
    const e = explore(scenario('thread-race'), st, { now: () => 0 });
    out[`explore/thread-race/${st.id}`] = `${e.verdict} ${e.complete} ${e.counterexample ? `${e.counterexample.kind} ${hash(e.counterexample)}` : '-'} schedules=${e.schedules}`;
  }
  return out;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/bundled.mjs bench/fingerprint.ts <file.json>\n');
  process.exit(2);
}
const now = fingerprint();
if (!existsSync(file)) {
  writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
  process.stdout.write(`written: ${Object.keys(now).length} runs\n`);
} else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const differ = Object.keys(now).filter((k) => before[k] !== now[k]);
  for (const k of differ.slice(0, 20)) process.stdout.write(`differs: ${k}: ${before[k] ?? '(absent)'} -> ${now[k]}\n`);
  process.stdout.write(`${Object.keys(now).length} runs compared, ${differ.length} differ\n`);
  if (differ.length > 0) process.exit(1);
}
