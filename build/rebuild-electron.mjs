// `npm run rebuild:electron`: builds better-sqlite3 for Electron's ABI into
// dist/native/electron/better_sqlite3.node, leaving node_modules alone (the
// CLI and the tests keep using the Node build there). It copies the package
// into a scratch folder, runs @electron/rebuild on the copy against the
// installed Electron's version, and keeps only the binary; the main process
// loads it with LabDb.open(file, { nativeBinding }).
//
// It needs the Electron headers (downloaded from electronjs.org by
// @electron/rebuild) and a C++ toolchain; where the headers cannot be
// downloaded it fails with that reason and changes nothing.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
// node_modules may be shared between checkouts (worktrees): the scratch copy goes to the temp folder.
const scratch = mkdtempSync(join(tmpdir(), 'ptlab-electron-native-'));
const target = join(root, 'dist', 'native', 'electron', 'better_sqlite3.node');

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
const electronAbi = readFileSync(join(electronDir, 'abi_version'), 'utf8').trim();
const sqliteDir = dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;

mkdirSync(join(scratch, 'node_modules'), { recursive: true });
const fail = (message) => {
  process.stderr.write(`rebuild:electron failed: ${message}\n`);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(1);
};
writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'ptlab-electron-native', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }, null, 2));
// Without the Node build's build/ folder, so nothing of it can pass for the result.
cpSync(sqliteDir, join(scratch, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (src) => src !== join(sqliteDir, 'build') });
for (const dep of ['bindings', 'file-uri-to-path', 'prebuild-install']) {
  const d = join(root, 'node_modules', dep);
  if (existsSync(d)) cpSync(d, join(scratch, 'node_modules', dep), { recursive: true });
}

process.stdout.write(`rebuilding better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (ABI ${electronAbi}, ${process.platform}-${process.arch})\n`);
const { rebuild } = await import('@electron/rebuild');
try {
  await rebuild({ buildPath: scratch, electronVersion, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)} (it needs the Electron ${electronVersion} headers from electronjs.org and a C++ toolchain)`);
}
const built = join(scratch, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(built)) fail(`${built} was not produced`);
// A build for Electron must be refused by this Node, naming Electron's ABI. A toolchain that could not get
// Electron's headers may quietly compile against Node's own instead; such a binary would crash the app.
let loadError = '';
try {
  process.dlopen({ exports: {} }, built);
} catch (e) {
  loadError = e instanceof Error ? e.message : String(e);
}
if (!loadError.includes(`NODE_MODULE_VERSION ${electronAbi}`)) {
  fail(
    loadError === ''
      ? `the build came out for this Node's ABI (${process.versions.modules}), not Electron's (${electronAbi}): node-gyp compiled against Node's headers because it could not get Electron ${electronVersion}'s`
      : `the build does not look like an Electron ${electronVersion} module: ${loadError.split('\n')[0]}`,
  );
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
rmSync(scratch, { recursive: true, force: true });
process.stdout.write(`wrote ${target}\n`);
