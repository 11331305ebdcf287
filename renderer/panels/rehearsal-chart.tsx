/**
 * One entrypoint's probe timeline in the Rehearse view, drawn live by Chart.js as the report page
 * of `topoforge rehearse --report` draws it: per 250 ms, the requests served (up) and failed
 * (down), the injection and any runbook step as dashed lines, and the moment it was served again.
 * The chart is made once and updated in place as samples arrive, without animation.
 */
import { useEffect, useRef } from 'react';
import { Chart } from 'chart.js';
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { RehearsalSample } from '../../core/rehearse';
import { CHART_COMMON, chartPalette } from './resilience-charts';
import type { ChartPalette } from './resilience-charts';

/** The width of one bar, in milliseconds. */
export const BUCKET_MS = 250;

/** A vertical line on the timeline, seconds from the injection. */
export interface TimelineMarker {
  at: number;
  label: string;
  kind: 'injection' | 'runbook' | 'recovery';
}

/** Successes and failures per bucket, seconds from `origin` (the injection, else the first sample). */
export function timelineBuckets(
  samples: readonly RehearsalSample[],
  origin: number,
): { labels: number[]; served: number[]; failed: number[] } {
  if (samples.length === 0) return { labels: [], served: [], failed: [] };
  const first = Math.floor((samples[0]!.at - origin) / BUCKET_MS);
  const last = Math.floor((samples[samples.length - 1]!.at - origin) / BUCKET_MS);
  const labels: number[] = [];
  for (let bucket = first; bucket <= last; bucket += 1) labels.push((bucket * BUCKET_MS) / 1000);
  const served = labels.map(() => 0);
  const failed = labels.map(() => 0);
  for (const sample of samples) {
    const index = Math.floor((sample.at - origin) / BUCKET_MS) - first;
    if (sample.ok) served[index]! += 1;
    else failed[index]! -= 1;
  }
  return { labels, served, failed };
}

/** Draws the markers as dashed vertical lines with their words. */
function markerPlugin(markers: () => readonly TimelineMarker[], palette: ChartPalette): Plugin<'bar'> {
  return {
    id: 'rehearsalMarkers',
    afterDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      for (const marker of markers()) {
        const x = scales.x!.getPixelForValue(marker.at);
        if (x < chartArea.left || x > chartArea.right) continue;
        ctx.save();
        ctx.strokeStyle = marker.kind === 'injection' ? palette.missed : palette.text;
        ctx.setLineDash(marker.kind === 'recovery' ? [2, 3] : [6, 4]);
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = '600 11px system-ui, sans-serif';
        ctx.fillText(marker.label, x + 3, chartArea.top + 12);
        ctx.restore();
      }
    },
  };
}

/** The live timeline of one entrypoint in one scenario. */
export function RehearsalTimeline({
  entrypoint,
  samples,
  origin,
  markers,
  testId,
}: {
  entrypoint: string;
  samples: readonly RehearsalSample[];
  origin: number;
  markers: readonly TimelineMarker[];
  testId: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'>>(undefined);
  const latestMarkers = useRef(markers);
  latestMarkers.current = markers;

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    // A page without a 2D canvas (a DOM emulation in tests) shows the counts alone.
    if (!context) return;
    const palette = chartPalette();
    const configuration: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: {
        labels: [],
        datasets: [
          { label: 'served', data: [], backgroundColor: palette.bar, stack: 'probes' },
          { label: 'failed', data: [], backgroundColor: palette.missed, stack: 'probes' },
        ],
      },
      options: {
        ...CHART_COMMON,
        plugins: { legend: { display: false } },
        scales: {
          x: {
            type: 'linear',
            title: { display: true, text: 'seconds from the injection', color: palette.text },
            ticks: { color: palette.text },
            grid: { display: false },
          },
          y: {
            title: { display: true, text: 'per 250 ms', color: palette.text },
            ticks: { color: palette.text },
            grid: { color: palette.grid },
          },
        },
      },
      plugins: [markerPlugin(() => latestMarkers.current, palette)],
    };
    chart.current = new Chart(context, configuration);
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    const drawn = chart.current;
    if (!drawn) return;
    const { labels, served, failed } = timelineBuckets(samples, origin);
    drawn.data.labels = labels;
    // Wide enough for every marker: "served again" may come after the last sample drawn so far.
    const ends = [...labels, ...markers.map((marker) => marker.at)];
    const x = drawn.options.scales!.x!;
    // Whole seconds at both ends, so the ticks read 0, 1, 2…
    x.min = Math.floor(Math.min(...ends));
    x.max = Math.ceil(Math.max(...ends) + (2 * BUCKET_MS) / 1000);
    drawn.data.datasets[0]!.data = labels.map((x, index) => ({ x, y: served[index]! })) as never;
    drawn.data.datasets[1]!.data = labels.map((x, index) => ({ x, y: failed[index]! })) as never;
    drawn.update('none');
  }, [samples, origin, markers]);

  const served = samples.filter((sample) => sample.ok).length;
  return (
    <div className="rehearsal-timeline">
      <div className="rehearsal-chart">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Probes of ${entrypoint} over time: requests served and failed, the injection and recovery marked`}
          data-testid={testId}
        />
      </div>
      <p className="rehearsal-counts" data-testid={`${testId}-counts`}>
        {entrypoint}: {served} served, {samples.length - served} failed
      </p>
    </div>
  );
}
