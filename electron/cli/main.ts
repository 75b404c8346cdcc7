/**
 * `ptlab`, the command line (SPEC §6). Every command is a call of the lab
 * API (electron/lab/api.ts) on a Lab opened in this process, the same Lab
 * the desktop app and web mode drive, so the three cannot disagree; what is
 * left here is reading flags and files, printing, and writing files. Exit codes: 0 ran; 1 a replay no longer reproduces; 2 bad input (one
 * clear line on stderr); 3 a violation was found with --fail-on-violation;
 * 70 an internal error (a bug: one line, the stack with --debug).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import cliProgress from 'cli-progress';
import type { ExploreResult } from '../../core/explore/index.ts';
import { type ResultsDocument, type RunResult, VIOLATION_KINDS, type ViolationKind } from '../../core/results.ts';
import type { ExportFormat, JobLane, LabEvent, PresetInfo, ReplayResult, ScenarioRef, SimMode, StrategyInfo, StrategyRef, TraceDocument } from '../lab/api.ts';
import { MAX_EXPLORE_JOBS } from '../lab/args.ts';
import type { Lab } from '../lab/lab.ts';
import { formatBytes, isUserError, MAX_IMPORT_BYTES, MAX_IMPORT_RUN_BYTES, MAX_TRACE_STEPS, openLab, type OpenedLab } from '../lab/open.ts';
import { InputError, intFlag, readJson, resolveScenario, resolveStrategies } from '../lab/resolve.ts';
import { summarize } from '../report/index.ts';
import { serveWebMode, untilSignal } from '../web/serve.ts';
import { describeProvenance, formatNarrative, formatResults, formatTrace, formatTraceTable, formatViolation, printedViolations, sanitizeForTerminal, scenarioLabel, strategyLabel, table } from './format.ts';
import { loadTraceFile, type TraceCatalog, traceDocumentOf, traceFromRun } from './trace-file.ts';

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

/** Runs `fn` on a Lab over the database (or none), closing both after, whatever happens. */
async function withLab<T>(opts: Parameters<typeof openLab>[0], fn: (lab: Lab) => Promise<T>): Promise<T> {
  const opened: OpenedLab = openLab(opts);
  try {
    return await fn(opened.lab);
  } finally {
    await opened.close();
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** A scenario that never runs out of work (a sweep, or an actor with endless operations) is run timed unless told otherwise. */
function defaultMode(sc: ReturnType<typeof resolveScenario>['scenario']): SimMode {
  const endless = sc.sweep !== undefined || sc.actors.some((a) => ('ops' in a && a.ops === 0) || ('cycles' in a && a.kind === 'hotplug' && a.cycles === 0) || ('repeats' in a && a.repeats === 0));
  return endless ? 'timed' : 'random';
}

interface ScenarioInput {
  /** The document after overrides, as the runs store it. */
  doc: unknown;
  scenario: ReturnType<typeof resolveScenario>['scenario'];
  /** What the lab is sent: the preset by name, or the file's document (the overrides go beside it). */
  ref: ScenarioRef;
  /** The file it came from (saved as the runs' provenance), or null for a preset. */
  scenarioFile: string | null;
}

/**
 * `--scenario <preset|file.json>` with its `--set`s: checked here first so
 * that every error reads as ptlab's always have (the lab checks again), and
 * turned into what the lab API takes (it never reads files).
 */
async function scenarioInput(lab: Lab, nameOrFile: string, sets: readonly string[]): Promise<ScenarioInput> {
  const { doc, scenario } = resolveScenario(nameOrFile, sets);
  const preset = (await lab.presets()).some((p: PresetInfo) => p.name === nameOrFile);
  return preset ? { doc, scenario, ref: { preset: nameOrFile }, scenarioFile: null } : { doc, scenario, ref: { doc: readJson(nameOrFile, 'scenario file') }, scenarioFile: resolvePath(nameOrFile) };
}

interface StrategyInput {
  /** Undefined for "all" (every built-in). */
  refs: StrategyRef[] | undefined;
  strategies: { id: string; title: string; description: string; knobs: Record<string, unknown> }[];
}

/** `--strategy all|ids|files.json`: checked with ptlab's own messages, then as lab references (a built-in by id, a variant by its definition). */
function strategyInput(spec: string): StrategyInput {
  const resolved = resolveStrategies(spec);
  const strategies: StrategyInput['strategies'] = [];
  for (const s of resolved) if (!strategies.some((x) => x.id === s.id)) strategies.push({ id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs } });
  if (!spec || spec === 'all') return { refs: undefined, strategies };
  const builtin = new Set(resolveStrategies('all').map((s) => s.id));
  // A resolved strategy with a built-in id is that built-in (a file claiming one with other knobs was refused above).
  return { refs: strategies.map((s) => (builtin.has(s.id) ? s.id : { def: { id: s.id, title: s.title, description: s.description, knobs: s.knobs } })), strategies };
}

/** What a trace file may leave out, from the lab's catalog. */
async function traceCatalog(lab: Lab): Promise<TraceCatalog> {
  const presets = await lab.presets();
  const strategies = (await lab.strategies()).strategies.filter((s: StrategyInfo) => s.builtin);
  return {
    presetDoc: (name) => presets.find((p) => p.name === name)?.doc ?? null,
    builtinKnobs: (id) => {
      const s = strategies.find((x) => x.id === id);
      return s ? { ...s.knobs } : null;
    },
  };
}

/** The report format a file name asks for: PDF for .pdf, else the HTML report. */
function reportFormat(file: string): Extract<ExportFormat, 'html' | 'pdf'> {
  return /\.pdf$/i.test(file) ? 'pdf' : 'html';
}

/**
 * Writes what `produce` emits to `file` in pieces (buffered to about 1 MiB
 * per write), or to stdout without a file. The file appears whole or not at
 * all: it is written beside its name and renamed at the end.
 */
async function writeOutput(file: string | undefined, produce: (write: (chunk: string | Buffer) => void) => Promise<void>): Promise<void> {
  if (file === undefined) {
    const tty = process.stdout.isTTY === true;
    await produce((chunk) => process.stdout.write(tty && typeof chunk === 'string' ? sanitizeForTerminal(chunk) : chunk));
    return;
  }
  const partial = `${file}.partial-${process.pid}`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(partial, 'w');
    let pending: (string | Buffer)[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pendingBytes === 0) return;
      writeSync(fd!, Buffer.concat(pending.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))));
      pending = [];
      pendingBytes = 0;
    };
    await produce((chunk) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= 1024 * 1024) flush();
    });
    flush();
    closeSync(fd);
    fd = undefined;
    renameSync(partial, file);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && !isUserError(e)) throw new InputError(`cannot write ${file}: ${code}`);
    throw e;
  }
}

