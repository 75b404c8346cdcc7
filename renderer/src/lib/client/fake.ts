/**
 * An in-memory LabClient for component tests, screenshots and the renderer
 * benchmark: the built-in presets and strategies straight from core, a
 * generated history (any size, 100,000 runs included) with the verdicts the
 * engine gives, and jobs that report progress, series, violations and runs
 * on a timer (or one tick at a time when a test calls `advance`). It is never
 * part of a production build (see main.ts).
 */
import { computeLayout, sharedTables, vmemmapRaceReachability } from '../../../../core/layout.ts';
import { formatSize, formatVA } from '../../../../core/arch.ts';
import { PRESETS, findPreset } from '../../../../core/presets.ts';
import { Prng } from '../../../../core/prng.ts';
import type { ExploreDocument, ResultsDocument, RunResult, TraceStep, ViolationKind } from '../../../../core/results.ts';
import { VIOLATION_KINDS } from '../../../../core/results.ts';
import { SCENARIO_SCHEMA, ScenarioError, applyOverride, parseScenario } from '../../../../core/scenario.ts';
import { STRATEGIES, StrategyError, defineStrategy, knobChoices } from '../../../../core/strategies.ts';
import type {
  AppInfo,
  ExperimentDoc,
  ExploreRequest,
  ExportRequest,
  GetRunOptions,
  ExportedFile,
  JobInfo,
  JobLane,
  LabClient,
  LabEvent,
  LayoutMap,
  ListRequest,
  MachineState,
  PresetInfo,
  ReplayRequest,
  ReplayResult,
  RunPage,
  RunRequest,
  RunRow,
  RunSummary,
  SafetyRequest,
  SafetyVerdict,
  SaveFileRequest,
  SavedExperiment,
  ScenarioRef,
  Schemas,
  SeriesRequest,
  SeriesSlice,
  StoredRun,
  StrategyCatalog,
  StrategyInfo,
  StrategyRef,
  TraceInfo,
  TraceSource,
  Validation,
} from '../api.ts';
import { EXPERIMENT_COUNT, type GeneratedRun, LONG_TRACE_STEPS, countsOf, drawCounts, fakeId, generateHistory, outcomeOf, storedRunOf, violationsOf } from './fakeData.ts';
import { decimateSeries } from '../../../../core/decimate.ts';
import { decimateLazy, lazySeries } from './fakeSeries.ts';
import { SAFETY_PRESETS, type SafetyCell, backingOf, safetyCell } from './fakeSafety.ts';
import { type TraceLog, TraceReplay, functionFilesOf, logAround, longLog, raceKindOf, raceLog } from './fakeTrace.ts';
import { minimalPdf } from './fakePdf.ts';

export interface FakeOptions {
  /** Runs in the generated history (default 300). */
  runs?: number;
  /** Seed of the generated history (default 17: its newest batch shows every kind of verdict). */
  seed?: number;
  /** Milliseconds between job ticks; 0: jobs move only when `advance` is called. */
  tickMs?: number;
  /** Ticks a job takes from start to finish, roughly (default 80). */
  jobTicks?: number;
  /** The newest generated run starts at this time (default 2026-03-02T09:30Z, so screenshots are stable). */
  newest?: Date;
  /** Points per series of a timed run (default 200, held in memory; more: generated on request, never held). */
  seriesPoints?: number;
  /** Behave as the desktop app: saveFile "saves" (and records) instead of failing as web mode does. */
  desktop?: boolean;
}

const DEFAULT_NEWEST = new Date('2026-03-02T09:30:00Z');

const EXPERIMENT_NAMES = ['V5 review: thread-race, every strategy', 'Option 2: cost of get_online_mems() over vmalloc', 'ptdump vs hot-remove', 'floor/ceiling (v5.7) regression check'];

const STRATEGY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'ptlab.strategy/1',
  title: 'PT Lab strategy variant',
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]*$' },
    base: { enum: STRATEGIES.map((s) => s.id) },
    title: { type: 'string' },
    description: { type: 'string' },
    knobs: { type: 'object', additionalProperties: false, properties: Object.fromEntries(Object.entries(knobChoices()).map(([k, v]) => [k, { enum: [...v] }])) },
  },
};

/** An error whose message is one line, as every transport reports them. */
function fail(message: string): never {
  throw new Error(message);
}

interface LaneSim extends JobLane {
  /** Runs per tick. */
  rate: number;
  /** Progress of the run in flight, 0..1. */
  current: number;
  seed: number;
  /** Violations planned for the run in flight and the progress at which the first shows. */
  planned: Partial<Record<ViolationKind, number>>;
  violateAt: number;
  violationSent: boolean;
  runId: string;
  startedAt: number;
  exploreDone?: boolean;
}

interface JobSim {
  info: JobInfo;
  lanes: LaneSim[];
  mode: RunRequest['mode'] | 'explore';
  scenario: string;
  req: RunRequest | ExploreRequest;
  results: RunResult[];
  timer: ReturnType<typeof setInterval> | null;
  tick: number;
}

export class FakeLab implements LabClient {
  private runs: GeneratedRun[];
  private readonly byId = new Map<string, GeneratedRun>();
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly jobsById = new Map<string, JobSim>();
  private readonly undo = new Map<string, GeneratedRun[]>();
  private readonly experiments: SavedExperiment[] = [];
  private readonly variants: StrategyInfo[] = [];
  private baseline: string | null = null;
  private version = 0;
  private cache: { key: string; version: number; rows: GeneratedRun[] } | null = null;
  private nextJob = 1;
  private nextToken = 1;
  private readonly tickMs: number;
  private readonly jobTicks: number;
  private readonly prng: Prng;
  /** Every call, for tests that check what the UI asked for. */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Files handed to saveFile (desktop mode). */
  readonly savedFiles: ExportedFile[] = [];
  private readonly seriesPoints: number;
  private readonly desktop: boolean;
  private readonly newest: number;
  private readonly traces = new Map<string, { log: TraceLog; replay: TraceReplay }>();
  private nextTrace = 1;
  /** Runs that back the safety verdicts (kept out of the listed history, whose size is what the caller asked). */
  private readonly evidence = new Map<string, GeneratedRun>();
  /** Safety checked during this session (startSafetyCheck): `${scenario}|${strategy}` → the outcome and its run. */
  private readonly checked = new Map<string, { cell: SafetyCell; runId: string }>();
  private readonly safetyJobs = new Map<string, string>();

