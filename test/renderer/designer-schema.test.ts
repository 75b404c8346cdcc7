/**
 * The Designer's scenario form is the scenario schema: its help text is the
 * schema's descriptions (an actor's is its kind's), a new field starts at the
 * schema's default, and every bad field shows core's message at its own row,
 * several in one actor included.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { EditorView } from 'codemirror';
import { describe, expect, it } from 'vitest';
import { renderApp } from './helpers.ts';

async function editor(container: HTMLElement): Promise<EditorView> {
  return waitFor(() => {
    const dom = container.querySelector('[data-testid=json-editor]')?.shadowRoot?.querySelector<HTMLElement>('.cm-editor');
    const view = dom ? EditorView.findFromDOM(dom) : null;
    if (!view) throw new Error('no editor yet');
    return view;
  });
}

function row(container: HTMLElement, path: string): HTMLElement {
  const el = container.querySelector<HTMLElement>(`[data-path="${path}"]`);
  if (!el) throw new Error(`no row for ${path}`);
  return el;
}

describe('Designer form from the scenario schema', () => {
  it("shows the schema's descriptions as help, an actor's being its kind's", async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await screen.findByLabelText(/^pageSize/);
    expect(row(view.container, 'scenario.arch.pageSize').textContent).toContain('PAGE_SIZE: the 4K, 16K or 64K granule');
    expect(row(view.container, 'scenario.memory.sectionSizeBits').textContent).toContain('SECTION_SIZE_BITS; default by era');
    expect(row(view.container, 'scenario.actors[0]').querySelector('legend')!.textContent).toContain('arch_remove_memory() tears down its page tables');
    expect(row(view.container, 'scenario.actors[1]').querySelector('legend')!.textContent).toContain('lib/test_vmalloc.c');
  });

  it("starts a new field at the schema's default and names the default of an optional choice", async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await screen.findByLabelText(/^pageSize/);
    const run = row(view.container, 'scenario.run');
    await fireEvent.change(within(run).getByLabelText('Add a field to scenario.run'), { target: { value: 'burst' } });
    const burst = (await within(run).findByLabelText(/^burst/)) as HTMLInputElement;
    expect(burst.value).toBe('0.5');
    const vmalloc = row(view.container, 'scenario.actors[1]');
    await fireEvent.change(within(vmalloc).getByLabelText('Add a field to scenario.actors[1]'), { target: { value: 'thinkNs' } });
    expect(((await within(vmalloc).findByLabelText(/^thinkNs/)) as HTMLInputElement).value).toBe('0');
    const initial = within(row(view.container, 'scenario.memory.hotplug[0]')).getByLabelText(/^initial/) as HTMLSelectElement;
    expect([...initial.options].map((o) => o.textContent)).toEqual(['(default online)', 'absent', 'online', 'offline']);
  });

  it('shows every bad field of one actor at its own row', async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await screen.findByLabelText(/^pageSize/);
    const cm = await editor(view.container);
    const doc = JSON.parse(cm.state.doc.toString());
    doc.actors[1].count = 0;
    doc.actors[1].pages = 0;
    cm.dispatch({ changes: { from: 0, to: cm.state.doc.length, insert: JSON.stringify(doc, null, 2) } });
    await waitFor(() => expect(within(row(view.container, 'scenario.actors[1].count')).getByRole('alert').textContent).toBe('expected an integer from 1 to 256, got 0'));
    expect(within(row(view.container, 'scenario.actors[1].pages')).getByRole('alert').textContent).toBe('expected an integer from 1 to 65536, got 0');
    expect(screen.getByText(/2 fields need fixing \(scenario\.actors\[1\]\.count/)).toBeTruthy();
  });
});
