/**
 * Where each value of a JSON text sits, by path: the JSON editor puts a
 * field's error under the value the path names (or under the nearest
 * enclosing value when the field is missing). Works on text JSON.parse
 * accepts; on anything else it returns what it read so far.
 */
import { pathString, type Segment } from './schema.ts';

export interface Span {
  from: number;
  to: number;
  /** For an object member: where its key starts. */
  keyFrom?: number;
}

export function jsonSpans(text: string, root = 'scenario'): Map<string, Span> {
  const spans = new Map<string, Span>();
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const value = (segs: Segment[], keyFrom?: number): void => {
    ws();
    const from = i;
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') i++;
      else {
        while (i < text.length) {
          ws();
          const k = i;
          const key = str();
          ws();
          i++; // colon
          value([...segs, key], k);
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          i++; // closing brace
          break;
        }
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') i++;
      else {
        for (let n = 0; i < text.length; n++) {
          value([...segs, n]);
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          i++;
          break;
        }
      }
    } else if (c === '"') str();
    else while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    spans.set(pathString(root, segs), { from, to: i, ...(keyFrom !== undefined ? { keyFrom } : {}) });
  };
  try {
    value([]);
  } catch {
    // Malformed text: keep the spans read so far.
  }
  return spans;
}

/** The span for a path, or for its nearest ancestor present in the text. */
export function spanFor(spans: Map<string, Span>, path: string): Span | undefined {
  let p = path;
  for (;;) {
    const s = spans.get(p);
    if (s) return s;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}
