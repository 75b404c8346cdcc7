/**
 * Web mode's host (PROTOCOL.md "Web mode"): serves the built renderer and the
 * lab API (`POST /api/<method>`, events on the WebSocket `/api/events`) to a
 * browser on this machine.
 *
 * Who may talk to it: a request must name a loopback Host (DNS rebinding),
 * carry the served Origin when it carries one (a WebSocket must carry it),
 * and hold the session token — 256 random bits handed out once in the
 * printed URL and exchanged for an HttpOnly, SameSite=Strict cookie. No CORS
 * headers are ever sent; API calls must be `application/json` (which a
 * cross-site form cannot send) and at most 64 MiB; every argument is checked
 * against its schema before a method runs.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces, hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { LabClient, LabEvent } from '../lab/api.ts';
import { callLab, classifyFailure } from '../lab/dispatch.ts';
import { securityHeaders } from './headers.ts';
import { noBuildPage, resolveStatic } from './static.ts';
import { rendererDir as defaultRendererDir } from './paths.ts';

export const COOKIE_NAME = 'ptlab_session';
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Live progress and series are dropped for a client this far behind; the other events always go. */
const SLOW_CLIENT_BYTES = 16 * 1024 * 1024;
const PING_EVERY_MS = 30_000;

export interface WebHostOptions {
  lab: LabClient;
  /** 0 (default): a free port. */
  port?: number;
  /** An address other than loopback; binding it prints a warning through `warn`. */
  host?: string;
  /** The built renderer (default: dist/renderer of the project). */
  rendererDir?: string;
  maxBodyBytes?: number;
  warn?: (line: string) => void;
}

export interface WebHost {
  /** The URL to open, token included: http://127.0.0.1:<port>/?token=<token>. */
  url: string;
  /** The origin the URL serves, e.g. http://127.0.0.1:5173. */
  origin: string;
  port: number;
  token: string;
  /** Where it listens. */
  addresses: string[];
  close(): Promise<void>;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function hostPort(host: string, port: number): string {
  const h = host.replace(/^\[|\]$/g, '');
  return `${isIP(h) === 6 ? `[${h}]` : h}:${port}`.toLowerCase();
}

/** Host header values this server answers to. */
function allowedHosts(port: number, host: string | undefined): Set<string> {
  const names = ['127.0.0.1', '::1', 'localhost'];
  if (host !== undefined) {
    if (WILDCARDS.has(host)) {
      names.push(hostname());
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.push(a.address);
    } else names.push(host);
  }
  return new Set(names.map((n) => hostPort(n, port)));
}

function sameToken(given: string | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE_NAME) return part.slice(eq + 1).trim();
  }
  return undefined;
}

