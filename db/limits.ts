/**
 * PT Lab's documented size limits on what it stores and imports. Past them
 * the operation fails with a clear error (exit 2 from the CLI) instead of
 * running out of memory or string length half way.
 *
 * - MAX_TRACE_STEPS: steps kept in one violation's trace. The simulator
 *   shortens its traces to what matters (tens of steps); the limit is for
 *   imported documents, and leaves room for a 140 000-step counterexample.
 * - MAX_IMPORT_BYTES: size of a file `ptlab import` reads. The file is read
 *   in pieces, one run at a time, so memory stays bounded by the largest run.
 * - MAX_IMPORT_RUN_BYTES: the JSON text of one run in an imported file (it
 *   is parsed as one string; V8's limit is about 512 MiB).
 * - MAX_IMPORT_HEADER_BYTES: any other top-level field of an imported file
 *   (schema, version, summary).
 */

export const MAX_TRACE_STEPS = 200_000;
export const MAX_IMPORT_BYTES = 4 * 1024 ** 3;
export const MAX_IMPORT_RUN_BYTES = 256 * 1024 ** 2;
export const MAX_IMPORT_HEADER_BYTES = 16 * 1024 ** 2;

/** "421 MiB", "2 GiB", "12 KiB" */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toFixed(1))} ${units[unit]}`;
}
