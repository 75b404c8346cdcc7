/**
 * docs/SECURITY.md points at the lines that handle each item of Electron's
 * security checklist; this keeps those pointers true as the code moves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'SECURITY.md'), 'utf8');
const lines = (file: string): string[] => readFileSync(join(root, file), 'utf8').split('\n');

/** What must stand on the referenced line. */
const EXPECT: Record<string, string> = {
  'electron/main/policy.ts:38': 'contextIsolation: true',
  'electron/main/policy.ts:39': 'sandbox: true',
  'electron/main/policy.ts:43': 'webSecurity: true',
  'electron/main/policy.ts:44': 'allowRunningInsecureContent: false',
  'electron/main/policy.ts:45': 'experimentalFeatures: false',
  'electron/main/policy.ts:46': 'webviewTag: false',
  'electron/main/policy.ts:47': 'navigateOnDragDrop: false',
  'electron/main/policy.ts:50': 'devTools',
  'electron/main/policy.ts:75': 'EXTERNAL_HOSTS',
  'electron/main/policy.ts:80': 'isExternalAllowed',
  'electron/main/policy.ts:96': 'navigationDecision',
  'electron/main/policy.ts:101': 'windowOpenDecision',
  'electron/main/policy.ts:110': 'permissionDecision',
  'electron/main/policy.ts:115': 'webviewDecision',
  'electron/main/policy.ts:131': 'senderVerdict',
  'electron/main/main.ts:30': 'registerSchemesAsPrivileged',
  'electron/main/main.ts:66': 'nativeBinding',
  'electron/main/main.ts:137': 'will-attach-webview',
  'electron/main/main.ts:132': 'setWindowOpenHandler',
  'electron/main/main.ts:167': 'loadURL(APP_URL)',
  'electron/main/main.ts:180': 'requestSingleInstanceLock',
  'electron/main/main.ts:204': 'protocol.handle',
  'electron/main/ipc.ts:30': 'senderVerdict(event.senderFrame)',
  'electron/main/protocol.ts:19': 'APP_SCHEME_PRIVILEGES',
  'electron/main/protocol.ts:27': 'securityHeaders()',
  'electron/main/protocol.ts:40': 'resolveStatic',
  'electron/lab/dispatch.ts:45': 'checkArgs(method, args)',
  'electron/preload.ts:42': 'exposeInMainWorld',
  'electron/web/headers.ts:20': 'appCsp',
  'electron/web/headers.ts:28': 'connect-src',
  'package.json:55': '"electron"',
};

describe('docs/SECURITY.md', () => {
  const refs = [...doc.matchAll(/`([\w./-]+\.(?:ts|mjs|json)):(\d+(?:[-,]\d+)*)`/g)].map((m) => ({ file: m[1], nums: m[2].split(/[-,]/).map(Number) }));

  it('lists all 20 checklist items', () => {
    for (let i = 1; i <= 20; i++) expect(doc, `item ${i}`).toMatch(new RegExp(`^\\| ${i} \\|`, 'm'));
  });

  it('points only at lines that exist', () => {
    expect(refs.length).toBeGreaterThan(20);
    for (const r of refs) {
      expect(existsSync(join(root, r.file)), r.file).toBe(true);
      for (const n of r.nums) expect(n, `${r.file}:${n}`).toBeLessThanOrEqual(lines(r.file).length);
    }
  });

  it('points at the lines that do what it says', () => {
    for (const [ref, token] of Object.entries(EXPECT)) {
      const [file, n] = ref.split(':');
      expect(doc.includes(ref) || refs.some((r) => r.file === file && r.nums.includes(Number(n))), `${ref} is cited`).toBe(true);
      expect(lines(file)[Number(n) - 1], ref).toContain(token);
    }
  });
});
