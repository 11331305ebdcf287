/**
 * The Resilience view's two charts, drawn by Chart.js on a canvas: the largest contributors to an
 * entrypoint's yearly downtime (horizontal bars), and its recovery after each single failure
 * (bars, with the RTO objective drawn across as a line). Only the parts these charts use are
 * registered, so the bundle carries nothing else; Chart.js evaluates no strings, so it runs under
 * the app's Content Security Policy as it is.
 */
import { useEffect, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import type { ChartConfiguration, Plugin } from 'chart.js';
import type { Contributor } from '../../core/reliability/yearly';
import type { RecoveryPoint } from '../workers/resilience';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** The theme's colours the charts use, read from the page's CSS variables when a chart is made. */
export interface ChartPalette {
  text: string;
  grid: string;
  bar: string;
  failover: string;
  missed: string;
  objective: string;
}

/** The palette of the current theme. */
export function chartPalette(): ChartPalette {
  const styles = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
  return {
    text: read('--text', '#1c2128'),
    grid: read('--border', '#d9dde3'),
    bar: read('--accent', '#2563eb'),
    failover: read('--degraded', '#9a6700'),
    missed: read('--down', '#cf222e'),
    objective: read('--text', '#1c2128'),
  };
}

/** How a contributor reads: "lb-1 + lb-2", or "failover after lb-1". */
export function contributorWords(contributor: Contributor): string {
  const failed = contributor.failed.join(' + ');
  return contributor.kind === 'failover' ? `failover after ${failed}` : failed;
}

/** How a recovery reads in the table and the chart's tooltip. */
export function recoveryWords(point: RecoveryPoint): string {
  if (point.recovery === null) return 'down: no recovery';
  if (point.recovery.seconds === null) return 'not known';
  return `${formatSeconds(point.recovery.seconds)} (${point.recovery.by})`;
}

/** Seconds as a person reads them: "3.41 s", "30 min". */
export function formatSeconds(seconds: number): string {
  if (seconds >= 120) return `${Math.round((seconds / 60) * 10) / 10} min`;
  return `${Math.round(seconds * 100) / 100} s`;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`: a top the axis ticks divide evenly. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}

/** The charts on the page not drawn yet, each with the function that draws it now. */
const waiting = new WeakMap<HTMLCanvasElement, () => void>();

/**
 * Draws a chart of the view at once if it was waiting to come into sight: the PNG of the view
 * shows every chart, scrolled to or not.
 */
export function drawChartNow(canvas: HTMLCanvasElement): void {
  waiting.get(canvas)?.();
}

/**
 * A Chart.js chart on a canvas, made again whenever its configuration changes. It is made when it
 * first comes into sight: a design with a hundred entrypoints has two hundred charts, most of
 * them scrolled away.
 */
function ChartCanvas({
  configure,
  label,
  testId,
  height,
}: {
  configure: (palette: ChartPalette) => ChartConfiguration;
  label: string;
  testId: string;
  height: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    // A page without a 2D canvas (a DOM emulation in tests) shows the table alone.
    if (!element || !context) return;
    let chart: Chart | undefined;
    const draw = () => {
      waiting.delete(element);
      observer?.disconnect();
      chart ??= new Chart(context, configure(chartPalette()));
    };
    const observer =
      typeof IntersectionObserver === 'undefined'
        ? undefined
        : new IntersectionObserver((entries) => {
            if (entries.some((entry) => entry.isIntersecting)) draw();
          });
    if (observer) {
      waiting.set(element, draw);
      observer.observe(element);
    } else draw();
    return () => {
      waiting.delete(element);
      observer?.disconnect();
      chart?.destroy();
    };
  }, [configure]);
  return (
    <div className="resilience-chart" style={{ height }}>
      <canvas ref={canvas} role="img" aria-label={label} data-testid={testId} />
    </div>
  );
}

/** Draws a horizontal line across the chart at the RTO objective, with its value written on it. */
function objectiveLine(rtoSeconds: number, palette: ChartPalette): Plugin<'bar'> {
  return {
    id: 'objectiveLine',
    afterDatasetsDraw(chart) {
      const y = chart.scales.y!.getPixelForValue(rtoSeconds);
      const { left, right } = chart.chartArea;
      const context = chart.ctx;
      context.save();
      context.strokeStyle = palette.objective;
      context.lineWidth = 2;
      context.setLineDash([6, 4]);
      context.beginPath();
      context.moveTo(left, y);
      context.lineTo(right, y);
      context.stroke();
      context.setLineDash([]);
      context.fillStyle = palette.objective;
      context.font = '600 11px system-ui, sans-serif';
      context.textAlign = 'right';
      context.textBaseline = 'bottom';
      context.fillText(`RTO ${formatSeconds(rtoSeconds)}`, right - 4, y - 3);
      context.restore();
    },
  };
}

/**
 * Drawn without animation (a picture saved at once shows the whole chart), and at twice the
 * screen's resolution at least, so that the PNG of the view stays sharp.
 */
export const CHART_COMMON = {
  animation: false,
  responsive: true,
  maintainAspectRatio: false,
  devicePixelRatio: Math.max(2, typeof window === 'undefined' ? 1 : window.devicePixelRatio),
} as const;

/** The largest contributors to an entrypoint's downtime, minutes a year, with their share. */
export function ContributorsChart({
  entrypoint,
  contributors,
}: {
  entrypoint: string;
  contributors: readonly Contributor[];
}) {
  const configure = (palette: ChartPalette): ChartConfiguration<'bar'> => ({
    type: 'bar',
    data: {
      labels: contributors.map((c) => `${contributorWords(c)} (${Math.round(c.share * 100)}%)`),
      datasets: [
        {
          label: 'minutes a year',
          data: contributors.map((c) => c.downtimeMinutesPerYear),
          backgroundColor: contributors.map((c) => (c.kind === 'failover' ? palette.failover : palette.bar)),
        },
      ],
    },
    options: {
      ...CHART_COMMON,
      indexAxis: 'y',
      plugins: { tooltip: { callbacks: { label: (item) => `${Number(item.raw).toFixed(2)} min a year` } } },
      scales: {
        x: {
          beginAtZero: true,
          title: { display: true, text: 'minutes down a year', color: palette.text },
          ticks: { color: palette.text },
          grid: { color: palette.grid },
        },
        y: { ticks: { color: palette.text }, grid: { display: false } },
      },
    },
  });
  return (
    <ChartCanvas
      configure={useStableConfigure(configure, [contributors])}
      label={`Largest contributors to ${entrypoint}'s downtime, minutes a year (the table below lists them)`}
      testId={`resilience-contributors-chart-${entrypoint}`}
      height={Math.max(90, 30 + contributors.length * 26)}
    />
  );
}

