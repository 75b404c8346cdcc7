/**
 * The Live run on the fake lab, one job tick at a time (tickMs 0): a row per
 * lane with its progress, violations the moment they arrive with a link to
 * their trace, cancel through cancelJob, and "Compare these runs" at the end.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { renderApp } from './helpers.ts';
import { FakeLab } from '../../renderer/src/lib/client/fake.ts';

function progressOf(lane: string): number {
  return Number(screen.getByRole('progressbar', { name: `${lane} progress` }).getAttribute('aria-valuenow'));
}

describe('Live run', () => {
  it('shows a row per lane, moves their progress, lists a violation as it arrives, and finishes', async () => {
    const fake = new FakeLab({ tickMs: 0, jobTicks: 40, seed: 7 });
    const info = await fake.startRun({ scenario: { preset: 'thread-race' }, strategies: ['v5', 'opt2', 'upstream'], mode: 'random', seed: 1, seeds: 20 });
    const { bar } = renderApp(`#/live/${info.jobId}`, { fake });
    const lanes = await screen.findByRole('table', { name: 'Lanes' });
    await waitFor(() => expect(within(lanes).getAllByRole('row')).toHaveLength(4)); // header + 3 lanes
    expect(lanes.querySelector('[data-lane="v5"]')).not.toBeNull();
    expect(progressOf('v5')).toBe(0);

    fake.advance(8);
    await waitFor(() => expect(progressOf('v5')).toBeGreaterThan(0));
    const feed = screen.getByRole('region', { name: 'Violations found' });
    // v5 breaks thread-race in most runs: keep ticking until the first violation shows.
    for (let i = 0; i < 30 && !feed.querySelector('li'); i++) {
      fake.advance(1);
      await new Promise((r) => setTimeout(r, 0));
    }
    const first = await within(feed).findAllByRole('listitem');
    expect(first[0].textContent).toMatch(/uaf-table-write|uaf-table-read|lost-mapping/);
    expect(first[0].textContent).toContain('v5');
    const link = within(first[0]).getByRole('link', { name: 'trace →' }) as HTMLAnchorElement;
    expect(link.getAttribute('href')).toMatch(/^#\/trace\/[0-9a-f-]{36}\/\d+$/);
    // opt2 and upstream never violate on thread-race.
    expect(feed.textContent).not.toMatch(/\bopt2\b|\bupstream\b/);

    fake.advance(200);
    await screen.findByText('completed');
    await waitFor(() => expect(progressOf('upstream')).toBe(100));
    expect(within(lanes.querySelector('[data-lane="upstream"]') as HTMLElement).getByText('no violation')).toBeTruthy();
    const compare = screen.getByRole('button', { name: 'Compare these runs (60)' });
    await fireEvent.click(compare);
    expect(bar.hash).toMatch(/^#\/compare\?ids=([0-9a-f-]{36},){59}[0-9a-f-]{36}$/);
  });

  it('cancel calls cancelJob for this job and the run ends as cancelled', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    const info = await fake.startRun({ scenario: { preset: 'head-to-head' }, strategies: ['v6', 'opt2'], mode: 'timed', seeds: 2 });
    renderApp(`#/live/${info.jobId}`, { fake });
    await screen.findByRole('table', { name: 'Lanes' });
    fake.advance(10);
    await waitFor(() => expect(progressOf('v6')).toBeGreaterThan(0));
    // Timed runs chart their series as they come.
    await waitFor(() => expect(document.querySelector('figure.chart[data-series="vmalloc.ops"]')).not.toBeNull());

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(fake.calls.filter((c) => c.method === 'cancelJob').map((c) => c.args[0])).toEqual([info.jobId]));
    await screen.findByText('cancelled');
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('shows an explore lane with schedules, states, rate and its verdict', async () => {
    const fake = new FakeLab({ tickMs: 0, jobTicks: 40 });
    const info = await fake.startExplore({ scenario: { preset: 'thread-race' }, strategies: ['v5-reviewed', 'upstream'] });
    renderApp(`#/live/${info.jobId}`, { fake });
    const lanes = await screen.findByRole('table', { name: 'Lanes' });
    expect(within(lanes).getByText('schedules')).toBeTruthy();
    expect(within(lanes).getByText('schedules/s')).toBeTruthy();
    fake.advance(5);
    await waitFor(() => expect(lanes.querySelector('[data-lane="upstream"]')!.textContent).toMatch(/\d{1,3}(,\d{3})+/));
    fake.advance(100);
    await waitFor(() => expect(within(lanes.querySelector('[data-lane="upstream"]') as HTMLElement).getByText('proved safe')).toBeTruthy());
    expect(within(lanes.querySelector('[data-lane="v5-reviewed"]') as HTMLElement).getByText(/^VIOLATION/)).toBeTruthy();
  });

  it('shows the PCT bound when a PCT run finishes', async () => {
    const fake = new FakeLab({ tickMs: 0, jobTicks: 20 });
    const info = await fake.startRun({ scenario: { preset: 'thread-race' }, strategies: ['v6'], mode: 'pct', seeds: 10, pctDepth: 2 });
    renderApp(`#/live/${info.jobId}`, { fake });
    await screen.findByRole('table', { name: 'Lanes' });
    fake.advance(100);
    const heading = await screen.findByText('PCT bound');
    const table = heading.parentElement!.querySelector('table')!;
    const cells = [...table.querySelectorAll('tbody td')].map((c) => c.textContent);
    // strategy, d, n, k, runs, per run, over the runs: 1/(n·k^(d-1)) = 1/(3·1500).
    expect(cells.slice(0, 5)).toEqual(['v6', '2', '3', '1500', '10']);
    expect(cells[5]).toBe((1 / 4500).toExponential(2));
  });
});
