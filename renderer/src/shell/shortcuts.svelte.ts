/**
 * Keyboard shortcuts: every screen registers its keys with a description,
 * so the help overlay (?) always lists exactly what works where you are.
 * Keys are written like "mod+a" (Ctrl, or ⌘ on macOS), "shift+arrowdown",
 * "g l" (g, then l) or "?".
 */
export interface Binding {
  keys: string;
  description: string;
  /** Heading in the help overlay, e.g. "Library". */
  group: string;
  run: (e: KeyboardEvent) => void;
  /** Also fires while typing in a field (for mod+… and Escape). */
  whenTyping?: boolean;
  /** Only while this holds (e.g. Escape closes the help only when it is open). */
  when?: () => boolean;
  /** Left out of the help (one of a family the help lists once, e.g. g then each digit). */
  hidden?: boolean;
}

const SEQUENCE_MS = 1500;

/** The key name of an event, as bindings spell it. */
function keyName(e: KeyboardEvent): string {
  if (e.key === ' ') return 'space';
  return e.key.toLowerCase();
}

function describe(e: KeyboardEvent): string {
  const key = keyName(e);
  const printable = key.length === 1 && key !== 'space';
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push('mod');
  if (e.altKey) parts.push('alt');
  // Shift is part of a printable character already ("?" is shift+/).
  if (e.shiftKey && !printable) parts.push('shift');
  parts.push(key);
  return parts.join('+');
}

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== 'string') return false;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable || el.closest?.('.cm-editor') != null;
}

export class Shortcuts {
  bindings = $state.raw<Binding[]>([]);
  private pending: string | null = null;
  private pendingAt = 0;

  constructor(private readonly mac = false) {}

  /** Register bindings; returns the function that removes them. */
  add(list: Binding[]): () => void {
    this.bindings = [...this.bindings, ...list];
    return () => {
      this.bindings = this.bindings.filter((b) => !list.includes(b));
    };
  }

  /** Run the binding for this key event, if any; true when one ran. */
  handle(e: KeyboardEvent): boolean {
    if (e.repeat && !/arrow|page|home|end/.test(e.key.toLowerCase())) return false;
    const d = describe(e);
    // Space and Enter on a focused button or link press it; they are not shortcuts there.
    const el = e.target as HTMLElement | null;
    if ((d === 'space' || d === 'enter') && el && typeof el.closest === 'function' && el.closest('button, a[href], [role=button], summary')) return false;
    const typing = isTyping(e.target);
    const now = e.timeStamp || 0;
    const candidates = this.pending && now - this.pendingAt < SEQUENCE_MS ? [`${this.pending} ${d}`, d] : [d];
    this.pending = null;
    for (const c of candidates) {
      // Latest registration wins, so a screen can override a global key.
      for (let i = this.bindings.length - 1; i >= 0; i--) {
        const b = this.bindings[i];
        if (b.keys !== c || (typing && !b.whenTyping) || (b.when && !b.when())) continue;
        e.preventDefault();
        b.run(e);
        return true;
      }
    }
    if (!typing && this.bindings.some((b) => b.keys.startsWith(`${d} `))) {
      this.pending = d;
      this.pendingAt = now;
      return true;
    }
    return false;
  }

  /** "mod+shift+a" as the user reads it: "Ctrl Shift A" (or ⌘ on macOS). */
  label(keys: string): string {
    return keys
      .split(' ')
      .map((chord) =>
        chord
          .split('+')
          .map((p) => ({ mod: this.mac ? '⌘' : 'Ctrl', alt: this.mac ? '⌥' : 'Alt', shift: 'Shift', arrowdown: '↓', arrowup: '↑', escape: 'Esc', delete: 'Del', space: 'Space', enter: 'Enter', pagedown: 'PgDn', pageup: 'PgUp', home: 'Home', end: 'End' })[p] ?? (p.length === 1 ? p : p[0].toUpperCase() + p.slice(1)))
          .join(' '),
      )
      .join(' then ');
  }
}
