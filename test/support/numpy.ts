/** Whether python3 with NumPy is on this machine, and a helper to run a short Python script. */
import { spawnSync } from 'node:child_process';

let cached: { ok: boolean; reason: string } | null = null;

/** True (with a reason when false) if `python3 -c "import numpy"` works here. */
export function numpyAvailable(): { ok: boolean; reason: string } {
  if (cached) return cached;
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  cached =
    r.status === 0
      ? { ok: true, reason: `NumPy ${r.stdout.trim()}` }
      : { ok: false, reason: r.error ? `python3 not found (${r.error.message})` : `python3 has no NumPy (${(r.stderr || '').trim().split('\n').pop()})` };
  if (!cached.ok) process.stdout.write(`[numpy checks skipped] ${cached.reason}\n`);
  return cached;
}

/** Runs a Python script with arguments; returns stdout (throws with stderr on failure). */
export function python(script: string, ...args: string[]): string {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}
