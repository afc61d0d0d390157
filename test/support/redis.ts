/**
 * A real redis-server for tests (Debian's package; `.ci/run` installs it): started on 127.0.0.1 at a free
 * port in a temp folder, without persistence (`--save '' --appendonly no`), and stopped by the test. No Docker.
 * `stop()` then `start()` again on the same port simulates an outage (the restarted server has lost every key).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The redis-server binary, or null with the reason it cannot run here. */
export function redisServerBinary(): { bin: string } | { bin: null; why: string } {
  const bin = process.env.REDIS_SERVER_PATH ?? 'redis-server';
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { bin: null, why: `${bin} is not installed (apt-get install -y redis-server, as .ci/run does)` };
  return { bin };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.write('PING\r\n');
        c.once('data', (d) => {
          c.destroy();
          resolve(d.toString().includes('PONG') || d.toString().includes('NOAUTH'));
        });
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A redis-server the test owns. */
export class TestRedis {
  private proc: ChildProcess | null = null;
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-redis-'));
  private constructor(
    readonly bin: string,
    readonly port: number,
    readonly password: string | null,
  ) {}

  /** Starts a server at a free port (with `requirepass` when a password is given). */
  static async start(bin: string, opts: { password?: string } = {}): Promise<TestRedis> {
    const r = new TestRedis(bin, await freePort(), opts.password ?? null);
    await r.start();
    return r;
  }

  /** redis://[:password@]127.0.0.1:port */
  get url(): string {
    return `redis://${this.password ? `:${encodeURIComponent(this.password)}@` : ''}127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on its port; a restarted server holds no keys. */
  async start(): Promise<void> {
    if (this.proc) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--daemonize', 'no'];
    if (this.password) args.push('--requirepass', this.password);
    this.proc = spawn(this.bin, args, { stdio: 'ignore' });
    await waitForPort(this.port, 10_000);
  }

  /** Stops the server (SIGKILL: an outage, not a shutdown) and waits until the process has exited. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = null;
    if (p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  /** Stops the server and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
