/**
 * The jobs of this session, kept from the moment the app starts (so nothing
 * is lost while the user moves from the Designer to the Live run): lanes and
 * their progress, violations as they arrive, finished runs, and the live
 * series in bounded buffers. The only writer is the event handler here.
 */
import type { ExploreDocument, ResultsDocument, Violation } from '../../../core/results.ts';
import type { JobInfo, JobLane, LabClient, LabEvent, RunSummary } from '../lib/api.ts';

/** Points kept per lane and series; beyond this the buffer halves its resolution. */
export const SERIES_CAPACITY = 4096;

/**
 * A series buffer of bounded size: when full, it drops every other point and
 * from then on keeps one point in two (then four, ...), so a long run keeps
 * its whole shape in constant memory.
 */
export class SeriesBuffer {
  readonly x: Float64Array;
  readonly y: Float64Array;
  length = 0;
  private stride = 1;
  private skipped = 0;

  constructor(readonly capacity = SERIES_CAPACITY) {
    this.x = new Float64Array(capacity);
    this.y = new Float64Array(capacity);
  }

  push(x: number, y: number): void {
    if (++this.skipped < this.stride) {
      // Keep the newest value of a skipped stretch in the last slot, so the line ends where the run is.
      if (this.length > 0) {
        this.x[this.length - 1] = x;
        this.y[this.length - 1] = y;
      }
      return;
    }
    this.skipped = 0;
    if (this.length === this.capacity) {
      for (let i = 0; i < this.capacity / 2; i++) {
        this.x[i] = this.x[2 * i + 1];
        this.y[i] = this.y[2 * i + 1];
      }
      this.length = this.capacity / 2;
      this.stride *= 2;
    }
    this.x[this.length] = x;
    this.y[this.length] = y;
    this.length++;
  }

  get lastX(): number {
    return this.length ? this.x[this.length - 1] : 0;
  }
}

export interface LaneSeries {
  runId: string | null;
  buffer: SeriesBuffer;
}

/** One named series (e.g. vmalloc.ops) over the lanes of a job. */
export interface SeriesGroup {
  name: string;
  unit: string;
  /** What the x axis counts. */
  xUnit: 'ns' | 'runs';
  lanes: Map<string, LaneSeries>;
}

export interface LiveViolation {
  lane: string;
  runId: string | null;
  seed: number;
  /** Index of this violation in its run (the Trace screen's address). */
  index: number;
  violation: Violation;
  /** When it arrived (ms since the job started here). */
  atMs: number;
}

/** Violations kept for display; a run with thousands keeps the first ones. */
const MAX_VIOLATIONS = 2000;

export class LiveJob {
  info = $state.raw<JobInfo>(undefined as unknown as JobInfo);
  lanes = $state.raw<JobLane[]>([]);
  violations = $state.raw<LiveViolation[]>([]);
  /** Violations that arrived beyond MAX_VIOLATIONS. */
  droppedViolations = $state(0);
  runs = $state.raw<RunSummary[]>([]);
  explore = $state.raw<Record<string, ExploreDocument>>({});
  results = $state.raw<ResultsDocument | null>(null);
  failure = $state<string | null>(null);
  /** Bumped whenever a series gains points (charts redraw when it changes). */
  seriesVersion = $state(0);
  readonly series = new Map<string, SeriesGroup>();
  private readonly perRun = new Map<string, number>();
  private readonly tally = new Map<string, { done: number; violating: number }>();
  private hasTimeSeries = false;
  private readonly seen = performance.now();

  readonly state = $derived(this.info.state);
  readonly running = $derived(this.info.state === 'running');
  readonly runIds = $derived(this.lanes.flatMap((l) => l.runIds));

  constructor(info: JobInfo) {
    this.info = info;
    this.lanes = info.lanes;
  }

