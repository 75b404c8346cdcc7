/**
 * Helpers for end-to-end tests of the `ptlab` command: spawn the real CLI
 * (bin/ptlab.mjs) against a temporary database, never the user's default one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where bin/ptlab.mjs lives). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Non-empty stderr lines. */
  errLines: string[];
}

/** A fresh temporary directory (removed by the caller via rmTmp). */
export function tmpDir(prefix = 'ptlab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmTmp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

function cliEnv(db: string | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // PTLAB_DB always points at a temp file so a test can never touch the user's default database.
  return { ...process.env, CI: 'true', PTLAB_DB: db ?? path.join(os.tmpdir(), `ptlab-unused-${process.pid}.db`), ...extra };
}

/** Runs `ptlab <args>` to completion. `db` becomes PTLAB_DB (pass --db in args to test the flag itself). */
export function runCli(args: string[], opts: { db?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/ptlab.mjs', ...args], {
    cwd: ROOT,
    env: cliEnv(opts.db, opts.env),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 110_000,
  });
  if (r.error) throw r.error;
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    errLines: r.stderr.split('\n').filter((l) => l.trim() !== ''),
  };
}

/** Runs `ptlab <args>` and parses stdout as JSON; throws with stderr when it did not exit 0. */
export function runCliJson<T = unknown>(args: string[], opts: { db?: string; env?: NodeJS.ProcessEnv } = {}): T {
  const r = runCli(args, opts);
  if (r.status !== 0) throw new Error(`ptlab ${args.join(' ')} exited ${r.status} (${r.signal ?? ''}): ${r.stderr.slice(0, 2000)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch (e) {
    throw new Error(`ptlab ${args.join(' ')}: stdout is not JSON (${(e as Error).message}): ${r.stdout.slice(0, 500)}`);
  }
}

/** Starts `ptlab <args>` in the background (stdout/stderr collected). */
export function spawnCli(args: string[], opts: { db?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exited: () => boolean } {
  const child = spawn(process.execPath, ['bin/ptlab.mjs', ...args], { cwd: ROOT, env: cliEnv(opts.db, opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.on('exit', () => (done = true));
  return { child, output: () => ({ stdout, stderr }), exited: () => done || child.exitCode !== null || child.signalCode !== null };
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A copy of a ptlab.results/1 run without the fields that legitimately differ between two identical runs. */
export function stripWall<T extends { runs: { metrics: Record<string, number> }[] }>(doc: T): T {
  const copy = structuredClone(doc);
  for (const r of copy.runs) delete r.metrics['wall.ms'];
  return copy;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Minimal shapes of the CLI's JSON documents (the public contract of SPEC §6). */
export interface TraceStepJson {
  step: number;
  cpu: number | null;
  actor: string;
  function: string;
  action: string;
  address: string | null;
  [k: string]: unknown;
}
export interface ViolationJson {
  kind: string;
  step: number;
  cpu: number | null;
  actor: string;
  function: string;
  address: string | null;
  trace: TraceStepJson[];
  [k: string]: unknown;
}
export interface RunJson {
  id: string | null;
  scenario: string;
  strategy: string;
  mode: string;
  seed: number;
  status: string;
  violations: ViolationJson[];
  violationCounts: Record<string, number>;
  metrics: Record<string, number>;
  schedule?: number[];
  [k: string]: unknown;
}
export interface ResultsJson {
  schema: string;
  runs: RunJson[];
  summary: unknown;
  [k: string]: unknown;
}
export interface ListJson {
  schema: string;
  runs: { id: string; scenario: string; strategy: string; mode: string; seed: number; status: string; violationCount: number; kinds: string[]; tags: string[] }[];
}
