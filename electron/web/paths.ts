/**
 * Where the project's files are, whether this code runs from its sources
 * (tests, tsx), from the CLI's esbuild bundle (in node_modules/.cache) or
 * from another build: the nearest folder above this module whose
 * package.json is PT Lab's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'ptlab') return dir;
      } catch {
        // An unreadable package.json is not ours; keep looking.
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find PT Lab's package.json above ${from}`);
    dir = up;
  }
}

/** The built renderer (vite build output). */
export function rendererDir(root = projectRoot()): string {
  return join(root, 'dist', 'renderer');
}