function writeFile(file: string, data: string | Buffer): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, data);
  } catch (e) {
    throw new InputError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Where the current run of a batch is, from the lanes (they run one after another): for the progress bar. */
function batchProgress(lanes: readonly JobLane[]): { percent: number; run: number; runs: number; strategy: string; seed: number } {
  const runs = lanes.reduce((n, l) => n + l.runs, 0);
  const done = lanes.reduce((n, l) => n + l.fraction * l.runs, 0);
  const current = lanes.find((l) => l.done < l.runs) ?? lanes[lanes.length - 1];
  const finished = lanes.reduce((n, l) => n + l.done, 0);
  return { percent: runs === 0 ? 0 : Math.floor((done / runs) * 100), run: Math.min(runs, finished + 1), runs, strategy: current?.strategy ?? '', seed: current?.counters.seed ?? 0 };
}

export function buildProgram(): Command {
  const program = new Command('ptlab')
    .description('PT Lab: arm64 kernel page-table teardown during memory hot-remove — is it safe, and what does it cost?')
    .version(openLab({ access: 'none' }).lab.version)
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
    .option('--report <file.html|file.pdf>', 'also write a self-contained HTML report of these runs (PDF for a .pdf name: needs Chromium)')
    .option('--save-trace <file.json>', 'write the first violation as a replayable trace file')
    .option('--no-worker', 'generate the vmalloc workload in process instead of the worker thread')
    .action(async (o) => {
      const sets: string[] = [...o.set];
      if (o.cpus !== undefined) sets.push(`vmallocThreads=${intFlag('--cpus', o.cpus, 1, 1, 256)}`);
      const checked = resolveScenario(o.scenario, sets);
      const mode: SimMode = o.mode ?? defaultMode(checked.scenario);
      const seed = intFlag('--seed', o.seed, 1);
      const seeds = intFlag('--seeds', o.seeds, 1, 1, 1_000_000);
      const pctDepth = intFlag('--pct-depth', o.pctDepth, 2, 1, 10);
      const { refs, strategies } = strategyInput(o.strategy); // fail fast on bad ids, before the database is opened
      await withLab({ db: o.db, access: o.save ? 'write' : 'none' }, async (lab) => {
        const input = await scenarioInput(lab, o.scenario, sets);
        const bar = process.stderr.isTTY && !process.env.CI ? new cliProgress.SingleBar({ format: 'ptlab run [{bar}] {percentage}% | run {run}/{runs} {strategy} seed {seed}', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
        bar?.start(100, 0, { run: 0, runs: 0, strategy: '', seed: 0 });
        let jobId = '';
        const unsubscribe = lab.onEvent((e: LabEvent) => {
          if (e.type !== 'job-progress' || e.jobId !== jobId || !bar) return;
          const p = batchProgress(e.lanes);
          bar.update(p.percent, { run: p.run, runs: p.runs, strategy: p.strategy, seed: p.seed });
        });
        // Ctrl-C cancels: the run in flight is saved as cancelled, finished runs are kept and printed.
        let cancelled = false;
        const onSigint = (): void => {
          cancelled = true;
          void lab.cancelJob(jobId).catch(() => {});
          process.stderr.write('\nptlab: cancelling; the run in flight is saved as cancelled (Ctrl-C again to quit now)\n');
          process.once('SIGINT', () => process.exit(130));
        };
        let doc: ResultsDocument | null;
        try {
          // What the runs were made from (knobs, --set, the file) is saved with each: history can tell a variant or a modified scenario from the preset.
          const job = await lab.startRun(
            { scenario: input.ref, sets, strategies: refs, mode, seed, seeds, pctDepth, tags: o.tag, useWorker: o.worker && mode === 'timed' },
            { scenarioFile: input.scenarioFile },
          );
          jobId = job.jobId;
          process.once('SIGINT', onSigint);
          doc = (await lab.finished(jobId)).results;
        } finally {
          process.removeListener('SIGINT', onSigint);
          unsubscribe();
          bar?.stop();
        }
        if (!doc) throw new Error('the run finished without results');
        if (o.json) out(JSON.stringify(doc, null, 2));
        else out(formatResults(doc, { traces: o.traces }));
        if (o.report) {
          const format = reportFormat(o.report);
          const file = await lab.reportFile(doc.runs, { format, title: `${o.scenario}: ${Object.keys(doc.summary.byStrategy).join(', ')}` });
          writeFile(o.report, file.encoding === 'base64' ? Buffer.from(file.data, 'base64') : file.data);
          wrote(`the ${format === 'pdf' ? 'PDF' : 'HTML'} report of these ${doc.runs.length} run(s) to ${o.report}`);
        }
        if (o.saveTrace) {
          // The first trace printed above (or that would be, under --json or --no-traces).
          const first = printedViolations(doc)[0];
          if (!first) throw new InputError('--save-trace: no run found a violation');
          const { run: r, violation: v } = first;
          const strategy = strategies.find((s) => s.id === r.strategy) ?? null;
          writeFile(o.saveTrace, JSON.stringify(traceFromRun(r, input.doc, strategy, await traceCatalog(lab), v), null, 2));
          wrote(`the trace of ${v.kind} (${r.strategy}, seed ${r.seed}, step ${v.step}) to ${o.saveTrace}; check it with \`ptlab replay ${o.saveTrace}\``);
        }
        if (o.failOnViolation && doc.runs.some((r) => r.violations.length > 0)) throw new ExitCode(3);
        if (cancelled) throw new ExitCode(130);
      });
    });

  program
    .command('scenarios')
    .description('list the preset scenarios')
    .option('--json', 'as JSON (the full preset documents)')
    .option('--schema', 'print the scenario JSON Schema')
    .option('--layout <preset>', 'show the address layout and shared tables of a scenario')
    .action((o) =>
      withLab({ access: 'none' }, async (lab) => {
        if (o.schema) return out(JSON.stringify((await lab.schemas()).scenario, null, 2));
        if (o.layout) return out(await describeLayout(lab, o.layout));
        const presets = await lab.presets();
        if (o.json) return out(JSON.stringify(presets.map((p) => ({ name: p.name, summary: p.summary, scenario: p.doc })), null, 2));
        out(table(['scenario', 'what it shows'], presets.map((p) => [p.name, p.summary])));
      }),
    );

  program
    .command('strategies')
    .description('list the strategies (teardown and locking designs) and their knobs')
    .option('--json', 'as JSON')
    .action((o) =>
      withLab({ access: 'none' }, async (lab) => {
        const catalog = await lab.strategies();
        const builtins = catalog.strategies.filter((s) => s.builtin).map(({ id, title, description, knobs }) => ({ id, title, description, knobs }));
        if (o.json) return out(JSON.stringify({ strategies: builtins, knobs: catalog.knobs }, null, 2));
        out(table(['id', 'design'], builtins.map((s) => [s.id, s.title])));
        out('');
        for (const s of builtins) out(`${s.id}: ${s.description}\n  knobs: ${JSON.stringify(s.knobs)}\n`);
      }),
    );

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
    .option('--jobs <n>', 'search on n threads (same verdict; counts may differ from --jobs 1, not between other n)', '1')
    .option('--json', 'print ptlab.explore/1 JSON (one document, or an array for several strategies)')
    .option('--save-trace <file.json>', 'write the counterexample as a replayable trace (first strategy with one)')
    .option('--fail-on-violation', 'exit 3 if a counterexample was found')
    .action(async (o) => {
      const sets: string[] = [...o.set];
      if (o.cpus !== undefined) sets.push(`vmallocThreads=${intFlag('--cpus', o.cpus, 1, 1, 256)}`);
      resolveScenario(o.scenario, sets);
      const { refs, strategies } = strategyInput(o.strategy);
      const maxSchedules = o.maxSchedules === undefined ? undefined : intFlag('--max-schedules', o.maxSchedules, 0, 1);
      const timeLimit = o.timeLimit === undefined ? undefined : Number(o.timeLimit);
      if (timeLimit !== undefined && !(timeLimit > 0)) throw new InputError(`--time-limit: expected a positive number of seconds, got '${o.timeLimit}'`);
      const preemptionBound = o.preemptionBound === undefined ? null : intFlag('--preemption-bound', o.preemptionBound, 0, 0);
      const seed = intFlag('--seed', o.seed, 1);
      const jobs = intFlag('--jobs', o.jobs, 1, 1, MAX_EXPLORE_JOBS);
      let kinds: ViolationKind[] | undefined;
      if (o.kinds !== undefined) {
        kinds = String(o.kinds).split(',').map((k) => k.trim()) as ViolationKind[];
        const bad = kinds.find((k) => !(VIOLATION_KINDS as readonly string[]).includes(k));
        if (bad) throw new InputError(`--kinds: unknown violation kind '${bad}' (known: ${VIOLATION_KINDS.join(', ')})`);
      }
      // The CLI's explore saves nothing (as ever): it is a question asked of the model, answered on stdout.
      await withLab({ access: 'none' }, async (lab) => {
        const input = await scenarioInput(lab, o.scenario, sets);
        const docs: ExploreResult[] = [];
        let found = false;
        let saved = false;
        let savedBy = '';
        let failure: unknown = null;
        let jobId = '';
        const early: Extract<LabEvent, { type: 'job-explore' }>[] = [];
        // Each strategy's answer is printed as its search finishes (searches run one after another).
        const report = (result: Extract<LabEvent, { type: 'job-explore' }>['result']): void => {
          // The lab sends the search's whole outcome (ptlab.explore/1 with its stats and the scenario it searched).
          const r = result as ExploreResult & { config?: unknown };
          docs.push(r);
          if (r.counterexample) found = true;
          const strategy = strategies.find((s) => s.id === r.strategy) ?? { id: r.strategy, knobs: {} };
          if (o.saveTrace && r.counterexample && !saved) {
            const cx = r.counterexample;
            const trace: TraceDocument = { schema: 'ptlab.trace/1', scenario: r.config ?? input.doc, strategy: { id: strategy.id, knobs: strategy.knobs }, seed: r.seed, schedule: cx.schedule, expect: { kind: cx.kind, step: cx.step }, trace: cx.trace };
            writeFile(o.saveTrace, JSON.stringify(trace, null, 2));
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
              const by = r.stats.foundBy === 'probe' ? ', by a random probe' : '';
              out(`  counterexample: ${cx.schedule.length} steps (${cx.foundLength} as first found${by}); ${keep}`);
              out('');
              const story = formatNarrative({ narrative: cx.narrative, keySteps: cx.keySteps, trace: cx.trace });
              out(story ? `${story}\n\n${formatTraceTable(cx.trace)}` : formatTrace(cx.trace));
              out('');
            }
          }
        };
        const unsubscribe = lab.onEvent((e: LabEvent) => {
          if (e.type !== 'job-explore' || failure !== null) return;
          if (jobId === '') return void early.push(e);
          if (e.jobId !== jobId) return;
          try {
            report(e.result);
          } catch (x) {
            failure = x;
          }
        });
        try {
          const job = await lab.startExplore(
            { scenario: input.ref, sets, strategies: refs, maxSchedules, timeLimitS: timeLimit, preemptionBound, kinds, seed, save: false, ...(jobs > 1 ? { jobs } : {}) },
            { scenarioFile: input.scenarioFile },
          );
          jobId = job.jobId;
          for (const e of early) if (e.jobId === jobId) report(e.result);
          await lab.finished(jobId);
        } finally {
          unsubscribe();
        }
        if (failure !== null) throw failure;
        if (o.json) out(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2));
        if (o.failOnViolation && found) throw new ExitCode(3);
      });
    });

  program
    .command('replay')
    .description('re-run a recorded schedule step for step; exits 1 if it no longer reproduces')
    .argument('<trace>', 'a trace .json file (from --save-trace or explore) or a saved run id')
    .option('--db <file>', 'database file for run ids')
    .option('--json', 'print the replayed run as JSON')
    .action(async (arg: string, o) => {
      const isFile = arg.endsWith('.json') || arg.includes('/');
      const result = await withLab(isFile ? { access: 'none' } : { db: o.db, access: 'read' }, async (lab) => {
        if (!isFile) return lab.replay({ runId: arg });
        const trace = traceDocumentOf(loadTraceFile(arg));
        try {
          return await lab.replay({ trace });
        } catch (e) {
          // The lab names the document "trace"; here it is a file.
          if (e instanceof InputError) throw new InputError(e.message.replace(/^trace\.?/, `${arg}: `).replace(/^(.*?): : /, '$1: '));
          throw e;
        }
      });
      if (!printReplay(result, o.json === true)) throw new ExitCode(1);
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
        if (isUserError(e)) throw e;
        throw new InputError((e as Error).message);
      }
      await untilSignal();
      process.stderr.write('ptlab: stopping web mode (jobs in flight are saved as cancelled)\n');
      await serving.stop();
    });

  addHistoryCommands(program);
  return program;
}

