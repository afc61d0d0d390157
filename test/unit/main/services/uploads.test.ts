import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UploadStore, UPLOADS_DIR } from '../../../../src/main/services/uploads';
import { UPLOAD_ID_PATTERN } from '../../../../src/shared/api/upload';
import { tempDir } from './sessionFixtures';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('UploadStore', () => {
  it('stores bytes from a buffer or a stream under an unguessable id and reads them back by kind', async () => {
    const dir = tempDir();
    const u = new UploadStore(dir);
    const a = await u.put('csv', 'a.csv', bytes('1,2\n'));
    const b = await u.put('csv', 'b.csv', Readable.from([Buffer.from('3,'), Buffer.from('4\n')]));
    expect(a.uploadId).toMatch(UPLOAD_ID_PATTERN);
    expect(a.uploadId).not.toBe(b.uploadId);
    expect((await u.readText(a.uploadId, 'csv')).text).toBe('1,2\n');
    expect(await u.readText(b.uploadId, 'csv')).toEqual({ name: 'b.csv', text: '3,4\n' });
    expect(fs.readdirSync(path.join(dir, UPLOADS_DIR)).sort()).toEqual([a.uploadId, b.uploadId].sort());
  });

  it('refuses more bytes than the limit (nothing kept) and unknown or foreign ids with not-found', async () => {
    const dir = tempDir();
    const u = new UploadStore(dir);
    await expect(u.put('csv', 'big.csv', Readable.from([Buffer.alloc(40), Buffer.alloc(40)]), 64)).rejects.toMatchObject({ code: 'too-large' });
    expect(fs.readdirSync(path.join(dir, UPLOADS_DIR))).toEqual([]);
    await expect(u.read('up-000000000000000000000000', 'csv')).rejects.toMatchObject({ code: 'not-found' });
    await expect(u.read('../../etc/passwd', 'csv')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('decodes UTF-16 with a byte-order mark and refuses other encodings with a hint', async () => {
    const u = new UploadStore(tempDir());
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('x,y\n1,2\n', 'utf16le')]);
    const { uploadId } = await u.put('csv', 'excel.txt', le);
    expect((await u.readText(uploadId, 'csv')).text).toBe('x,y\n1,2\n');
    const bare = await u.put('csv', 'bare.txt', Buffer.from('x,y\n1,2\n', 'utf16le'));
    await expect(u.readText(bare.uploadId, 'csv')).rejects.toMatchObject({ code: 'invalid-data', message: expect.stringMatching(/UTF-16.*save it as UTF-8/) });
  });

  it('keeps at most maxTotalBytes (the oldest go first), drops uploads unused for the ttl, and clears leftovers at start', async () => {
    const dir = tempDir();
    let t = 0;
    const u = new UploadStore(dir, { maxTotalBytes: 100, ttlMs: 1000, now: () => t });
    const a = await u.put('csv', 'a', Buffer.alloc(60));
    t = 10;
    const b = await u.put('csv', 'b', Buffer.alloc(30));
    t = 20;
    const c = await u.put('csv', 'c', Buffer.alloc(30)); // 120 > 100: a goes
    await expect(u.read(a.uploadId, 'csv')).rejects.toMatchObject({ code: 'not-found' });
    expect(u.totalBytes).toBe(60);
    t = 2000;
    await u.put('csv', 'd', Buffer.alloc(1)); // b and c unused for 1.99 s: gone
    await expect(u.read(b.uploadId, 'csv')).rejects.toMatchObject({ code: 'not-found' });
    await expect(u.read(c.uploadId, 'csv')).rejects.toMatchObject({ code: 'not-found' });
    fs.writeFileSync(path.join(dir, UPLOADS_DIR, '.part-up-0123456789abcdef01234567'), 'half');
    fs.writeFileSync(path.join(dir, UPLOADS_DIR, 'notes.txt'), 'not ours');
    const fresh = new UploadStore(dir);
    expect(await fresh.clear()).toBe(2);
    expect(fs.readdirSync(path.join(dir, UPLOADS_DIR))).toEqual(['notes.txt']);
  });
});
