/**
 * Renders the whole app, as a user gets it, on the fake lab: memory storage
 * and address bar (a "restart" re-renders with the same ones), and downloads
 * captured instead of saved.
 */
import { render, type RenderResult } from '@testing-library/svelte';
import App from '../../renderer/src/App.svelte';
import type { ExportedFile } from '../../renderer/src/lib/api.ts';
import { FakeLab, type FakeOptions } from '../../renderer/src/lib/client/fake.ts';
import { memoryAddressBar } from '../../renderer/src/lib/router.svelte.ts';
import { fileSaver } from '../../renderer/src/lib/save.ts';
import { type KeyValueStore, memoryStore } from '../../renderer/src/lib/storage.ts';

export interface Harness {
  fake: FakeLab;
  storage: KeyValueStore;
  bar: ReturnType<typeof memoryAddressBar>;
  saved: ExportedFile[];
  view: RenderResult<typeof App>;
}

/** `desktop`: save through the lab's saveFile (the Electron path) instead of downloading. */
export function renderApp(hash: string, opts: FakeOptions & { fake?: FakeLab; storage?: KeyValueStore } = {}): Harness {
  const fake = opts.fake ?? new FakeLab({ tickMs: 0, ...opts });
  const storage = opts.storage ?? memoryStore();
  const bar = memoryAddressBar(hash);
  const saved: ExportedFile[] = [];
  const saveFile = fileSaver({ desktop: opts.desktop ?? false, client: fake, download: (f: ExportedFile) => void saved.push(f) });
  const view = render(App, { props: { client: fake, bar, storage, saveFile } });
  return { fake, storage, bar, saved, view };
}

/** The data rows of the run table now in the DOM. */
export function tableRows(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>('[role=grid] [role=row][data-id]')];
}
