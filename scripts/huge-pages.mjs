// Transparent huge pages for the numerics' large blocks (issue 13). glibc's malloc gives every block over
// 32 MiB a fresh mmap and unmaps it on free, so each ONNX run that allocates its [n, m] intermediates
// without an arena (the traced-NTK step, the forward pass) pays one page fault per 4 KiB page, again at every
// tracked step: measured ~0.5 s of a ~1 s traced-NTK step at n = 1000, m = 10000. With
// `glibc.malloc.hugetlb=1` glibc asks for transparent huge pages on those mappings (madvise), 512× fewer
// faults, the same memory. With `glibc.malloc.arena_max=1` every thread (the engine's, the theory thread,
// onnxruntime's pool, the eigensolvers' helpers) allocates from one arena, so memory one thread frees is
// reused by the next instead of each thread's arena faulting in fresh pages and keeping them: measured at
// n = 1000, m = 10000, 3 alternating triples, peak RSS 790–796 → 700–736 MiB, the whole run 8.3–8.4 → 7.4–7.8 s,
// step 0's record 1.31–1.34 → 0.97–1.00 s after the run's start (arena_max=2: in between).
// A tunable is read when the process starts, so the launchers set them for the processes they spawn. They are
// harmless where they do not apply (non-glibc libc, THP off); elsewhere than Linux nothing is set.
// NTK_WORKBENCH_HUGEPAGES=0 turns both off; a setting of the user's own for either is kept.

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';
export const ARENA_TUNABLE = 'glibc.malloc.arena_max=1';
/** Every tunable the launchers add, in order. */
export const MALLOC_TUNABLES = [HUGE_PAGES_TUNABLE, ARENA_TUNABLE];
/**
 * Added for commands that end with their work (`train`, `experiment`, `sweep`, `ntk`), not for the long-lived
 * server or app: blocks below 32 MiB come from the heap from the first one on (glibc's default starts at 128 KiB
 * and rises only as mapped blocks are freed), and up to 256 MiB of freed heap stays mapped (the default trims
 * above twice the mmap threshold): the [n/4, m] intermediates each step frees are reused by the next step instead
 * of being returned and faulted in again. Both together (setting either alone turns glibc's adjustment of both off:
 * the trim threshold alone left every block above 128 KiB a fresh mapping, ~430 000 faults and 10 s instead of 6).
 * Measured on issue 13's run (n = 1000, m = 10 000), 8 alternating pairs: minor faults 27–34 000 → 22–26 000,
 * system time 0.62–1.2 → 0.60–0.86 s, the whole run 0.13–1.0 s (median ~0.18 s) shorter in 7 of them, peak RSS
 * the same (440–505 MiB both ways). A long-lived process would keep that freed heap resident after a large run.
 */
export const BATCH_TUNABLES = ['glibc.malloc.mmap_threshold=33554432', 'glibc.malloc.trim_threshold=268435456'];

const key = (tunable) => tunable.split('=')[0];

/** True when `env` should get the tunables: Linux, not turned off, no hugetlb setting of its own. */
export function wantsHugePages(env = process.env, platform = process.platform) {
  if (platform !== 'linux' || env.NTK_WORKBENCH_HUGEPAGES === '0') return false;
  return !(env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb');
}

/**
 * `env` with the tunables added to GLIBC_TUNABLES (other tunables kept, and a setting of its own for any of ours
 * instead of ours), or `env` itself when not wanted. `batch`: also {@link BATCH_TUNABLES}, for a process that ends
 * with its work.
 */
export function hugePagesEnv(env = process.env, platform = process.platform, { batch = false } = {}) {
  if (!wantsHugePages(env, platform)) return env;
  const own = (env.GLIBC_TUNABLES ?? '').split(':').filter((x) => x !== '');
  const added = [...MALLOC_TUNABLES, ...(batch ? BATCH_TUNABLES : [])].filter((t) => !own.some((x) => key(x) === key(t)));
  return { ...env, GLIBC_TUNABLES: [...own, ...added].join(':') };
}

/** Removes the tunables {@link hugePagesEnv} adds (for programs measured as their users run them: the NumPy scripts). */
export function withoutHugePages(env = process.env) {
  const t = (env.GLIBC_TUNABLES ?? '').split(':').filter((x) => x !== '' && !MALLOC_TUNABLES.includes(x) && !BATCH_TUNABLES.includes(x));
  const out = { ...env };
  if (t.length > 0) out.GLIBC_TUNABLES = t.join(':');
  else delete out.GLIBC_TUNABLES;
  return out;
}

const PARENT_ENV = 'NTK_WORKBENCH_PARENT_PID';

/**
 * Node flags of the child: V8 semi-spaces of 1 MiB for its own thread, as the engine's threads get through
 * ENGINE_THREAD_LIMITS (src/main/engine/protocol.ts; measured there). A flag of the same name among the
 * command's own node flags is kept instead.
 */
export const HEAVY_NODE_FLAGS = ['--max-semi-space-size=1'];

/** The node flags the child of a process started with `execArgv` gets (its own, then ours it has not set). */
export function heavyExecArgv(execArgv = process.execArgv) {
  const name = (flag) => flag.split('=')[0].replace(/_/g, '-');
  return [...execArgv, ...HEAVY_NODE_FLAGS.filter((f) => !execArgv.some((a) => name(a) === name(f)))];
}

/**
 * Runs `node [execArgv] ...args` again with the tunable (and {@link HEAVY_NODE_FLAGS}), in a child with a process group of its own (so every
 * signal reaches it once, forwarded from here), and exits as it does (its code, or its signal re-raised). The
 * child, whose environment then has the tunable, returns at once, having arranged to die (SIGKILL) should this
 * process be killed outright. Returns at once too where the tunable is not wanted (see {@link wantsHugePages}).
 * `batch`: the command ends with its work ({@link BATCH_TUNABLES}).
 */
export async function rerunWithHugePages(args, { batch = false } = {}) {
  if (process.env[PARENT_ENV]) {
    const parent = Number(process.env[PARENT_ENV]);
    delete process.env[PARENT_ENV];
    setInterval(() => {
      if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
    }, 250).unref();
    return;
  }
  if (!wantsHugePages()) return;
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...heavyExecArgv(), ...args], {
    stdio: 'inherit',
    detached: true,
    env: { ...hugePagesEnv(process.env, process.platform, { batch }), [PARENT_ENV]: String(process.pid) },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((resolve) => {
    child.once('error', (e) => {
      process.stderr.write(`could not start ${args[0] ?? 'the command'} again: ${e.message}\n`);
      resolve(1);
    });
    child.once('exit', (c, sig) => {
      if (sig) {
        process.removeAllListeners(sig);
        process.kill(process.pid, sig);
      }
      resolve(c ?? 1);
    });
  });
  process.exit(code);
}