  constructor(opts: FakeOptions = {}) {
    this.tickMs = opts.tickMs ?? 100;
    this.seriesPoints = opts.seriesPoints ?? 200;
    this.desktop = opts.desktop ?? false;
    this.newest = (opts.newest ?? DEFAULT_NEWEST).getTime();
    this.jobTicks = opts.jobTicks ?? 80;
    this.prng = new Prng((opts.seed ?? 17) ^ 0xfeed);
    this.runs = generateHistory(opts.runs ?? 300, opts.seed ?? 17, opts.newest ?? DEFAULT_NEWEST);
    for (const r of this.runs) this.byId.set(r.row.id, r);
    // The runs behind the safety verdicts, made up front in a fixed order so their ids are the same in every session.
    for (const p of SAFETY_PRESETS) {
      for (const s of STRATEGIES) {
        const cell = safetyCell(p.name, s.id);
        if (cell) this.evidenceRun(p.name, s.id, cell);
      }
    }
    const newest = (opts.newest ?? DEFAULT_NEWEST).getTime();
    EXPERIMENT_NAMES.slice(0, EXPERIMENT_COUNT).forEach((name, i) => {
      const preset = i === 2 ? 'ptdump-race' : i === 1 ? 'head-to-head' : 'thread-race';
      const doc: ExperimentDoc = {
        schema: 'ptlab.experiment/1',
        name,
        scenario: { preset },
        sets: [],
        strategies: i === 3 ? ['v6', 'upstream'] : STRATEGIES.map((s) => s.id),
        mode: i === 1 ? 'timed' : 'random',
        seed: 1,
        seeds: i === 1 ? 3 : 100,
      };
      this.experiments.push({ id: i + 1, name, createdAt: new Date(newest - (i + 1) * 86_400_000 * 3).toISOString(), notes: null, runs: 0, doc });
    });
  }

  // ------------------------------------------------------------ events

  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: LabEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  private log(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  // ------------------------------------------------------------ catalog

  async appInfo(): Promise<AppInfo> {
    this.log('appInfo', []);
    return { version: __PTLAB_VERSION__, dbPath: null, transport: 'in-process' };
  }

  async presets(): Promise<PresetInfo[]> {
    this.log('presets', []);
    return PRESETS.map((p) => ({ name: p.name, summary: p.summary, description: String(p.doc.description ?? ''), doc: structuredClone(p.doc) }));
  }

  async strategies(): Promise<StrategyCatalog> {
    this.log('strategies', []);
    return {
      strategies: [...STRATEGIES.map((s) => ({ id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs }, builtin: true })), ...this.variants.map((v) => ({ ...v }))],
      knobs: knobChoices(),
    };
  }

  async schemas(): Promise<Schemas> {
    this.log('schemas', []);
    const loose = (id: string) => ({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: id, type: 'object' });
    return {
      scenario: structuredClone(SCENARIO_SCHEMA) as unknown as Record<string, unknown>,
      strategy: structuredClone(STRATEGY_SCHEMA),
      results: loose('ptlab.results/1'),
      trace: loose('ptlab.trace/1'),
      experiment: loose('ptlab.experiment/1'),
    };
  }

  async validateScenario(doc: unknown): Promise<Validation> {
    this.log('validateScenario', [doc]);
    try {
      parseScenario(doc);
      return { ok: true, errors: [] };
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      const i = e.message.indexOf(': ');
      return { ok: false, errors: [{ path: e.message.slice(0, i), message: e.message.slice(i + 2) }] };
    }
  }

  async validateStrategy(def: unknown): Promise<Validation> {
    this.log('validateStrategy', [def]);
    try {
      defineStrategy(def);
      return { ok: true, errors: [] };
    } catch (e) {
      if (!(e instanceof StrategyError)) throw e;
      const i = e.message.indexOf(': ');
      return { ok: false, errors: [{ path: e.message.slice(0, i), message: e.message.slice(i + 2) }] };
    }
  }

  private scenarioDoc(ref: ScenarioRef, sets: string[] = []): unknown {
    let doc: unknown;
    if ('preset' in ref) {
      const p = findPreset(ref.preset);
      if (!p) fail(`scenario: unknown preset '${ref.preset}' (known: ${PRESETS.map((x) => x.name).join(', ')})`);
      doc = structuredClone(p.doc);
    } else doc = ref.doc;
    for (const s of sets) doc = applyOverride(doc, s);
    return doc;
  }

  async layoutMap(ref: ScenarioRef, sets: string[] = []): Promise<LayoutMap> {
    this.log('layoutMap', [ref, sets]);
    const s = parseScenario(this.scenarioDoc(ref, sets));
    const layout = computeLayout(s.arch.layout, { pageSize: s.arch.pageSize, vaBits: s.arch.vaBits });
    const g = layout.geometry;
    const mem = { boot: s.memory.boot, hotplug: s.memory.hotplug.map((h) => ({ start: h.start, size: h.size })), sectionSizeBits: s.memory.sectionSizeBits, kaslrLinearOffset: s.memory.kaslrLinearOffset };
    const reach = vmemmapRaceReachability(layout, mem, s.memory.vmemmapMapping);
    const verdictOf = (start: number) => reach.shared.find((r) => r.table.start === start);
    return {
      era: layout.era,
      pageSize: g.pageSize,
      vaBits: g.vaBits,
      levels: g.levels,
      regions: layout.regions.map((r) => ({ kind: r.kind, start: formatVA(g, r.start), end: formatVA(g, r.end - 1), sizeBytes: r.end - r.start })),
      sharedTables: sharedTables(layout).map((t) => {
        const v = verdictOf(t.start);
        return { level: t.entries, start: formatVA(g, t.start), end: formatVA(g, t.end - 1), regions: t.regions, emptiable: v ? v.emptiable : null, blockers: v ? v.blockers : [] };
      }),
      reachability: { reachable: reach.raceReachable, summary: reach.summary },
      assumptions: [
        `linear-map KASLR moves memstart_addr down by ${formatSize(s.memory.kaslrLinearOffset)}`,
        `sections of 2^${s.memory.sectionSizeBits} bytes; vmemmap mapped with ${s.memory.vmemmapMapping === 'pmd' ? 'PMD blocks' : 'base pages'}`,
        `boot memory (never removed): ${s.memory.boot.map((b) => `0x${b.start.toString(16)} + ${formatSize(b.size)}`).join(', ')}`,
      ],
    };
  }

  // ------------------------------------------------------------ history

