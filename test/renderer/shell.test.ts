/**
 * The shell: navigation by link and by key, the shortcut help, and the
 * part-2 screens, which say what will be there and show only what they
 * were opened with.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { FakeLab } from '../../renderer/src/lib/client/fake.ts';
import { renderApp } from './helpers.ts';

describe('App shell', () => {
  it('navigates with the nav bar and with g-then-letter keys', async () => {
    const { bar } = renderApp('#/library', { runs: 20 });
    const nav = screen.getByRole('navigation', { name: 'Screens' });
    await fireEvent.click(within(nav).getByRole('link', { name: /Designer/ }));
    expect(bar.hash).toBe('#/designer');
    await screen.findByRole('region', { name: 'Layout map' });
    await fireEvent.keyDown(document.body, { key: 'g' });
    await fireEvent.keyDown(document.body, { key: 'l' });
    await waitFor(() => expect(bar.hash).toBe('#/library'));
    expect(within(nav).getByRole('link', { name: /Library/ }).getAttribute('aria-current')).toBe('page');
  });

  it('lists the shortcuts of the current screen in the help overlay (?)', async () => {
    renderApp('#/library', { runs: 20 });
    await fireEvent.keyDown(document.body, { key: '?' });
    const help = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(help.textContent).toContain('Anywhere');
    expect(help.textContent).toContain('Delete the selected runs (asks first)');
    expect(help.textContent).toContain('Go to Designer');
    await fireEvent.keyDown(help, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('routes Compare to a screen that says it arrives in part 2 and lists the runs it was given', async () => {
    renderApp('#/compare?ids=3e9dc09d-1111-4111-8111-111111111111,b0f65658-2222-4222-8222-222222222222', { runs: 20 });
    await screen.findByText('arrives in part 2');
    expect(screen.getByText(/Runs it was opened with \(2\)/)).toBeTruthy();
    expect(screen.getByText(/3e9dc09d\s+b0f65658/)).toBeTruthy();
  });

  it('routes a trace link to the Trace screen with the real violation it names', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 50 });
    const page = await fake.listRuns({ verdict: 'violation', limit: 1 });
    const run = await fake.getRun(page.rows[0].id);
    renderApp(`#/trace/${run.id}/0`, { fake });
    await screen.findAllByText('Trace viewer');
    await screen.findByText(run.violations[0].message, { exact: false });
  });
});
