/**
 * One step of the simulator's log in structured form (what Sim.loggedStep()
 * fills in): the checkers' narratives, the trace viewer and the explorer read
 * steps through it. Its own module so that the checkers need no value from
 * the simulator (which imports them).
 */
import { OP_NONE } from './ops.ts';

/** A step of the log, structured: see Sim.loggedStep(). */
export interface LoggedStep {
  actor: number;
  op: number;
  /** Frame the step touched (table read/written, page freed or allocated), or -1. */
  frame: number;
  /** The generation the actor held for that frame (allocations: the new generation). */
  gen: number;
  /** Table depth of the frame when it is a table page, else -1. */
  depth: number;
  /** VA offset, or -1. */
  addr: number;
  /** Entry kind read (READ, XCHG) or written (WRITE), else -1; a clear reads as ENTRY_NONE with `cleared`. */
  valKind: number;
  /** Pfn of the entry read or written; for a clear, the pfn the entry pointed to before. */
  valPfn: number;
  /** A write replaced a live entry with none (valPfn: what it pointed to). */
  cleared: boolean;
  /** Locks held after the step: exclusive bits, read bits shifted by 8. */
  locks: number;
  fn: string;
  /** The action as described, without the result. */
  act: string;
}

export function newLoggedStep(): LoggedStep {
  return { actor: -1, op: OP_NONE, frame: -1, gen: 0, depth: -1, addr: -1, valKind: -1, valPfn: 0, cleared: false, locks: 0, fn: '', act: '' };
}
