/** The app's version: package.json's, the one place it is written. */
import pkg from '../../../package.json';

/** The app's version (package.json `version`): the CLI's --version, run folders, archives, the about box. */
export const APP_VERSION: string = pkg.version;
