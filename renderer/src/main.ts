/**
 * The renderer's entry: pick the transport, mount the app. Electron's
 * preload provides `window.ptlab`; otherwise this is web mode. The fake
 * client is used only by the fake build (`vite build --mode fake`) or by
 * the dev server with `?fake=1`: a production build never falls back to it.
 */
// The base styles first, so that components' own styles come after them and win.
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import type { LabClient } from './lib/api.ts';
import { downloadFile } from './lib/download.ts';
import { fileSaver } from './lib/save.ts';
import { type PtlabBridge, electronClient } from './lib/client/electron.ts';
import { webClient } from './lib/client/web.ts';
import type { AddressBar } from './lib/router.svelte.ts';

const params = new URLSearchParams(location.search);

async function pickClient(): Promise<LabClient> {
  const bridge = (window as Window & { ptlab?: PtlabBridge }).ptlab;
  if (bridge) return electronClient(bridge);
  if (__PTLAB_FAKE_BUILD__ || (import.meta.env.DEV && params.has('fake'))) {
    const { FakeLab } = await import('./lib/client/fake.ts');
    const runs = Number(params.get('runs') ?? 300);
    const tickMs = Number(params.get('tick') ?? 100);
    // ?points=1000000: timed runs' series that long (generated on request), for the Compare benchmark.
    const points = Number(params.get('points') ?? 200);
    const fake = new FakeLab({ runs: Number.isInteger(runs) && runs >= 0 ? runs : 300, tickMs: Number.isFinite(tickMs) ? tickMs : 100, seriesPoints: Number.isInteger(points) && points >= 2 ? points : 200 });
    // The screenshot script and the benchmark drive the fake from outside.
    (window as Window & { ptlabFake?: unknown }).ptlabFake = fake;
    return fake;
  }
  return webClient({ origin: location.origin, fetch: window.fetch.bind(window), WebSocket: window.WebSocket });
}

const bar: AddressBar = {
  get: () => location.hash,
  set: (hash) => {
    if (location.hash !== hash) history.pushState(null, '', hash);
  },
  listen: (onChange) => {
    window.addEventListener('popstate', onChange);
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener('hashchange', onChange);
    };
  },
};

const client = await pickClient();
const desktop = Boolean((window as Window & { ptlab?: PtlabBridge }).ptlab);
mount(App, {
  target: document.getElementById('app')!,
  props: {
    client,
    bar,
    storage: window.localStorage,
    saveFile: fileSaver({ desktop, client, download: (file) => downloadFile(document, file) }),
    mac: /Mac|iPhone|iPad/.test(navigator.platform),
  },
});
