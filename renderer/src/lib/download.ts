/** Save an exported file through the browser: a Blob behind an `<a download>`. */
import type { ExportedFile } from './api.ts';

export function downloadFile(doc: Document, file: ExportedFile): void {
  const bytes = file.encoding === 'base64' ? Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0)) : file.data;
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mime }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = file.filename;
  a.rel = 'noopener';
  doc.body.append(a);
  a.click();
  a.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
