/**
 * Dropping files onto a screen (the Library imports runs, the Trace viewer
 * opens a counterexample): an attachment that accepts only drags carrying
 * files, counts enter/leave pairs so that moving over a child does not end
 * the drag, and reports whether a drag is over the element so the screen can
 * show its drop hint.
 */
import type { Attachment } from 'svelte/attachments';

export interface FileDropHandlers {
  /** The dropped files (never empty). */
  drop: (files: FileList) => void;
  /** A file drag entered (true) or left / was dropped (false). */
  over: (over: boolean) => void;
}

function carriesFiles(e: DragEvent): boolean {
  return [...(e.dataTransfer?.types ?? [])].includes('Files');
}

export function fileDrop(handlers: FileDropHandlers): Attachment<HTMLElement> {
  return (el) => {
    let depth = 0;
    const enter = (e: DragEvent): void => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      if (depth++ === 0) handlers.over(true);
    };
    const dragover = (e: DragEvent): void => {
      if (carriesFiles(e)) e.preventDefault();
    };
    const leave = (): void => {
      if (depth === 0) return;
      if (--depth === 0) handlers.over(false);
    };
    const drop = (e: DragEvent): void => {
      e.preventDefault();
      if (depth > 0) handlers.over(false);
      depth = 0;
      const files = e.dataTransfer?.files;
      if (files && files.length > 0) handlers.drop(files);
    };
    el.addEventListener('dragenter', enter);
    el.addEventListener('dragover', dragover);
    el.addEventListener('dragleave', leave);
    el.addEventListener('drop', drop);
    return () => {
      el.removeEventListener('dragenter', enter);
      el.removeEventListener('dragover', dragover);
      el.removeEventListener('dragleave', leave);
      el.removeEventListener('drop', drop);
    };
  };
}
