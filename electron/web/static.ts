/**
 * Mapping a request path onto a file of the built renderer (dist/renderer),
 * for web mode and the desktop app's protocol handler alike: `/` is
 * index.html, paths without an extension fall back to index.html (the
 * renderer routes them), and nothing outside the folder is ever reachable
 * (no `..`, no encoded separators, no NUL, symlinks resolved and checked).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { MIME_TYPES } from './headers.ts';

export type StaticTarget = { kind: 'file'; path: string; mime: string } | { kind: 'not-found' } | { kind: 'no-build' };

/** Resolves a URL pathname (still percent-encoded) to a file under `root`. */
export function resolveStatic(root: string, pathname: string): StaticTarget {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { kind: 'no-build' };
  }
  if (!existsSync(join(realRoot, 'index.html'))) return { kind: 'no-build' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'not-found' };
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return { kind: 'not-found' };
  const parts = decoded.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.')) return { kind: 'not-found' };
  const candidate = parts.length === 0 ? 'index.html' : parts.join('/');
  const file = (rel: string): StaticTarget => {
    const full = join(realRoot, rel);
    let real: string;
    try {
      real = realpathSync(full);
      if (!statSync(real).isFile()) return { kind: 'not-found' };
    } catch {
      return { kind: 'not-found' };
    }
    if (real !== realRoot && !real.startsWith(realRoot + sep)) return { kind: 'not-found' };
    return { kind: 'file', path: real, mime: MIME_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
  };
  const hit = file(candidate);
  if (hit.kind === 'file' || extname(candidate) !== '') return hit;
  return file('index.html');
}

/** The page served when the renderer has not been built (web mode, or the desktop window). */
export function noBuildPage(mode: 'web' | 'desktop'): string {
  const api = mode === 'web' ? '<p>Meanwhile the lab API answers at <code>POST /api/&lt;method&gt;</code>, and <code>npx ptlab</code> works as ever.</p>' : '<p>Meanwhile <code>npx ptlab</code> works as ever.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PT Lab</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#eee;padding:.1em .3em;border-radius:3px}@media (prefers-color-scheme:dark){body{background:#111;color:#ddd}code{background:#333}}</style>
</head><body>
<h1>PT Lab</h1>
<p>The lab service is running, but the app's user interface has not been built yet.</p>
<p>Build it with <code>npm run build:renderer</code>, then reload this page.</p>
${api}
</body></html>
`;
}
