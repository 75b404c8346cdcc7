/**
 * `ptlab`, the command line (SPEC §6). It drives the same LabService as the
 * app. Exit codes: 0 ran; 1 a replay no longer reproduces; 2 bad input (one
 * clear line on stderr); 3 a violation was found with --fail-on-violation;
 * 70 an internal error (a bug: one line, the stack with --debug).
 */
import { accessSync, closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { formatVA } from '../../core/arch.ts';
import { explore } from '../../core/explore.ts';
import { computeLayout, sharedTables } from '../../core/layout.ts';
import { findPreset, PRESETS } from '../../core/presets.ts';
import { type ResultsDocument, type RunResult, VIOLATION_KINDS, type ViolationKind } from '../../core/results.ts';
import { SCENARIO_SCHEMA, ScenarioError } from '../../core/scenario.ts';
import { runScenario, scenarioNotesOf, VERSION } from '../../core/runner.ts';
import { knobChoices, STRATEGIES, StrategyError } from '../../core/strategies.ts';
import { DbError, DbInputError, LabDb, MAX_IMPORT_BYTES, MAX_IMPORT_RUN_BYTES, MAX_TRACE_STEPS, resolveDbPath, type StoredRun } from '../../db/index.ts';
import { formatBytes } from '../../db/limits.ts';
import type { SimMode } from '../lab/api.ts';
import { InputError, intFlag, resolveScenario, resolveStrategies } from '../lab/resolve.ts';
import { LabService } from '../lab/service.ts';
import { csvChunks, htmlReportChunks, renderHtmlReport, summarize, writeResultsJson } from '../report/index.ts';
import { serveWebMode, untilSignal } from '../web/serve.ts';
import { describeProvenance, formatNarrative, formatResults, formatTrace, formatTraceTable, formatViolation, printedViolations, sanitizeForTerminal, scenarioLabel, strategyLabel, table } from './format.ts';
import { loadTraceFile, type TraceFile, traceFromRun } from './trace-file.ts';

class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Every line printed goes through sanitizeForTerminal: names, keys and messages come from files and the database. */
const out = (s: string): void => {
  const text = sanitizeForTerminal(s);
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Says on stderr which file a command wrote (stderr: --json keeps stdout one document). */
const wrote = (what: string): void => {
  process.stderr.write(`${sanitizeForTerminal(`wrote ${what}`)}\n`);
};

/** One line on stderr, sanitized like stdout. */
const err = (s: string): void => {
  process.stderr.write(`${sanitizeForTerminal(s).replace(/\n+$/, '')}\n`);
};

// `ptlab … | head`: a reader that goes away is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

function openDb(file: string | undefined): LabDb {
  const path = resolveDbPath(file);
  mkdirSync(dirname(path), { recursive: true });
  return LabDb.open(path);
}

/**
 * The database for a command that only reads (list, show, export, compare,
 * replay): opened as usual when this user can write it (so interrupted runs
 * get recovered and an older file upgraded), read-only otherwise, in which
 * case nothing is written beside it either (see LabDb.open).
 */
function openDbForReading(file: string | undefined): LabDb {
  const path = resolveDbPath(file);
  if (!existsSync(path)) return openDb(file);
  const writable = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  return writable(path) && writable(dirname(path)) ? LabDb.open(path) : LabDb.open(path, { readonly: true });
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function defaultMode(scenario: string, sets: string[]): SimMode {
  const { scenario: sc } = resolveScenario(scenario, sets);
  const endless = sc.sweep !== undefined || sc.actors.some((a) => ('ops' in a && a.ops === 0) || ('cycles' in a && a.kind === 'hotplug' && a.cycles === 0) || ('repeats' in a && a.repeats === 0));
  return endless ? 'timed' : 'random';
}

/**
 * Writes what `produce` emits to `file` in pieces (buffered to about 1 MiB
 * per write), or to stdout without a file. The file appears whole or not at
 * all: it is written beside its name and renamed at the end.
 */
function writeOutput(file: string | undefined, produce: (write: (chunk: string) => void) => void): void {
  if (file === undefined) {
    const tty = process.stdout.isTTY === true;
    produce((chunk) => process.stdout.write(tty ? sanitizeForTerminal(chunk) : chunk));
    return;
  }
  const partial = `${file}.partial-${process.pid}`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(partial, 'w');
    let pending: string[] = [];
    let pendingChars = 0;
    const flush = (): void => {
      if (pendingChars === 0) return;
      writeSync(fd!, pending.join(''));
      pending = [];
      pendingChars = 0;
    };
    produce((chunk) => {
      pending.push(chunk);
      pendingChars += chunk.length;
      if (pendingChars >= 1024 * 1024) flush();
    });
    flush();
    closeSync(fd);
    fd = undefined;
    renameSync(partial, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !(e instanceof DbError)) throw new InputError(`cannot write ${file}: ${code}`);
    throw e;
  }
}

function writeFile(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function buildProgram(): Command {
  const program = new Command('ptlab')
    .description('PT Lab: arm64 kernel page-table teardown during memory hot-remove — is it safe, and what does it cost?')
    .version(VERSION)
    .option('--debug', 'print the stack of an internal error')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(sanitizeForTerminal(s)), outputError: (s, write) => write(s.replace(/^error: /, 'ptlab: ')) });

  program
    .command('run')
    .description('run a scenario under one or more strategies (saved to the database unless --no-save)')
    .requiredOption('--scenario <preset|file.json>', 'preset name or scenario file')
    .option('--strategy <ids>', 'comma list of strategy ids or strategy .json files, or "all"', 'all')
    .addOption(new Option('--mode <mode>', 'timed (costs), random (seeded interleavings) or pct').choices(['timed', 'random', 'pct']))
    .option('--seed <n>', 'first seed', '1')
    .option('--seeds <n>', 'number of consecutive seeds per strategy', '1')
    .option('--cpus <n>', 'number of vmalloc CPUs (sets vmallocThreads)')
    .option('--set <path=value>', 'override a scenario field, e.g. arch.vaBits=39 (repeatable)', collect, [])
    .option('--pct-depth <d>', 'PCT bug depth', '2')
    .option('--json', 'print one ptlab.results/1 JSON document on stdout')
    .option('--no-traces', 'do not print violation traces')
    .option('--fail-on-violation', 'exit 3 if any run found a violation')
    .option('--no-save', 'do not save the runs to the database')
    .option('--db <file>', 'database file (default: $PTLAB_DB or the user data directory)')
    .option('--tag <tag>', 'tag the saved runs (repeatable)', collect, [])
    .option('--report <file.html>', 'also write a self-contained HTML report of these runs')
    .option('--save-trace <file.json>', 'write the first violation as a replayable trace file')
    .option('--no-worker', 'generate the vmalloc workload in process instead of the worker thread')
    .action(async (o) => {
      const sets: string[] = [...o.set];
      if (o.cpus !== undefined) sets.push(`vmallocThreads=${intFlag('--cpus', o.cpus, 1, 1, 256)}`);
      const mode: SimMode = o.mode ?? defaultMode(o.scenario, sets);
      const seed = intFlag('--seed', o.seed, 1);
      const seeds = intFlag('--seeds', o.seeds, 1, 1, 1_000_000);
      const pctDepth = intFlag('--pct-depth', o.pctDepth, 2, 1, 10);
      const strategies = resolveStrategies(o.strategy); // fail fast on bad ids
      const scenarioFile = findPreset(o.scenario) ? null : resolvePath(o.scenario);
      const db = o.save ? openDb(o.db) : null;
      // Ctrl-C cancels: the run in flight is saved as cancelled, finished runs are kept and printed.
      const cancel = new AbortController();
      const onSigint = (): void => {
        cancel.abort();
        process.stderr.write('\nptlab: cancelling; the run in flight is saved as cancelled (Ctrl-C again to quit now)\n');
        process.once('SIGINT', () => process.exit(130));
      };
      process.once('SIGINT', onSigint);
      try {
        const service = new LabService({ db });
        const bar = process.stderr.isTTY && !process.env.CI ? new cliProgress.SingleBar({ format: 'ptlab run [{bar}] {percentage}% | run {run}/{runs} {strategy} seed {seed}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
        bar?.start(100, 0, { run: 0, runs: 0, strategy: '', seed: 0 });
        const doc = await service.run(
          { scenario: o.scenario, sets, strategies: o.strategy, mode, seed, seeds, pctDepth, tags: o.tag, useWorker: o.worker && mode === 'timed' },
          {
            onProgress: (p) => bar?.update(Math.floor(((p.runIndex + p.fraction) / p.runCount) * 100), { run: p.runIndex + 1, runs: p.runCount, strategy: p.strategy, seed: p.seed }),
            onRun: (r) => {
              if (db && r.id) for (const t of o.tag as string[]) db.addTag(r.id, t);
              // What the run was made from, so history can tell a variant or a modified scenario from the preset.
              if (db && r.id) db.setRunProvenance(r.id, { strategyKnobs: strategies.find((s) => s.id === r.strategy)?.knobs ?? null, sets, scenarioFile });
            },
            signal: cancel.signal,
          },
        );
        bar?.stop();
        if (o.json) out(JSON.stringify(doc, null, 2));
        else out(formatResults(doc, { traces: o.traces }));
        if (o.report) {
          writeFile(o.report, renderHtmlReport(doc.runs, { title: `${o.scenario}: ${Object.keys(doc.summary.byStrategy).join(', ')}`, version: VERSION }));
          wrote(`the HTML report of these ${doc.runs.length} run(s) to ${o.report}`);
        }
        if (o.saveTrace) {
          // The first trace printed above (or that would be, under --json or --no-traces).
          const first = printedViolations(doc)[0];
          if (!first) throw new InputError('--save-trace: no run found a violation');
          const { run: r, violation: v } = first;
          writeFile(o.saveTrace, JSON.stringify(traceFromRun(r, resolveScenario(o.scenario, sets).doc, strategies.find((s) => s.id === r.strategy) ?? null, v), null, 2));
          wrote(`the trace of ${v.kind} (${r.strategy}, seed ${r.seed}, step ${v.step}) to ${o.saveTrace}; check it with \`ptlab replay ${o.saveTrace}\``);
        }
        if (o.failOnViolation && doc.runs.some((r) => r.violations.length > 0)) throw new ExitCode(3);
        if (cancel.signal.aborted) throw new ExitCode(130);
      } finally {
        process.removeListener('SIGINT', onSigint);
        db?.close();
      }
    });

  program
    .command('scenarios')
    .description('list the preset scenarios')
    .option('--json', 'as JSON (the full preset documents)')
    .option('--schema', 'print the scenario JSON Schema')
    .option('--layout <preset>', 'show the address layout and shared tables of a scenario')
    .action((o) => {
      if (o.schema) return out(JSON.stringify(SCENARIO_SCHEMA, null, 2));
      if (o.layout) return out(describeLayout(o.layout));
      if (o.json) return out(JSON.stringify(PRESETS.map((p) => ({ name: p.name, summary: p.summary, scenario: p.doc })), null, 2));
      out(table(['scenario', 'what it shows'], PRESETS.map((p) => [p.name, p.summary])));
    });

  program
    .command('strategies')
    .description('list the strategies (teardown and locking designs) and their knobs')
    .option('--json', 'as JSON')
    .action((o) => {
      if (o.json) return out(JSON.stringify({ strategies: STRATEGIES, knobs: knobChoices() }, null, 2));
      out(table(['id', 'design'], STRATEGIES.map((s) => [s.id, s.title])));
      out('');
      for (const s of STRATEGIES) out(`${s.id}: ${s.description}\n  knobs: ${JSON.stringify(s.knobs)}\n`);
    });

  program
    .command('explore')
    .description('search the interleavings systematically: a counterexample, or a proof within the bounds')
    .requiredOption('--scenario <preset|file.json>', 'preset name or scenario file')
    .option('--strategy <ids>', 'comma list of strategy ids (or "all")', 'all')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .option('--cpus <n>', 'number of vmalloc CPUs (sets vmallocThreads)')
    .option('--max-schedules <n>', 'stop after n complete executions (then bounded-safe)')
    .option('--time-limit <s>', 'stop after s seconds (then bounded-safe)')
    .option('--preemption-bound <n>', 'at most n preemptions per execution')
    .option('--kinds <kinds>', 'only these violation kinds count, e.g. uaf-table-write (default: all)')
    .option('--seed <n>', 'seed of the workload streams (the counterexample replays with it)', '1')
    .option('--json', 'print ptlab.explore/1 JSON (one document, or an array for several strategies)')
    .option('--save-trace <file.json>', 'write the counterexample as a replayable trace (first strategy with one)')
    .option('--fail-on-violation', 'exit 3 if a counterexample was found')
    .action((o) => {
      const sets: string[] = [...o.set];
      if (o.cpus !== undefined) sets.push(`vmallocThreads=${intFlag('--cpus', o.cpus, 1, 1, 256)}`);
      const { doc, scenario } = resolveScenario(o.scenario, sets);
      const strategies = resolveStrategies(o.strategy);
      const maxSchedules = o.maxSchedules === undefined ? undefined : intFlag('--max-schedules', o.maxSchedules, 0, 1);
      const timeLimit = o.timeLimit === undefined ? undefined : Number(o.timeLimit);
      if (timeLimit !== undefined && !(timeLimit > 0)) throw new InputError(`--time-limit: expected a positive number of seconds, got '${o.timeLimit}'`);
      const preemptionBound = o.preemptionBound === undefined ? null : intFlag('--preemption-bound', o.preemptionBound, 0, 0);
      const seed = intFlag('--seed', o.seed, 1);
      let kinds: ViolationKind[] | undefined;
      if (o.kinds !== undefined) {
        kinds = String(o.kinds).split(',').map((k) => k.trim()) as ViolationKind[];
        const bad = kinds.find((k) => !(VIOLATION_KINDS as readonly string[]).includes(k));
        if (bad) throw new InputError(`--kinds: unknown violation kind '${bad}' (known: ${VIOLATION_KINDS.join(', ')})`);
      }
      const docs = [];
      let found = false;
      let saved = false;
      let savedBy = '';
      for (const strategy of strategies) {
        const r = explore(scenario, strategy, { maxSchedules, timeLimitMs: timeLimit === undefined ? undefined : timeLimit * 1000, preemptionBound, seed, kinds, now: () => performance.now() });
        const d = { ...r, config: doc };
        docs.push(d);
        if (r.counterexample) found = true;
        if (o.saveTrace && r.counterexample && !saved) {
          const cx = r.counterexample;
          writeFile(o.saveTrace, JSON.stringify({ schema: 'ptlab.trace/1', scenario: doc, strategy: { id: strategy.id, knobs: strategy.knobs }, seed: r.seed, schedule: cx.schedule, expect: { kind: cx.kind, step: cx.step }, trace: cx.trace }, null, 2));
          saved = true;
          savedBy = strategy.id;
          wrote(`the counterexample of ${strategy.id} (${cx.kind}) to ${o.saveTrace}`);
        }
        if (!o.json) {
          const bound = r.complete ? 'complete' : r.counterexample ? 'stopped at the first counterexample' : `bounded by ${r.stats.cutBy.join(', ') || 'limits'}`;
          out(`${strategy.id}: ${r.verdict} (${bound}; ${r.schedules} schedules, ${r.states} states, ${(r.elapsedMs / 1000).toFixed(2)} s)`);
          if (r.counterexample) {
            const cx = r.counterexample;
            out(`  ${cx.kind}: ${cx.message}`);
            const keep = !o.saveTrace
              ? 'keep it with --save-trace FILE, check it with `ptlab replay FILE`'
              : savedBy === strategy.id
                ? `saved in ${o.saveTrace}, check it with \`ptlab replay ${o.saveTrace}\``
                : `not saved (${o.saveTrace} holds ${savedBy}'s)`;
            out(`  counterexample: ${cx.schedule.length} steps (${cx.foundLength} as first found); ${keep}`);
            out('');
            const story = formatNarrative({ narrative: cx.narrative, keySteps: cx.keySteps, trace: cx.trace });
            out(story ? `${story}\n\n${formatTraceTable(cx.trace)}` : formatTrace(cx.trace));
            out('');
          }
        }
      }
      if (o.json) out(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2));
      if (o.failOnViolation && found) throw new ExitCode(3);
    });

  program
    .command('replay')
    .description('re-run a recorded schedule step for step; exits 1 if it no longer reproduces')
    .argument('<trace>', 'a trace .json file (from --save-trace or explore) or a saved run id')
    .option('--db <file>', 'database file for run ids')
    .option('--json', 'print the replayed run as JSON')
    .action((arg: string, o) => {
      let tf: TraceFile;
      if (arg.endsWith('.json') || arg.includes('/')) tf = loadTraceFile(arg);
      else {
        const db = openDbForReading(o.db);
        try {
          const r = db.getRun(db.resolveRunId(arg));
          if (!r) throw new InputError(`no run ${arg}`);
          if (!r.schedule || r.schedule.length === 0) throw new InputError(`run ${arg} has no recorded schedule (timed runs replay from their seed: ptlab run --seed ${r.seed})`);
          tf = traceFromRun(r, r.config, null);
        } finally {
          db.close();
        }
      }
      const ok = replayTrace(tf, o.json === true);
      if (!ok) throw new ExitCode(1);
    });

  program
    .command('serve')
    .description('serve the app in your browser (web mode): the lab on 127.0.0.1 with a one-time token in the printed URL')
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--host <address>', 'listen on this address instead of loopback (prints a warning: others on the network could reach it)')
    .option('--db <file>', 'database file (default: $PTLAB_DB or the user data directory)')
    .option('--no-open', 'do not open the browser')
    .action(async (o) => {
      const port = o.port === undefined ? undefined : intFlag('--port', o.port, 0, 0, 65535);
      let serving;
      try {
        serving = await serveWebMode({ db: o.db, port, host: o.host, open: o.open });
      } catch (e) {
        if (e instanceof DbError) throw e;
        throw new InputError((e as Error).message);
      }
      await untilSignal();
      process.stderr.write('ptlab: stopping web mode (jobs in flight are saved as cancelled)\n');
      await serving.stop();
    });

  addHistoryCommands(program);
  return program;
}

/** Replay and compare with what the trace expects. */
function replayTrace(tf: TraceFile, json: boolean): boolean {
  const o = runScenario(tf.scenario, tf.strategy, { mode: 'replay', seed: tf.seed, schedule: tf.schedule });
  const r: RunResult = o.result;
  const v = tf.expect ? r.violations.find((x) => x.kind === tf.expect!.kind) : undefined;
  const reproduced = tf.expect ? v !== undefined && v.step === tf.expect.step && !o.diverged : r.violations.length === 0 && !o.diverged;
  if (json) out(JSON.stringify({ schema: 'ptlab.replay/1', reproduced, diverged: o.diverged, expect: tf.expect, run: r }, null, 2));
  else {
    if (v) out(formatViolation(r, v));
    out('');
    if (o.diverged) out(`replay diverged: the recorded schedule no longer fits the model (${tf.schedule.length} choices)`);
    if (reproduced) out(tf.expect ? `reproduced: ${tf.expect.kind} at step ${tf.expect.step}` : 'reproduced: no violation, as recorded');
    else if (tf.expect) out(`NOT reproduced: expected ${tf.expect.kind} at step ${tf.expect.step}, got ${v ? `it at step ${v.step}` : r.violations.map((x) => `${x.kind}@${x.step}`).join(', ') || 'no violation'}`);
    else out(`NOT reproduced: expected no violation, got ${r.violations.map((x) => x.kind).join(', ')}`);
  }
  return reproduced;
}

function describeLayout(name: string): string {
  const { scenario } = resolveScenario(name, []);
  const l = computeLayout(scenario.arch.layout, { pageSize: scenario.arch.pageSize, vaBits: scenario.arch.vaBits });
  const g = l.geometry;
  const rows = l.regions.map((r) => [r.kind, formatVA(g, r.start), formatVA(g, r.end - 1)]);
  const shared = sharedTables(l).map((t) => [`${t.entries.toUpperCase()} table`, formatVA(g, t.start), formatVA(g, t.end - 1), t.regions.join(', ')]);
  return [
    `${scenario.name}: layout ${l.era}, ${g.pageSize / 1024}K pages, VA_BITS ${g.vaBits}, ${g.levels} levels`,
    '',
    table(['region', 'start', 'end'], rows),
    '',
    'tables shared by regions:',
    table(['table', 'span start', 'span end', 'regions'], shared),
    ...notesBlock(scenarioNotesOf(scenario)),
  ].join('\n');
}

/** What a scenario assumes and when its race is reachable, as a listing section. */
function notesBlock(notes: readonly string[]): string[] {
  return notes.length === 0 ? [] : ['', 'notes:', ...notes.map((n) => `  - ${sanitizeForTerminal(n)}`)];
}

function addHistoryCommands(program: Command): void {
  program
    .command('list')
    .description('list saved runs')
    .option('--db <file>', 'database file')
    .option('--scenario <name>')
    .option('--strategy <id>')
    .addOption(new Option('--verdict <v>').choices(['safe', 'violation']))
    .option('--status <s>')
    .option('--tag <tag>')
    .option('--since <date>', 'ISO date')
    .option('--until <date>', 'ISO date')
    .option('--limit <n>', 'at most n rows (default 100; with --json every run)')
    .option('--json', 'as JSON')
    .action((o) => {
      const db = openDbForReading(o.db);
      try {
        const filter = { scenario: o.scenario, strategy: o.strategy, verdict: o.verdict, status: o.status, tag: o.tag, since: o.since, until: o.until };
        const limit = o.limit === undefined && o.json ? undefined : intFlag('--limit', o.limit, 100, 1);
        const rows = db.listRuns({ ...filter, limit });
        const total = limit === undefined ? rows.length : db.countRuns(filter);
        if (o.json) return out(JSON.stringify({ schema: 'ptlab.list/1', total, runs: rows }, null, 2));
        out(
          table(
            ['id', 'started', 'scenario', 'strategy', 'mode', 'seed', 'status', 'violations'],
            rows.map((r) => [r.id.slice(0, 8), r.startedAt.replace('T', ' ').slice(0, 19), scenarioLabel(r), strategyLabel(r), r.mode, String(r.seed), r.status, r.violationCount ? r.kinds.join(',') : '-']),
          ),
        );
        if (total > rows.length) out(`… ${(total - rows.length).toLocaleString('en-US')} more; use --limit ${total} or --json`);
      } finally {
        db.close();
      }
    });

  program
    .command('show')
    .description('show a saved run')
    .argument('<run-id>')
    .option('--db <file>', 'database file')
    .option('--json', 'as JSON')
    .action((id: string, o) => {
      const db = openDbForReading(o.db);
      try {
        const service = new LabService({ db });
        const r = service.getRun(id);
        if (o.json) return out(JSON.stringify(r, null, 2));
        out(`${r.id}  ${scenarioLabel(r)} / ${strategyLabel(r)}  ${r.mode} seed ${r.seed}  ${r.status}  ${r.startedAt}`);
        for (const line of describeProvenance(r)) out(line);
        out(formatResults({ schema: 'ptlab.results/1', version: VERSION, runs: [r], summary: summarize([r]) }, { traces: true }));
        out('');
        out(table(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, String(v)])));
      } finally {
        db.close();
      }
    });

  program
    .command('compare')
    .description('compare saved runs side by side (and write an HTML report)')
    .argument('<run-ids...>')
    .option('--db <file>', 'database file')
    .option('--baseline <run-id>', 'baseline for deltas (default: the first)')
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--json', 'as JSON')
    .action((ids: string[], o) => {
      const db = openDbForReading(o.db);
      try {
        const service = new LabService({ db });
        const runs = ids.map((id) => service.getRun(id));
        if (o.baseline && !runs.some((r) => r.id === db.resolveRunId(o.baseline))) throw new InputError(`--baseline ${o.baseline}: not one of the runs compared`);
        if (o.report) {
          writeFile(o.report, service.exportRuns(ids, 'html', { baselineId: o.baseline }));
          // A database opened read-only (not this user's to write) keeps no copy of the report; the file is written all the same.
          if (!db.readonly) db.saveReport({ format: 'html', title: `compare ${ids.join(' ')}`, body: readFileSync(o.report), runIds: runs.map((r) => r.id) });
        }
        if (o.json) return out(service.exportRuns(ids, 'json'));
        const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
        const base = o.baseline ? service.getRun(o.baseline) : runs[0];
        out(table(['metric', ...runs.map((r) => `${r.strategy}#${r.id.slice(0, 6)}`)], keys.map((k) => [k, ...runs.map((r) => cell(r.metrics[k], base.metrics[k], r === base))])));
      } finally {
        db.close();
      }
    });

  program
    .command('export')
    .description('export saved runs as html, csv or json')
    .argument('<run-ids...>')
    .option('--db <file>', 'database file')
    .addOption(new Option('--format <f>').choices(['html', 'csv', 'json']).default('json'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action((ids: string[], o) => {
      const db = openDbForReading(o.db);
      try {
        const full = ids.map((id) => db.resolveRunId(id));
        // One run in memory at a time for json and csv; the HTML report needs them all (its charts), but is written in pieces.
        function* runs(): Generator<StoredRun> {
          for (const id of full) {
            const r = db.getRun(id);
            if (!r) throw new InputError(`no run ${id}`);
            yield r;
          }
        }
        writeOutput(o.out, (write) => {
          if (o.format === 'json') writeResultsJson(write, runs(), VERSION);
          else if (o.format === 'csv') for (const chunk of csvChunks(runs())) write(chunk);
          else for (const chunk of htmlReportChunks([...runs()], { version: VERSION })) write(chunk);
        });
      } finally {
        db.close();
      }
    });

  program
    .command('delete')
    .description('delete saved runs (by id, or every run with a tag)')
    .argument('[run-ids...]')
    .option('--db <file>', 'database file')
    .option('--tag <tag>', 'delete every run with this tag')
    .action((ids: string[], o) => {
      if (ids.length === 0 && o.tag === undefined) throw new InputError('delete: give run ids or --tag <tag>');
      const db = openDb(o.db);
      try {
        const tagged = o.tag === undefined ? [] : db.listRuns({ tag: o.tag }).map((r) => r.id);
        out(`deleted ${new LabService({ db }).deleteRuns([...ids, ...tagged])} run(s)${o.tag === undefined ? '' : ` (tagged ${o.tag})`}`);
      } finally {
        db.close();
      }
    });

  program
    .command('import')
    .description(`import a ptlab.results/1 JSON file (validated; all or nothing; read one run at a time; limits: ${formatBytes(MAX_IMPORT_BYTES)} per file, ${formatBytes(MAX_IMPORT_RUN_BYTES)} per run, ${MAX_TRACE_STEPS.toLocaleString('en-US')} trace steps per violation)`)
    .argument('<file.json>')
    .option('--db <file>', 'database file')
    .action((file: string, o) => {
      try {
        statSync(file);
      } catch (e) {
        throw new InputError(`cannot import ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const db = openDb(o.db);
      try {
        // Read one run at a time: memory stays bounded however many runs the file holds.
        const ids = db.importResultsFile(file);
        out(`imported ${ids.length} run(s)`);
      } finally {
        db.close();
      }
    });
}

function cell(v: number | undefined, base: number | undefined, isBase: boolean): string {
  if (v === undefined) return '';
  if (isBase || base === undefined || base === v) return String(v);
  const d = v - base;
  const pct = base !== 0 ? ` (${d > 0 ? '+' : ''}${((d / base) * 100).toFixed(1)}%)` : '';
  return `${v}${pct}`;
}

/** Run the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander already printed the message
    }
    if (e instanceof InputError || e instanceof DbInputError || e instanceof ScenarioError || e instanceof StrategyError) {
      err(`ptlab: ${e.message}`);
      return 2;
    }
    if (e instanceof DbError) {
      err(`ptlab: ${e.message}`);
      return 2;
    }
    return internalError(e, argv.includes('--debug') || process.env.PTLAB_DEBUG === '1');
  }
}

/**
 * A bug, not bad input: exit 70 (EX_SOFTWARE of sysexits.h), so it can never
 * read as 1 (a replay no longer reproduces), 2 (bad input) or 3 (violation).
 * One line; the stack only when asked for.
 */
export const EXIT_INTERNAL = 70;

function internalError(e: unknown, debug: boolean): number {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (debug && e instanceof Error && e.stack) err(`ptlab: internal error: ${e.stack}`);
  else err(`ptlab: internal error: ${what.split('\n')[0]} (a bug in PT Lab; run again with --debug for the stack)`);
  return EXIT_INTERNAL;
}

export type { ResultsDocument };
