/**
 * The web transport against a stand-in server: each call is POST
 * /api/<method> with {"args": [...]}, errors come back as one line, and the
 * event socket delivers events and reconnects after a close.
 */
import { describe, expect, it, vi } from 'vitest';
import { webClient } from '../../renderer/src/lib/client/web.ts';
import type { LabEvent } from '../../renderer/src/lib/api.ts';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close(): void {
    this.closed = true;
    this.onclose?.();
  }
}

describe('web client', () => {
  it('posts positional arguments and returns the result', async () => {
    const fetch = vi.fn(async (_url: string, _init: RequestInit) => new Response(JSON.stringify({ result: { rows: [], total: 0 } }), { status: 200 }));
    const client = webClient({ origin: 'http://127.0.0.1:4000', fetch: fetch as unknown as typeof globalThis.fetch, WebSocket: FakeSocket as unknown as typeof WebSocket });
    await expect(client.listRuns({ limit: 5, verdict: 'violation' })).resolves.toEqual({ rows: [], total: 0 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('http://127.0.0.1:4000/api/listRuns');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(JSON.parse(String(init.body))).toEqual({ args: [{ limit: 5, verdict: 'violation' }] });
  });

  it('turns {"error"} and a plain-text 401 into one-line errors', async () => {
    const responses = [
      new Response(JSON.stringify({ error: 'listRuns: args[0].limit: expected an integer ≥ 1' }), { status: 400 }),
      new Response('Unauthorized: open the URL PT Lab printed (it carries the token).\n', { status: 401 }),
    ];
    const fetch = vi.fn(async () => responses.shift()!);
    const client = webClient({ origin: 'http://127.0.0.1:4000', fetch: fetch as unknown as typeof globalThis.fetch, WebSocket: FakeSocket as unknown as typeof WebSocket });
    await expect(client.listRuns({ limit: 0 })).rejects.toThrow('listRuns: args[0].limit: expected an integer ≥ 1');
    await expect(client.appInfo()).rejects.toThrow(/^Unauthorized: open the URL PT Lab printed \(it carries the token\)\.$/);
  });

  it('delivers events from /api/events and reconnects after the socket closes', async () => {
    vi.useFakeTimers();
    try {
      FakeSocket.all = [];
      const client = webClient({ origin: 'http://127.0.0.1:4000', fetch: globalThis.fetch, WebSocket: FakeSocket as unknown as typeof WebSocket, minDelayMs: 100 });
      const got: LabEvent[] = [];
      const states: string[] = [];
      client.onConnection((s) => states.push(s));
      const off = client.onEvent((e) => got.push(e));
      expect(FakeSocket.all.map((s) => s.url)).toEqual(['ws://127.0.0.1:4000/api/events']);
      FakeSocket.all[0].onopen?.();
      FakeSocket.all[0].onmessage?.({ data: JSON.stringify({ type: 'job-failed', jobId: 'job-1', message: 'boom' }) });
      FakeSocket.all[0].onmessage?.({ data: 'not json' });
      expect(got).toEqual([{ type: 'job-failed', jobId: 'job-1', message: 'boom' }]);

      FakeSocket.all[0].onclose?.();
      expect(states.at(-1)).toBe('closed');
      vi.advanceTimersByTime(100);
      expect(FakeSocket.all).toHaveLength(2);
      FakeSocket.all[1].onopen?.();
      expect(states.at(-1)).toBe('open');
      off();
      expect(FakeSocket.all[1].closed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
