/**
 * The errors `db/` throws. Every failure a caller can act on becomes a
 * `DbError` with a stable `code` and one sentence that names the file (or the
 * field) and what to do; raw SQLite errors never leave this folder.
 */

export type DbErrorCode =
  /** Not SQLite, or SQLite that is damaged (bad header, truncated, failed quick_check). */
  | 'corrupt'
  /** A SQLite database that belongs to another application. */
  | 'foreign'
  /** A PT Lab database written by a newer PT Lab (user_version too high). */
  | 'too-new'
  /** A PT Lab database that needs an upgrade but was opened read-only. */
  | 'needs-upgrade'
  | 'not-found'
  /** Something with that id or name already exists. */
  | 'conflict'
  /** Another process held the write lock for longer than busy_timeout. */
  | 'busy'
  | 'readonly'
  | 'disk-full'
  | 'io'
  /** Bad input from a caller or an imported document; see `DbInputError.path`. */
  | 'invalid-input'
  | 'closed';

export class DbError extends Error {
  override name = 'DbError';
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Bad input: `path` names the field (e.g. `runs[0].metrics.vmalloc.ops`), `expected` what it should be. */
export class DbInputError extends DbError {
  override name = 'DbInputError';
  readonly path: string;
  readonly expected: string;

  constructor(path: string, expected: string) {
    super('invalid-input', path === '' ? expected : `${path}: ${expected}`);
    this.path = path;
    this.expected = expected;
  }
}

/** The shape better-sqlite3's SqliteError has; checked structurally so db/ needs no runtime import for it. */
function sqliteCode(err: unknown): string | null {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('SQLITE_')) {
    return err.code;
  }
  return null;
}

/**
 * Turns an error thrown by better-sqlite3 into a DbError about `file`.
 * DbErrors pass through unchanged; errors that are not from SQLite (bugs) are rethrown as they are.
 */
export function toDbError(err: unknown, file: string): unknown {
  if (err instanceof DbError) return err;
  const code = sqliteCode(err);
  if (code === null) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new DbError('corrupt', `${file} is not a PT Lab database (not SQLite or damaged): ${detail}`, { cause: err });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DbError('busy', `${file} is locked by another process (${detail}); try again when it has finished writing`, {
      cause: err,
    });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new DbError('readonly', `${file} is read-only: ${detail}`, { cause: err });
  }
  if (code.startsWith('SQLITE_FULL')) {
    return new DbError('disk-full', `the disk holding ${file} is full: ${detail}`, { cause: err });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new DbError('io', `cannot open ${file}: ${detail}`, { cause: err });
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return new DbError('io', `cannot read or write ${file}: ${detail}`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new DbError('conflict', `${file}: ${detail}`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new DbError('not-found', `${file}: a referenced row does not exist (${detail})`, { cause: err });
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new DbError('invalid-input', `${file}: ${detail}`, { cause: err });
  }
  // Anything else (SQLITE_ERROR, SQLITE_MISUSE, ...) is a bug in db/: keep the original error and stack.
  return err;
}
