/**
 * A one-page PDF for the fake lab's exportRuns({format: 'pdf'}): the title
 * and one line per run in Helvetica, enough for a download to open in a
 * viewer and for text extraction to find the verdicts. (The app's real PDF
 * is the HTML report printed by Chromium in the main process.)
 */

/** Text inside a PDF string: backslash, parentheses escaped; outside Latin-1 replaced. */
function pdfText(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
}

/** The PDF, base64-encoded (as ExportedFile carries binary formats). */
export function minimalPdf(title: string, lines: string[]): string {
  const shown = lines.slice(0, 48);
  const text = [`BT /F1 16 Tf 50 790 Td (${pdfText(title)}) Tj ET`, ...shown.map((l, i) => `BT /F1 10 Tf 50 ${760 - i * 14} Td (${pdfText(l)}) Tj ET`)];
  if (lines.length > shown.length) text.push(`BT /F1 10 Tf 50 ${760 - shown.length * 14} Td (... and ${lines.length - shown.length} more) Tj ET`);
  const content = text.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return btoa(pdf);
}
