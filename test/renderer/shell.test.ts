/**
 * The shell: navigation by link and by key, the shortcut help, and the
 * addresses other screens link to (Compare with ids, a violation's trace).
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

  it('routes Compare to the runs it names, and says which ids it could not load', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 50 });
    const page = await fake.listRuns({ limit: 2 });
    renderApp(`#/compare?ids=${page.rows[0].id},b0f65658-2222-4222-8222-222222222222`, { fake });
    await screen.findByRole('heading', { name: 'Compare 1 run' });
    expect((await screen.findByRole('alert')).textContent).toMatch(/Not loaded: b0f65658 \(no run with id b0f65658-2222-4222-8222-222222222222\)/);
  });

  it('routes a trace link to the Trace viewer with the real violation it names', async () => {
    const fake = new FakeLab({ tickMs: 0, runs: 50 });
    const page = await fake.listRuns({ verdict: 'violation', limit: 1 });
    const run = await fake.getRun(page.rows[0].id);
    renderApp(`#/trace/${run.id}/0`, { fake });
    await waitFor(() => expect(document.querySelector('.trace .msg')?.textContent).toBe(run.violations[0].message));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toContain(run.violations[0].kind);
    expect(fake.calls.find((c) => c.method === 'openTrace')?.args[0]).toEqual({ runId: run.id, violation: 0 });
  });
});
