/**
 * A digest of a machine's state, for tests that compare what two searches
 * reach (e.g. the reduced search against brute-force enumeration).
 */
import { ENTRY_NONE, FRAME_FREE } from '../model/memory.ts';
import type { Sim } from '../machine/sim.ts';

/** A digest of the machine state (tables, frames, TLBs, locks, sections, violations), for comparing searches. */
export function stateDigest(sim: Sim): string {
  const mem = sim.mem;
  const parts: string[] = [];
  for (let f = 0; f < mem.nFrames; f++) {
    const st = mem.state[f];
    if (st === FRAME_FREE && mem.gen[f] === 0) continue;
    let e = '';
    if (mem.isTable(f) || st === FRAME_FREE) {
      for (let i = 0; i < mem.ptrs; i++) {
        const k = mem.kind(f, i);
        if (k !== ENTRY_NONE) e += `${i}:${k}:${mem.val(f, i)},`;
      }
    }
    parts.push(`${f}/${st}/${mem.gen[f]}/${mem.refs[f]}/${e}`);
  }
  const t = sim.tlbs;
  for (let k = 0; k < t.leafValid.length; k++) if (t.leafValid[k]) parts.push(`L${k}:${t.leafVa[k]}:${t.leafSize[k]}:${t.leafPfn[k]}:${t.leafGen[k]}`);
  for (let k = 0; k < t.walkValid.length; k++) if (t.walkValid[k]) parts.push(`W${k}:${t.walkDepth[k]}:${t.walkSpan[k]}:${t.walkPfn[k]}:${t.walkGen[k]}`);
  parts.push(`locks:${[...sim.locks.holder]}|${[...sim.locks.writer]}|${[...sim.locks.readers]}`);
  parts.push(`sections:${sim.sections.map((s) => `${s.state}/${s.gen}`).join(',')}`);
  parts.push(`violations:${JSON.stringify(sim.checker.countsObject())}`);
  parts.push(`done:${sim.actors.map((a) => (a.done ? 1 : 0)).join('')}`);
  return parts.join(';');
}
