/**
 * Crash safety end to end (SPEC §4): a `ptlab run` killed with SIGKILL
 * mid-run loses nothing already written, and the run then shows as
 * 'interrupted'.
 */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type ListJson, type RunJson, rmTmp, runCli, runCliJson, sleep, spawnCli, tmpDir } from '../helpers/cli.ts';

const dir = tmpDir();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmTmp(dir);
});

const POLL_LIMIT_MS = 60_000;

async function killMidRun(name: string, extra: string[]): Promise<void> {
  const db = path.join(dir, `${name}.db`);
  console.log(`[crash] ptlab run --scenario large --mode timed ${extra.join(' ')} (seed 1), killed with SIGKILL once metrics are saved`);
  const bg = spawnCli(['run', '--scenario', 'large', '--mode', 'timed', '--db', db, ...extra]);
  children.push(bg.child);
  let id: string | undefined;
  let seen: RunJson | undefined;
  const t0 = Date.now();
  try {
    while (Date.now() - t0 < POLL_LIMIT_MS) {
      if (bg.exited()) {
        const o = bg.output();
        throw new Error(`ptlab run exited (code ${bg.child.exitCode}, signal ${bg.child.signalCode}) before it saved any metrics\nstderr: ${o.stderr.slice(0, 2000)}\nstdout: ${o.stdout.slice(0, 500)}`);
      }
      const list = runCli(['list', '--json', '--db', db]);
      if (list.status === 0) {
        const running = (JSON.parse(list.stdout) as ListJson).runs.find((r) => r.status === 'running');
        if (running) {
          id = running.id;
          const s = runCliJson<RunJson>(['show', id, '--json', '--db', db]);
          if (s.status === 'running' && Object.keys(s.metrics).length > 0) {
            seen = s;
            break;
          }
        }
      }
      await sleep(250);
    }
    expect(seen, `no running run with metrics appeared within ${POLL_LIMIT_MS / 1000} s`).toBeDefined();
  } finally {
    bg.child.kill('SIGKILL');
    await new Promise<void>((resolve) => (bg.exited() ? resolve() : bg.child.once('exit', () => resolve())));
  }
  console.log(`[crash] ${name}: run ${id} had ${Object.keys(seen!.metrics).length} metric keys (sim.steps ${seen!.metrics['sim.steps']}) after ${Date.now() - t0} ms`);
  expect(bg.child.signalCode).toBe('SIGKILL');

  const list = runCliJson<ListJson>(['list', '--json', '--db', db]);
  const row = list.runs.find((r) => r.id === id);
  expect(row?.status).toBe('interrupted');

  const after = runCliJson<RunJson>(['show', id!, '--json', '--db', db]);
  expect(after.status).toBe('interrupted');
  for (const k of Object.keys(seen!.metrics)) expect(after.metrics, `metric ${k} survives the kill`).toHaveProperty([k]);
  if (typeof seen!.metrics['sim.steps'] === 'number') expect(after.metrics['sim.steps']).toBeGreaterThanOrEqual(seen!.metrics['sim.steps']);
  expect(after.scenario).toBe('large');
  expect(after.mode).toBe('timed');
}

describe('kill -9 mid-run', () => {
  it('large, timed, default (workload worker): interrupted, metrics kept', async () => {
    await killMidRun('worker', []);
  });
});
