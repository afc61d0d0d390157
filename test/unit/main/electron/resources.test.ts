import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resourcePath, windowIconPath } from '../../../../src/main/electron/resources';

const repo = path.resolve(import.meta.dirname, '../../../..');

describe('resourcePath()', () => {
  it('finds resources/ in the repository from source and beside the app when packaged', () => {
    expect(resourcePath({ packaged: false, resourcesPath: '/opt/x/resources', appPath: '/src/ntk' }, 'samples', 'iris.csv')).toBe(
      path.join('/src/ntk', 'resources', 'samples', 'iris.csv'),
    );
    expect(resourcePath({ packaged: true, resourcesPath: '/opt/x/resources', appPath: '/opt/x/resources/app.asar' }, 'icons', '256x256.png')).toBe(
      path.join('/opt/x/resources', 'icons', '256x256.png'),
    );
  });

  it('points the window icon at a 256×256 PNG that exists in the repository', () => {
    const p = windowIconPath({ packaged: false, resourcesPath: '', appPath: repo });
    expect(existsSync(p)).toBe(true);
    const png = readFileSync(p);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([256, 256]);
  });
});
