/**
 * Footprints made by hand for tests of core/explore/footprints.ts: the
 * fields given, the rest those of an event that touched nothing, and the
 * TLB summaries (CPU masks, VA and pfn boxes) derived from the records as
 * the module derives them.
 */
import { type Footprint, importFootprint } from '../../core/explore/footprints.ts';

export function footprintWith(fields: Partial<Footprint>): Footprint {
  return importFootprint({
    keys: [],
    modes: [],
    tlb: null,
    tlbW: 0,
    tlbAll: 0,
    vaLo: 0,
    vaHi: 0,
    pfnLo: 0,
    pfnHi: 0,
    acq: 0,
    rel: 0,
    acqLock: -1,
    acqKind: 0,
    macro: -1,
    site: null,
    body: null,
    locs: null,
    held: 0,
    learn: null,
    ids: null,
    ...fields,
  });
}
