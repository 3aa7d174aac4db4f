/**
 * CSV (RFC 4180) of the history API's rows: a header of the given columns, one line per row,
 * CRLF line ends. A cell holding a comma, a quote or a line break is quoted, its quotes doubled.
 * Values come from tracked pages (paths, referrers, event names), so a cell that a spreadsheet
 * would run as a formula (starting with =, +, -, @, a tab or a carriage return) gets a leading
 * apostrophe, which spreadsheets take as "text" (OWASP's advice on CSV injection). Numbers are
 * written as they are; null is an empty cell.
 */
export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<Row>(columns: readonly { header: string; value: (row: Row) => CsvValue }[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
