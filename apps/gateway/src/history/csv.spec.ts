import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv.js';

describe('CSV of history rows', () => {
  it('writes a header and one CRLF line per row, numbers as they are and null as an empty cell', () => {
    const rows = [
      { value: '/pricing', count: 12, visitors: 7 },
      { value: '/', count: 3, visitors: null },
    ];
    const csv = toCsv(
      [
        { header: 'value', value: (r: (typeof rows)[number]) => r.value },
        { header: 'count', value: (r) => r.count },
        { header: 'visitors', value: (r) => r.visitors },
      ],
      rows,
    );
    expect(csv).toBe('value,count,visitors\r\n/pricing,12,7\r\n/,3,\r\n');
  });

  it('quotes a cell with a comma, a quote or a line break, doubling its quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('plain')).toBe('plain');
  });

  it('keeps a spreadsheet from running a tracked value as a formula', () => {
    for (const formula of ['=HYPERLINK("http://evil")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvCell(formula).replace(/^"/, '').startsWith("'"), formula).toBe(true);
    }
    expect(csvCell('=1,2')).toBe(`"'=1,2"`);
    expect(csvCell(-5)).toBe('-5');
  });
});
