/**
 * The Trace viewer on the fake lab, with the thread-race counterexample of
 * the reviewed teardown (seed 3: vmalloc#2 takes PUD table 0x200004c at step
 * 11, hot-remove clears the PGD entry at 1050, flushes at 1051, frees the
 * page at 1052, vmalloc#2 writes into it at 1057): a lane per actor, the
 * keyboard steps, the freed table and the stale pointer at the free, the
 * chain of flow arrows, a lane filtered out, and a counterexample file.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeLab } from '../../renderer/src/lib/client/fake.ts';
import { renderApp } from './helpers.ts';

/** The run and index of the uaf-table-write the safety row links to (thread-race × v5-reviewed). */
async function raceLink(fake: FakeLab): Promise<string> {
  const [v] = await fake.safety({ strategies: ['v5-reviewed'], scenarios: ['thread-race'] });
  return `#/trace/${v.trace!.runId}/${v.trace!.violation}`;
}

function stepShown(): string {
  return screen.getByRole('complementary', { name: 'Machine state at this step' }).querySelector('h2')?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

async function opened(): Promise<void> {
  await screen.findByRole('grid', { name: 'Steps by actor' });
  await waitFor(() => expect(document.querySelector('[role=row][data-step]')).not.toBeNull());
}

describe('Trace viewer', () => {
  it('shows one lane per actor, the narrative, and the violation step first', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp(await raceLink(fake), { fake });
    await opened();
    const heads = screen.getAllByRole('columnheader').map((h) => h.getAttribute('data-lane')).filter(Boolean);
    expect(heads).toEqual(['hotremove', 'vmalloc#1', 'vmalloc#2']);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('uaf-table-write');
    expect(document.querySelector('.narrative')!.textContent).toContain('freed the page at 1052');
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,057/));
    expect(screen.getByText('✓ replay reproduces it')).toBeTruthy();
  });

  it('steps with the keyboard, and at the free shows the freed PUD table and the stale pointer', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp(`${await raceLink(fake)}?step=1050`, { fake });
    await opened();
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,050/));
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,051/));
    await fireEvent.keyDown(window, { key: 'ArrowRight' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,052/));
    const panel = screen.getByRole('complementary', { name: 'Machine state at this step' });
    // The PUD table vmalloc shares with vmemmap, freed and no longer linked from swapper_pg_dir.
    await waitFor(() => expect(panel.querySelector('[aria-label="Detached tables"] [data-pfn="33554508"]')).not.toBeNull());
    const pud = panel.querySelector<HTMLElement>('[aria-label="Detached tables"] [data-pfn="33554508"]')!;
    expect(pud.getAttribute('data-state')).toBe('freed');
    expect(pud.getAttribute('data-level')).toBe('pud');
    expect(within(panel.querySelector<HTMLElement>('[aria-label="What this step changed"]')!).getByText(/pfn 0x200004c freed/)).toBeTruthy();
    // vmalloc#2 still holds pudp into it: stale.
    const stale = within(panel).getByRole('region', { name: 'Stale pointers' });
    expect(stale.textContent).toMatch(/vmalloc#2 holds a pointer to PUD table pfn 0x200004c .*stale/);
    // The PGD entry hot-remove cleared reads none, says what it held, and links back to the clear.
    const cleared = panel.querySelector<HTMLElement>('[data-level="pgd"] li[data-index="507"]')!;
    expect(cleared.textContent).toMatch(/none\s*was PUD table 0x200004c,\s*cleared at 1050/);
    // Back with the other arrow.
    await fireEvent.keyDown(window, { key: 'ArrowLeft' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,051/));
    // End goes to the violation, Home to the first step.
    await fireEvent.keyDown(window, { key: 'End' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,057/));
    await fireEvent.keyDown(window, { key: 'Home' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 0\b/));
  });

  it('goes to step N from the field, and with g then the number', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp(await raceLink(fake), { fake });
    await opened();
    const field = screen.getByLabelText('Step number to go to');
    await fireEvent.input(field, { target: { value: '535' } });
    await fireEvent.keyDown(field, { key: 'Enter' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 535/));
    await fireEvent.keyDown(window, { key: 'g' });
    await fireEvent.keyDown(window, { key: '1' });
    expect(document.activeElement).toBe(field);
    await fireEvent.input(field, { target: { value: '11' } });
    await fireEvent.keyDown(field, { key: 'Enter' });
    await waitFor(() => expect(stepShown()).toMatch(/^Step 11\b/));
    expect(stepShown()).toContain('took the pointer');
  });

  it('draws the flow chain from the pointer read to the stale write, and one click highlights all of it', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp(await raceLink(fake), { fake });
    await opened();
    const chain = screen.getByRole('list', { name: 'The chain of the race' });
    const items = within(chain).getAllByRole('listitem').slice(0, -1).map((li) => li.textContent!.replace(/\s+/g, ' ').trim());
    expect(items).toEqual(['1vmalloc#2 took the pointer @11', '2hotremove cleared the entry @1,050', '3hotremove invalidated the TLB @1,051', '4hotremove freed the page @1,052', '5vmalloc#2 used the stale pointer @1,057']);
    // An arrow from each key step to the next (those whose rows are in the window now are drawn; all are laid out).
    const arrows = [...document.querySelectorAll<SVGGElement>('svg.arrows g.arrow')].map((g) => `${g.getAttribute('data-from')}→${g.getAttribute('data-to')}`);
    expect(arrows).toEqual(['11→1050', '1050→1051', '1051→1052', '1052→1057']);
    expect(document.querySelector('svg.arrows')!.classList.contains('on')).toBe(false);
    await fireEvent.click(document.querySelector('svg.arrows g.arrow')!);
    expect(document.querySelector('svg.arrows')!.classList.contains('on')).toBe(true);
    // Highlighted: the chain's rows stand out, the others are dimmed.
    await waitFor(() => expect(document.querySelector('[role=row][data-step="1052"]')!.classList.contains('key')).toBe(true));
    expect(document.querySelector('[role=row].dim')).not.toBeNull();
    // A click on a step of the chain goes there.
    await fireEvent.click(within(chain).getByRole('button', { name: /freed the page/ }));
    await waitFor(() => expect(stepShown()).toMatch(/^Step 1,052/));
  });

  it('hides a lane and filters by function, and folds the emptiness scans', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp(`${await raceLink(fake)}?step=600`, { fake });
    await opened();
    // free_empty_pud_table's 512 reads are one row, ×512 (step 600 is inside it).
    await waitFor(() => expect(document.querySelector('[role=row][data-step="538"]')).not.toBeNull());
    expect(document.querySelector('[role=row][data-step="538"]')!.getAttribute('data-to')).toBe('1049');
    expect(within(document.querySelector<HTMLElement>('[role=row][data-step="538"]')!).getByRole('button', { name: '×512' })).toBeTruthy();

    expect(document.querySelector('[role=row][data-step="538"]')!.classList.contains('current')).toBe(true);

    const field = screen.getByLabelText('Step number to go to');
    await fireEvent.input(field, { target: { value: '13' } });
    await fireEvent.keyDown(field, { key: 'Enter' });
    await waitFor(() => expect(document.querySelector('[role=row][data-step="14"]')).not.toBeNull());
    await fireEvent.click(screen.getByLabelText("Show vmalloc#1's lane"));
    await waitFor(() => expect(screen.getAllByRole('columnheader').map((h) => h.getAttribute('data-lane')).filter(Boolean)).toEqual(['hotremove', 'vmalloc#2']));
    // vmalloc#1's pmd_alloc_one at step 14 is gone with its lane.
    expect(document.querySelector('[role=row][data-step="14"]')).toBeNull();
    expect(document.querySelector('[role=row][data-step="13"]')).not.toBeNull();

    await fireEvent.input(screen.getByLabelText('Show only steps in functions containing'), { target: { value: '__pmd_alloc' } });
    await waitFor(() => {
      const rows = [...document.querySelectorAll<HTMLElement>('[role=row][data-step]')];
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect(r.textContent).toContain('__pmd_alloc');
    });
  });

  it('opens a saved counterexample file and says what is wrong with a file that is not one', async () => {
    const fake = new FakeLab({ tickMs: 0 });
    renderApp('#/trace', { fake });
    await screen.findByRole('heading', { name: 'Open a trace' });
    const input = screen.getByLabelText('Open a counterexample file') as HTMLInputElement;
    const results = new File([JSON.stringify({ schema: 'ptlab.results/1', runs: [] })], 'runs.json', { type: 'application/json' });
    await fireEvent.change(input, { target: { files: [results] } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/runs\.json is not a counterexample \(ptlab\.trace\/1\): it is ptlab\.results\/1/);

    const doc = { schema: 'ptlab.trace/1', scenario: { name: 'thread-race' }, strategy: { id: 'v5-reviewed', knobs: {} }, seed: 3, schedule: [], expect: { kind: 'uaf-table-write', step: 1057 } };
    await fireEvent.change(input, { target: { files: [new File([JSON.stringify(doc)], 'cex.json', { type: 'application/json' })] } });
    await opened();
    expect(fake.calls.find((c) => c.method === 'openTrace')?.args[0]).toEqual({ trace: doc });
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain('uaf-table-write');
  });
});
