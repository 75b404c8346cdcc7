/**
 * Single instance: a second launch hands over to the running app, which
 * brings its window forward (restored if minimized) instead of opening a
 * second window on the same database.
 */

/** What focusing needs of a BrowserWindow. */
export interface FocusableWindow {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
}

/** Handles Electron's 'second-instance' event; returns whether a window was brought forward. */
export function bringToFront(win: FocusableWindow | null): boolean {
  if (!win || win.isDestroyed()) return false;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  return true;
}
