/**
 * The Library's state: the query (filters, search, sort), the rows fetched
 * so far as pages of `listRuns` (only those near the viewport, with a cap,
 * so 100,000 runs cost a few hundred rows of memory), the selection and the
 * keyboard cursor, the pinned baseline, and the actions on a selection.
 * Filters, sort and selection are saved so a restart brings them back.
 */
import type { RunMode, RunStatus } from '../../../core/results.ts';
import type { ExportFormat, ExportedFile, LabClient, ListRequest, RunRow, RunSort, SavedExperiment } from '../lib/api.ts';
import type { UiStore } from '../lib/storage.ts';

export const PAGE_SIZE = 200;
/** Pages kept in memory; the farthest from the viewport go first. */
const MAX_PAGES = 40;
/** Ids fetched per request when a selection spans rows not loaded yet. */
const ID_CHUNK = 5000;

export interface LibraryFilter {
  scenario?: string;
  strategy?: string;
  mode?: RunMode;
  verdict?: 'safe' | 'violation';
  status?: RunStatus;
  tag?: string;
  /** First day (yyyy-mm-dd, local), inclusive. */
  since?: string;
  /** Last day (yyyy-mm-dd, local), inclusive. */
  until?: string;
  text?: string;
  experimentId?: number;
}

export interface SortState {
  key: RunSort;
  descending: boolean;
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A local day as the ISO instant it starts at. */
function dayStart(day: string, plusDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString();
}

export class LibraryState {
  filter = $state<LibraryFilter>({});
  sort = $state<SortState>({ key: 'startedAt', descending: true });
  total = $state(0);
  /** The first page of the current query has arrived. */
  ready = $state(false);
  error = $state<string | null>(null);
  selected = $state.raw<ReadonlySet<string>>(new Set());
  /** Row index of the keyboard cursor. */
  cursor = $state(0);
  baseline = $state<string | null>(null);
  experiments = $state.raw<SavedExperiment[]>([]);
  /** Bumped whenever a page arrives or a cached row changes. */
  version = $state(0);

  readonly selectedCount = $derived(this.selected.size);

  private pages = new Map<number, RunRow[]>();
  private pending = new Set<number>();
  private generation = 0;
  private anchor = 0;
  private lastView = 0;

  constructor(
    private readonly client: LabClient,
    private readonly store: UiStore,
  ) {
    this.filter = store.get<LibraryFilter>('library.filter', {}, isObject);
    this.sort = store.get<SortState>('library.sort', { key: 'startedAt', descending: true }, (v) => isObject(v) && typeof (v as SortState).key === 'string');
    this.selected = new Set(store.get<string[]>('library.selected', [], Array.isArray));
    this.cursor = store.get<number>('library.cursor', 0, (v) => Number.isInteger(v) && (v as number) >= 0);
    this.anchor = this.cursor;
    this.lastView = this.cursor;
  }

  /** Load the first page, the baseline and the experiments. */
  async start(): Promise<void> {
    this.refresh();
    try {
      const [baseline, experiments] = await Promise.all([this.client.getBaseline(), this.client.listExperiments()]);
      this.baseline = baseline;
      this.experiments = experiments;
    } catch (e) {
      this.error = lineOf(e);
    }
  }

  /** The listRuns request for the current filters and sort (without paging). */
  request(): ListRequest {
    const f = this.filter;
    const req: ListRequest = { sort: this.sort.key, descending: this.sort.descending };
    for (const k of ['scenario', 'strategy', 'mode', 'verdict', 'status', 'tag'] as const) if (f[k]) (req as Record<string, unknown>)[k] = f[k];
    if (f.text && f.text.trim()) req.text = f.text.trim();
    if (f.experimentId !== undefined) req.experimentId = f.experimentId;
    const since = f.since ? dayStart(f.since) : undefined;
    const until = f.until ? dayStart(f.until, 1) : undefined;
    if (since) req.since = since;
    if (until) req.until = until;
    return req;
  }

