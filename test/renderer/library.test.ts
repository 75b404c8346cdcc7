/**
 * The Library as a user meets it, on the fake lab (generated history, seed 17):
 * a window of rows for 100,000 runs, filters, sort, selection with the mouse
 * and the keys, delete and undo, import errors, and state kept over a restart.
 */
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderApp, tableRows } from './helpers.ts';

async function rowsLoaded(container: HTMLElement): Promise<HTMLElement[]> {
  return waitFor(() => {
    const rows = tableRows(container);
    if (rows.length === 0) throw new Error('no rows yet');
    return rows;
  });
}

function totalShown(container: HTMLElement): string {
  return container.querySelector('.toolbar .count')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

describe('Library', () => {
  it('keeps only a window of rows in the DOM with 100,000 runs', async () => {
    const { view, fake } = renderApp('#/library', { runs: 100_000 });
    const rows = await rowsLoaded(view.container);
    expect(totalShown(view.container)).toContain('100,000 runs');
    // A screenful and some overscan, not the history.
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(80);
    expect(view.container.querySelector('[role=grid]')!.getAttribute('aria-rowcount')).toBe('100001');
    // Pages, not everything: every listRuns call asked for a bounded page.
    const pages = fake.calls.filter((c) => c.method === 'listRuns').map((c) => (c.args[0] as { limit?: number }).limit ?? Infinity);
    expect(pages.every((limit) => limit <= 200)).toBe(true);
  });

  it('filters by verdict and by scenario, and says how many match', async () => {
    const { view, fake } = renderApp('#/library', { runs: 2000 });
    await rowsLoaded(view.container);
    await fireEvent.change(screen.getByLabelText('Verdict'), { target: { value: 'violation' } });
    await waitFor(() => expect(totalShown(view.container)).toMatch(/runs match/));
    const rows = await rowsLoaded(view.container);
    for (const r of rows) expect(within(r).getByText(/^✗ \d+$/)).toBeTruthy();
    expect(within(rows[0]).queryByText('safe')).toBeNull();

    await fireEvent.change(screen.getByLabelText('Scenario'), { target: { value: 'section-tlb' } });
    await waitFor(() => {
      const now = tableRows(view.container);
      expect(now.length).toBeGreaterThan(0);
      for (const r of now) expect(r.textContent).toContain('section-tlb');
    });
    // Only v5 breaks section-tlb (the block entry freed before it is cleared, no TLBI).
    for (const r of tableRows(view.container)) expect(r.textContent).toMatch(/\bv5\b/);
    const last = fake.calls.filter((c) => c.method === 'listRuns').at(-1)!.args[0];
    expect(last).toMatchObject({ verdict: 'violation', scenario: 'section-tlb' });
  });

  it('sorts by a column, and again the other way', async () => {
    const { view, fake } = renderApp('#/library', { runs: 500 });
    const all = (await fake.listRuns({ limit: 500 })).rows.map((r) => r.seed);
    const lowest = all.reduce((m, x) => Math.min(m, x), Infinity);
    await rowsLoaded(view.container);
    const seedHeader = screen.getByRole('button', { name: /^Seed/ });
    await fireEvent.click(seedHeader);
    const seeds = async (): Promise<number[]> =>
      waitFor(() => {
        const s = tableRows(view.container).map((r) => Number(r.querySelectorAll('[role=gridcell]')[5].textContent));
        if (s.length === 0) throw new Error('no rows');
        return s;
      });
    await waitFor(async () => {
      const s = await seeds();
      expect(s).toEqual([...s].sort((a, b) => a - b));
      expect(s[0]).toBe(lowest);
    });
    expect(seedHeader.closest('[role=columnheader]')!.getAttribute('aria-sort')).toBe('ascending');
    await fireEvent.click(seedHeader);
    await waitFor(async () => {
      const s = await seeds();
      expect(s).toEqual([...s].sort((a, b) => b - a));
      expect(s[0]).toBeGreaterThan(lowest);
    });
  });

  it('selects with click, shift-click, ctrl-click and the keys, and shows the run', async () => {
    const { view } = renderApp('#/library', { runs: 300 });
    const rows = await rowsLoaded(view.container);
    await fireEvent.click(rows[1]);
    await waitFor(() => expect(totalShown(view.container)).toContain('1 selected'));
    // One run selected: its details show.
    const details = await screen.findByRole('complementary', { name: 'Run details' });
    await within(details).findByText(rows[1].dataset.id!);

    await fireEvent.click(rows[4], { shiftKey: true });
    await waitFor(() => expect(totalShown(view.container)).toContain('4 selected'));
    await fireEvent.click(rows[7], { ctrlKey: true });
    await waitFor(() => expect(totalShown(view.container)).toContain('5 selected'));
    const selected = tableRows(view.container).filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => r.dataset.id);
    expect(selected).toEqual([rows[1], rows[2], rows[3], rows[4], rows[7]].map((r) => r.dataset.id));

    // Keys: Down moves the cursor and selects that run alone; Shift+Down extends.
    await fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(totalShown(view.container)).toContain('1 selected'));
    expect(tableRows(view.container)[8].getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(window, { key: 'ArrowDown', shiftKey: true });
    await fireEvent.keyDown(window, { key: 'ArrowDown', shiftKey: true });
    await waitFor(() => expect(totalShown(view.container)).toContain('3 selected'));
    await fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(totalShown(view.container)).not.toContain('selected'));
  });

  it('deletes after asking, and Undo brings the runs back', async () => {
    const { view, fake } = renderApp('#/library', { runs: 300 });
    const rows = await rowsLoaded(view.container);
    const ids = [rows[0].dataset.id!, rows[1].dataset.id!];
    await fireEvent.click(rows[0]);
    await fireEvent.click(rows[1], { ctrlKey: true });
    await waitFor(() => expect(totalShown(view.container)).toContain('2 selected'));
    await fireEvent.click(screen.getByRole('button', { name: 'Delete…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete 2 runs?' });
    expect(fake.calls.some((c) => c.method === 'deleteRuns')).toBe(false);
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Delete 2 runs' }));
    await screen.findByText('Deleted 2 runs.');
    await waitFor(() => expect(totalShown(view.container)).toContain('298 runs'));
    for (const id of ids) expect(view.container.querySelector(`[data-id="${id}"]`)).toBeNull();

    await fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await screen.findByText('Restored 2 runs.');
    await waitFor(() => expect(totalShown(view.container)).toContain('300 runs'));
    await waitFor(() => {
      for (const id of ids) expect(view.container.querySelector(`[data-id="${id}"]`)).not.toBeNull();
    });
  });

  it('shows why an import failed, and imports nothing', async () => {
    const { view } = renderApp('#/library', { runs: 100 });
    await rowsLoaded(view.container);
    const input = screen.getByLabelText('Import results file') as HTMLInputElement;
    const bad = new File([JSON.stringify({ schema: 'ptlab.results/1', version: '0.1.0', runs: [{ scenario: 'thread-race', strategy: 'v6', mode: 'random', seed: 1, status: 'completed' }, { scenario: 'thread-race', strategy: 'v6', mode: 'sideways', seed: 2, status: 'completed' }] })], 'two-runs.json', { type: 'application/json' });
    await fireEvent.change(input, { target: { files: [bad] } });
    const alert = await screen.findByText(/Nothing imported from two-runs\.json/);
    expect(alert.textContent).toContain('runs[1].mode: expected one of timed, random, pct, explore, replay');
    expect(totalShown(view.container)).toContain('100 runs');

    const notJson = new File(['{"schema": "ptlab.results/1", runs: ['], 'broken.json', { type: 'application/json' });
    await fireEvent.change(input, { target: { files: [notJson] } });
    await screen.findByText(/Nothing imported from broken\.json: it is not JSON/);

    // Dropped on the Library, a file goes the same way.
    const library = screen.getByRole('region', { name: 'Library' });
    const dropped = new File(['{"schema": "ptlab.results/0", "runs": []}'], 'old.json', { type: 'application/json' });
    const hint = (): string | undefined => library.querySelector('.drop')?.textContent ?? undefined;
    // A drag of text is not a file drop: no hint.
    await fireEvent.dragEnter(library, { dataTransfer: { types: ['text/plain'] } });
    expect(hint()).toBeUndefined();
    // Moving over a child enters it before leaving the parent: the hint stays until the drag leaves both.
    const child = screen.getByLabelText('Search runs');
    await fireEvent.dragEnter(library, { dataTransfer: { types: ['Files'] } });
    await fireEvent.dragEnter(child, { dataTransfer: { types: ['Files'] } });
    await fireEvent.dragLeave(library, { dataTransfer: { types: ['Files'] } });
    expect(hint()).toContain('ptlab.results/1 JSON file to import it');
    await fireEvent.dragLeave(child, { dataTransfer: { types: ['Files'] } });
    expect(hint()).toBeUndefined();
    await fireEvent.dragEnter(library, { dataTransfer: { types: ['Files'] } });
    await fireEvent.drop(library, { dataTransfer: { files: [dropped], types: ['Files'] } });
    expect(hint()).toBeUndefined();
    await screen.findByText('Nothing imported from old.json: import: schema: expected "ptlab.results/1", got "ptlab.results/0"');

    const good = new File([JSON.stringify({ schema: 'ptlab.results/1', version: '0.1.0', runs: [{ scenario: 'thread-race', strategy: 'upstream', mode: 'random', seed: 9, status: 'completed', violationCounts: {} }] })], 'one.json', { type: 'application/json' });
    await fireEvent.change(input, { target: { files: [good] } });
    await screen.findByText('Imported 1 run from one.json');
    await waitFor(() => expect(totalShown(view.container)).toContain('101 runs'));
  });

  it('comes back after a restart with the same filters, selection and screen', async () => {
    const first = renderApp('#/library', { runs: 400 });
    await rowsLoaded(first.view.container);
    await fireEvent.change(screen.getByLabelText('Strategy'), { target: { value: 'upstream' } });
    await waitFor(() => {
      const rows = tableRows(first.view.container);
      expect(rows.length).toBeGreaterThan(2);
      for (const r of rows) expect(r.textContent).toContain('upstream');
    });
    const rows = tableRows(first.view.container);
    await fireEvent.click(rows[2]);
    const chosen = rows[2].dataset.id!;
    await waitFor(() => expect(totalShown(first.view.container)).toContain('1 selected'));
    cleanup();

    // A restart opens the bare address: the saved screen, filters and selection come back.
    const again = renderApp('', { runs: 400, storage: first.storage });
    await rowsLoaded(again.view.container);
    expect(again.bar.hash).toBe('#/library');
    expect((screen.getByLabelText('Strategy') as HTMLSelectElement).value).toBe('upstream');
    await waitFor(() => expect(again.view.container.querySelector(`[data-id="${chosen}"]`)?.getAttribute('aria-selected')).toBe('true'));
    expect(totalShown(again.view.container)).toContain('1 selected');
  });

  it('tags a run, keeps its note, and pins it as the baseline', async () => {
    const { view, fake } = renderApp('#/library', { runs: 60 });
    const rows = await rowsLoaded(view.container);
    const id = rows[3].dataset.id!;
    await fireEvent.click(rows[3]);
    const details = await screen.findByRole('complementary', { name: 'Run details' });
    await within(details).findByText(id);

    const tag = within(details).getByLabelText('Add a tag');
    await fireEvent.input(tag, { target: { value: 'lkml-reply' } });
    await fireEvent.submit(tag.closest('form')!);
    await waitFor(() => expect(view.container.querySelector(`[data-id="${id}"]`)!.textContent).toContain('lkml-reply'));

    const note = within(details).getByLabelText('Note');
    await fireEvent.input(note, { target: { value: 'the free at 1052 is what vmalloc#2 writes into' } });
    await fireEvent.click(within(details).getByRole('button', { name: 'Save note' }));
    await screen.findByText('Note saved');
    expect((await fake.getRun(id)).note).toBe('the free at 1052 is what vmalloc#2 writes into');

    await fireEvent.click(within(details).getByRole('button', { name: 'Pin as baseline' }));
    await waitFor(() => expect(within(view.container.querySelector(`[data-id="${id}"]`) as HTMLElement).getByText('baseline')).toBeTruthy());
    expect(await fake.getBaseline()).toBe(id);
  });

  it('exports the selection as CSV through the save hook', async () => {
    const { view, saved } = renderApp('#/library', { runs: 50 });
    const rows = await rowsLoaded(view.container);
    await fireEvent.click(rows[0]);
    await fireEvent.click(rows[2], { shiftKey: true });
    await waitFor(() => expect(totalShown(view.container)).toContain('3 selected'));
    await fireEvent.click(screen.getByRole('button', { name: 'CSV' }));
    await waitFor(() => expect(saved.length).toBe(1));
    expect(saved[0].filename).toMatch(/\.csv$/);
    expect(saved[0].data.trim().split('\n')).toHaveLength(4);
  });
});
