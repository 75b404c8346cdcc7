/**
 * `ptlab run` exit codes (SPEC §6): 2 for bad input with exactly one clear
 * `ptlab:` line on stderr, 3 with --fail-on-violation when a violation was
 * found, 0 otherwise.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir();
const db = path.join(dir, 'lab.db');
afterAll(() => rmTmp(dir));

function expectBadInput(args: string[], mentions: (string | RegExp)[]): void {
  const r = runCli(args, { db });
  expect(r.status, `ptlab ${args.join(' ')}\nstderr: ${r.stderr}`).toBe(2);
  expect(r.errLines, `stderr should be exactly one line: ${JSON.stringify(r.stderr)}`).toHaveLength(1);
  const line = r.errLines[0];
  expect(line.startsWith('ptlab:'), line).toBe(true);
  for (const m of mentions) {
    if (typeof m === 'string') expect(line).toContain(m);
    else expect(line).toMatch(m);
  }
}

describe('ptlab run: bad input exits 2 with one line naming the problem', () => {
  it('unknown scenario', () => {
    expectBadInput(['run', '--scenario', 'no-such-scenario', '--no-save'], ['no-such-scenario']);
  });

  it('bad --set value names the field path, and creates no run in the database', () => {
    expectBadInput(['run', '--scenario', 'thread-race', '--set', 'arch.pageSize=123', '--db', db], ['arch.pageSize', '123']);
    const list = runCli(['list', '--json', '--db', db]);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: unknown[] }).runs).toHaveLength(0);
  });

  it('unknown strategy', () => {
    expectBadInput(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed,bogus-strategy', '--no-save'], ['bogus-strategy']);
  });

  it.each([['abc'], ['0']])('bad --seeds %s', (v) => {
    expectBadInput(['run', '--scenario', 'thread-race', '--seeds', v, '--no-save'], ['--seeds']);
  });
});

describe('ptlab run --fail-on-violation', () => {
  const seeds = 20;

  it(`thread-race, v5-reviewed, seeds 1..${seeds}: a violation is found → exit 3`, () => {
    console.log(`[exit-codes] thread-race v5-reviewed seeds 1..${seeds}`);
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seeds', String(seeds), '--fail-on-violation', '--no-save']);
    expect(r.status, r.stderr).toBe(3);
  });

  it(`thread-race, upstream, seeds 1..${seeds}: safe → exit 0`, () => {
    console.log(`[exit-codes] thread-race upstream seeds 1..${seeds}`);
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--seeds', String(seeds), '--fail-on-violation', '--no-save']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/upstream/);
  });
});
