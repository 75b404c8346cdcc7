/**
 * The terminal form (`ptlab run`, `ptlab replay`, `ptlab show`): the
 * narrative and key steps print above the trace, and the trace marks each
 * key step; a violation stored without `keySteps` (the database keeps the
 * trace, whose lines carry their key marks) still lists them.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { parseScenario } from '../../core/scenario.ts';
import { findStrategy } from '../../core/strategies.ts';
import { formatNarrative, formatViolation } from '../../electron/cli/format.ts';

describe('formatViolation', () => {
  console.log('online-new-node opt2 random seed 1');
  const r = runScenario(parseScenario(findPreset('online-new-node')!.doc), findStrategy('opt2'), { mode: 'random', seed: 1 }).result;
  const v = r.violations[0];
  const text = formatViolation(r, v);

  it('prints the narrative and the key steps above the trace table', () => {
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('step '));
    const narrative = lines.slice(0, header).join(' ').replace(/\s+/g, ' ');
    expect(narrative).toContain('online took mem_hotplug_lock for write at step 2');
    expect(narrative).toContain('kthreadd took the request at step 7');
    for (const k of v.keySteps!) expect(lines.slice(0, header).some((l) => l.includes(`${k.step}  ${k.actor}  ${k.role}:`))).toBe(true);
    expect(lines[header]).toMatch(/^step\s+key\s+cpu/);
    // Each key step's row names its role.
    for (const k of v.keySteps!) expect(lines.slice(header).some((l) => l.startsWith(String(k.step)) && l.includes(`<- ${k.role}`) && l.includes(k.actor))).toBe(true);
  });

  it('lists the key steps from the trace marks when the violation has no keySteps (as stored)', () => {
    const stored = { trace: v.trace, narrative: undefined, keySteps: undefined };
    const out = formatNarrative(stored);
    for (const k of v.keySteps!) expect(out).toContain(`${k.role}: ${k.label}`);
  });
});