  private filtered(req: ListRequest): GeneratedRun[] {
    const { limit: _l, offset: _o, ...rest } = req;
    const key = JSON.stringify(rest);
    if (this.cache && this.cache.key === key && this.cache.version === this.version) return this.cache.rows;
    const text = req.text?.toLowerCase();
    const since = req.since ? Date.parse(req.since) : null;
    const until = req.until ? Date.parse(req.until) : null;
    const rows = this.runs.filter(({ row, note, error }) => {
      if (req.scenario && row.scenario !== req.scenario) return false;
      if (req.strategy && row.strategy !== req.strategy) return false;
      if (req.mode && row.mode !== req.mode) return false;
      if (req.status && row.status !== req.status) return false;
      if (req.verdict === 'violation' && row.violationCount === 0) return false;
      if (req.verdict === 'safe' && (row.violationCount > 0 || row.status !== 'completed')) return false;
      if (req.tag && !row.tags.includes(req.tag)) return false;
      if (req.experimentId !== undefined && row.experimentId !== req.experimentId) return false;
      const t = Date.parse(row.startedAt);
      if (since !== null && t < since) return false;
      if (until !== null && t >= until) return false;
      if (text) {
        const hay = `${row.id} ${row.scenario} ${row.strategy} ${note ?? ''} ${error ?? ''} ${row.tags.join(' ')}`.toLowerCase();
        if (!hay.includes(text)) return false;
      }
      return true;
    });
    const sort = req.sort ?? 'startedAt';
    const dir = (req.descending ?? sort === 'startedAt') ? -1 : 1;
    const keyOf = (r: RunRow): string | number => {
      switch (sort) {
        case 'violations':
          return r.violationCount;
        case 'wallMs':
          return r.wallMs ?? -1;
        case 'seed':
          return r.seed;
        default:
          return r[sort];
      }
    };
    rows.sort((a, b) => {
      const x = keyOf(a.row);
      const y = keyOf(b.row);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.row.startedAt < b.row.startedAt ? 1 : a.row.startedAt > b.row.startedAt ? -1 : 0;
    });
    this.cache = { key, version: this.version, rows };
    return rows;
  }

  async listRuns(req: ListRequest): Promise<RunPage> {
    this.log('listRuns', [req]);
    if (req.limit !== undefined && (!Number.isInteger(req.limit) || req.limit < 1)) fail('listRuns: args[0].limit: expected an integer ≥ 1');
    const rows = this.filtered(req);
    const offset = req.offset ?? 0;
    const limit = req.limit ?? 100;
    return { rows: rows.slice(offset, offset + limit).map((g) => ({ ...g.row, tags: [...g.row.tags], kinds: [...g.row.kinds] })), total: rows.length };
  }

  private run(id: string): GeneratedRun {
    return this.byId.get(id) ?? fail(`no run with id ${id}`);
  }

  async getRun(id: string, opts: GetRunOptions = {}): Promise<StoredRun> {
    this.log('getRun', opts.series === undefined ? [id] : [id, opts]);
    const g = this.run(id);
    return storedRunOf(g, findPreset(g.row.scenario)?.doc ?? null, opts.series === false || this.seriesPoints > 200);
  }

  async deleteRuns(ids: string[]): Promise<{ deleted: number; undoToken: string }> {
    this.log('deleteRuns', [ids]);
    const set = new Set(ids);
    const removed = this.runs.filter((r) => set.has(r.row.id));
    this.runs = this.runs.filter((r) => !set.has(r.row.id));
    for (const r of removed) this.byId.delete(r.row.id);
    if (this.baseline && set.has(this.baseline)) this.baseline = null;
    this.version++;
    const token = `undo-${this.nextToken++}`;
    this.undo.set(token, removed);
    return { deleted: removed.length, undoToken: token };
  }

  async undoDelete(token: string): Promise<{ restored: number }> {
    this.log('undoDelete', [token]);
    const removed = this.undo.get(token) ?? fail(`undoDelete: unknown or expired undo token`);
    this.undo.delete(token);
    for (const r of removed) this.byId.set(r.row.id, r);
    this.runs = [...this.runs, ...removed];
    this.version++;
    return { restored: removed.length };
  }

  async importResults(doc: unknown): Promise<{ ids: string[] }> {
    this.log('importResults', [doc]);
    const d = doc as { schema?: unknown; runs?: unknown };
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('import: expected a ptlab.results/1 document (an object)');
    if (d.schema !== 'ptlab.results/1') fail(`import: schema: expected "ptlab.results/1", got ${JSON.stringify(d.schema ?? null)}`);
    if (!Array.isArray(d.runs)) fail('import: runs: expected an array');
    const modes = ['timed', 'random', 'pct', 'explore', 'replay'];
    const statuses = ['running', 'completed', 'failed', 'interrupted', 'cancelled'];
    const rows: GeneratedRun[] = d.runs.map((x: unknown, i: number) => {
      const r = x as Partial<RunResult>;
      if (typeof x !== 'object' || x === null) fail(`import: runs[${i}]: expected an object`);
      if (typeof r.scenario !== 'string') fail(`import: runs[${i}].scenario: expected a string`);
      if (typeof r.strategy !== 'string') fail(`import: runs[${i}].strategy: expected a string`);
      if (!modes.includes(String(r.mode))) fail(`import: runs[${i}].mode: expected one of ${modes.join(', ')}, got ${JSON.stringify(r.mode ?? null)}`);
      if (!Number.isInteger(r.seed)) fail(`import: runs[${i}].seed: expected an integer`);
      if (!statuses.includes(String(r.status))) fail(`import: runs[${i}].status: expected one of ${statuses.join(', ')}`);
      const counts = r.violationCounts ?? {};
      const kinds = (Object.keys(counts) as ViolationKind[]).filter((k) => (counts[k] ?? 0) > 0).sort();
      return {
        row: {
          id: fakeId(this.prng),
          experimentId: null,
          scenario: r.scenario,
          strategy: r.strategy,
          mode: r.mode as RunRow['mode'],
          seed: r.seed as number,
          status: r.status as RunRow['status'],
          startedAt: new Date().toISOString(),
          finishedAt: new Date().toISOString(),
          wallMs: r.metrics?.['wall.ms'] ?? null,
          violationCount: kinds.reduce((n, k) => n + (counts[k] ?? 0), 0),
          kinds,
          tags: ['imported'],
          strategyKnobs: null,
          sets: [],
          scenarioFile: null,
        },
        note: null,
        error: null,
      };
    });
    for (const r of rows) this.byId.set(r.row.id, r);
    this.runs = [...rows, ...this.runs];
    this.version++;
    return { ids: rows.map((r) => r.row.id) };
  }

