import { describe, expect, it } from 'vitest';
import {
  formatCost, formatCount, formatDuration, formatPercent, formatRelative, formatTime, formatTokens, shortId,
} from './format';

describe('formatDuration', () => {
  it.each([
    [0.42, '0.42 ms'],
    [12.4, '12 ms'],
    [999.4, '999 ms'],
    [1500, '1.50 s'],
    [12_345, '12.3 s'],
    [125_000, '2m 05s'],
    [3_720_000, '1h 02m'],
  ])('%s ms → %s', (ms, out) => expect(formatDuration(ms)).toBe(out));
  it('shows a dash for unknown or invalid', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(NaN)).toBe('—');
    expect(formatDuration(-5)).toBe('—');
  });
});

describe('formatTokens', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [1234, '1.2k'],
    [34_000, '34k'],
    [1_500_000, '1.5M'],
    [25_000_000, '25M'],
  ])('%s → %s', (n, out) => expect(formatTokens(n)).toBe(out));
});

describe('formatCost', () => {
  it.each([
    [0, '$0'],
    [0.00231, '$0.0023'],
    [0.5, '$0.5'],
    [1.92, '$1.92'],
    [1234.5, '$1,235'],
    [0.00000012, '$1.2e-7'],
  ])('%s → %s', (usd, out) => expect(formatCost(usd)).toBe(out));
  it('dash for missing', () => expect(formatCost(undefined)).toBe('—'));
});

describe('formatPercent and formatCount', () => {
  it('formats ratios', () => {
    expect(formatPercent(0.93221)).toBe('93.2%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(NaN)).toBe('—');
  });
  it('groups thousands', () => expect(formatCount(1234567)).toBe('1,234,567'));
});

describe('times', () => {
  const now = new Date(2026, 10, 22, 15, 0, 0);
  it('shows only the time for today', () => {
    expect(formatTime(new Date(2026, 10, 22, 14, 3, 7).toISOString(), now)).toBe('14:03:07');
  });
  it('shows month and day earlier this year', () => {
    expect(formatTime(new Date(2026, 10, 21, 9, 5, 0).toISOString(), now)).toBe('Nov 21 09:05');
  });
  it('shows the date for other years', () => {
    expect(formatTime(new Date(2025, 0, 2, 9, 5, 0).toISOString(), now)).toBe('2025-01-02');
  });
  it('handles null and garbage', () => {
    expect(formatTime(null, now)).toBe('—');
    expect(formatTime('not a date', now)).toBe('—');
  });
  it('formats relative times', () => {
    expect(formatRelative(new Date(now.getTime() - 5000).toISOString(), now)).toBe('5s ago');
    expect(formatRelative(new Date(now.getTime() - 7 * 60_000).toISOString(), now)).toBe('7m ago');
    expect(formatRelative(new Date(now.getTime() - 3 * 3600_000).toISOString(), now)).toBe('3h ago');
    expect(formatRelative(new Date(now.getTime() - 2 * 86400_000).toISOString(), now)).toBe('2d ago');
  });
  it('shortens long ids only', () => {
    expect(shortId('4bf92f3577b34da6a3ce929d0e0e4736')).toBe('4bf92f35');
    expect(shortId('conv-42')).toBe('conv-42');
  });
});
