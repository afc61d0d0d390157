// Transparent huge pages for the numerics' large blocks (issue 13). glibc's malloc gives every block over
// 32 MiB a fresh mmap and unmaps it on free, so each ONNX run that allocates its [n, m] intermediates
// without an arena (the traced-NTK step, the forward pass) pays one page fault per 4 KiB page, again at every
// tracked step: measured ~0.5 s of a ~1 s traced-NTK step at n = 1000, m = 10000. With
// `glibc.malloc.hugetlb=1` glibc asks for transparent huge pages on those mappings (madvise), 512× fewer
// faults, the same memory. A tunable is read when the process starts, so the launchers set it for the
// processes they spawn. It is harmless where it does not apply (non-glibc libc, THP off); elsewhere than
// Linux nothing is set. NTK_WORKBENCH_HUGEPAGES=0 turns it off.

export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** True when `env` should get the tunable: Linux, not turned off, no hugetlb setting of its own. */
export function wantsHugePages(env = process.env, platform = process.platform) {
  if (platform !== 'linux' || env.NTK_WORKBENCH_HUGEPAGES === '0') return false;
  return !(env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.hugetlb');
}

/** `env` with the tunable added to GLIBC_TUNABLES (other tunables kept), or `env` itself when not wanted. */
export function hugePagesEnv(env = process.env, platform = process.platform) {
  if (!wantsHugePages(env, platform)) return env;
  const t = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: t ? `${t}:${HUGE_PAGES_TUNABLE}` : HUGE_PAGES_TUNABLE };
}

/** Removes the tunable {@link hugePagesEnv} adds (for programs measured as their users run them: the NumPy scripts). */
export function withoutHugePages(env = process.env) {
  const t = (env.GLIBC_TUNABLES ?? '').split(':').filter((x) => x !== '' && x !== HUGE_PAGES_TUNABLE);
  const out = { ...env };
  if (t.length > 0) out.GLIBC_TUNABLES = t.join(':');
  else delete out.GLIBC_TUNABLES;
  return out;
}

const PARENT_ENV = 'NTK_WORKBENCH_PARENT_PID';

/**
 * Runs `node [execArgv] ...args` again with the tunable, in a child with a process group of its own (so every
 * signal reaches it once, forwarded from here), and exits as it does (its code, or its signal re-raised). The
 * child, whose environment then has the tunable, returns at once, having arranged to die (SIGKILL) should this
 * process be killed outright. Returns at once too where the tunable is not wanted (see {@link wantsHugePages}).
 */
export async function rerunWithHugePages(args) {
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
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    stdio: 'inherit',
    detached: true,
    env: { ...hugePagesEnv(), [PARENT_ENV]: String(process.pid) },
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
