/**
 * The desktop shell's behaviour a user notices, over the plain modules:
 * the window comes back where it was (but never off screen), the menus hold
 * what the File/Edit/View/Help menus promise, a second launch brings the
 * running window forward.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { bringToFront } from '../../electron/main/instance.ts';
import { type MenuActions, menuTemplate, THREAD_LINKS } from '../../electron/main/menu.ts';
import { isExternalAllowed } from '../../electron/main/policy.ts';
import { DEFAULT_SIZE, readWindowState, restoreWindowState, writeWindowState } from '../../electron/main/window-state.ts';

const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('window state', () => {
  it('comes back with its size, position and maximized state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ptlab-win-'));
    try {
      const file = join(dir, 'sub', 'window-state.json');
      writeWindowState(file, { x: 100, y: 80, width: 1400, height: 900, maximized: true });
      expect(restoreWindowState(readWindowState(file), screen)).toEqual({ x: 100, y: 80, width: 1400, height: 900, maximized: true });
      writeFileSync(file, '{ not json');
      expect(restoreWindowState(readWindowState(file), screen)).toEqual({ ...DEFAULT_SIZE, maximized: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is never restored off screen or larger than the display', () => {
    // Saved on a second monitor that is gone now: same size, centred instead.
    expect(restoreWindowState({ x: 2500, y: 100, width: 1200, height: 800, maximized: false }, screen)).toEqual({ width: 1200, height: 800, maximized: false });
    expect(restoreWindowState({ x: 100, y: -500, width: 1200, height: 800 }, screen)).toEqual({ width: 1200, height: 800, maximized: false });
    expect(restoreWindowState({ x: 0, y: 0, width: 5000, height: 4000 }, screen)).toMatchObject({ width: 1920, height: 1080 });
    const two = [...screen, { x: 1920, y: 0, width: 1280, height: 1024 }];
    expect(restoreWindowState({ x: 2000, y: 50, width: 1000, height: 700 }, two)).toMatchObject({ x: 2000, y: 50 });
    for (const bad of [null, 'x', { width: 'big', height: 1 }, { width: 10, height: 10 }]) expect(restoreWindowState(bad, screen)).toEqual({ ...DEFAULT_SIZE, maximized: false });
  });
});

function items(template: MenuItemConstructorOptions[], label: RegExp): MenuItemConstructorOptions[] {
  const menu = template.find((m) => label.test(m.label ?? m.role ?? ''));
  if (!menu) throw new Error(`no menu ${label}`);
  return menu.submenu as MenuItemConstructorOptions[];
}

describe('menus', () => {
  const clicked: string[] = [];
  const actions: MenuActions = {
    newExperiment: () => clicked.push('new-experiment'),
    openDatabase: () => clicked.push('open-database'),
    newDatabase: () => clicked.push('new-database'),
    importResults: () => clicked.push('import'),
    exportReport: () => clicked.push('export'),
    about: () => clicked.push('about'),
    openExternal: (url) => clicked.push(url),
  };
  const click = (item: MenuItemConstructorOptions): void => (item.click as unknown as () => void)();

  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    it(`${platform}: File has New experiment, Open/New database, Import, Export report, with shortcuts`, () => {
      clicked.length = 0;
      const t = menuTemplate({ platform, dev: false, actions });
      const file = items(t, /File/);
      const byLabel = new Map(file.filter((i) => i.label).map((i) => [i.label!, i]));
      for (const [label, accel, action] of [
        ['New Experiment', 'CmdOrCtrl+N', 'new-experiment'],
        ['Open Database…', 'CmdOrCtrl+O', 'open-database'],
        ['New Database…', 'CmdOrCtrl+Shift+N', 'new-database'],
        ['Import Results…', 'CmdOrCtrl+I', 'import'],
        ['Export Report…', 'CmdOrCtrl+E', 'export'],
      ] as const) {
        const item = byLabel.get(label);
        expect(item?.accelerator, label).toBe(accel);
        click(item!);
        expect(clicked.at(-1)).toBe(action);
      }
      expect(t.some((m) => m.role === 'editMenu')).toBe(true);
      const view = items(t, /View/).map((i) => i.role);
      expect(view).toEqual(expect.arrayContaining(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']));
      expect(view).not.toContain('toggleDevTools');
      const help = items(t, /Help|help/);
      const links = help.filter((i) => /Thread|Review/.test(i.label ?? ''));
      expect(links.length).toBe(2);
      links.forEach(click);
      expect(clicked.slice(-2)).toEqual([THREAD_LINKS.v5, THREAD_LINKS.decisiveReview]);
      for (const url of Object.values(THREAD_LINKS)) expect(isExternalAllowed(url)).toBe(true);
      const about = t.flatMap((m) => (m.submenu as MenuItemConstructorOptions[]) ?? []).find((i) => i.label === 'About PT Lab');
      click(about!);
      expect(clicked.at(-1)).toBe('about');
    });
  }

  it('development builds add reload and DevTools', () => {
    const view = items(menuTemplate({ platform: 'linux', dev: true, actions }), /View/).map((i) => i.role);
    expect(view).toContain('toggleDevTools');
  });
});

describe('single instance', () => {
  it('a second launch restores and focuses the running window', () => {
    const log: string[] = [];
    const win = { isDestroyed: () => false, isMinimized: () => true, restore: () => log.push('restore'), show: () => log.push('show'), focus: () => log.push('focus') };
    expect(bringToFront(win)).toBe(true);
    expect(log).toEqual(['restore', 'show', 'focus']);
    expect(bringToFront(null)).toBe(false);
    expect(bringToFront({ ...win, isDestroyed: () => true })).toBe(false);
  });
});
