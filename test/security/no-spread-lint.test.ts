/**
 * No spread of an unbounded array into a call (issue 11): `Math.max(...xs)`
 * or `out.push(...rows)` passes every element as an argument and overflows
 * the stack past ~100,000 elements. ESLint refuses the pattern outside core/
 * (core/ has its own owner; see the report).
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The snippets are linted as files that do not exist on disk, which the type-aware rules' project service cannot
// load: parse them without type information (the rules checked here need none).
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/switch-exhaustiveness-check': 'off', '@typescript-eslint/no-floating-promises': 'off' },
  },
});

async function errors(code: string, filePath: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return r.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('spreading an array into a call is a lint error', () => {
  it.each([
    'export const m = (xs: number[]): number => Math.max(...xs);',
    'export const m = (xs: number[]): number => Math.min(0, ...xs);',
    'export const f = (a: string[], b: string[]): void => { a.push(...b); };',
    'export const f = (a: string[], b: string[]): void => { a.unshift(...b); };',
    'export const f = (a: string[], b: string[]): void => { a.splice(0, 0, ...b); };',
    'export const s = (c: number[]): string => String.fromCharCode(...c);',
    'export const m = (xs: number[]): number => Math.max.apply(null, xs);',
  ])('%s', async (code) => {
    for (const file of ['electron/cli/bad.ts', 'db/bad.ts', 'electron/report/bad.ts', 'bin/bad.mjs']) {
      expect(await errors(`${code}\n`, file), file).toContainEqual(expect.stringContaining('no-restricted-syntax'));
    }
  });

  it('a loop, reduce, or a spread into an array literal is fine', async () => {
    const code = [
      'export const m = (xs: number[]): number => xs.reduce((a, b) => (b > a ? b : a), -Infinity);',
      'export const c = (a: string[], b: string[]): string[] => [...a, ...b];',
      'export const f = (a: string[], b: string[]): void => { for (const x of b) a.push(x); };',
      'export const g = (o: object): object => ({ ...o });',
    ].join('\n');
    expect(await errors(`${code}\n`, 'electron/cli/ok.ts')).toEqual([]);
  });

  it('the code base has no such call outside core/', async () => {
    const results = await eslint.lintFiles(['db', 'electron', 'bin', 'test']);
    const hits = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => `${r.filePath}:${m.line}`));
    expect(hits).toEqual([]);
  });
});
