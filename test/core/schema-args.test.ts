/**
 * The lab API's argument checks (IPC and HTTP run the same checkArgs) use the
 * documents' schemas: a scenario document in a request is an object of the
 * scenario's own fields (an unknown field is refused at the transport, with
 * its path), but fields may be missing or wrong there, because `sets`
 * overrides apply before parseScenario checks the document; a results
 * document to import, a strategy variant and an experiment are checked whole.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { ArgsError, checkArgs } from '../../electron/lab/args.ts';

function refusal(method: Parameters<typeof checkArgs>[0], args: unknown[]): string | null {
  try {
    checkArgs(method, args);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(ArgsError);
    return (e as Error).message;
  }
}

const doc = (): Record<string, unknown> => structuredClone(findPreset('thread-race')!.doc);

describe('scenario documents in requests', () => {
  it('a whole preset document passes', () => {
    expect(refusal('startRun', [{ scenario: { doc: doc() }, mode: 'random' }])).toBeNull();
    expect(refusal('layoutMap', [{ doc: doc() }])).toBeNull();
  });

  it('an unknown top-level field is refused at the transport, naming it', () => {
    expect(refusal('startRun', [{ scenario: { doc: { ...doc(), colour: 'red' } }, mode: 'random' }])).toMatch(
      /^startRun: args\[0\]\.scenario\.doc\.colour: unknown field \(known: \$schema, name, description, assumptions, arch, memory, /,
    );
    expect(refusal('layoutMap', [{ doc: [] }])).toBe('layoutMap: args[0].doc: expected an object, got an array');
  });

  it('a document the overrides complete passes the transport (parseScenario checks it after them)', () => {
    const partial = doc();
    delete partial.arch;
    expect(refusal('startRun', [{ scenario: { doc: partial }, sets: ['arch.pageSize=4096', 'arch.vaBits=48', 'arch.layout=v6.9'], mode: 'random' }])).toBeNull();
    expect(refusal('layoutMap', [{ doc: { ...doc(), vmallocThreads: 0 } }, ['vmallocThreads=2']])).toBeNull();
  });

  it('overrides are path=value strings', () => {
    expect(refusal('layoutMap', [{ preset: 'thread-race' }, ['arch.vaBits']])).toMatch(/^layoutMap: args\[1\]\[0\]: expected a path=value override/);
  });
});

describe('documents checked whole', () => {
  it('a strategy variant: knobs and reserved names', () => {
    expect(refusal('saveStrategy', [{ id: 'mine', knobs: { freeTables: 'sometimes' } }])).toMatch(/^saveStrategy: args\[0\]\.knobs\.freeTables: expected one of "all-empty"/);
    expect(refusal('saveStrategy', [{ id: 'constructor' }])).toMatch(/^saveStrategy: args\[0\]\.id: expected a name of letters/);
  });

  it('a results document: ids, dates and tags as import requires them', () => {
    const run = { id: 'run-1', scenario: 's', strategy: 'upstream', mode: 'random', seed: 1, status: 'completed', violations: [], violationCounts: {}, metrics: {} };
    expect(refusal('importResults', [{ schema: 'ptlab.results/1', runs: [run] }])).toMatch(/^importResults: args\[0\]\.runs\[0\]\.id: expected a UUID/);
    const dated = { ...run, id: null, startedAt: 'yesterday' };
    expect(refusal('importResults', [{ schema: 'ptlab.results/1', runs: [dated] }])).toMatch(/^importResults: args\[0\]\.runs\[0\]\.startedAt: expected an ISO 8601 date/);
  });

  it('tags carry no control characters', () => {
    expect(refusal('addTags', [['6f1d2c3b-1a2b-4c3d-8e4f-0123456789ab'], ['ok', 'bad\u001btag']])).toMatch(/^addTags: args\[1\]\[1\]: expected a tag without control characters/);
  });
});
