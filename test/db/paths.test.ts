import { describe, expect, it } from 'vitest';
import { defaultDbPath, resolveDbPath } from '../../db/paths.ts';

describe('defaultDbPath', () => {
  it('follows XDG on Linux', () => {
    expect(defaultDbPath({ XDG_DATA_HOME: '/data/ada' }, 'linux', '/home/ada')).toBe('/data/ada/ptlab/ptlab.db');
    expect(defaultDbPath({}, 'linux', '/home/ada')).toBe('/home/ada/.local/share/ptlab/ptlab.db');
    // The XDG spec says a relative path is invalid and must be ignored.
    expect(defaultDbPath({ XDG_DATA_HOME: 'relative/dir' }, 'linux', '/home/ada')).toBe('/home/ada/.local/share/ptlab/ptlab.db');
    expect(defaultDbPath({ XDG_DATA_HOME: '' }, 'freebsd', '/home/ada')).toBe('/home/ada/.local/share/ptlab/ptlab.db');
  });

  it('uses Application Support on macOS', () => {
    expect(defaultDbPath({ XDG_DATA_HOME: '/ignored' }, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/PT Lab/ptlab.db');
  });

  it('uses %APPDATA% on Windows', () => {
    expect(defaultDbPath({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\PT Lab\\ptlab.db',
    );
    expect(defaultDbPath({}, 'win32', 'C:\\Users\\ada')).toBe('C:\\Users\\ada\\AppData\\Roaming\\PT Lab\\ptlab.db');
  });
});

describe('resolveDbPath', () => {
  it('prefers the flag, then PTLAB_DB, then the default', () => {
    const env = { PTLAB_DB: '/env/lab.db', XDG_DATA_HOME: '/data' };
    expect(resolveDbPath('/flag/lab.db', env)).toBe('/flag/lab.db');
    expect(resolveDbPath(undefined, env)).toBe('/env/lab.db');
    expect(resolveDbPath('', env)).toBe('/env/lab.db');
    expect(resolveDbPath(undefined, { PTLAB_DB: '' }).endsWith('ptlab.db')).toBe(true);
  });
});
