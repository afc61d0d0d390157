/**
 * One self-contained HTML report of a session or a set of runs: provenance, the config of every run (the
 * fields that differ marked), the theory values, the final results and every chart as inline SVG. It holds
 * no script and references nothing outside itself (its CSP forbids any load), so it opens offline and
 * can be mailed or attached to a paper's supplement as one file.
 */
import { readTheory } from '../../../shared/charts/theory';
import { DEFAULT_VIEW, FIGURES, runFigures } from '../../../shared/charts/figures';
import { FIGURE_HEIGHT, FIGURE_WIDTH, figureHeight, publicationStyle } from '../../../shared/charts/publication';
import { differingConfigKeys } from '../../../shared/export/csv';
import { figureRun, measureText, renderSvg, runLabels } from './figures';
import type { RunData, SessionData } from './runData';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function num(v: number | null | undefined, digits = 6): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

function cell(v: unknown): string {
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return escapeHtml(v);
  if (v === null || v === undefined) return '—';
  const s = JSON.stringify(v);
  return escapeHtml(s.length > 120 ? `${s.slice(0, 117)}…` : s);
}

function table(head: string[], rows: string[][], rowClass: (i: number) => string = () => ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const tr = rows
    .map(
      (r, i) =>
        `<tr${rowClass(i) ? ` class="${rowClass(i)}"` : ''}>${r.map((c, j) => (j === 0 ? `<th scope="row">${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111827;background:#fff;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.muted{color:#6b7280}table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums;display:block;overflow-x:auto}
th,td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top;white-space:nowrap}thead th{background:#f3f4f6}
tr.diff th,tr.diff td{background:#fef9c3}figure{margin:12px 0;break-inside:avoid}figure svg{max-width:100%;height:auto;border:1px solid #f3f4f6}
figcaption{color:#374151;font-size:13px}code{font-size:12px}
@media print{body{margin:0}h2{break-after:avoid}}`;

/**
 * Builds the report of runs (and the sessions they came from, for the title). `generatedAt` and
 * `appVersion` go into the provenance section.
 */
export function buildReport(
  runs: readonly RunData[],
  opts: { sessions?: readonly SessionData[]; appVersion: string; generatedAt?: Date; title?: string },
): string {
  const when = (opts.generatedAt ?? new Date()).toISOString();
  const sessions = opts.sessions ?? [];
  const title = opts.title ?? (sessions.length === 1 ? `Session “${sessions[0]!.manifest.name}”` : `${runs.length} run${runs.length === 1 ? '' : 's'}`);
  const labels = runLabels(runs);
  const head = ['', ...labels.map((l) => escapeHtml(l))];

  const provenance = table(head, [
    ['run id', ...runs.map((r) => `<code>${escapeHtml(r.runId)}</code>`)],
    ['status', ...runs.map((r) => `${escapeHtml(r.status.status)}${r.status.reason ? `: ${escapeHtml(r.status.reason)}` : ''}`)],
    ['last step', ...runs.map((r) => String(r.status.lastStep))],
    ['started', ...runs.map((r) => escapeHtml(r.config.startedAt))],
    ['finished', ...runs.map((r) => escapeHtml(r.status.finishedAt ?? '—'))],
    ['backend, dtype', ...runs.map((r) => `${escapeHtml(r.config.backend)}, ${escapeHtml(r.config.dtype)}`)],
    ['learning rates η_W, η_V', ...runs.map((r) => `${num(r.config.learningRates?.encoder)}, ${num(r.config.learningRates?.decoder)}`)],
    ['app version', ...runs.map((r) => escapeHtml(r.config.appVersion))],
    [
      'machine',
      ...runs.map((r) =>
        escapeHtml(
          `${r.config.machine.platform} ${r.config.machine.arch}, ${r.config.machine.cpus} cores${r.config.machine.cpuModel ? ` (${r.config.machine.cpuModel})` : ''}, Node ${r.config.machine.node}`,
        ),
      ),
    ],
    ['folder', ...runs.map((r) => `<code>${escapeHtml(r.dir)}</code>`)],
  ]);

  const configs = runs.map((r) => r.config.config as Record<string, unknown>);
  const keys: string[] = [];
  for (const c of configs) for (const k of Object.keys(c)) if (!keys.includes(k)) keys.push(k);
  const differ = new Set(differingConfigKeys(configs));
  const configTable = table(
    head,
    keys.map((k) => [escapeHtml(k), ...configs.map((c) => cell(c[k]))]),
    (i) => (differ.has(keys[i]!) ? 'diff' : ''),
  );

  const theories = runs.map((r) => readTheory(r.theory, r.config.config.regime));
  const theoryRows: [string, (i: number) => number | null][] = [
    ['λ₀ = λ_min(H_enc∞)', (i) => theories[i]!.lambda0],
    ['λ_dec = λ_min(H_dec∞)', (i) => theories[i]!.lambdaDec],
    ['λ_J = λ_min(ν²H_enc∞ + κ²H_dec∞)', (i) => theories[i]!.lambdaJ],
    ['λ_min of the regime', (i) => theories[i]!.lambdaMin],
    ['λ_max of the regime', (i) => theories[i]!.lambdaMax],
    ['automatic η', (i) => theories[i]!.etaAuto],
    ['largest stable η', (i) => theories[i]!.etaMax],
    ['rate bound factor', (i) => theories[i]!.rateBound],
    ['sufficient width, Theorem A', (i) => theories[i]!.widthA],
    ['sufficient width, Theorem B', (i) => theories[i]!.widthB],
    ['memorization share', (i) => theories[i]!.memorization],
  ];
  const theoryTable = table(
    head,
    theoryRows.map(([name, f]) => [escapeHtml(name), ...runs.map((_, i) => num(f(i)))]),
  );

  const last = (r: RunData) => r.records[r.records.length - 1];
  const results = table(head, [
    ['initial loss L₀', ...runs.map((r) => num(r.records[0]?.loss))],
    ['final loss', ...runs.map((r) => num(last(r)?.loss))],
    ['final L/L₀', ...runs.map((r) => num(last(r)?.lossRatio))],
    ['final test loss', ...runs.map((r) => num([...r.records].reverse().find((x) => typeof x.testLoss === 'number')?.testLoss))],
    ['records', ...runs.map((r) => String(r.records.length))],
  ]);

  const figs = runFigures(
    runs.map((r, i) => figureRun(r, labels[i]!)),
    DEFAULT_VIEW,
    'light',
  );
  const figureHtml = figs
    .map((f) => {
      const h = figureHeight(f.option, FIGURE_WIDTH, FIGURE_HEIGHT, measureText);
      const svg = renderSvg(publicationStyle(f.option, { theme: 'light', width: FIGURE_WIDTH, height: h, measure: measureText }), FIGURE_WIDTH, h);
      const caption = FIGURES.find((x) => x.id === f.id)?.title ?? f.id;
      return `<figure data-figure="${escapeHtml(f.name)}">${svg}<figcaption>${escapeHtml(caption)}${f.name !== f.id ? ` — ${escapeHtml(f.name.slice(f.id.length + 1))}` : ''}</figcaption></figure>`;
    })
    .join('\n');

  const sessionLine = sessions
    .map((s) => `session “${escapeHtml(s.manifest.name)}” (<code>${escapeHtml(s.manifest.sessionId)}</code>, created ${escapeHtml(s.manifest.createdAt)})`)
    .join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="NTK Workbench ${escapeHtml(opts.appVersion)}">
<title>${escapeHtml(`NTK Workbench report: ${title}`)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Generated ${escapeHtml(when)} by NTK Workbench ${escapeHtml(opts.appVersion)} from ${runs.length} run folder${runs.length === 1 ? '' : 's'}${sessionLine ? `; ${sessionLine}` : ''}.</p>
<h2 id="provenance">Provenance</h2>
${provenance}
<h2 id="config">Configuration</h2>
<p class="muted">${differ.size > 0 ? 'Highlighted rows differ between the runs.' : 'One run, or all runs share every setting.'}</p>
${configTable}
<h2 id="theory">Theory</h2>
${theoryTable}
<h2 id="results">Results</h2>
${results}
<h2 id="figures">Figures</h2>
${figureHtml || '<p class="muted">No chart has data yet.</p>'}
</body>
</html>
`;
}
