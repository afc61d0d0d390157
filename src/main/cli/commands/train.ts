/** `train`: one training run into a run folder. */
import type { Command } from 'commander';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { exitCodeFor, WorkbenchException } from '../../../shared/api/result';
import { EngineHost } from '../../services/engineHost';
import { driveRun } from '../../services/runDriver';
import { errln, fmt, out, printJson, readConfig, type CliState } from '../common';

/** Registers `train` on the program. */
export function register(p: Command, state: CliState): void {
  p.command('train')
    .description('train an autoencoder and write a run folder (config.json, metrics.ndjson, status.json)')
    .requiredOption('--config <file>', 'config JSON (see `ntk-workbench config`)')
    .requiredOption('--out <dir>', 'run folder to create')
    .option('--json', 'print only the JSON summary on stdout')
    .option('--threads <n>', 'threads of the native compute backend and of the large symmetric products of the eigenvalue solvers (default: every core)')
    .action(async (o: { config: string; out: string; json?: boolean; threads?: string }) => {
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
        throw new WorkbenchException('invalid-request', `--threads: expected a positive integer, got '${o.threads}'`);
      }
      const config = await readConfig(o.config);
      const ac = new AbortController();
      const onSig = (): void => ac.abort();
      process.once('SIGINT', onSig);
      let lastPrint = 0;
      /** the newest step a progress line named: held records that follow their loss points don't go back */
      let printedStep = -1;
      const progress = (step: number, loss: number | null): void => {
        const now = Date.now();
        if (step > printedStep && (now - lastPrint > 500 || step === config.steps)) {
          lastPrint = now;
          printedStep = step;
          errln(`step ${step}/${config.steps}  loss ${fmt(loss)}`);
        }
      };
      const said = new Set<string>();
      // The newest tracked record's verdict: a network collapsed to the zero output is said once, as it happens.
      let collapse: { message: string } | null = null;
      // A batch run has no window to keep responsive: every core by default.
      const host = new EngineHost({ threads: threads ?? availableParallelism() });
      const res = await driveRun({
        config,
        runDir: path.resolve(o.out),
        engine: host,
        signal: ac.signal,
        // The meta comes at set-up and again with the theory (after step 0): each line is said once.
        onMeta: (m) => {
          if (said.size === 0)
            errln(`backend ${m.backend} (${m.dtype}); n=${m.n} d=${m.d} m=${m.m}; η_W=${fmt(m.learningRates.encoder)} η_V=${fmt(m.learningRates.decoder)}`);
          said.add('');
          // L(θ₀) comes with the set-up's meta, before step 0's record (which waits for H(0) and its eigenvalues).
          if (m.initialLoss !== undefined && !said.has('L0')) {
            said.add('L0');
            errln(`initial loss ${fmt(m.initialLoss)}${m.initialLossMs !== undefined ? ` (set up in ${fmt(m.initialLossMs / 1000, 3)} s)` : ''}`);
          }
          for (const w of m.warnings) {
            if (!said.has(w)) errln(`warning: ${w}`);
            said.add(w);
          }
        },
        onRecords: (records) => {
          for (const r of records) {
            if (r.tracked) {
              if (r.tracked.collapse && !collapse) errln(`warning: ${r.tracked.collapse.message}`);
              collapse = r.tracked.collapse ?? null;
            }
            progress(r.step, r.loss);
          }
        },
        // Losses of steps whose records wait for the theory: the progress goes on meanwhile.
        onAhead: (points) => {
          for (const p of points) progress(p.step, p.loss);
        },
      }).finally(() => host.dispose());
      process.off('SIGINT', onSig);
      const summary = {
        status: res.outcome.status,
        reason: res.outcome.reason,
        ...(res.outcome.status === 'failed' ? { error: res.outcome.error } : {}),
        runDir: res.runDir,
        lastStep: res.lastStep,
        initialLoss: res.firstRecord?.loss ?? null,
        finalLoss: res.lastRecord?.loss ?? null,
        lossRatio: res.lastRecord?.lossRatio ?? null,
        backend: res.meta?.backend ?? null,
        dtype: res.meta?.dtype ?? null,
        learningRates: res.meta?.learningRates ?? null,
        collapse,
      };
      if (o.json) printJson(summary);
      else {
        out(`${res.outcome.status}: ${res.outcome.reason}`);
        out(`steps ${res.lastStep}, loss ${fmt(summary.initialLoss)} → ${fmt(summary.finalLoss)}; run folder ${res.runDir}`);
        if (collapse) out(`warning: ${(collapse as { message: string }).message}`);
      }
      if (res.outcome.status === 'failed') {
        if (!o.json) errln(`ntk-workbench train: ${res.outcome.error.message}`);
        state.code = exitCodeFor(res.outcome.error.code);
      }
    });
}