  /** The row at an index, if its page is loaded (reading it subscribes to page arrivals). */
  rowAt(index: number): RunRow | undefined {
    void this.version;
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Make sure the rows [from, to) are loaded or on their way, and the pages either side of them. */
  ensure(from: number, to: number): void {
    this.lastView = from;
    // Half a page of lead each way: a steady scroll finds the next rows already there.
    const first = Math.max(0, Math.floor((from - PAGE_SIZE / 2) / PAGE_SIZE));
    const last = Math.min(Math.floor(Math.max(0, this.total - 1) / PAGE_SIZE), Math.floor((Math.max(from, to - 1) + PAGE_SIZE / 2) / PAGE_SIZE));
    for (let p = first; p <= last; p++) if (!this.pages.has(p) && !this.pending.has(p)) void this.fetchPage(p);
  }

  private async fetchPage(page: number): Promise<RunRow[] | null> {
    const gen = this.generation;
    this.pending.add(page);
    try {
      const res = await this.client.listRuns({ ...this.request(), offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      if (gen !== this.generation) return null;
      this.pages.set(page, res.rows);
      this.total = res.total;
      this.ready = true;
      this.error = null;
      this.evict();
      this.version++;
      return res.rows;
    } catch (e) {
      if (gen === this.generation) this.error = `Could not list the runs: ${lineOf(e)}`;
      return null;
    } finally {
      if (gen === this.generation) this.pending.delete(page);
    }
  }

  private evict(): void {
    if (this.pages.size <= MAX_PAGES) return;
    const here = Math.floor(this.lastView / PAGE_SIZE);
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const p of far.slice(0, this.pages.size - MAX_PAGES)) this.pages.delete(p);
  }

  /** Drop every cached row and load the query again (filters changed, runs added or deleted). */
  refresh(): void {
    this.generation++;
    this.pages = new Map();
    this.pending = new Set();
    this.version++;
    void this.fetchPage(Math.floor(this.lastView / PAGE_SIZE)).then(() => {
      if (this.lastView !== 0) void this.fetchPage(0);
    });
  }

  setFilter(patch: Partial<LibraryFilter>): void {
    const next: LibraryFilter = { ...this.filter, ...patch };
    for (const k of Object.keys(next) as (keyof LibraryFilter)[]) if (next[k] === undefined || next[k] === '') delete next[k];
    this.filter = next;
    this.store.set('library.filter', next);
    this.cursor = 0;
    this.anchor = 0;
    this.lastView = 0;
    this.ready = false;
    this.refresh();
  }

  clearFilters(): void {
    this.filter = {};
    this.setFilter({});
  }

  readonly filtered = $derived(Object.keys(this.filter).length > 0);

  /** Sort by a column; the same column again flips the direction. */
  sortBy(key: RunSort): void {
    this.sort = this.sort.key === key ? { key, descending: !this.sort.descending } : { key, descending: key === 'startedAt' || key === 'violations' || key === 'wallMs' };
    this.store.set('library.sort', this.sort);
    this.lastView = 0;
    this.refresh();
  }

  // ------------------------------------------------------------ selection

  private setSelected(ids: Iterable<string>): void {
    this.selected = new Set(ids);
    this.store.set('library.selected', [...this.selected]);
  }

  private setCursor(i: number): void {
    this.cursor = Math.max(0, Math.min(i, Math.max(0, this.total - 1)));
    this.store.set('library.cursor', this.cursor);
  }

  /** A click on row `index`: alone, with shift (a range from the anchor) or with ctrl/cmd (toggle). */
  async click(index: number, mods: { shift?: boolean; toggle?: boolean } = {}): Promise<void> {
    const row = this.rowAt(index);
    if (!row) return;
    if (mods.shift) {
      const ids = await this.idsBetween(this.anchor, index);
      this.setSelected(mods.toggle ? [...this.selected, ...ids] : ids);
    } else if (mods.toggle) {
      const next = new Set(this.selected);
      if (next.has(row.id)) next.delete(row.id);
      else next.add(row.id);
      this.setSelected(next);
      this.anchor = index;
    } else {
      this.setSelected([row.id]);
      this.anchor = index;
    }
    this.setCursor(index);
  }

  /** Space: toggle the row under the cursor. */
  toggleCursor(): void {
    const row = this.rowAt(this.cursor);
    if (!row) return;
    const next = new Set(this.selected);
    if (next.has(row.id)) next.delete(row.id);
    else next.add(row.id);
    this.setSelected(next);
    this.anchor = this.cursor;
  }

  /** Arrow keys: move the cursor; with shift, extend the selection from the anchor. */
  async move(delta: number, extend = false): Promise<void> {
    if (this.total === 0) return;
    const to = Math.max(0, Math.min(this.total - 1, this.cursor + delta));
    this.setCursor(to);
    this.ensure(to, to + 1);
    if (extend) {
      this.setSelected(await this.idsBetween(this.anchor, to));
    } else {
      const row = this.rowAt(to) ?? (await this.rowLoaded(to));
      if (row) this.setSelected([row.id]);
      this.anchor = to;
    }
  }

  private async rowLoaded(index: number): Promise<RunRow | undefined> {
    const rows = await this.fetchPage(Math.floor(index / PAGE_SIZE));
    return rows?.[index % PAGE_SIZE];
  }

  /** Every id of the current query (for select-all); fetched in chunks when not loaded. */
  async selectAll(): Promise<void> {
    this.setSelected(await this.idsBetween(0, this.total - 1));
  }

  clearSelection(): void {
    this.setSelected([]);
  }

  private async idsBetween(a: number, b: number): Promise<string[]> {
    const lo = Math.max(0, Math.min(a, b));
    const hi = Math.min(this.total - 1, Math.max(a, b));
    const out: string[] = [];
    let i = lo;
    while (i <= hi) {
      const row = this.rowAt(i);
      if (row) {
        out.push(row.id);
        i++;
        continue;
      }
      const limit = Math.min(ID_CHUNK, hi - i + 1);
      const res = await this.client.listRuns({ ...this.request(), offset: i, limit });
      for (const r of res.rows) out.push(r.id);
      if (res.rows.length === 0) break;
      i += res.rows.length;
    }
    return out;
  }

  /** The single run the details panel shows: the cursor's row when it is selected. */
  readonly focusedId = $derived.by(() => {
    void this.version;
    const row = this.rowAt(this.cursor);
    if (row && this.selected.has(row.id)) return row.id;
    return this.selected.size === 1 ? [...this.selected][0] : null;
  });

  // ------------------------------------------------------------ actions

  async remove(ids: string[]): Promise<{ deleted: number; undoToken: string }> {
    const res = await this.client.deleteRuns(ids);
    const gone = new Set(ids);
    this.setSelected([...this.selected].filter((id) => !gone.has(id)));
    if (this.baseline && gone.has(this.baseline)) this.baseline = await this.client.getBaseline();
    this.refresh();
    return res;
  }

  async undo(token: string): Promise<number> {
    const { restored } = await this.client.undoDelete(token);
    this.baseline = await this.client.getBaseline();
    this.refresh();
    return restored;
  }

  /** Update cached rows in place (tags changed) so the table does not flicker. */
  private patchRows(ids: Set<string>, patch: (r: RunRow) => RunRow): void {
    for (const [p, rows] of this.pages) this.pages.set(p, rows.map((r) => (ids.has(r.id) ? patch(r) : r)));
    this.version++;
  }

  async addTag(ids: string[], tag: string): Promise<void> {
    await this.client.addTags(ids, [tag]);
    this.patchRows(new Set(ids), (r) => ({ ...r, tags: [...new Set([...r.tags, tag])].sort() }));
  }

  async removeTag(id: string, tag: string): Promise<void> {
    await this.client.removeTag(id, tag);
    this.patchRows(new Set([id]), (r) => ({ ...r, tags: r.tags.filter((t) => t !== tag) }));
  }

  async pin(id: string | null): Promise<void> {
    await this.client.setBaseline(id);
    this.baseline = id;
  }

  async importDoc(doc: unknown): Promise<string[]> {
    const { ids } = await this.client.importResults(doc);
    this.refresh();
    return ids;
  }

  exportRuns(ids: string[], format: ExportFormat): Promise<ExportedFile> {
    return this.client.exportRuns({ ids, format, ...(this.baseline && ids.includes(this.baseline) ? { baselineId: this.baseline } : {}) });
  }

  /** The tags of a loaded row (the details panel follows edits made here). */
  rowsTags(id: string): string[] | undefined {
    for (const rows of this.pages.values()) {
      const r = rows.find((x) => x.id === id);
      if (r) return r.tags;
    }
    return undefined;
  }

  /** Tags seen on the loaded rows (suggestions for the tag field and filter). */
  knownTags(): string[] {
    const out = new Set<string>();
    for (const rows of this.pages.values()) for (const r of rows) for (const t of r.tags) out.add(t);
    return [...out].sort();
  }
}

function lineOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
