/**
 * The rehearsal report (`topoforge rehearse --report FILE`): one self-contained HTML page, with
 * Chart.js's UMD build inlined (no external load; it opens from file://), a table of verdicts and
 * a timeline per scenario: each entrypoint's probe successes and failures over time, the
 * injection, the runbook step and each recovery marked.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RehearsalResult } from './rehearse';

/** Chart.js's browser build, from the installed package. */
function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[character]!,
  );
}

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</gu, '\\u003c')
    .replace(/\u2028|\u2029/gu, ' ');
}

/** One marker per moment entrypoints were served again; those within 150 ms share a label. */
function recoveryMarkers(recoveredAt: Record<string, number | null>): { at: number; label: string }[] {
  const markers: { at: number; ids: string[] }[] = [];
  const times = Object.entries(recoveredAt)
    .filter((entry): entry is [string, number] => entry[1] !== null && entry[1] > 0)
    .sort((a, b) => a[1] - b[1]);
  for (const [entrypoint, at] of times) {
    const last = markers.at(-1);
    if (last !== undefined && at - last.at <= 150) last.ids.push(entrypoint);
    else markers.push({ at, ids: [entrypoint] });
  }
  return markers.map((marker) => ({ at: marker.at / 1000, label: `served again: ${marker.ids.join(', ')}` }));
}

/** Per scenario and entrypoint, successes and failures per 250 ms bucket, for the charts. */
function chartData(result: RehearsalResult) {
  const BUCKET = 250;
  return result.scenarios.map((scenario) => {
    const from = Math.floor(scenario.timeline.from / BUCKET) * BUCKET;
    const labels: number[] = [];
    for (let at = from; at <= scenario.timeline.to; at += BUCKET) labels.push(at / 1000);
    const series = Object.entries(scenario.timeline.samples).map(([entrypoint, samples]) => {
      const ok = labels.map(() => 0);
      const failed = labels.map(() => 0);
      for (const [at, success] of samples) {
        const index = Math.min(labels.length - 1, Math.max(0, Math.floor((at - from) / BUCKET)));
        if (success === 1) ok[index]! += 1;
        else failed[index]! -= 1;
      }
      return { entrypoint, ok, failed };
    });
    return {
      labels,
      series,
      markers: [
        { at: 0, label: 'injection' },
        ...(scenario.timeline.runbookAt === undefined
          ? []
          : [{ at: scenario.timeline.runbookAt / 1000, label: 'runbook step' }]),
        ...recoveryMarkers(scenario.timeline.recoveredAt),
      ],
    };
  });
}

/** Draws every chart: bars of successes (up) and failures (down), vertical lines for markers. */
const DRAW = `
const data = JSON.parse(document.getElementById('data').textContent);
const colors = ['#2f7ed8', '#8e44ad', '#16a085', '#d35400', '#2c3e50', '#c0392b'];
const markerPlugin = {
  id: 'markers',
  afterDraw(chart, args, options) {
    const { ctx, chartArea, scales } = chart;
    for (const marker of options.markers || []) {
      const x = scales.x.getPixelForValue(marker.at);
      if (x < chartArea.left || x > chartArea.right) continue;
      ctx.save();
      ctx.strokeStyle = marker.label === 'injection' ? '#c0392b' : '#27ae60';
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, chartArea.top); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle; ctx.font = '11px sans-serif';
      ctx.fillText(marker.label, x + 3, chartArea.top + 12);
      ctx.restore();
    }
  },
};
data.forEach((scenario, index) => {
  const datasets = [];
  scenario.series.forEach((series, n) => {
    const color = colors[n % colors.length];
    datasets.push({ label: series.entrypoint + ' served', data: series.ok, backgroundColor: color, stack: 's' + n });
    datasets.push({ label: series.entrypoint + ' failed', data: series.failed, backgroundColor: '#e74c3c', stack: 's' + n });
  });
  new Chart(document.getElementById('chart-' + index), {
    type: 'bar',
    data: { labels: scenario.labels, datasets },
    options: {
      animation: false,
      responsive: false,
      scales: {
        x: { type: 'linear', title: { display: true, text: 'seconds from the injection' } },
        y: { title: { display: true, text: 'requests per 250 ms (failed below 0)' } },
      },
      plugins: { markers: { markers: scenario.markers } },
    },
    plugins: [markerPlugin],
  });
});
`;

/** The report page of `result` for the design named `designName`. */
export function rehearsalReport(designName: string, result: RehearsalResult): string {
  const rows = result.scenarios.flatMap((scenario) =>
    scenario.entrypoints.map(
      (entrypoint) =>
        `<tr class="${entrypoint.verdict}"><td>${escapeHtml(scenario.label)}</td><td>${escapeHtml(entrypoint.id)}</td>` +
        `<td>${entrypoint.predicted.state}${entrypoint.predicted.recovery?.seconds != null ? ` (${entrypoint.predicted.recovery.seconds} s, ${escapeHtml(entrypoint.predicted.recovery.by)})` : ''}</td>` +
        `<td>${entrypoint.measured.state}${entrypoint.measured.interruptionSeconds === null ? '' : ` (${entrypoint.measured.interruptionSeconds.toFixed(2)} s)`}</td>` +
        `<td>${entrypoint.measured.failedRequests}</td><td>${entrypoint.verdict}${entrypoint.differences.length > 0 ? `: ${escapeHtml(entrypoint.differences.join('; '))}` : ''}</td></tr>`,
    ),
  );
  const sections = result.scenarios.map(
    (scenario, index) =>
      `<section><h2>${escapeHtml(scenario.label)}</h2>` +
      (scenario.runbook.length > 0 ? `<p>Runbook: ${escapeHtml(scenario.runbook.join('; '))}</p>` : '') +
      `<canvas id="chart-${index}" width="900" height="260" data-scenario="${escapeHtml(scenario.label)}"></canvas></section>`,
  );
  const standIns =
    result.standIns.length === 0
      ? '<p>No stand-ins: every service ran its real program.</p>'
      : `<ul>${result.standIns.map((standIn) => `<li>${escapeHtml(`${standIn.service} (${standIn.kind}) on ${standIn.host}: ${standIn.reason}`)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>Rehearsal of ${escapeHtml(designName)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
tr.mismatch td { background: #fdecea; } section { margin-top: 2em; }
</style></head><body>
<h1>Rehearsal of ${escapeHtml(designName)}</h1>
<p>${result.scenarios.length} scenario(s) in ${result.seconds.toFixed(0)} s; probes at ${result.lab.probeRate} requests a second per entrypoint from the lab's client.</p>
<h2>Stand-ins</h2>${standIns}
<h2>Verdicts</h2>
<table><thead><tr><th>Scenario</th><th>Entrypoint</th><th>Predicted</th><th>Measured</th><th>Failed requests</th><th>Verdict</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
${sections.join('\n')}
<script id="data" type="application/json">${scriptJson(chartData(result))}</script>
<script>${chartJsSource().replace(/<\/script/giu, '<\\/script')}</script>
<script>${DRAW}</script>
</body></html>
`;
}
