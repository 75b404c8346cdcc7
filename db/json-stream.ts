/**
 * Reading a large `ptlab.results/1` file one run at a time, so `ptlab import`
 * of 100 000 runs (or of one run with a long trace) needs the memory of the
 * largest run, not of the whole document. The file is scanned in 1 MiB
 * pieces: the top-level object's other fields are parsed whole (they are
 * small), and each element of its `runs` array is cut out as text and parsed
 * on its own. JSON.parse checks each piece's syntax; the scanner checks the
 * structure around them.
 */

import fs from 'node:fs';
import { DbInputError } from './errors.ts';
import { formatBytes, MAX_IMPORT_HEADER_BYTES, MAX_IMPORT_RUN_BYTES } from './limits.ts';
import { expectArray } from './validate.ts';

const CHUNK_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The reader's error: the document is not the JSON it must be. */
function malformed(at: number, what: string): DbInputError {
  return new DbInputError('(document)', `not valid JSON at byte ${at}: ${what}`);
}

/** Bytes of a file read forward in chunks, with optional capture of what was read. */
class ByteReader {
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private len = 0;
  private pos = 0;
  /** File offset of buf[0]. */
  private base: number;
  private captureFrom = -1;
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private captureLimit = 0;
  private captureWhat = '';

  constructor(
    private readonly fd: number,
    start: number,
  ) {
    this.base = start;
  }

  /** File offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** The next byte, or -1 at the end of the file. */
  peek(): number {
    if (this.pos < this.len) return this.buf[this.pos];
    return this.fill() ? this.buf[this.pos] : -1;
  }

  next(): number {
    const c = this.peek();
    if (c >= 0) this.pos++;
    return c;
  }

  skipSpace(): number {
    for (;;) {
      const c = this.peek();
      if (c < 0 || !isSpace(c)) return c;
      this.pos++;
    }
  }

  expect(byte: number, what: string): void {
    const at = this.offset;
    if (this.skipSpace() !== byte) throw malformed(at, `expected ${what}`);
    this.pos++;
  }

  /** Starts keeping the bytes read from here on (at most `limit` of them). */
  startCapture(limit: number, what: string): void {
    this.captureFrom = this.pos;
    this.captured = [];
    this.capturedBytes = 0;
    this.captureLimit = limit;
    this.captureWhat = what;
  }

  /** The bytes read since startCapture, as text. */
  endCapture(): string {
    const tail = this.buf.subarray(this.captureFrom, this.pos);
    this.captured.push(tail);
    const text = Buffer.concat(this.captured, this.capturedBytes + tail.length).toString('utf8');
    this.captureFrom = -1;
    this.captured = [];
    return text;
  }

  /** Skips (and, when capturing, keeps) one JSON value; its syntax inside is left to JSON.parse. */
  skipValue(): void {
    const start = this.offset;
    const first = this.peek();
    if (first === OPEN_BRACE || first === OPEN_BRACKET) {
      let depth = 0;
      for (;;) {
        const c = this.next();
        if (c < 0) throw malformed(start, 'an object or array that never ends');
        if (c === QUOTE) this.skipStringBody(start);
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) return;
        }
      }
    }
    if (first === QUOTE) {
      this.pos++;
      this.skipStringBody(start);
      return;
    }
    // A number, true, false or null: up to the next delimiter.
    for (;;) {
      const c = this.peek();
      if (c < 0 || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
      this.pos++;
    }
    if (this.offset === start) throw malformed(start, 'expected a value');
  }

  /** After an opening quote: up to and including the closing one. */
  private skipStringBody(start: number): void {
    for (;;) {
      // Jump to the next quote or backslash within the buffer.
      while (this.pos < this.len) {
        const c = this.buf[this.pos];
        if (c === QUOTE || c === BACKSLASH) break;
        this.pos++;
      }
      const c = this.next();
      if (c < 0) throw malformed(start, 'a string that never ends');
      if (c === QUOTE) return;
      if (c === BACKSLASH && this.next() < 0) throw malformed(start, 'a string that never ends');
    }
  }

  private fill(): boolean {
    if (this.captureFrom >= 0) {
      const piece = Buffer.from(this.buf.subarray(this.captureFrom, this.len));
      this.capturedBytes += piece.length;
      if (this.capturedBytes > this.captureLimit) {
        throw new DbInputError(this.captureWhat, `expected at most ${formatBytes(this.captureLimit)} of JSON (PT Lab's import limit), got more`);
      }
      this.captured.push(piece);
      this.captureFrom = 0;
    }
    this.base += this.len;
    this.pos = 0;
    this.len = fs.readSync(this.fd, this.buf, 0, CHUNK_BYTES, this.base);
    return this.len > 0;
  }
}

