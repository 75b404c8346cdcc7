/**
 * The desktop app's side of Export, as plain functions tests run under Node:
 * the save dialog's options for an exported file, the bytes written, and how
 * a report is printed to PDF with Electron's own Chromium (a hidden window
 * with no script, no preload and its own session, printed with
 * webContents.printToPDF). main.ts only wires these to dialog and
 * BrowserWindow. Electron is imported for types only.
 */
import { basename, join } from 'node:path';
import type { BrowserWindowConstructorOptions, PrintToPDFOptions, SaveDialogOptions } from 'electron';
import type { ExportedFile } from '../lab/api.ts';

const KINDS: Record<string, { name: string; extension: string }> = {
  'text/html': { name: 'HTML report', extension: 'html' },
  'application/pdf': { name: 'PDF', extension: 'pdf' },
  'text/csv': { name: 'CSV', extension: 'csv' },
  'application/json': { name: 'JSON', extension: 'json' },
};

/**
 * The file name the dialog proposes: the export's own, reduced to a plain
 * name (an exported file never chooses a folder; the user does).
 */
export function proposedName(file: ExportedFile): string {
  const name = basename(file.filename.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '-');
  return name === '' || name === '.' || name === '..' ? 'ptlab-export' : name;
}

/** The save dialog for `file`, starting in `dir` (the user's Documents or Downloads). */
export function saveDialogOptions(file: ExportedFile, dir: string): SaveDialogOptions {
  const kind = KINDS[file.mime];
  return {
    title: `Save ${kind?.name ?? 'file'}`,
    defaultPath: join(dir, proposedName(file)),
    filters: kind ? [{ name: kind.name, extensions: [kind.extension] }] : [],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  };
}

/** What goes into the file: text as UTF-8, PDF (base64 over IPC) as its bytes. */
export function fileBytes(file: ExportedFile): Buffer {
  return file.encoding === 'base64' ? Buffer.from(file.data, 'base64') : Buffer.from(file.data, 'utf8');
}

/**
 * The hidden window a report is printed in. The report is self-contained
 * and has no script, so JavaScript is off; its own in-memory session keeps
 * it away from the app's origin and storage.
 */
export function printWindowOptions(): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 1200,
    height: 1600,
    webPreferences: {
      javascript: false,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      images: true,
      spellcheck: false,
      partition: 'ptlab-print',
      devTools: false,
    },
  };
}

/** A4 with the report's own colours (verdict cells, charts), as Chromium's --print-to-pdf prints in web mode. */
export const PRINT_OPTIONS: PrintToPDFOptions = { printBackground: true, pageSize: 'A4', displayHeaderFooter: false, preferCSSPageSize: true };
