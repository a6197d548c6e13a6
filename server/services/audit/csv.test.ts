// CSV cells as a spreadsheet will read them: quoted, quotes doubled, formulas kept as text.
import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './csv';

describe('audit CSV cells', () => {
  it('quotes every field and doubles inner quotes; line breaks stay inside the quotes', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell('a "b", c\r\nd')).toBe('"a ""b"", c\r\nd"');
    expect(csvLine(['x', null, 3])).toBe('"x","","3"\r\n');
  });

  it.each(['=HYPERLINK("http://evil")', '+1', '-1+2', '@SUM(A1)', '\tcmd', '\rcmd'])('a cell starting like a formula (%j) is kept as text', (v) => {
    expect(csvCell(v).startsWith(`"'`)).toBe(true);
  });

  it('dates are ISO instants and objects JSON', () => {
    expect(csvCell(new Date('2026-01-02T03:04:05Z'))).toBe('"2026-01-02T03:04:05.000Z"');
    expect(csvCell({ a: '=1' })).toBe('"{""a"":""=1""}"');
  });
});
