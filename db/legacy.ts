/**
 * Names that changed between PT Lab releases, and how to tell which release
 * wrote a run. Used by the schema migration that renames stored runs and by
 * the import of `ptlab.results/1` documents, so both map the same way.
 */

/** 0.1 name -> 0.2 name. 0.1's `v6` was the reviewed teardown that 0.2 calls `v5-reviewed` (SPEC §2.5). */
export const LEGACY_STRATEGY_NAMES: Readonly<Record<string, string>> = Object.freeze({ v6: 'v5-reviewed' });

/**
 * Was a run written by PT Lab before 0.2, judging by its recorded version
 * ("0.1.0", "0.0.1", ...)? Anything that is not a 0.x version older than 0.2
 * (a later release, "unknown", a test label) is not renamed: a name is only
 * mapped when the writer is known to have used the old meaning.
 */
export function writtenBefore02(version: string): boolean {
  const m = /^0\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return m !== null && Number(m[1]) < 2;
}

/** The strategy name a run written by PT Lab `version` means today. */
export function currentStrategyName(strategy: string, version: string): string {
  return writtenBefore02(version) && Object.hasOwn(LEGACY_STRATEGY_NAMES, strategy) ? LEGACY_STRATEGY_NAMES[strategy] : strategy;
}