  async exportRuns(req: ExportRequest): Promise<ExportedFile> {
    this.log('exportRuns', [req]);
    if (req.ids.length === 0) fail('exportRuns: args[0].ids: expected at least one run id');
    const runs = req.ids.map((id) => this.run(id).row);
    const day = new Date().toISOString().slice(0, 10);
    const base = `ptlab-${runs[0].scenario}-${day}`;
    if (req.format === 'csv') {
      const lines = ['id,scenario,strategy,mode,seed,status,violations,kinds', ...runs.map((r) => [r.id, r.scenario, r.strategy, r.mode, r.seed, r.status, r.violationCount, r.kinds.join(' ')].join(','))];
      return { filename: `${base}.csv`, mime: 'text/csv', encoding: 'utf8', data: `${lines.join('\n')}\n` };
    }
    if (req.format === 'json') {
      const stored = req.ids.map((id) => storedRunOf(this.run(id), null));
      return { filename: `${base}.json`, mime: 'application/json', encoding: 'utf8', data: JSON.stringify({ schema: 'ptlab.results/1', version: __PTLAB_VERSION__, runs: stored }, null, 2) };
    }
    if (req.format === 'html') {
      const body = runs.map((r) => `<tr><td>${r.strategy}</td><td>${r.seed}</td><td>${r.kinds.join(', ') || 'safe'}</td></tr>`).join('');
      return { filename: `${base}.html`, mime: 'text/html', encoding: 'utf8', data: `<!doctype html><title>${req.title ?? 'PT Lab report'}</title><table>${body}</table>` };
    }
    const lines = runs.map((r) => `${r.strategy}  ${r.scenario}  seed ${r.seed}  ${r.kinds.length ? `violation: ${r.kinds.join(', ')}` : r.status === 'completed' ? 'no violation' : r.status}`);
    return { filename: `${base}.pdf`, mime: 'application/pdf', encoding: 'base64', data: minimalPdf(req.title ?? 'PT Lab report', lines) };
  }

  async addTags(ids: string[], tags: string[]): Promise<void> {
    this.log('addTags', [ids, tags]);
    for (const id of ids) {
      const r = this.run(id).row;
      r.tags = [...new Set([...r.tags, ...tags])].sort();
    }
    this.version++;
  }

  async removeTag(id: string, tag: string): Promise<void> {
    this.log('removeTag', [id, tag]);
    const r = this.run(id).row;
    r.tags = r.tags.filter((t) => t !== tag);
    this.version++;
  }

  async setNote(id: string, note: string | null): Promise<void> {
    this.log('setNote', [id, note]);
    this.run(id).note = note && note.trim() ? note : null;
    this.version++;
  }

  async getBaseline(): Promise<string | null> {
    this.log('getBaseline', []);
    return this.baseline;
  }

  async setBaseline(id: string | null): Promise<void> {
    this.log('setBaseline', [id]);
    if (id !== null) this.run(id);
    this.baseline = id;
  }

  // ------------------------------------------------------------ experiments and variants

  async listExperiments(): Promise<SavedExperiment[]> {
    this.log('listExperiments', []);
    const counts = new Map<number, number>();
    for (const r of this.runs) if (r.row.experimentId !== null) counts.set(r.row.experimentId, (counts.get(r.row.experimentId) ?? 0) + 1);
    return this.experiments.map((e) => ({ ...e, runs: counts.get(e.id) ?? 0, doc: e.doc ? structuredClone(e.doc) : null }));
  }

  async saveExperiment(doc: ExperimentDoc): Promise<SavedExperiment> {
    this.log('saveExperiment', [doc]);
    if (!doc.name || !doc.name.trim()) fail('saveExperiment: args[0].name: expected a non-empty name');
    const existing = this.experiments.find((e) => e.name === doc.name);
    if (existing) {
      existing.doc = structuredClone(doc);
      return { ...existing };
    }
    const e: SavedExperiment = { id: this.experiments.reduce((m, x) => Math.max(m, x.id), 0) + 1, name: doc.name, createdAt: new Date().toISOString(), notes: doc.notes ?? null, runs: 0, doc: structuredClone(doc) };
    this.experiments.push(e);
    return { ...e };
  }

  async deleteExperiment(id: number): Promise<boolean> {
    this.log('deleteExperiment', [id]);
    const i = this.experiments.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.experiments.splice(i, 1);
    return true;
  }

  async saveStrategy(def: unknown): Promise<StrategyInfo> {
    this.log('saveStrategy', [def]);
    let s;
    try {
      s = defineStrategy(def);
    } catch (e) {
      throw new Error(e instanceof Error ? e.message : String(e));
    }
    if (STRATEGIES.some((b) => b.id === s.id)) fail(`strategy.id: '${s.id}' is a built-in strategy; pick another name`);
    const info: StrategyInfo = { id: s.id, title: s.title, description: s.description, knobs: { ...s.knobs }, builtin: false };
    const i = this.variants.findIndex((v) => v.id === s.id);
    if (i >= 0) this.variants[i] = info;
    else this.variants.push(info);
    return info;
  }

  async deleteStrategy(id: string): Promise<boolean> {
    this.log('deleteStrategy', [id]);
    const i = this.variants.findIndex((v) => v.id === id);
    if (i < 0) return false;
    this.variants.splice(i, 1);
    return true;
  }

  // ------------------------------------------------------------ traces

  private logOf(source: TraceSource): { log: TraceLog; violation: StoredRun['violations'][number] | null } {
    if ('runId' in source) {
      const run = storedRunOf(this.run(source.runId), null);
      const v = run.violations[source.violation] ?? fail(`openTrace: run ${source.runId} has no violation #${source.violation} (it has ${run.violations.length})`);
      const race = raceKindOf(run.scenario, run.strategy, v.kind);
      if (race && v.step === raceLog(race).totalSteps - 1) return { log: raceLog(race), violation: v };
      if (run.scenario === 'ptdump-check-wx' && v.step === LONG_TRACE_STEPS - 1) return { log: longLog(LONG_TRACE_STEPS, run.strategy), violation: v };
      return { log: logAround(v, run.scenario, run.strategy, run.seed), violation: v };
    }
    const doc = source.trace as Partial<{ schema: string; scenario: { name?: string }; strategy: { id?: string }; seed: number; expect: { kind: ViolationKind; step: number } | null; trace: TraceStep[] }>;
    if (typeof doc !== 'object' || doc === null || doc.schema !== 'ptlab.trace/1') fail('openTrace: trace: expected a ptlab.trace/1 document (schema "ptlab.trace/1")');
    const scenario = typeof doc.scenario?.name === 'string' ? doc.scenario.name : 'custom scenario';
    const strategy = typeof doc.strategy?.id === 'string' ? doc.strategy.id : 'custom strategy';
    const seed = Number.isInteger(doc.seed) ? (doc.seed as number) : 1;
    const expect = doc.expect ?? null;
    const race = expect ? raceKindOf(scenario, strategy, expect.kind) : null;
    if (race && seed === 3) {
      const row: RunRow = { id: 'trace-document', experimentId: null, scenario, strategy, mode: 'random', seed, status: 'completed', startedAt: '', finishedAt: null, wallMs: null, violationCount: 1, kinds: [race], tags: [], strategyKnobs: null, sets: [], scenarioFile: null };
      return { log: raceLog(race), violation: violationsOf(row, { [race]: 1 })[0] };
    }
    if (!Array.isArray(doc.trace) || doc.trace.length === 0) fail('openTrace: trace: this document has no trace steps; the fake lab replays only documents that carry them (ptlab explore --save-trace writes them)');
    const steps = doc.trace;
    const last = steps[steps.length - 1];
    const v = { kind: expect?.kind ?? 'uaf-table-write', step: expect?.step ?? last.step, cpu: last.cpu, actor: last.actor, function: last.function, address: last.address, message: expect ? `${expect.kind} at step ${expect.step}` : 'no violation expected', trace: steps };
    return { log: logAround(v, scenario, strategy, seed), violation: expect ? v : null };
  }

