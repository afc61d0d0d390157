/**
 * Where the files of `resources/` (icons, sample data) are at run time: beside the app in a packaged build
 * (electron-builder copies them to process.resourcesPath, see electron-builder.json's extraResources),
 * in the repository's resources/ folder when run from source. No electron import: the caller passes
 * app.isPackaged, process.resourcesPath and app.getAppPath().
 */
import path from 'node:path';

export interface ResourceRoots {
  packaged: boolean;
  /** process.resourcesPath */
  resourcesPath: string;
  /** app.getAppPath(): the repository root when run from source */
  appPath: string;
}

/** The path of a file under resources/, e.g. resourcePath(roots, 'icons', '256x256.png'). */
export function resourcePath(roots: ResourceRoots, ...parts: string[]): string {
  return roots.packaged ? path.join(roots.resourcesPath, ...parts) : path.join(roots.appPath, 'resources', ...parts);
}

/** The window and about-box icon: a PNG on Linux and Windows (macOS takes the bundle's .icns). */
export function windowIconPath(roots: ResourceRoots): string {
  return resourcePath(roots, 'icons', '256x256.png');
}
