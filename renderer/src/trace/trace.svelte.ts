/**
 * The Trace viewer's state: the opened trace (TraceInfo), its steps paged
 * in from the lab (the first page shows at once, the rest follow in the
 * background), the rows the filters and folds make of them, the current
 * step and the machine state at it (asked for as the user steps, the latest
 * request winning, recent answers cached), and the race's chain of key
 * steps. The only writer of its state.
 */
import type { TraceStep } from '../../../core/results.ts';
import type { LabClient, MachineState, TraceInfo, TraceSource } from '../lib/api.ts';
import { errorLine } from '../lib/client/methods.ts';
import { type KeyStep, ROLE_ORDER, storyOf } from '../lib/story.ts';
import { type Row, type StepKind, buildRows, rowOfStep } from './rows.ts';

/** Steps in the first traceSteps request (what the first paint waits for), then per request after it. */
export const FIRST_PAGE = 5_000;
export const PAGE = 50_000;
/** Machine states kept (the user steps back and forth over a few). */
const STATE_CACHE = 48;

export class TraceState {
  info = $state.raw<TraceInfo | null>(null);
  error = $state<string | null>(null);
  opening = $state(false);
  /** Steps loaded so far, in order (the log is loaded front to back). */
  steps = $state.raw<TraceStep[]>([]);
  current = $state(0);
  machine = $state.raw<MachineState | null>(null);
  machineError = $state<string | null>(null);
  hiddenActors = $state.raw<ReadonlySet<string>>(new Set());
  fnFilter = $state('');
  kinds = $state.raw<ReadonlySet<StepKind>>(new Set());
  expanded = $state.raw<ReadonlySet<number>>(new Set());
  unfold = $state(false);
  /** The race's chain is highlighted (a click on any of its steps or arrows). */
  chainOn = $state(false);

