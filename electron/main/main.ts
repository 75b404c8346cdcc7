/**
 * The desktop app's main process: wires Electron's events to the decisions
 * in policy.ts, ipc.ts, protocol.ts, menu.ts, window-state.ts and
 * instance.ts (all tested under Node) and owns the app's lifetime: one
 * instance, one window, one open database at a time, driven through the same
 * Lab as web mode. Nothing is decided here that a plain module could decide.
 * docs/SECURITY.md maps each item of Electron's security checklist to the
 * line that handles it.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, protocol, screen, session, shell, type WebContents } from 'electron';
import { LabDb, resolveDbPath } from '../../db/index.ts';
import type { AppCommand, ExportedFile, LabEvent } from '../lab/api.ts';
import { callLab, classifyFailure } from '../lab/dispatch.ts';
import { Lab } from '../lab/lab.ts';
import { fileBytes, PRINT_OPTIONS, printWindowOptions, saveDialogOptions } from './export.ts';
import { bringToFront } from './instance.ts';
import { COMMAND_CHANNEL, EVENT_CHANNEL, type IpcMainLike, registerIpc } from './ipc.ts';
import { menuTemplate } from './menu.ts';
import { appFiles } from './paths.ts';
import { APP_SCHEME, APP_URL, isAppUrl, navigationDecision, permissionDecision, webviewDecision, windowOpenDecision, windowOptions } from './policy.ts';
import { APP_SCHEME_PRIVILEGES, handleAppRequest } from './protocol.ts';
import { readWindowState, restoreWindowState, type WindowState, writeWindowState } from './window-state.ts';

const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

// Before 'ready': the app's scheme is a standard, secure origin (checklist 18).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
// Tests (the real-Electron smoke test) keep their settings and window state out of the user's.
if (process.env.PTLAB_USER_DATA) app.setPath('userData', process.env.PTLAB_USER_DATA);

// The bundle is dist/electron/main.mjs under the app root (the checkout, or app.asar when packaged).
const files = appFiles({ appPath: fileURLToPath(new URL('../../', import.meta.url)).replace(/[\\/]$/, ''), packaged: app.isPackaged });
const settingsFile = (): string => join(app.getPath('userData'), 'settings.json');
const windowStateFile = (): string => join(app.getPath('userData'), 'window-state.json');

let win: BrowserWindow | null = null;
let db: LabDb | null = null;
let lab = new Lab({ db: null, transport: 'electron', pdf: printToPdf, saveFile });
let unsubscribe: () => void = () => {};

function send(channel: string, value: LabEvent | AppCommand): void {
  if (win && !win.isDestroyed()) win.webContents.send(channel, value);
}

function readSettings(): { dbPath?: string } {
  try {
    const s = JSON.parse(readFileSync(settingsFile(), 'utf8')) as { dbPath?: unknown };
    return typeof s.dbPath === 'string' ? { dbPath: s.dbPath } : {};
  } catch {
    return {};
  }
}

function useDatabase(next: LabDb | null): void {
  unsubscribe();
  db = next;
  lab = new Lab({ db: next, transport: 'electron', pdf: printToPdf, saveFile });
  unsubscribe = lab.onEvent((e) => send(EVENT_CHANNEL, e));
}

function openDatabase(file: string): LabDb {
  // The Electron-ABI build of better-sqlite3 (npm run rebuild:electron); the Node build in node_modules would not load here.
  return LabDb.open(file, existsSync(files.nativeBinding) ? { nativeBinding: files.nativeBinding } : {});
}

async function switchDatabase(file: string): Promise<void> {
  if ((await lab.jobs()).some((j) => j.state === 'running')) {
    await dialog.showMessageBox({ type: 'info', message: 'Jobs are running', detail: 'Wait for the running jobs to finish, or cancel them, before opening another database.' });
    return;
  }
  let next: LabDb;
  try {
    next = openDatabase(file);
  } catch (e) {
    dialog.showErrorBox('Cannot open the database', (e as Error).message);
    return;
  }
  const old = db;
  await lab.close();
  useDatabase(next);
  old?.close();
  writeFileSync(settingsFile(), `${JSON.stringify({ dbPath: file })}\n`);
  send(COMMAND_CHANNEL, { command: 'database-changed', dbPath: file });
}

async function importResults(): Promise<void> {
  const pick = await dialog.showOpenDialog({ title: 'Import PT Lab results', filters: [{ name: 'PT Lab results (ptlab.results/1)', extensions: ['json'] }], properties: ['openFile'] });
  if (pick.canceled || pick.filePaths.length === 0) return;
  const file = pick.filePaths[0];
  try {
    if (statSync(file).size > MAX_IMPORT_BYTES) throw new Error(`${file} is over 64 MiB`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    const { ids } = (await callLab(lab, 'importResults', [doc])) as { ids: string[] };
    send(COMMAND_CHANNEL, { command: 'library-changed', importedIds: ids });
    await dialog.showMessageBox({ type: 'info', message: `Imported ${ids.length} run(s)`, detail: file });
  } catch (e) {
    // All or nothing: a bad file imports nothing, and says where it is wrong in one line.
    dialog.showErrorBox('Import failed', e instanceof SyntaxError ? `${file} is not valid JSON: ${e.message}` : classifyFailure(e).message);
  }
}

function openExternal(url: string): void {
  const d = windowOpenDecision(url);
  if (d.openExternal) void shell.openExternal(d.openExternal);
}

async function about(): Promise<void> {
  const v = process.versions;
  await dialog.showMessageBox({
    type: 'info',
    title: 'About PT Lab',
    message: `PT Lab ${app.getVersion()}`,
    detail: `A lab for arm64 kernel page-table teardown during memory hot-remove: is it safe, and what does it cost?\n\nDatabase: ${db?.file ?? 'none open'}\nElectron ${v.electron}, Chromium ${v.chrome}, Node ${v.node}`,
  });
}

/** Hardening of every web contents the app ever creates (checklist 11-14). */
function harden(contents: WebContents): void {
  const onNavigate = (event: { preventDefault(): void }, url: string): void => {
    const d = navigationDecision(url);
    event.preventDefault();
    if (d.openExternal) void shell.openExternal(d.openExternal);
  };
  contents.on('will-navigate', onNavigate);
  contents.on('will-redirect', onNavigate);
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) onNavigate(event, event.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const d = windowOpenDecision(url);
    if (d.openExternal) setImmediate(() => void shell.openExternal(d.openExternal!));
    return { action: d.action };
  });
  contents.on('will-attach-webview', (event) => {
    if (!webviewDecision().allow) event.preventDefault();
  });
}

