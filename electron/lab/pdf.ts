/**
 * PDF export outside the desktop app: the HTML report printed by a headless
 * Chromium (`--print-to-pdf`), for web mode and the CLI. The desktop app
 * prints the same page with Electron's own webContents.printToPDF instead
 * (electron/main/pdf.ts) and passes that printer to the Lab.
 *
 * Chromium is looked for where people have it: $PTLAB_CHROMIUM, then the
 * usual command names on PATH, then the usual install paths per platform.
 * Without one, PDF export fails with one line that says what it needs.
 * The report is written to a private temporary folder and loaded from a
 * file URL; it is self-contained (no script, no network), so the page is
 * complete when Chromium has loaded it.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from './resolve.ts';

/** Turns a self-contained HTML page into PDF bytes. */
export type PdfPrinter = (html: string) => Promise<Buffer>;

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

function usualPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'darwin') {
    return ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium'];
  }
  if (platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => typeof r === 'string');
    return roots.flatMap((r) => [join(r, 'Google', 'Chrome', 'Application', 'chrome.exe'), join(r, 'Chromium', 'Application', 'chrome.exe')]);
  }
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/opt/google/chrome/chrome'];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium (or Chrome) executable to print with, or null. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (env.PTLAB_CHROMIUM) return executable(env.PTLAB_CHROMIUM) ? env.PTLAB_CHROMIUM : null;
  const exe = platform === 'win32' ? '.exe' : '';
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const p = join(dir, name + exe);
      if (executable(p)) return p;
    }
  }
  return usualPaths(platform, env).find(executable) ?? null;
}

export const NO_CHROMIUM = 'PDF export needs Chromium or Google Chrome (none found on PATH or in the usual places; set PTLAB_CHROMIUM to its path), or the desktop app';

/** How long one print may take before it is given up. */
const PRINT_TIMEOUT_MS = 120_000;

/** Prints `html` with the headless Chromium at `binary` (default: findChromium()). */
export async function printWithChromium(html: string, opts: { binary?: string | null; env?: NodeJS.ProcessEnv } = {}): Promise<Buffer> {
  const binary = opts.binary === undefined ? findChromium(opts.env) : opts.binary;
  if (binary === null) throw new InputError(NO_CHROMIUM);
  const dir = mkdtempSync(join(tmpdir(), 'ptlab-pdf-'));
  try {
    const page = join(dir, 'report.html');
    const out = join(dir, 'report.pdf');
    writeFileSync(page, html);
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--no-pdf-header-footer',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--print-to-pdf=${out}`,
      // Chromium refuses to run its sandbox as root (containers, CI); elsewhere it keeps it.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      pathToFileURL(page).href,
    ];
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let text = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => {
        if (text.length < 64 * 1024) text += s;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), PRINT_TIMEOUT_MS);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new InputError(`PDF export: cannot run ${binary}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`${binary} could not print the report (${signal ?? `exit ${code}`}): ${lastLine(text)}`));
      });
    });
    let pdf: Buffer;
    try {
      pdf = readFileSync(out);
    } catch {
      throw new Error(`${binary} wrote no PDF: ${lastLine(stderr)}`);
    }
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error(`${binary} wrote something that is not a PDF`);
    return pdf;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Chromium's stderr is mostly noise (D-Bus, GPU); the last line that names an error says the most. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => /error|fatal|cannot|failed/i.test(l) && !/dbus|bus\.cc|object_proxy/i.test(l)) ?? lines[lines.length - 1] ?? 'no output';
}
