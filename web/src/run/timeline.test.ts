import { describe, expect, it } from 'vitest';
import { barFor, fitScale, formatOffsetUs, pan, rangeFromDrag, ticks, toPx, usAtFrac, wheelFactor, zoom, zoomAtFrac } from './timeline';

describe('timeline scale', () => {
  const s = { startUs: 0, endUs: 1000, width: 500 };
  it('maps time to pixels linearly', () => {
    expect(toPx(s, 0)).toBe(0);
    expect(toPx(s, 500)).toBe(250);
    expect(toPx({ startUs: 100, endUs: 200, width: 100 }, 150)).toBe(50);
  });
  it('clips bars to the view, keeps 1px minimum, runs open steps to now', () => {
    expect(barFor(s, 100, 200, 0)).toEqual({ x: 50, w: 100 });
    expect(barFor(s, 100, 0, 0)).toEqual({ x: 50, w: 1 });
    expect(barFor(s, 900, 500, 0)).toEqual({ x: 450, w: 50 });
    expect(barFor(s, 2000, 5, 0)).toBeNull();
    expect(barFor(s, 200, -1, 600)).toEqual({ x: 100, w: 200 });
  });
  it('zooms around a point and stays inside the run', () => {
    const z = zoom(s, 0.5, 500, 1000);
    expect([z.startUs, z.endUs]).toEqual([250, 750]);
    const edge = zoom(s, 0.5, 0, 1000);
    expect([edge.startUs, edge.endUs]).toEqual([0, 500]);
    const out = zoom(z, 10, 500, 1000);
    expect([out.startUs, out.endUs]).toEqual([0, 1000]);
  });
  it('picks 1/2/5 ticks', () => {
    expect(ticks({ startUs: 0, endUs: 1000, width: 1 }, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(ticks({ startUs: 130, endUs: 170, width: 1 }, 4)).toEqual([130, 140, 150, 160, 170]);
    expect(ticks({ startUs: 5, endUs: 5, width: 1 })).toEqual([]);
  });
  it('formats offsets', () => {
    expect(formatOffsetUs(0)).toBe('0');
    expect(formatOffsetUs(250)).toBe('250 µs');
    expect(formatOffsetUs(12_000)).toBe('12 ms');
    expect(formatOffsetUs(1_500_000)).toBe('1.5 s');
  });
});

describe('timeline zoom by mouse and keys', () => {
  const s = { startUs: 1000, endUs: 2000, width: 600 };
  it('maps a drag across the axis to the selected range, either direction', () => {
    expect(rangeFromDrag(s, 0.25, 0.5, 10_000)).toEqual({ startUs: 1250, endUs: 1500, width: 600 });
    expect(rangeFromDrag(s, 0.5, 0.25, 10_000)).toEqual({ startUs: 1250, endUs: 1500, width: 600 });
  });
  it('clamps a drag past the edges and ignores clicks and garbage', () => {
    expect(rangeFromDrag(s, -0.5, 2, 10_000)).toEqual({ startUs: 1000, endUs: 2000, width: 600 });
    expect(rangeFromDrag(s, 0.5, 0.502, 10_000)).toBeNull();
    expect(rangeFromDrag(s, NaN, 0.5, 10_000)).toBeNull();
    expect(rangeFromDrag(fitScale(100, 600), 0.9, 1, 100)).toEqual({ startUs: 90, endUs: 100, width: 600 });
  });
  it('never selects less than 1 µs', () => {
    const tiny = { startUs: 0, endUs: 10, width: 600 };
    const r = rangeFromDrag(tiny, 0.5, 0.55, 10)!;
    expect(r.endUs - r.startUs).toBe(1);
    expect(r.startUs).toBe(5);
  });
  it('turns wheel deltas into bounded zoom factors', () => {
    expect(wheelFactor(0)).toBe(1);
    expect(wheelFactor(-100)).toBeLessThan(1); // wheel up zooms in
    expect(wheelFactor(100)).toBeGreaterThan(1);
    expect(wheelFactor(100)).toBeCloseTo(1 / wheelFactor(-100));
    expect(wheelFactor(1e6)).toBe(2);
    expect(wheelFactor(-1e6)).toBe(0.5);
    expect(wheelFactor(3, 1)).toBeCloseTo(wheelFactor(48, 0)); // lines
    expect(wheelFactor(NaN)).toBe(1);
  });
  it('zooms around the pointer: the time under it stays under it', () => {
    const z = zoomAtFrac(s, 0.5, 0.8, 10_000);
    expect(z.endUs - z.startUs).toBe(500);
    expect(usAtFrac(z, 0.8)).toBeCloseTo(usAtFrac(s, 0.8));
  });
  it('pans by a fraction of the span without leaving the run', () => {
    expect(pan(s, 0.2, 10_000)).toEqual({ startUs: 1200, endUs: 2200, width: 600 });
    expect(pan(s, -5, 10_000)).toEqual({ startUs: 0, endUs: 1000, width: 600 });
    expect(pan(s, 50, 2500)).toEqual({ startUs: 1500, endUs: 2500, width: 600 });
  });
  it('fits the whole run', () => {
    expect(fitScale(5000, 600)).toEqual({ startUs: 0, endUs: 5000, width: 600 });
    expect(fitScale(0, 600).endUs).toBe(1);
  });
});
