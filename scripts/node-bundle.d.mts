// Types of scripts/node-bundle.mjs (imported by the browser-mode server to run its engine workers from the bundle).
export declare const repoRoot: string;
export declare const bundleDir: string;
export declare function sourceStamp(root?: string): string;
export declare function currentBundle(root?: string): string | null;
export declare function buildBundle(root?: string): Promise<string>;
export declare function ensureBundle(root?: string): Promise<{ cli: string; worker: string }>;
