/**
 * Web mode as a whole: open the database, start the Lab and the web host,
 * print the URL, open the browser where someone can see it, and stop
 * cleanly (jobs cancelled and saved, connections closed, database closed).
 * `ptlab serve` and `npm start` without Electron both use it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LabDb, resolveDbPath } from '../../db/index.ts';
import { Lab } from '../lab/lab.ts';
import { canOpenBrowser, openBrowser } from './open-browser.ts';
import { startWebHost, type WebHost } from './server.ts';

export interface ServeOptions {
  /** Database file (default: $PTLAB_DB or the user data directory). */
  db?: string;
  port?: number;
  host?: string;
  /** Open the browser when there is a display (default true). */
  open?: boolean;
  rendererDir?: string;
  /** Where the URL line goes (stdout) and warnings go (stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface Serving {
  host: WebHost;
  lab: Lab;
  stop(): Promise<void>;
}

export async function serveWebMode(opts: ServeOptions = {}): Promise<Serving> {
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const err = opts.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const file = resolveDbPath(opts.db);
  mkdirSync(dirname(file), { recursive: true });
  const db = LabDb.open(file);
  const lab = new Lab({ db, transport: 'web' });
  let host: WebHost;
  try {
    host = await startWebHost({ lab, port: opts.port, host: opts.host, rendererDir: opts.rendererDir, warn: err });
  } catch (e) {
    db.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${opts.port} is already in use (leave --port out to take a free one)`);
    if (code === 'EADDRNOTAVAIL') throw new Error(`--host ${opts.host}: no such address on this machine`);
    throw e;
  }
  out(`PT Lab web mode: ${host.url}`);
  if (opts.open ?? true) {
    const can = canOpenBrowser(opts.env ?? process.env);
    if (can.ok) openBrowser(host.url);
  }
  let stopped: Promise<void> | null = null;
  return {
    host,
    lab,
    stop: () =>
      (stopped ??= (async () => {
        await host.close();
        await lab.close();
        db.close();
      })()),
  };
}

/** Resolves on the first SIGINT or SIGTERM (and stops listening for them). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
