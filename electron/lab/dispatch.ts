/**
 * One call of the lab API as a transport makes it: the method name and the
 * positional JSON arguments are checked (args.ts) before anything runs, then
 * the method is called, and any failure is classified for the wire: bad
 * input (HTTP 400, a one-line message the user can act on) or an internal
 * error (HTTP 500, "internal error: …"). Web mode and Electron IPC share it.
 */
import { ScenarioError } from '../../core/scenario.ts';
import { SchemaError } from '../../core/schema/check.ts';
import { StrategyError } from '../../core/strategies.ts';
import { DbError } from '../../db/index.ts';
import type { LabApi, LabMethod } from './api.ts';
import { ArgsError, checkArgs, isLabMethod } from './args.ts';
import { InputError } from './resolve.ts';

export class UnknownMethodError extends Error {
  override name = 'UnknownMethodError';
  constructor(readonly method: string) {
    super(`unknown method ${method.length > 60 ? `${method.slice(0, 60)}…` : method}`);
  }
}

export type CallFailure = { kind: 'unknown-method' | 'bad-input' | 'internal'; message: string };

/** DbError codes that describe the request (a missing or clashing id, bad input), not a fault of the server. */
const INPUT_DB_CODES = new Set(['not-found', 'conflict', 'invalid-input']);

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** What a failure means to the caller. */
export function classifyFailure(e: unknown): CallFailure {
  if (e instanceof UnknownMethodError) return { kind: 'unknown-method', message: e.message };
  if (e instanceof ArgsError || e instanceof InputError || e instanceof SchemaError || e instanceof ScenarioError || e instanceof StrategyError) {
    return { kind: 'bad-input', message: oneLine(e.message) };
  }
  if (e instanceof DbError && INPUT_DB_CODES.has(e.code)) return { kind: 'bad-input', message: oneLine(e.message) };
  return { kind: 'internal', message: `internal error: ${oneLine(e instanceof Error ? e.message : String(e))}` };
}

/** Checks and calls `method` with `args`; throws UnknownMethodError, ArgsError or what the method throws. */
export async function callLab(lab: LabApi, method: string, args: unknown): Promise<unknown> {
  if (!isLabMethod(method)) throw new UnknownMethodError(method);
  const checked = checkArgs(method, args);
  const fn = lab[method as LabMethod] as (...a: unknown[]) => Promise<unknown>;
  const result = await fn.apply(lab, checked);
  return result === undefined ? null : result;
}
