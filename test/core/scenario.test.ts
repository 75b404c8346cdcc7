import { describe, expect, it } from 'vitest';
import { findPreset, PRESETS } from '../../core/presets.ts';
import { Prng } from '../../core/prng.ts';
import { applyOverride, parseScenario, parseSize, ScenarioError } from '../../core/scenario.ts';

const base = findPreset('thread-race')!.doc;

describe('scenario validation', () => {
  it('accepts every preset', () => {
    for (const p of PRESETS) expect(parseScenario(p.doc).name).toBe(p.name);
  });

  it('names the field and what was expected', () => {
    const cases: [string, RegExp][] = [
      ['arch.pageSize=123', /scenario\.arch\.pageSize: expected one of 4096, 16384, 65536, got 123/],
      ['arch.layout="v4"', /scenario\.arch\.layout: expected one of "v5.2", "v5.4", "v5.11", "v6.9", "v6"/],
      ['memory.hotplug[0].size="lots"', /scenario\.memory\.hotplug\[0\]\.size: expected a size or address/],
      ['actors[1].count=0', /scenario\.actors\[1\]\.count: expected an integer from 1 to 256/],
      ['actors[0].kind="reboot"', /scenario\.actors\[0\]\.kind: expected one of/],
      ['run.burst=2', /scenario\.run\.burst: expected a number from 0 to 0\.999/],
      ['cost.tlbiPage=-1', /scenario\.cost\.tlbiPage: expected a number/],
      ['cost.nope=1', /scenario\.cost\.nope: unknown cost/],
      ['colour="red"', /scenario\.colour: unknown field/],
      ['memory.hotplug[0].start="0x40001000"', /memory\.hotplug\[0\]: start and size must be multiples of the section size/],
    ];
    for (const [set, re] of cases) expect(() => parseScenario(applyOverride(base, set)), set).toThrow(re);
  });

  it('requires the arch fields', () => {
    const d = structuredClone(base) as Record<string, Record<string, unknown>>;
    delete d.arch.vaBits;
    expect(() => parseScenario(d)).toThrow(/scenario\.arch\.vaBits: required/);
  });

  it('parses sizes and addresses', () => {
    expect(parseSize('128M', 'x')).toBe(2 ** 27);
    expect(parseSize('2G', 'x')).toBe(2 ** 31);
    expect(parseSize('512GiB', 'x')).toBe(2 ** 39);
    expect(parseSize('0x8000000000', 'x')).toBe(2 ** 39);
    expect(() => parseSize('12Q', 'memory.boot[0].size')).toThrow(/memory\.boot\[0\]\.size/);
  });

  it('--set reaches nested fields and leaves the preset untouched', () => {
    const d = applyOverride(base, 'arch.vaBits=39');
    expect(parseScenario(d).arch.vaBits).toBe(39);
    expect((base as { arch: { vaBits: number } }).arch.vaBits).toBe(48);
    expect(() => applyOverride(base, 'novalue')).toThrow(/expected <path>=<value>/);
  });

  it('fuzz: random corruptions of a preset either parse or fail with a ScenarioError (seed 20261125)', () => {
    const prng = new Prng(20261125);
    const junk: unknown[] = [null, -1, 0, 1.5, 'x', '', [], {}, true, 1e300, '0x', '99999999999T'];
    const paths = ['arch.pageSize', 'arch.vaBits', 'arch.layout', 'memory.boot', 'memory.boot[0].start', 'memory.hotplug[0]', 'memory.sectionSizeBits', 'actors', 'actors[0]', 'actors[1].window', 'run', 'run.maxSteps', 'cost', 'tlb.entries', 'vmallocThreads', 'memory.kaslrLinearOffset'];
    for (let i = 0; i < 2000; i++) {
      let d: unknown = base;
      const n = 1 + prng.below(3);
      try {
        for (let j = 0; j < n; j++) d = applyOverride(d, `${paths[prng.below(paths.length)]}=${JSON.stringify(junk[prng.below(junk.length)])}`);
        parseScenario(d);
      } catch (e) {
        expect(e, JSON.stringify(d)).toBeInstanceOf(ScenarioError);
      }
    }
  });
});
