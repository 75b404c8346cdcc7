// ESLint flat config. The import-layering rule of SPEC §1 lives here:
// core/ is pure (no node:, Electron, DB or DOM-side code), db/ sees only core,
// the lab service and CLI never import electron, the renderer sees only
// core and the IPC contract's types.
import svelte from 'eslint-plugin-svelte';
import svelteParser from 'svelte-eslint-parser';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'url', 'util', 'events', 'stream', 'http', 'https', 'net', 'perf_hooks', 'timers'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules (issue 10): a switch over a union must handle every member, and no promise may be dropped
    // unhandled. The renderer's TypeScript has its own project (renderer/tsconfig.json, checked by svelte-check).
    files: ['**/*.ts'],
    ignores: ['renderer/**', 'test/renderer/**'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // In the simulator a `default:` does not count: a switch over the ops (core/machine/ops.ts Op) names every op, so adding
    // one cannot fall silently into a default that treats it as local (what made explore's old parallel switch unsound).
    files: ['core/**/*.ts'],
    ignores: ['core/schema/**'],
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
    },
  },
  {
    // Spreading an array into a call passes each element as an argument: past ~100 000 elements it
    // overflows the stack (issue 11: a 200 000-row table, a 140 000-step trace). Use a loop or reduce.
    // core/ is left out until its two bounded uses (machine/sim.ts, layout.ts) are rewritten by its owner.
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    ignores: ['core/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Math'] > SpreadElement", message: 'Math.max/min(...xs) overflows the stack on long arrays: use a loop or reduce.' },
        { selector: "CallExpression[callee.property.name=/^(push|unshift|splice|concat)$/] > SpreadElement", message: 'push(...xs) overflows the stack on long arrays: loop, or build the array with [...a, ...b].' },
        { selector: "CallExpression[callee.object.name='String'] > SpreadElement", message: 'String.fromCharCode(...xs) overflows the stack on long arrays.' },
        { selector: "CallExpression[callee.property.name='apply'][callee.object.object.name='Math']", message: 'Math.max.apply(null, xs) overflows the stack on long arrays: use a loop or reduce.' },
      ],
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, 'electron', 'better-sqlite3'].map((name) => ({ name, message: 'core/ is pure: it runs in workers, tests and the browser.' })),
          patterns: [
            { group: ['node:*'], message: 'core/ is pure: no node: imports.' },
            { group: ['**/db/**', '**/electron/**', '**/renderer/**', 'electron/*'], message: 'core/ may import nothing outside core/.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'window', message: 'core/ has no DOM.' }, { name: 'document', message: 'core/ has no DOM.' }, { name: 'process', message: 'core/ reads no environment.' }],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'every random choice goes through a seeded Prng.' },
        { object: 'Date', property: 'now', message: 'core/ reads no clock.' },
        { object: 'performance', property: 'now', message: 'core/ reads no clock.' },
      ],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'db/ is plain Node.' }], patterns: [{ group: ['**/electron/**', '**/renderer/**'], message: 'db/ may import only core types.' }] }],
    },
  },
  {
    files: ['electron/lab/**/*.ts', 'electron/cli/**/*.ts', 'electron/report/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'the lab service, CLI and reports must run without Electron.' }], patterns: [{ group: ['**/renderer/**'], message: 'the main side does not import the renderer.' }] }],
    },
  },
  {
    // Svelte components: parsed (their TypeScript too) so the rules, layering included, see them.
    files: ['renderer/**/*.svelte'],
    plugins: { svelte },
    processor: 'svelte/svelte',
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: svelte.configs.recommended.find((c) => c.name === 'svelte:recommended:rules').rules,
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, 'electron', 'better-sqlite3'].map((name) => ({ name, message: 'the renderer has no Node.' })),
          patterns: [
            { group: ['node:*', '**/db/**'], message: 'the renderer imports core and the IPC contract types only.' },
            // A regex, not a negated glob: a glob cannot re-include api.ts once electron/** has excluded its folder.
            { regex: '(^|/)electron/(?!lab/api\\.ts$)', message: 'the renderer imports core and the IPC contract types only.' },
            { group: ['**/electron/lab/api.ts'], allowTypeImports: true, message: 'the renderer imports only the types of the IPC contract (import type).' },
          ],
        },
      ],
    },
  },
);
