/**
 * Value encodings shared by the queries: Float64 BLOBs for series points,
 * JSON columns, NaN-as-NULL for REAL columns, and timestamps.
 */

import os from 'node:os';

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Encodes numbers as little-endian Float64 (exact for every double, including -0, NaN and ±Infinity). */
export function encodeFloat64(values: ArrayLike<number>, start = 0, end = values.length): Buffer {
  const count = end - start;
  if (LITTLE_ENDIAN) {
    const array = new Float64Array(count);
    for (let i = 0; i < count; i++) array[i] = values[start + i];
    return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  }
  const buffer = Buffer.allocUnsafe(count * 8);
  for (let i = 0; i < count; i++) buffer.writeDoubleLE(values[start + i], i * 8);
  return buffer;
}

/** Appends the little-endian Float64 values of `blob` to `out`. */
export function decodeFloat64Into(blob: Uint8Array, out: number[]): void {
  const count = blob.byteLength >>> 3;
  if (LITTLE_ENDIAN && blob.byteOffset % 8 === 0) {
    const view = new Float64Array(blob.buffer, blob.byteOffset, count);
    for (let i = 0; i < count; i++) out.push(view[i]);
    return;
  }
  const data = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < count; i++) out.push(data.getFloat64(i * 8, true));
}

/**
 * SQLite turns NaN into NULL on its own; make that explicit both ways so a metric reads back as it was.
 * (-0 reads back as 0 from a REAL column, as it does from JSON; series keep it, being raw Float64.)
 */
export function realToDb(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export function realFromDb(value: number | null): number {
  return value === null ? Number.NaN : value;
}

/** JSON for a nullable column: `undefined` is stored as NULL (absent), everything else as JSON text. */
export function jsonToDb(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function jsonFromDb(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

/** Timestamps are ISO 8601 UTC strings: their text order is their time order, which the indices rely on. */
export function nowIso(): string {
  return new Date().toISOString();
}
