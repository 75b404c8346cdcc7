/**
 * Screens and their addresses. The address lives in the URL hash (it works
 * the same under ptlab://app/ and web mode, and a reload keeps it); the last
 * one is also saved so that a restart, which opens the bare URL, comes back
 * to the same screen.
 */
import type { UiStore } from './storage.ts';

export type Screen = 'library' | 'designer' | 'live' | 'compare' | 'trace' | 'export';

export type Route =
  | { screen: 'library' }
  | { screen: 'designer'; preset?: string; experiment?: number }
  | { screen: 'live'; jobId?: string }
  | { screen: 'compare'; ids: string[] }
  | { screen: 'trace'; runId?: string; violation?: number; step?: number }
  | { screen: 'export'; ids: string[]; baseline?: string; title?: string };

export interface ScreenInfo {
  screen: Screen;
  title: string;
  /** The key after "g" that opens it. */
  key: string;
}

export const SCREENS: readonly ScreenInfo[] = [
  { screen: 'library', title: 'Library', key: 'l' },
  { screen: 'designer', title: 'Designer', key: 'd' },
  { screen: 'live', title: 'Live run', key: 'r' },
  { screen: 'compare', title: 'Compare', key: 'c' },
  { screen: 'trace', title: 'Trace', key: 't' },
  { screen: 'export', title: 'Export', key: 'e' },
];

/** The hash of a route, e.g. "#/trace/<run id>/0". */
export function hrefOf(r: Route): string {
  switch (r.screen) {
    case 'library':
      return '#/library';
    case 'designer': {
      const q = r.preset ? `?preset=${encodeURIComponent(r.preset)}` : r.experiment !== undefined ? `?experiment=${r.experiment}` : '';
      return `#/designer${q}`;
    }
    case 'live':
      return r.jobId ? `#/live/${encodeURIComponent(r.jobId)}` : '#/live';
    case 'compare':
      return r.ids.length ? `#/compare?ids=${r.ids.map(encodeURIComponent).join(',')}` : '#/compare';
    case 'export': {
      const q = new URLSearchParams();
      if (r.ids.length) q.set('ids', r.ids.join(','));
      if (r.baseline) q.set('baseline', r.baseline);
      if (r.title) q.set('title', r.title);
      const text = q.toString().replace(/%2C/g, ',');
      return text ? `#/export?${text}` : '#/export';
    }
    case 'trace':
      return r.runId ? `#/trace/${encodeURIComponent(r.runId)}/${r.violation ?? 0}${r.step !== undefined ? `?step=${r.step}` : ''}` : '#/trace';
  }
}

/** Parse a hash; anything unknown is null (the caller falls back to the saved or default screen). */
export function parseHref(hash: string): Route | null {
  const m = /^#?\/([a-z]+)((?:\/[^?]*)?)(?:\?(.*))?$/.exec(hash);
  if (!m) return null;
  const [, screen, rest, query] = m;
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(query ?? '');
  const ids = (q.get('ids') ?? '').split(',').filter(Boolean);
  switch (screen) {
    case 'library':
      return { screen };
    case 'designer': {
      const preset = q.get('preset') ?? undefined;
      const exp = q.get('experiment');
      return { screen, ...(preset ? { preset } : {}), ...(exp !== null && /^\d+$/.test(exp) ? { experiment: Number(exp) } : {}) };
    }
    case 'live':
      return parts[0] ? { screen, jobId: parts[0] } : { screen };
    case 'compare':
      return { screen, ids };
    case 'export': {
      const baseline = q.get('baseline');
      const title = q.get('title');
      return { screen, ids, ...(baseline ? { baseline } : {}), ...(title ? { title } : {}) };
    }
    case 'trace':
      if (!parts[0]) return { screen };
      return { screen, runId: parts[0], violation: /^\d+$/.test(parts[1] ?? '') ? Number(parts[1]) : 0, ...(/^-?\d+$/.test(q.get('step') ?? '') ? { step: Number(q.get('step')) } : {}) };
    default:
      return null;
  }
}

/** Where the app reads and writes its address (the window's location in the app; a variable in tests). */
export interface AddressBar {
  get(): string;
  set(hash: string): void;
  /** Call back when the user changes the address (back/forward, a link); returns the unsubscribe. */
  listen(onChange: () => void): () => void;
}

export class Router {
  route = $state<Route>({ screen: 'library' });

  constructor(
    private readonly bar: AddressBar,
    private readonly store: UiStore,
  ) {
    const fromBar = parseHref(bar.get());
    const saved = parseHref(store.get<string>('route', '', (v) => typeof v === 'string'));
    this.route = fromBar ?? saved ?? { screen: 'library' };
    if (!fromBar) bar.set(hrefOf(this.route));
    store.set('route', hrefOf(this.route));
  }

  /** Follow the address bar (back/forward, links); returns the unsubscribe. */
  start(): () => void {
    return this.bar.listen(() => {
      const r = parseHref(this.bar.get());
      if (r) this.show(r);
    });
  }

  go(r: Route): void {
    this.bar.set(hrefOf(r));
    this.show(r);
  }

  private show(r: Route): void {
    this.route = r;
    this.store.set('route', hrefOf(r));
  }
}

/** An address bar held in memory (tests). */
export function memoryAddressBar(initial = ''): AddressBar & { hash: string } {
  const listeners = new Set<() => void>();
  const bar = {
    hash: initial,
    get: () => bar.hash,
    set: (h: string) => {
      bar.hash = h;
    },
    listen: (f: () => void) => {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  };
  return bar;
}
