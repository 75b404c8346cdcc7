/**
 * Where the default PT Lab database lives. Pure functions: no file-system
 * access here (LabDb.open creates the parent directory).
 */

import os from 'node:os';
import path from 'node:path';

export const DB_FILE_NAME = 'ptlab.db';

type Env = Readonly<Record<string, string | undefined>>;

/** The `ptlab.db` file in the user's data directory for `platform`. */
export function defaultDbPath(
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    // Roaming AppData, as Electron's app.getPath('appData') uses.
    const appData = nonEmpty(env.APPDATA) ?? path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, 'PT Lab', DB_FILE_NAME);
  }
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', 'PT Lab', DB_FILE_NAME);
  }
  // Linux and the other Unixes follow XDG; the spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  const dataHome = xdg !== undefined && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(dataHome, 'ptlab', DB_FILE_NAME);
}

/** The database to use: the `--db` flag, else `$PTLAB_DB`, else the default path. */
export function resolveDbPath(flag?: string, env: Env = process.env): string {
  return nonEmpty(flag) ?? nonEmpty(env.PTLAB_DB) ?? defaultDbPath(env);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}
