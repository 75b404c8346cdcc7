/**
 * The Compare screen's state: the runs (any number, fetched a few at a
 * time), the pinned baseline (the lab's, shared with the Library; the first
 * run when none of these is pinned), each strategy's safety from the safety
 * presets, and the series the runs recorded. The only writer of its state.
 */
import { STRATEGIES } from '../../../core/strategies.ts';
import type { LabClient, SafetyVerdict, StoredRun } from '../lib/api.ts';
import { errorLine } from '../lib/client/methods.ts';
import type { UiStore } from '../lib/storage.ts';
import { knobRows, metricGroups, runLabels, safetyRows } from './model.ts';

/** Runs fetched at once (a comparison of hundreds stays responsive). */
const CONCURRENCY = 6;

export class CompareState {
  ids = $state.raw<string[]>([]);
  runs = $state.raw<StoredRun[]>([]);
  /** Ids that could not be loaded, with why. */
  failed = $state.raw<{ id: string; error: string }[]>([]);
  loading = $state(false);
  loaded = $state(0);
  pinned = $state<string | null>(null);
  safety = $state.raw<SafetyVerdict[] | null>(null);
  safetyError = $state<string | null>(null);
  onlyDiffers = $state(true);
  hideEqualMetrics = $state(true);
  series = $state.raw<{ name: string; unit: string }[]>([]);

  readonly baselineIndex = $derived(Math.max(0, this.runs.findIndex((r) => r.id === this.pinned)));
  readonly baseline = $derived(this.runs[this.baselineIndex] ?? null);
  readonly labels = $derived(runLabels(this.runs));
  readonly strategies = $derived([...new Set(this.runs.map((r) => r.strategy))]);
  readonly knobs = $derived(knobRows(this.runs, (id) => {
    const k = STRATEGIES.find((s) => s.id === id)?.knobs;
    return k ? { ...k } : null;
  }));
  readonly metrics = $derived(metricGroups(this.runs, this.baselineIndex));
  readonly verdicts = $derived(this.safety ? safetyRows(this.strategies, this.safety) : null);
  /** End of the longest run in simulated ns (the series' x range). */
  readonly endNs = $derived(this.runs.reduce((m, r) => Math.max(m, r.metrics['sim.time_ns'] ?? 0), 0));

  private generation = 0;

  constructor(
    private readonly client: LabClient,
    private readonly store: UiStore,
  ) {
    this.onlyDiffers = store.get('compare.onlyDiffers', true, (v) => typeof v === 'boolean');
    this.hideEqualMetrics = store.get('compare.hideEqual', true, (v) => typeof v === 'boolean');
  }

  /** The ids a bare #/compare shows: the last comparison. */
  lastIds(): string[] {
    return this.store.get<string[]>('compare.ids', [], (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
  }

  async load(ids: string[]): Promise<void> {
    const g = ++this.generation;
    this.ids = [...new Set(ids)];
    this.store.set('compare.ids', this.ids);
    this.loading = true;
    this.loaded = 0;
    this.failed = [];
    this.safety = null;
    this.safetyError = null;
    this.series = [];
    const got: (StoredRun | null)[] = new Array(this.ids.length).fill(null);
    const failed: { id: string; error: string }[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < this.ids.length && g === this.generation) {
        const i = next++;
        try {
          got[i] = await this.client.getRun(this.ids[i]);
        } catch (e) {
          failed.push({ id: this.ids[i], error: errorLine(e) });
        }
        if (g === this.generation) this.loaded++;
      }
    };
    const [pinned] = await Promise.all([this.client.getBaseline().catch(() => null), ...Array.from({ length: CONCURRENCY }, worker)]);
    if (g !== this.generation) return;
    this.runs = got.filter((r): r is StoredRun => r !== null);
    this.failed = failed;
    this.pinned = pinned && this.runs.some((r) => r.id === pinned) ? pinned : (this.runs[0]?.id ?? null);
    this.loading = false;
    await Promise.all([this.loadSafety(), this.loadSeries(g)]);
  }

  async loadSafety(): Promise<void> {
    if (this.strategies.length === 0) return;
    try {
      this.safety = await this.client.safety({ strategies: this.strategies });
      this.safetyError = null;
    } catch (e) {
      this.safetyError = errorLine(e);
    }
  }

  private async loadSeries(g: number): Promise<void> {
    const timed = this.runs.filter((r) => r.mode === 'timed');
    const lists = await Promise.all(timed.map((r) => this.client.listSeries(r.id).catch(() => [])));
    if (g !== this.generation) return;
    const seen = new Map<string, string>();
    for (const l of lists) for (const s of l) if (!seen.has(s.name)) seen.set(s.name, s.unit);
    this.series = [...seen].map(([name, unit]) => ({ name, unit }));
  }

  /** Pin a run as the baseline (for the Library too). */
  async pin(id: string): Promise<void> {
    const before = this.pinned;
    this.pinned = id;
    try {
      await this.client.setBaseline(id);
    } catch (e) {
      this.pinned = before;
      throw e;
    }
  }

  setOnlyDiffers(v: boolean): void {
    this.onlyDiffers = v;
    this.store.set('compare.onlyDiffers', v);
  }

  setHideEqual(v: boolean): void {
    this.hideEqualMetrics = v;
    this.store.set('compare.hideEqual', v);
  }

  /** Strategies whose safety is unknown on some preset. */
  unknown(scenario?: string): string[] {
    return [...new Set((this.safety ?? []).filter((v) => v.verdict === 'unknown' && (!scenario || v.scenario === scenario)).map((v) => v.strategy))];
  }
}
