/**
 * How a file is recognised as a PT Lab database before anything writes to it:
 * a raw look at the SQLite header (no SQLite connection, so nothing can be
 * created or changed), then the identity read through a read-only connection.
 */

import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { DbError } from './errors.ts';

/** `PRAGMA application_id` of every PT Lab database: "PTLB" in ASCII. */
export const PTLAB_APPLICATION_ID = 0x50544c42;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const HEADER_BYTES = 100;

export interface SqliteHeader {
  pageSize: number;
  /** Header bytes 18/19 = 2: the file is in WAL mode (a read-only open may then create -wal/-shm). */
  walMode: boolean;
  applicationId: number;
  userVersion: number;
}

/**
 * Reads and sanity-checks the 100-byte SQLite header of `file`.
 * Returns null for an empty (0-byte) file, which SQLite treats as a new database.
 * Throws DbError 'corrupt' when the bytes are not a plausible SQLite database.
 */
export function readSqliteHeader(file: string): SqliteHeader | null {
  const fd = fs.openSync(file, 'r');
  let size: number;
  const header = Buffer.alloc(HEADER_BYTES);
  let read: number;
  try {
    size = fs.fstatSync(fd).size;
    read = size === 0 ? 0 : fs.readSync(fd, header, 0, HEADER_BYTES, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (size === 0) return null;
  const corrupt = (reason: string): DbError => corruptError(file, reason);
  if (read < HEADER_BYTES) throw corrupt(`the file is ${size} bytes, shorter than a SQLite header (${HEADER_BYTES})`);
  if (!header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) throw corrupt('it does not start with the SQLite header');

  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw corrupt(`invalid page size ${rawPageSize} in the header`);
  }
  const writeVersion = header[18];
  const readVersion = header[19];
  if ((writeVersion !== 1 && writeVersion !== 2) || (readVersion !== 1 && readVersion !== 2)) {
    throw corrupt(`unknown file format version ${writeVersion}/${readVersion} in the header`);
  }
  // SQLite requires these payload fractions; anything else is garbage that happens to start with the magic.
  if (header[21] !== 64 || header[22] !== 32 || header[23] !== 32) throw corrupt('invalid payload fractions in the header');

  // With a non-empty -wal file the main file may legitimately lag behind (a checkpoint is pending or was cut
  // short), so its size says nothing; without one, the main file is the whole database.
  if (!hasContent(`${file}-wal`)) {
    if (size % pageSize !== 0) throw corrupt(`its size (${size} bytes) is not a whole number of ${pageSize}-byte pages`);
    const changeCounter = header.readUInt32BE(24);
    const pageCount = header.readUInt32BE(28);
    const validFor = header.readUInt32BE(92);
    if (pageCount > 0 && changeCounter === validFor && pageCount * pageSize > size) {
      throw corrupt(`it is truncated: the header says ${pageCount} pages, the file holds ${size / pageSize}`);
    }
  }
  return {
    pageSize,
    walMode: writeVersion === 2 || readVersion === 2,
    applicationId: header.readUInt32BE(68),
    userVersion: header.readUInt32BE(60),
  };
}

function hasContent(file: string): boolean {
  try {
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

export type Identity =
  | { kind: 'empty' }
  | { kind: 'ptlab'; version: number }
  | { kind: 'foreign'; reason: string };

/** Whose database an open connection holds; reads only. */
export function identify(db: Database.Database): Identity {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const userVersion = Number(db.pragma('user_version', { simple: true }));
  const objects = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'")
    .all()
    .map((row) => row.name);
  if (applicationId === PTLAB_APPLICATION_ID || objects.includes('ptlab_meta')) {
    return { kind: 'ptlab', version: userVersion };
  }
  if (applicationId !== 0) {
    return { kind: 'foreign', reason: `its application_id is 0x${applicationId.toString(16).padStart(8, '0')}, not PT Lab's` };
  }
  if (objects.length === 0 && userVersion === 0) return { kind: 'empty' };
  const shown = objects.slice(0, 3).join(', ') + (objects.length > 3 ? ', ...' : '');
  return {
    kind: 'foreign',
    reason: objects.length > 0 ? `it has tables (${shown}) but no PT Lab identity` : `its user_version is ${userVersion} but it has no PT Lab identity`,
  };
}

export function corruptError(file: string, reason: string, cause?: unknown): DbError {
  return new DbError('corrupt', `${file} is not a PT Lab database (not SQLite or damaged): ${reason}`, { cause });
}

export function foreignError(file: string, reason: string): DbError {
  return new DbError('foreign', `${file} is not a PT Lab database: ${reason}; PT Lab leaves it untouched`);
}

export function tooNewError(file: string, version: number, latest: number): DbError {
  return new DbError(
    'too-new',
    `${file}: database version ${version} is newer than this PT Lab (knows up to ${latest}); upgrade PT Lab`,
  );
}
