/** The glibc tunable the launchers set: transparent huge pages for malloc's large mappings. */
export const HUGE_PAGES_TUNABLE: string;
/** The glibc tunable the launchers set beside it: one malloc arena for all threads. */
export const ARENA_TUNABLE: string;
/** Every tunable the launchers add, in order. */
export const MALLOC_TUNABLES: string[];
/** The heap thresholds added for commands that end with their work (not the server or the app). */
export const BATCH_TUNABLES: string[];
/** True when `env` should get the tunable: Linux, not turned off (NTK_WORKBENCH_HUGEPAGES=0), not already set. */
export function wantsHugePages(env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform): boolean;
/**
 * `env` with the tunables added to GLIBC_TUNABLES (a setting of its own for any of them kept), with `batch` also
 * {@link BATCH_TUNABLES}, or `env` itself when not wanted.
 */
export function hugePagesEnv(env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform, opts?: { batch?: boolean }): NodeJS.ProcessEnv;
/** `env` without the tunables {@link hugePagesEnv} adds (other tunables kept). */
export function withoutHugePages(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** Node flags of the heavy commands' child: V8 semi-spaces of 1 MiB for its own thread. */
export const HEAVY_NODE_FLAGS: string[];
/** `execArgv`, then those of {@link HEAVY_NODE_FLAGS} it does not set itself. */
export function heavyExecArgv(execArgv?: string[]): string[];
/**
 * Runs `node [execArgv] ...args` again in a child with the tunable and {@link HEAVY_NODE_FLAGS} and exits as it does; in that child (or
 * where the tunable is not wanted) it returns at once. `batch`: the command ends with its work ({@link BATCH_TUNABLES}).
 */
export function rerunWithHugePages(args: string[], opts?: { batch?: boolean }): Promise<void>;
