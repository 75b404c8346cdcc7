/**
 * The Designer on the fake lab: a bad value shows its error at its field
 * (and in the JSON editor), the form and the JSON editor say the same thing
 * whichever one is edited, the layout map shows the shared table and the
 * reachability note for the era, and Run starts the job as designed.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { forEachDiagnostic } from '@codemirror/lint';
import { EditorView } from 'codemirror';
import { describe, expect, it } from 'vitest';
import { renderApp } from './helpers.ts';

/** The CodeMirror view inside the JSON pane (it lives in a shadow root, for the CSP). */
async function editor(container: HTMLElement): Promise<EditorView> {
  return waitFor(() => {
    const host = container.querySelector('[data-testid=json-editor]');
    const dom = host?.shadowRoot?.querySelector<HTMLElement>('.cm-editor');
    const view = dom ? EditorView.findFromDOM(dom) : null;
    if (!view) throw new Error('no editor yet');
    return view;
  });
}

async function formReady(): Promise<void> {
  await screen.findByLabelText(/^pageSize/);
}

function replaceAll(view: EditorView, text: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

describe('Designer', () => {
  it("shows a bad value's error at its field, and Run waits until it is fixed", async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await formReady();
    const threads = screen.getByLabelText(/^vmallocThreads/) as HTMLInputElement;
    expect(threads.value).toBe('2');
    await fireEvent.input(threads, { target: { value: '0' } });

    await waitFor(() => expect(threads.getAttribute('aria-invalid')).toBe('true'));
    const error = view.container.querySelector(`#${threads.getAttribute('aria-describedby')}`)!;
    expect(error.textContent).toBe('expected an integer from 1 to 256, got 0');
    // The error sits in the field's own row, not somewhere else on the page.
    expect(threads.closest('[data-path]')!.getAttribute('data-path')).toBe('scenario.vmallocThreads');
    expect(threads.closest('[data-path]')!.contains(error)).toBe(true);
    const run = screen.getByRole('button', { name: /▶/ });
    expect((run as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/1 field needs fixing \(scenario\.vmallocThreads/)).toBeTruthy();

    // The JSON editor marks the same field: a lint diagnostic over "vmallocThreads": 0.
    const cm = await editor(view.container);
    await waitFor(() => {
      const found: string[] = [];
      forEachDiagnostic(cm.state, (d, from, to) => found.push(`${cm.state.sliceDoc(from, to)} | ${d.message}`));
      expect(found).toEqual(['"vmallocThreads": 0 | scenario.vmallocThreads: expected an integer from 1 to 256, got 0']);
    });

    await fireEvent.input(threads, { target: { value: '4' } });
    await waitFor(() => expect(threads.getAttribute('aria-invalid')).toBe('false'));
    expect((screen.getByRole('button', { name: /▶/ }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('reports a cross-field error from core at the range it names', async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await formReady();
    // The hot-remove actor's range must lie inside memory.hotplug: move it out.
    const actorRange = view.container.querySelector('[data-path="scenario.actors[0].range"]')!;
    const start = within(actorRange as HTMLElement).getByLabelText(/^start/) as HTMLInputElement;
    await fireEvent.input(start, { target: { value: '0x80000000' } });
    await waitFor(() => expect(within(actorRange as HTMLElement).getByRole('alert').textContent).toBe('must lie inside one of memory.hotplug'));
  });

  it('keeps the form and the JSON editor in agreement, both ways', async () => {
    const { view } = renderApp('#/designer?preset=thread-race');
    await formReady();
    const cm = await editor(view.container);
    expect(JSON.parse(cm.state.doc.toString()).arch.vaBits).toBe(48);

    // Form -> JSON.
    await fireEvent.change(screen.getByLabelText(/^vaBits/), { target: { value: '39' } });
    await waitFor(() => expect(JSON.parse(cm.state.doc.toString()).arch.vaBits).toBe(39));

    // JSON -> form, including an error the form shows at the field.
    const doc = JSON.parse(cm.state.doc.toString());
    doc.memory.sectionSizeBits = 12;
    doc.tlb = { entries: 128 };
    replaceAll(cm, JSON.stringify(doc, null, 2));
    const bits = (await screen.findByLabelText(/^sectionSizeBits/)) as HTMLInputElement;
    await waitFor(() => expect(bits.value).toBe('12'));
    expect(bits.getAttribute('aria-invalid')).toBe('true');
    expect(((await screen.findByLabelText(/^entries/)) as HTMLInputElement).value).toBe('128');

    // A syntax error: the form keeps the last valid scenario and says why.
    replaceAll(cm, cm.state.doc.toString().replace('"tlb"', 'tlb'));
    await screen.findByText(/The JSON has a syntax error/);
    expect((screen.getByLabelText(/^entries/) as HTMLInputElement).value).toBe('128');
    expect((screen.getByRole('button', { name: /▶/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('draws the layout map with the shared PUD table and says the race is reachable on thread-race', async () => {
    renderApp('#/designer?preset=thread-race');
    const map = await screen.findByRole('region', { name: 'Layout map' });
    await within(map).findByText('The vmalloc/vmemmap race can happen here.');
    expect(map.textContent).toContain('v6.9 · 4K pages · VA_BITS=48');
    // The table vmalloc and vmemmap share, under the PGD entry the preset names, in full 64-bit hex.
    expect(map.textContent).toMatch(/PUD table under PGD entry 0x1fb, spanning fffffd8000000000 – fffffdffffffffff:\s*shared by vmalloc, vmemmap\s*— can become empty/);
    expect(map.textContent).toContain('ffff800080000000 – fffffdffbf7fffff');
    expect(map.textContent).toContain('vmalloc: entries 0–510');
    expect(map.textContent).toContain('vmemmap: entry 511');
  });

  it('says why the race cannot happen where boot memory pins the shared table (section-tlb, v5.4)', async () => {
    renderApp('#/designer?preset=section-tlb');
    const map = await screen.findByRole('region', { name: 'Layout map' });
    await within(map).findByText('The vmalloc/vmemmap race cannot happen here.');
    expect(map.textContent).toContain('v5.4 · 4K pages');
    expect(map.textContent).toMatch(/it can never become empty, because it holds the fixmap, PCI I\/O, struct pages of boot memory at 0x80000000/);
  });

  it('saves a strategy variant from the knob editor and runs it', async () => {
    const { fake } = renderApp('#/designer?preset=thread-race');
    await formReady();
    await fireEvent.click(screen.getByRole('button', { name: 'New variant…' }));
    const dialog = await screen.findByRole('dialog', { name: 'New strategy variant' });
    await fireEvent.input(within(dialog).getByPlaceholderText('e.g. v6-no-walk-tlbi'), { target: { value: 'v6-no-walk-tlbi' } });
    await fireEvent.change(within(dialog).getByLabelText('knob walkCacheTlbi'), { target: { value: 'false' } });
    await within(dialog).findByText('1 knob differs from v6.');
    const save = within(dialog).getByRole('button', { name: 'Save variant' }) as HTMLButtonElement;
    await waitFor(() => expect(save.disabled).toBe(false));
    await fireEvent.click(save);
    const box = (await screen.findByRole('checkbox', { name: /^v6-no-walk-tlbi\b/ })) as HTMLInputElement;
    await waitFor(() => expect(box.checked).toBe(true));
    expect(fake.calls.find((c) => c.method === 'saveStrategy')!.args[0]).toEqual({ id: 'v6-no-walk-tlbi', base: 'v6', knobs: { walkCacheTlbi: false } });

    // The seven built-ins and the new variant.
    await fireEvent.click(screen.getByRole('button', { name: /▶ Run 8 × 50 random/ }));
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'startRun')).toBe(true));
    expect((fake.calls.find((c) => c.method === 'startRun')!.args[0] as { strategies: string[] }).strategies).toContain('v6-no-walk-tlbi');
  });

  it('runs the design: the chosen strategies and mode go to startRun, and the Live run opens', async () => {
    const { fake, bar } = renderApp('#/designer?preset=thread-race');
    await formReady();
    await fireEvent.click(await screen.findByRole('button', { name: 'none' }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /^v6\b/ }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /^upstream\b/ }));
    await fireEvent.input(screen.getByLabelText('seeds'), { target: { value: '50' } });
    await fireEvent.click(screen.getByRole('button', { name: /▶ Run 2 × 50 random/ }));
    await waitFor(() => expect(bar.hash).toMatch(/^#\/live\/job-\d+$/));
    const req = fake.calls.find((c) => c.method === 'startRun')!.args[0] as { strategies: string[]; mode: string; seeds: number; scenario: { doc: { name: string } } };
    expect(req.strategies).toEqual(['v6', 'upstream']);
    expect(req).toMatchObject({ mode: 'random', seeds: 50 });
    expect(req.scenario.doc.name).toBe('thread-race');
    await screen.findByRole('table', { name: 'Lanes' });
  });
});
