import { describe, expect, it } from 'vitest';
import { scrollToRow, virtualRange, windowsFor } from './virtual';

describe('virtualRange', () => {
  it('renders only the rows in view plus overscan', () => {
    const r = virtualRange(100_000, 24, 24 * 1000, 240, 5);
    expect(r).toEqual({ start: 995, end: 1015, offsetY: 995 * 24, totalHeight: 2_400_000 });
  });
  it('clamps at both ends and handles empty lists', () => {
    expect(virtualRange(10, 24, -50, 240, 2)).toMatchObject({ start: 0, end: 10 });
    expect(virtualRange(100, 24, 1e9, 240, 0)).toMatchObject({ start: 90, end: 100 });
    expect(virtualRange(0, 24, 0, 240)).toEqual({ start: 0, end: 0, offsetY: 0, totalHeight: 0 });
  });
});

describe('scrollToRow', () => {
  it('scrolls up, down, or not at all', () => {
    expect(scrollToRow(5, 20, 200, 100)).toBe(100); // above the view
    expect(scrollToRow(20, 20, 200, 100)).toBe(320); // below: bottom aligned
    expect(scrollToRow(11, 20, 200, 100)).toBe(200); // visible
  });
});

describe('windowsFor', () => {
  it('returns distinct window offsets not yet loaded, in need order', () => {
    const loaded = new Set([0]);
    expect(windowsFor([450, 10, 460, 1999, 205], 200, (o) => loaded.has(o))).toEqual([400, 1800, 200]);
  });
});
