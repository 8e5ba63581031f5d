// Timeline (waterfall) scale: µs from the run start <-> px, with zoom, and "nice" ticks.

export interface Scale {
  startUs: number; // visible range start
  endUs: number; // visible range end
  width: number; // px
}

export function toPx(s: Scale, us: number): number {
  const span = Math.max(1e-9, s.endUs - s.startUs);
  return ((us - s.startUs) / span) * s.width;
}

/** Bar geometry for a step, clipped to the visible range; open steps run to `nowUs`. Min 1px wide. */
export function barFor(s: Scale, startUs: number, durationUs: number, nowUs: number): { x: number; w: number } | null {
  const end = durationUs < 0 ? nowUs : startUs + durationUs;
  if (end < s.startUs || startUs > s.endUs) return null;
  const x0 = Math.max(0, toPx(s, startUs));
  const x1 = Math.min(s.width, toPx(s, end));
  return { x: x0, w: Math.max(1, x1 - x0) };
}

/** Zooms by `factor` (<1 zooms in) around the µs position `atUs`, kept within [0, totalUs]. */
export function zoom(s: Scale, factor: number, atUs: number, totalUs: number): Scale {
  const span = s.endUs - s.startUs;
  const minSpan = 1; // 1 µs
  const newSpan = Math.min(totalUs, Math.max(minSpan, span * factor));
  const frac = span > 0 ? (atUs - s.startUs) / span : 0;
  let start = atUs - frac * newSpan;
  start = Math.max(0, Math.min(start, totalUs - newSpan));
  return { startUs: start, endUs: start + newSpan, width: s.width };
}

/** Tick positions with a 1/2/5 × 10^k step, about `target` of them across the visible range. */
export function ticks(s: Scale, target = 6): number[] {
  const span = s.endUs - s.startUs;
  if (!(span > 0) || target < 1) return [];
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(s.startUs / step) * step; t <= s.endUs + 1e-9; t += step) out.push(t);
  return out;
}

/** "0", "250 µs", "12 ms", "1.5 s" for tick labels. */
export function formatOffsetUs(us: number): string {
  if (us === 0) return '0';
  const a = Math.abs(us);
  if (a < 1000) return `${+us.toFixed(0)} µs`;
  if (a < 1_000_000) return `${+(us / 1000).toFixed(a < 10_000 ? 2 : 1)} ms`;
  if (a < 60_000_000) return `${+(us / 1_000_000).toFixed(a < 10_000_000 ? 2 : 1)} s`;
  return `${+(us / 60_000_000).toFixed(1)} min`;
}
