/**
 * Web mode's transport (PROTOCOL.md): every method is `POST /api/<method>`
 * with `{"args": [...]}` answered by `{"result"}` or `{"error"}`, and job
 * events arrive on the WebSocket `/api/events`, one JSON frame per event.
 * The session cookie the server set when the page was opened with its token
 * authenticates both. The socket reconnects after a close, backing off.
 */
import type { LabApi, LabClient, LabEvent } from '../api.ts';
import { clientOf } from './methods.ts';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** A client that can say whether its event stream is up (web mode only). */
export interface ConnectionAware {
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

export interface WebClientOptions {
  /** The page's origin, e.g. "http://127.0.0.1:41234". */
  origin: string;
  fetch: typeof fetch;
  WebSocket: typeof WebSocket;
  /** First reconnect delay; doubles up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export function webClient(opts: WebClientOptions): LabClient & ConnectionAware {
  const events = new EventSocket(opts);
  const call = async (method: keyof LabApi, args: unknown[]): Promise<unknown> => {
    const res = await opts.fetch(`${opts.origin}/api/${method}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ args }),
    });
    const text = await res.text();
    let body: { result?: unknown; error?: unknown } | null = null;
    try {
      body = JSON.parse(text) as { result?: unknown; error?: unknown };
    } catch {
      // 401/403 answer in plain text (e.g. "open the URL PT Lab printed"); say that.
    }
    if (!res.ok || body === null || 'error' in body) {
      const message = body && typeof body.error === 'string' ? body.error : text.trim().split('\n')[0] || `HTTP ${res.status}`;
      throw new Error(message);
    }
    return body.result ?? null;
  };
  const client = clientOf(call, (listener) => events.subscribe(listener));
  return Object.assign(client, { onConnection: (l: (s: ConnectionState) => void) => events.onState(l) });
}

/** The event WebSocket: opened for the first subscriber, reopened after every close. */
class EventSocket {
  private readonly listeners = new Set<(e: LabEvent) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private socket: WebSocket | null = null;
  private state: ConnectionState = 'closed';
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: WebClientOptions) {
    this.delay = opts.minDelayMs ?? 250;
  }

  subscribe(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.socket && !this.timer) this.open();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private open(): void {
    this.timer = null;
    const url = `${this.opts.origin.replace(/^http/, 'ws')}/api/events`;
    const socket = new this.opts.WebSocket(url);
    this.socket = socket;
    this.setState('connecting');
    socket.onopen = () => {
      this.delay = this.opts.minDelayMs ?? 250;
      this.setState('open');
    };
    socket.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return;
      let event: LabEvent;
      try {
        event = JSON.parse(m.data) as LabEvent;
      } catch {
        return; // a frame that is not JSON carries no event
      }
      for (const l of this.listeners) l(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setState('closed');
      if (this.listeners.size === 0) return;
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, this.opts.maxDelayMs ?? 5000);
    };
  }

  private close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.setState('closed');
  }
}
