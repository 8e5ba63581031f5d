// Variable-height virtual list math: each item has a kind; an item's height is its measured height
// once it has been rendered, else the mean measured height of its kind (a default until one of
// that kind is measured). Offsets are prefix sums rebuilt lazily (O(n) after a batch of
// measurements, cheap for 100k items), lookups are binary searches.

export class HeightIndex {
  readonly count: number;
  private measured: Float64Array; // 0 = not measured yet
  private sum: number[]; // per kind: sum and count of measured heights
  private n: number[];
  private offsets: Float64Array; // offsets[i] = top of item i; offsets[count] = total height
  private dirty = true;

  /** `kinds[i]` indexes `defaults` (the estimate per kind before any measurement). */
  constructor(private readonly kinds: Uint8Array, private readonly defaults: number[]) {
    this.count = kinds.length;
    this.measured = new Float64Array(this.count);
    this.sum = defaults.map(() => 0);
    this.n = defaults.map(() => 0);
    this.offsets = new Float64Array(this.count + 1);
  }

  /** The height used for item i (measured, or its kind's estimate). */
  height(i: number): number {
    return this.measured[i] || this.estimate(this.kinds[i]);
  }

  estimate(kind: number): number {
    return this.n[kind] ? this.sum[kind] / this.n[kind] : this.defaults[kind] ?? 100;
  }

  isMeasured(i: number): boolean {
    return this.measured[i] > 0;
  }

  /** Records a measured height; returns whether anything changed. Non-positive heights are ignored. */
  set(i: number, h: number): boolean {
    if (!(i >= 0 && i < this.count) || !(h > 0) || !Number.isFinite(h)) return false;
    const old = this.measured[i];
    if (Math.abs(old - h) < 0.5) return false;
    const k = this.kinds[i];
    if (old > 0) this.sum[k] += h - old;
    else {
      this.sum[k] += h;
      this.n[k]++;
    }
    this.measured[i] = h;
    this.dirty = true;
    return true;
  }

  private rebuild(): void {
    if (!this.dirty) return;
    const est = this.defaults.map((_, k) => this.estimate(k));
    let y = 0;
    for (let i = 0; i < this.count; i++) {
      this.offsets[i] = y;
      y += this.measured[i] || est[this.kinds[i]] || 100;
    }
    this.offsets[this.count] = y;
    this.dirty = false;
  }

  /** Top of item i in px (i = count gives the total height). */
  offset(i: number): number {
    this.rebuild();
    return this.offsets[Math.max(0, Math.min(this.count, i))];
  }

  total(): number {
    return this.offset(this.count);
  }

  /** The item covering y (the last item for y beyond the end, 0 for y <= 0 or an empty list). */
  indexAt(y: number): number {
    this.rebuild();
    if (this.count === 0 || y <= 0) return 0;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid] <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Items to render for a viewport: those intersecting [scrollTop, scrollTop + viewport) plus
   * `overscanPx` of extra height each side.
   */
  range(scrollTop: number, viewport: number, overscanPx = 300): { start: number; end: number; offsetY: number; totalHeight: number } {
    const totalHeight = this.total();
    if (this.count === 0) return { start: 0, end: 0, offsetY: 0, totalHeight: 0 };
    const start = this.indexAt(scrollTop - overscanPx);
    const last = this.indexAt(scrollTop + Math.max(0, viewport) + overscanPx);
    return { start, end: Math.min(this.count, last + 1), offsetY: this.offset(start), totalHeight };
  }
}

/** Where the reader is: the item at the top of the viewport and how far into it they scrolled. */
export interface Anchor {
  index: number;
  delta: number;
}

export function anchorAt(h: HeightIndex, scrollTop: number): Anchor {
  const index = h.indexAt(scrollTop);
  return { index, delta: scrollTop - h.offset(index) };
}

/**
 * The scrollTop that keeps the anchor item where it was after heights above it changed
 * (measurements replacing estimates must not make the content jump under the reader).
 */
export function scrollForAnchor(h: HeightIndex, a: Anchor): number {
  return Math.max(0, h.offset(a.index) + a.delta);
}

/**
 * The scrollTop that shows item i: unchanged when it is already fully in view, else its top
 * `margin` px below the viewport top (an item taller than the viewport is aligned at its top).
 */
export function scrollToItem(h: HeightIndex, i: number, scrollTop: number, viewport: number, margin = 8): number {
  const top = h.offset(i);
  const bottom = h.offset(i + 1);
  if (top >= scrollTop && bottom <= scrollTop + viewport) return scrollTop;
  return Math.max(0, top - margin);
}