  async openTrace(source: TraceSource): Promise<TraceInfo> {
    this.log('openTrace', [source]);
    const { log, violation } = this.logOf(source);
    const traceId = `trace-${this.nextTrace++}`;
    this.traces.set(traceId, { log, replay: new TraceReplay(log) });
    // Function links: every step of a short log; the start, the end and the key steps of a long one.
    const sample: number[] = [];
    if (log.totalSteps <= 20_000) for (let i = 0; i < log.totalSteps; i++) sample.push(i);
    else {
      for (let i = 0; i < 2000; i++) sample.push(i, log.totalSteps - 1 - i);
      for (const t of violation?.trace ?? []) sample.push(t.step);
    }
    const expect = violation ? `${violation.kind} at step ${violation.step}` : 'no violation';
    return {
      traceId,
      scenario: log.scenario,
      strategy: log.strategy,
      seed: log.seed,
      violation,
      totalSteps: log.totalSteps,
      actors: log.actors.map((a) => ({ ...a })),
      reproduced: true,
      replaySummary: `reproduced: ${expect}`,
      sourceBase: log.sourceBase,
      functionFiles: functionFilesOf(log, sample),
    };
  }

  private trace(id: string): { log: TraceLog; replay: TraceReplay } {
    return this.traces.get(id) ?? fail(`no open trace ${id} (it was closed, or the app restarted): open it again`);
  }

