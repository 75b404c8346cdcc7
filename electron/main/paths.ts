/**
 * Where the desktop app's files are: the built renderer, the preload, and
 * the Electron-ABI build of better-sqlite3 (built by `npm run
 * rebuild:electron` into its own folder, so the Node build that the CLI and
 * tests use stays as it is). In a packaged app native modules cannot be
 * loaded from inside app.asar; electron-builder unpacks them (asarUnpack) to
 * app.asar.unpacked beside it.
 */
import { join } from 'node:path';

export interface AppLocation {
  /** app.getAppPath(): the project root in development, …/resources/app.asar when packaged. */
  appPath: string;
  packaged: boolean;
}

/** The Electron-ABI better_sqlite3.node, relative to the app root. */
export const NATIVE_BINDING = join('dist', 'native', 'electron', 'better_sqlite3.node');

export function appFiles(loc: AppLocation): { rendererDir: string; preload: string; nativeBinding: string; icon: string } {
  const unpacked = loc.packaged ? loc.appPath.replace(/app\.asar$/, 'app.asar.unpacked') : loc.appPath;
  return {
    rendererDir: join(loc.appPath, 'dist', 'renderer'),
    preload: join(loc.appPath, 'dist', 'electron', 'preload.cjs'),
    nativeBinding: join(unpacked, NATIVE_BINDING),
    icon: join(loc.appPath, 'build', 'icons', 'icon.png'),
  };
}
