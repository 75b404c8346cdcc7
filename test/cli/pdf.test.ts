/**
 * PDF export outside the desktop app: `ptlab export --format pdf` and
 * `compare --report f.pdf` print the HTML report with a headless Chromium
 * (found on PATH or in the usual places, or PTLAB_CHROMIUM); without one they
 * exit 2 with one line saying what PDF needs. The PDF's text (pdftotext,
 * where installed) carries the runs' verdicts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, printWithChromium } from '../../electron/lab/pdf.ts';
import { rmTmp, runCli, tmpDir } from '../helpers/cli.ts';

const CHROMIUM = process.env.PTLAB_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
const SKIP = `chromium not installed at ${CHROMIUM}: the PDF itself is not checked here`;
if (!hasChromium) console.warn(SKIP);
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined;

const dir = tmpDir('ptlab-pdf-');
const db = path.join(dir, 'lab.db');
let safeId = '';
let violatingId = '';
afterAll(() => rmTmp(dir));

beforeAll(() => {
  // thread-race, seed 3: v5-reviewed writes into the freed table; upstream stays safe (README's table).
  console.log('[pdf] thread-race seed 3: v5-reviewed and upstream, one run each');
  const r = runCli(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed,upstream', '--seed', '3', '--json', '--no-traces', '--db', db]);
  expect(r.status, r.stderr).toBe(0);
  const runs = (JSON.parse(r.stdout) as { runs: { id: string; strategy: string; violations: unknown[] }[] }).runs;
  violatingId = runs.find((x) => x.strategy === 'v5-reviewed')!.id;
  safeId = runs.find((x) => x.strategy === 'upstream')!.id;
  expect(runs.find((x) => x.strategy === 'v5-reviewed')!.violations.length).toBeGreaterThan(0);
});

function pdfText(file: string): string {
  const r = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('without Chromium', () => {
  it('export --format pdf exits 2 with one line saying what PDF needs, and writes nothing', () => {
    const out = path.join(dir, 'none.pdf');
    const r = runCli(['export', violatingId, '--format', 'pdf', '--out', out, '--db', db], { env: { PTLAB_CHROMIUM: path.join(dir, 'no-such-chromium') } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.errLines).toHaveLength(1);
    expect(r.errLines[0]).toMatch(/^ptlab: PDF export needs Chromium or Google Chrome .*or the desktop app$/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('findChromium honours PTLAB_CHROMIUM and otherwise searches PATH', () => {
    expect(findChromium({ PTLAB_CHROMIUM: path.join(dir, 'missing') })).toBeNull();
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'google-chrome'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(findChromium({ PATH: bin }, 'linux')).toBe(path.join(bin, 'google-chrome'));
  });

  it('a Chromium that fails says so in one line', async () => {
    const broken = path.join(dir, 'broken-chromium');
    fs.writeFileSync(broken, '#!/bin/sh\necho "[1:1:ERROR:zygote_host_impl_linux.cc] no usable sandbox" >&2\nexit 1\n', { mode: 0o755 });
    await expect(printWithChromium('<p>x</p>', { binary: broken })).rejects.toThrow(/could not print the report \(exit 1\): .*no usable sandbox/);
  });
});

describe('with Chromium', () => {
  it('export --format pdf writes a PDF of the report with both verdicts', (ctx) => {
    if (!hasChromium) ctx.skip(SKIP);
    const out = path.join(dir, 'export.pdf');
    const r = runCli(['export', violatingId, safeId, '--format', 'pdf', '--out', out, '--db', db], { env: { PTLAB_CHROMIUM: CHROMIUM } });
    expect(r.status, r.stderr).toBe(0);
    const bytes = fs.readFileSync(out);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (hasPdftotext) {
      const text = pdfText(out);
      expect(text).toMatch(/v5-reviewed/);
      expect(text).toMatch(/uaf-table-write/);
      expect(text).toMatch(/upstream/);
    }
  });

  it('compare --report f.pdf writes the comparison as a PDF', (ctx) => {
    if (!hasChromium) ctx.skip(SKIP);
    const out = path.join(dir, 'compare.pdf');
    const r = runCli(['compare', safeId, violatingId, '--report', out, '--db', db], { env: { PTLAB_CHROMIUM: CHROMIUM } });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(out).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    if (hasPdftotext) expect(pdfText(out)).toMatch(/uaf-table-write/);
  });
});