  async traceSteps(traceId: string, offset: number, limit: number): Promise<TraceStep[]> {
    this.log('traceSteps', [traceId, offset, limit]);
    if (!Number.isInteger(offset) || offset < 0) fail('traceSteps: args[1]: expected an integer ≥ 0');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) fail('traceSteps: args[2]: expected an integer from 1 to 100000');
    const { log } = this.trace(traceId);
    const out: TraceStep[] = [];
    for (let s = offset; s < Math.min(log.totalSteps, offset + limit); s++) out.push(log.step(s));
    return out;
  }

  async traceState(traceId: string, step: number): Promise<MachineState> {
    this.log('traceState', [traceId, step]);
    return this.trace(traceId).replay.stateAt(step);
  }

  async closeTrace(traceId: string): Promise<void> {
    this.log('closeTrace', [traceId]);
    this.traces.delete(traceId);
  }

  // ------------------------------------------------------------ compare

  /** The run behind a verdict: found again by key, so its id is stable for the session. */
  private evidenceRun(scenario: string, strategy: string, cell: SafetyCell): GeneratedRun {
    const key = `${scenario}|${strategy}`;
    const known = this.evidence.get(key);
    if (known) return known;
    let h = 0x811c9dc5;
    for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    const prng = new Prng(h >>> 0);
    const kinds = (Object.keys(cell.kinds) as ViolationKind[]).sort();
    const race = scenario === 'thread-race' && strategy === 'v5-reviewed';
    const row: RunRow = {
      id: fakeId(prng),
      experimentId: null,
      scenario,
      strategy,
      mode: cell.mode,
      seed: race ? 3 : 1,
      status: 'completed',
      startedAt: new Date(this.newest - 40 * 86_400_000 - this.evidence.size * 3_600_000).toISOString(),
      finishedAt: new Date(this.newest - 40 * 86_400_000 - this.evidence.size * 3_600_000 + 2000).toISOString(),
      wallMs: cell.mode === 'explore' ? 8400 : 30,
      // The real seed-3 run counts 2 writes, 4 reads and 4 lost mappings: spread the same total.
      violationCount: race ? 10 : kinds.length,
      kinds,
      tags: ['safety'],
      strategyKnobs: null,
      sets: [],
      scenarioFile: null,
    };
    const g: GeneratedRun = { row, note: null, error: null };
    this.evidence.set(key, g);
    this.byId.set(row.id, g);
    return g;
  }

  private verdictOf(scenario: string, strategy: string): SafetyVerdict {
    const key = `${scenario}|${strategy}`;
    const checked = this.checked.get(key);
    const builtin = STRATEGIES.some((s) => s.id === strategy);
    const cell = checked?.cell ?? (builtin ? safetyCell(scenario, strategy) : null);
    if (!cell) return { strategy, scenario, verdict: 'unknown', backing: backingOf(scenario, strategy, null), kinds: {}, runs: 0, violatingRuns: 0, sampledRuns: 0, schedules: 0, complete: false, runIds: [], trace: null };
    const runId = checked?.runId ?? this.evidenceRun(scenario, strategy, cell).row.id;
    let trace: SafetyVerdict['trace'] = null;
    if (cell.verdict === 'violation') {
      const vs = violationsOf(this.run(runId).row, countsOf(this.run(runId).row));
      // Link the most telling violation: the first kind in the engine's order (use-after-free first).
      const best = VIOLATION_KINDS.find((k) => vs.some((v) => v.kind === k));
      const index = vs.findIndex((v) => v.kind === best);
      if (index >= 0) trace = { runId, violation: index };
    }
    const explore = cell.mode === 'explore';
    const violatingRuns = cell.verdict === 'violation' ? Object.values(cell.kinds).reduce<number>((m, n) => Math.max(m, n ?? 0), 0) : 0;
    return {
      strategy,
      scenario,
      verdict: cell.verdict,
      backing: backingOf(scenario, strategy, cell),
      kinds: { ...cell.kinds },
      runs: explore ? 1 : cell.runs,
      violatingRuns,
      sampledRuns: explore ? 0 : cell.runs,
      schedules: explore ? cell.runs : 0,
      complete: explore && cell.verdict === 'proved-safe',
      runIds: [runId],
      trace,
    };
  }

  async safety(req: SafetyRequest): Promise<SafetyVerdict[]> {
    this.log('safety', [req]);
    if (!Array.isArray(req.strategies) || req.strategies.length === 0) fail('safety: args[0].strategies: expected at least one strategy');
    const strategies = req.strategies.map((r) => (typeof r === 'string' ? r : defineStrategy(r.def).id));
    const scenarios = req.scenarios ?? SAFETY_PRESETS.map((p) => p.name);
    for (const s of scenarios) if (!findPreset(s)) fail(`safety: args[0].scenarios: unknown preset '${s}'`);
    return strategies.flatMap((strategy) => scenarios.map((scenario) => this.verdictOf(scenario, strategy)));
  }

  async startSafetyCheck(req: SafetyRequest): Promise<JobInfo> {
    this.log('startSafetyCheck', [req]);
    const verdicts = await this.safety(req);
    const unknown = verdicts.filter((v) => v.verdict === 'unknown');
    if (unknown.length === 0) fail('startSafetyCheck: nothing to check: every strategy asked has a verdict on these presets');
    // One explore job over the first preset that needs it, for every strategy unknown there.
    const scenario = unknown[0].scenario;
    const strategies = unknown.filter((v) => v.scenario === scenario).map((v) => v.strategy);
    const info = this.startJob('explore', { scenario: { preset: scenario }, strategies, save: true, tags: ['safety'] }, 'explore');
    this.safetyJobs.set(info.jobId, scenario);
    return info;
  }

  async listSeries(runId: string): Promise<{ name: string; unit: string; points: number }[]> {
    this.log('listSeries', [runId]);
    const g = this.run(runId);
    if (g.row.mode !== 'timed') return [];
    if (this.seriesPoints > 200) return lazySeries(g.row.strategy, g.row.seed, this.seriesPoints).map((x) => ({ name: x.name, unit: x.unit, points: x.total }));
    return storedRunOf(g, null).series.map((x) => ({ name: x.name, unit: x.unit, points: x.x.length }));
  }

  async getSeries(req: SeriesRequest): Promise<SeriesSlice> {
    this.log('getSeries', [req]);
    if (req.points !== undefined && (!Number.isInteger(req.points) || req.points < 1 || req.points > 100_000)) fail('getSeries: args[0].points: expected an integer from 1 to 100000');
    const g = this.run(req.runId);
    if (this.seriesPoints > 200 && g.row.mode === 'timed') {
      const lazy = lazySeries(g.row.strategy, g.row.seed, this.seriesPoints).find((x) => x.name === req.name) ?? fail(`run ${req.runId} has no series '${req.name}'`);
      return decimateLazy(lazy, req.from, req.to, req.points);
    }
    const x = storedRunOf(g, null).series.find((y) => y.name === req.name) ?? fail(`run ${req.runId} has no series '${req.name}'`);
    return decimateSeries(x, req.from, req.to, req.points);
  }

  async saveFile(req: SaveFileRequest): Promise<string | null> {
    this.log('saveFile', [req]);
    if (!this.desktop) fail('saving through a file dialog is for the desktop app; in web mode the browser downloads the file');
    this.savedFiles.push(req.file);
    return `/home/you/Documents/${req.file.filename}`;
  }

  // ------------------------------------------------------------ jobs

  private strategyIds(refs: StrategyRef[] | undefined): string[] {
    if (!refs || refs.length === 0) return STRATEGIES.map((s) => s.id);
    return refs.map((r) => {
      if (typeof r === 'string') {
        if (!STRATEGIES.some((s) => s.id === r) && !this.variants.some((v) => v.id === r)) fail(`strategies: unknown strategy '${r}'`);
        return r;
      }
      return defineStrategy(r.def).id;
    });
  }

  private baseOf(id: string): string {
    const v = this.variants.find((x) => x.id === id);
    if (!v) return id;
    const same = STRATEGIES.find((s) => JSON.stringify(s.knobs) === JSON.stringify(v.knobs));
    return same ? same.id : v.knobs.freeTables === 'floor-ceiling' || v.knobs.vmallocGuard !== 'none' ? 'upstream' : 'v6';
  }

  private startJob(kind: 'run' | 'explore', req: RunRequest | ExploreRequest, mode: JobSim['mode']): JobInfo {
    const doc = this.scenarioDoc(req.scenario, req.sets);
    let scenario;
    try {
      scenario = parseScenario(doc);
    } catch (e) {
      throw new Error(e instanceof Error ? e.message : String(e));
    }
    const strategies = this.strategyIds(req.strategies);
    const points: (number | null)[] = kind === 'run' && scenario.sweep ? scenario.sweep.vmallocThreads : [null];
    const seeds = kind === 'run' ? Math.max(1, (req as RunRequest).seeds ?? 1) : 1;
    const firstSeed = req.seed ?? 1;
    const jobId = `job-${this.nextJob++}`;
    const perRun = mode === 'timed' ? this.jobTicks : mode === 'explore' ? this.jobTicks : Math.max(1, this.jobTicks / Math.max(1, seeds));
    const lanes: LaneSim[] = [];
    strategies.forEach((strategy, i) => {
      for (const point of points) {
        const speed = 0.75 + ((i * 7 + (point ?? 0)) % 5) * 0.12;
        lanes.push({
          key: point === null ? strategy : `${strategy}@${point}`,
          strategy,
          point,
          runs: seeds,
          done: 0,
          fraction: 0,
          etaMs: null,
          counters: {},
          kinds: {},
          runIds: [],
          ...(mode === 'explore' ? { explore: { schedules: 0, states: 0, steps: 0, elapsedMs: 0, rate: 0, round: 1 } } : {}),
          rate: speed / perRun,
          current: 0,
          seed: firstSeed,
          planned: {},
          violateAt: 0.5,
          violationSent: false,
          runId: fakeId(this.prng),
          startedAt: Date.now(),
        });
      }
    });
    for (const lane of lanes) this.planRun(lane, scenario.name, mode);
    const title =
      mode === 'explore'
        ? `explore ${scenario.name}: ${strategies.join(', ')}`
        : `${scenario.name}, ${mode}, ${strategies.length} ${strategies.length === 1 ? 'strategy' : 'strategies'} × ${seeds} ${seeds === 1 ? 'seed' : 'seeds'} from ${firstSeed}${points[0] !== null ? `, vmalloc CPUs ${points.join('/')}` : ''}`;
    const info: JobInfo = { jobId, kind, state: 'running', title, startedAt: new Date().toISOString(), lanes: lanes.map(publicLane) };
    const job: JobSim = { info, lanes, mode, scenario: scenario.name, req, results: [], timer: null, tick: 0 };
    this.jobsById.set(jobId, job);
    queueMicrotask(() => {
      this.emit({ type: 'job-started', jobId, job: this.snapshot(job) });
      if (this.tickMs > 0 && job.info.state === 'running') job.timer = setInterval(() => this.step(job), this.tickMs);
    });
    return this.snapshot(job);
  }

  private planRun(lane: LaneSim, scenario: string, mode: JobSim['mode']): void {
    const outcome = outcomeOf(scenario, this.baseOf(lane.strategy), mode === 'explore' ? 'random' : mode);
    lane.planned = mode === 'explore' ? (outcome.p > 0 ? Object.fromEntries(Object.keys(outcome.kinds).slice(0, 1).map((k) => [k, 1])) : {}) : drawCounts(outcome, this.prng);
    lane.violateAt = mode === 'explore' ? 0.2 + this.prng.next() * 0.2 : 0.3 + this.prng.next() * 0.6;
    lane.violationSent = false;
    lane.current = 0;
    lane.runId = fakeId(this.prng);
  }

  private snapshot(job: JobSim): JobInfo {
    return { ...job.info, lanes: job.lanes.map(publicLane) };
  }

  /** Move every running job (or one) forward by `ticks` ticks: for tests with `tickMs: 0`. */
  advance(ticks = 1, jobId?: string): void {
    for (let i = 0; i < ticks; i++) {
      for (const job of this.jobsById.values()) if (job.info.state === 'running' && (!jobId || job.info.jobId === jobId)) this.step(job);
    }
  }

  private step(job: JobSim): void {
    if (job.info.state !== 'running') return;
    job.tick++;
    const timed = job.mode === 'timed';
    const durationNs = 1e9;
    for (const lane of job.lanes) {
      if (lane.done >= lane.runs) continue;
      let budget = lane.rate;
      while (budget > 0 && lane.done < lane.runs) {
        const take = Math.min(budget, 1 - lane.current);
        const before = lane.current;
        lane.current += take;
        budget -= take;
        if (timed) this.emitSeries(job, lane, before, lane.current, durationNs);
        if (!lane.violationSent && Object.keys(lane.planned).length > 0 && lane.current >= lane.violateAt) this.emitViolation(job, lane);
        if (job.mode === 'explore' && lane.violationSent) lane.current = 1;
        if (lane.current >= 1 - 1e-9) this.finishRun(job, lane);
      }
      const elapsed = Date.now() - lane.startedAt;
      const remainingRuns = lane.runs - lane.done - lane.current;
      lane.fraction = Math.min(1, (lane.done + lane.current) / lane.runs);
      lane.etaMs = lane.done >= lane.runs ? 0 : job.tick < 3 ? null : Math.round((remainingRuns / lane.rate) * (this.tickMs || 100));
      lane.counters = this.countersOf(job, lane, elapsed);
      if (lane.explore && lane.done < lane.runs) {
        const rate = 18_000 + (lane.key.length * 977) % 9000;
        lane.explore = { schedules: Math.round(lane.current * 1_400_000), states: Math.round(lane.current * 3_100_000), steps: Math.round(lane.current * 41_000_000), elapsedMs: job.tick * (this.tickMs || 100), rate, round: 1 + Math.floor(lane.current * 4) };
      }
    }
    this.emit({ type: 'job-progress', jobId: job.info.jobId, lanes: job.lanes.map(publicLane) });
    if (job.lanes.every((l) => l.done >= l.runs)) this.finishJob(job, 'completed');
  }

  private countersOf(job: JobSim, lane: LaneSim, _elapsed: number): Record<string, number> {
    const c = lane.current;
    if (job.mode === 'timed') {
      return { 'sim.time_ns': Math.round(c * 1e9), 'sim.steps': Math.round(c * 10_400_000), 'vmalloc.ops': Math.round(c * 101_000), 'tlbi.page': Math.round(c * 65), 'tlbi.pgtable': Math.round(c * 3), 'pgtable.live_tables': 72 + Math.round(c * 5) };
    }
    return { 'sim.steps': Math.round(c * 1500), 'runs.violating': Object.values(lane.kinds).length ? Object.values(lane.kinds).reduce((m: number, n) => Math.max(m, n ?? 0), 0) : 0 };
  }

  private emitSeries(job: JobSim, lane: LaneSim, from: number, to: number, durationNs: number): void {
    const every = durationNs / 200;
    const x: number[] = [];
    const y: Record<string, number[]> = { 'vmalloc.ops': [], 'tlbi.total': [], 'pgtable.live_tables': [], 'hotremove.ops': [] };
    // Rough shapes of what each design costs in head-to-head: opt1 serialises vmalloc on a spinlock,
    // opt2 waits out hot-remove, opt3 and upstream leave the shared tables in place.
    const base = this.baseOf(lane.strategy);
    const opsRate = ({ opt1: 0.52, opt2: 0.86, v5: 0.97 } as Record<string, number>)[base] ?? 1;
    const dropped = base === 'opt3' ? 0 : base === 'upstream' ? 9 : 14;
    const phase = lane.key.length + lane.seed;
    for (let t = Math.ceil((from * durationNs) / every) * every; t <= to * durationNs; t += every) {
      if (t === 0) continue;
      const f = t / durationNs;
      x.push(Math.round(t));
      y['vmalloc.ops'].push(Math.round(f * 101_000 * opsRate + Math.sin(f * 40 + phase) * 300));
      y['tlbi.total'].push(Math.round(f * 66 + (f > 0.6 ? (base === 'opt3' ? 1 : 4) : 0)));
      y['pgtable.live_tables'].push(72 + Math.round(Math.sin(f * 25 + phase) * 3 + f * 6) - (f > 0.6 ? dropped : 0));
      y['hotremove.ops'].push(f > 0.6 ? 1 : 0);
    }
    if (x.length === 0) return;
    const units: Record<string, string> = { 'vmalloc.ops': 'ops', 'tlbi.total': 'TLBIs', 'pgtable.live_tables': 'pages', 'hotremove.ops': 'ops' };
    for (const name of Object.keys(y)) this.emit({ type: 'job-series', jobId: job.info.jobId, lane: lane.key, runId: lane.runId, name, unit: units[name], x: [...x], y: y[name] });
  }

  private emitViolation(job: JobSim, lane: LaneSim): void {
    lane.violationSent = true;
    const row = this.rowOf(job, lane, 'running');
    // The first violation of each kind the run has (a run can count hundreds).
    const once = Object.fromEntries(Object.keys(lane.planned).map((k) => [k, 1]));
    for (const v of violationsOf(row, once)) this.emit({ type: 'job-violation', jobId: job.info.jobId, lane: lane.key, runId: lane.runId, seed: lane.seed, violation: v });
    for (const [k, n] of Object.entries(lane.planned) as [ViolationKind, number][]) if (n > 0) lane.kinds[k] = (lane.kinds[k] ?? 0) + 1;
  }

  private rowOf(job: JobSim, lane: LaneSim, status: RunRow['status']): RunRow {
    const kinds = (Object.keys(lane.planned) as ViolationKind[]).sort();
    const req = job.req as RunRequest;
    return {
      id: lane.runId,
      experimentId: req.experimentId ?? null,
      scenario: job.scenario,
      strategy: lane.strategy,
      mode: job.mode,
      seed: lane.seed,
      status,
      startedAt: new Date().toISOString(),
      finishedAt: status === 'running' ? null : new Date().toISOString(),
      wallMs: Math.round((this.tickMs || 100) / lane.rate),
      violationCount: kinds.reduce((n, k) => n + (lane.planned[k] ?? 0), 0),
      kinds,
      tags: [...(req.tags ?? [])],
      strategyKnobs: null,
      sets: [...(req.sets ?? [])],
      scenarioFile: null,
    };
  }

  private finishRun(job: JobSim, lane: LaneSim, status: RunRow['status'] = 'completed'): void {
    const row = this.rowOf(job, lane, status);
    const g: GeneratedRun = { row, note: null, error: null, point: lane.point };
    const counts = countsOf(row);
    if ((job.req.save ?? true) !== false) {
      this.runs = [g, ...this.runs];
      this.byId.set(row.id, g);
      this.version++;
      lane.runIds.push(row.id);
    }
    const stored = storedRunOf(g, findPreset(row.scenario)?.doc ?? null);
    const summary: RunSummary = { id: row.id, scenario: row.scenario, strategy: row.strategy, mode: row.mode, seed: row.seed, status, violationCounts: counts, metrics: stored.metrics };
    job.results.push({ ...stored, id: row.id });
    this.emit({ type: 'job-run', jobId: job.info.jobId, lane: lane.key, run: summary });
    if (job.mode === 'explore') {
      const kind = (Object.keys(lane.planned)[0] as ViolationKind | undefined) ?? null;
      lane.verdict = kind ? 'violation' : 'safe';
      const result: ExploreDocument = {
        schema: 'ptlab.explore/1',
        scenario: job.scenario,
        strategy: lane.strategy,
        verdict: lane.verdict,
        complete: !kind,
        schedules: lane.explore?.schedules ?? 0,
        states: lane.explore?.states ?? 0,
        elapsedMs: lane.explore?.elapsedMs ?? 0,
        bounds: { maxSchedules: (job.req as ExploreRequest).maxSchedules ?? null, timeLimitS: (job.req as ExploreRequest).timeLimitS ?? null, preemptionBound: (job.req as ExploreRequest).preemptionBound ?? null },
        counterexample: kind ? { kind, message: stored.violations[0]?.message ?? kind, schedule: [], trace: stored.violations[0]?.trace ?? [] } : null,
      };
      this.emit({ type: 'job-explore', jobId: job.info.jobId, lane: lane.key, result, runId: row.id });
      const checkedOn = this.safetyJobs.get(job.info.jobId);
      if (checkedOn) {
        const kinds = kind ? { [kind]: 1 } : {};
        this.checked.set(`${checkedOn}|${lane.strategy}`, { cell: { verdict: kind ? 'violation' : 'proved-safe', kinds, mode: 'explore', runs: result.schedules }, runId: row.id });
      }
    }
    lane.done++;
    lane.seed++;
    if (lane.done < lane.runs) this.planRun(lane, job.scenario, job.mode);
    else lane.current = 0;
  }

  private finishJob(job: JobSim, state: JobInfo['state']): void {
    if (job.timer) clearInterval(job.timer);
    job.timer = null;
    job.info.state = state;
    for (const lane of job.lanes) {
      lane.etaMs = 0;
      lane.fraction = Math.min(1, lane.done / lane.runs);
    }
    const byStrategy: ResultsDocument['summary']['byStrategy'] = {};
    for (const r of job.results) {
      const s = (byStrategy[r.strategy] ??= { runs: 0, violating: 0, kinds: {} });
      s.runs++;
      const kinds = Object.keys(r.violationCounts) as ViolationKind[];
      if (kinds.length) s.violating++;
      for (const k of kinds) s.kinds[k] = (s.kinds[k] ?? 0) + 1;
    }
    let results: ResultsDocument | null = null;
    if (job.mode !== 'explore') {
      results = { schema: 'ptlab.results/1', version: __PTLAB_VERSION__, runs: job.results, summary: { runs: job.results.length, byStrategy } };
      if (job.mode === 'pct') {
        const depth = (job.req as RunRequest).pctDepth ?? 2;
        const strategies = [...new Set(job.lanes.map((l) => l.strategy))];
        results.summary.pct = strategies.map((s) => {
          const k = 1500;
          const actors = 3;
          const p = 1 / (actors * k ** (depth - 1));
          const n = job.results.filter((r) => r.strategy === s).length;
          return { depth, actors, k, runs: n, perRunBound: p, boundOverRuns: 1 - (1 - p) ** n };
        });
      }
    }
    this.emit({ type: 'job-finished', jobId: job.info.jobId, job: this.snapshot(job), results });
  }

  async startRun(req: RunRequest): Promise<JobInfo> {
    this.log('startRun', [req]);
    if (!['timed', 'random', 'pct'].includes(req.mode)) fail(`startRun: args[0].mode: expected one of timed, random, pct`);
    if (req.seeds !== undefined && (!Number.isInteger(req.seeds) || req.seeds < 1)) fail('startRun: args[0].seeds: expected an integer ≥ 1');
    return this.startJob('run', req, req.mode);
  }

  async startExplore(req: ExploreRequest): Promise<JobInfo> {
    this.log('startExplore', [req]);
    for (const k of req.kinds ?? []) if (!VIOLATION_KINDS.includes(k)) fail(`startExplore: args[0].kinds: unknown kind '${k}'`);
    return this.startJob('explore', req, 'explore');
  }

  async cancelJob(jobId: string): Promise<boolean> {
    this.log('cancelJob', [jobId]);
    const job = this.jobsById.get(jobId);
    if (!job || job.info.state !== 'running') return false;
    for (const lane of job.lanes) if (lane.done < lane.runs && lane.current > 0) this.finishRun(job, lane, 'cancelled');
    for (const lane of job.lanes) lane.runs = Math.min(lane.runs, lane.done);
    this.finishJob(job, 'cancelled');
    return true;
  }

  async jobs(): Promise<JobInfo[]> {
    this.log('jobs', []);
    return [...this.jobsById.values()].map((j) => this.snapshot(j));
  }

  async replay(req: ReplayRequest): Promise<ReplayResult> {
    this.log('replay', [req]);
    if (!('runId' in req)) fail('replay: the fake client replays saved runs only');
    const run = await this.getRun(req.runId);
    const v = run.violations[req.violation ?? 0];
    const expect = v ? { kind: v.kind, step: v.step } : null;
    return { schema: 'ptlab.replay/1', reproduced: true, diverged: false, expect, summary: expect ? `reproduced: ${expect.kind} at step ${expect.step}` : 'reproduced: no violation, as recorded', run };
  }
}

function publicLane(l: LaneSim): JobLane {
  return {
    key: l.key,
    strategy: l.strategy,
    point: l.point,
    runs: l.runs,
    done: l.done,
    fraction: l.fraction,
    etaMs: l.etaMs,
    counters: { ...l.counters },
    kinds: { ...l.kinds },
    runIds: [...l.runIds],
    ...(l.explore ? { explore: { ...l.explore } } : {}),
    ...(l.verdict ? { verdict: l.verdict } : {}),
  };
}
