// A uPlot time-series chart. uPlot is loaded on first use so the runs list stays light.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Series } from '../transforms';

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

export function TimeChart(props: { series: Series; title: string; yLabel?: string; format?: (v: number) => string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const { series } = props;
  const theme = useThemeVersion();
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
          series: [
            {},
            ...series.labels.map((label, i) => ({
              label,
              stroke: PALETTE[i % PALETTE.length],
              width: 1.5,
              spanGaps: false,
              points: { size: 4 },
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
  }, [series, theme]);
  return (
    <figure class="chart" data-testid="stats-chart">
      <figcaption>{props.title}</figcaption>
      {error ? <p class="muted">Chart unavailable: {error}</p> : <div ref={ref} class="chart-canvas" />}
    </figure>
  );
}
