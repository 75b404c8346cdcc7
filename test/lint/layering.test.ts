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

describe('import layering (SPEC §1), enforced by ESLint', () => {
  it('core/ may not import node:, electron, better-sqlite3, db or electron code', async () => {
    for (const imp of ["import { readFileSync } from 'node:fs';", "import Database from 'better-sqlite3';", "import { app } from 'electron';", "import { LabDb } from '../db/index.ts';", "import { LabService } from '../electron/lab/service.ts';"]) {
      expect(await errors(`${imp}\nexport const x = 1;\n`, 'core/bad.ts'), imp).toContainEqual(expect.stringContaining('no-restricted-imports'));
    }
  });
  it('core/ may not use Math.random or a clock', async () => {
    expect((await errors('export const r = Math.random();\n', 'core/bad.ts'))[0]).toContain('seeded Prng');
    expect((await errors('export const t = Date.now();\n', 'core/bad.ts'))[0]).toContain('no clock');
  });
  it('the lab service may not import electron; db may not import electron code', async () => {
    expect(await errors("import { app } from 'electron';\nexport const a = app;\n", 'electron/lab/bad.ts')).toContainEqual(expect.stringContaining('no-restricted-imports'));
    expect(await errors("import { LabService } from '../electron/lab/service.ts';\nexport const s = LabService;\n", 'db/bad.ts')).toContainEqual(expect.stringContaining('no-restricted-imports'));
  });
  it('core importing core is fine', async () => {
    expect(await errors("import { Prng } from './prng.ts';\nexport const p = new Prng(1);\n", 'core/ok.ts')).toEqual([]);
  });
});
