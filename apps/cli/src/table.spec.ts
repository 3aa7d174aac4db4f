import { describe, expect, it } from 'vitest';
import { formatTable } from './table.js';

describe('formatTable', () => {
  it('aligns every column on its widest cell', () => {
    expect(formatTable([['TOPIC', 'PARTITIONS'], ['clickstream.events', '6'], ['x', '12']], '  ')).toBe(
      ['  TOPIC               PARTITIONS', '  clickstream.events  6', '  x                   12', ''].join('\n'),
    );
  });
});
