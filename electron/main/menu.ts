/**
 * The native menus as a template (Electron's MenuItemConstructorOptions),
 * built from plain callbacks so tests can read and click it under Node:
 * File (New experiment, Open/New database, Import results, Export report),
 * Edit, View, Help (About, and the kernel review thread on lore.kernel.org).
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  newExperiment(): void;
  openDatabase(): void;
  newDatabase(): void;
  importResults(): void;
  exportReport(): void;
  about(): void;
  openExternal(url: string): void;
}

/**
 * The thread the app is about, by Message-ID on lore.kernel.org: V5 3/3 of
 * "arm64/mm: Enable memory hot remove" (29 May 2019), and Catalin Marinas's
 * review of 13 Sep 2019 that settled the vmalloc/vmemmap table freeing.
 */
export const THREAD_LINKS = {
  v5: 'https://lore.kernel.org/r/1559121387-674-4-git-send-email-anshuman.khandual@arm.com',
  decisiveReview: 'https://lore.kernel.org/r/20190913100955.GB55043@arrakis.emea.arm.com',
} as const;

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** Development builds get Reload and DevTools. */
  dev: boolean;
  actions: MenuActions;
}

export function menuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const a = o.actions;
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Experiment', accelerator: 'CmdOrCtrl+N', click: () => a.newExperiment() },
      { type: 'separator' },
      { label: 'Open Database…', accelerator: 'CmdOrCtrl+O', click: () => a.openDatabase() },
      { label: 'New Database…', accelerator: 'CmdOrCtrl+Shift+N', click: () => a.newDatabase() },
      { type: 'separator' },
      { label: 'Import Results…', accelerator: 'CmdOrCtrl+I', click: () => a.importResults() },
      { label: 'Export Report…', accelerator: 'CmdOrCtrl+E', click: () => a.exportReport() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(o.dev ? ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] as MenuItemConstructorOptions[]) : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: '&Help',
    submenu: [
      { label: 'The Review Thread (V5 3/3, May 2019)', click: () => a.openExternal(THREAD_LINKS.v5) },
      { label: 'The Decisive Review (Catalin Marinas, Sep 2019)', click: () => a.openExternal(THREAD_LINKS.decisiveReview) },
      ...(mac ? [] : ([{ type: 'separator' }, { label: 'About PT Lab', click: () => a.about() }] as MenuItemConstructorOptions[])),
    ],
  };
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          label: 'PT Lab',
          submenu: [{ label: 'About PT Lab', click: () => a.about() }, { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
        },
      ]
    : [];
  return [...appMenu, file, { role: 'editMenu', label: '&Edit' }, view, ...(mac ? [{ role: 'windowMenu' } as MenuItemConstructorOptions] : []), help];
}
