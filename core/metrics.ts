/**
 * The stable metric keys of SPEC §2.10, computed from a finished simulation
 * (`wall.ms` is added by the caller: `core` reads no clock), and the time
 * series a timed run records as it goes.
 */
import { type Series, VIOLATION_KINDS } from './results.ts';
import { LOCK_MEM_HOTPLUG, LOCK_NAMES, N_LOCKS } from './model/locks.ts';
import { LAT_HOTREMOVE, LAT_NAMES, LAT_VMALLOC, type Sim } from './machine/sim.ts';

/** Percentile by nearest rank on a sorted array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Do typed arrays store a double's low word first (true on every platform Node runs on today)? */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many values the built-in sort is as quick. */
const RADIX_MIN = 4096;

/**
 * An ascending copy of `xs`, exactly as Float64Array.prototype.sort() orders
 * it. A timed run's latencies (hundreds of thousands of values per class)
 * are sorted once per run, and the built-in comparison sort was a few
 * percent of a timed run's time: for values that are all non-negative and
 * not NaN, the order of their IEEE 754 bit patterns read as unsigned integers
 * is their numeric order, so an LSD radix sort over the eight bytes gives the
 * same array. Anything else (a negative number, -0, NaN) takes the built-in.
 */
export function sortedCopy(xs: Float64Array): Float64Array {
  const n = xs.length;
  let src = Float64Array.from(xs);
  if (n < RADIX_MIN || !LITTLE_ENDIAN) return src.sort();
  let srcWords = new Uint32Array(src.buffer);
  for (let i = 0; i < n; i++) {
    // The sign bit (negative numbers and -0) or NaN.
    if (srcWords[2 * i + 1] >>> 31 !== 0 || src[i] !== src[i]) return src.sort();
  }
  // Every byte's counts in one read of the values, then one stable scatter per byte, lowest first.
  const start = new Int32Array(8 * 256);
  for (let i = 0; i < n; i++) {
    const lo = srcWords[2 * i];
    const hi = srcWords[2 * i + 1];
    start[lo & 255]++;
    start[256 + ((lo >>> 8) & 255)]++;
    start[512 + ((lo >>> 16) & 255)]++;
    start[768 + (lo >>> 24)]++;
    start[1024 + (hi & 255)]++;
    start[1280 + ((hi >>> 8) & 255)]++;
    start[1536 + ((hi >>> 16) & 255)]++;
    start[1792 + (hi >>> 24)]++;
  }
  let dst = new Float64Array(n);
  let dstWords = new Uint32Array(dst.buffer);
  for (let byte = 0; byte < 8; byte++) {
    const word = byte >> 2;
    const shift = (byte & 3) * 8;
    const base = byte * 256;
    // Every value has the same byte here (the high bytes of similar numbers): this pass would move nothing.
    if (start[base + ((srcWords[word] >>> shift) & 255)] === n) continue;
    let at = 0;
    for (let d = base; d < base + 256; d++) {
      const c = start[d];
      start[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) dst[start[base + ((srcWords[2 * i + word] >>> shift) & 255)]++] = src[i];
    const t = src;
    src = dst;
    dst = t;
    const tw = srcWords;
    srcWords = dstWords;
    dstWords = tw;
  }
  return src;
}

export function buildMetrics(sim: Sim): Record<string, number> {
  const m: Record<string, number> = {};
  const timed = sim.opts.timed;
  LAT_NAMES.forEach((name, cls) => {
    const lat = sortedCopy(sim.latencies(cls));
    m[`${name}.ops`] = lat.length;
    if (!timed) return;
    let sum = 0;
    for (let i = 0; i < lat.length; i++) sum += lat[i];
    m[`${name}.latency_ns.p50`] = Math.round(percentile(lat, 50));
    m[`${name}.latency_ns.p90`] = Math.round(percentile(lat, 90));
    m[`${name}.latency_ns.p99`] = Math.round(percentile(lat, 99));
    m[`${name}.latency_ns.max`] = Math.round(lat.length ? lat[lat.length - 1] : 0);
    m[`${name}.latency_ns.mean`] = Math.round(lat.length ? sum / lat.length : 0);
  });
  if (timed) {
    m['vmalloc.throughput_ops_per_s'] = sim.now > 0 ? Math.round((m['vmalloc.ops'] / sim.now) * 1e9) : 0;
    for (let l = 0; l < N_LOCKS; l++) {
      const k = `lock.${LOCK_NAMES[l]}`;
      m[`${k}.wait_ns.total`] = Math.round(sim.locks.waitTotal[l]);
      m[`${k}.wait_ns.max`] = Math.round(sim.locks.waitMax[l]);
      m[`${k}.hold_ns.total`] = Math.round(sim.locks.holdTotal[l]);
      m[`${k}.hold_ns.max`] = Math.round(sim.locks.holdMax[l]);
      m[`${k}.acquisitions`] = sim.locks.acquisitions[l];
      m[`${k}.contended`] = sim.locks.contended[l];
    }
    // mem_hotplug_lock's cost, attributed: every writer (every hot-add, offline and remove) pays rcu_sync_enter()'s
    // grace period unless the previous writer left less than one ago; what the readers' guard adds is the drain of
    // in-flight readers and the readers blocked behind a writer.
    const mh = 'lock.mem_hotplug_lock';
    m[`${mh}.grace_ns.total`] = Math.round(sim.locks.graceTotal[LOCK_MEM_HOTPLUG]);
    m[`${mh}.grace_periods`] = sim.locks.graceWaited[LOCK_MEM_HOTPLUG];
    m[`${mh}.grace_periods_skipped`] = sim.locks.graceSkipped[LOCK_MEM_HOTPLUG];
    m[`${mh}.drain_ns.total`] = Math.round(sim.locks.drainTotal[LOCK_MEM_HOTPLUG]);
    m[`${mh}.reader_wait_ns.total`] = Math.round(sim.locks.readerWaitTotal[LOCK_MEM_HOTPLUG]);
  }
  m['vmalloc.failed'] = sim.counters.vmallocFailed;
  m['tlbi.page'] = sim.counters.tlbiPage;
  m['tlbi.pgtable'] = sim.counters.tlbiPgtable;
  m['tlbi.all'] = sim.counters.tlbiAll;
  m['pgtable.allocated_pages'] = sim.mem.tablesAllocated;
  m['pgtable.freed_pages'] = sim.mem.tablesFreed;
  // What the last completed hot-remove left behind (or, if none completed, what is left now).
  const leaked = sim.leakedAtLastRemove >= 0 ? sim.leakedAtLastRemove : sim.leakedTables();
  m['pgtable.leaked_pages'] = leaked;
  m['pgtable.leaked_bytes'] = leaked * sim.geometry.pageSize;
  m['sim.steps'] = sim.steps;
  m['sim.time_ns'] = Math.round(sim.now);
  for (const k of VIOLATION_KINDS) m[`violations.${k}`] = sim.checker.countOf(k);
  return m;
}

const SERIES_KEYS = [
  { name: 'vmalloc.ops', unit: 'ops' },
  { name: 'hotremove.ops', unit: 'ops' },
  { name: 'tlbi.total', unit: 'TLBIs' },
  { name: 'pgtable.live_tables', unit: 'pages' },
] as const;

/** Points per series over the run's duration. */
export const SERIES_POINTS = 200;

/**
 * The time series of a timed run, sampled at fixed simulated times (every
 * durationNs / SERIES_POINTS) from inside the simulation (Sim.setSampler),
 * so a run's series are the same bytes however it was sliced, wherever it
 * ran and however busy the machine was. `series` grows as the run goes
 * (live charts read it); `finish` records the points the run's last steps
 * passed.
 */
export class SeriesSampler {
  readonly series: Series[] = SERIES_KEYS.map((k) => ({ name: k.name, unit: k.unit, x: [], y: [] }));
  private readonly sim: Sim;
  private readonly durationNs: number;

  constructor(sim: Sim, durationNs: number) {
    this.sim = sim;
    this.durationNs = durationNs;
    sim.setSampler(durationNs / SERIES_POINTS, (x) => this.record(x));
  }

  private record(x: number): void {
    const sim = this.sim;
    const c = sim.counters;
    const values = [sim.ops[LAT_VMALLOC], sim.ops[LAT_HOTREMOVE], c.tlbiPage + c.tlbiPgtable + c.tlbiAll, sim.mem.tablesAllocated - sim.mem.tablesFreed];
    const xr = Math.round(x);
    for (let i = 0; i < values.length; i++) {
      this.series[i].x.push(xr);
      this.series[i].y.push(values[i]);
    }
  }

  /**
   * At the end of the run: the points its last steps passed, with the final
   * state, up to the run's duration (the last steps may end past it: a
   * 20 ms pause that starts just before the end).
   */
  finish(): void {
    this.sim.sampleThrough(Math.min(this.sim.now, this.durationNs));
  }

  /** The series that have points. */
  nonEmpty(): Series[] {
    return this.series.filter((s) => s.x.length > 0);
  }
}
