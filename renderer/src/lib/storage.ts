/**
 * UI state that survives a reload or a restart (the last screen, Library
 * filters and selection, the Designer's draft), as JSON in localStorage under
 * one prefix. A value that no longer parses is dropped, never trusted.
 */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class UiStore {
  constructor(
    private readonly backing: KeyValueStore,
    private readonly prefix = 'ptlab.ui.',
  ) {}

  get<T>(key: string, fallback: T, check: (v: unknown) => boolean = () => true): T {
    try {
      const raw = this.backing.getItem(this.prefix + key);
      if (raw === null) return fallback;
      const v: unknown = JSON.parse(raw);
      return check(v) ? (v as T) : fallback;
    } catch {
      return fallback;
    }
  }

  set(key: string, value: unknown): void {
    try {
      if (value === undefined) this.backing.removeItem(this.prefix + key);
      else this.backing.setItem(this.prefix + key, JSON.stringify(value));
    } catch {
      // A full or disabled storage loses only the restore-on-restart convenience.
    }
  }
}

/** A store that forgets on reload (tests, or a browser with storage disabled). */
export function memoryStore(): KeyValueStore {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  };
}
