import { describe, expect, it } from 'vitest';
import { barFor, formatOffsetUs, ticks, toPx, zoom } from './timeline';

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
