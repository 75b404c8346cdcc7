/** Builds the app context from the shell's inputs (once: the client and storage never change while the app runs). */
import { JobStore } from '../live/jobs.svelte.ts';
import { Shortcuts } from '../shell/shortcuts.svelte.ts';
import { Toasts } from '../shell/toasts.svelte.ts';
import type { LabClient } from './api.ts';
import { Catalog } from './catalog.svelte.ts';
import type { AppContext } from './context.ts';
import { type AddressBar, Router } from './router.svelte.ts';
import type { FileSaver } from './save.ts';
import { type KeyValueStore, UiStore } from './storage.ts';

export interface AppInputs {
  client: LabClient;
  bar: AddressBar;
  storage: KeyValueStore;
  saveFile: FileSaver;
  mac?: boolean;
}

export function buildAppContext(inputs: AppInputs): AppContext {
  const store = new UiStore(inputs.storage);
  return {
    client: inputs.client,
    router: new Router(inputs.bar, store),
    store,
    toasts: new Toasts(),
    shortcuts: new Shortcuts(inputs.mac ?? false),
    jobs: new JobStore(inputs.client),
    catalog: new Catalog(inputs.client),
    saveFile: inputs.saveFile,
  };
}
