/**
 * A Lab over a fresh database in a temporary directory, for the tests that
 * drive the lab API the way a transport does. Call it at module scope: it
 * registers its own afterAll, which closes the lab (waiting for its jobs),
 * then the database, then removes the directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LabDb } from '../../db/index.ts';
import type { AppInfo } from '../../electron/lab/api.ts';
import { Lab } from '../../electron/lab/lab.ts';

export interface TempLab {
  /** The temporary directory; the database is `lab.db` in it. */
  dir: string;
  db: LabDb;
  lab: Lab;
}

export function tempLab(prefix: string, transport: AppInfo['transport'] = 'in-process'): TempLab {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const db = LabDb.open(join(dir, 'lab.db'));
  const lab = new Lab({ db, transport });
  afterAll(async () => {
    await lab.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, db, lab };
}
