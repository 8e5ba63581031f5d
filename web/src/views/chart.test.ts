import { describe, expect, it } from 'vitest';
import { bucketToSeconds, paddedXRange } from './chart';

describe('paddedXRange', () => {
  it('pads a single bucket by one bucket width either side', () => {
    expect(paddedXRange([1_700_000_000], 3600)).toEqual([1_699_996_400, 1_700_003_600]);
    expect(paddedXRange([1_700_000_000, 1_700_000_000], 60)).toEqual([1_699_999_940, 1_700_000_060]);
  });
  it('leaves ranges with several buckets, and empty series, to uPlot', () => {
    expect(paddedXRange([1, 2], 3600)).toBeNull();
    expect(paddedXRange([], 3600)).toBeNull();
  });
  it('falls back to an hour for an unknown bucket and skips non-finite xs', () => {
    expect(paddedXRange([100], 0)).toEqual([100 - 3600, 100 + 3600]);
    expect(paddedXRange([100], NaN)).toEqual([100 - 3600, 100 + 3600]);
    expect(paddedXRange([NaN, 100, Infinity], 60)).toEqual([40, 160]);
  });
});

describe('bucketToSeconds', () => {
  it('reads the /api/stats bucket widths', () => {
    expect(bucketToSeconds('1m')).toBe(60);
    expect(bucketToSeconds('5m')).toBe(300);
    expect(bucketToSeconds('6h')).toBe(21_600);
    expect(bucketToSeconds('1d')).toBe(86_400);
    expect(bucketToSeconds('1w')).toBe(604_800);
    expect(bucketToSeconds('')).toBe(0);
    expect(bucketToSeconds('1y')).toBe(0);
    expect(bucketToSeconds(undefined)).toBe(0);
  });
});
