/**
 * The method names of the lab API, for clients that forward every method the
 * same way (web: one POST per call; Electron: one preload function per call).
 * The renderer may import only types from the contract, so the list is
 * repeated here and checked against `LabApi` at compile time.
 */
import type { LabApi, LabClient, LabEvent } from '../api.ts';

export const METHOD_NAMES = [
  'appInfo',
  'presets',
  'strategies',
  'schemas',
  'validateScenario',
  'validateStrategy',
  'layoutMap',
  'startRun',
  'startExplore',
  'cancelJob',
  'jobs',
  'replay',
  'listRuns',
  'getRun',
  'deleteRuns',
  'undoDelete',
  'importResults',
  'exportRuns',
  'addTags',
  'removeTag',
  'setNote',
  'getBaseline',
  'setBaseline',
  'openTrace',
  'traceSteps',
  'traceState',
  'closeTrace',
  'safety',
  'startSafetyCheck',
  'listSeries',
  'getSeries',
  'saveFile',
  'listExperiments',
  'saveExperiment',
  'deleteExperiment',
  'saveStrategy',
  'deleteStrategy',
] as const satisfies readonly (keyof LabApi)[];

type Listed = (typeof METHOD_NAMES)[number];
/** Fails to compile when the contract gains a method this list lacks. */
type Missing = Exclude<keyof LabApi, Listed>;
const _everyMethodListed: Missing extends never ? true : Missing = true;
void _everyMethodListed;

export type Call = (method: keyof LabApi, args: unknown[]) => Promise<unknown>;

/** A LabClient whose every method goes through `call`. */
export function clientOf(call: Call, onEvent: (listener: (e: LabEvent) => void) => () => void): LabClient {
  const api: Record<string, unknown> = { onEvent };
  for (const name of METHOD_NAMES) api[name] = (...args: unknown[]) => call(name, args);
  // allowed because the loop above defines exactly the methods of LabApi (checked by METHOD_NAMES)
  return api as unknown as LabClient;
}

/** One line of an error, whatever was thrown. */
export function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0];
}
