/** Minimal PDFs (Helvetica text, exact xref offsets) written by hand, for conversion tests. */

/** A PDF of the given objects (object i + 1 is `objects[i]`; object 1 must be the catalog). */
function pdfOf(objects: readonly string[]): Buffer {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A valid PDF showing `text` (ASCII without parentheses or backslashes) on one page. */
export function tinyPdf(text: string): Buffer {
  return sharedContentPdf(1, `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`);
}

/**
 * A PDF of `pages` pages that all draw the one content stream `stream` — the page amplification
 * attack: the file holds the stream once, a reader extracts it once per page.
 */
export function sharedContentPdf(pages: number, stream: string): Buffer {
  const FIRST_PAGE = 5;
  const kids = Array.from({ length: pages }, (_, i) => `${FIRST_PAGE + i} 0 R`).join(' ');
  const page =
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>';
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`,
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    ...Array.from({ length: pages }, () => page),
  ]);
}

/**
 * A content stream of `lines` lines of `text`, each a fifth of a point below the last, so that even
 * thousands of them stay on the page (a reader extracts them all).
 */
export function textLines(text: string, lines: number): string {
  const line = `(${text}) Tj T* `;
  return `BT /F1 10 Tf 0.2 TL 72 780 Td ${line.repeat(lines)}ET`;
}
