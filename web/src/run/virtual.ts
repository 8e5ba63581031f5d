// Virtual scrolling math (fixed row height) and the step windows needed for the visible rows.

export interface VirtualRange {
  start: number; // first row rendered
  end: number; // one past the last row rendered
  offsetY: number; // top of the first rendered row, px
  totalHeight: number; // px
}

/** Rows intersecting [scrollTop, scrollTop + viewport), plus `overscan` rows each side. */
export function virtualRange(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 8): VirtualRange {
  const totalHeight = count * rowHeight;
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, offsetY: 0, totalHeight: 0 };
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, totalHeight - viewport));
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewport)) / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, last + overscan);
  return { start, end, offsetY: start * rowHeight, totalHeight };
}

/** The scrollTop that brings row `index` into view (unchanged when it already is). */
export function scrollToRow(index: number, rowHeight: number, scrollTop: number, viewport: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return Math.max(0, bottom - viewport);
  return scrollTop;
}

/**
 * Window offsets (multiples of `windowSize`) holding the given seqs, in first-needed order,
 * without duplicates and without those already `loaded`.
 */
export function windowsFor(seqs: ArrayLike<number>, windowSize: number, loaded: (offset: number) => boolean): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < seqs.length; k++) {
    const off = Math.floor(seqs[k] / windowSize) * windowSize;
    if (seen.has(off) || loaded(off)) continue;
    seen.add(off);
    out.push(off);
  }
  return out;
}
