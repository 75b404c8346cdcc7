/** Formatting shared by the screens: durations, sizes, counts, dates, run ids. */

/** 1234 -> "1.2 s", 95 -> "95 ms", 3_600_000 -> "1 h 0 min". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Simulated nanoseconds with a unit that keeps 3 digits: 18304133 -> "18.3 ms". */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** Short count: 1234567 -> "1.23M". */
export function formatShort(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(n / 1e3).toPrecision(3)}k`;
  if (a < 10 && !Number.isInteger(n)) return n.toFixed(1);
  return String(Math.round(n));
}

/** Binary size: 2199023255552 -> "2 TiB", 4222976 -> "4.03 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? String(v) : v.toPrecision(3);
  return `${text} ${units[u]}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local date and time to the minute: "2026-03-02 10:30". */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The first block of a UUID, enough to tell runs apart in a list. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}

/** A hex kernel address as the kernel prints it (16 digits, no 0x), grouped for reading if asked. */
export function hexAddress(hex: string, grouped = false): string {
  const h = hex.replace(/^0x/, '').padStart(16, '0');
  return grouped ? `${h.slice(0, 8)}_${h.slice(8)}` : h;
}

/** "1 run" / "3 runs". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