/** Prints a replay as ever; returns whether it reproduced. */
function printReplay(result: ReplayResult, json: boolean): boolean {
  const { reproduced, diverged, expect, run: r } = result;
  const v = expect ? r.violations.find((x) => x.kind === expect.kind) : undefined;
  if (json) out(JSON.stringify({ schema: result.schema, reproduced, diverged, expect, run: r }, null, 2));
  else {
    if (v) out(formatViolation(r, v));
    out('');
    if (diverged) out(`replay diverged: the recorded schedule no longer fits the model (${(r.schedule ?? []).length} choices)`);
    if (reproduced) out(expect ? `reproduced: ${expect.kind} at step ${expect.step}` : 'reproduced: no violation, as recorded');
    else if (expect) out(`NOT reproduced: expected ${expect.kind} at step ${expect.step}, got ${v ? `it at step ${v.step}` : r.violations.map((x) => `${x.kind}@${x.step}`).join(', ') || 'no violation'}`);
    else out(`NOT reproduced: expected no violation, got ${r.violations.map((x) => x.kind).join(', ')}`);
  }
  return reproduced;
}

async function describeLayout(lab: Lab, name: string): Promise<string> {
  const input = await scenarioInput(lab, name, []);
  const m = await lab.layoutMap(input.ref);
  return [
    `${m.scenario ?? name}: layout ${m.era}, ${m.pageSize / 1024}K pages, VA_BITS ${m.vaBits}, ${m.levels} levels`,
    '',
    table(['region', 'start', 'end'], m.regions.map((r) => [r.kind, r.start, r.end])),
    '',
    'tables shared by regions:',
    table(['table', 'span start', 'span end', 'regions'], m.sharedTables.map((t) => [`${t.level} table`, t.start, t.end, t.regions.join(', ')])),
    ...notesBlock(m.notes ?? []),
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
    .action((o) =>
      withLab({ db: o.db, access: 'read' }, async (lab) => {
        const filter = { scenario: o.scenario, strategy: o.strategy, verdict: o.verdict, status: o.status, tag: o.tag, since: o.since, until: o.until };
        const limit = o.limit === undefined && o.json ? undefined : intFlag('--limit', o.limit, 100, 1);
        const { rows, total } = await lab.listRuns({ ...filter, limit });
        if (o.json) return out(JSON.stringify({ schema: 'ptlab.list/1', total, runs: rows }, null, 2));
        out(
          table(
            ['id', 'started', 'scenario', 'strategy', 'mode', 'seed', 'status', 'violations'],
            rows.map((r) => [r.id.slice(0, 8), r.startedAt.replace('T', ' ').slice(0, 19), scenarioLabel(r), strategyLabel(r), r.mode, String(r.seed), r.status, r.violationCount ? r.kinds.join(',') : '-']),
          ),
        );
        if (total > rows.length) out(`… ${(total - rows.length).toLocaleString('en-US')} more; use --limit ${total} or --json`);
      }),
    );

  program
    .command('show')
    .description('show a saved run')
    .argument('<run-id>')
    .option('--db <file>', 'database file')
    .option('--json', 'as JSON')
    .action((id: string, o) =>
      withLab({ db: o.db, access: 'read' }, async (lab) => {
        const r = await lab.getRun(id);
        if (o.json) return out(JSON.stringify(r, null, 2));
        out(`${r.id}  ${scenarioLabel(r)} / ${strategyLabel(r)}  ${r.mode} seed ${r.seed}  ${r.status}  ${r.startedAt}`);
        for (const line of describeProvenance(r)) out(line);
        out(formatResults({ schema: 'ptlab.results/1', version: lab.version, runs: [r], summary: summarize([r]) }, { traces: true }));
        out('');
        out(table(['metric', 'value'], Object.entries(r.metrics).map(([k, v]) => [k, String(v)])));
      }),
    );

  program
    .command('compare')
    .description('compare saved runs side by side (and write an HTML or PDF report)')
    .argument('<run-ids...>')
    .option('--db <file>', 'database file')
    .option('--baseline <run-id>', 'baseline for deltas (default: the first)')
    .option('--report <file.html|file.pdf>', 'write a self-contained HTML report (PDF for a .pdf name: needs Chromium)')
    .option('--json', 'as JSON')
    .action((ids: string[], o) =>
      withLab({ db: o.db, access: 'read' }, async (lab) => {
        const runs: RunResult[] = [];
        for (const id of ids) runs.push(await lab.getRun(id));
        const base = o.baseline ? await lab.getRun(o.baseline) : runs[0];
        if (o.baseline && !runs.some((r) => r.id === base.id)) throw new InputError(`--baseline ${o.baseline}: not one of the runs compared`);
        if (o.report) {
          const format = reportFormat(o.report);
          await writeOutput(o.report, (write) => lab.exportTo({ ids, format, baselineId: o.baseline }, write));
          // A database opened read-only (not this user's to write) keeps no copy of the report; the file is written all the same.
          lab.keepReport({ format, title: `compare ${ids.join(' ')}`, body: readFileSync(o.report), runIds: runs.map((r) => r.id!) });
        }
        if (o.json) return out((await lab.exportRuns({ ids, format: 'json' })).data);
        const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
        out(table(['metric', ...runs.map((r) => `${r.strategy}#${(r.id ?? '').slice(0, 6)}`)], keys.map((k) => [k, ...runs.map((r) => cell(r.metrics[k], base.metrics[k], r === base))])));
      }),
    );

  program
    .command('export')
    .description('export saved runs as html, csv, json or pdf (the HTML report printed by Chromium)')
    .argument('<run-ids...>')
    .option('--db <file>', 'database file')
    .addOption(new Option('--format <f>').choices(['html', 'csv', 'json', 'pdf']).default('json'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action((ids: string[], o) =>
      withLab({ db: o.db, access: 'read' }, async (lab) => {
        if (o.format === 'pdf' && o.out === undefined && process.stdout.isTTY) throw new InputError('--format pdf: a PDF is binary; give --out FILE (or redirect stdout)');
        // One run in memory at a time for json and csv; the HTML report needs them all (its charts), but is written in pieces.
        await writeOutput(o.out, (write) => lab.exportTo({ ids, format: o.format as ExportFormat }, write));
      }),
    );

  program
    .command('delete')
    .description('delete saved runs (by id, or every run with a tag)')
    .argument('[run-ids...]')
    .option('--db <file>', 'database file')
    .option('--tag <tag>', 'delete every run with this tag')
    .action(async (ids: string[], o) => {
      if (ids.length === 0 && o.tag === undefined) throw new InputError('delete: give run ids or --tag <tag>');
      await withLab({ db: o.db, access: 'write' }, async (lab) => {
        const tagged = o.tag === undefined ? [] : (await lab.listRuns({ tag: o.tag })).rows.map((r) => r.id);
        const { deleted } = await lab.deleteRuns([...ids, ...tagged]);
        out(`deleted ${deleted} run(s)${o.tag === undefined ? '' : ` (tagged ${o.tag})`}`);
      });
    });

  program
    .command('import')
    .description(`import a ptlab.results/1 JSON file (validated; all or nothing; read one run at a time; limits: ${formatBytes(MAX_IMPORT_BYTES)} per file, ${formatBytes(MAX_IMPORT_RUN_BYTES)} per run, ${MAX_TRACE_STEPS.toLocaleString('en-US')} trace steps per violation)`)
    .argument('<file.json>')
    .option('--db <file>', 'database file')
    .action(async (file: string, o) => {
      try {
        statSync(file);
      } catch (e) {
        throw new InputError(`cannot import ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      await withLab({ db: o.db, access: 'write' }, async (lab) => {
        // Read one run at a time: memory stays bounded however many runs the file holds.
        const { ids } = await lab.importResultsFile(file);
        out(`imported ${ids.length} run(s)`);
      });
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
    if (isUserError(e)) {
      err(`ptlab: ${(e as Error).message}`);
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
// `npm start` (bin/start.mjs) runs from this bundle too: the desktop app, else web mode.
export { launch } from '../launch.ts';