  apply(e: LabEvent): void {
    switch (e.type) {
      case 'job-started':
        this.info = e.job;
        this.lanes = e.job.lanes;
        break;
      case 'job-progress':
        this.lanes = e.lanes;
        break;
      case 'job-series':
        this.addSeries(e.lane, e.runId, e.name, e.unit, 'ns', e.x, e.y);
        break;
      case 'job-violation': {
        const key = e.runId ?? `${e.lane}#${e.seed}`;
        const index = this.perRun.get(key) ?? 0;
        this.perRun.set(key, index + 1);
        if (this.violations.length >= MAX_VIOLATIONS) this.droppedViolations++;
        else this.violations = [...this.violations, { lane: e.lane, runId: e.runId, seed: e.seed, index, violation: e.violation, atMs: performance.now() - this.seen }];
        break;
      }
      case 'job-run': {
        this.runs = [...this.runs, e.run];
        // A violation reported before its run was saved learns the run id now.
        if (e.run.id) {
          const id = e.run.id;
          if (this.violations.some((v) => v.runId === null && v.lane === e.lane && v.seed === e.run.seed)) {
            this.violations = this.violations.map((v) => (v.runId === null && v.lane === e.lane && v.seed === e.run.seed ? { ...v, runId: id } : v));
          }
        }
        const tally = this.tally.get(e.lane) ?? { done: 0, violating: 0 };
        tally.done++;
        if (Object.values(e.run.violationCounts).some((n) => (n ?? 0) > 0)) tally.violating++;
        this.tally.set(e.lane, tally);
        // Runs without series of their own (random, PCT) chart how many runs hit a violation.
        if (!this.hasTimeSeries && this.info.kind === 'run') this.addSeries(e.lane, null, 'runs.violating', 'runs', 'runs', [tally.done], [tally.violating]);
        break;
      }
      case 'job-explore':
        this.explore = { ...this.explore, [e.lane]: e.result };
        break;
      case 'job-finished':
        this.info = e.job;
        this.lanes = e.job.lanes;
        this.results = e.results;
        break;
      case 'job-failed':
        this.info = { ...this.info, state: 'failed' };
        this.failure = e.message;
        break;
    }
  }

  private addSeries(lane: string, runId: string | null, name: string, unit: string, xUnit: SeriesGroup['xUnit'], x: number[], y: number[]): void {
    let group = this.series.get(name);
    if (!group) {
      // Real series replace the runs-so-far chart used while no run reports any.
      if (xUnit === 'ns') {
        this.series.delete('runs.violating');
        this.hasTimeSeries = true;
      }
      group = { name, unit, xUnit, lanes: new Map() };
      this.series.set(name, group);
    }
    let ls = group.lanes.get(lane);
    // Each run of a lane starts its simulated clock at 0: show the run in flight.
    if (!ls || (runId !== null && ls.runId !== runId)) {
      ls = { runId, buffer: new SeriesBuffer() };
      group.lanes.set(lane, ls);
    }
    for (let i = 0; i < x.length; i++) ls.buffer.push(x[i], y[i]);
    this.seriesVersion++;
  }
}

export class JobStore {
  /** Jobs of this session (and running jobs found at start), newest first. */
  jobs = $state.raw<LiveJob[]>([]);
  private readonly byId = new Map<string, LiveJob>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly client: LabClient) {}

  /** Subscribe to events and pick up jobs already running (after a reload). */
  async start(): Promise<void> {
    this.unsubscribe = this.client.onEvent((e) => this.apply(e));
    try {
      for (const info of await this.client.jobs()) if (!this.byId.has(info.jobId)) this.add(info);
    } catch {
      // No job list (e.g. the server is gone): the events will still bring new jobs.
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** A job by id (the newest without one); reading it follows the job list. */
  get(jobId: string | undefined): LiveJob | undefined {
    return jobId ? this.jobs.find((j) => j.info.jobId === jobId) : this.jobs[0];
  }

  /** Track a job the UI just started (its events may already be on the way). */
  track(info: JobInfo): LiveJob {
    return this.byId.get(info.jobId) ?? this.add(info);
  }

  private add(info: JobInfo): LiveJob {
    const job = new LiveJob(info);
    this.byId.set(info.jobId, job);
    this.jobs = [job, ...this.jobs];
    return job;
  }

  private apply(e: LabEvent): void {
    let job = this.byId.get(e.jobId);
    if (!job) {
      if (e.type !== 'job-started') return;
      job = this.add(e.job);
    }
    job.apply(e);
  }
}
