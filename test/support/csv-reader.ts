/**
 * A CSV file (RFC 4180) read into records keyed by its header, for comparing the history API's
 * CSV with its JSON. Written apart from the gateway's writer: quoted cells, doubled quotes, CRLF.
 * A cell a spreadsheet would run as a formula comes with a leading apostrophe: `unformula` takes
 * it off, so the cell reads as the value the JSON holds.
 */
export function readCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || record.length > 0) throw new Error('the CSV does not end with CRLF');
  const [header, ...rows] = records;
  if (!header) throw new Error('no header line');
  return rows.map((r) => {
    if (r.length !== header.length) throw new Error(`a line of ${r.length} cells under a header of ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, r[i]!]));
  });
}

export const unformula = (cell: string): string => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);
