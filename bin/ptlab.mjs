#!/usr/bin/env node
// The ptlab command: the TypeScript CLI, run as one bundle (see bundled.mjs).
import { importBundled } from './bundled.mjs';

const { main } = await importBundled('electron/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