/** Recovery after each single failure, in seconds, with the RTO objective as a line. */
export function RecoveryChart({
  entrypoint,
  points,
  rtoSeconds,
}: {
  entrypoint: string;
  points: readonly RecoveryPoint[];
  rtoSeconds: number | undefined;
}) {
  const configure = (palette: ChartPalette): ChartConfiguration<'bar'> => {
    const known = points.flatMap((p) => (p.recovery?.seconds != null ? [p.recovery.seconds] : []));
    // A failure the entrypoint never recovers from (down, or not known) reaches the top of the chart.
    const highest = Math.max(1, ...known, rtoSeconds ?? 0) * 1.1;
    // Five even steps, in minutes when the ticks read in minutes.
    const top = highest >= 120 ? niceCeiling(highest / 60) * 60 : niceCeiling(highest);
    return {
      type: 'bar',
      data: {
        labels: points.map((p) =>
          p.recovery === null
            ? `${p.failed} (down)`
            : p.recovery.seconds === null
              ? `${p.failed} (?)`
              : p.failed,
        ),
        datasets: [
          {
            label: 'seconds until served again',
            data: points.map((p) => (p.recovery?.seconds != null ? p.recovery.seconds : top)),
            backgroundColor: points.map((p) =>
              p.missed || p.recovery === null
                ? palette.missed
                : p.recovery.seconds === null
                  ? palette.failover
                  : palette.bar,
            ),
          },
        ],
      },
      options: {
        ...CHART_COMMON,
        plugins: { tooltip: { callbacks: { label: (item) => recoveryWords(points[item.dataIndex]!) } } },
        scales: {
          x: { ticks: { color: palette.text, autoSkip: false, maxRotation: 60 }, grid: { display: false } },
          y: {
            beginAtZero: true,
            max: top,
            title: { display: true, text: 'until served again', color: palette.text },
            ticks: {
              color: palette.text,
              stepSize: top / 5,
              callback: (value) => formatSeconds(Number(value)),
            },
            grid: { color: palette.grid },
          },
        },
      },
      plugins: rtoSeconds === undefined ? [] : [objectiveLine(rtoSeconds, palette)],
    };
  };
  return (
    <ChartCanvas
      configure={useStableConfigure(configure, [points, rtoSeconds])}
      label={`Recovery of ${entrypoint} after each single failure, in seconds${rtoSeconds === undefined ? '' : `, against its RTO objective of ${formatSeconds(rtoSeconds)}`} (the table below lists them)`}
      testId={`resilience-recovery-chart-${entrypoint}`}
      height={200}
    />
  );
}

/** The same configure function while its inputs stay the same, so the chart is made again only then. */
function useStableConfigure<T>(configure: T, inputs: readonly unknown[]): T {
  const kept = useRef<{ configure: T; inputs: readonly unknown[] }>(undefined);
  if (
    kept.current === undefined ||
    kept.current.inputs.length !== inputs.length ||
    kept.current.inputs.some((input, i) => input !== inputs[i])
  )
    kept.current = { configure, inputs };
  return kept.current.configure;
}
