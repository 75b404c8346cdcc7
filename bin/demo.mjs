#!/usr/bin/env node
// `npm run demo`: a short guided tour of the engine through the CLI (the
// scenarios, a race found and shown as a kernel trace, a cost run). `npm start`
// opens the app instead. Nothing here needs a terminal to answer questions.
import { loadCli } from './load-cli.mjs';

const { main: cli } = await loadCli();
// Every run of the demo also gets this tag, and the next `npm run demo` deletes the
// runs that have it first: the demo replaces its previous runs instead of adding
// 626 more each time. Runs the user tagged `demo` themselves are left alone.
const DEMO_TAG = 'npm-start-demo';
const main = (argv) => cli(argv[0] === 'run' ? [...argv, '--tag', DEMO_TAG] : argv);

const say = (s) => process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m${s}\x1b[0m\n` : `\n${s}\n`);
say('PT Lab — the guided CLI demo (runs are saved to your PT Lab database; `npm start` opens the app).');

await cli(['delete', '--tag', DEMO_TAG]);

say('1. The scenarios:');
await main(['scenarios']);

say('2. Is it safe? thread-race (the race from the V5 review), 100 random interleavings per strategy:');
let code = await main(['run', '--scenario', 'thread-race', '--seeds', '100', '--no-traces', '--tag', 'demo']);

say('3. The counterexample for the reviewed teardown (v5-reviewed: V5 with the review\'s ordering fixes), as a kernel trace:');
code ||= await main(['run', '--scenario', 'thread-race', '--strategy', 'v5-reviewed', '--seed', '3', '--seeds', '20', '--tag', 'demo']);

say('4. What does it cost? head-to-head for 20 simulated ms (the full preset runs 1 s):');
code ||= await main(['run', '--scenario', 'head-to-head', '--mode', 'timed', '--set', 'run.durationNs=20000000', '--no-traces', '--tag', 'demo']);

say('Saved runs: `npx ptlab list --tag demo`; compare them with `npx ptlab compare <id> <id> --report report.html`.');
process.exitCode = code;
