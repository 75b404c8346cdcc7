/**
 * The security headers and Content-Security-Policy of PT Lab's UI, shared by
 * web mode (electron/web/server.ts) and the desktop app's `ptlab://app`
 * protocol handler, so both serve the renderer under the same policy.
 *
 * The policy: scripts only from the app itself (no inline script, no eval:
 * the schemas are checked with TypeBox's interpreter, never its compiler),
 * connections only to the app's own origin (web mode adds its own ws:
 * origin explicitly, for browsers whose 'self' does not cover WebSockets),
 * no plugins, frames, forms or base URL changes. Inline *styles* are
 * allowed: Svelte's style bindings and transitions and CodeMirror set style
 * attributes and insert style elements at run time; a style cannot run code.
 */

export interface CspOptions {
  /** Web mode: the WebSocket origin of the events endpoint, e.g. "ws://127.0.0.1:5173". */
  websocketOrigin?: string;
}

export function appCsp(opts: CspOptions = {}): string {
  const connect = ["'self'", ...(opts.websocketOrigin ? [opts.websocketOrigin] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Headers on every response that serves the UI or the API. */
export function securityHeaders(opts: CspOptions = {}): Record<string, string> {
  return {
    'Content-Security-Policy': appCsp(opts),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=()',
  };
}

/** Content types of the files the renderer build contains. */
export const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
