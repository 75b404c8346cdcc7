/**
 * The desktop transport: `window.ptlab`, exposed by the preload with one
 * function per method and `onEvent`. The wrapper only cleans up errors:
 * Electron prefixes an IPC rejection with "Error invoking remote method
 * 'ptlab:<name>': Error: ", which says nothing to the user.
 */
import type { LabApi, LabClient } from '../api.ts';
import { clientOf, errorLine } from './methods.ts';

/** What the preload exposes (the contract, as functions on one object). */
export type PtlabBridge = LabClient;

const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

export function electronClient(bridge: PtlabBridge): LabClient {
  return clientOf(
    async (method: keyof LabApi, args: unknown[]) => {
      const fn = bridge[method] as (...a: unknown[]) => Promise<unknown>;
      try {
        return await fn(...args);
      } catch (e) {
        throw new Error(errorLine(e).replace(REMOTE_PREFIX, ''));
      }
    },
    (listener) => bridge.onEvent(listener),
  );
}
