/**
 * mem_hotplug_lock's grace periods (DOMAIN §9): every hot-remove pays
 * mem_hotplug_begin() -> percpu_down_write() -> rcu_sync_enter(), whatever
 * the strategy, but rcu_sync_enter() waits for no grace period when the
 * previous writer left less than one ago (gp_state >= GP_PASSED), so offline
 * then remove pay about one grace period, not two. What Option 2 adds is the
 * drain of in-flight vmalloc readers and the vmallocs blocked behind a writer.
 */
import { describe, expect, it } from 'vitest';
import { findPreset } from '../../core/presets.ts';
import { runScenario } from '../../core/run/runner.ts';
import { applyOverride, parseScenario } from '../../core/scenario.ts';
import { findStrategy, STRATEGIES } from '../../core/strategies.ts';

const GP = 8_000_000;

/** Offline, then remove, one 128 MiB section (timed, no jitter so latencies are exact). */
function removeWithOffline(gracePeriod: number) {
  return parseScenario({
    name: 'offline-then-remove',
    arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
    memory: { boot: [{ start: '0x80000000', size: '2G' }], hotplug: [{ start: '0x140000000', size: '128M', initial: 'online' }] },
    actors: [{ kind: 'hotremove', range: { start: '0x140000000', size: '128M' }, linear: true, offline: true, deviceLock: true }],
    cost: { rcuGracePeriod: gracePeriod, jitter: 0 },
  });
}

describe('rcu_sync grace periods on mem_hotplug_lock (timed)', () => {
  it('offline then remove pay one grace period, not two, under every strategy', () => {
    for (const s of STRATEGIES) {
      const withGp = runScenario(removeWithOffline(GP), s, { mode: 'timed', seed: 1 }).result.metrics;
      const work = runScenario(removeWithOffline(0), s, { mode: 'timed', seed: 1 }).result.metrics;
      const extra = withGp['hotremove.latency_ns.max'] - work['hotremove.latency_ns.max'];
      if (s.id === 'upstream') console.log(`upstream: hot-remove with offline ${withGp['hotremove.latency_ns.max']} ns, of which work ${work['hotremove.latency_ns.max']} ns`);
      expect(extra, s.id).toBeGreaterThanOrEqual(GP - 1);
      expect(extra, s.id).toBeLessThanOrEqual(GP + 1);
      expect(withGp['lock.mem_hotplug_lock.grace_periods'], s.id).toBe(1);
      expect(withGp['lock.mem_hotplug_lock.grace_periods_skipped'], s.id).toBe(1);
      expect(withGp['lock.mem_hotplug_lock.grace_ns.total'], s.id).toBe(GP);
    }
  });

  it('a writer that comes a grace period or more after the last one left waits for a new one', () => {
    // head-to-head's hot-plug CPU sleeps 20 ms between operations: with the default 8 ms grace period each operation waits
    // for one; with a 30 ms one, the next operation comes within it and skips it too.
    const doc = applyOverride(applyOverride(findPreset('head-to-head')!.doc, 'run.durationNs=150000000'), 'cost.jitter=0');
    const short = runScenario(parseScenario(doc), findStrategy('upstream'), { mode: 'timed', seed: 3 }).result.metrics;
    const long = runScenario(parseScenario(applyOverride(doc, 'cost.rcuGracePeriod=30000000')), findStrategy('upstream'), { mode: 'timed', seed: 3 }).result.metrics;
    const k = 'lock.mem_hotplug_lock';
    console.log(`head-to-head 150 ms, upstream: grace periods waited/skipped with 8 ms: ${short[`${k}.grace_periods`]}/${short[`${k}.grace_periods_skipped`]}, with 30 ms: ${long[`${k}.grace_periods`]}/${long[`${k}.grace_periods_skipped`]}`);
    // With 8 ms: every hot-add and every offline waits for one; the online right after a hot-add and the remove right after
    // an offline skip it (one more may be in progress when the run ends).
    const pairs = short['hotremove.ops'] + short['hotadd.ops'];
    expect(short[`${k}.grace_periods_skipped`]).toBeGreaterThanOrEqual(pairs);
    expect(short[`${k}.grace_periods_skipped`]).toBeLessThanOrEqual(pairs + 1);
    expect(short[`${k}.grace_periods`]).toBeGreaterThanOrEqual(pairs);
    expect(long[`${k}.grace_periods_skipped`]).toBeGreaterThan(short[`${k}.grace_periods_skipped`]);
    expect(long[`${k}.grace_periods`]).toBe(1);
  });

  it('Option 2\'s own cost is the drain of in-flight vmallocs and the vmallocs blocked behind hot-plug (head-to-head, 60 ms, seed 3)', () => {
    const sc = parseScenario(applyOverride(findPreset('head-to-head')!.doc, 'run.durationNs=60000000'));
    const m = Object.fromEntries(['upstream', 'opt2'].map((id) => [id, runScenario(sc, findStrategy(id), { mode: 'timed', seed: 3 }).result.metrics]));
    const k = 'lock.mem_hotplug_lock';
    for (const id of ['upstream', 'opt2']) {
      console.log(id, `grace ${m[id][`${k}.grace_ns.total`]} ns (${m[id][`${k}.grace_periods`]} waited, ${m[id][`${k}.grace_periods_skipped`]} skipped), drain ${m[id][`${k}.drain_ns.total`]} ns, readers blocked ${m[id][`${k}.reader_wait_ns.total`]} ns`);
      expect(m[id][`${k}.grace_periods`], id).toBeGreaterThan(0);
    }
    expect(m.opt2[`${k}.reader_wait_ns.total`]).toBeGreaterThan(10 * Math.max(1, m.upstream[`${k}.reader_wait_ns.total`]));
    expect(m.opt2[`${k}.drain_ns.total`]).toBeGreaterThan(m.upstream[`${k}.drain_ns.total`]);
  });
});
