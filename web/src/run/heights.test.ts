import { describe, expect, it } from 'vitest';
import { anchorAt, HeightIndex, scrollForAnchor, scrollToItem } from './heights';

// kinds: 0 = tall (default 100), 1 = short (default 20)
const idx = (kinds: number[]) => new HeightIndex(Uint8Array.from(kinds), [100, 20]);

describe('HeightIndex', () => {
  it('uses per-kind estimates before measuring', () => {
    const h = idx([0, 1, 0, 1]);
    expect([h.offset(0), h.offset(1), h.offset(2), h.offset(3), h.total()]).toEqual([0, 100, 120, 220, 240]);
    expect(h.indexAt(0)).toBe(0);
    expect(h.indexAt(119)).toBe(1);
    expect(h.indexAt(120)).toBe(2);
    expect(h.indexAt(1e9)).toBe(3);
    expect(h.indexAt(-5)).toBe(0);
  });

  it('replaces an estimate by the measured height and re-estimates the kind by its mean', () => {
    const h = idx([0, 0, 0, 1]);
    expect(h.set(0, 40)).toBe(true);
    expect(h.set(0, 40.2)).toBe(false); // sub-pixel noise is not a change
    // item 0 measured 40; items 1 and 2 are estimated at the kind's mean (40)
    expect(h.total()).toBe(40 + 40 + 40 + 20);
    h.set(1, 80);
    expect(h.height(2)).toBe(60); // mean of 40 and 80
    expect(h.total()).toBe(40 + 80 + 60 + 20);
    h.set(1, 20); // re-measured smaller: the mean follows
    expect(h.height(2)).toBe(30);
  });

  it('ignores hostile measurements', () => {
    const h = idx([0, 1]);
    expect(h.set(-1, 10)).toBe(false);
    expect(h.set(2, 10)).toBe(false);
    expect(h.set(0, 0)).toBe(false);
    expect(h.set(0, NaN)).toBe(false);
    expect(h.set(0, Infinity)).toBe(false);
    expect(h.total()).toBe(120);
  });

  it('renders only the items in view plus overscan, over 100k items', () => {
    const kinds = new Uint8Array(100_000); // all tall: 100 px each
    const h = new HeightIndex(kinds, [100]);
    const r = h.range(50_000 * 100 + 10, 600, 200);
    expect(r.start).toBe(50_000 - 2);
    expect(r.end).toBe(50_000 + 9); // items 49998..50008 cover [4,999,810, 5,000,810]
    expect(r.end - r.start).toBeLessThan(20);
    expect(r.offsetY).toBe((50_000 - 2) * 100);
    expect(r.totalHeight).toBe(10_000_000);
    expect(new HeightIndex(new Uint8Array(0), [1]).range(0, 100)).toEqual({ start: 0, end: 0, offsetY: 0, totalHeight: 0 });
  });
});

describe('scroll anchoring', () => {
  it('keeps the item at the top of the viewport in place when heights above it change', () => {
    const h = idx([0, 0, 0, 0, 0]);
    const a = anchorAt(h, 250); // item 2, 50 px into it
    expect(a).toEqual({ index: 2, delta: 50 });
    h.set(0, 30);
    h.set(1, 30); // the kind's estimate becomes 30 too, but item 2's top is what matters
    expect(scrollForAnchor(h, a)).toBe(60 + 50);
  });
});

describe('scrollToItem', () => {
  const h = idx([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // 100 px each
  it('scrolls only when the item is not fully visible', () => {
    expect(scrollToItem(h, 2, 250, 300)).toBe(192); // partly above the view
    expect(scrollToItem(h, 2, 200, 300)).toBe(200); // visible
    expect(scrollToItem(h, 9, 0, 300)).toBe(892); // far below: top aligned with a margin
    expect(scrollToItem(h, 0, 500, 300)).toBe(0);
  });
});
