/**
 * Every security decision of the desktop app's main process, as plain
 * functions that tests exercise under Node (the Electron binary cannot run
 * everywhere PT Lab is built): the window's options, which URLs are the app,
 * which frames may call the lab over IPC, and what happens to navigation,
 * new windows, permission requests, <webview> and external links. main.ts
 * only wires these to Electron's events. Electron is imported for types only.
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer is served from this privileged custom protocol, never file:// (checklist 18). */
export const APP_SCHEME = 'ptlab';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/`;

export interface WindowOptionsInput {
  preload: string;
  bounds: { x?: number; y?: number; width: number; height: number };
  icon?: string;
  /** Development builds keep DevTools; packaged ones do not. */
  devTools: boolean;
  dark?: boolean;
}

/** The one window's options: every webPreferences switch set to its safe value explicitly, so no default can drift. */
export function windowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...input.bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'PT Lab',
    backgroundColor: input.dark ? '#1b1d21' : '#ffffff',
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: input.devTools,
    },
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Is this a URL of the app itself (ptlab://app/…)? */
export function isAppUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

/**
 * Sites the app may open in the user's browser: kernel sources and the
 * mailing-list archive the app links to. https only, exact host names (no
 * suffix matching: lore.kernel.org.evil.example is not lore.kernel.org), no
 * credentials, default port.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['lore.kernel.org', 'git.kernel.org', 'www.kernel.org', 'docs.kernel.org', 'elixir.bootlin.com', 'github.com'];

/** On github.com only the kernel's sources, not any repository. */
const GITHUB_PATHS = ['/torvalds/linux/'];

export function isExternalAllowed(url: string): boolean {
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.port !== '') return false;
  if (!EXTERNAL_HOSTS.includes(u.hostname)) return false;
  if (u.hostname === 'github.com') return GITHUB_PATHS.some((p) => u.pathname.startsWith(p));
  return true;
}

export interface NavigationDecision {
  /** Let the window go there (never: the app is one page). */
  allow: false;
  /** Open it in the user's browser instead (allow-listed links). */
  openExternal: string | null;
}

/** `will-navigate`, `will-redirect`, `will-frame-navigate`: the window never leaves the app; allowed links open outside. */
export function navigationDecision(url: string): NavigationDecision {
  return { allow: false, openExternal: isExternalAllowed(url) ? url : null };
}

/** `setWindowOpenHandler`: no new windows, ever; allowed links open in the user's browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternal: string | null } {
  return { action: 'deny', openExternal: isExternalAllowed(url) ? url : null };
}

/**
 * Permission requests and checks (camera, notifications, clipboard read,
 * geolocation, …) and device access (HID, serial, USB): all denied. The app
 * needs none: downloads and file pickers do not go through permissions.
 */
export function permissionDecision(_permission: string, _requestingUrl?: string): boolean {
  return false;
}

/** `will-attach-webview`: refused (webviewTag is off too). */
export function webviewDecision(): { allow: false } {
  return { allow: false };
}

/** The frame an IPC message came from, as Electron describes it. */
export interface SenderFrame {
  url: string;
  /** null for a top-level frame. */
  parent: unknown;
}

/**
 * IPC sender validation (checklist 17): only the app's own top-level page
 * may call the lab. A subframe, another origin, a frame mid-navigation
 * (empty URL) or a destroyed frame (null) is refused.
 */
export function senderVerdict(frame: SenderFrame | null | undefined): { ok: true } | { ok: false; why: string } {
  if (!frame) return { ok: false, why: 'the sending frame is gone' };
  if (frame.parent !== null && frame.parent !== undefined) return { ok: false, why: 'only the top-level page may call the lab' };
  if (!isAppUrl(frame.url)) return { ok: false, why: `the sender is not the app (${parse(frame.url)?.origin ?? 'unknown origin'})` };
  return { ok: true };
}
