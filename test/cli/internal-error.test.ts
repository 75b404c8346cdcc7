/**
 * Exit codes keep their meaning (issue 11): a bug inside ptlab exits 70
 * (EX_SOFTWARE) with one `ptlab:` line, never 1 ("replay no longer
 * reproduces"), 2 (bad input) or 3 (violation found); the stack is printed
 * only under --debug. Every error line starts with `ptlab:`, commander's own
 * included.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LabDb } from '../../db/index.ts';
import { main } from '../../electron/cli/main.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-internal-');
const db = path.join(dir, 'lab.db');
afterAll(() => rmTmp(dir));
afterEach(() => vi.restoreAllMocks());

async function runMain(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await main(argv);
  vi.mocked(process.stderr.write).mockRestore();
  return { code, stderr };
}

describe('an internal error', () => {
  it('exits 70 with one line and no stack', async () => {
    vi.spyOn(LabDb.prototype, 'listRuns').mockImplementation(() => {
      throw new TypeError('x.includes is not a function');
    });
    const r = await runMain(['list', '--db', db]);
    expect(r.code).toBe(70);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^ptlab: internal error: TypeError: x\.includes is not a function/);
    expect(lines[0]).toContain('--debug');
  });

  it('prints the stack with --debug', async () => {
    vi.spyOn(LabDb.prototype, 'listRuns').mockImplementation(() => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    const r = await runMain(['list', '--db', db, '--debug']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^ptlab: internal error: RangeError: Maximum call stack size exceeded/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a thrown non-Error is one line too', async () => {
    vi.spyOn(LabDb.prototype, 'listRuns').mockImplementation(() => {
      throw 'a string';
    });
    const r = await runMain(['list', '--db', db]);
    expect(r.code).toBe(70);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('bad input that only the layout can tell is still bad input', () => {
  it('a KASLR offset that is not a multiple of ARM64_MEMSTART_ALIGN exits 2, not 70', () => {
    const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--no-save', '--set', 'memory.kaslrLinearOffset=12345'], { db });
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab: .*kaslrLinearOffset/);
  });

  it('compare --baseline with a run that is not compared exits 2', () => {
    const run = runCli(['run', '--scenario', 'thread-race', '--strategy', 'upstream', '--seeds', '2', '--json', '--db', db]);
    expect(run.status, run.stderr).toBe(0);
    const [a, b] = (JSON.parse(run.stdout) as { runs: { id: string }[] }).runs.map((x) => x.id);
    const r = runCli(['compare', a, '--baseline', b, '--report', path.join(dir, 'cmp.html'), '--db', db]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab: .*baseline/);
  });
});

describe('one error prefix', () => {
  it.each([
    [['run', '--scenario', 'thread-race', '--bogus-flag']],
    [['no-such-command']],
    [['run']],
    [['list', '--verdict', 'maybe']],
  ])('ptlab %j: every stderr line starts with "ptlab:" and the exit is 2', (args) => {
    const r = runCli(args, { db });
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines.length).toBeGreaterThan(0);
    for (const line of r.errLines) expect(line).toMatch(/^ptlab: /);
  });
});
