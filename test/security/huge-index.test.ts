/**
 * `--set 'actors[N]…'` with a huge N (issue 11): refused at once, naming the
 * array's length, instead of allocating for a minute or being silently
 * ignored (indices past 2^32 - 2 are not array indices in JavaScript).
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { applyOverride, ScenarioError } from '../../core/scenario.ts';
import { runCli } from '../helpers/cli.ts';

const preset = (): unknown => structuredClone(findPreset('thread-race')!.doc);
const actorCount = (findPreset('thread-race')!.doc as { actors: unknown[] }).actors.length;

describe('array indices in --set are bounded by the array length + 1', () => {
  it.each(['actors[4294967294].count=1', 'actors[1000000000].count=1', 'actors[4294967296].count=1', 'actors[99999999999999999999].count=1', 'actors.4294967296.count=1'])(
    '%s throws a ScenarioError that names the length',
    (assignment) => {
      expect(() => applyOverride(preset(), assignment)).toThrow(ScenarioError);
      expect(() => applyOverride(preset(), assignment)).toThrow(new RegExp(`array of ${actorCount}\\b`));
    },
  );

  it('an array cannot be given a non-index key (actors.length=…)', () => {
    expect(() => applyOverride(preset(), 'actors.length=1000000000')).toThrow(ScenarioError);
  });

  it('an index one past the end appends; existing indices are set', () => {
    const doc = applyOverride(preset(), `actors[${actorCount}].kind=ptdump`) as { actors: { kind: string }[] };
    expect(doc.actors).toHaveLength(actorCount + 1);
    expect(doc.actors[actorCount].kind).toBe('ptdump');
    const set = applyOverride(preset(), 'actors[0].cycles=3') as { actors: { cycles: number }[] };
    expect(set.actors[0].cycles).toBe(3);
  });

  it('the CLI exits 2 with one line (and does not run for a minute first)', () => {
    const r = runCli(['run', '--scenario', 'thread-race', '--no-save', '--set', 'actors[4294967294].count=1'], { timeoutMs: 30_000 });
    expect(r.signal, 'the CLI was killed by the 30 s test timeout').toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab: .*actors\[4294967294\].*past the end/);
  });
});
