/**
 * The lab API over Electron IPC (PROTOCOL.md "Electron"): one handler per
 * method on channel `ptlab:<method>`. Each call is refused unless it comes
 * from the app's own top-level page (policy.ts senderVerdict), then its
 * arguments are checked against the method's schema (args.ts) before the
 * method runs. Replies are `{ok, result}` or `{ok: false, error}` with the
 * one-line message, which the preload turns into a resolved or rejected
 * promise (so the renderer never sees Electron's "Error invoking remote
 * method" wrapping).
 */
import { LAB_METHODS, type LabApi, type LabMethod } from '../lab/api.ts';
import { callLab, classifyFailure } from '../lab/dispatch.ts';
import { type SenderFrame, senderVerdict } from './policy.ts';

export const EVENT_CHANNEL = 'ptlab:event';
export const COMMAND_CHANNEL = 'ptlab:command';

export function channelOf(method: LabMethod): string {
  return `ptlab:${method}`;
}

export type IpcReply = { ok: true; result: unknown } | { ok: false; error: string };

/** What a handler needs of Electron's IpcMainInvokeEvent. */
export interface IpcEventLike {
  senderFrame: SenderFrame | null;
}

export async function handleIpcCall(lab: LabApi, method: LabMethod, event: IpcEventLike, args: unknown[]): Promise<IpcReply> {
  const sender = senderVerdict(event.senderFrame);
  if (!sender.ok) return { ok: false, error: `${method}: refused: ${sender.why}` };
  try {
    return { ok: true, result: await callLab(lab, method, args) };
  } catch (e) {
    return { ok: false, error: classifyFailure(e).message };
  }
}

/** What registerIpc needs of ipcMain. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<IpcReply>): void;
  removeHandler(channel: string): void;
}

/** Registers one handler per lab method; `lab()` gives the current Lab (it changes when another database is opened). Returns the unregister function. */
export function registerIpc(ipc: IpcMainLike, lab: () => LabApi): () => void {
  for (const method of LAB_METHODS) ipc.handle(channelOf(method), (event, ...args) => handleIpcCall(lab(), method, event, args));
  return () => {
    for (const method of LAB_METHODS) ipc.removeHandler(channelOf(method));
  };
}
