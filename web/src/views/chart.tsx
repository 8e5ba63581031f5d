// A uPlot time-series chart. uPlot is loaded on first use so the runs list stays light.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Series } from '../transforms';

/** "1m" / "5m" / "1h" / "6h" / "1d" / "1w" (the /api/stats bucket widths) in seconds; 0 if unknown. */
export function bucketToSeconds(bucket: string | undefined): number {
  const m = /^(\d+)([smhdw])$/.exec(bucket ?? '');
  if (!m) return 0;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

const DEFAULT_PAD_S = 3600;

/**
 * The x range (unix seconds) to draw, or null to let uPlot fit the data. With one time bucket
 * (every x equal) uPlot would draw an axis spanning nothing, with odd sub-second ticks: pad one
 * bucket either side instead (an hour when the bucket width is not known).
 */
export function paddedXRange(xs: ArrayLike<number>, bucketSeconds?: number): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min > max || max > min) return null;
  const pad = bucketSeconds && bucketSeconds > 0 && Number.isFinite(bucketSeconds) ? bucketSeconds : DEFAULT_PAD_S;
  return [min - pad, max + pad];
}

const PALETTE = ['#4a7bd0', '#d0674a', '#3fa34d', '#a35bd0', '#d0a13a', '#2fa6a6', '#888888'];

// Canvas cannot resolve CSS variables, so read the theme's values when drawing.
function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** Bumps when the theme changes (toggle or system), so charts redraw in the new colours. */
function useThemeVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const bump = () => setV((x) => x + 1);
    const mo = new MutationObserver(bump);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    mq?.addEventListener?.('change', bump);
    return () => {
      mo.disconnect();
      mq?.removeEventListener?.('change', bump);
    };
  }, []);
  return v;
}

export function TimeChart(props: {
  series: Series;
  title: string;
  yLabel?: string;
  format?: (v: number) => string;
  height?: number;
  /** The series' bucket width ("1h", …), to pad a single bucket's x range. */
  bucket?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const { series } = props;
  const theme = useThemeVersion();
  const xRange = paddedXRange(series.data[0], bucketToSeconds(props.bucket));
  useEffect(() => {
    let plot: { destroy(): void; setSize(s: { width: number; height: number }): void } | undefined;
    let ro: ResizeObserver | undefined;
    let cancelled = false;
    Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')])
      .then(([mod]) => {
        if (cancelled || !ref.current) return;
        const UPlot = mod.default;
        const el = ref.current;
        const fmt = props.format;
        const axisColor = cssVar('--fg-muted', '#5f6673');
        const gridColor = cssVar('--grid', 'rgba(0,0,0,0.07)');
        const opts = {
          width: Math.max(200, el.clientWidth),
          height: props.height ?? 220,
          // One bucket: a fixed, padded x range, and the lone point drawn large enough to see.
          ...(xRange ? { scales: { x: { time: true, range: xRange } } } : {}),
          series: [
            {},
            ...series.labels.map((label, i) => ({
              label,
              stroke: PALETTE[i % PALETTE.length],
              width: 1.5,
              spanGaps: false,
              points: xRange ? { show: true, size: 8 } : { size: 4 },
              value: fmt ? (_u: unknown, v: number | null) => (v === null ? '—' : fmt(v)) : undefined,
            })),
          ],
          axes: [
            { stroke: axisColor, grid: { stroke: gridColor }, ticks: { stroke: gridColor } },
            {
              stroke: axisColor,
              grid: { stroke: gridColor },
              ticks: { stroke: gridColor },
              label: props.yLabel,
              size: 60,
              values: fmt ? (_u: unknown, vals: number[]) => vals.map((v) => fmt(v)) : undefined,
            },
          ],
        };
        // uPlot's option types are broad; the shape above is what it documents.
        plot = new UPlot(opts as never, series.data as never, el);
        ro = new ResizeObserver(() => plot?.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 220 }));
        ro.observe(el);
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      cancelled = true;
      ro?.disconnect();
      plot?.destroy();
    };
  }, [series, theme, props.bucket]);
  return (
    <figure class="chart" data-testid="stats-chart" data-points={series.data[0].length}
            data-x-range={xRange ? xRange.join(',') : undefined}>
      <figcaption>{props.title}</figcaption>
      {error ? <p class="muted">Chart unavailable: {error}</p> : <div ref={ref} class="chart-canvas" />}
    </figure>
  );
}
