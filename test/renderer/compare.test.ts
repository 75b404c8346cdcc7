/**
 * Compare on the fake lab (generated history, seed 17): the verdict row
 * comes from safety() over the safety presets — not from the compared timed
 * runs — with a link to the violation's trace and a check for what is
 * unknown; the metric table's delta and % against the pinned baseline,
 * coloured by what each metric means; "only what differs" for the knobs.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeLab } from '../../renderer/src/lib/client/fake.ts';
import { formatNs } from '../../renderer/src/lib/format.ts';
import { deltaOf, formatDelta, formatPct, metricInfo } from '../../renderer/src/lib/metrics.ts';
import { renderApp } from './helpers.ts';

/** Completed timed head-to-head runs of these strategies (one each), from the fake's history. */
async function timedRuns(fake: FakeLab, strategies: string[]): Promise<string[]> {
  const page = await fake.listRuns({ scenario: 'head-to-head', mode: 'timed', status: 'completed', limit: 200 });
  return strategies.map((s) => {
    const row = page.rows.find((r) => r.strategy === s);
    if (!row) throw new Error(`the fake history has no timed head-to-head run of ${s}`);
    return row.id;
  });
}

function verdictCell(strategy: string, scenario: string): HTMLElement {
  const row = document.querySelector<HTMLElement>(`table[aria-label="Safety per strategy"] tr[data-strategy="${strategy}"]`);
  if (!row) throw new Error(`no verdict row for ${strategy}`);
  const cell = row.querySelector<HTMLElement>(`td[data-scenario="${scenario}"]`);
  if (!cell) throw new Error(`no ${scenario} cell for ${strategy}`);
  return cell;
}

