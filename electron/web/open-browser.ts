/**
 * Opening the user's browser on web mode's URL: only where someone can see
 * it (never under CI; on Linux and the BSDs only with an X or Wayland
 * display), with the platform's opener (xdg-open, open, start), detached and
 * silent. Failing to open is not an error: the URL is printed anyway.
 */
import { spawn } from 'node:child_process';

export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): { ok: boolean; why: string } {
  if (env.CI) return { ok: false, why: 'CI is set' };
  if (platform === 'darwin' || platform === 'win32') return { ok: true, why: '' };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { ok: false, why: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  return { ok: true, why: '' };
}

/** The opener command for a platform. */
export function openerCommand(url: string, platform: NodeJS.Platform = process.platform): { cmd: string; args: string[] } {
  if (platform === 'darwin') return { cmd: 'open', args: [url] };
  // `start` is a cmd.exe built-in; the empty first argument is the window title.
  if (platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { cmd: 'xdg-open', args: [url] };
}

export function openBrowser(url: string): void {
  const { cmd, args } = openerCommand(url);
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', windowsHide: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener installed: the printed URL is enough.
  }
}