function createWindow(): BrowserWindow {
  const state = restoreWindowState(readWindowState(windowStateFile()), screen.getAllDisplays().map((d) => d.workArea));
  const w = new BrowserWindow(
    windowOptions({ preload: files.preload, bounds: state, icon: existsSync(files.icon) ? files.icon : undefined, devTools: !app.isPackaged, dark: nativeTheme.shouldUseDarkColors }),
  );
  if (state.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  const save = (): void => {
    if (w.isDestroyed()) return;
    const b = w.getNormalBounds();
    const s: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: w.isMaximized() };
    try {
      writeWindowState(windowStateFile(), s);
    } catch {
      // Losing the window position is not worth an error dialog.
    }
  };
  let timer: NodeJS.Timeout | null = null;
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  w.on('resize', later);
  w.on('move', later);
  w.on('close', save);
  void w.loadURL(APP_URL);
  return w;
}

async function smokeCheck(w: BrowserWindow): Promise<void> {
  // PTLAB_SMOKE=1 (the real-Electron smoke test): report what the page sees of window.ptlab, then quit.
  const seen = (await w.webContents.executeJavaScript(
    '(async () => ({ url: location.href, methods: Object.keys(window.ptlab || {}).sort(), appInfo: await window.ptlab.appInfo(), node: typeof require }))()',
  )) as unknown;
  process.stdout.write(`PTLAB_SMOKE ${JSON.stringify(seen)}\n`);
  app.quit();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => bringToFront(win));
  app.on('web-contents-created', (_e, contents) => harden(contents));
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    // Let running jobs save the run in flight as cancelled before the database closes.
    quitting = true;
    event.preventDefault();
    void lab.close().finally(() => {
      db?.close();
      app.quit();
    });
  });

  void app.whenReady().then(async () => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(permissionDecision(permission, details.requestingUrl)));
    ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionDecision(permission, requestingOrigin));
    ses.setDevicePermissionHandler(() => false);
    ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
    protocol.handle(APP_SCHEME, (request) => handleAppRequest(request, files.rendererDir));

    useDatabase(null);
    const dbFile = process.env.PTLAB_DB ? resolveDbPath(undefined) : (readSettings().dbPath ?? resolveDbPath(undefined));
    try {
      useDatabase(openDatabase(dbFile));
    } catch (e) {
      dialog.showErrorBox('PT Lab could not open its database', `${(e as Error).message}\n\nUse File > Open Database… or New Database…; if better-sqlite3 failed to load, run \`npm run rebuild:electron\`.`);
    }
    registerIpc(ipcMain as unknown as IpcMainLike, () => lab);

    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({
          platform: process.platform,
          dev: !app.isPackaged,
          actions: {
            newExperiment: () => send(COMMAND_CHANNEL, { command: 'new-experiment' }),
            exportReport: () => send(COMMAND_CHANNEL, { command: 'export-report' }),
            importResults: () => void importResults(),
            openDatabase: () =>
              void dialog.showOpenDialog({ title: 'Open a PT Lab database', filters: [{ name: 'PT Lab database', extensions: ['db', 'sqlite'] }], properties: ['openFile'] }).then((r) => {
                if (!r.canceled && r.filePaths[0]) void switchDatabase(r.filePaths[0]);
              }),
            newDatabase: () =>
              void dialog.showSaveDialog({ title: 'New PT Lab database', defaultPath: 'ptlab.db', filters: [{ name: 'PT Lab database', extensions: ['db'] }] }).then((r) => {
                if (!r.canceled && r.filePath) void switchDatabase(r.filePath);
              }),
            about: () => void about(),
            openExternal,
          },
        }),
      ),
    );

    win = createWindow();
    win.on('closed', () => (win = null));
    if (process.env.PTLAB_SMOKE === '1') {
      const w = win;
      w.webContents.once('did-finish-load', () => {
        if (!isAppUrl(w.webContents.getURL())) process.stdout.write(`PTLAB_SMOKE_FAIL loaded ${w.webContents.getURL()}\n`);
        void smokeCheck(w).catch((e: unknown) => {
          process.stdout.write(`PTLAB_SMOKE_FAIL ${(e as Error).message}\n`);
          app.exit(1);
        });
      });
    }
  });
}

/** PDF export in the app: the HTML report printed by Electron's own Chromium, in a hidden window without script (export.ts). */
async function printToPdf(html: string): Promise<Buffer> {
  const dir = mkdtempSync(join(app.getPath('temp'), 'ptlab-print-'));
  const page = new BrowserWindow(printWindowOptions());
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    await page.loadFile(file);
    return await page.webContents.printToPDF(PRINT_OPTIONS);
  } finally {
    page.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Export's save dialog: writes the file where the user says; null when they cancel. */
async function saveFile(file: ExportedFile): Promise<string | null> {
  const options = saveDialogOptions(file, app.getPath('documents'));
  const r = win && !win.isDestroyed() ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (r.canceled || !r.filePath) return null;
  writeFileSync(r.filePath, fileBytes(file));
  return r.filePath;
}
