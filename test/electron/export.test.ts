/**
 * The desktop app's Export decisions (electron/main/export.ts), under Node:
 * the save dialog proposes the export's own name in the user's folder with
 * its format's filter, a name can never pick the folder, a PDF (base64 over
 * IPC) is written as its bytes, and reports are printed with script off in
 * a session of their own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExportedFile } from '../../electron/lab/api.ts';
import { fileBytes, PRINT_OPTIONS, printWindowOptions, proposedName, saveDialogOptions } from '../../electron/main/export.ts';

const pdf: ExportedFile = { filename: 'ptlab-thread-race-2026-11-28.pdf', mime: 'application/pdf', encoding: 'base64', data: Buffer.from('%PDF-1.7 bytes').toString('base64') };
const csv: ExportedFile = { filename: 'ptlab-runs.csv', mime: 'text/csv', encoding: 'utf8', data: 'id,strategy\nµ,v5-reviewed\n' };

describe('save dialog', () => {
  it("proposes the export's name in the given folder, with its format's filter", () => {
    expect(saveDialogOptions(pdf, '/home/k/Documents')).toMatchObject({
      title: 'Save PDF',
      defaultPath: join('/home/k/Documents', 'ptlab-thread-race-2026-11-28.pdf'),
      filters: [{ name: 'PDF', extensions: ['pdf'] }],
    });
    expect(saveDialogOptions(csv, '/d').filters).toEqual([{ name: 'CSV', extensions: ['csv'] }]);
  });

  it('a file name cannot choose the folder or carry control characters', () => {
    expect(proposedName({ ...csv, filename: '../../.bashrc' })).toBe('.bashrc');
    expect(proposedName({ ...csv, filename: 'C:\\Windows\\evil.csv' })).toBe('evil.csv');
    expect(proposedName({ ...csv, filename: 'a\nb?.csv' })).toBe('a-b-.csv');
    expect(proposedName({ ...csv, filename: '..' })).toBe('ptlab-export');
    expect(saveDialogOptions({ ...csv, filename: '../x.csv' }, '/d').defaultPath).toBe(join('/d', 'x.csv'));
  });
});

describe('bytes written', () => {
  it('PDF as its bytes, text as UTF-8', () => {
    expect(fileBytes(pdf).toString('latin1')).toBe('%PDF-1.7 bytes');
    expect(fileBytes(csv).toString('utf8')).toBe(csv.data);
  });
});

describe('printing a report', () => {
  it('in a hidden window with script off, sandboxed, in its own session, background colours kept', () => {
    const o = printWindowOptions();
    expect(o.show).toBe(false);
    expect(o.webPreferences).toMatchObject({ javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, partition: 'ptlab-print' });
    expect(o.webPreferences?.preload).toBeUndefined();
    expect(PRINT_OPTIONS).toMatchObject({ printBackground: true, pageSize: 'A4' });
  });
});
