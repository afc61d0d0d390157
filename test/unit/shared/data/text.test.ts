import { describe, expect, it } from 'vitest';
import { decodeTextFile } from '../../../../src/shared/data/text';

describe('decodeTextFile() (issue 21, item 13)', () => {
  it('reads UTF-8 (dropping a byte-order mark) and UTF-16 LE/BE with their byte-order marks', () => {
    expect(decodeTextFile(Buffer.from('\ufeffa,b\n1,2\n', 'utf8'), 'f')).toEqual({ ok: true, text: 'a,b\n1,2\n', encoding: 'utf-8' });
    expect(decodeTextFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('é,1\n', 'utf16le')]), 'f')).toMatchObject({
      ok: true,
      text: 'é,1\n',
      encoding: 'utf-16le',
    });
    const be = Buffer.from('é,1\n', 'utf16le').swap16();
    expect(decodeTextFile(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'f')).toMatchObject({ ok: true, text: 'é,1\n', encoding: 'utf-16be' });
  });

  it('refuses UTF-16 without a byte-order mark, NUL bytes and invalid UTF-8, naming the file and what to do', () => {
    const r = decodeTextFile(Buffer.from('x,y\n1,2\n', 'utf16le'), 'data.csv');
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/^data\.csv looks like UTF-16 little-endian .*save it as UTF-8/) });
    expect(decodeTextFile(Buffer.from('x,y\n1,2\n', 'utf16le').swap16(), 'd')).toEqual({ ok: false, message: expect.stringContaining('UTF-16 big-endian') });
    expect(decodeTextFile(Buffer.from([0x31, 0x2c, 0x00, 0x32, 0x0a, 0x33, 0x2c, 0x34, 0x0a, 0x35]), 'd')).toEqual({
      ok: false,
      message: expect.stringContaining('NUL'),
    });
    const latin1 = Buffer.from('caf\xe9,1\n2,3\n', 'latin1');
    expect(decodeTextFile(latin1, 'd')).toEqual({ ok: false, message: expect.stringMatching(/not UTF-8 text \(invalid byte near offset [34]\b/) });
  });
});