function parsePiece(text: string, at: number, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw malformed(at, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface StreamedResults {
  /** Every top-level field but `runs` (null prototype: the keys are the file's). */
  header: Record<string, unknown>;
  /** Whether the document has a `runs` field. */
  hasRuns: boolean;
  /** The elements of `runs`, parsed one at a time, in order (a second call reads the file again). */
  runs(): Generator<unknown, void, undefined>;
}

/**
 * Opens `file` as one JSON object whose `runs` is read lazily. The header is
 * read (and the structure of the whole file checked) at once; `runs()` reads
 * the runs on demand. The caller closes nothing: each pass opens and closes
 * the file itself.
 */
export function readResultsFile(file: string): StreamedResults {
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let runsAt = -1;
  const fd = fs.openSync(file, 'r');
  try {
    const r = new ByteReader(fd, 0);
    // A UTF-8 byte-order mark is allowed before the document.
    if (r.peek() === 0xef) {
      r.next();
      if (r.next() !== 0xbb || r.next() !== 0xbf) throw malformed(0, 'expected a JSON object');
    }
    r.expect(OPEN_BRACE, 'a JSON object');
    if (r.skipSpace() === CLOSE_BRACE) r.next();
    else {
      for (;;) {
        r.skipSpace();
        const keyAt = r.offset;
        if (r.peek() !== QUOTE) throw malformed(keyAt, 'expected a field name in quotes');
        r.startCapture(64 * 1024, '(document)');
        r.skipValue();
        const key = parsePiece(r.endCapture(), keyAt, 'field name') as string;
        r.expect(COLON, "':' after a field name");
        r.skipSpace();
        if (Object.hasOwn(header, key) || (key === 'runs' && runsAt >= 0)) throw new DbInputError(key, 'expected one field of this name, got a second');
        if (key === 'runs') {
          runsAt = r.offset;
          r.skipValue();
        } else {
          const at = r.offset;
          r.startCapture(MAX_IMPORT_HEADER_BYTES, key);
          r.skipValue();
          header[key] = parsePiece(r.endCapture(), at, key);
        }
        const c = r.skipSpace();
        r.next();
        if (c === CLOSE_BRACE) break;
        if (c !== COMMA) throw malformed(r.offset - 1, "expected ',' or '}' after a field");
      }
    }
    if (r.skipSpace() >= 0) throw malformed(r.offset, 'unexpected data after the document');
  } finally {
    fs.closeSync(fd);
  }
  return {
    header,
    hasRuns: runsAt >= 0,
    *runs(): Generator<unknown, void, undefined> {
      if (runsAt < 0) return;
      const runsFd = fs.openSync(file, 'r');
      try {
        const r = new ByteReader(runsFd, runsAt);
        const at = r.offset;
        if (r.peek() !== OPEN_BRACKET) {
          // Not an array: parse it so the error names what it is ("runs: expected an array, got an object").
          r.startCapture(MAX_IMPORT_HEADER_BYTES, 'runs');
          r.skipValue();
          expectArray(parsePiece(r.endCapture(), at, 'runs'), 'runs');
          return;
        }
        r.next();
        if (r.skipSpace() === CLOSE_BRACKET) return;
        for (let index = 0; ; index++) {
          r.skipSpace();
          const runAt = r.offset;
          r.startCapture(MAX_IMPORT_RUN_BYTES, `runs[${index}]`);
          r.skipValue();
          yield parsePiece(r.endCapture(), runAt, `runs[${index}]`);
          const c = r.skipSpace();
          r.next();
          if (c === CLOSE_BRACKET) return;
          if (c !== COMMA) throw malformed(r.offset - 1, "expected ',' or ']' after a run");
        }
      } finally {
        fs.closeSync(runsFd);
      }
    },
  };
}
