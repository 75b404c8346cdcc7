/**
 * The desktop window's preload (sandboxed, context-isolated): exposes
 * `window.ptlab`, a LabClient with one function per lab API method
 * (LAB_METHODS) plus `onEvent` and `onCommand`. There is no generic
 * send/invoke and nothing of Electron itself reaches the page (checklist
 * 20): each function calls its own channel `ptlab:<method>`, and listeners
 * get the event's data, never the IpcRendererEvent. Rejections carry the
 * main process's one-line error. Built to one CommonJS file (a sandboxed
 * preload can only require 'electron').
 */
import { contextBridge, type IpcRendererEvent, ipcRenderer } from 'electron';
import { type AppCommand, LAB_METHODS, type LabApi, type LabClient, type LabEvent, type LabMethod } from './lab/api.ts';

type Reply = { ok: true; result: unknown } | { ok: false; error: string };

function method(name: LabMethod): (...args: unknown[]) => Promise<unknown> {
  const channel = `ptlab:${name}`;
  return async (...args: unknown[]) => {
    const reply = (await ipcRenderer.invoke(channel, ...args)) as Reply;
    if (reply.ok) return reply.result;
    throw new Error(reply.error);
  };
}

function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('expected a listener function');
  const handler = (_event: IpcRendererEvent, value: T): void => listener(value);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const methods = Object.fromEntries(LAB_METHODS.map((name) => [name, method(name)])) as unknown as LabApi;

const client: LabClient = {
  ...methods,
  onEvent: (listener: (e: LabEvent) => void) => subscribe('ptlab:event', listener),
  onCommand: (listener: (c: AppCommand) => void) => subscribe('ptlab:command', listener),
};

contextBridge.exposeInMainWorld('ptlab', client);