interface Checked {
  url: URL;
  host: string;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const token = randomBytes(32).toString('hex');
  const root = opts.rendererDir ?? defaultRendererDir();
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  let hosts = new Set<string>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });

  /** Host, Origin and token checks shared by HTTP and WebSocket; returns the failure's status and text, or the parsed request. */
  const check = (req: IncomingMessage, websocket: boolean): Checked | { status: number; text: string } => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(host)) return { status: 403, text: 'Forbidden: PT Lab answers only to 127.0.0.1, [::1] and localhost (unexpected Host header).' };
    const origin = req.headers.origin;
    if (origin !== undefined || websocket) {
      if (origin === undefined || origin.toLowerCase() !== `http://${host}`) return { status: 403, text: 'Forbidden: this request comes from another origin.' };
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      return { status: 400, text: 'Bad request.' };
    }
    return { url, host };
  };

  const authorised = (req: IncomingMessage, url: URL): boolean => sameToken(cookieToken(req.headers.cookie), token) || sameToken(url.searchParams.get('token') ?? undefined, token);

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}, host?: string): void => {
    res.writeHead(status, {
      ...securityHeaders(host ? { websocketOrigin: `ws://${host}` } : {}),
      'Content-Type': type,
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown, host: string): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), {}, host);

  const onApi = (req: IncomingMessage, res: ServerResponse, method: string, host: string): void => {
    if (req.method !== 'POST') return send(res, 405, 'application/json; charset=utf-8', JSON.stringify({ error: 'use POST for the lab API' }), { Allow: 'POST' }, host);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') return sendJson(res, 400, { error: 'expected Content-Type: application/json' }, host);
    const tooLarge = (): void => {
      res.once('finish', () => req.socket.destroy());
      send(res, 413, 'application/json; charset=utf-8', JSON.stringify({ error: `request body over ${maxBody / 1024 / 1024} MiB` }), { Connection: 'close' }, host);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBody) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > maxBody) {
        over = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return sendJson(res, 400, { error: `request body is not valid JSON: ${(e as Error).message}` }, host);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendJson(res, 400, { error: 'expected a body {"args": [...]}' }, host);
      const args = (body as { args?: unknown }).args ?? [];
      callLab(opts.lab, method, args).then(
        (result) => sendJson(res, 200, { result }, host),
        (e: unknown) => {
          const f = classifyFailure(e);
          sendJson(res, f.kind === 'unknown-method' ? 404 : f.kind === 'bad-input' ? 400 : 500, { error: f.message }, host);
        },
      );
    });
    req.on('error', () => req.socket.destroy());
  };

  const onStatic = (req: IncomingMessage, res: ServerResponse, url: URL, host: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n', { Allow: 'GET, HEAD' }, host);
    const target = resolveStatic(root, url.pathname);
    if (target.kind === 'no-build') return send(res, url.pathname === '/' ? 200 : 404, 'text/html; charset=utf-8', noBuildPage('web'), {}, host);
    if (target.kind === 'not-found') return send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n', {}, host);
    const size = statSync(target.path).size;
    res.writeHead(200, { ...securityHeaders({ websocketOrigin: `ws://${host}` }), 'Content-Type': target.mime, 'Content-Length': String(size), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target.path)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const c = check(req, false);
      if ('status' in c) return send(res, c.status, 'text/plain; charset=utf-8', `${c.text}\n`);
      const { url, host } = c;
      const given = url.searchParams.get('token');
      if (url.pathname === '/' && given !== null && req.method === 'GET') {
        if (!sameToken(given, token)) return send(res, 401, 'text/plain; charset=utf-8', 'Unauthorized: that token is not this session\'s. Open the URL PT Lab printed when it started.\n', {}, host);
        return send(res, 302, 'text/plain; charset=utf-8', 'Found.\n', { Location: '/', 'Set-Cookie': `${COOKIE_NAME}=${token}; HttpOnly; SameSite=Strict; Path=/` }, host);
      }
      if (!authorised(req, url)) return send(res, 401, 'text/plain; charset=utf-8', 'Unauthorized: open the URL PT Lab printed when it started (it carries the access token).\n', {}, host);
      if (url.pathname === '/api/events') return send(res, 426, 'text/plain; charset=utf-8', 'Use a WebSocket for /api/events.\n', { Upgrade: 'websocket' }, host);
      if (url.pathname.startsWith('/api/')) return onApi(req, res, decodeURIComponent(url.pathname.slice('/api/'.length)), host);
      onStatic(req, res, url, host);
    } catch (e) {
      if (!res.headersSent) send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: `internal error: ${(e as Error).message}` }));
      else res.destroy();
    }
  };

  const refuse = (socket: Duplex, status: number, text: string): void => {
    const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Forbidden';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const c = check(req, true);
    if ('status' in c) return refuse(socket, c.status, c.text);
    if (c.url.pathname !== '/api/events') return refuse(socket, 404, 'Not found.');
    if (!authorised(req, c.url)) return refuse(socket, 401, 'Unauthorized.');
    wss.handleUpgrade(req, socket, head, (ws) => {
      let alive = true;
      const unsubscribe = opts.lab.onEvent((e: LabEvent) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if ((e.type === 'job-progress' || e.type === 'job-series') && ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
        ws.send(JSON.stringify(e));
      });
      const ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, PING_EVERY_MS);
      ws.on('pong', () => (alive = true));
      // Clients send nothing on this socket (PROTOCOL.md); anything they send is ignored.
      ws.on('message', () => {});
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        clearInterval(ping);
        unsubscribe();
      });
    });
  };

  const make = (): Server => {
    const s = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, onRequest);
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_e, socket) => socket.destroy());
    return s;
  };

  const servers: Server[] = [];
  let port = opts.port ?? 0;
  const addresses: string[] = [];
  if (opts.host !== undefined && opts.host !== '127.0.0.1' && opts.host !== 'localhost' && opts.host !== '::1') {
    warn(
      `ptlab: warning: --host ${opts.host}: PT Lab web mode is reachable from other machines. Anyone who gets the printed URL (its token) can run simulations and read, change and delete your saved runs; use it only on a network you trust.`,
    );
    const s = make();
    port = await listen(s, port, opts.host.replace(/^\[|\]$/g, ''));
    servers.push(s);
    addresses.push(hostPort(opts.host, port));
  } else {
    // 127.0.0.1 picks the port; ::1 takes the same one when this machine has IPv6 loopback.
    for (let attempt = 0; ; attempt++) {
      const v4 = make();
      const p = await listen(v4, port, '127.0.0.1');
      const v6 = make();
      try {
        await listen(v6, p, '::1');
        servers.push(v4, v6);
        addresses.push(hostPort('127.0.0.1', p), hostPort('::1', p));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' && port === 0 && attempt < 5) {
          await closeServer(v4);
          continue;
        }
        if (code === 'EADDRINUSE' && port !== 0) {
          await closeServer(v4);
          throw new Error(`port ${port} is in use on [::1]`);
        }
        // No IPv6 loopback here (EADDRNOTAVAIL, EAFNOSUPPORT): IPv4 alone.
        servers.push(v4);
        addresses.push(hostPort('127.0.0.1', p));
      }
      port = p;
      break;
    }
  }
  hosts = allowedHosts(port, opts.host);
  const shown = opts.host === undefined || WILDCARDS.has(opts.host) ? '127.0.0.1' : opts.host;
  const origin = `http://${hostPort(shown, port)}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    addresses,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await Promise.all(servers.map(closeServer));
    },
  };
}
