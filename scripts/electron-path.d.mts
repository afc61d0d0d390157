/** Path of the downloaded Electron binary, or null with the reason. */
export function findElectronBinary(): { path: string | null; reason: string };
