/**
 * Strings that came from files or the database reach the terminal and CSV
 * defanged (issue 11): escape sequences and other control characters are
 * stripped before printing (C1 and bidi controls shown as \u escapes, which
 * keeps --json exact), and CSV cells that would start a spreadsheet formula
 * (= + - @, tab, CR) are prefixed with ' (OWASP CSV injection).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import type { RunResult } from '../../core/results.ts';
import { sanitizeForTerminal, table } from '../../electron/cli/format.ts';
import { renderCsv, renderViolationsCsv } from '../../electron/report/index.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir('ptlab-terminal-');
const db = path.join(dir, 'lab.db');
afterAll(() => rmTmp(dir));

const EVIL_NAME = 'evil\u001b[2J\u001b]0;pwned\u0007\u009b31mred\u202etxt.exe';
// Anything a terminal would act on: ESC, BEL, CSI (8-bit), RLO, CR, other C0/C1.
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let runId = '';
beforeAll(() => {
  const doc = structuredClone(findPreset('thread-race')!.doc) as Record<string, unknown>;
  doc.name = EVIL_NAME;
  const file = path.join(dir, 'evil.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const r = runCli(['run', '--scenario', file, '--strategy', 'upstream', '--json', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  runId = (JSON.parse(r.stdout) as { runs: { id: string }[] }).runs[0].id;
});

describe('sanitizeForTerminal', () => {
  it('strips CSI and OSC sequences whole, and BEL', () => {
    expect(sanitizeForTerminal('a\u001b[2Jb\u001b]0;pwned\u0007c\u001b]8;;http://x\u001b\\d')).toBe('abcd');
  });

  it('keeps newlines and tabs, drops CR and other C0 controls', () => {
    expect(sanitizeForTerminal('x\ty\nz\rw\u0000\u0008v')).toBe('x\ty\nzwv');
  });

  it('shows C1 and bidi controls as \\u escapes (exact inside JSON strings)', () => {
    expect(sanitizeForTerminal('\u009b31m\u202e')).toBe('\\u009b31m\\u202e');
    const json = JSON.stringify({ s: 'a\u009bb\u202ec' });
    expect(JSON.parse(sanitizeForTerminal(json))).toEqual({ s: 'a\u009bb\u202ec' });
  });

  it('table cells are sanitized before their width is measured', () => {
    const t = table(['name', 'n'], [[EVIL_NAME, '1']]);
    expect(t).not.toMatch(TERMINAL_CONTROLS);
    const lines = t.split('\n');
    expect(lines[1].indexOf('  -')).toBe(lines[2].indexOf('  1'));
  });
});

describe('the CLI prints no control characters from saved data', () => {
  it('ptlab list', () => {
    const r = runCli(['list', '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('evil');
    expect(r.stdout).not.toMatch(TERMINAL_CONTROLS);
  });

  it('ptlab show', () => {
    const r = runCli(['show', runId, '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('evil');
    expect(r.stdout).not.toMatch(TERMINAL_CONTROLS);
  });

  it('ptlab list --json: no raw control characters, and the name reads back exactly', () => {
    const r = runCli(['list', '--json', '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(TERMINAL_CONTROLS);
    expect((JSON.parse(r.stdout) as { runs: { scenario: string }[] }).runs[0].scenario).toBe(EVIL_NAME);
  });

  it('an error that quotes input prints no control characters', () => {
    const r = runCli(['show', 'zz\u001b[2Jzz', '--db', db]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(TERMINAL_CONTROLS);
  });
});

describe('CSV cells cannot start a formula', () => {
  const run: RunResult = {
    id: '=cmd|" /C calc"!A0',
    scenario: '+SUM(1,1)',
    strategy: '@foo',
    mode: 'random',
    seed: -1,
    status: 'completed',
    violations: [
      {
        kind: 'stale-tlb',
        step: 1,
        cpu: 0,
        actor: '-2+3',
        function: '\tfn',
        address: '',
        message: '\r=1+1',
        trace: [],
      },
    ],
    violationCounts: { 'stale-tlb': 1 },
    metrics: { '=HYPERLINK("http://evil.example","click")': 1, 'vmalloc.ops': -5 },
  };

  it('metrics CSV: text cells are neutralised, numbers stay numbers', () => {
    const rows = parseCsv(renderCsv([run]), { columns: true }) as Record<string, string>[];
    const link = rows.find((r) => r.key.includes('HYPERLINK'))!;
    expect(link.key).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(link.run_id).toBe(`'=cmd|" /C calc"!A0`);
    expect(link.scenario).toBe("'+SUM(1,1)");
    expect(link.strategy).toBe("'@foo");
    expect(link.seed).toBe('-1');
    expect(rows.find((r) => r.key === 'vmalloc.ops')!.value).toBe('-5');
  });

  it('violations CSV: the same for actor, function and message', () => {
    const [row] = parseCsv(renderViolationsCsv([run]), { columns: true }) as Record<string, string>[];
    expect(row.actor).toBe("'-2+3");
    expect(row.function).toBe("'\tfn");
    expect(row.message).toBe("'\r=1+1");
  });

  it('ptlab export --format csv of a saved run whose metric key is a formula', () => {
    const doc = {
      schema: 'ptlab.results/1',
      version: '0.1.0',
      runs: [{ ...run, id: '0a4f9d3c-58a8-4c57-9d65-4b7d3f0e1c2a', scenario: 'thread-race', strategy: 'upstream', violations: [], violationCounts: {}, seed: 1 }],
    };
    const file = path.join(dir, 'formula.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const imp = runCli(['import', file, '--db', db]);
    expect(imp.status, imp.stderr).toBe(0);
    const r = runCli(['export', '0a4f9d3c', '--format', 'csv', '--db', db]);
    expect(r.status, r.stderr).toBe(0);
    const rows = parseCsv(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.key)).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(r.stdout).not.toMatch(/(^|,)=HYPERLINK/m);
  });
});
