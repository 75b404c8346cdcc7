/**
 * What every screen gets from the shell: the lab client (injected, so tests
 * pass a fake), navigation, saved UI state, toasts, shortcuts, jobs, the
 * catalog, and how to save a file. Screens never reach for `window`.
 */
import { createContext } from 'svelte';
import type { JobStore } from '../live/jobs.svelte.ts';
import type { Shortcuts } from '../shell/shortcuts.svelte.ts';
import type { Toasts } from '../shell/toasts.svelte.ts';
import type { LabClient } from './api.ts';
import type { Catalog } from './catalog.svelte.ts';
import type { Router } from './router.svelte.ts';
import type { FileSaver } from './save.ts';
import type { UiStore } from './storage.ts';

export interface AppContext {
  client: LabClient;
  router: Router;
  store: UiStore;
  toasts: Toasts;
  shortcuts: Shortcuts;
  jobs: JobStore;
  catalog: Catalog;
  /** Hand a file to the user (a download in web mode; the desktop app's save dialog through the main process). */
  saveFile: FileSaver;
}

export const [getApp, setApp] = createContext<AppContext>();