describe('Compare', () => {
  it("shows each strategy's safety from safety(), with a link to the violation's trace, whatever the timed runs hit", async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const [reviewed, upstream] = await timedRuns(fake, ['v5-reviewed', 'upstream']);
    renderApp(`#/compare?ids=${reviewed},${upstream}`, { fake });
    await screen.findByRole('table', { name: 'Safety per strategy' });
    expect(fake.calls.some((c) => c.method === 'safety' && JSON.stringify(c.args[0]) === JSON.stringify({ strategies: ['v5-reviewed', 'upstream'] }))).toBe(true);

    const verdicts = await fake.safety({ strategies: ['v5-reviewed'], scenarios: ['thread-race'] });
    const cell = verdictCell('v5-reviewed', 'thread-race');
    expect(cell.getAttribute('data-verdict')).toBe('violation');
    expect(within(cell).getByText('VIOLATION')).toBeTruthy();
    expect(cell.textContent).toContain('uaf-table-write');
    const link = within(cell).getByRole('link', { name: 'trace →' });
    expect(link.getAttribute('href')).toBe(`#/trace/${verdicts[0].trace!.runId}/${verdicts[0].trace!.violation}`);
    // The compared v5-reviewed run is a timed cost run that did not hit the race: its own column says so, the verdict does not follow it.
    const header = document.querySelector<HTMLElement>(`th[data-run="${reviewed}"]`)!;
    expect(header.textContent).toContain('this run: none');

    const proved = verdictCell('upstream', 'thread-race');
    expect(proved.getAttribute('data-verdict')).toBe('proved-safe');
    expect(proved.textContent).toMatch(/explore, complete/);
  });

  it('offers to check an unknown verdict now and shows the answer when the job ends', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400, jobTicks: 10 });
    const [v6, upstream] = await timedRuns(fake, ['v6', 'upstream']);
    renderApp(`#/compare?ids=${v6},${upstream}`, { fake });
    await screen.findByRole('table', { name: 'Safety per strategy' });
    const cell = verdictCell('v6', 'online-new-node');
    expect(cell.getAttribute('data-verdict')).toBe('unknown');
    await fireEvent.click(within(cell).getByRole('button', { name: 'check now' }));
    await waitFor(() => expect(fake.calls.find((c) => c.method === 'startSafetyCheck')?.args[0]).toEqual({ strategies: ['v6'], scenarios: ['online-new-node'] }));
    await waitFor(() => expect(within(verdictCell('v6', 'online-new-node')).getByText(/checking…/)).toBeTruthy());
    fake.advance(200);
    await waitFor(() => expect(verdictCell('v6', 'online-new-node').getAttribute('data-verdict')).toBe('proved-safe'));
  });

  it('checks every unknown cell in one job', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const [v6, upstream] = await timedRuns(fake, ['v6', 'upstream']);
    renderApp(`#/compare?ids=${v6},${upstream}`, { fake });
    await screen.findByRole('table', { name: 'Safety per strategy' });
    const unknown = (): HTMLElement[] => [...document.querySelectorAll<HTMLElement>('[data-verdict="unknown"]')];
    const before = unknown().length;
    expect(before).toBeGreaterThan(0);
    await fireEvent.click(screen.getByRole('button', { name: `check every unknown (${before})` }));
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'startSafetyCheck')).toBe(true));
    const req = fake.calls.find((c) => c.method === 'startSafetyCheck')!.args[0] as { strategies: string[]; scenarios: string[] };
    // Every unknown cell is covered by the one request.
    for (const cell of unknown()) {
      const row = cell.closest('tr')!;
      expect(req.strategies).toContain(row.querySelector('.strategy')?.textContent?.trim().split(/\s/)[0]);
    }
    fake.advance(400);
    await waitFor(() => expect(unknown().length).toBe(0));
  });

  it("shows each metric's value, delta and % against the pinned baseline, coloured by direction", async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const [reviewed, upstream, opt1] = await timedRuns(fake, ['v5-reviewed', 'upstream', 'opt1']);
    renderApp(`#/compare?ids=${reviewed},${upstream},${opt1}`, { fake });
    const table = await screen.findByRole('region', { name: 'Metrics' });
    await waitFor(() => expect(table.querySelector('tr[data-metric="vmalloc.latency_ns.p99"]')).not.toBeNull());

    // Pin upstream: the deltas are against it now (and the Library's pin follows).
    await fireEvent.click(within(table.querySelector<HTMLElement>(`th[data-run="${upstream}"]`)!).getByRole('button', { name: 'pin as baseline' }));
    await waitFor(() => expect(within(table.querySelector<HTMLElement>(`th[data-run="${upstream}"]`)!).getByText('baseline')).toBeTruthy());
    expect(await fake.getBaseline()).toBe(upstream);

    const base = (await fake.getRun(upstream)).metrics;
    const slow = (await fake.getRun(opt1)).metrics;
    for (const key of ['vmalloc.latency_ns.p99', 'vmalloc.ops']) {
      const info = metricInfo(key);
      const d = deltaOf(slow[key], base[key], info.better);
      const cells = table.querySelectorAll<HTMLElement>(`tr[data-metric="${key}"] td`);
      const optCell = cells[2];
      expect(optCell.textContent).toContain(`${formatDelta(d.diff, info.unit)} (${formatPct(d.pct)})`);
      // opt1 serialises vmalloc on init_mm's lock: its p99 is worse (higher), its operations worse (fewer).
      expect(optCell.getAttribute('data-tone')).toBe('worse');
      expect(optCell.querySelector('.d.worse')).not.toBeNull();
      // The baseline's own column has no delta.
      expect(cells[1].querySelector('.d')).toBeNull();
    }
    const p99 = deltaOf(slow['vmalloc.latency_ns.p99'], base['vmalloc.latency_ns.p99'], 'lower');
    expect(p99.diff).toBeGreaterThan(0);
    // A lower-is-better metric that went down is green: TLBI all for opt1 (10 vs 90).
    const tlbiAll = table.querySelectorAll<HTMLElement>('tr[data-metric="tlbi.all"] td')[2];
    expect(tlbiAll.getAttribute('data-tone')).toBe('better');
  });

  it('shows only the knobs that differ, and all of them when asked', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const [reviewed, upstream] = await timedRuns(fake, ['v5-reviewed', 'upstream']);
    renderApp(`#/compare?ids=${reviewed},${upstream}`, { fake });
    const knobs = await screen.findByRole('region', { name: 'Scenario and strategy knobs' });
    await waitFor(() => expect(knobs.querySelector('tr[data-knob="freeTables"]')).not.toBeNull());
    // v5-reviewed frees every empty table, upstream only within floor/ceiling; both tear down in two passes.
    const free = knobs.querySelector<HTMLElement>('tr[data-knob="freeTables"]')!;
    expect(free.textContent).toContain('all-empty');
    expect(free.textContent).toContain('floor-ceiling');
    expect(knobs.querySelector('tr[data-knob="teardown"]')).toBeNull();
    expect(knobs.querySelector('tr[data-knob="vmallocThreads"]')).toBeNull();

    await fireEvent.click(within(knobs).getByLabelText('only what differs'));
    await waitFor(() => expect(knobs.querySelector('tr[data-knob="teardown"]')).not.toBeNull());
    expect(knobs.querySelector('tr[data-knob="teardown"]')!.textContent).toContain('two-pass');
    expect(knobs.querySelector('tr[data-knob="vmallocThreads"]')).not.toBeNull();
  });

  it('draws the charts from the runs: latency distributions from percentiles (and says so), lock wait, TLBIs, and each recorded series', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 400 });
    const ids = await timedRuns(fake, ['v5-reviewed', 'upstream', 'opt2']);
    const { saved } = renderApp(`#/compare?ids=${ids.join(',')}`, { fake });
    const charts = await screen.findByLabelText('Charts');
    await waitFor(() => expect(charts.querySelector('[data-chart="latency-vmalloc"]')).not.toBeNull());
    const latency = charts.querySelector<HTMLElement>('[data-chart="latency-vmalloc"]')!;
    // Saved as SVG, written from the chart's data: the runs' lines and labels are in it.
    await fireEvent.click(within(latency).getByRole('button', { name: 'SVG' }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toMatchObject({ filename: 'ptlab-latency-vmalloc.svg', mime: 'image/svg+xml', encoding: 'utf8' });
    expect(saved[0].data.match(/<polyline /g)).toHaveLength(3);
    for (const s of ['v5-reviewed', 'upstream', 'opt2']) expect(saved[0].data).toContain(`>${s}</text>`);
    expect(latency.textContent).toContain('Drawn through p50, p90, p99 and max');
    // Each run's p99 is a point of its curve (the table under the chart carries the values).
    const p99 = (await fake.getRun(ids[0])).metrics['vmalloc.latency_ns.p99'];
    expect([...latency.querySelectorAll('table.values th')].some((th) => th.textContent === formatNs(p99))).toBe(true);
    expect(charts.querySelector('[data-chart="lock-wait"]')).not.toBeNull();
    expect(charts.querySelector('[data-chart="tlbi"]')!.textContent).toContain('pgtable');
    // The series come decimated from getSeries, one request per run and series.
    await waitFor(() => expect(charts.querySelector('[data-series-chart="vmalloc.ops"]')).not.toBeNull());
    const gets = fake.calls.filter((c) => c.method === 'getSeries').map((c) => c.args[0] as { runId: string; name: string; points?: number });
    await waitFor(() => expect(fake.calls.filter((c) => c.method === 'getSeries').length).toBeGreaterThanOrEqual(3));
    for (const g of gets) expect(g.points).toBeLessThanOrEqual(100_000);
  });

  it('draws throughput against CPUs for a sweep, one line per strategy over its vmallocThreads points', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 20, jobTicks: 4 });
    const job = await fake.startRun({ scenario: { preset: 'scaling' }, strategies: ['upstream', 'opt1'], mode: 'timed', seed: 1, seeds: 1 });
    fake.advance(400);
    const ids = (await fake.jobs()).find((j) => j.jobId === job.jobId)!.lanes.flatMap((l) => l.runIds);
    expect(ids).toHaveLength(14);
    renderApp(`#/compare?ids=${ids.join(',')}`, { fake });
    const charts = await screen.findByLabelText('Charts');
    await waitFor(() => expect(charts.querySelector('[data-chart="scaling"]')).not.toBeNull());
    const table = charts.querySelector<HTMLElement>('[data-chart="scaling"] table.values')!;
    expect([...table.querySelectorAll('tbody th')].map((th) => th.textContent)).toEqual(['1', '2', '4', '8', '16', '32', '64']);
    expect([...table.querySelectorAll('thead th')].map((th) => th.textContent)).toEqual(['cpus', 'upstream', 'opt1']);
    // At 64 CPUs opt1 (init_mm's lock around all of vmalloc) does far fewer vmallocs a second than upstream.
    const last = [...table.querySelectorAll('tbody tr')].at(-1)!.querySelectorAll('td');
    const perSecond = (text: string | null): number => Number((text ?? '').replace(/\/s$/, '').replace(/k$/, 'e3').replace(/M$/, 'e6'));
    expect(perSecond(last[0].textContent)).toBeGreaterThan(3 * perSecond(last[1].textContent));
  });
});
