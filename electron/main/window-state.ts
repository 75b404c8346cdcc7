/**
 * The window's size, position and maximized state across restarts: read
 * defensively (a damaged or hand-edited file gives the defaults), put back
 * only where it is visible on one of today's displays (a monitor unplugged
 * since would otherwise leave the window off screen), written atomically.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1280, height: 820 };
/** At least this much of the title bar area must lie on a display for a saved position to be used. */
const VISIBLE_PX = 64;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** The state to open with: the saved one where it fits today's displays' work areas, else the default size, centred. */
export function restoreWindowState(saved: unknown, workAreas: readonly Rect[]): WindowState {
  const fallback: WindowState = { ...DEFAULT_SIZE, maximized: false };
  if (typeof saved !== 'object' || saved === null) return fallback;
  const s = saved as Record<string, unknown>;
  if (!isInt(s.width) || !isInt(s.height) || s.width < 200 || s.height < 150) return fallback;
  const biggest = workAreas.reduce((m, a) => ({ width: Math.max(m.width, a.width), height: Math.max(m.height, a.height) }), { width: 0, height: 0 });
  const width = biggest.width > 0 ? Math.min(s.width, biggest.width) : s.width;
  const height = biggest.height > 0 ? Math.min(s.height, biggest.height) : s.height;
  const state: WindowState = { width, height, maximized: s.maximized === true };
  if (isInt(s.x) && isInt(s.y)) {
    const x = s.x;
    const y = s.y;
    const visible = workAreas.some((a) => {
      const w = Math.min(x + width, a.x + a.width) - Math.max(x, a.x);
      const h = Math.min(y + VISIBLE_PX, a.y + a.height) - Math.max(y, a.y);
      return w >= VISIBLE_PX && h >= VISIBLE_PX / 2;
    });
    if (visible) {
      state.x = x;
      state.y = y;
    }
  }
  return state;
}

export function readWindowState(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Writes through a temporary file and a rename, so a crash mid-write never leaves half a file. */
export function writeWindowState(file: string, state: WindowState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, file);
}