  readonly loadedAll = $derived(this.info !== null && this.steps.length >= this.info.totalSteps);
  readonly story = $derived(storyOf(this.info?.violation));
  readonly keys = $derived(new Map(this.story.keySteps.map((k) => [k.step, k])));
  /** The key steps in the order the race happens (by step; ties by role). */
  readonly chain = $derived<KeyStep[]>([...this.story.keySteps].sort((a, b) => a.step - b.step || ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role)));
  readonly actors = $derived(this.info?.actors ?? []);
  readonly lanes = $derived(this.actors.filter((a) => !this.hiddenActors.has(a.name)));
  readonly rows = $derived<Row[]>(
    buildRows(this.steps, { hiddenActors: this.hiddenActors, fn: this.fnFilter.trim(), kinds: this.kinds, expanded: this.expanded, unfold: this.unfold }, this.keys, (actor) => this.lanes.findIndex((a) => a.name === actor)),
  );
  readonly currentRow = $derived(rowOfStep(this.rows, this.current));
  readonly currentStep = $derived(this.stepAt(this.current));
  /** Function names seen (for the filter's suggestions). */
  readonly functions = $derived([...new Set(this.steps.slice(0, 50_000).map((s) => s.function))].sort());

  private generation = 0;
  private stateGeneration = 0;
  private readonly cache = new Map<number, MachineState>();
  private stateTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: LabClient) {}

  /** Open a trace; `start` is the step to show first (default: the violation's). Closes the one open before. */
  async open(source: TraceSource, start?: number): Promise<void> {
    const g = ++this.generation;
    const before = this.info;
    this.info = null;
    this.steps = [];
    this.machine = null;
    this.error = null;
    this.machineError = null;
    this.expanded = new Set();
    this.hiddenActors = new Set();
    this.chainOn = false;
    this.cache.clear();
    this.opening = true;
    if (before) void this.client.closeTrace(before.traceId).catch(() => {});
    let info: TraceInfo;
    try {
      info = await this.client.openTrace(source);
    } catch (e) {
      if (g === this.generation) {
        this.error = errorLine(e);
        this.opening = false;
      }
      return;
    }
    if (g !== this.generation) {
      void this.client.closeTrace(info.traceId).catch(() => {});
      return;
    }
    this.info = info;
    const target = Math.min(info.totalSteps - 1, Math.max(0, start ?? info.violation?.step ?? info.totalSteps - 1));
    this.current = target;
    this.requestState();
    await this.loadSteps(g, info);
  }

  private async loadSteps(g: number, info: TraceInfo): Promise<void> {
    let acc: TraceStep[] = [];
    for (let offset = 0; offset < info.totalSteps; ) {
      const size = offset === 0 ? FIRST_PAGE : PAGE;
      let page: TraceStep[];
      try {
        page = await this.client.traceSteps(info.traceId, offset, Math.min(size, info.totalSteps - offset));
      } catch (e) {
        if (g === this.generation) this.error = `Steps from ${offset.toLocaleString('en-US')} could not be read: ${errorLine(e)}`;
        break;
      }
      if (g !== this.generation) return;
      offset += size;
      acc = acc.concat(page);
      this.steps = acc;
      if (offset === 0) this.opening = false;
      if (page.length === 0) break;
      // Let the page paint what has arrived before asking for more (an in-process lab answers at once).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (g === this.generation) this.opening = false;
  }

  close(): void {
    this.generation++;
    const info = this.info;
    if (info) void this.client.closeTrace(info.traceId).catch(() => {});
  }

  stepAt(n: number): TraceStep | null {
    const s = this.steps[n];
    if (s && s.step === n) return s;
    // Steps are in order but not necessarily one per number (an engine may fold): search.
    let lo = 0;
    let hi = this.steps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.steps[mid];
      if (m.step === n) return m;
      if (m.step < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  /** Go to step `n` (clamped to the trace) and ask for the machine there. */
  go(n: number): void {
    if (!this.info) return;
    this.current = Math.max(-1, Math.min(this.info.totalSteps - 1, Math.round(n)));
    this.requestState();
  }

  /** Next (+1) or previous (−1) row; with `single`, step by step through a folded row too. */
  move(dir: 1 | -1, single = false): void {
    const rows = this.rows;
    if (rows.length === 0) return;
    const i = Math.max(0, this.currentRow);
    const row = rows[i];
    if (dir > 0) {
      if (single && row.count > 1 && this.current >= row.from && this.current < row.to) this.go(this.current + 1);
      else if (this.current < row.from) this.go(row.from);
      else this.go(rows[Math.min(rows.length - 1, i + 1)].from);
    } else {
      if (single && row.count > 1 && this.current > row.from && this.current <= row.to) this.go(this.current - 1);
      else {
        const prev = rows[Math.max(0, i - 1)];
        this.go(single && prev.count > 1 ? prev.to : prev.from);
      }
    }
  }

  /** The next or previous key step of the chain. */
  moveKey(dir: 1 | -1): void {
    const chain = this.chain;
    if (chain.length === 0) return;
    const next = dir > 0 ? chain.find((k) => k.step > this.current) : [...chain].reverse().find((k) => k.step < this.current);
    if (next) this.go(next.step);
  }

  private requestState(): void {
    const info = this.info;
    if (!info) return;
    const step = this.current;
    const hit = this.cache.get(step);
    if (hit) {
      this.machine = hit;
      this.machineError = null;
      return;
    }
    clearTimeout(this.stateTimer);
    const g = ++this.stateGeneration;
    // Holding an arrow key asks only for where the user stops.
    this.stateTimer = setTimeout(async () => {
      try {
        const m = await this.client.traceState(info.traceId, step);
        if (this.cache.size >= STATE_CACHE) this.cache.delete(this.cache.keys().next().value as number);
        this.cache.set(step, m);
        if (g === this.stateGeneration && this.info === info) {
          this.machine = m;
          this.machineError = null;
        }
      } catch (e) {
        if (g === this.stateGeneration) this.machineError = errorLine(e);
      }
    }, 25);
  }

  toggleActor(name: string): void {
    const h = this.hiddenActors;
    // Hiding the last lane would show nothing: keep one.
    if (!h.has(name) && this.actors.length - h.size <= 1) return;
    this.hiddenActors = h.has(name) ? new Set([...h].filter((x) => x !== name)) : new Set([...h, name]);
  }

  toggleKind(k: StepKind): void {
    this.kinds = this.kinds.has(k) ? new Set([...this.kinds].filter((x) => x !== k)) : new Set([...this.kinds, k]);
  }

  toggleFold(from: number): void {
    this.expanded = this.expanded.has(from) ? new Set([...this.expanded].filter((x) => x !== from)) : new Set([...this.expanded, from]);
  }
}
