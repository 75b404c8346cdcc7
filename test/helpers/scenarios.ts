/**
 * Small scenarios several core tests share.
 */
import { parseScenario } from '../../core/scenario.ts';

/**
 * A CPU touches a block-mapped section (linear map and struct pages), which is then removed: its walk cache holds
 * the tables above the section's blocks (the section's PMD table among them), which the teardown frees.
 */
export const TOUCH_THEN_REMOVE = parseScenario({
  name: 'touch-then-remove',
  arch: { pageSize: 4096, vaBits: 48, layout: 'v6.9' },
  memory: { boot: [{ start: '0x80000000', size: '2G' }], hotplug: [{ start: '0x140000000', size: '128M', initial: 'online' }], linearMapping: 'block' },
  actors: [
    { kind: 'access', targets: 'hotplug', repeats: 1 },
    { kind: 'hotremove', range: { start: '0x140000000', size: '128M' }, linear: true, offline: false, deviceLock: true },
  ],
});
