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

/** The whole run. */
export function fitScale(totalUs: number, width: number): Scale {
  return { startUs: 0, endUs: Math.max(1, totalUs), width };
}

/** The µs under a horizontal position given as a fraction of the bar area (0 = left edge). */
export function usAtFrac(s: Scale, frac: number): number {
  return s.startUs + frac * (s.endUs - s.startUs);
}

/**
 * The range selected by dragging from fraction f0 to f1 of the bar area (either direction,
 * clamped to the area), or null for a drag narrower than `minFrac` (a click, not a selection).
 * Never narrower than 1 µs, never outside [0, totalUs].
 */
export function rangeFromDrag(s: Scale, f0: number, f1: number, totalUs: number, minFrac = 0.01): Scale | null {
  if (!Number.isFinite(f0) || !Number.isFinite(f1)) return null;
  const a = Math.max(0, Math.min(1, Math.min(f0, f1)));
  const b = Math.max(0, Math.min(1, Math.max(f0, f1)));
  if (b - a < minFrac) return null;
  let start = Math.max(0, usAtFrac(s, a));
  let end = Math.min(totalUs, usAtFrac(s, b));
  if (end - start < 1) {
    end = Math.min(Math.max(totalUs, 1), start + 1);
    start = Math.max(0, end - 1);
  }
  return { startUs: start, endUs: end, width: s.width };
}

/** Zoom factor for one wheel event: scroll down (positive deltaY) zooms out, up zooms in. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  if (!Number.isFinite(px) || px === 0) return 1;
  return Math.min(2, Math.max(0.5, Math.exp(px * 0.002)));
}

/** Zooms around the position under the pointer (a fraction of the bar area), which stays put. */
export function zoomAtFrac(s: Scale, factor: number, frac: number, totalUs: number): Scale {
  const f = Math.max(0, Math.min(1, Number.isFinite(frac) ? frac : 0.5));
  return zoom(s, factor, usAtFrac(s, f), totalUs);
}

/** Moves the view by `frac` of its span (negative = earlier), kept within [0, totalUs]. */
export function pan(s: Scale, frac: number, totalUs: number): Scale {
  const span = s.endUs - s.startUs;
  const start = Math.max(0, Math.min(s.startUs + frac * span, totalUs - span));
  return { startUs: start, endUs: start + span, width: s.width };
}
