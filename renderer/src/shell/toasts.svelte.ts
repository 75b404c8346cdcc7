/** Short messages at the bottom of the window; some carry one action (Undo). */
export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error' | 'success';
  action?: { label: string; run: () => void };
}

export class Toasts {
  items = $state.raw<Toast[]>([]);
  private next = 1;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  /** Show a toast for `ms` (errors stay until dismissed); returns its id. */
  show(message: string, opts: { tone?: Toast['tone']; action?: Toast['action']; ms?: number } = {}): number {
    const id = this.next++;
    const tone = opts.tone ?? 'info';
    this.items = [...this.items.slice(-4), { id, message, tone, ...(opts.action ? { action: opts.action } : {}) }];
    const ms = opts.ms ?? (tone === 'error' ? 0 : opts.action ? 15_000 : 4_000);
    if (ms > 0) this.timers.set(id, setTimeout(() => this.dismiss(id), ms));
    return id;
  }

  error(message: string): number {
    return this.show(message, { tone: 'error' });
  }

  dismiss(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.items = this.items.filter((t) => t.id !== id);
  }
}
