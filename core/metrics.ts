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

export function buildMetrics(sim: Sim): Record<string, number> {
  const m: Record<string, number> = {};
  const timed = sim.opts.timed;
  LAT_NAMES.forEach((name, cls) => {
    const lat = Float64Array.from(sim.latencies(cls)).sort();
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
