/**
 * Opening a Lab in this process, for the CLI: the database file (the user's
 * default, $PTLAB_DB or --db) opened for writing, for reading (read-only
 * when this user cannot write it, so `ptlab list` works on someone else's
 * database), or not at all (`--no-save`, catalog commands). Also what the
 * CLI needs to turn a failure into its exit code, and the import limits it
 * prints in its help.
 */
import { accessSync, constants as fsConstants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ScenarioError } from '../../core/scenario.ts';
import { StrategyError } from '../../core/strategies.ts';
import { DbError, DbInputError, LabDb, resolveDbPath } from '../../db/index.ts';
import { Lab } from './lab.ts';
import { InputError } from './resolve.ts';

export { MAX_IMPORT_BYTES, MAX_IMPORT_RUN_BYTES, MAX_TRACE_STEPS } from '../../db/index.ts';
export { formatBytes } from '../../db/limits.ts';

export type DbAccess = 'write' | 'read' | 'none';

export interface OpenedLab {
  lab: Lab;
  /** Waits for jobs in flight to save what they have, then closes the database. */
  close(): Promise<void>;
}

function writable(p: string): boolean {
  try {
    accessSync(p, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function openDb(file: string | undefined, access: Exclude<DbAccess, 'none'>): LabDb {
  const path = resolveDbPath(file);
  if (access === 'read' && existsSync(path)) {
    // Opened as usual when this user may write it (interrupted runs get recovered, an older file upgraded); else read-only, writing nothing beside it.
    return writable(path) && writable(dirname(path)) ? LabDb.open(path) : LabDb.open(path, { readonly: true });
  }
  mkdirSync(dirname(path), { recursive: true });
  return LabDb.open(path);
}

/** A Lab for the CLI: `undo` is off (a command cannot undo later), the transport is 'in-process'. */
export function openLab(opts: { db?: string; access: DbAccess }): OpenedLab {
  const db = opts.access === 'none' ? null : openDb(opts.db, opts.access);
  const lab = new Lab({ db, transport: 'in-process', undo: false });
  return {
    lab,
    close: async () => {
      await lab.close();
      db?.close();
    },
  };
}

/**
 * Whether a failure is the user's to fix (exit 2): bad input of any kind,
 * and every database error (a damaged, foreign, newer, unreadable or busy
 * file is about the file the user gave, not a bug).
 */
export function isUserError(e: unknown): boolean {
  return e instanceof InputError || e instanceof DbInputError || e instanceof ScenarioError || e instanceof StrategyError || e instanceof DbError;
}
