/**
 * Export on the fake lab: what goes out (runs, baseline, title), the format
 * chosen, exportRuns called with them, and the file handed over the way the
 * transport can — a download in web mode, the lab's saveFile (the save
 * dialog) in the desktop app. Compare and the Trace viewer open it with
 * their runs.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeLab } from '../../renderer/src/lib/client/fake.ts';
import { renderApp } from './helpers.ts';

async function someRuns(fake: FakeLab, n: number): Promise<string[]> {
  const page = await fake.listRuns({ scenario: 'thread-race', limit: n });
  return page.rows.map((r) => r.id);
}

describe('Export', () => {
  it('exports with the chosen format, title and baseline, and downloads in web mode', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    const ids = await someRuns(fake, 3);
    const { saved } = renderApp(`#/export?ids=${ids.join(',')}&baseline=${ids[1]}`, { fake });
    const runs = await screen.findByRole('table', { name: 'Runs to export' });
    await waitFor(() => expect(within(runs).getAllByRole('row')).toHaveLength(4));
    // The baseline passed in is the one picked.
    expect((within(runs).getAllByRole('radio')[1] as HTMLInputElement).checked).toBe(true);
    const title = screen.getByLabelText('Report title') as HTMLInputElement;
    expect(title.value).toMatch(/^PT Lab: thread-race — /);
    await fireEvent.input(title, { target: { value: 'thread-race: who frees what' } });
    await fireEvent.click(screen.getByRole('radio', { name: /^CSV/ }));
    await fireEvent.click(screen.getByRole('button', { name: /^Export 3 runs as CSV/ }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(fake.calls.find((c) => c.method === 'exportRuns')!.args[0]).toEqual({ ids, format: 'csv', baselineId: ids[1], title: 'thread-race: who frees what' });
    expect(saved[0].filename).toMatch(/\.csv$/);
    expect(fake.calls.some((c) => c.method === 'saveFile')).toBe(false);
    await waitFor(() => expect(document.querySelector('.export .done')?.textContent).toContain(`Downloaded ${saved[0].filename}`));
  });

  it('saves through the lab (the save dialog) in the desktop app, PDF included', async () => {
    const fake = new FakeLab({ tickMs: 0, desktop: true });
    const ids = await someRuns(fake, 2);
    const { saved } = renderApp(`#/export?ids=${ids.join(',')}`, { fake, desktop: true });
    await screen.findByRole('table', { name: 'Runs to export' });
    await fireEvent.click(screen.getByRole('radio', { name: /^PDF/ }));
    await fireEvent.click(screen.getByRole('button', { name: /^Export 2 runs as PDF/ }));
    await waitFor(() => expect(fake.savedFiles).toHaveLength(1));
    expect(saved).toHaveLength(0);
    const file = fake.savedFiles[0];
    expect(file.mime).toBe('application/pdf');
    expect(file.encoding).toBe('base64');
    expect(atob(file.data).startsWith('%PDF-')).toBe(true);
    expect(fake.calls.find((c) => c.method === 'exportRuns')!.args[0]).toMatchObject({ ids, format: 'pdf' });
    await waitFor(() => expect(document.querySelector('.export .done')?.textContent).toContain(`Saved to /home/you/Documents/${file.filename}`));
  });

  it('is opened from Compare with its runs and pinned baseline', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const page = await fake.listRuns({ scenario: 'head-to-head', mode: 'timed', status: 'completed', limit: 50 });
    const ids = [page.rows[0].id, page.rows[1].id];
    await fake.setBaseline(ids[1]);
    const { bar } = renderApp(`#/compare?ids=${ids.join(',')}`, { fake });
    await screen.findByRole('region', { name: 'Metrics' });
    await fireEvent.click(screen.getByRole('button', { name: 'Export…' }));
    expect(bar.hash).toBe(`#/export?ids=${ids.join(',')}&baseline=${ids[1]}`);
    await screen.findByRole('table', { name: 'Runs to export' });
  });
});
