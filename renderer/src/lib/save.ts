/**
 * Handing an exported file to the user, the one way each transport can: the
 * desktop app asks the main process (`saveFile` shows the save dialog and
 * writes the file), web mode downloads it through the browser. The shell
 * picks once (main.ts knows whether `window.ptlab` exists); screens only
 * see `app.saveFile` and what it did.
 */
import type { ExportedFile, LabClient } from './api.ts';

export type SaveOutcome = { kind: 'saved'; path: string } | { kind: 'cancelled' } | { kind: 'downloaded'; filename: string };

export type FileSaver = (file: ExportedFile) => Promise<SaveOutcome>;

export function fileSaver(opts: { desktop: boolean; client: LabClient; download: (file: ExportedFile) => void }): FileSaver {
  if (opts.desktop) {
    return async (file) => {
      const path = await opts.client.saveFile({ file });
      return path === null ? { kind: 'cancelled' } : { kind: 'saved', path };
    };
  }
  return async (file) => {
    opts.download(file);
    return { kind: 'downloaded', filename: file.filename };
  };
}

/** What happened, for a toast: "Saved to …", "Downloaded …", or null when the user cancelled. */
export function savedWords(outcome: SaveOutcome): string | null {
  switch (outcome.kind) {
    case 'saved':
      return `Saved to ${outcome.path}`;
    case 'downloaded':
      return `Downloaded ${outcome.filename}`;
    default:
      return null;
  }
}
