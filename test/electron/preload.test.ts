/**
 * The preload under Node with a stand-in for Electron's renderer modules:
 * window.ptlab has one function per lab method plus onEvent/onCommand and
 * nothing generic, calls go to their own channel and come back through the
 * main process's IPC handler (sender check, argument check, a real Lab), and
 * listeners receive event data only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LabDb } from '../../db/index.ts';
import { LAB_METHODS, type LabClient, type LabEvent } from '../../electron/lab/api.ts';
import { Lab } from '../../electron/lab/lab.ts';
import { handleIpcCall, type IpcEventLike } from '../../electron/main/ipc.ts';
import { isLabMethod } from '../../electron/lab/args.ts';

const bridge = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  listeners: new Map<string, ((event: unknown, value: unknown) => void)[]>(),
  /** Where invoke goes: set by the test to the main-process handler. */
  route: null as null | ((channel: string, args: unknown[]) => Promise<unknown>),
  invoked: [] as string[],
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => bridge.exposed.set(key, api) },
  ipcRenderer: {
    invoke: (channel: string, ...args: unknown[]) => {
      bridge.invoked.push(channel);
      return bridge.route!(channel, args);
    },
    on: (channel: string, fn: (event: unknown, value: unknown) => void) => bridge.listeners.set(channel, [...(bridge.listeners.get(channel) ?? []), fn]),
    removeListener: (channel: string, fn: (event: unknown, value: unknown) => void) => bridge.listeners.set(channel, (bridge.listeners.get(channel) ?? []).filter((f) => f !== fn)),
  },
}));

let dir: string;
let db: LabDb;
let lab: Lab;
let client: LabClient;
let frame: IpcEventLike['senderFrame'] = { url: 'ptlab://app/', parent: null };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ptlab-preload-'));
  db = LabDb.open(join(dir, 'lab.db'));
  lab = new Lab({ db, transport: 'electron' });
  bridge.route = (channel, args) => {
    const method = channel.slice('ptlab:'.length);
    if (!channel.startsWith('ptlab:') || !isLabMethod(method)) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    // Structured clone, as IPC does: nothing but data crosses.
    return handleIpcCall(lab, method, { senderFrame: frame }, structuredClone(args));
  };
  await import('../../electron/preload.ts');
  client = bridge.exposed.get('ptlab') as LabClient;
});

afterAll(async () => {
  await lab.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('window.ptlab', () => {
  it('has one function per lab method, onEvent and onCommand, and no generic send/invoke', () => {
    expect([...bridge.exposed.keys()]).toEqual(['ptlab']);
    expect(Object.keys(client).sort()).toEqual([...LAB_METHODS, 'onEvent', 'onCommand'].sort());
    for (const k of Object.keys(client)) expect(typeof (client as unknown as Record<string, unknown>)[k]).toBe('function');
    for (const generic of ['invoke', 'send', 'on', 'ipcRenderer', 'sendSync']) expect(client).not.toHaveProperty(generic);
  });

  it('calls each method on its own channel and resolves with the result', async () => {
    const info = await client.appInfo();
    expect(info).toMatchObject({ transport: 'electron', dbPath: db.file });
    expect(bridge.invoked.at(-1)).toBe('ptlab:appInfo');
    const page = await client.listRuns({ limit: 10 });
    expect(page).toEqual({ rows: [], total: 0 });
    expect(bridge.invoked.at(-1)).toBe('ptlab:listRuns');
  });

  it('rejects with the one-line error for a bad argument and for a foreign sender', async () => {
    await expect(client.listRuns({ limit: 0 })).rejects.toThrow(/^listRuns: args\[0\]\.limit: expected an integer ≥ 1, got 0$/);
    frame = { url: 'https://evil.example/', parent: null };
    try {
      await expect(client.appInfo()).rejects.toThrow(/^appInfo: refused: the sender is not the app/);
    } finally {
      frame = { url: 'ptlab://app/', parent: null };
    }
  });

  it('delivers event data (never the IPC event object) to onEvent listeners, until unsubscribed', () => {
    const got: LabEvent[] = [];
    const off = client.onEvent((e) => got.push(e));
    const e: LabEvent = { type: 'job-failed', jobId: 'j1', message: 'x' };
    const fire = (): void => (bridge.listeners.get('ptlab:event') ?? []).forEach((f) => f({ sender: 'ipc internals' }, e));
    fire();
    off();
    fire();
    expect(got).toEqual([e]);
    expect(() => client.onEvent('not a function' as unknown as () => void)).toThrow(TypeError);
  });
});
