/**
 * The `ptlab://app/` protocol that serves the built renderer to the desktop
 * window (checklist 18: a privileged custom protocol instead of file://).
 * The handler is plain web Request -> Response, so tests run it under Node;
 * files resolve as in web mode (electron/web/static.ts: nothing outside
 * dist/renderer is reachable) and carry the same CSP and headers.
 */
import { readFile } from 'node:fs/promises';
import type { CustomScheme } from 'electron';
import { securityHeaders } from '../web/headers.ts';
import { noBuildPage, resolveStatic } from '../web/static.ts';
import { APP_HOST, APP_SCHEME } from './policy.ts';

/**
 * standard + secure: a real origin (ptlab://app) with web storage and a
 * secure context; fetch support for the renderer's own files; no CORS, no
 * service workers, no CSP bypass.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, bypassCSP: false, allowServiceWorkers: false, stream: false, codeCache: true },
};

function reply(status: number, body: string | Buffer | null, type: string): Response {
  return new Response(body === null ? null : new Uint8Array(body instanceof Buffer ? body : Buffer.from(body)), {
    status,
    headers: { ...securityHeaders(), 'Content-Type': type, 'Cache-Control': 'no-cache' },
  });
}

export async function handleAppRequest(request: Request, rendererDir: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return reply(400, 'Bad request.\n', 'text/plain; charset=utf-8');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return reply(404, 'Not found.\n', 'text/plain; charset=utf-8');
  if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'Method not allowed.\n', 'text/plain; charset=utf-8');
  const target = resolveStatic(rendererDir, url.pathname);
  if (target.kind === 'no-build') return reply(200, noBuildPage('desktop'), 'text/html; charset=utf-8');
  if (target.kind === 'not-found') return reply(404, 'Not found.\n', 'text/plain; charset=utf-8');
  const body = request.method === 'HEAD' ? null : await readFile(target.path);
  return reply(200, body, target.mime);
}
