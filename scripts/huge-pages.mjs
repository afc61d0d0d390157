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
