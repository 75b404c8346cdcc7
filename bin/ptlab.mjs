#!/usr/bin/env node
// The ptlab command: the CLI built into dist/ (see load-cli.mjs). Nothing here
// writes to the install, so a user who cannot write it can run ptlab.
import { loadCli } from './load-cli.mjs';

// A failure outside main() (loading the CLI, a crash in a callback) is a bug:
// exit 70 with one line, like main's own internal errors, never 1, 2 or 3.
const crash = (e) => {
  const debug = process.argv.includes('--debug') || process.env.PTLAB_DEBUG === '1';
  process.stderr.write(`ptlab: internal error: ${debug && e instanceof Error ? e.stack : e instanceof Error ? `${e.name}: ${e.message}` : String(e)}${debug ? '' : ' (a bug in PT Lab; run again with --debug for the stack)'}\n`);
  process.exit(70);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
