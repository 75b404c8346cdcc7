/**
 * A chart spec written as a standalone SVG document: axes with ticks in the
 * chart's units, the lines or bars of the visible window, a legend and the
 * caption. uPlot draws to a canvas, so the SVG export is drawn here from
 * the same data (nothing external, fonts generic, colours resolved).
 */
import { type AxisUnit, type ChartSpec, formatAxis } from './charts.ts';

export interface SvgView {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export interface SvgTheme {
  background: string;
  text: string;
  muted: string;
  grid: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round tick positions over [min, max] (about `count` of them). */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Powers of the base within [min, max] (min > 0). */
export function logTicks(min: number, max: number, base: number): number[] {
  const lo = Math.floor(Math.log(Math.max(min, Number.MIN_VALUE)) / Math.log(base));
  const hi = Math.ceil(Math.log(max) / Math.log(base));
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) {
    const v = base ** e;
    if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
  }
  return out.length ? out : [min, max];
}

function label(unit: AxisUnit, v: number): string {
  return formatAxis(unit, v);
}

/** The SVG document of a chart as shown (the view is the visible window of its scales). */
export function chartSvg(spec: ChartSpec, view: SvgView, width: number, height: number, theme: SvgTheme): string {
  const legendRows = Math.ceil(spec.series.length / Math.max(1, Math.floor((width - 60) / 170)));
  const m = { left: 72, right: 16, top: 40, bottom: 44 + legendRows * 18 + 18 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xLog = spec.xLog ?? null;
  const yLog = spec.yLog ?? false;
  const tx = (v: number): number => {
    if (xLog) return m.left + ((Math.log(v) - Math.log(view.xMin)) / (Math.log(view.xMax) - Math.log(view.xMin) || 1)) * pw;
    return m.left + ((v - view.xMin) / (view.xMax - view.xMin || 1)) * pw;
  };
  const ty = (v: number): number => {
    if (yLog) return m.top + ph - ((Math.log10(Math.max(v, view.yMin)) - Math.log10(view.yMin)) / (Math.log10(view.yMax) - Math.log10(view.yMin) || 1)) * ph;
    return m.top + ph - ((v - view.yMin) / (view.yMax - view.yMin || 1)) * ph;
  };
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="${esc(theme.background)}"/>`);
  parts.push(`<text x="${m.left}" y="22" font-size="14" font-weight="600" fill="${esc(theme.text)}">${esc(spec.title)}</text>`);
  if (spec.note) parts.push(`<text x="${width - m.right}" y="22" font-size="11" text-anchor="end" fill="${esc(theme.muted)}">${esc(spec.note)}</text>`);

  // Grid and ticks.
  const yt = spec.yTicks ? spec.yTicks.filter((t) => t.value >= view.yMin && t.value <= view.yMax) : (yLog ? logTicks(view.yMin, view.yMax, 10) : linearTicks(view.yMin, view.yMax)).map((v) => ({ value: v, label: label(spec.yUnit, v) }));
  for (const t of yt) {
    const y = ty(t.value).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="${esc(theme.grid)}"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" font-size="11" text-anchor="end" dominant-baseline="middle" fill="${esc(theme.muted)}">${esc(t.label)}</text>`);
  }
  const xt =
    spec.kind === 'bars' && spec.categories
      ? spec.categories.map((c, i) => ({ value: i, label: c })).filter((t) => t.value >= view.xMin && t.value <= view.xMax)
      : (xLog ? logTicks(view.xMin, view.xMax, xLog) : linearTicks(view.xMin, view.xMax, 6)).map((v) => ({ value: v, label: label(spec.xUnit, v) }));
  for (const t of xt) {
    const x = tx(t.value).toFixed(1);
    if (spec.kind !== 'bars') parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="${esc(theme.grid)}"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 16}" font-size="11" text-anchor="middle" fill="${esc(theme.muted)}">${esc(t.label)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="${esc(theme.grid)}"/>`);
  parts.push(`<clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath>`);

  // Data.
  const data: string[] = [];
  if (spec.kind === 'bars') {
    const n = spec.series.length;
    spec.series.forEach((s, k) => {
      s.values.forEach((v, i) => {
        if (v === null || (yLog && v <= 0)) return;
        const left = tx(i - 0.4 + (k * 0.8) / n);
        const right = tx(i - 0.4 + ((k + 1) * 0.8) / n);
        const top = ty(v);
        data.push(`<rect x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0.5, right - left - 1).toFixed(1)}" height="${Math.max(0, m.top + ph - top).toFixed(1)}" fill="${esc(s.color)}"><title>${esc(`${s.label}: ${label(spec.yUnit, v)}`)}</title></rect>`);
      });
    });
  } else {
    for (const s of spec.series) {
      const pts: string[] = [];
      s.values.forEach((v, i) => {
        const x = spec.x[i];
        if (v === null || x < view.xMin || x > view.xMax || (xLog && x <= 0)) return;
        pts.push(`${tx(x).toFixed(1)},${ty(v).toFixed(1)}`);
      });
      if (pts.length === 0) continue;
      const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
      data.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${esc(s.color)}" stroke-width="1.5"${dash}><title>${esc(s.label)}</title></polyline>`);
      if (spec.points) for (const p of pts) data.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${esc(s.color)}"/>`);
    }
  }
  parts.push(`<g clip-path="url(#plot)">${data.join('')}</g>`);

  // Legend and caption.
  const perRow = Math.max(1, Math.floor((width - 60) / 170));
  spec.series.forEach((s, i) => {
    const x = m.left + (i % perRow) * 170;
    const y = m.top + ph + 36 + Math.floor(i / perRow) * 18;
    const dash = s.dash?.length ? ` stroke-dasharray="${s.dash.join(' ')}"` : '';
    parts.push(`<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${esc(s.color)}" stroke-width="3"${dash}/>`);
    parts.push(`<text x="${x + 22}" y="${y}" font-size="11" fill="${esc(theme.text)}">${esc(s.label)}</text>`);
  });
  parts.push(`<text x="${m.left}" y="${height - 8}" font-size="11" fill="${esc(theme.muted)}">${esc(spec.caption)}</text>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">${parts.join('')}</svg>\n`;
}
