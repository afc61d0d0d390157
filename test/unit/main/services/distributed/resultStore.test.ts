import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INCOMING_PREFIX, removeIncoming, writeCellResult } from '../../../../../src/main/services/distributed/resultStore';
import { collectRunFiles, isTransferablePath } from '../../../../../src/main/services/distributed/runFiles';
import { realFs, type FsLayer } from '../../../../../src/main/services/fsAtomic';
import type { ResultFile } from '../../../../../src/main/services/distributed/protocol';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-results-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (p: string, text: string): ResultFile => ({ path: p, base64: Buffer.from(text).toString('base64') });
const files = (tag: string): ResultFile[] => [
  file('config.json', `{"tag":"${tag}"}`),
  file('status.json', '{}'),
  file('metrics.ndjson', '{"step":0}\n'),
  file('params/final.npz', tag),
];

describe('writeCellResult()', () => {
  it('writes the folder once; a second delivery of the same cell is a duplicate and changes nothing', () => {
    const target = path.join(dir, 'c-1');
    expect(writeCellResult(target, files('first'))).toBe('written');
    expect(writeCellResult(target, files('second'))).toBe('duplicate');
    expect(readFileSync(path.join(target, 'config.json'), 'utf8')).toBe('{"tag":"first"}');
    expect(readFileSync(path.join(target, 'params/final.npz'), 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['c-1']);
  });

  it('when another delivery wins the rename, the loser discards its temp folder', () => {
    const target = path.join(dir, 'c-2');
    // the other delivery's folder appears between the existence check and the rename
    const racing: FsLayer = {
      ...realFs,
      renameSync: (from, to) => {
        mkdirSync(to);
        writeFileSync(path.join(to, 'status.json'), 'winner');
        realFs.renameSync(from, to);
      },
    };
    expect(writeCellResult(target, files('late'), racing)).toBe('duplicate');
    expect(readdirSync(dir)).toEqual(['c-2']);
    expect(readFileSync(path.join(target, 'status.json'), 'utf8')).toBe('winner');
  });

  it('a failed write leaves neither the folder nor a temp folder, and names the folder', () => {
    const target = path.join(dir, 'c-3');
    const full: FsLayer = {
      ...realFs,
      writeSync: () => {
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    };
    expect(() => writeCellResult(target, files('x'), full)).toThrow(/c-3.*disk is full/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(['../evil.json', '/etc/passwd', 'params/../../x', 'owner.json', 'checkpoints/.tmp-1', 'params/sub/deep.npz'])('refuses the file path %s', (p) => {
    expect(() => writeCellResult(path.join(dir, 'c-4'), [file(p, 'x')])).toThrow(/refusing the file/);
    expect(existsSync(path.join(dir, 'c-4'))).toBe(false);
  });

  it('removeIncoming() clears what a killed write left', () => {
    mkdirSync(path.join(dir, `${INCOMING_PREFIX}c-5-1-ab`));
    mkdirSync(path.join(dir, 'c-6'));
    expect(removeIncoming(dir)).toBe(1);
    expect(readdirSync(dir)).toEqual(['c-6']);
  });
});

describe('collectRunFiles()', () => {
  it('sends the run folder files, checkpoints only on request, never temp or owner files', async () => {
    const run = path.join(dir, 'run');
    mkdirSync(path.join(run, 'params'), { recursive: true });
    mkdirSync(path.join(run, 'checkpoints'));
    for (const f of ['config.json', 'status.json', 'metrics.ndjson', 'owner.json', 'params/final.npz', 'params/.final.npz.tmp-1', 'checkpoints/ckpt-10.bin'])
      writeFileSync(path.join(run, f), f);
    const names = (await collectRunFiles(run, { withCheckpoints: false })).map((f) => f.path);
    expect(names.sort()).toEqual(['config.json', 'metrics.ndjson', 'params/final.npz', 'status.json']);
    const withCk = (await collectRunFiles(run, { withCheckpoints: true })).map((f) => f.path);
    expect(withCk).toContain('checkpoints/ckpt-10.bin');
    for (const n of withCk) expect(isTransferablePath(n)).toBe(true);
  });

  it('refuses a folder above the size limit', async () => {
    const run = path.join(dir, 'big');
    mkdirSync(run);
    writeFileSync(path.join(run, 'metrics.ndjson'), 'x'.repeat(2000));
    await expect(collectRunFiles(run, { withCheckpoints: false, maxBytes: 1000 })).rejects.toThrow(/larger than/);
  });
});
