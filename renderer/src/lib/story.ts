/**
 * A violation's story: the narrative and the key steps the engine attaches
 * to it (issue 8, "counterexamples that explain themselves"). Older runs and
 * engines carry neither, so every reader goes through `storyOf`, which checks
 * the shape instead of trusting it and falls back to nothing (the viewer then
 * shows the message and the trace alone).
 */
import type { KeyStep as EngineKeyStep, KeyStepRole, Violation } from '../../../core/results.ts';

/** What a key step did in the race (core/results.ts KeyStepRole), in the order a race reads. */
export type KeyRole = KeyStepRole;

/** A key step as the engine records it (core/results.ts). */
export type KeyStep = EngineKeyStep;

export interface Story {
  narrative: string | null;
  keySteps: KeyStep[];
}

/** The order of roles along a race's chain (unknown roles go last, by step). */
export const ROLE_ORDER: readonly string[] = ['took-pointer', 'holds-lock', 'cleared', 'invalidated', 'freed', 'reused', 'waits', 'stale-use', 'completes'];

/** Words for a role, for legends and screen readers. */
export function roleWords(role: string): string {
  switch (role) {
    case 'took-pointer':
      return 'took the pointer';
    case 'cleared':
      return 'cleared the entry';
    case 'invalidated':
      return 'invalidated the TLB';
    case 'freed':
      return 'freed the page';
    case 'reused':
      return 'reused the page';
    case 'stale-use':
      return 'used the stale pointer';
    case 'holds-lock':
      return 'holds the lock';
    case 'waits':
      return 'waits';
    case 'completes':
      return 'completes';
    default:
      return role.replace(/-/g, ' ');
  }
}

function isKeyStep(v: unknown): v is KeyStep {
  if (typeof v !== 'object' || v === null) return false;
  const k = v as Record<string, unknown>;
  return Number.isInteger(k.step) && typeof k.actor === 'string' && typeof k.role === 'string' && typeof k.label === 'string';
}

/** The narrative and key steps of a violation, whatever the engine that saved it sent (sorted by step). */
export function storyOf(v: Violation | null | undefined): Story {
  if (!v) return { narrative: null, keySteps: [] };
  const extra = v as Violation & { narrative?: unknown; keySteps?: unknown };
  const narrative = typeof extra.narrative === 'string' && extra.narrative.trim() ? extra.narrative.trim() : null;
  // A role this renderer does not know still shows (as its words); the cast only widens the display.
  const keySteps = Array.isArray(extra.keySteps) ? extra.keySteps.filter(isKeyStep).map((k) => ({ ...k })) : [];
  keySteps.sort((a, b) => a.step - b.step);
  return { narrative, keySteps };
}
